#include "motion/features.hpp"

#include <numeric>

#include "common/error.hpp"
#include "motion/kinematics.hpp"
#include "motion/quaternion.hpp"

namespace mogo {

using torch::indexing::None;
using torch::indexing::Slice;

namespace {

// Sum over xyz of squared per-frame displacement < threshold  ->  1.0 (contact) else 0.0.
// positions: [T,J,3] -> [T-1, 2]
torch::Tensor foot_contacts(const torch::Tensor& positions, const std::array<int64_t, 2>& feet, double threshold) {
  auto idx = torch::tensor({feet[0], feet[1]}, torch::kLong);
  auto p = positions.index_select(1, idx);
  auto d2 = (p.index({Slice(1, None)}) - p.index({Slice(None, -1)})).pow(2).sum(-1);
  return (d2 < threshold).to(positions.scalar_type());
}

}  // namespace

torch::Tensor uniform_skeleton(const torch::Tensor& joints, const Skeleton& skel) {
  auto src_offsets = skel.offsets_from_pose(joints[0]);
  auto tgt_offsets = skel.target_offsets.to(torch::kDouble);
  auto leg = [&](const torch::Tensor& off) {
    return off[skel.leg_joints[0]].abs().max().item<double>() + off[skel.leg_joints[1]].abs().max().item<double>();
  };
  double src_leg = leg(src_offsets);
  require(src_leg > 1e-8, "motion has zero leg length in its first frame (joints collapsed?)");
  double scale = leg(tgt_offsets) / src_leg;
  auto quats = inverse_kinematics(joints, skel, /*smooth_forward=*/false);
  return forward_kinematics(quats, joints.select(1, 0) * scale, tgt_offsets, skel);
}

namespace {

// Why inverse kinematics produced NaN: a bone of zero length, or a facing that cannot be read
// (hips and shoulders collinear), named with its frame.
std::string non_finite_reason(const torch::Tensor& positions, const Skeleton& skel) {
  for (int64_t j = 1; j < skel.num_joints(); ++j) {
    const auto len = (positions.select(1, j) - positions.select(1, skel.parents[j])).norm(2, -1);  // [T]
    const int64_t t = len.argmin().item<int64_t>();
    if (len[t].item<double>() < 1e-9)
      return "extract_features: bone '" + skel.joint_names[skel.parents[j]] + "' -> '" + skel.joint_names[j] +
             "' has zero length in frame " + std::to_string(t) + ": no rotation can be read off it (map the joint to another one)";
  }
  return "extract_features: the features hold NaN (the facing cannot be read: hips and shoulders coincide?)";
}

}  // namespace

FeatureResult extract_features(const torch::Tensor& input, const Skeleton& skel) {
  const int64_t J = skel.num_joints();
  require(input.dim() == 3 && input.size(1) == J && input.size(2) == 3,
          "extract_features: joints must be [T," + std::to_string(J) + ",3], got " + c10::str(input.sizes()));
  require(input.size(0) >= 2, "extract_features: need at least 2 frames, got " + std::to_string(input.size(0)));
  auto positions = input.to(torch::kDouble);
  require(torch::isfinite(positions).all().item<bool>(), "extract_features: joints contain NaN or infinity");
  const int64_t T = positions.size(0);

  if (skel.target_offsets.defined()) positions = uniform_skeleton(positions, skel);

  // Floor at y = 0 (lowest joint over the whole clip).
  positions = positions.clone();
  positions.select(2, 1).sub_(positions.select(2, 1).min());

  // Root XZ of frame 0 at the origin.
  auto root_init = positions[0][0].clone();
  root_init[1] = 0.0;
  positions = positions - root_init;

  // Face +Z in frame 0.
  auto forward_init = facing_direction(positions[0].unsqueeze(0), skel, /*ik_convention=*/false);
  forward_init = forward_init / forward_init.norm(2, -1, true);
  auto z = torch::tensor({{0.0, 0.0, 1.0}}, positions.options());
  auto root_quat_init = rot::qbetween(forward_init, z);  // [1,4]
  positions = rot::qrot(root_quat_init.view({1, 1, 4}), positions);
  auto global_positions = positions.clone();

  auto feet_l = foot_contacts(positions, skel.feet_left, skel.foot_velocity_threshold);
  auto feet_r = foot_contacts(positions, skel.feet_right, skel.foot_velocity_threshold);

  auto quats = inverse_kinematics(positions, skel, /*smooth_forward=*/true);
  auto cont6d = rot::quat_to_cont6d(quats);  // [T,J,6]
  auto r_rot = quats.select(1, 0);          // [T,4]
  auto root = positions.select(1, 0);
  auto velocity = rot::qrot(r_rot.index({Slice(1, None)}), root.index({Slice(1, None)}) - root.index({Slice(None, -1)}));
  auto r_velocity = rot::qmul(r_rot.index({Slice(1, None)}), rot::qinv(r_rot.index({Slice(None, -1)})));
  // q and -q are the same rotation, but asin(y) below reads the half-angle only for w >= 0.
  // HumanML3D skips this, so its features break when the heading crosses 180 degrees (the root
  // quaternion flips sign); motions that never cross it are unchanged.
  r_velocity = torch::where(r_velocity.index({Slice(), Slice(0, 1)}) < 0, -r_velocity, r_velocity);

  // Root-relative positions in the root's facing frame ("rifke").
  auto root_xz = root.clone();
  root_xz.select(1, 1).zero_();
  auto local = rot::qrot(r_rot.unsqueeze(1), positions - root_xz.unsqueeze(1));

  auto root_y = local.select(1, 0).index({Slice(), Slice(1, 2)});          // [T,1]
  auto rot_vel = torch::asin(r_velocity.index({Slice(), Slice(2, 3)}));    // [T-1,1] half-angle about Y
  auto lin_vel = velocity.index({Slice(), torch::tensor({0, 2})});          // [T-1,2]
  auto ric = local.index({Slice(), Slice(1, None)}).reshape({T, -1});
  auto rot6d = cont6d.index({Slice(), Slice(1, None)}).reshape({T, -1});
  auto local_vel = rot::qrot(r_rot.index({Slice(None, -1)}).unsqueeze(1),
                             global_positions.index({Slice(1, None)}) - global_positions.index({Slice(None, -1)}))
                       .reshape({T - 1, -1});
  auto head = Slice(None, -1);
  // Each quantity goes where FeatureLayout puts it; a piece of another width is a bug here.
  const FeatureLayout L(J);
  auto features = torch::empty({T - 1, L.dim()}, positions.options());
  const std::pair<Slice1D, torch::Tensor> parts[] = {
      {L.root_rot_velocity(), rot_vel},     {L.root_linear_velocity(), lin_vel}, {L.root_height(), root_y.index({head})},
      {L.ric(), ric.index({head})},         {L.rot6d(), rot6d.index({head})},    {L.local_velocity(), local_vel},
      {L.foot_contacts(), torch::cat({feet_l, feet_r}, 1)}};
  for (const auto& [slice, part] : parts) {
    require(part.size(1) == slice.size, "extract_features: a piece of width " + std::to_string(part.size(1)) +
                                            " where the layout holds " + std::to_string(slice.size));
    features.narrow(1, slice.begin, slice.size).copy_(part);
  }
  if (!torch::isfinite(features).all().item<bool>()) throw Error(non_finite_reason(positions, skel));
  return {features.to(torch::kFloat), global_positions};
}

namespace {
// Heading angle per frame: start.angle + cumsum of the angular velocity shifted by one frame. [...,T]
torch::Tensor root_angles(const torch::Tensor& features, const RootState& start) {
  auto rot_vel = features.select(-1, FeatureLayout::root_rot_velocity().begin).to(torch::kDouble);
  auto ang = torch::zeros_like(rot_vel);
  ang.index_put_({torch::indexing::Ellipsis, Slice(1, None)}, rot_vel.index({torch::indexing::Ellipsis, Slice(None, -1)}));
  return torch::cumsum(ang, -1) + start.angle;
}

torch::Tensor y_rotation(const torch::Tensor& ang) {
  auto zeros = torch::zeros_like(ang);
  return torch::stack({torch::cos(ang), zeros, torch::sin(ang), zeros}, -1);
}

// Root positions [...,T,3]: start + cumsum of the XZ velocities (shifted by one frame) rotated
// back to world axes by R_t^-1, and the height as given. data: double features.
torch::Tensor root_positions(const torch::Tensor& data, const torch::Tensor& r_rot, const RootState& start) {
  auto pos_shape = data.select(-1, 0).sizes().vec();  // [...,T,3]
  pos_shape.push_back(3);
  auto r_pos = torch::zeros(pos_shape, data.options());
  auto prev = Slice(None, -1);
  const int64_t vx = FeatureLayout::root_linear_velocity().begin, vz = vx + 1;
  r_pos.index_put_({torch::indexing::Ellipsis, Slice(1, None), 0}, data.index({torch::indexing::Ellipsis, prev, vx}));
  r_pos.index_put_({torch::indexing::Ellipsis, Slice(1, None), 2}, data.index({torch::indexing::Ellipsis, prev, vz}));
  r_pos = torch::cumsum(rot::qrot(rot::qinv(r_rot), r_pos), -2);
  r_pos.select(-1, 0).add_(start.x);
  r_pos.select(-1, 2).add_(start.z);
  r_pos.index_put_({torch::indexing::Ellipsis, 1}, data.select(-1, FeatureLayout::root_height().begin));
  return r_pos;
}
}  // namespace

torch::Tensor recover_root_rotation(const torch::Tensor& features, const RootState& start) {
  return y_rotation(root_angles(features, start));  // q = (cos a, 0, sin a, 0)
}

torch::Tensor recover_root_positions(const torch::Tensor& features, const RootState& start) {
  auto data = features.to(torch::kDouble);
  return root_positions(data, recover_root_rotation(data, start), start);
}

RootState root_state_after(const torch::Tensor& features, const RootState& start) {
  require(features.dim() == 2 && features.size(0) > 0, "root_state_after: features must be [T>0,D]");
  auto data = features.to(torch::kDouble);
  auto last = data[-1];
  auto angles = root_angles(data, start);
  const int64_t yaw = FeatureLayout::root_rot_velocity().begin, vx = FeatureLayout::root_linear_velocity().begin;
  auto ang = angles[-1].item<double>() + last[yaw].item<double>();
  // p[T] = p[T-1] + R_T^-1 (vx, 0, vz)_{T-1}: the same step recover_from_ric integrates.
  auto r_pos = root_positions(data, y_rotation(angles), start)[-1];
  auto step = rot::qrot(rot::qinv(y_rotation(torch::tensor(ang, torch::kDouble))),
                        torch::tensor({last[vx].item<double>(), 0.0, last[vx + 1].item<double>()}, torch::kDouble));
  return {ang, r_pos[0].item<double>() + step[0].item<double>(), r_pos[2].item<double>() + step[2].item<double>()};
}

torch::Tensor recover_all_frames(const torch::Tensor& features, int64_t J) {
  require(features.dim() == 2, "recover_all_frames: features must be [T,D], got " + c10::str(features.sizes()));
  auto joints = recover_from_ric(features, J).to(torch::kDouble);
  auto r_rot = recover_root_rotation(features);
  auto v = FeatureLayout(J).local_velocity();
  auto last_vel = features[-1].slice(0, v.begin, v.end()).to(torch::kDouble).view({J, 3});
  // local_vel[t] = R_t (p[t+1] - p[t])  =>  p[T] = p[T-1] + R_{T-1}^-1 local_vel[T-1]
  auto next = joints[-1] + rot::qrot(rot::qinv(r_rot[-1]), last_vel);
  return torch::cat({joints, next.unsqueeze(0)}, 0).to(features.scalar_type() == torch::kDouble ? torch::kDouble : torch::kFloat);
}

namespace {
// Joints (indices >= 1) placed in the world: root-relative positions rotated back by the root's
// heading, plus the root's ground position. data: [...,T,D] double -> [...,T,n,3].
torch::Tensor place_joints(const torch::Tensor& data, int64_t J, const torch::Tensor& index, const torch::Tensor& r_rot,
                           const torch::Tensor& r_pos) {
  auto ric = FeatureLayout(J).ric();
  auto pos = data.index({torch::indexing::Ellipsis, Slice(ric.begin, ric.end())});
  auto shape = pos.sizes().vec();
  shape.back() = J - 1;
  shape.push_back(3);
  pos = pos.reshape(shape);
  if (index.defined()) pos = pos.index_select(-2, (index - 1).to(pos.device()));
  pos = rot::qrot(rot::qinv(r_rot).unsqueeze(-2), pos);
  auto offset = torch::stack({r_pos.select(-1, 0), torch::zeros_like(r_pos.select(-1, 0)), r_pos.select(-1, 2)}, -1).unsqueeze(-2);
  return pos + offset;
}

torch::Tensor as_input_type(const torch::Tensor& x, const torch::Tensor& input) {
  return x.to(input.scalar_type() == torch::kDouble ? torch::kDouble : torch::kFloat);
}

void require_features(const torch::Tensor& data, int64_t J, const char* who) {
  const FeatureLayout L(J);
  require(data.dim() >= 2 && data.size(-1) == L.dim(), std::string(who) + ": features must be [...,T," + std::to_string(L.dim()) +
                                                           "] for " + std::to_string(J) + " joints, got " + c10::str(data.sizes()));
}
}  // namespace

torch::Tensor recover_from_ric(const torch::Tensor& data_in, int64_t J, const RootState& start) {
  require_features(data_in, J, "recover_from_ric");
  auto data = data_in.to(torch::kDouble);
  auto r_rot = recover_root_rotation(data, start);  // [...,T,4]
  auto r_pos = root_positions(data, r_rot, start);
  auto pos = place_joints(data, J, {}, r_rot, r_pos);
  return as_input_type(torch::cat({r_pos.unsqueeze(-2), pos}, -2), data_in);
}

torch::Tensor recover_joints(const torch::Tensor& data_in, int64_t J, const std::vector<int64_t>& joints) {
  require_features(data_in, J, "recover_joints");
  for (auto j : joints) require(j >= 1 && j < J, "recover_joints: joint index " + std::to_string(j) + " outside [1," + std::to_string(J) + ")");
  auto data = data_in.to(torch::kDouble);
  auto r_rot = recover_root_rotation(data);
  auto r_pos = root_positions(data, r_rot, {});
  return as_input_type(place_joints(data, J, torch::tensor(joints, torch::kLong), r_rot, r_pos), data_in);
}

torch::Tensor mirror_joints(const torch::Tensor& joints, const std::vector<int64_t>& mirror_of) {
  auto idx = torch::tensor(mirror_of, torch::kLong);
  auto out = joints.index_select(1, idx).clone();
  out.select(2, 0).neg_();
  return out;
}

std::vector<int64_t> mirror_map(const Skeleton& skel) {
  const int64_t J = skel.num_joints();
  std::vector<int64_t> map(J);
  auto swap_name = [](const std::string& n) -> std::string {
    auto ends = [&](const std::string& s) { return n.size() > s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0; };
    auto starts = [&](const std::string& s) { return n.rfind(s, 0) == 0 && n.size() > s.size(); };
    if (ends("_L")) return n.substr(0, n.size() - 2) + "_R";
    if (ends("_R")) return n.substr(0, n.size() - 2) + "_L";
    if (starts("left_")) return "right_" + n.substr(5);
    if (starts("right_")) return "left_" + n.substr(6);
    if (starts("Left")) return "Right" + n.substr(4);
    if (starts("Right")) return "Left" + n.substr(5);
    if (n.size() >= 2 && (n[0] == 'L' || n[0] == 'R') && isupper(static_cast<unsigned char>(n[1])))
      return std::string(1, n[0] == 'L' ? 'R' : 'L') + n.substr(1);
    return n;
  };
  for (int64_t i = 0; i < J; ++i) {
    map[i] = i;
    std::string other = swap_name(skel.joint_names[i]);
    for (int64_t k = 0; k < J; ++k)
      if (skel.joint_names[k] == other) map[i] = k;
  }
  return map;
}

torch::Tensor joint_jerk(const torch::Tensor& features, int64_t joints) {
  std::vector<int64_t> others(static_cast<size_t>(joints - 1));
  std::iota(others.begin(), others.end(), 1);
  auto world = torch::cat({recover_root_positions(features).unsqueeze(-2), recover_joints(features, joints, others)}, -2);
  const int64_t t = world.dim() - 3;  // the time axis
  return world.diff(1, t).diff(1, t).diff(1, t);
}

}  // namespace mogo
