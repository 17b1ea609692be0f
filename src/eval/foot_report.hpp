// Feet in the evaluation (docs/feet.md): for the real test clips and each generated set, the
// foot measures of FootMetrics, with each motion's own contact labels; for generated sets both as
// the model made them and with the foot locking every output gets by default.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "data/motion_dataset.hpp"
#include "eval/protocol.hpp"
#include "motion/foot_metrics.hpp"
#include "motion/skeleton.hpp"

namespace mogo {

struct FootRow {
  std::string name;
  FootMetrics as_made;
  FootMetrics locked;     // generated rows only
  bool has_locked = false;
  double contact_share = 0;  // foot-joint frames whose label is on
};

// raw: motions as raw features [T,D]. lock: also score them with foot locking.
FootRow foot_row(const std::string& name, const std::vector<torch::Tensor>& raw, const Skeleton& skel, bool lock);
// The real test clips ("Real motion"), and a generated set (as made and locked).
FootRow real_foot_row(const MotionDataset& test, const Skeleton& skel);
FootRow generated_foot_row(const MotionSet& set, const Skeleton& skel);
std::string foot_table(const std::vector<FootRow>& rows);
nlohmann::json foot_json(const std::vector<FootRow>& rows);

}  // namespace mogo
