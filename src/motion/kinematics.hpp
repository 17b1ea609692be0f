// HumanML3D's inverse and forward kinematics over kinematic chains.
// Convention (as in the public dataset code): each chain starts from the root rotation, so a
// joint's global rotation is root * local_1 * ... * local_k along its chain; inverse kinematics
// picks, per bone, the shortest-arc rotation from the rest direction to the observed bone.
#pragma once
#include <torch/torch.h>

#include "motion/skeleton.hpp"

namespace mogo {

// Facing direction per frame (horizontal, NOT unit length): cross(up, across / |across|) where
// `across` comes from the hips and shoulders. joints: [T,J,3] -> [T,3].
torch::Tensor facing_direction(const torch::Tensor& joints, const Skeleton& skel, bool ik_convention);

// Gaussian smoothing along dim 0 with scipy.ndimage.gaussian_filter1d's rules (truncate 4 sigma,
// 'nearest' edges). x: [T,C] -> [T,C].
torch::Tensor gaussian_smooth(const torch::Tensor& x, double sigma);

// joints: [T,J,3] -> local rotations [T,J,4]; [.,0] maps the facing direction onto +Z.
// smooth_forward: smooth the facing with sigma 20 frames before computing the root rotation.
torch::Tensor inverse_kinematics(const torch::Tensor& joints, const Skeleton& skel, bool smooth_forward);

// quats: [T,J,4], root_pos: [T,3], offsets: [J,3] bone vectors -> joints [T,J,3].
torch::Tensor forward_kinematics(const torch::Tensor& quats, const torch::Tensor& root_pos,
                                 const torch::Tensor& offsets, const Skeleton& skel);

}  // namespace mogo
