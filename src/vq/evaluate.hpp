// `mogo eval-vq`: reconstruction quality of an RVQ-VAE on a split of a prepared dataset.
#pragma once
#include "motion/foot_metrics.hpp"
#include "motion/skeleton.hpp"
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/motion_dataset.hpp"
#include "vq/rvqvae.hpp"

namespace mogo {

struct VQLayerReport {
  int64_t layers;             // quantiser layers used (1..Q)
  double mpjpe_mm;            // mean per-joint position error, joints from features (recover_from_ric)
  double root_relative_mm;    // the same after aligning the roots frame by frame (pose error only)
  double feature_l1;          // mean |x - x_hat| on normalised features
  double feature_mse;
};

// Where the whole-body error of the full reconstruction comes from: its MPJPE when one group of
// root channels is replaced by the ground truth's (the root is integrated from velocities, so an
// error there drifts the whole body away).
struct RootDrift {
  double mpjpe_mm = 0, true_rotation_mm = 0, true_velocity_mm = 0, true_height_mm = 0, true_root_mm = 0;
};

struct VQReport {
  int64_t clips = 0, frames = 0;
  RootDrift drift;                           // all layers
  FootMetrics feet_reconstructed, feet_ground_truth;  // all layers; empty without a skeleton
  std::vector<VQLayerReport> by_layers;      // index n-1 = first n layers
  std::vector<double> perplexity;            // per layer, over the split's tokens
  std::vector<double> usage;                 // per layer: fraction of codes used at least once
  nlohmann::json to_json() const;
  std::string table() const;
};

// model must be in eval mode; data normalised with the model's statistics. With the feature
// skeleton, also foot skating and floor penetration.
VQReport evaluate_vq(RVQVAEImpl& model, const MotionDataset& data, torch::Device device, const Skeleton* skeleton = nullptr);

}  // namespace mogo
