// RVQ-VAE: Encoder -> ResidualVQ -> Decoder over normalised motion features.
#pragma once
#include <torch/torch.h>

#include "vq/conv_stacks.hpp"
#include "vq/residual_vq.hpp"

namespace mogo {

struct RVQVAEOutput {
  torch::Tensor reconstruction;  // [B,T,D]
  RVQOutput rvq;
};

struct RVQVAEImpl : torch::nn::Module {
  explicit RVQVAEImpl(const VQConfig& c);

  // x: [B,T,D] normalised features, any T (padded internally to a multiple of 4, then cropped).
  RVQVAEOutput forward(const torch::Tensor& x);
  // Decoder-only training: the codes of x (encoder and quantiser without gradient or EMA update),
  // decoded with the first n_layers layers (<= 0: all). commit_loss 0, no perplexity.
  RVQVAEOutput reconstruct_from_codes(const torch::Tensor& x, int64_t n_layers);
  // x: [B,T,D] -> tokens [B,Q,ceil(T/4)].
  torch::Tensor encode(const torch::Tensor& x);
  // tokens [B,Q',T'] (first n_layers layers used; <= 0: all) -> features [B,T'*4,D]; crop to the
  // original length with `frames` > 0.
  torch::Tensor decode(const torch::Tensor& tokens, int64_t n_layers = 0, int64_t frames = 0);

  // Pads [B,T,D] along T by repeating the last frame up to a multiple of the down-sampling.
  torch::Tensor pad_to_multiple(const torch::Tensor& x) const;

  VQConfig cfg;
  Encoder encoder{nullptr};
  ResidualVQ quantizer{nullptr};
  Decoder decoder{nullptr};
};
TORCH_MODULE(RVQVAE);

}  // namespace mogo
