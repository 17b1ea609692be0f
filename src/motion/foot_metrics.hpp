// What animators notice first in generated or reconstructed motion: feet that slide while they
// are planted, and feet below the floor.
#pragma once
#include "motion/feature_layout.hpp"
#include <cstdint>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "motion/skeleton.hpp"

namespace mogo {

struct FootMetrics {
  int64_t frames = 0;          // frames measured (velocities: T-1 per clip)
  int64_t contact_frames = 0;  // foot joints x frames whose contact label is on
  double sliding_sum = 0;      // sum over those of the joint's horizontal speed (m/s)
  int64_t skating_frames = 0;  // ... of which faster than kSkatingSpeed
  double depth_sum = 0;        // sum over frames of how far the lowest foot joint is below the floor (m)
  int64_t penetrating_frames = 0;  // frames with the lowest foot joint more than kPenetrationDepth below
  int64_t grounded_frames = 0;     // frames with any contact label on
  double float_sum = 0;            // sum over those of how far the lowest foot joint is above the floor (m)
  int64_t floating_frames = 0;     // ... of which more than kFloatingHeight above

  static constexpr double kSkatingSpeed = 0.1;       // m/s: a planted foot moving faster slides visibly
  static constexpr double kPenetrationDepth = 0.01;  // m
  static constexpr double kFloatingHeight = 0.05;    // m: a foot "in contact" this high floats visibly

  double sliding_speed() const { return contact_frames ? sliding_sum / contact_frames : 0.0; }     // m/s
  double skating_ratio() const { return contact_frames ? double(skating_frames) / contact_frames : 0.0; }
  double penetration_depth() const { return frames ? depth_sum / frames : 0.0; }                  // m
  double penetration_ratio() const { return frames ? double(penetrating_frames) / frames : 0.0; }
  double floating_height() const { return grounded_frames ? float_sum / grounded_frames : 0.0; }         // m
  double floating_ratio() const { return grounded_frames ? double(floating_frames) / grounded_frames : 0.0; }
  FootMetrics& operator+=(const FootMetrics& o);
};

// The measures as JSON: skating_share, sliding_mps, below_floor_m, below_1cm_share,
// contact_height_m, floating_share, contact_frames.
nlohmann::json foot_metrics_json(const FootMetrics& m);

// joints: [T,J,3] metres, Y up, the floor at y = 0. contacts: [>=T-1,4] labels of the left ankle,
// left toe, right ankle, right toe (HumanML3D's foot-contact channels; on when > 0.5), where the
// label of frame t covers the motion from t to t+1. fps: frames per second.
FootMetrics foot_metrics(const torch::Tensor& joints, const torch::Tensor& contacts, const Skeleton& skel, double fps = kHumanML3DFps);


// The four foot joints' indices (left ankle, left toe, right ankle, right toe).
std::vector<int64_t> foot_joints(const Skeleton& skel);

// The RVQ-VAE's foot-contact loss: mean horizontal speed (m/s) of the foot joints over the frames
// whose contact label is on (0 when none is), differentiable. feet: [B,T,4,3] positions of
// foot_joints (e.g. recover_joints); contacts: [B,>=T-1,4] labels.
torch::Tensor contact_sliding_loss(const torch::Tensor& feet, const torch::Tensor& contacts, double fps = kHumanML3DFps);

}  // namespace mogo
