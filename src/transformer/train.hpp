// `mogo train-t2m`: trains the hierarchical causal transformer (with its own text encoder) on a
// prepared dataset tokenised by a frozen RVQ-VAE. Teacher forcing, sum of per-layer cross
// entropies, AdamW with warm-up + cosine decay, gradient clipping, condition dropout.
#pragma once
#include <string>

#include "train/plan.hpp"
#include "transformer/config.hpp"

namespace mogo {

struct T2MTrainOptions {
  std::string data_dir;
  std::string out_dir;        // checkpoint.pt, model.pt, train_log.csv, val_log.csv, tokens_*.pt
  std::string vq_path;        // RVQ-VAE model file (mogo train-vq)
  std::string preset = "tiny";
  T2MTrainConfig train;       // from the preset, then overridden by flags
  PlanRequest request;        // the plan keys given explicitly ("preset" included): --resume checks them
  bool resume = false;
  std::string device = "auto";
  int64_t stop_after = 0;     // > 0: checkpoint and stop at this step
  bool quiet = false;
  bool half = false;          // store model.pt in float16
  int64_t step_delay_ms = 0;  // testing
  int64_t kill_after_step = 0;  // testing: SIGKILL itself after this step (TrainLoopOptions)
};

// Returns the step reached.
int64_t train_t2m(const T2MTrainOptions& opts);

}  // namespace mogo
