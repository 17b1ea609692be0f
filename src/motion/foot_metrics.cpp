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
  grounded_frames += o.grounded_frames;
  float_sum += o.float_sum;
  floating_frames += o.floating_frames;
  return *this;
}

nlohmann::json foot_metrics_json(const FootMetrics& m) {
  return {{"skating_share", m.skating_ratio()},     {"sliding_mps", m.sliding_speed()},  {"below_floor_m", m.penetration_depth()},
          {"below_1cm_share", m.penetration_ratio()}, {"contact_height_m", m.floating_height()}, {"floating_share", m.floating_ratio()},
          {"contact_frames", m.contact_frames}};
}

std::vector<int64_t> foot_joints(const Skeleton& skel) {
  return {skel.feet_left[0], skel.feet_left[1], skel.feet_right[0], skel.feet_right[1]};
}

namespace {
// Horizontal speed (m/s) from frame t to t+1. feet: [...,T,n,3] -> [...,T-1,n].
torch::Tensor horizontal_speeds(const torch::Tensor& feet, double fps) {
  const int64_t T = feet.size(-3);
  auto step = feet.narrow(-3, 1, T - 1) - feet.narrow(-3, 0, T - 1);
  auto dx = step.select(-1, 0), dz = step.select(-1, 2);
  // A foot that does not move at all has speed 0 and a zero (not NaN) gradient.
  auto squared = dx * dx + dz * dz;
  return torch::where(squared > 0, squared.clamp_min(1e-30).sqrt(), torch::zeros_like(squared)) * fps;
}
}  // namespace

torch::Tensor contact_sliding_loss(const torch::Tensor& feet, const torch::Tensor& contacts, double fps) {
  const int64_t T = feet.size(1);
  auto speed = horizontal_speeds(feet, fps);                                // [B,T-1,4]
  auto on = (contacts.narrow(1, 0, T - 1) > 0.5).to(speed.scalar_type());  // [B,T-1,4]
  return (speed * on).sum() / on.sum().clamp_min(1.0);
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
  auto feet_pos = joints.index_select(1, torch::tensor(foot_joints(skel), torch::kLong));          // [T,4,3]
  auto speed = horizontal_speeds(feet_pos, fps);                                                    // [T-1,4]
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
  // Floating: frames that claim a contact while the lowest foot joint is well above the floor.
  auto grounded = on.any(1);
  auto height = lowest.clamp_min(0.0) * grounded;
  m.grounded_frames = grounded.sum().item<int64_t>();
  m.float_sum = height.sum().item<double>();
  m.floating_frames = ((lowest > FootMetrics::kFloatingHeight) & grounded).sum().item<int64_t>();
  return m;
}

}  // namespace mogo
