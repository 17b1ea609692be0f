// Small optimiser helpers shared by the trainers.
#pragma once
#include <cmath>
#include <vector>

#include <torch/torch.h>

namespace mogo {

// Sets the learning rate of every parameter group of an AdamW optimiser.
inline void set_learning_rate(torch::optim::AdamW& opt, double lr) {
  for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
}

// The global L2 norm of the parameters' gradients; inf or NaN when any gradient is not finite.
inline double gradient_norm(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> norms;
  for (const auto& p : params)
    if (p.grad().defined()) norms.push_back(p.grad().detach().to(torch::kDouble).norm());
  return norms.empty() ? 0.0 : torch::stack(norms).norm().item<double>();  // one device sync
}

// Applies the optimiser step only when the loss and the gradient norm are finite: a NaN must never
// reach the weights (the training loop then stops the run with the last good checkpoint).
inline bool step_if_finite(torch::optim::Optimizer& opt, double loss, double grad_norm) {
  if (!std::isfinite(loss) || !std::isfinite(grad_norm)) return false;
  opt.step();
  return true;
}

}  // namespace mogo
