#include "motion/kinematics.hpp"

#include <cmath>

#include "motion/quaternion.hpp"

namespace mogo {

using torch::indexing::Slice;

torch::Tensor facing_direction(const torch::Tensor& joints, const Skeleton& skel, bool ik_convention) {
  const auto& f = skel.face_joints;  // r_hip, l_hip, r_shoulder, l_shoulder
  auto j = [&](int64_t i) { return joints.select(-2, i); };
  auto hips = (ik_convention && skel.humanml3d_facing_quirk) ? j(f[1]) - j(f[0]) : j(f[0]) - j(f[1]);
  auto across = hips + (j(f[2]) - j(f[3]));
  across = across / across.norm(2, -1, true);
  auto up = torch::tensor({0.0, 1.0, 0.0}, joints.options()).expand_as(across);
  // Not normalised: HumanML3D smooths this vector before normalising, so its length (the
  // horizontal part of `across`) weights the smoothing.
  return rot::cross3(up, across);
}

torch::Tensor gaussian_smooth(const torch::Tensor& x, double sigma) {
  const int64_t radius = static_cast<int64_t>(4.0 * sigma + 0.5);
  const int64_t T = x.size(0);
  auto k = torch::arange(-radius, radius + 1, x.options());
  auto weights = torch::exp(-0.5 * k * k / (sigma * sigma));
  weights = weights / weights.sum();
  // 'nearest' padding: clamp indices into [0, T-1].
  auto idx = torch::clamp(torch::arange(-radius, T + radius, torch::kLong), 0, T - 1);
  auto padded = x.index_select(0, idx).t().unsqueeze(1);  // [C,1,T+2r]
  auto out = torch::conv1d(padded, weights.view({1, 1, -1}));
  return out.squeeze(1).t().contiguous();
}

torch::Tensor inverse_kinematics(const torch::Tensor& joints, const Skeleton& skel, bool smooth_forward) {
  const int64_t T = joints.size(0);
  auto forward = facing_direction(joints, skel, /*ik_convention=*/true);
  if (smooth_forward) forward = gaussian_smooth(forward, 20.0);
  forward = forward / forward.norm(2, -1, true);
  auto target = torch::tensor({0.0, 0.0, 1.0}, joints.options()).expand_as(forward);
  auto root_quat = rot::qbetween(forward, target);  // [T,4]
  // The first frame's root rotation is identity, as in the released HumanML3D features (a line
  // since commented out upstream): recover_from_ric starts from identity, so this is what makes
  // features -> joints give back the normalised motion itself rather than a rotated copy.
  root_quat[0] = rot::qidentity({}, joints.options());

  auto quats = torch::zeros({T, skel.num_joints(), 4}, joints.options());
  quats.select(1, 0).copy_(root_quat);
  auto raw = skel.raw_offsets.to(joints.options());
  for (const auto& chain : skel.chains) {
    auto R = root_quat;
    for (size_t k = 0; k + 1 < chain.size(); ++k) {
      auto u = raw[chain[k + 1]].expand({T, 3});
      auto v = joints.select(1, chain[k + 1]) - joints.select(1, chain[k]);
      v = v / v.norm(2, -1, true);
      auto R_loc = rot::qmul(rot::qinv(R), rot::qbetween(u, v));
      quats.select(1, chain[k + 1]).copy_(R_loc);
      R = rot::qmul(R, R_loc);
    }
  }
  return quats;
}

torch::Tensor forward_kinematics(const torch::Tensor& quats, const torch::Tensor& root_pos,
                                 const torch::Tensor& offsets, const Skeleton& skel) {
  const int64_t T = quats.size(0);
  auto off = offsets.to(quats.options());
  std::vector<torch::Tensor> out(skel.num_joints());
  out[0] = root_pos.to(quats.options());
  for (const auto& chain : skel.chains) {
    auto R = quats.select(1, 0);
    for (size_t k = 1; k < chain.size(); ++k) {
      R = rot::qmul(R, quats.select(1, chain[k]));
      out[chain[k]] = rot::qrot(R, off[chain[k]].expand({T, 3})) + out[chain[k - 1]];
    }
  }
  return torch::stack(out, 1);
}

}  // namespace mogo
