// The evaluation protocol of Guo et al. (2022) over a test split: FID, R-precision top-1/2/3,
// MM-Dist, Diversity, MultiModality, each repeated R times with mean and 95% confidence interval.
#pragma once
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "data/motion_dataset.hpp"
#include "eval/evaluator.hpp"

namespace mogo {

struct MotionSet {
  std::string name;                                            // row label, e.g. "Mogo (tiny)"
  std::map<std::string, torch::Tensor> motions;                // test id -> raw features [T,D]
  std::map<std::string, std::vector<torch::Tensor>> multimodal; // test id -> K generations (optional)

  // Reads <dir>/<id>.npy for every test id, and <dir>/<id>_mm<k>.npy when present.
  static MotionSet load(const std::string& dir, const std::vector<std::string>& ids, const std::string& name);
};

struct ProtocolOptions {
  int64_t repeats = 20;
  int64_t batch = 32;            // R-precision: each text vs batch-1 mismatched motions + its own;
                                 // a batch never holds two clips sharing a caption (or a mirror/take)
  int64_t diversity_pairs = 300;
  int64_t mm_pairs = 10;
  int64_t max_frames = 196;
  uint64_t seed = 0;
};

struct MetricValue {
  double mean = 0, ci = 0;
  bool present = false;
};

struct ProtocolRow {
  std::string name;
  std::map<std::string, MetricValue> metrics;  // fid, top1, top2, top3, mm_dist, diversity, multimodality
};

// Throws Error when the test clips' feature width is not the evaluator's (another skeleton).
void require_fits(const EvaluatorBundle& evaluator, const MotionDataset& test);

// Scores `generated` (or, when null, the real test motions themselves: the "Real motion" row,
// whose FID compares two random halves of the test set) against the real test split.
ProtocolRow run_protocol(const EvaluatorBundle& evaluator, const MotionDataset& test, const MotionSet* generated,
                         const ProtocolOptions& opts, torch::Device device);

std::string protocol_table(const std::vector<ProtocolRow>& rows, int64_t batch);
nlohmann::json protocol_json(const std::vector<ProtocolRow>& rows, const ProtocolOptions& opts);

}  // namespace mogo
