// Autoregressive sampling from the hierarchical causal transformer: per step one forward pass of a
// single position (key/value cache) gives the logits of all Q layers; the base token (or END) and
// every residual token are sampled from them with top-k, temperature and classifier-free guidance.
#pragma once
#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "transformer/hct.hpp"

namespace mogo {

// Defaults: the best setting of the sampling sweep in docs/t2m-tiny.md.
struct SamplingParams {
  int64_t top_k = 0;          // keep the k most likely codes (0: all)
  double temperature = 0.8;   // 0: greedy (argmax)
  double guidance = 4.0;      // classifier-free guidance scale s: uncond + s (cond - uncond); 1 = off
  uint64_t seed = 0;
  bool use_cache = true;      // false: re-run the whole prefix each step (reference for tests)
  int64_t min_steps = 2;      // END is not allowed before this many steps (free-length generation)
};

struct SampledTokens {
  torch::Tensor tokens;          // [B,Q,S] int64 (S = the longest sequence; shorter rows padded with 0)
  std::vector<int64_t> lengths;  // per row: number of steps (END excluded)
};

// cond: [B,d] text conditions. target_steps[b] > 0 fixes row b's length (END masked until then);
// 0 generates until END or max_steps. Deterministic for a fixed seed.
SampledTokens sample_tokens(HierarchicalCausalTransformer& model, const torch::Tensor& cond,
                            const std::vector<int64_t>& target_steps, int64_t max_steps, const SamplingParams& p);

// Applies top-k and temperature to logits [B,V] and draws one index per row: [B].
torch::Tensor sample_from_logits(const torch::Tensor& logits, int64_t top_k, double temperature, at::Generator& gen);

}  // namespace mogo
