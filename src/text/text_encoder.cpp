#include "text/text_encoder.hpp"

#include "common/error.hpp"

namespace mogo {

TextEncoderImpl::TextEncoderImpl(const TextEncoderConfig& c) : cfg(c) {
  token = register_module("token", torch::nn::Embedding(c.vocab_size, c.dim));
  position = register_module("position", torch::nn::Embedding(c.max_length, c.dim));
  auto layer = torch::nn::TransformerEncoderLayer(
      torch::nn::TransformerEncoderLayerOptions(c.dim, c.heads).dim_feedforward(4 * c.dim).dropout(c.dropout).activation(torch::kGELU));
  encoder = register_module("encoder", torch::nn::TransformerEncoder(torch::nn::TransformerEncoderOptions(layer, c.layers)));
  norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.dim})));
  project = register_module("project", torch::nn::Linear(c.dim, c.out_dim));
}

torch::Tensor masked_mean(const torch::Tensor& h, const torch::Tensor& mask) {
  auto m = mask.unsqueeze(-1).to(h.dtype());
  return (h * m).sum(1) / m.sum(1).clamp_min(1.0);
}

TextEncoding TextEncoderImpl::forward(const torch::Tensor& ids, const torch::Tensor& mask) {
  require(ids.dim() == 2 && ids.sizes() == mask.sizes(), "TextEncoder: ids and mask must both be [B,L]");
  require(ids.size(1) <= cfg.max_length, "TextEncoder: sequence of " + std::to_string(ids.size(1)) +
                                             " tokens exceeds max_length " + std::to_string(cfg.max_length));
  auto pos = torch::arange(ids.size(1), ids.options());
  auto x = token(ids) + position(pos).unsqueeze(0);  // [B,L,dim]
  // torch's TransformerEncoder is sequence-first: [L,B,dim]; key padding mask: true = ignore.
  auto h = encoder->forward(x.transpose(0, 1), /*src_mask=*/torch::Tensor(), /*src_key_padding_mask=*/~mask).transpose(0, 1);
  h = norm(h);
  return {h, project(masked_mean(h, mask))};
}

}  // namespace mogo
