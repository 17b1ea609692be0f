// The HumanML3D motion representation (Guo et al. 2022): joint positions <-> per-frame features.
#pragma once
#include <torch/torch.h>

#include "motion/skeleton.hpp"

namespace mogo {

struct FeatureResult {
  torch::Tensor features;          // [T-1, D] float32
  torch::Tensor global_positions;  // [T, J, 3] the normalised motion (scaled, on floor, origin, facing +Z)
};

// Rescales a motion to the skeleton's target bone lengths (ratio of leg lengths for the root
// trajectory; IK + FK with target offsets for the pose).  joints: [T,J,3] -> [T,J,3].
torch::Tensor uniform_skeleton(const torch::Tensor& joints, const Skeleton& skel);

// Forward transform, as HumanML3D's process_file: uniform skeleton (when skel.target_offsets is
// set), floor at y=0, root XZ at the origin in frame 0, facing +Z in frame 0, then features.
// joints: [T,J,3] metres, Y up, T >= 2.
FeatureResult extract_features(const torch::Tensor& joints, const Skeleton& skel);

// Where the root stands at a motion's first frame: heading angle about Y (the half angle of
// HumanML3D's quaternion (cos a, 0, sin a, 0)) and ground position. Zero for a whole motion; a
// stream decoded in chunks carries it from one chunk to the next (root_state_after).
struct RootState {
  double angle = 0, x = 0, z = 0;
};

// Inverse transform (HumanML3D's recover_from_ric): integrates root rotation and velocity and
// rotates the root-relative positions back. features: [..., T, D] -> joints [..., T, J, 3].
// start: the root at frame 0 (one state for every row of a batch).
torch::Tensor recover_from_ric(const torch::Tensor& features, int64_t joints, const RootState& start = {});

// The same for a few joints only (indices >= 1, not the root), differentiable: the RVQ-VAE's
// foot-contact loss. features: [..., T, D] -> [..., T, n, 3].
torch::Tensor recover_joints(const torch::Tensor& features, int64_t joints, const std::vector<int64_t>& which);

// Third time difference of every joint's world position (metres per frame^3; x fps^3 for m/s^3),
// differentiable: the RVQ-VAE's jerk loss. features: [..., T, D] -> [..., T-3, J, 3].
torch::Tensor joint_jerk(const torch::Tensor& features, int64_t joints);

// Root rotation per frame implied by the features' angular velocity (pure rotations about Y,
// start.angle at frame 0). features: [..., T, D] -> [..., T, 4].
torch::Tensor recover_root_rotation(const torch::Tensor& features, const RootState& start = {});

// Root joint positions per frame integrated from the features' root channels, differentiable (the
// RVQ-VAE's root-trajectory loss). features: [..., T, D] -> [..., T, 3].
torch::Tensor recover_root_positions(const torch::Tensor& features, const RootState& start = {});

// The root state at the frame after the last of `features` [T,D] that began at `start`: chaining
// recover_from_ric over consecutive chunks with it gives the joints of the whole motion.
RootState root_state_after(const torch::Tensor& features, const RootState& start = {});

// Like recover_from_ric, plus the frame after the last one: the features of frame t hold the
// velocities from t to t+1, so T feature rows describe T+1 poses. This makes joints -> features
// -> joints -> features lossless (the forward transform drops one frame).
// features: [T, D] -> joints [T+1, J, 3].
torch::Tensor recover_all_frames(const torch::Tensor& features, int64_t joints);

// Mirrors a motion left/right (x -> -x and swaps left/right joints), as HumanML3D augments its
// data. joints: [T,J,3]; mirror_of[i] = index of joint i's mirror image.
torch::Tensor mirror_joints(const torch::Tensor& joints, const std::vector<int64_t>& mirror_of);

// Pairs joints named *_L/*_R, left_*/right_*, L*/R* (KIT) for mirroring. Unpaired joints map to themselves.
std::vector<int64_t> mirror_map(const Skeleton& skel);

}  // namespace mogo
