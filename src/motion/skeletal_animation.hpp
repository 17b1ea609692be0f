// Joint positions -> a rotation-only skeletal animation (what BVH and glTF tools retarget from):
// fixed bone offsets, the root's translation, and one local rotation per joint per frame, solved so
// that forward kinematics reproduces every joint.
//
//   bone lengths   the median over frames of each bone's length;
//   rest pose      the skeleton's own rest directions (raw_offsets: a T-pose-like layout) scaled to
//                  those lengths, except that the children of a joint with several children
//                  (pelvis, chest) keep their real layout (from the first frame), turned as a whole
//                  to best fit the rest directions: that layout is rigid in any FK skeleton;
//   rotations      aimed from each joint's forward-kinematics position (so that the residual of
//                  a non-rigid motion does not pile up along chains);
//                  joints with several children: the best-fit (Kabsch, SVD) rotation of the rest
//                  layout onto the observed child bones; one child: the shortest arc from the rest
//                  direction to the bone seen in the parent's frame (no twist relative to the
//                  parent, so it stays continuous); leaves: the parent's rotation.
// For motion that a rigid skeleton can perform (mocap, HumanML3D data) FK is exact to rounding;
// for generated motion the residual is the variation of its bone lengths and layouts.
#pragma once
#include "motion/feature_layout.hpp"
#include <torch/torch.h>

#include "motion/skeleton.hpp"

namespace mogo {

struct SkeletalAnimation {
  Skeleton skeleton;
  torch::Tensor offsets;         // [J,3] metres: each joint's rest translation from its parent (root: 0)
  torch::Tensor root_positions;  // [T,3] metres
  torch::Tensor rotations;       // [T,J,4] local rotations (w,x,y,z); the rest pose is all identity
  double fps = kHumanML3DFps;
  int64_t frames() const { return rotations.size(0); }
};

// joints: [T,J,3] metres, Y up. Errors name a wrong shape or non-finite values.
SkeletalAnimation solve_animation(const torch::Tensor& joints, const Skeleton& skel, double fps = kHumanML3DFps);

// Frame rates mogo reads and writes: [0.1, 1000] fps. Outside it a file's frame time is either
// huge or rounds to 0 in a BVH header, which no importer (mogo's included) accepts.
constexpr double kMinFps = 0.1, kMaxFps = 1000.0;  // (the message below names them)
// Throws Error "<what> must be in [0.1, 1000] fps, got <fps>".
void require_frame_rate(double fps, const std::string& what);

// Joint positions are metres on a human scale: beyond 10 km from the origin they are a unit or
// data error, and squares of them (bone lengths, rotations) overflow.
constexpr double kMaxPositionMetres = 1e4;
// Throws Error "<what>: joint positions hold NaN or infinite values" / "... reach X m; ...".
void require_positions_in_range(const torch::Tensor& joints, const std::string& what);

// Global joint positions [T,J,3] of an animation.
torch::Tensor forward_kinematics(const SkeletalAnimation& a);
// How far forward kinematics of `a` lands from `joints` [T,J,3]: mean and max over joints and frames (metres).
struct FitError {
  double mean = 0, max = 0;
};
FitError fit_error(const SkeletalAnimation& a, const torch::Tensor& joints);

// Global joint rotations [T,J,4].
torch::Tensor global_rotations(const SkeletalAnimation& a);

// Children of every joint, in joint order; every joint in an order that puts parents first.
std::vector<std::vector<int64_t>> children_of(const Skeleton& skel);
std::vector<int64_t> parents_first(const Skeleton& skel);

}  // namespace mogo
