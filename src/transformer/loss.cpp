#include "transformer/loss.hpp"

#include <algorithm>

namespace mogo {

LayerLosses layer_losses(const std::vector<torch::Tensor>& logits, const torch::Tensor& targets, const torch::Tensor& batch_targets) {
  LayerLosses r;
  for (size_t q = 0; q < logits.size(); ++q) {
    auto l = logits[q].reshape({-1, logits[q].size(-1)});
    auto t = targets.select(1, static_cast<int64_t>(q)).reshape({-1});
    const double n = std::max<double>(1.0, (batch_targets.select(1, static_cast<int64_t>(q)) >= 0).sum().item<double>());
    auto ce = torch::nn::functional::cross_entropy(
                  l, t, torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-1).reduction(torch::kSum)) / n;
    r.total = r.total.defined() ? r.total + ce : ce;
    r.loss.push_back(ce.item<double>());
    r.accuracy.push_back(((l.argmax(-1) == t) & (t >= 0)).sum().item<double>() / n);
  }
  return r;
}

}  // namespace mogo
