// The hierarchical causal transformer's training loss: the sum over RVQ layers of each layer's
// cross entropy (teacher forcing), what train-t2m minimises and the benchmarks time.
#pragma once
#include <vector>

#include <torch/torch.h>

namespace mogo {

struct LayerLosses {
  torch::Tensor total;                  // [] sum over layers
  std::vector<double> loss, accuracy;   // per layer
};

// Sum over layers of the cross entropy of each layer's logits against its targets (-1 ignored),
// and the accuracy, both normalised by the valid targets of `batch_targets`: the whole batch, of
// which `targets` may be one process's shard. The ranks' losses then sum to the whole batch's.
LayerLosses layer_losses(const std::vector<torch::Tensor>& logits, const torch::Tensor& targets, const torch::Tensor& batch_targets);

}  // namespace mogo
