#include "transformer/sampler.hpp"

#include <cstdio>

#include <cmath>

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

StepSampler::StepSampler(HierarchicalCausalTransformer model, const torch::Tensor& cond, const SamplingParams& p)
    : model_(std::move(model)), p_(p), B_(cond.size(0)), guided_(p.guidance != 1.0),
      gen_(at::make_generator<at::CPUGeneratorImpl>(p.seed)) {
  p.validate();
  if (p.use_cache && p.fast_path && cond.device().is_cpu()) fast_ = model_->inference();
  pending_ = with_null(cond).unsqueeze(1);
  seq_ = pending_;
  rows_.resize(static_cast<size_t>(pending_.size(0)));
}

std::vector<torch::Tensor> StepSampler::run_pending() {
  if (!fast_) return p_.use_cache ? model_->forward_sequence(pending_, &cache_) : model_->forward_sequence(seq_);
  auto x = pending_.to(torch::kFloat).contiguous();
  const int64_t n = x.size(1), d = x.size(2);
  std::vector<HCTInference::Row> rows;
  for (size_t b = 0; b < rows_.size(); ++b) rows.push_back({&rows_[b], x.data_ptr<float>() + b * n * d, n});
  auto logits = fast_forward_ ? fast_forward_(*fast_, rows) : fast_->forward(rows);
  for (auto& l : logits) l = l.unsqueeze(1);  // [B',1,V]: the last position, as last_logits reads it
  return logits;
}

torch::Tensor StepSampler::embed(const torch::Tensor& steps) {
  auto s = steps.to(seq_.device());
  if (guided_) s = torch::cat({s, s}, 0);
  if (!fast_) return model_->embed_steps(s);
  require(s.dim() == 3 && s.size(1) == model_->cfg.num_quantizers, "sampler: steps must be [B,Q,n]");
  auto by_position = s.permute({0, 2, 1}).to(torch::kLong).contiguous();  // [B',n,Q]
  auto x = torch::empty({s.size(0), s.size(2), model_->cfg.dim}, torch::kFloat);
  fast_->embed(by_position.data_ptr<int64_t>(), s.size(0) * s.size(2), x.data_ptr<float>());
  return x;
}

int64_t StepSampler::cache_length() const {
  if (!fast_) return cache_.length();
  return rows_.empty() ? 0 : rows_[0].length;
}

int64_t StepSampler::cache_bytes() const {
  if (!fast_) return cache_.bytes();
  int64_t n = 0;
  for (const auto& r : rows_) n += r.bytes();
  return n;
}

torch::Tensor StepSampler::with_null(const torch::Tensor& cond) const {
  return guided_ ? torch::cat({cond, model_->null_condition(cond.size(0)).to(cond.device())}, 0) : cond;
}

StepSampler::Step StepSampler::next(const std::vector<bool>& end_allowed) {
  torch::NoGradGuard no_grad;
  require(static_cast<int64_t>(end_allowed.size()) == B_, "sampler: one END flag per row");
  require(pending_.defined(), "sampler: feed the drawn step before drawing the next");
  const int64_t Q = model_->cfg.num_quantizers, END = model_->cfg.end_token();
  auto all = run_pending();
  pending_ = torch::Tensor();
  started_ = true;
  auto logits = last_logits(all, B_, p_.guidance);
  auto base_logits = logits[0].to(torch::kCPU, torch::kFloat).clone();
  for (int64_t b = 0; b < B_; ++b)
    if (!end_allowed[b]) base_logits[b][END] = -std::numeric_limits<float>::infinity();
  auto base = sample_from_logits(base_logits, p_.top_k, p_.temperature, gen_);
  Step out{torch::zeros({B_, Q}, torch::kLong), std::vector<bool>(B_)};
  out.tokens.select(1, 0).copy_(base.clamp_max(END - 1));
  for (int64_t q = 1; q < Q; ++q) out.tokens.select(1, q).copy_(sample_from_logits(logits[q], p_.top_k, p_.temperature, gen_));
  auto base_acc = base.accessor<int64_t, 1>();
  for (int64_t b = 0; b < B_; ++b) out.end[b] = base_acc[b] == END;
  return out;
}

void StepSampler::feed(const torch::Tensor& steps) {
  torch::NoGradGuard no_grad;
  auto x = embed(steps);  // [B',n,d]
  pending_ = pending_.defined() ? torch::cat({pending_, x}, 1) : x;
  if (!p_.use_cache) seq_ = torch::cat({seq_, x}, 1);
}

void StepSampler::set_condition(const torch::Tensor& cond) {
  torch::NoGradGuard no_grad;
  require(cond.size(0) == B_, "sampler: one condition per row");
  if (!started_) {  // the condition is still the first pending position
    auto start = with_null(cond).unsqueeze(1);
    pending_ = torch::cat({start, pending_.narrow(1, 1, pending_.size(1) - 1)}, 1);
    seq_ = torch::cat({start, seq_.narrow(1, 1, seq_.size(1) - 1)}, 1);
    return;
  }
  require(p_.use_cache, "sampler: changing the condition mid-sequence needs the key/value cache");
  if (!fast_) return model_->replace_condition(cache_, cond);
  auto c = cond.to(torch::kFloat).contiguous();
  for (int64_t b = 0; b < B_; ++b) fast_->replace_condition(rows_[b], c.data_ptr<float>() + b * c.size(1));
}

void StepSampler::restart(const torch::Tensor& cond, const torch::Tensor& context) {
  torch::NoGradGuard no_grad;
  require(cond.size(0) == B_, "sampler: one condition per row");
  cache_ = HCTCache{};
  for (auto& r : rows_) r = HCTInference::Sequence{};
  pending_ = with_null(cond).unsqueeze(1);
  seq_ = pending_;
  started_ = false;
  if (context.defined() && context.size(2) > 0) feed(context);
}

void StepSampler::keep_recent(int64_t steps) {
  require(p_.use_cache, "sampler: a sliding window needs the key/value cache");
  if (!fast_) return model_->keep_recent(cache_, steps);
  for (auto& r : rows_) fast_->keep_recent(r, steps);
}

SampledTokens sample_tokens(HierarchicalCausalTransformer& model, const torch::Tensor& cond,
                            const std::vector<int64_t>& target_steps, int64_t max_steps, const SamplingParams& p) {
  torch::NoGradGuard no_grad;
  const int64_t B = cond.size(0), Q = model->cfg.num_quantizers;
  require(static_cast<int64_t>(target_steps.size()) == B, "sampler: one target length per condition row");
  int64_t S = 0;
  for (auto t : target_steps) S = std::max(S, t > 0 ? t : max_steps);
  require(S > 0, "sampler: nothing to generate (max_steps = 0)");
  StepSampler sampler(model, cond, p);
  auto tokens = torch::zeros({B, Q, S}, torch::kLong);
  std::vector<int64_t> lengths(B, -1);  // -1: still running
  for (int64_t s = 0; s < S; ++s) {
    // END: masked while a fixed-length row is short of its target or a free row is below min_steps.
    std::vector<bool> end_allowed(B);
    for (int64_t b = 0; b < B; ++b) end_allowed[b] = target_steps[b] > 0 ? s >= target_steps[b] : s >= p.min_steps;
    auto step = sampler.next(end_allowed);
    tokens.select(2, s).copy_(step.tokens);
    bool running = false;
    for (int64_t b = 0; b < B; ++b) {
      if (lengths[b] >= 0) continue;
      bool fixed = target_steps[b] > 0;
      if (!fixed && step.end[b]) lengths[b] = s;
      else if (fixed && s + 1 >= target_steps[b]) lengths[b] = s + 1;
      else if (!fixed && s + 1 >= max_steps) lengths[b] = s + 1;
      else running = true;
    }
    if (!running) break;
    // The sampled step becomes the next input (rows that ended keep running harmlessly: causal).
    sampler.feed(step.tokens.unsqueeze(2));
    // Past the training length the cache slides, as in streaming (MotionStream's default window),
    // so that long generations stay within the position distances the model was trained on.
    if (p.use_cache) sampler.keep_recent(max_steps);
  }
  int64_t longest = 1;
  for (int64_t b = 0; b < B; ++b) {
    if (lengths[b] < 0) lengths[b] = S;
    longest = std::max(longest, lengths[b]);
  }
  return {tokens.narrow(2, 0, longest).contiguous(), lengths};
}

}  // namespace mogo
