#include "export/motion_writer.hpp"

#include <cmath>
#include <filesystem>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "export/gltf.hpp"
#include "motion/bvh.hpp"
#include "motion/features.hpp"
#include "motion/npy.hpp"

namespace mogo {

namespace {

std::string extension(const std::string& path) {
  auto e = std::filesystem::path(path).extension().string();
  for (auto& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e;
}

}  // namespace

void check_motion_extension(const std::string& path) {
  auto e = extension(path);
  require(e == ".bvh" || e == ".glb" || e == ".gltf" || e == ".npy" || e == ".json",
          path + ": unknown output type '" + e + "' (expected .bvh, .glb, .gltf, .npy or .json)");
}

nlohmann::json motion_json(const torch::Tensor& joints, const Skeleton& skel, double fps) {
  auto j = joints.to(torch::kCPU, torch::kDouble).contiguous();
  const int64_t T = j.size(0), J = j.size(1);
  auto a = j.accessor<double, 3>();
  nlohmann::json frames = nlohmann::json::array();
  for (int64_t t = 0; t < T; ++t) {
    nlohmann::json f = nlohmann::json::array();
    for (int64_t k = 0; k < J; ++k) {
      // millimetre precision keeps files small
      f.push_back({std::round(a[t][k][0] * 1e4) / 1e4, std::round(a[t][k][1] * 1e4) / 1e4, std::round(a[t][k][2] * 1e4) / 1e4});
    }
    frames.push_back(std::move(f));
  }
  return {{"fps", fps}, {"units", "metres, Y up"}, {"joints", skel.joint_names}, {"parents", skel.parents}, {"frames", frames}};
}

void write_joints(const std::string& path, const torch::Tensor& joints_in, const Skeleton& skel, const ExportOptions& o) {
  check_motion_extension(path);
  const auto e = extension(path);
  auto joints = joints_in.to(torch::kCPU, torch::kFloat);
  if (e == ".npy") npy::save(path, joints);
  else if (e == ".bvh") bvh::save(path, joints, skel, {o.fps, o.position_channels, o.rotation_order});
  else if (e == ".glb" || e == ".gltf") save_gltf(path, joints, skel, o.fps);
  else write_file_atomically(path, motion_json(joints, skel, o.fps).dump() + "\n");
}

void write_motion(const std::string& path, const torch::Tensor& features, const Skeleton& skel, const ExportOptions& o) {
  check_motion_extension(path);
  if (extension(path) == ".npy" && !o.joints_npy) {
    npy::save(path, features.to(torch::kCPU, torch::kFloat));
    return;
  }
  write_joints(path, recover_from_ric(features.to(torch::kCPU, torch::kFloat), skel.num_joints()), skel, o);
}

}  // namespace mogo
