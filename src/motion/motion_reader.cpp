#include "motion/motion_reader.hpp"

#include <filesystem>

#include "common/error.hpp"
#include "common/archive.hpp"
#include "motion/bvh.hpp"
#include "motion/joint_map.hpp"
#include "motion/features.hpp"
#include "motion/npy.hpp"

namespace mogo {

namespace {

// A mapping of the model's joints onto the file's by a JointMap (motion/joint_map.hpp); every
// model joint must have one.
bvh::Mapping mapping_of(const JointMap& jm, const Skeleton& skel, const bvh::Bvh& file, const std::string& path) {
  bvh::Mapping m;
  m.name = path;
  m.skeleton = skel;
  for (int64_t j = 0; j < skel.num_joints(); ++j) {
    require(jm.rig_of[j] >= 0, path + ": no joint of the file stands for the model's '" + skel.joint_names[j] + "'; give --mapping");
    m.source_names.push_back(file.joints[jm.rig_of[j]].name);
  }
  return m;
}

bvh::Mapping mapping_for(const Skeleton& skel, const std::string& mapping_path, const bvh::Bvh& file, const std::string& path) {
  std::vector<std::string> names;
  for (const auto& j : file.joints) names.push_back(j.name);
  if (mapping_path.empty()) {
    bvh::Mapping m;  // joints by the skeleton's own names (BVH files mogo wrote, or the same rig)
    m.skeleton = skel;
    m.source_names = skel.joint_names;
    if (m.fits(file)) return m;
    try {
      m = bvh::Mapping::detect(file, path, skel.name);  // another naming of the model's rig
    } catch (const Error& shipped) {
      try {  // a rig of another naming convention (a motion written with --rig, a Mixamo clip)
        return mapping_of(detect_joint_map(skel, names, path), skel, file, path);
      } catch (const Error&) {
        throw shipped;
      }
    }
    m.skeleton = skel;
    return m;
  }
  const auto j = load_json_file(mapping_path);
  if (!j.contains("skeleton")) return mapping_of(joint_map_from_json(j, skel, names, mapping_path), skel, file, path);
  auto m = bvh::Mapping::from_json(j, mapping_path);
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
    return features_of_joints(bvh::joints_from_bvh(file, mapping_for(skel, mapping_path, file, path), kHumanML3DFps, path), skel, path);
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
