// Retargeting: the model's motion (joint positions of its skeleton, metres) put on a user's rig
// (animation/character_rig.hpp) as the rig's own animation: a local rotation for every joint and
// the root's translation, in the rig's units, from the rig's rest pose.
//
//   aim        every mapped rig joint turns so that the bone to its next mapped joint points
//              where the model's bone between the same two body parts points (world space, so the
//              rig's rest pose, T or A or bones along any axis, never enters as an assumption):
//              one such bone, the shortest arc from where the parent's turn left it (no added
//              twist); several (hips, chest), the best-fit rotation of the rig's rest layout onto
//              the model's (Kabsch). Unmapped joints between two mapped ones (a spine split in
//              more joints than the model's) share the turn evenly; other unmapped joints
//              (fingers, twist bones, end joints) keep their rest rotation under their parent.
//   feet       the foot (ankle to toe) is the one exception: it keeps the model's foot pitch
//              relative to flat (the rig's rest foot, the model's planted foot), so that a foot
//              flat on the floor stays flat on a rig whose ankle and toe sit otherwise;
//   scale      root travel and height are scaled by rig leg / model leg (hip to ankle), so that
//              strides fit the legs;
//   floor      the body is raised so that the feet's lowest points (joints and End Sites or tip
//              nodes) touch y = 0 where they are planted (a low quantile over the frames);
//   planted    where the rig's proportions differ from the model's, its feet would slide where
//              the model's are planted: a planted ankle is pinned where the rig's ankle stood
//              when it touched down, and the whole body is shifted across the floor by the pinned
//              feet's mean offset from their pins (held while no foot is down). Bones keep their
//              directions; heights are not shifted.
#pragma once
#include "motion/feature_layout.hpp"
#include <array>
#include <optional>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "animation/character_rig.hpp"
#include "motion/joint_map.hpp"
#include "motion/skeleton.hpp"

namespace mogo {

struct RigMotion {
  torch::Tensor root_translation;  // [T,3] the root joint's translation in the frame above it (file units)
  torch::Tensor rotations;         // [T,J,4] every rig joint's local rotation (w,x,y,z)
  torch::Tensor positions;         // [T,J,3] every rig joint's world position (file units scaled by what is above)
  double fps = kHumanML3DFps;
  int64_t frames() const { return rotations.size(0); }
};

struct RetargetOptions {
  bool plant_feet = true;  // the body is shifted so that planted feet stay where they touched down
};

class Retargeter {
 public:
  Retargeter(CharacterRig rig, const Skeleton& model, JointMap map, RetargetOptions o = {});

  // joints: [T,J,3] metres, Y up, of the model's skeleton. The first call fixes the floor (from
  // the lower ankle's height over its frames); later calls, a stream's next frames, keep it.
  RigMotion apply(const torch::Tensor& joints, double fps);

  const CharacterRig& rig() const { return rig_; }
  const JointMap& map() const { return map_; }
  double scale() const { return scale_; }  // rig units per metre of the model's motion
  // {"convention", "scale", "mapped": {rig joint: model joint}, "unmapped": [rig joints],
  //  "unused": [model joints the rig has no joint for]}
  nlohmann::json report() const;

 private:
  struct Aim {
    int64_t target;                 // the next mapped rig joint below
    std::vector<int64_t> path;      // rig joints from the aiming joint to the target's parent
    torch::Tensor rest;             // [n,3] their rest bone vectors, world
  };
  using Vec3 = std::array<double, 3>;
  struct Leg {
    int64_t hip = -1, knee = -1, ankle = -1;  // rig joints
    int64_t toe = -1;                         // rig joint, -1 if the rig has none
    int64_t model_ankle = -1, model_toe = -1;
    bool seen = false, pinned = false;        // a frame seen before; the ankle is pinned
    Vec3 last{}, pin{};                       // the model's ankle on the last frame; the pin
  };
  std::vector<torch::Tensor> solve(const torch::Tensor& X, const std::vector<torch::Tensor>& override_dirs) const;
  torch::Tensor place(const std::vector<torch::Tensor>& D, const torch::Tensor& pelvis) const;
  torch::Tensor target(const torch::Tensor& X, int64_t rig_joint) const;
  // The body's shift [T,3] that keeps planted feet where they touched down, and each leg's pin
  // [T,legs,3] (NaN while not planted). State carries over calls.
  struct Planting {
    torch::Tensor shift, goal;
  };
  Planting plant_feet(const torch::Tensor& X, const torch::Tensor& at, double fps);

  CharacterRig rig_;
  Skeleton model_;
  JointMap map_;
  RetargetOptions o_;
  std::vector<int64_t> model_of_;   // per rig joint: the model joint driving it, -1 for none
  std::vector<std::vector<Aim>> aims_;
  std::vector<Leg> legs_;
  double scale_ = 1.0;
  std::vector<std::pair<int64_t, torch::Tensor>> foot_points_;  // (joint, rest offset from it): the feet's joints and tips
  std::optional<double> lift_;      // added to the rig's heights so that its feet are on y = 0
  double planted_height_ = 0;       // the model's planted ankle height, scaled
  std::optional<double> foot_pitch_;  // added to the model's foot pitch (radians): the rig's flat foot
  Vec3 shift_{};                    // the body's shift on the last frame
};

// The retargeter for a rig file (.bvh, .glb, .gltf) and the model's skeleton: joints mapped by
// `mapping_path` JSON when given, else detected from their names.
Retargeter load_retargeter(const std::string& rig_path, const Skeleton& model, const std::string& mapping_path = "");

// One line for people: "rig <file> (<convention>, <scale> units per metre): drives N of its M
// joints; not driven: a, b, ...; the model's x, y have no joint in the rig".
std::string retarget_summary(const Retargeter& r);

}  // namespace mogo
