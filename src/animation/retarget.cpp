#include "animation/retarget.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include "animation/two_bone_ik.hpp"
#include "common/error.hpp"
#include "motion/quaternion.hpp"

namespace mogo {

namespace {

constexpr int kSplitIterations = 4;  // a shared turn's correction converges in 2-3 on human spines
// A model ankle is planted while it moves slower than this across the floor (m/s) and stands
// less than this above its planted height (m).
constexpr double kPlantedSpeed = 0.2, kPlantedHeight = 0.05;
// A model foot is flat while its ankle stands less than this above its planted height (m).
constexpr double kFlatHeight = 0.02;

double leg_length(const torch::Tensor& P, int64_t hip, int64_t knee, int64_t ankle) {
  return ((P[knee] - P[hip]).norm() + (P[ankle] - P[knee]).norm()).item<double>();
}

}  // namespace

Retargeter::Retargeter(CharacterRig rig, const Skeleton& model, JointMap map, RetargetOptions o)
    : rig_(std::move(rig)), model_(model), map_(std::move(map)), o_(o) {
  const int64_t J = rig_.num_joints();
  require(static_cast<int64_t>(map_.rig_of.size()) == model_.num_joints(), "joint map: one entry per model joint needed");
  model_of_.assign(J, -1);
  for (int64_t m = 0; m < model_.num_joints(); ++m) {
    const int64_t r = map_.rig_of[m];
    if (r < 0) continue;
    require(r < J, "joint map: rig joint " + std::to_string(r) + " does not exist");
    if (model_of_[r] >= 0)
      throw Error(rig_.path + ": rig joint '" + rig_.names[r] + "' is mapped from two model joints ('" + model_.joint_names[model_of_[r]] +
                  "' and '" + model_.joint_names[m] + "')");
    model_of_[r] = m;
  }
  require(map_.rig_of[0] >= 0, rig_.path + ": no rig joint for the model's root '" + model_.joint_names[0] + "' (the hips)");
  // The body hangs from the hips: joints above them (a root at the floor, an armature bone) follow
  // the hips and must not be driven themselves.
  for (int64_t a = rig_.parents[map_.rig_of[0]]; a >= 0; a = rig_.parents[a])
    if (model_of_[a] >= 0)
      throw Error(rig_.path + ": rig joint '" + rig_.names[a] + "' (for '" + model_.joint_names[model_of_[a]] + "') is above the hips ('" +
                  rig_.names[map_.rig_of[0]] + "'); the hips must be the highest joint driven");
  // Aims: from each mapped joint, down through unmapped joints to the next mapped ones.
  const auto children = rig_.children();
  const auto& P = rig_.rest_position;
  aims_.resize(J);
  for (int64_t j = 0; j < J; ++j) {
    if (model_of_[j] < 0) continue;
    std::function<void(int64_t, std::vector<int64_t>)> walk = [&](int64_t at, std::vector<int64_t> path) {
      path.push_back(at);
      for (int64_t c : children[at]) {
        if (model_of_[c] >= 0) {
          Aim a{c, path, {}};
          std::vector<torch::Tensor> rest;
          for (size_t i = 0; i < path.size(); ++i) rest.push_back(P[i + 1 < path.size() ? path[i + 1] : c] - P[path[i]]);
          a.rest = torch::stack(rest);
          aims_[j].push_back(std::move(a));
        } else {
          walk(c, path);
        }
      }
    };
    walk(j, {});
  }
  // Legs, scale and the sole.
  double rig_legs = 0, model_legs = 0;
  for (const auto& feet : {model_.feet_left, model_.feet_right}) {
    const int64_t ankle = feet[0], knee = model_.parents[ankle], hip = knee >= 0 ? model_.parents[knee] : -1;
    require(hip >= 0, "skeleton '" + model_.name + "': no hip and knee above the ankle");
    Leg leg;
    leg.hip = map_.rig_of[hip];
    leg.knee = map_.rig_of[knee];
    leg.ankle = map_.rig_of[ankle];
    leg.model_ankle = ankle;
    leg.model_toe = feet[1];
    leg.toe = map_.rig_of[feet[1]];
    require(leg.hip >= 0 && leg.knee >= 0 && leg.ankle >= 0, rig_.path + ": the rig needs a hip, knee and ankle joint on both legs (mapped from '" +
                                                                 model_.joint_names[hip] + "', '" + model_.joint_names[knee] + "', '" +
                                                                 model_.joint_names[ankle] + "')");
    rig_legs += leg_length(P, leg.hip, leg.knee, leg.ankle);
    model_legs += model_.target_offsets.defined()
                      ? (model_.target_offsets[knee].norm() + model_.target_offsets[ankle].norm()).item<double>()
                      : 0.0;
    // The foot's points: its joints and their tips, as offsets from their joint at rest.
    std::function<void(int64_t)> down = [&](int64_t f) {
      foot_points_.push_back({f, torch::zeros({3}, torch::kDouble)});
      if (!torch::isnan(rig_.rest_tip[f]).any().item<bool>()) foot_points_.push_back({f, rig_.rest_tip[f] - P[f]});
      for (int64_t c : children[f]) down(c);
    };
    down(leg.ankle);
    legs_.push_back(leg);
  }
  require(rig_legs > 0, rig_.path + ": the rig's legs have no length in the rest pose");
  scale_ = model_legs > 0 ? rig_legs / model_legs : 0.0;  // 0: measured on the first motion
}

Retargeter::Planting Retargeter::plant_feet(const torch::Tensor& X, const torch::Tensor& at, double fps) {
  const int64_t T = X.size(0);
  Planting p{torch::zeros({T, 3}, torch::kDouble), torch::full({T, static_cast<int64_t>(legs_.size()), 3}, std::nan(""), torch::kDouble)};
  auto xa = X.accessor<double, 3>();
  auto pa = at.accessor<double, 3>();
  auto sa = p.shift.accessor<double, 2>();
  auto ga = p.goal.accessor<double, 3>();
  // A planted ankle (the model's barely moves across the floor, near its lowest) is pinned where
  // the rig's ankle first stood; the body is shifted across the floor by the pinned feet's mean
  // offset from their pins and keeps the last shift while no foot is down. Heights are the
  // model's, scaled and lifted: they never drift.
  const double step = kPlantedSpeed / fps * scale_, high = planted_height_ + kPlantedHeight * scale_;
  for (int64_t t = 0; t < T; ++t) {
    Vec3 sum{0, 0, 0};
    int planted = 0;
    for (size_t k = 0; k < legs_.size(); ++k) {
      auto& leg = legs_[k];
      const Vec3 model{xa[t][leg.model_ankle][0], xa[t][leg.model_ankle][1], xa[t][leg.model_ankle][2]};
      const Vec3 rig{pa[t][leg.ankle][0], pa[t][leg.ankle][1], pa[t][leg.ankle][2]};
      const bool down = leg.seen && std::hypot(model[0] - leg.last[0], model[2] - leg.last[2]) < step && model[1] < high;
      if (down && !leg.pinned)
        for (int d : {0, 2}) leg.pin[d] = rig[d] + shift_[d];
      leg.pinned = down;
      leg.last = model;
      leg.seen = true;
      if (!down) continue;
      for (int d : {0, 2}) {
        sum[d] += leg.pin[d] - rig[d];
        ga[t][k][d] = leg.pin[d];
      }
      ++planted;
    }
    if (planted)
      for (int d : {0, 2}) shift_[d] = sum[d] / planted;
    for (int d : {0, 2}) sa[t][d] = shift_[d];
  }
  return p;
}

torch::Tensor Retargeter::target(const torch::Tensor& X, int64_t rig_joint) const { return X.select(1, model_of_[rig_joint]); }

std::vector<torch::Tensor> Retargeter::solve(const torch::Tensor& X, const std::vector<torch::Tensor>& override_dirs) const {
  const int64_t J = rig_.num_joints(), T = X.size(0);
  const auto identity = rot::qidentity({T}, X.options());
  std::vector<torch::Tensor> D(J);  // each joint's turn in the world from its rest pose
  for (int64_t j = 0; j < J; ++j) {  // parents come first
    if (D[j].defined()) continue;     // turned by a split above it
    const auto& parent = rig_.parents[j] < 0 ? identity : D[rig_.parents[j]];
    const auto& aims = aims_[j];
    if (aims.empty()) {
      D[j] = parent;
      continue;
    }
    auto bone = [&](const Aim& a) { return target(X, a.target) - target(X, j); };
    if (aims.size() >= 2) {
      std::vector<torch::Tensor> rest, seen;
      for (const auto& a : aims) {
        rest.push_back(a.rest.sum(0));
        seen.push_back(bone(a));
      }
      D[j] = rot::matrix_to_quat(rot::kabsch(torch::stack(rest), torch::stack(seen, 1)));
      continue;
    }
    const Aim& a = aims[0];
    const auto want = override_dirs[j].defined() ? override_dirs[j] : bone(a);
    const int64_t n = static_cast<int64_t>(a.path.size());
    auto E = rot::qbetween(rot::qrot(parent, a.rest.sum(0).expand({T, 3})), want);
    // A split: joint i of the path turns by E^((i+1)/n); E is corrected until the sum of the
    // turned bones points where it should.
    auto share = [&](int64_t i) { return n == 1 ? rot::qmul(E, parent) : rot::qmul(rot::qpow(E, static_cast<double>(i + 1) / n), parent); };
    for (int it = 0; n > 1 && it < kSplitIterations; ++it) {
      auto v = torch::zeros({T, 3}, X.options());
      for (int64_t i = 0; i < n; ++i) v += rot::qrot(share(i), a.rest[i].expand({T, 3}));
      E = rot::qmul(rot::qbetween(v, want), E);
    }
    for (int64_t i = 0; i < n; ++i) D[a.path[i]] = share(i);
  }
  return D;
}

torch::Tensor Retargeter::place(const std::vector<torch::Tensor>& D, const torch::Tensor& pelvis) const {
  const int64_t J = rig_.num_joints();
  const auto& P = rig_.rest_position;
  // Joints above the hips are unmapped, hence unturned: the root is where the hips put it.
  std::vector<torch::Tensor> at(J);
  at[0] = pelvis - (P[map_.rig_of[0]] - P[0]);
  for (int64_t j = 1; j < J; ++j) {
    const int64_t p = rig_.parents[j];
    at[j] = at[p] + rot::qrot(D[p], (P[j] - P[p]).expand({pelvis.size(0), 3}));
  }
  return torch::stack(at, 1);
}

RigMotion Retargeter::apply(const torch::Tensor& joints, double fps) {
  require(joints.dim() == 3 && joints.size(1) == model_.num_joints() && joints.size(2) == 3 && joints.size(0) >= 1,
          "retarget: joints must be [T>=1," + std::to_string(model_.num_joints()) + ",3], got " + c10::str(joints.sizes()));
  require(torch::isfinite(joints).all().item<bool>(), "retarget: the motion holds NaN or infinite joint positions");
  auto X = joints.to(torch::kCPU, torch::kDouble);
  const int64_t T = X.size(0), J = rig_.num_joints();
  if (scale_ <= 0) {
    double model_legs = 0, rig_legs = 0;
    for (const auto& feet : {model_.feet_left, model_.feet_right}) {
      const int64_t a = feet[0], k = model_.parents[a], h = model_.parents[k];
      model_legs += ((X.select(1, k) - X.select(1, h)).norm(2, -1).median() + (X.select(1, a) - X.select(1, k)).norm(2, -1).median()).item<double>();
    }
    for (const auto& leg : legs_) rig_legs += leg_length(rig_.rest_position, leg.hip, leg.knee, leg.ankle);
    require(model_legs > 0, "retarget: the motion's legs have no length");
    scale_ = rig_legs / model_legs;
  }
  X = X * scale_;
  auto pitch = [](const torch::Tensor& v) {  // [T,3] -> angle above the floor [T]
    return torch::atan2(v.select(1, 1), torch::hypot(v.select(1, 0), v.select(1, 2)));
  };
  if (!foot_pitch_) {
    // The feet: the model's foot (ankle to toe) stands at its own pitch when flat, the rig's at
    // another; the difference is taken off so that a flat foot stays flat on the rig.
    auto model_ankle = [&](const Leg& l) { return X.select(1, l.model_ankle).select(1, 1); };
    planted_height_ = torch::quantile(torch::minimum(model_ankle(legs_[0]), model_ankle(legs_[1])), 0.1).item<double>();
    std::vector<torch::Tensor> flat;
    double rig_pitch = 0;
    for (const auto& l : legs_) {
      if (l.toe < 0) continue;  // a rig without toes: its feet follow the shins
      auto foot = X.select(1, l.model_toe) - X.select(1, l.model_ankle);
      flat.push_back(pitch(foot).masked_select(model_ankle(l) < planted_height_ + kFlatHeight * scale_));
      rig_pitch += pitch((rig_.rest_position[l.toe] - rig_.rest_position[l.ankle]).unsqueeze(0))[0].item<double>();
    }
    auto all = flat.empty() ? torch::empty({0}, torch::kDouble) : torch::cat(flat);
    foot_pitch_ = all.numel() ? rig_pitch / static_cast<double>(flat.size()) - all.median().item<double>() : 0.0;
  }
  std::vector<torch::Tensor> dirs(J);
  for (const auto& l : legs_) {
    if (l.toe < 0) continue;
    auto v = X.select(1, l.model_toe) - X.select(1, l.model_ankle);
    auto a = pitch(v) + *foot_pitch_, along = torch::hypot(v.select(1, 0), v.select(1, 2)).clamp_min(1e-12), n = v.norm(2, -1);
    dirs[l.ankle] = torch::stack({v.select(1, 0) / along * torch::cos(a) * n, torch::sin(a) * n, v.select(1, 2) / along * torch::cos(a) * n}, 1);
  }
  auto D = solve(X, dirs);
  auto at = place(D, X.select(1, 0));
  if (!lift_) {
    // The floor: a low quantile over frames of the feet's lowest point (joints and tips, posed)
    // is put on y = 0.
    std::vector<torch::Tensor> heights;
    for (const auto& [j, off] : foot_points_) heights.push_back(at.select(1, j).select(1, 1) + rot::qrot(D[j], off.expand({T, 3})).select(1, 1));
    lift_ = -torch::quantile(std::get<0>(torch::stack(heights, 1).min(1)), 0.1).item<double>();
  }
  at.select(2, 1).add_(*lift_);
  if (o_.plant_feet) {
    // The body's shift keeps planted feet at their pins; what the two feet disagree on while
    // both are down is taken up by each leg's two-bone IK (hip fixed, bone lengths kept).
    const auto p = plant_feet(X, at, fps);
    at += p.shift.unsqueeze(1);
    auto pa = at.accessor<double, 3>();
    auto ga = p.goal.accessor<double, 3>();
    for (size_t k = 0; k < legs_.size(); ++k) {
      const auto& leg = legs_[k];
      auto thigh = (at.select(1, leg.knee) - at.select(1, leg.hip)).contiguous(), shin = (at.select(1, leg.ankle) - at.select(1, leg.knee)).contiguous();
      for (int64_t t = 0; t < T; ++t) {
        if (std::isnan(ga[t][k][0])) continue;
        auto v = [&](int64_t j) { return Vec3{pa[t][j][0], pa[t][j][1], pa[t][j][2]}; };
        const auto hip = v(leg.hip);
        const auto r = solve_two_bone(hip, v(leg.knee), v(leg.ankle), {ga[t][k][0], pa[t][leg.ankle][1], ga[t][k][2]});
        for (int d = 0; d < 3; ++d) {
          thigh[t][d] = r.mid[d] - hip[d];
          shin[t][d] = r.end[d] - r.mid[d];
        }
      }
      dirs[leg.hip] = thigh;
      dirs[leg.knee] = shin;
    }
    D = solve(X, dirs);
    at = place(D, X.select(1, 0)) + p.shift.unsqueeze(1);
    at.select(2, 1).add_(*lift_);
  }
  // Local rotations: world rotation = turn * rest world rotation, then relative to the parent.
  std::vector<torch::Tensor> W(J), local(J);
  for (int64_t j = 0; j < J; ++j) {
    W[j] = rot::qmul(D[j], rig_.rest_world_rotation[j].expand({T, 4}));
    const auto parent = rig_.parents[j] < 0 ? rig_.above_rotation.expand({T, 4}) : W[rig_.parents[j]];
    local[j] = rot::qnormalize(rot::qmul(rot::qinv(parent), W[j]));
  }
  RigMotion m;
  m.rotations = torch::stack(local, 1);
  m.root_translation = rot::qrot(rot::qinv(rig_.above_rotation).expand({T, 4}), at.select(1, 0) - rig_.above_translation) / rig_.above_scale;
  m.positions = at;
  m.fps = fps;
  return m;
}

nlohmann::json Retargeter::report() const {
  nlohmann::json mapped = nlohmann::json::object(), unmapped = nlohmann::json::array(), unused = nlohmann::json::array();
  for (int64_t j = 0; j < rig_.num_joints(); ++j) {
    if (model_of_[j] >= 0) mapped[rig_.names[j]] = model_.joint_names[model_of_[j]];
    else unmapped.push_back(rig_.names[j]);
  }
  for (int64_t m = 0; m < model_.num_joints(); ++m)
    if (map_.rig_of[m] < 0) unused.push_back(model_.joint_names[m]);
  return {{"rig", rig_.path}, {"convention", map_.convention}, {"scale", scale_}, {"mapped", mapped}, {"unmapped", unmapped}, {"unused", unused}};
}

Retargeter load_retargeter(const std::string& rig_path, const Skeleton& model, const std::string& mapping_path) {
  auto rig = load_rig(rig_path);
  auto map = mapping_path.empty() ? detect_joint_map(model, rig.names, rig.path) : load_joint_map(mapping_path, model, rig.names);
  return Retargeter(std::move(rig), model, std::move(map));
}

std::string retarget_summary(const Retargeter& r) {
  const auto rep = r.report();
  auto list = [](const nlohmann::json& names) {
    std::string s;
    for (const auto& n : names) s += (s.empty() ? "" : ", ") + n.get<std::string>();
    return s;
  };
  std::string s = "rig " + r.rig().path + " (" + r.map().convention + "): drives " + std::to_string(rep.at("mapped").size()) + " of its " +
                  std::to_string(r.rig().num_joints()) + " joints";
  if (!rep.at("unmapped").empty()) s += "; rest rotation kept: " + list(rep.at("unmapped"));
  if (!rep.at("unused").empty()) s += "; the model's " + list(rep.at("unused")) + " have no joint in the rig";
  return s;
}

}  // namespace mogo
