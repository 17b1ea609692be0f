// Rotation math on tensors, the one implementation used everywhere in mogo.
// Quaternions are [..., 4] in (w, x, y, z) order, Hamilton product, unit length, and rotate
// column vectors: v' = q v q^-1. Matrices are [..., 3, 3] acting on column vectors.
// The continuous 6-D rotation (Zhou et al. 2019) is the first two matrix columns [c0, c1].
#pragma once
#include <string>

#include <torch/torch.h>

namespace mogo::rot {

torch::Tensor cross3(const torch::Tensor& a, const torch::Tensor& b);  // [...,3], broadcasting
torch::Tensor qmul(const torch::Tensor& q, const torch::Tensor& r);   // [...,4] x [...,4]
torch::Tensor qinv(const torch::Tensor& q);                           // conjugate (unit q)
torch::Tensor qnormalize(const torch::Tensor& q);
torch::Tensor qrot(const torch::Tensor& q, const torch::Tensor& v);   // [...,4], [...,3] -> [...,3]
// Shortest-arc rotation taking direction v0 onto direction v1 ([...,3] each, any length).
torch::Tensor qbetween(const torch::Tensor& v0, const torch::Tensor& v1);
torch::Tensor qidentity(at::IntArrayRef batch, const torch::TensorOptions& opts);  // [batch..., 4]
// q^t for t in [0,1]: the same axis, t times the angle (the short way): slerp from identity to q.
torch::Tensor qpow(const torch::Tensor& q, double t);
// The rotation R [T,3,3] minimising sum_k |R a_k - b_k|^2 (Kabsch, no reflections): a [K,3], b [T,K,3].
torch::Tensor kabsch(const torch::Tensor& a, const torch::Tensor& b);

// Rotation about a unit axis by angle (radians): axis [...,3], angle [...] -> [...,4].
torch::Tensor quat_from_axis_angle(const torch::Tensor& axis, const torch::Tensor& angle);

torch::Tensor quat_to_matrix(const torch::Tensor& q);       // [...,4] -> [...,3,3]
torch::Tensor matrix_to_quat(const torch::Tensor& m);       // [...,3,3] -> [...,4], w >= 0
torch::Tensor quat_to_cont6d(const torch::Tensor& q);       // [...,4] -> [...,6]
torch::Tensor cont6d_to_matrix(const torch::Tensor& c6);    // [...,6] -> [...,3,3] (Gram-Schmidt)
torch::Tensor cont6d_to_quat(const torch::Tensor& c6);      // [...,6] -> [...,4]

// Euler angles in degrees with an axis order as written in BVH CHANNELS (e.g. "ZXY"): the
// rotation is R = R_first * R_second * R_third (intrinsic), so "ZXY" means Rz * Rx * Ry.
torch::Tensor euler_to_quat(const torch::Tensor& degrees, const std::string& order);  // [...,3]
// The same product over any axes, repeats allowed (a BVH joint's rotation channels as
// the file lists them): degrees [...,n] -> [...,4].
torch::Tensor axes_to_quat(const torch::Tensor& degrees, const std::string& axes);
// Inverse for any of the six orders; angles in degrees, [...,3,3] -> [...,3] in `order`.
torch::Tensor matrix_to_euler(const torch::Tensor& m, const std::string& order);
// Makes a sequence of Euler angles [T,3] (degrees) continuous: per frame, of the two triplets
// that give the same rotation, (a, b, c) and (a + 180, 180 - b, c + 180), each channel shifted by
// whole turns to the nearest of the previous frame, the one closer to the previous frame.
// No channel then moves by more than 180 degrees between frames.
torch::Tensor unwrap_euler(const torch::Tensor& degrees);

}  // namespace mogo::rot
