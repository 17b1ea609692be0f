// `mogo bvh-import` (BVH -> joints/features .npy) and `mogo export` (alias bvh-export: features/joints
// .npy -> BVH, glTF, JSON), with the exporters' flags.
#include <cstdio>

#include "commands.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "export/motion_writer.hpp"
#include "motion/bvh.hpp"
#include "motion/skeletal_animation.hpp"
#include "motion/features.hpp"
#include "motion/npy.hpp"
#include "motion/rig.hpp"

namespace mogo::cli {

void register_bvh(CLI::App& app, GlobalOptions& g) {
  struct Opts {
    std::string input, output, mapping, units, skeleton;
    double fps = kHumanML3DFps;
    bool features = false;
  };
  auto o = std::make_shared<Opts>();
  auto* imp = app.add_subcommand("bvh-import", "BVH clip -> joint positions [T,J,3] (or features with --features) .npy at 20 fps");
  imp->add_option("input", o->input, "BVH file")->required()->check(CLI::ExistingFile);
  imp->add_option("output", o->output, ".npy output")->required();
  imp->add_option("--mapping", o->mapping, "joint mapping JSON (default: chosen from the joint names among data/skeletons/)")
      ->check(CLI::ExistingFile);
  imp->add_option("--units", o->units, "file units: m, cm, mm, inch, cmu or metres per unit (default: the mapping's, else read off the body's height)");
  imp->add_option("--fps", o->fps, "output frame rate")->capture_default_str();
  imp->add_flag("--features", o->features, "write HumanML3D features instead of joints");
  imp->callback([&g, o] {
    run_command(g, [&] {
      require_not_an_input(o->output, {o->input, o->mapping});
      const auto file = bvh::load(o->input);
      auto m = o->mapping.empty() ? bvh::Mapping::detect(file, o->input) : bvh::Mapping::load(o->mapping);
      if (!o->units.empty()) m.scale = rig::unit_scale(o->units, "--units");
      auto joints = bvh::joints_from_bvh(file, m, o->fps, o->input);
      std::fprintf(stderr, "%s: mapping %s, stature %.2f m\n", o->input.c_str(), std::filesystem::path(m.name).stem().c_str(), rig::stature(joints, m.skeleton));
      auto out = o->features ? extract_features(joints, m.skeleton).features : joints.to(torch::kFloat);
      npy::save(o->output, out);
      std::printf("%s: %s\n", o->output.c_str(), c10::str(out.sizes()).c_str());
    }, o->input);
  });

  struct ExportOpts {
    std::string input, output, skeleton;
    ExportOptions out;
  };
  auto e = std::make_shared<ExportOpts>();
  auto* exp = app.add_subcommand("export", "Features [T,D] or joints [T,J,3] .npy -> .bvh (rotations), .glb/.gltf, .json, .npy");
  exp->alias("bvh-export");
  exp->add_option("input", e->input, ".npy features or joints")->required()->check(CLI::ExistingFile);
  exp->add_option("output", e->output, "output file (.bvh, .glb, .gltf, .json, .npy joints)")->required();
  exp->add_option("--skeleton", e->skeleton, "skeleton .json (e.g. a prepared dataset's skeleton.json), humanml3d or kit")->required();
  exp->add_option("--fps", e->out.fps, "frame rate")->capture_default_str();
  add_export_flags(exp, e->out);
  exp->callback([&g, e] {
    run_command(g, [&] {
      motion_format(e->output, e->out);
      require_not_an_input(e->output, {e->input, e->skeleton});
      Skeleton s = Skeleton::named(e->skeleton);
      auto x = npy::load(e->input);
      torch::Tensor joints;
      if (x.dim() == 2) {
        require(x.size(1) == s.layout().dim(), e->input + ": features have " + std::to_string(x.size(1)) +
                                                   " dims, skeleton '" + s.name + "' needs " + std::to_string(s.layout().dim()));
        joints = recover_from_ric(x, s.num_joints());
      } else {
        require(x.dim() == 3 && x.size(1) == s.num_joints() && x.size(2) == 3,
                e->input + ": joints must be [T," + std::to_string(s.num_joints()) + ",3], got " + c10::str(x.sizes()));
        joints = x;
      }
      write_joints(e->output, joints, s, e->out);
      std::printf("%s: %lld frames\n", e->output.c_str(), (long long)joints.size(0));
      // Rotation-only formats reproduce the joints only as far as a rigid skeleton can.
      auto fit = fit_error(solve_animation(joints, s, e->out.fps), joints);
      std::printf("rotations alone reproduce the joints within %.2f mm on average, %.2f mm at most\n", fit.mean * 1000, fit.max * 1000);
    }, e->input);
  });
}

void add_export_flags(CLI::App* cmd, ExportOptions& o) {
  cmd->add_flag("--no-foot-lock{false}", o.foot_lock, "leave feet as the model made them (default: planted feet are locked, docs/feet.md)");
  cmd->add_flag("--position-channels", o.position_channels, "BVH: position channels on every joint too (default: rotations only, root position)");
  cmd->add_option("--rotation-order", o.rotation_order, "BVH: Euler channel order (XYZ, XZY, YXZ, YZX, ZXY, ZYX)")
      ->capture_default_str()
      ->check(CLI::IsMember({"XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX"}));
  cmd->add_option("--format", o.format, "output format when the file name has no extension (e.g. -o /dev/stdout): bvh, glb, npy, json")
      ->check(CLI::IsMember({"bvh", "glb", "gltf", "npy", "json"}));
}

}  // namespace mogo::cli
