// RVQ-VAE model files and training checkpoints: one self-describing file (config JSON, weights,
// codebooks, normalisation statistics; optionally optimizer state and step), written atomically.
#pragma once
#include <optional>
#include <string>

#include <torch/torch.h>

#include "vq/rvqvae.hpp"

namespace mogo {

struct VQCheckpoint {
  VQConfig config;
  VQTrainConfig train;
  RVQVAE model{nullptr};
  torch::Tensor mean, std;     // [D] feature normalisation
  int64_t step = 0;
  std::string skeleton_json;   // the feature skeleton (for joints / BVH), may be empty
  std::string preset;          // the training plan's preset and data (train/plan.hpp); may be empty
  std::string data_fingerprint;
};

// Writes to `path` via a temporary file + rename. `optimizer` may be null (a model file).
void save_vq_checkpoint(const std::string& path, const VQCheckpoint& ck, torch::optim::Optimizer* optimizer);

// Loads a model file or checkpoint (the optimizer state, if any, through load_optimizer_state).
VQCheckpoint load_vq_checkpoint(const std::string& path, torch::Device device = torch::kCPU);

}  // namespace mogo
