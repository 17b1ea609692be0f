// `mogo train-vq`: trains the RVQ-VAE on a prepared dataset, with atomic checkpoints, exact
// resume, a CSV log and a progress line.
#pragma once
#include <string>

#include "train/plan.hpp"
#include "vq/config.hpp"

namespace mogo {

struct VQTrainOptions {
  std::string data_dir;
  std::string out_dir;           // checkpoint.pt, model.pt, train_log.csv
  std::string preset = "tiny";
  VQTrainConfig train;           // filled from the preset, then overridden by flags
  bool mosa = false;             // model options of a fresh run (VQConfig::mosa, root_weight, ...)
  double root_weight = 0.0;
  double foot_weight = 0.0;
  double jerk_weight = 0.0;
  int64_t decoder_lookahead = 1;
  std::string decoder_from;      // a trained tokenizer whose encoder and codebooks are kept (decoder_only)
  PlanRequest request;           // the plan keys given explicitly ("preset" included): --resume checks them
  bool resume = false;
  std::string device = "auto";
  int64_t stop_after = 0;        // > 0: stop (after checkpointing) once this step is reached
  bool quiet = false;
  int64_t step_delay_ms = 0;     // testing: sleep after each step (to interrupt a run mid-way)
  int64_t kill_after_step = 0;   // testing: SIGKILL itself after this step (TrainLoopOptions)
};

// Returns the final step reached.
int64_t train_vq(VQTrainOptions opts);

}  // namespace mogo
