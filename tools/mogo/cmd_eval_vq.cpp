// `mogo eval-vq`: reconstruction report of an RVQ-VAE (MPJPE by number of quantiser layers).
#include <cstdio>
#include <filesystem>
#include <optional>

#include "commands.hpp"
#include "common/archive.hpp"
#include "common/error.hpp"
#include "common/atomic_file.hpp"
#include "common/runtime.hpp"
#include "data/motion_dataset.hpp"
#include "motion/npy.hpp"
#include "vq/checkpoint.hpp"
#include "vq/evaluate.hpp"

namespace mogo::cli {

void register_eval_vq(CLI::App& app, GlobalOptions& g) {
  struct Opts {
    std::string model, data, split = "test", json, write_dir;
    int64_t limit = 0;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("eval-vq", "Reconstruction report of an RVQ-VAE on a dataset split");
  cmd->add_option("model", o->model, "model.pt or checkpoint.pt")->required()->check(CLI::ExistingFile);
  cmd->add_option("data", o->data, "prepared dataset folder")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--split", o->split, "train, val or test")->capture_default_str();
  cmd->add_option("--json", o->json, "also write the report as JSON here");
  cmd->add_option("--limit", o->limit, "only the first N clips (0 = all)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--write-reconstructions", o->write_dir, "write each clip's reconstruction (all layers) as <dir>/<id>.npy, for `mogo eval --generated`");
  cmd->callback([&g, o] {
    run_command(g, [&] {
      auto device = pick_device(g.device);
      auto ck = load_vq_checkpoint(o->model, device);
      ck.model->eval();
      MotionDataset data(o->data, o->split, 1, o->limit);
      require(data.dim() == ck.config.input_dim, o->data + ": features are " + std::to_string(data.dim()) +
                                                     "-d, model expects " + std::to_string(ck.config.input_dim));
      data.renormalise(ck.mean, ck.std);  // the model owns its normalisation
      // The feature skeleton (for the foot metrics): the model's, else the dataset's.
      std::optional<Skeleton> skel;
      const auto data_skeleton = std::filesystem::path(o->data) / "skeleton.json";
      if (!ck.skeleton_json.empty()) skel = Skeleton::from_json(parse_json(ck.skeleton_json, o->model), o->model);
      else if (std::filesystem::exists(data_skeleton)) skel = Skeleton::load(data_skeleton.string());
      else if (ck.config.input_dim == Skeleton::humanml3d().layout().dim()) skel = Skeleton::humanml3d();
      auto report = evaluate_vq(*ck.model, data, device, skel ? &*skel : nullptr);
      std::printf("%s split: %lld clips, %lld frames (model step %lld)\n%s", o->split.c_str(), (long long)report.clips,
                  (long long)report.frames, (long long)ck.step, report.table().c_str());
      if (!o->json.empty()) write_file_atomically(o->json, report.to_json().dump(2) + "\n");
      if (!o->write_dir.empty()) {
        torch::NoGradGuard no_grad;
        for (const auto& clip : data.clips()) {
          auto x = clip.features.unsqueeze(0).to(device);
          auto rec = ck.model->decode(ck.model->encode(x), 0, x.size(1)).squeeze(0).to(torch::kCPU);
          npy::save(o->write_dir + "/" + clip.id + ".npy", data.denormalise(rec));
        }
        std::printf("wrote %zu reconstructions to %s\n", data.clips().size(), o->write_dir.c_str());
      }
    });
  });
}

}  // namespace mogo::cli
