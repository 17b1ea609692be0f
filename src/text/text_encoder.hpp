// Text encoder: token + position embeddings, a pre-norm transformer encoder, and a pooled vector
// (masked mean over tokens, then a linear projection). Used by the evaluator and, as its own
// instance, by the generator.
#pragma once
#include <nlohmann/json.hpp>
#include <torch/torch.h>

namespace mogo {

// The mean of a sequence's valid positions: h [B,L,D], mask [B,L] (true = valid) -> [B,D]; a row
// with none is 0. The text encoder and the evaluator's motion encoder pool with it.
torch::Tensor masked_mean(const torch::Tensor& h, const torch::Tensor& mask);

struct TextEncoderConfig {
  int64_t vocab_size = 512;
  int64_t dim = 256;
  int64_t layers = 4;
  int64_t heads = 4;
  int64_t max_length = 77;
  int64_t out_dim = 256;
  double dropout = 0.1;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(TextEncoderConfig, vocab_size, dim, layers, heads, max_length, out_dim, dropout)

struct TextEncoding {
  torch::Tensor sequence;  // [B,L,dim] per-token features
  torch::Tensor pooled;    // [B,out_dim]
};

struct TextEncoderImpl : torch::nn::Module {
  explicit TextEncoderImpl(const TextEncoderConfig& c);
  // ids: [B,L] int64, mask: [B,L] bool (true = token).
  TextEncoding forward(const torch::Tensor& ids, const torch::Tensor& mask);

  TextEncoderConfig cfg;
  torch::nn::Embedding token{nullptr}, position{nullptr};
  torch::nn::TransformerEncoder encoder{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Linear project{nullptr};
};
TORCH_MODULE(TextEncoder);

}  // namespace mogo
