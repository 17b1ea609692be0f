#include "transformer/hct.hpp"

#include "common/error.hpp"

namespace mogo {

int64_t HCTCache::bytes() const {
  int64_t n = 0;
  for (const auto& l : layers)
    if (l.k.defined()) n += (l.k.numel() + l.v.numel()) * static_cast<int64_t>(l.k.element_size());
  return n;
}

HierarchicalCausalTransformerImpl::HierarchicalCausalTransformerImpl(const T2MConfig& c) : cfg(c) {
  require(c.num_quantizers >= 1 && c.codebook_size >= 2, "transformer config: needs at least 1 layer and 2 codes");
  require(c.text.out_dim == c.dim, "transformer config: text.out_dim must equal dim");
  const int64_t d = c.dim, Q = c.num_quantizers;
  text = register_module("text", TextEncoder(c.text));
  cond_proj = register_module("cond_proj", torch::nn::Linear(c.text.out_dim, d));
  null_cond = register_parameter("null_cond", torch::randn({d}) * 0.02);
  level_emb = register_parameter("level_emb", torch::randn({Q, d}) * 0.02);
  embeddings = register_module("embeddings", torch::nn::ModuleList());
  blocks = register_module("blocks", torch::nn::ModuleList());
  head_norms = register_module("head_norms", torch::nn::ModuleList());
  heads = register_module("heads", torch::nn::ModuleList());
  for (int64_t q = 0; q < Q; ++q) {
    auto emb = torch::nn::Embedding(c.codebook_size, d);
    torch::NoGradGuard g;
    emb->weight.normal_(0.0, 0.02);
    embeddings->push_back(emb);
    torch::nn::ModuleList block;
    for (int64_t l = 0; l < (q == 0 ? c.base_layers : c.residual_layers); ++l)
      block->push_back(CausalLayer(d, c.heads, c.ff_mult, c.dropout));
    blocks->push_back(block);
    head_norms->push_back(torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
    heads->push_back(torch::nn::Linear(d, q == 0 ? c.base_vocab() : c.codebook_size));
  }
}

torch::Tensor HierarchicalCausalTransformerImpl::condition(const torch::Tensor& ids, const torch::Tensor& mask,
                                                           const torch::Tensor& drop) {
  auto c = cond_proj(text(ids, mask).pooled);  // [B,d]
  if (drop.defined()) c = torch::where(drop.unsqueeze(1), null_cond.unsqueeze(0).expand_as(c), c);
  return c;
}

torch::Tensor HierarchicalCausalTransformerImpl::null_condition(int64_t B) const {
  return null_cond.unsqueeze(0).expand({B, cfg.dim});
}

torch::Tensor HierarchicalCausalTransformerImpl::embed_steps(const torch::Tensor& tokens) {
  require(tokens.dim() == 3 && tokens.size(1) == cfg.num_quantizers,
          "transformer: tokens must be [B," + std::to_string(cfg.num_quantizers) + ",S], got " + c10::str(tokens.sizes()));
  torch::Tensor x;
  for (int64_t q = 0; q < cfg.num_quantizers; ++q) {
    auto e = embeddings[q]->as<torch::nn::EmbeddingImpl>()->forward(tokens.select(1, q));  // [B,S,d]
    x = x.defined() ? x + e : e;
  }
  return x;
}

std::vector<torch::Tensor> HierarchicalCausalTransformerImpl::forward_sequence(const torch::Tensor& x, HCTCache* cache) {
  const int64_t T = x.size(1);
  const int64_t start = cache ? cache->next_position : 0;
  auto positions = torch::arange(start, start + T, torch::TensorOptions().dtype(torch::kLong).device(x.device()));
  const auto rope = rotary_angles(positions, cfg.dim / cfg.heads, cfg.rope_base);  // shared by all layers
  if (cache && cache->layers.empty()) cache->layers.resize(cfg.total_layers());
  std::vector<torch::Tensor> logits;
  torch::Tensor h = x;
  int64_t layer_index = 0;
  for (int64_t q = 0; q < cfg.num_quantizers; ++q) {
    h = h + level_emb[q];
    for (const auto& m : *blocks[q]->as<torch::nn::ModuleListImpl>()) {
      LayerCache* lc = cache ? &cache->layers[layer_index] : nullptr;
      h = m->as<CausalLayerImpl>()->forward(h, rope, lc);
      ++layer_index;
    }
    auto n = head_norms[q]->as<torch::nn::LayerNormImpl>()->forward(h);
    logits.push_back(heads[q]->as<torch::nn::LinearImpl>()->forward(n));
  }
  if (cache) cache->next_position = start + T;
  return logits;
}

namespace {
// Rotates keys [B,H,1,dh] that carry position `from` so that they carry position `to`
// (rotations about the same plane compose: R(to) = R(to - from) R(from)).
torch::Tensor move_keys(const torch::Tensor& k, int64_t from, int64_t to, double base) {
  if (from == to) return k;
  auto delta = torch::full({1}, to - from, torch::TensorOptions().dtype(torch::kLong).device(k.device()));
  return apply_rope(k, rotary_angles(delta, k.size(-1), base));
}
}  // namespace

void HierarchicalCausalTransformerImpl::keep_recent(HCTCache& cache, int64_t steps) const {
  require(steps >= 0, "transformer: the cache window must be >= 0 steps");
  if (cache.length() == 0 || cache.length() <= steps + 1) return;
  const int64_t oldest = cache.next_position - steps;  // first kept step's position
  for (auto& l : cache.layers) {
    const int64_t first_kept = l.length() - steps;
    auto cond_k = move_keys(l.k.narrow(2, 0, 1), cache.condition_position, oldest - 1, cfg.rope_base);
    l.k = torch::cat({cond_k, l.k.narrow(2, first_kept, steps)}, 2);
    l.v = torch::cat({l.v.narrow(2, 0, 1), l.v.narrow(2, first_kept, steps)}, 2);
  }
  cache.condition_position = oldest - 1;
}

void HierarchicalCausalTransformerImpl::replace_condition(HCTCache& cache, const torch::Tensor& cond) {
  require(cache.length() > 0, "transformer: replace_condition needs a started cache");
  const int64_t B = cond.size(0);
  HCTCache fresh;  // the condition alone, at position 0: its keys/values in every layer
  forward_sequence(cond.unsqueeze(1), &fresh);
  for (size_t i = 0; i < cache.layers.size(); ++i) {
    auto& l = cache.layers[i];
    require(l.k.size(0) >= B, "transformer: replace_condition has more rows than the cache");
    // The cached tensors may be shared with a caller's copy of the cache: write to new ones.
    l.k = l.k.clone();
    l.v = l.v.clone();
    l.k.narrow(0, 0, B).narrow(2, 0, 1).copy_(move_keys(fresh.layers[i].k, 0, cache.condition_position, cfg.rope_base));
    l.v.narrow(0, 0, B).narrow(2, 0, 1).copy_(fresh.layers[i].v);
  }
}

std::shared_ptr<const HCTInference> HierarchicalCausalTransformerImpl::inference() {
  std::lock_guard<std::mutex> lock(inference_mutex_);
  if (!inference_ && null_cond.device().is_cpu()) inference_ = std::make_shared<const HCTInference>(*this);
  return inference_;
}

void HierarchicalCausalTransformerImpl::train(bool on) {
  {
    std::lock_guard<std::mutex> lock(inference_mutex_);
    inference_.reset();
  }
  torch::nn::Module::train(on);
}

std::vector<torch::Tensor> HierarchicalCausalTransformerImpl::forward(const torch::Tensor& cond, const torch::Tensor& tokens) {
  auto x = cond.unsqueeze(1);  // [B,1,d]
  if (tokens.size(2) > 0) x = torch::cat({x, embed_steps(tokens)}, 1);
  return forward_sequence(x);
}

}  // namespace mogo
