// `mogo features` and `mogo joints`: the HumanML3D transform on .npy files.
#include <cstdio>

#include "commands.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "motion/features.hpp"
#include "motion/npy.hpp"

namespace mogo::cli {

namespace {

Skeleton skeleton_by_name(const std::string& name, const std::string& target_body) {
  Skeleton s = Skeleton::named(name);
  if (!target_body.empty()) {
    auto body = npy::load(target_body);
    require(body.dim() == 2 && body.size(1) == 3 && body.size(0) >= s.num_joints(),
            target_body + ": expected a [>=" + std::to_string(s.num_joints()) + ",3] pose, got " + c10::str(body.sizes()));
    s.target_offsets = s.offsets_from_pose(body.index({torch::indexing::Slice(0, s.num_joints())}));
  }
  return s;
}

}  // namespace

void register_features(CLI::App& app, GlobalOptions& g) {
  struct Opts {
    std::string input, output, skeleton = "humanml3d", target;
  };
  auto opts = std::make_shared<Opts>();
  auto* fwd = app.add_subcommand("features", "Joint positions [T,J,3] (.npy) -> HumanML3D features [T-1,D] (.npy)");
  fwd->add_option("input", opts->input, "joints .npy")->required()->check(CLI::ExistingFile);
  fwd->add_option("output", opts->output, "features .npy")->required();
  fwd->add_option("--skeleton", opts->skeleton, "humanml3d, kit, or a skeleton .json")->capture_default_str();
  fwd->add_option("--target-body", opts->target, ".npy pose [>=J,3] whose bone lengths every motion is scaled to");
  fwd->callback([&g, opts] {
    run_command(g, [&] {
      require_not_an_input(opts->output, {opts->input, opts->target});
      Skeleton s = skeleton_by_name(opts->skeleton, opts->target);
      auto joints = npy::load(opts->input);
      auto r = extract_features(joints, s);
      npy::save(opts->output, r.features);
      std::printf("%s: %lld frames x %lld features\n", opts->output.c_str(), (long long)r.features.size(0),
                  (long long)r.features.size(1));
    }, opts->input);
  });

  auto inv_opts = std::make_shared<Opts>();
  auto* inv = app.add_subcommand("joints", "HumanML3D features [T,D] (.npy) -> joint positions [T,J,3] (.npy)");
  inv->add_option("input", inv_opts->input, "features .npy")->required()->check(CLI::ExistingFile);
  inv->add_option("output", inv_opts->output, "joints .npy")->required();
  inv->callback([&g, inv_opts] {
    run_command(g, [&] {
      require_not_an_input(inv_opts->output, {inv_opts->input});
      auto f = npy::load(inv_opts->input);
      require(f.dim() == 2, inv_opts->input + ": features must be 2-D [T,D], got " + c10::str(f.sizes()));
      require(f.size(0) >= 1, inv_opts->input + ": the features have no frames");
      require(torch::isfinite(f).all().item<bool>(), inv_opts->input + ": the features hold NaN or infinite values");
      int64_t J = FeatureLayout::joints_for_dim(f.size(1));
      require(J > 0, inv_opts->input + ": feature dimension " + std::to_string(f.size(1)) +
                         " matches no skeleton (D = 12 J - 1)");
      auto joints = recover_from_ric(f, J);
      npy::save(inv_opts->output, joints);
      std::printf("%s: %lld frames x %lld joints\n", inv_opts->output.c_str(), (long long)joints.size(0), (long long)J);
    }, inv_opts->input);
  });
}

}  // namespace mogo::cli
