#include "motion/motion_reader.hpp"

#include <filesystem>

#include "common/error.hpp"
#include "motion/bvh.hpp"
#include "motion/features.hpp"
#include "motion/npy.hpp"

namespace mogo {

namespace {

bvh::Mapping mapping_for(const Skeleton& skel, const std::string& mapping_path, const bvh::Bvh& file, const std::string& path) {
  if (mapping_path.empty()) {
    bvh::Mapping m;  // joints by the skeleton's own names (BVH files mogo wrote, or the same rig)
    m.skeleton = skel;
    m.source_names = skel.joint_names;
    if (m.fits(file)) return m;
    m = bvh::Mapping::detect(file, path, skel.name);  // another naming of the model's rig
    m.skeleton = skel;
    return m;
  }
  auto m = bvh::Mapping::load(mapping_path);
  require(m.skeleton.joint_names == skel.joint_names,
          mapping_path + ": maps onto skeleton '" + m.skeleton.name + "', not the model's '" + skel.name + "'");
  m.skeleton = skel;
  return m;
}

torch::Tensor features_of_joints(const torch::Tensor& joints, const Skeleton& skel, const std::string& path) {
  require(joints.size(0) >= 2, path + ": needs at least 2 frames, has " + std::to_string(joints.size(0)));
  require(torch::isfinite(joints).all().item<bool>(), path + ": joint positions hold NaN or infinite values");
  auto f = extract_features(joints.to(torch::kFloat), skel).features;
  require(torch::isfinite(f).all().item<bool>(), path + ": the motion's features come out NaN or infinite (joints on top of each other?)");
  return f;
}

}  // namespace

torch::Tensor read_motion_features(const std::string& path, const Skeleton& skel, const std::string& mapping_path) {
  const auto ext = std::filesystem::path(path).extension().string();
  const int64_t J = skel.num_joints(), D = skel.layout().dim();
  if (ext == ".bvh") {
    const auto file = bvh::load(path);
    return features_of_joints(bvh::joints_from_bvh(file, mapping_for(skel, mapping_path, file, path), 20.0, path), skel, path);
  }
  require(ext == ".npy", path + ": a motion to read must be .bvh or .npy");
  auto t = npy::load(path).to(torch::kFloat);
  if (t.dim() == 3) {
    require(t.size(1) == J && t.size(2) == 3,
            path + ": joint positions must be [T," + std::to_string(J) + ",3], got " + c10::str(t.sizes()));
    return features_of_joints(t, skel, path);
  }
  require(t.dim() == 2 && t.size(1) == D,
          path + ": features must be [T," + std::to_string(D) + "] (or joints [T," + std::to_string(J) + ",3]), got " +
              c10::str(t.sizes()));
  require(t.size(0) >= 1, path + ": the motion has no frames");
  require(torch::isfinite(t).all().item<bool>(), path + ": features hold NaN or infinite values");
  return t;
}

}  // namespace mogo
