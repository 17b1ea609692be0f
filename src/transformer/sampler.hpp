// Autoregressive sampling from the hierarchical causal transformer: per step one forward pass of a
// single position (key/value cache) gives the logits of all Q layers; the base token (or END) and
// every residual token are sampled from them with top-k, temperature and classifier-free guidance.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "transformer/hct.hpp"

namespace mogo {

constexpr uint64_t kMaxSeed = 0xFFFFFFFFull;  // seeds are 32-bit (LibTorch's CPU generator)

// Defaults: the best setting of the sampling sweep in docs/t2m-tiny.md.
struct SamplingParams {
  int64_t top_k = 0;          // keep the k most likely codes (0: all)
  double temperature = 0.8;   // 0: greedy (argmax)
  double guidance = 4.0;      // classifier-free guidance scale s: uncond + s (cond - uncond); 1 = off
  uint64_t seed = 0;          // [0, kMaxSeed]
  bool use_cache = true;      // false: re-run the whole prefix each step (reference for tests)
  // With the cache on a CPU model: the packed inference path (transformer/inference), the same
  // tokens as the modules' own forward; streams also decode through the packed decoder
  // (vq/decoder_inference). false: the modules' forward (the reference, and the path on a GPU).
  bool fast_path = true;
  int64_t min_steps = 2;      // END is not allowed before this many steps (free-length generation)

  // The one place the ranges live: the first value out of range as {field, "must be in ..., got
  // X"} (field: "top_k", "temperature", "guidance", "seed"), or an empty field when all are fine.
  // The CLI, the server and the C API report it in their own words for the field.
  struct Problem {
    std::string field, message;
  };
  Problem check() const;
  // Throws Error "--<field> <message>" (the CLI's names) for the first value out of range.
  void validate() const;
};

// One autoregressive decoding state over B rows (2B under guidance: conditioned rows, then
// unconditioned): the pending input, the key/value cache and the random stream. sample_tokens
// and the streaming engine both step it, so that they draw the same tokens for the same seed.
class StepSampler {
 public:
  StepSampler(HierarchicalCausalTransformer model, const torch::Tensor& cond, const SamplingParams& p);

  // Runs the model over the pending input and draws one step: tokens [B,Q] (base clamped to a
  // code) and whether each row drew END. end_allowed[b] = false masks END for row b.
  struct Step {
    torch::Tensor tokens;   // [B,Q] int64
    std::vector<bool> end;  // per row
  };
  Step next(const std::vector<bool>& end_allowed);
  // Appends steps [B,Q,n] to the pending input (the step just drawn, or a prefix of known steps).
  void feed(const torch::Tensor& steps);
  // New conditions [B,d]: before the first step they replace the start; afterwards they replace
  // the cached condition and govern every later step. Needs the cache.
  void set_condition(const torch::Tensor& cond);
  // Starts over under new conditions [B,d] with the steps [B,Q,k] in view (k >= 0), keeping the
  // random stream: the state a sequence [cond, context...] has, as in training on joined clips.
  // Whatever was fed but not yet run is dropped (pass it in context).
  void restart(const torch::Tensor& cond, const torch::Tensor& context);
  // Sliding window over the cache (HierarchicalCausalTransformerImpl::keep_recent).
  void keep_recent(int64_t steps);
  // Positions held in the key/value cache (condition included) and the bytes of keys and values.
  int64_t cache_length() const;
  int64_t cache_bytes() const;
  int64_t rows() const { return B_; }
  bool fast() const { return fast_ != nullptr; }

  // How the pending input is run through the packed path: alone by default; the server's
  // StepBatcher runs the rows of many samplers in one pass.
  using FastForward = std::function<std::vector<torch::Tensor>(const HCTInference&, const std::vector<HCTInference::Row>&)>;
  void set_fast_forward(FastForward f) { fast_forward_ = std::move(f); }

 private:
  torch::Tensor with_null(const torch::Tensor& cond) const;
  std::vector<torch::Tensor> run_pending();  // logits [B',T,V_q] (T = 1 on the fast path)
  torch::Tensor embed(const torch::Tensor& steps);  // [B,Q,n] -> [B',n,d] (guidance rows doubled)

  HierarchicalCausalTransformer model_;
  SamplingParams p_;
  int64_t B_;
  bool guided_;
  bool started_ = false;  // a step has been drawn
  at::Generator gen_;
  HCTCache cache_;
  std::shared_ptr<const HCTInference> fast_;     // null: the modules' forward
  std::vector<HCTInference::Sequence> rows_;     // fast path: one cache per row (B')
  FastForward fast_forward_;
  torch::Tensor seq_;      // uncached reference path: the whole input so far [B',1+s,d]
  torch::Tensor pending_;  // cached path: the input not yet run [B',n,d]
};

struct SampledTokens {
  torch::Tensor tokens;          // [B,Q,S] int64 (S = the longest sequence; shorter rows padded with 0)
  std::vector<int64_t> lengths;  // per row: number of steps (END excluded)
};

// cond: [B,d] text conditions. target_steps[b] > 0 fixes row b's length (END masked until then);
// 0 generates until END or max_steps. Deterministic for a fixed seed. With the cache, it slides
// past max_steps steps (keep_recent), exactly as a MotionStream with its default window.
SampledTokens sample_tokens(HierarchicalCausalTransformer& model, const torch::Tensor& cond,
                            const std::vector<int64_t>& target_steps, int64_t max_steps, const SamplingParams& p);

// Applies top-k and temperature to logits [B,V] and draws one index per row: [B].
torch::Tensor sample_from_logits(const torch::Tensor& logits, int64_t top_k, double temperature, at::Generator& gen);

}  // namespace mogo
