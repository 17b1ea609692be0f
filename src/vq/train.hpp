// `mogo train-vq`: trains the RVQ-VAE on a prepared dataset, with atomic checkpoints, exact
// resume, a CSV log and a progress line.
#pragma once
#include <string>

#include "motion/skeleton.hpp"
#include "train/run.hpp"
#include "vq/rvqvae.hpp"
#include "vq/config.hpp"

namespace mogo {

struct VQTrainOptions : RunOptions {  // out_dir: checkpoint.pt, model.pt, train_log.csv
  std::string preset = "tiny";
  VQTrainConfig train;           // filled from the preset, then overridden by flags
  bool mosa = false;             // model options of a fresh run (VQConfig::mosa, root_weight, ...)
  double root_weight = 0.0;
  double foot_weight = 0.0;
  double jerk_weight = 0.0;
  int64_t decoder_lookahead = 1;
  std::string decoder_from;      // a trained tokenizer whose encoder and codebooks are kept (decoder_only)
};

// Returns the final step reached.
int64_t train_vq(VQTrainOptions opts);

// The RVQ-VAE's training loss (what train-vq minimises; the benchmarks call it too): smooth-L1
// reconstruction and velocity, commitment, and the root, foot-contact and jerk terms the config
// weighs in (these need the normalisation, and the last two the skeleton).
struct VQLoss {
  torch::Tensor total, rec, vel, root, foot, jerk;  // [] each (0 where a term is off)
};
VQLoss vq_loss(const VQConfig& c, const RVQVAEOutput& out, const torch::Tensor& x, const torch::Tensor& mean,
               const torch::Tensor& std, const Skeleton* skeleton);

}  // namespace mogo
