// Motion encoder of the evaluator: normalised features [B,T,D] with lengths -> one embedding per
// motion. Conv1d layers down-sample time by 4 (as the RVQ-VAE), a transformer encoder mixes the
// sequence, and a masked mean pool plus a projection gives the embedding.
#pragma once
#include <nlohmann/json.hpp>
#include <torch/torch.h>

namespace mogo {

struct MotionEncoderConfig {
  int64_t input_dim = 263;
  int64_t dim = 256;
  int64_t layers = 2;
  int64_t heads = 4;
  int64_t out_dim = 256;
  int64_t max_frames = 400;  // positions (after /4 down-sampling: 100)
  double dropout = 0.1;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MotionEncoderConfig, input_dim, dim, layers, heads, out_dim, max_frames, dropout)

struct MotionEncoderImpl : torch::nn::Module {
  explicit MotionEncoderImpl(const MotionEncoderConfig& c);
  // x: [B,T,D] (padded), lengths: [B] frames -> [B,out_dim]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& lengths);

  MotionEncoderConfig cfg;
  torch::nn::Sequential conv{nullptr};
  torch::nn::Embedding position{nullptr};
  torch::nn::TransformerEncoder encoder{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Linear project{nullptr};
};
TORCH_MODULE(MotionEncoder);

}  // namespace mogo
