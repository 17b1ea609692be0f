#include "export/motion_writer.hpp"

#include "animation/foot_lock.hpp"

#include <cmath>
#include <filesystem>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "export/gltf.hpp"
#include "motion/bvh.hpp"
#include "motion/features.hpp"
#include "motion/npy.hpp"
#include "motion/skeletal_animation.hpp"

namespace mogo {

namespace {

std::string extension(const std::string& path) {
  auto e = std::filesystem::path(path).extension().string();
  for (auto& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e;
}

}  // namespace

std::string motion_format(const std::string& path, const ExportOptions& o) {
  const std::string f = o.format.empty() ? extension(path).substr(std::min<size_t>(1, extension(path).size())) : o.format;
  require(f == "bvh" || f == "glb" || f == "gltf" || f == "npy" || f == "json",
          path + ": unknown output format '" + f + "' (expected bvh, glb, gltf, npy or json: from the extension, or --format)");
  return f;
}

nlohmann::json joints_json(const torch::Tensor& joints) {
  auto j = joints.to(torch::kCPU, torch::kDouble).contiguous();
  auto a = j.accessor<double, 3>();
  auto r = [](double v) { return std::round(v * 1e4) / 1e4; };  // 0.1 mm keeps files small
  nlohmann::json frames = nlohmann::json::array();
  for (int64_t t = 0; t < a.size(0); ++t) {
    nlohmann::json f = nlohmann::json::array();
    for (int64_t k = 0; k < a.size(1); ++k) f.push_back({r(a[t][k][0]), r(a[t][k][1]), r(a[t][k][2])});
    frames.push_back(std::move(f));
  }
  return frames;
}

nlohmann::json motion_json(const torch::Tensor& joints, const Skeleton& skel, double fps) {
  return {{"fps", fps}, {"units", "metres, Y up"}, {"joints", skel.joint_names}, {"parents", skel.parents}, {"frames", joints_json(joints)}};
}

void write_joints(const std::string& path, const torch::Tensor& joints_in, const Skeleton& skel, const ExportOptions& o) {
  const auto e = motion_format(path, o);
  auto joints = joints_in.to(torch::kCPU, torch::kFloat);
  // Every format gets the same checks (the BVH/glTF solver repeats them): no file mogo could not read back.
  require_frame_rate(o.fps, path + ": --fps");
  require(torch::isfinite(joints).all().item<bool>(), path + ": the motion holds NaN or infinite joint positions; nothing written");
  require(joints.dim() == 3 && joints.size(0) >= 1, path + ": the motion has no frames; nothing written");
  if (o.rig) {
    Retargeter r = *o.rig;
    write_rig_motion(path, r.apply(joints, o.fps), r.rig(), o);
    return;
  }
  remove_stale_temporaries(path);  // of earlier writes to this path that were killed
  if (e == "npy") npy::save(path, joints);
  else if (e == "bvh") bvh::save(path, joints, skel, {o.fps, o.position_channels, o.rotation_order});
  else if (e == "glb" || e == "gltf") save_gltf(path, joints, skel, o.fps, e == "glb");
  else write_file_atomically(path, motion_json(joints, skel, o.fps).dump() + "\n");
}

nlohmann::json rig_motion_json(const RigMotion& m, const CharacterRig& rig) {
  return {{"fps", m.fps}, {"units", "the rig's (" + rig.path + "), Y up"}, {"joints", rig.names}, {"parents", rig.parents},
          {"frames", joints_json(m.positions)}};
}

void require_rig_output(const std::string& path, const CharacterRig& rig, const ExportOptions& o) {
  const auto e = motion_format(path, o);
  require(e != "bvh" || rig.format == "bvh", path + ": a BVH result needs a BVH rig; '" + rig.path + "' is glTF (write .glb, .gltf, .json or .npy)");
  require((e != "glb" && e != "gltf") || rig.format == "gltf",
          path + ": a glTF result needs a glTF rig; '" + rig.path + "' is BVH (write .bvh, .json or .npy)");
}

nlohmann::json rig_pose_json(const RigMotion& m) {
  auto q = m.rotations.to(torch::kDouble).contiguous();
  auto a = q.accessor<double, 3>();
  auto r = [](double v) { return std::round(v * 1e6) / 1e6; };
  nlohmann::json frames = nlohmann::json::array();
  for (int64_t t = 0; t < a.size(0); ++t) {
    nlohmann::json f = nlohmann::json::array();
    for (int64_t k = 0; k < a.size(1); ++k) f.push_back({r(a[t][k][0]), r(a[t][k][1]), r(a[t][k][2]), r(a[t][k][3])});
    frames.push_back(std::move(f));
  }
  return {{"joints", joints_json(m.positions)}, {"rotations", std::move(frames)}, {"root", joints_json(m.root_translation.unsqueeze(0))[0]}};
}

std::string rig_motion_bytes(const RigMotion& m, const CharacterRig& rig, const std::string& format) {
  ExportOptions o;
  o.format = format;
  require_rig_output("motion", rig, o);
  if (format == "npy") return npy::serialize(m.positions.to(torch::kFloat));
  if (format == "json") return rig_motion_json(m, rig).dump() + "\n";
  if (format == "glb") return rig_gltf_binary(rig, m);
  require(format == "bvh", "a motion on a rig is written as bvh, glb, json or npy, not '" + format + "'");
  auto b = rig.bvh;
  // Joints keep their rest translations; the root's comes from the motion.
  auto translations = rig.rest_translation.unsqueeze(0).repeat({m.frames(), 1, 1});
  translations.select(1, 0).copy_(m.root_translation);
  bvh::set_motion(b, translations, m.rotations, m.fps);
  return bvh::to_text(b);
}

void write_rig_motion(const std::string& path, const RigMotion& m, const CharacterRig& rig, const ExportOptions& o) {
  require_rig_output(path, rig, o);
  const auto e = motion_format(path, o);
  remove_stale_temporaries(path);
  if (e == "gltf") save_rig_gltf(path, rig, m, false);  // JSON + its buffer file beside it
  else write_file_atomically(path, rig_motion_bytes(m, rig, e));
}

void write_motion(const std::string& path, const torch::Tensor& features, const Skeleton& skel, const ExportOptions& o) {
  if (motion_format(path, o) == "npy" && !o.joints_npy) {
    require(features.size(0) >= 1, path + ": the motion has no frames; nothing written");
    remove_stale_temporaries(path);
    npy::save(path, features.to(torch::kCPU, torch::kFloat));
    return;
  }
  auto raw = features.to(torch::kCPU, torch::kFloat);
  auto joints = recover_from_ric(raw, skel.num_joints());
  write_joints(path, o.foot_lock ? lock_feet(joints, raw, skel) : joints, skel, o);
}

}  // namespace mogo
