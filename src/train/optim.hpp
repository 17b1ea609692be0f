// Small optimiser helpers shared by the trainers.
#pragma once
#include <torch/torch.h>

namespace mogo {

// Sets the learning rate of every parameter group of an AdamW optimiser.
inline void set_learning_rate(torch::optim::AdamW& opt, double lr) {
  for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
}

}  // namespace mogo
