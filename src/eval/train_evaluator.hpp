// `mogo train-eval`: trains the evaluator contrastively (symmetric InfoNCE) on the training split.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "train/run.hpp"

namespace mogo {

// The plan of an evaluator training run, stored in its checkpoints (train/plan.hpp).
struct EvaluatorTrainConfig {
  int64_t steps = 3000;
  int64_t batch_size = 64;      // clips per batch, all with distinct captions and label keys
  int64_t max_frames = 196;     // random crops of at most this many frames
  int64_t min_frames = 40;      // ... and at least this many (or the whole clip if shorter)
  double lr = 2e-4;
  int64_t warmup_steps = 200;
  int64_t vocab_size = 512;
  int64_t dim = 256;
  double dropout = 0.1;         // of both encoders
  int64_t checkpoint_every = 250;
  int64_t log_every = 50;
  uint64_t seed = 1234;
  double adam_beta2 = 0.999;    // AdamW's second-moment decay
  double weight_decay = 1e-4;
  double lr_floor = 0.05;       // the cosine decay ends at lr_floor x lr

  OptimiserSettings optimiser() const { return {adam_beta2, weight_decay, lr_floor}; }
  // Throws Error naming the flag of the first value out of range.
  void validate() const;
};
// With defaults: plans stored before the optimiser settings were read as they were trained.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(EvaluatorTrainConfig, steps, batch_size, max_frames, min_frames, lr, warmup_steps,
                                                vocab_size, dim, dropout, checkpoint_every, log_every, seed, adam_beta2, weight_decay,
                                                lr_floor)

struct EvaluatorTrainOptions : RunOptions {  // out_dir: checkpoint.pt, evaluator.pt, train_log.csv
  EvaluatorTrainConfig train;
};

int64_t train_evaluator(const EvaluatorTrainOptions& opts);

}  // namespace mogo
