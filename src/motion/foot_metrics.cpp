#include "motion/foot_metrics.hpp"

#include "common/error.hpp"

namespace mogo {

FootMetrics& FootMetrics::operator+=(const FootMetrics& o) {
  frames += o.frames;
  contact_frames += o.contact_frames;
  sliding_sum += o.sliding_sum;
  skating_frames += o.skating_frames;
  depth_sum += o.depth_sum;
  penetrating_frames += o.penetrating_frames;
  return *this;
}

FootMetrics foot_metrics(const torch::Tensor& joints_in, const torch::Tensor& contacts_in, const Skeleton& skel, double fps) {
  require(joints_in.dim() == 3 && joints_in.size(1) == skel.num_joints() && joints_in.size(2) == 3,
          "foot_metrics: joints must be [T," + std::to_string(skel.num_joints()) + ",3], got " + c10::str(joints_in.sizes()));
  const int64_t T = joints_in.size(0);
  FootMetrics m;
  if (T < 2) return m;
  require(contacts_in.dim() == 2 && contacts_in.size(0) >= T - 1 && contacts_in.size(1) == 4,
          "foot_metrics: contacts must be [>=T-1,4], got " + c10::str(contacts_in.sizes()));
  auto joints = joints_in.to(torch::kDouble);
  const std::vector<int64_t> feet = {skel.feet_left[0], skel.feet_left[1], skel.feet_right[0], skel.feet_right[1]};
  auto feet_pos = joints.index_select(1, torch::tensor(feet, torch::kLong));                      // [T,4,3]
  auto step = feet_pos.narrow(0, 1, T - 1) - feet_pos.narrow(0, 0, T - 1);                         // [T-1,4,3]
  auto speed = step.index({torch::indexing::Slice(), torch::indexing::Slice(), torch::tensor({0, 2})}).norm(2, -1) * fps;
  auto on = contacts_in.narrow(0, 0, T - 1).to(torch::kDouble) > 0.5;                              // [T-1,4]
  m.frames = T - 1;
  m.contact_frames = on.sum().item<int64_t>();
  m.sliding_sum = (speed * on).sum().item<double>();
  m.skating_frames = ((speed > FootMetrics::kSkatingSpeed) & on).sum().item<int64_t>();
  // Depth below the floor of the lowest foot joint, over the same T-1 frames.
  auto lowest = std::get<0>(feet_pos.narrow(0, 0, T - 1).select(2, 1).min(1));                   // [T-1]
  auto depth = (-lowest).clamp_min(0.0);
  m.depth_sum = depth.sum().item<double>();
  m.penetrating_frames = (depth > FootMetrics::kPenetrationDepth).sum().item<int64_t>();
  return m;
}

}  // namespace mogo
