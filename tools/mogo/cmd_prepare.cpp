// `mogo prepare`: BVH clips + captions -> HumanML3D dataset layout.
#include <cstdio>

#include "commands.hpp"
#include "data/prepare.hpp"

namespace mogo::cli {

void register_prepare(CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<PrepareOptions>();
  auto* cmd = app.add_subcommand("prepare", "Turn a folder of BVH clips with captions into the HumanML3D dataset layout");
  cmd->add_option("input", o->input_dir, "folder with bvh/, texts/, train.txt, val.txt, test.txt")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("output", o->output_dir, "output folder (created)")->required();
  cmd->add_option("--mapping", o->mapping_path, "joint mapping JSON (default: chosen from the joint names among data/skeletons/)")->check(CLI::ExistingFile);
  cmd->add_option("--fps", o->fps, "output frame rate")->capture_default_str();
  cmd->add_option("--limit", o->limit, "only the first N clips of each split (0 = all)")->capture_default_str();
  cmd->add_option("--min-frames", o->min_frames, "skip clips shorter than this")->capture_default_str();
  cmd->add_flag("!--no-mirror", o->mirror, "do not add mirrored copies");
  cmd->callback([&g, o] {
    run_command(g, [&] {
      auto s = prepare_dataset(*o);
      std::printf("prepared %lld clips, %lld frames (%.2f hours at 20 fps) in %.1f s; skipped %zu\n",
                  (long long)s.clips, (long long)s.frames, static_cast<double>(s.frames) / s.fps / 3600.0, s.seconds, s.skipped.size());
      for (auto& [id, why] : s.skipped) std::printf("  skipped %s: %s\n", id.c_str(), why.c_str());
      std::printf("joint mapping: %s\n", s.mapping.c_str());
    }, o->input_dir);
  });
}

}  // namespace mogo::cli
