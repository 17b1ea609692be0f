// A skeleton as the HumanML3D representation needs it: joints, kinematic chains, rest bone
// directions for inverse kinematics, the joints that define facing and foot contact, and the
// target bone offsets every motion is rescaled to.
#pragma once
#include <array>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "motion/feature_layout.hpp"

namespace mogo {

struct Skeleton {
  std::string name;
  std::vector<std::string> joint_names;      // J names; joint 0 is the root (pelvis)
  std::vector<std::vector<int64_t>> chains;  // kinematic chains; each starts at an earlier joint
  std::vector<int64_t> parents;              // derived from chains; parents[0] = -1
  torch::Tensor raw_offsets;                 // [J,3] unit rest directions of each bone (root: 0)
  torch::Tensor target_offsets;              // [J,3] metres, bone vectors of the target body; may be undefined
  std::array<int64_t, 4> face_joints{};      // right hip, left hip, right shoulder, left shoulder
  std::array<int64_t, 2> feet_left{};        // left ankle, left toe
  std::array<int64_t, 2> feet_right{};       // right ankle, right toe
  std::array<int64_t, 2> leg_joints{};       // two joints whose offsets sum to the leg length (scaling)
  double foot_velocity_threshold = 0.002;    // squared displacement (m^2 per frame) below which a foot is in contact
  // HumanML3D's inverse kinematics estimates facing from (l_hip - r_hip) + (r_shoulder - l_shoulder)
  // (its index unpacking swaps the hips), and its released features carry that. Reproduced for the
  // built-in layouts so that features match the public dataset; skeletons described from data use
  // the consistent (r_hip - l_hip) + (r_shoulder - l_shoulder).
  bool humanml3d_facing_quirk = false;

  int64_t num_joints() const { return static_cast<int64_t>(joint_names.size()); }
  FeatureLayout layout() const { return FeatureLayout(num_joints()); }
  int64_t index_of(const std::string& joint) const;  // throws Error if absent

  // Bone vectors of one pose: raw_offsets[i] * |pose[i] - pose[parent(i)]|.  pose: [J,3] -> [J,3].
  torch::Tensor offsets_from_pose(const torch::Tensor& pose) const;

  // Built-in layouts: HumanML3D's 22-joint SMPL body and KIT-ML's 21 joints (no target offsets:
  // set them with offsets_from_pose on the dataset's reference body).
  static Skeleton humanml3d();
  static Skeleton kit();
  // A built-in layout by its name ("humanml3d", "kit"); none when there is none of that name.
  static std::optional<Skeleton> builtin(const std::string& name);
  // A built-in layout's name, or else the path of a description (load).
  static Skeleton named(const std::string& name_or_path);

  // Description as JSON (see data/skeletons/*.json); validates indices, chains and directions.
  static Skeleton from_json(const nlohmann::json& j, const std::string& source = "skeleton");
  static Skeleton load(const std::string& path);
  nlohmann::json to_json() const;

  void validate(const std::string& source) const;
};

}  // namespace mogo
