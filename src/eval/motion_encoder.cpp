#include "eval/motion_encoder.hpp"

#include "common/error.hpp"
#include "text/text_encoder.hpp"

namespace mogo {

MotionEncoderImpl::MotionEncoderImpl(const MotionEncoderConfig& c) : cfg(c) {
  namespace nn = torch::nn;
  conv = register_module("conv", nn::Sequential(
      nn::Conv1d(nn::Conv1dOptions(c.input_dim, c.dim, 3).padding(1)), nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)),
      nn::Conv1d(nn::Conv1dOptions(c.dim, c.dim, 4).stride(2).padding(1)), nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)),
      nn::Conv1d(nn::Conv1dOptions(c.dim, c.dim, 4).stride(2).padding(1)), nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2))));
  position = register_module("position", nn::Embedding(c.max_frames / 4 + 1, c.dim));
  auto layer = nn::TransformerEncoderLayer(
      nn::TransformerEncoderLayerOptions(c.dim, c.heads).dim_feedforward(4 * c.dim).dropout(c.dropout).activation(torch::kGELU));
  encoder = register_module("encoder", nn::TransformerEncoder(nn::TransformerEncoderOptions(layer, c.layers)));
  norm = register_module("norm", nn::LayerNorm(nn::LayerNormOptions({c.dim})));
  project = register_module("project", nn::Linear(c.dim, c.out_dim));
}

torch::Tensor MotionEncoderImpl::forward(const torch::Tensor& x, const torch::Tensor& lengths) {
  require(x.dim() == 3 && x.size(2) == cfg.input_dim,
          "MotionEncoder: input must be [B,T," + std::to_string(cfg.input_dim) + "], got " + c10::str(x.sizes()));
  require(x.size(1) <= cfg.max_frames, "MotionEncoder: " + std::to_string(x.size(1)) + " frames exceed max_frames " +
                                           std::to_string(cfg.max_frames));
  // Pad T to a multiple of 4 so that the down-sampled length is exactly T/4.
  int64_t T = x.size(1), pad = (4 - T % 4) % 4;
  auto xp = pad ? torch::cat({x, torch::zeros({x.size(0), pad, x.size(2)}, x.options())}, 1) : x;
  auto h = conv->forward(xp.transpose(1, 2)).transpose(1, 2);  // [B,T/4,dim]
  const int64_t S = h.size(1);
  auto pos = torch::arange(S, torch::TensorOptions().dtype(torch::kLong).device(x.device()));
  h = h + position(pos).unsqueeze(0);
  auto steps = torch::clamp((lengths.to(x.device()) + 3) / 4, 1, S);               // valid down-sampled steps
  auto mask = pos.unsqueeze(0) < steps.unsqueeze(1);                              // [B,S] true = valid
  h = encoder->forward(h.transpose(0, 1), torch::Tensor(), ~mask).transpose(0, 1);
  h = norm(h);
  return project(masked_mean(h, mask));
}

}  // namespace mogo
