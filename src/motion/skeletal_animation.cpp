#include "motion/skeletal_animation.hpp"

#include <cmath>
#include <cstdio>

#include "common/error.hpp"
#include "motion/quaternion.hpp"

namespace mogo {

std::vector<std::vector<int64_t>> children_of(const Skeleton& skel) {
  std::vector<std::vector<int64_t>> c(skel.num_joints());
  for (int64_t j = 1; j < skel.num_joints(); ++j) c[skel.parents[j]].push_back(j);
  return c;
}

std::vector<int64_t> parents_first(const Skeleton& skel) {
  const auto children = children_of(skel);
  std::vector<int64_t> order{0};
  for (size_t i = 0; i < order.size(); ++i)
    for (auto c : children[order[i]]) order.push_back(c);
  return order;
}

namespace {

// Rest directions of every bone: the skeleton's raw offsets, or +Y where it has none.
torch::Tensor rest_directions(const Skeleton& skel) {
  auto d = skel.raw_offsets.to(torch::kDouble).clone();
  auto n = d.norm(2, -1, true);
  d = torch::where(n > 1e-9, d / n.clamp_min(1e-9), torch::tensor({0.0, 1.0, 0.0}, torch::kDouble).expand_as(d));
  d[0].zero_();
  return d;
}

// Rotations are solved from bone directions: positions past 10 km overflow the SVD's squares,
// and a bone of no length (every joint at one point) has no direction at all.
void require_body(const torch::Tensor& p, const Skeleton& skel) {
  constexpr double kMinBoneMetres = 1e-4;
  require_positions_in_range(p, "joints");
  for (int64_t j = 1; j < skel.num_joints(); ++j) {
    const auto bone = p.select(1, j) - p.select(1, skel.parents[j]);  // [T,3]
    const double length = std::get<0>(bone.norm(2, -1).median(0)).item<double>();
    require(length >= kMinBoneMetres, "the bone to joint '" + skel.joint_names[j] + "' has no length (" + c10::str(length) +
                                          " m); the frames do not hold a body");
  }
}

}  // namespace

void require_positions_in_range(const torch::Tensor& joints, const std::string& what) {
  require(torch::isfinite(joints).all().item<bool>(), what + ": joint positions hold NaN or infinite values");
  const double far = joints.numel() == 0 ? 0.0 : joints.abs().max().item<double>();
  require(far <= kMaxPositionMetres, what + ": joint positions reach " + c10::str(far) + " m from the origin; at most 10 km (are the units right?)");
}

void require_frame_rate(double fps, const std::string& what) {
  if (std::isfinite(fps) && fps >= kMinFps && fps <= kMaxFps) return;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", fps);
  throw Error(what + " must be in [0.1, 1000] fps, got " + buf);
}

SkeletalAnimation solve_animation(const torch::Tensor& joints_in, const Skeleton& skel, double fps) {
  require_frame_rate(fps, "frame rate");
  const int64_t J = skel.num_joints();
  require(joints_in.dim() == 3 && joints_in.size(1) == J && joints_in.size(2) == 3 && joints_in.size(0) >= 1,
          "joints must be [T>=1," + std::to_string(J) + ",3] for skeleton '" + skel.name + "', got " + c10::str(joints_in.sizes()));
  auto p = joints_in.to(torch::kDouble);
  const int64_t T = p.size(0);
  const auto children = children_of(skel);
  auto bone = [&](int64_t j) { return p.select(1, j) - p.select(1, skel.parents[j]); };  // [T,3]
  require_body(p, skel);

  // Rest offsets: rest direction x median length; several children keep their real layout.
  auto offsets = rest_directions(skel);
  for (int64_t j = 1; j < J; ++j) offsets[j] *= std::get<0>(bone(j).norm(2, -1).median(0));
  for (int64_t j = 0; j < J; ++j) {
    if (children[j].size() < 2) continue;
    // The layout: every frame's child bones turned back onto the first frame's (Kabsch) and
    // averaged, then each bone set to its median length: exact for a rigid skeleton, the best
    // rigid stand-in for one that is not (generated motion).
    std::vector<torch::Tensor> seen;
    for (auto c : children[j]) seen.push_back(bone(c));
    auto frames = torch::stack(seen, 1);                                         // [T,K,3]
    auto back = rot::kabsch(frames[0], frames).transpose(-2, -1);                     // R_t^-1 [T,3,3]
    auto real = torch::matmul(frames, back.transpose(-2, -1)).mean(0);           // [K,3]: mean of R_t^-1 b_t
    auto idx = torch::tensor(children[j], torch::kLong);
    real = real / real.norm(2, -1, true).clamp_min(1e-9) * offsets.index_select(0, idx).norm(2, -1, true);
    auto align = rot::kabsch(real, offsets.index_select(0, idx).unsqueeze(0))[0];  // real layout -> rest directions
    offsets.index_copy_(0, idx, torch::matmul(real, align.t()));
  }

  // Global rotations, parents first. Each joint aims its child bones from where forward
  // kinematics has put it (not where the data has it), so that errors of a non-rigid motion do
  // not pile up along a chain: a child lands off by its bone's length change only.
  std::vector<torch::Tensor> G(J), fk(J);
  auto identity = rot::qidentity({T}, p.options());
  for (int64_t j : parents_first(skel)) {
    const auto& parent = j == 0 ? identity : G[skel.parents[j]];
    fk[j] = j == 0 ? p.select(1, 0) : fk[skel.parents[j]] + rot::qrot(parent, offsets[j].expand({T, 3}));
    auto aim = [&](int64_t c) { return p.select(1, c) - fk[j]; };  // [T,3]
    if (children[j].size() >= 2) {
      std::vector<torch::Tensor> seen;
      for (auto c : children[j]) seen.push_back(aim(c));
      auto idx = torch::tensor(children[j], torch::kLong);
      G[j] = rot::matrix_to_quat(rot::kabsch(offsets.index_select(0, idx), torch::stack(seen, 1)));
    } else if (children[j].size() == 1) {
      const int64_t c = children[j][0];
      G[j] = rot::qmul(parent, rot::qbetween(offsets[c].expand({T, 3}), rot::qrot(rot::qinv(parent), aim(c))));
    } else {
      G[j] = parent;
    }
  }
  std::vector<torch::Tensor> local(J);
  for (int64_t j = 0; j < J; ++j) local[j] = j == 0 ? G[0] : rot::qmul(rot::qinv(G[skel.parents[j]]), G[j]);
  SkeletalAnimation a;
  a.skeleton = skel;
  a.offsets = offsets;
  a.root_positions = p.select(1, 0).clone();
  a.rotations = torch::stack(local, 1);
  a.fps = fps;
  return a;
}

torch::Tensor global_rotations(const SkeletalAnimation& a) {
  const int64_t J = a.skeleton.num_joints();
  std::vector<torch::Tensor> G(J);
  for (int64_t j : parents_first(a.skeleton))
    G[j] = j == 0 ? a.rotations.select(1, 0) : rot::qmul(G[a.skeleton.parents[j]], a.rotations.select(1, j));
  return torch::stack(G, 1);
}

torch::Tensor forward_kinematics(const SkeletalAnimation& a) {
  const int64_t J = a.skeleton.num_joints(), T = a.frames();
  auto G = global_rotations(a);
  std::vector<torch::Tensor> p(J);
  for (int64_t j : parents_first(a.skeleton)) {
    if (j == 0) {
      p[j] = a.root_positions;
      continue;
    }
    const int64_t parent = a.skeleton.parents[j];
    p[j] = p[parent] + rot::qrot(G.select(1, parent), a.offsets[j].to(G.dtype()).expand({T, 3}));
  }
  return torch::stack(p, 1);
}

FitError fit_error(const SkeletalAnimation& a, const torch::Tensor& joints) {
  auto d = (forward_kinematics(a) - joints.to(torch::kDouble)).norm(2, -1);
  return {d.mean().item<double>(), d.max().item<double>()};
}

}  // namespace mogo
