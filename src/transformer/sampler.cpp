#include "transformer/sampler.hpp"

#include <ATen/CPUGeneratorImpl.h>

#include "common/error.hpp"

namespace mogo {

torch::Tensor sample_from_logits(const torch::Tensor& logits, int64_t top_k, double temperature, at::Generator& gen) {
  auto l = logits.to(torch::kCPU, torch::kFloat);
  if (temperature <= 0) return l.argmax(-1);
  if (top_k > 0 && top_k < l.size(-1)) {
    auto kth = std::get<0>(l.topk(top_k, -1)).select(-1, top_k - 1).unsqueeze(-1);  // [B,1]
    l = l.masked_fill(l < kth, -std::numeric_limits<float>::infinity());
  }
  auto probs = torch::softmax(l / temperature, -1);
  return torch::multinomial(probs, 1, /*replacement=*/false, gen).squeeze(-1);
}

namespace {

// Logits at the last position of each layer, with classifier-free guidance when the batch holds
// [cond rows; uncond rows]: uncond + s (cond - uncond). Returns Q tensors [B,V_q].
std::vector<torch::Tensor> last_logits(const std::vector<torch::Tensor>& all, int64_t B, double guidance) {
  std::vector<torch::Tensor> out;
  for (const auto& l : all) {
    auto last = l.select(1, l.size(1) - 1);  // [B or 2B, V]
    if (last.size(0) == 2 * B) {
      auto c = last.narrow(0, 0, B), u = last.narrow(0, B, B);
      last = u + guidance * (c - u);
    }
    out.push_back(last);
  }
  return out;
}

}  // namespace

SampledTokens sample_tokens(HierarchicalCausalTransformer& model, const torch::Tensor& cond,
                            const std::vector<int64_t>& target_steps, int64_t max_steps, const SamplingParams& p) {
  torch::NoGradGuard no_grad;
  const int64_t B = cond.size(0), Q = model->cfg.num_quantizers, END = model->cfg.end_token();
  require(static_cast<int64_t>(target_steps.size()) == B, "sampler: one target length per condition row");
  int64_t S = 0;
  for (auto t : target_steps) S = std::max(S, t > 0 ? t : max_steps);
  require(S > 0, "sampler: nothing to generate (max_steps = 0)");
  auto device = cond.device();
  const bool cfg = p.guidance != 1.0;
  // One batch of 2B rows under guidance: conditioned, then unconditioned.
  auto start = cfg ? torch::cat({cond, model->null_condition(B).to(device)}, 0) : cond;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(p.seed);

  auto tokens = torch::zeros({B, Q, S}, torch::kLong);
  std::vector<int64_t> lengths(B, -1);  // -1: still running
  HCTCache cache;
  torch::Tensor seq = start.unsqueeze(1);  // uncached: the whole input so far [B',1+s,d]
  torch::Tensor next = seq;                // cached: only the new position
  for (int64_t s = 0; s < S; ++s) {
    auto logits = last_logits(p.use_cache ? model->forward_sequence(next, &cache) : model->forward_sequence(seq), B, p.guidance);
    auto base_logits = logits[0].to(torch::kCPU, torch::kFloat).clone();
    // END: masked while a fixed-length row is short of its target or a free row is below min_steps.
    for (int64_t b = 0; b < B; ++b) {
      bool fixed = target_steps[b] > 0;
      if ((fixed && s < target_steps[b]) || (!fixed && s < p.min_steps)) base_logits[b][END] = -std::numeric_limits<float>::infinity();
    }
    auto base = sample_from_logits(base_logits, p.top_k, p.temperature, gen);
    tokens.select(2, s).select(1, 0).copy_(base.clamp_max(END - 1));
    for (int64_t q = 1; q < Q; ++q) tokens.select(2, s).select(1, q).copy_(sample_from_logits(logits[q], p.top_k, p.temperature, gen));
    bool running = false;
    for (int64_t b = 0; b < B; ++b) {
      if (lengths[b] >= 0) continue;
      bool fixed = target_steps[b] > 0;
      if (!fixed && base[b].item<int64_t>() == END) lengths[b] = s;
      else if (fixed && s + 1 >= target_steps[b]) lengths[b] = s + 1;
      else if (!fixed && s + 1 >= max_steps) lengths[b] = s + 1;
      else running = true;
    }
    if (!running) break;
    // The sampled step becomes the next input (rows that ended keep running harmlessly: causal).
    auto step_tokens = tokens.narrow(2, s, 1).to(device);
    auto x = model->embed_steps(cfg ? torch::cat({step_tokens, step_tokens}, 0) : step_tokens);  // [B',1,d]
    next = x;
    if (!p.use_cache) seq = torch::cat({seq, x}, 1);
  }
  int64_t longest = 1;
  for (int64_t b = 0; b < B; ++b) {
    if (lengths[b] < 0) lengths[b] = S;
    longest = std::max(longest, lengths[b]);
  }
  return {tokens.narrow(2, 0, longest).contiguous(), lengths};
}

}  // namespace mogo
