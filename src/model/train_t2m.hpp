// `mogo train-t2m`: trains the hierarchical causal transformer (with its own text encoder) on a
// prepared dataset tokenised by a frozen RVQ-VAE. Teacher forcing, sum of per-layer cross
// entropies, AdamW with warm-up + cosine decay, gradient clipping, condition dropout.
#pragma once
#include <string>

#include "train/run.hpp"
#include "transformer/config.hpp"

namespace mogo {

struct T2MTrainOptions : RunOptions {  // out_dir: checkpoint.pt, model.pt, train_log.csv, val_log.csv, tokens_*.pt
  std::string vq_path;        // RVQ-VAE model file (mogo train-vq)
  std::string preset = "tiny";
  T2MTrainConfig train;       // from the preset, then overridden by flags
  bool half = false;          // store model.pt in float16
};

// Returns the step reached.
int64_t train_t2m(const T2MTrainOptions& opts);

}  // namespace mogo
