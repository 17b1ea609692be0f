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
};

// Writes to `path` via a temporary file + rename. `optimizer` may be null (a model file).
void save_vq_checkpoint(const std::string& path, const VQCheckpoint& ck, torch::optim::Optimizer* optimizer);

// Loads a checkpoint; `optimizer`, if given, receives the saved optimizer state (it must have
// been constructed over ck.model's parameters, so the model is built first through `prepare`).
VQCheckpoint load_vq_checkpoint(const std::string& path, torch::Device device = torch::kCPU);
void load_vq_optimizer(const std::string& path, torch::optim::Optimizer& optimizer);

}  // namespace mogo
