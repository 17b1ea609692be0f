// Causal self-attention with rotary position embeddings (RoPE) and a key/value cache, and the
// pre-norm transformer layer built on it. Rotary positions are relative, so a model keeps working
// past its longest training sequence and a sliding window can drop old steps from the cache.
#pragma once
#include <torch/torch.h>

namespace mogo {

// The keys and values one attention layer has seen so far: [B,H,P,dh] each (undefined = empty).
struct LayerCache {
  torch::Tensor k, v;
  int64_t length() const { return k.defined() ? k.size(2) : 0; }
};

// cos/sin of the rotary angles pos_t * base^(-2i/dh) (Su et al., RoFormer): [T, dh/2] each.
// Computed once per forward pass and shared by every layer.
struct RotaryAngles {
  torch::Tensor cos, sin;
};
RotaryAngles rotary_angles(const torch::Tensor& positions, int64_t head_dim, double base);

// Rotates pairs (x_2i, x_2i+1) of x: [B,H,T,dh] by the angles of its positions.
torch::Tensor apply_rope(const torch::Tensor& x, const RotaryAngles& r);

struct CausalSelfAttentionImpl : torch::nn::Module {
  CausalSelfAttentionImpl(int64_t dim, int64_t heads, double dropout);

  // x: [B,T,d] at the positions `rope` was made for (increasing). With a cache, the new keys/values
  // are appended to it and x attends to every cached position plus its causal past.
  torch::Tensor forward(const torch::Tensor& x, const RotaryAngles& rope, LayerCache* cache = nullptr);

  int64_t heads;
  torch::nn::Linear qkv{nullptr}, out{nullptr};
  torch::nn::Dropout drop{nullptr};
};
TORCH_MODULE(CausalSelfAttention);

// x + attn(LN(x)), then x + MLP(LN(x)) with a GELU MLP of ff_mult * d hidden units.
struct CausalLayerImpl : torch::nn::Module {
  CausalLayerImpl(int64_t dim, int64_t heads, int64_t ff_mult, double dropout);
  torch::Tensor forward(const torch::Tensor& x, const RotaryAngles& rope, LayerCache* cache = nullptr);

  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  CausalSelfAttention attn{nullptr};
  torch::nn::Sequential mlp{nullptr};
};
TORCH_MODULE(CausalLayer);

}  // namespace mogo
