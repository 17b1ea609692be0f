#include "transformer/attention.hpp"

#include <cmath>

namespace mogo {

RotaryAngles rotary_angles(const torch::Tensor& positions, int64_t head_dim, double base) {
  const int64_t half = head_dim / 2;
  auto f = positions.options().dtype(torch::kFloat);
  // inv_freq_i = base^(-2i/dh), angle[t,i] = pos_t * inv_freq_i: [T,half]
  auto inv_freq = torch::pow(base, -torch::arange(0, half, f) * 2.0 / head_dim);
  auto angle = positions.to(torch::kFloat).unsqueeze(1) * inv_freq.unsqueeze(0);
  return {angle.cos(), angle.sin()};
}

torch::Tensor apply_rope(const torch::Tensor& x, const RotaryAngles& r) {
  const int64_t half = x.size(-1) / 2;
  auto cos = r.cos.to(x.dtype()), sin = r.sin.to(x.dtype());
  auto pairs = x.reshape({x.size(0), x.size(1), x.size(2), half, 2});
  auto a = pairs.select(-1, 0), b = pairs.select(-1, 1);  // [B,H,T,half]
  return torch::stack({a * cos - b * sin, a * sin + b * cos}, -1).reshape(x.sizes());
}

CausalSelfAttentionImpl::CausalSelfAttentionImpl(int64_t dim, int64_t heads_, double dropout) : heads(heads_) {
  TORCH_CHECK(dim % heads == 0 && (dim / heads) % 2 == 0, "attention: dim must split into heads of even size");
  qkv = register_module("qkv", torch::nn::Linear(dim, 3 * dim));
  out = register_module("out", torch::nn::Linear(dim, dim));
  drop = register_module("drop", torch::nn::Dropout(dropout));
}

torch::Tensor CausalSelfAttentionImpl::forward(const torch::Tensor& x, const RotaryAngles& rope, LayerCache* cache) {
  const int64_t B = x.size(0), T = x.size(1), d = x.size(2), dh = d / heads;
  // [B,T,3d] -> 3 x [B,H,T,dh]
  auto parts = qkv(x).view({B, T, 3, heads, dh}).permute({2, 0, 3, 1, 4});
  auto q = apply_rope(parts[0], rope);
  auto k = apply_rope(parts[1], rope);
  auto v = parts[2];
  int64_t past = 0;
  if (cache) {
    past = cache->length();
    if (past > 0) {
      k = torch::cat({cache->k, k}, 2);
      v = torch::cat({cache->v, v}, 2);
    }
    cache->k = k;
    cache->v = v;
  }
  // Query t (the (past + t)-th position seen) attends to keys 0 .. past + t.
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(dh));  // [B,H,T,past+T]
  if (T > 1) {
    auto mask = torch::ones({T, past + T}, x.options().dtype(torch::kBool)).triu(past + 1);
    scores = scores.masked_fill(mask, -std::numeric_limits<float>::infinity());
  }
  auto att = drop(torch::softmax(scores, -1));
  auto y = torch::matmul(att, v).transpose(1, 2).reshape({B, T, d});
  return drop(out(y));
}

CausalLayerImpl::CausalLayerImpl(int64_t dim, int64_t heads, int64_t ff_mult, double dropout) {
  norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
  norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
  attn = register_module("attn", CausalSelfAttention(dim, heads, dropout));
  mlp = register_module("mlp", torch::nn::Sequential(torch::nn::Linear(dim, ff_mult * dim), torch::nn::GELU(),
                                                     torch::nn::Linear(ff_mult * dim, dim), torch::nn::Dropout(dropout)));
}

torch::Tensor CausalLayerImpl::forward(const torch::Tensor& x, const RotaryAngles& rope, LayerCache* cache) {
  auto h = x + attn(norm1(x), rope, cache);
  return h + mlp->forward(norm2(h));
}

}  // namespace mogo
