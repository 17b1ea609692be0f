#include "vq/rvqvae.hpp"

#include "common/error.hpp"

namespace mogo {

RVQVAEImpl::RVQVAEImpl(const VQConfig& c) : cfg(c) {
  encoder = register_module("encoder", Encoder(c));
  quantizer = register_module("quantizer", ResidualVQ(c));
  decoder = register_module("decoder", Decoder(c));
}

torch::Tensor RVQVAEImpl::pad_to_multiple(const torch::Tensor& x) const {
  const int64_t T = x.size(1), m = cfg.downsample();
  const int64_t pad = (m - T % m) % m;
  if (pad == 0) return x;
  return torch::cat({x, x.narrow(1, T - 1, 1).expand({x.size(0), pad, x.size(2)})}, 1);
}

RVQVAEOutput RVQVAEImpl::forward(const torch::Tensor& x) {
  require(x.dim() == 3 && x.size(2) == cfg.input_dim,
          "RVQVAE: input must be [B,T," + std::to_string(cfg.input_dim) + "], got " + c10::str(x.sizes()));
  const int64_t T = x.size(1);
  auto z = encoder(pad_to_multiple(x).permute({0, 2, 1}));
  auto q = quantizer(z);
  auto rec = decoder(q.quantized).permute({0, 2, 1}).narrow(1, 0, T);
  return {rec, q};
}

RVQVAEOutput RVQVAEImpl::reconstruct_from_codes(const torch::Tensor& x, int64_t n_layers) {
  require(x.dim() == 3 && x.size(2) == cfg.input_dim,
          "RVQVAE: input must be [B,T," + std::to_string(cfg.input_dim) + "], got " + c10::str(x.sizes()));
  RVQOutput q;
  {
    torch::NoGradGuard frozen;
    q.indices = encode(x);
    q.quantized = quantizer->decode(q.indices, n_layers);
  }
  q.active_layers = n_layers <= 0 ? cfg.num_quantizers : n_layers;
  q.commit_loss = torch::zeros({}, x.options());
  q.perplexity.assign(q.active_layers, 0.0);
  auto rec = decoder(q.quantized).permute({0, 2, 1}).narrow(1, 0, x.size(1));
  return {rec, q};
}

torch::Tensor RVQVAEImpl::encode(const torch::Tensor& x) {
  require(x.dim() == 3 && x.size(2) == cfg.input_dim && x.size(1) >= 1,
          "RVQVAE::encode: input must be [B,T>=1," + std::to_string(cfg.input_dim) + "], got " + c10::str(x.sizes()));
  return quantizer->encode(encoder(pad_to_multiple(x).permute({0, 2, 1})));
}

torch::Tensor RVQVAEImpl::decode(const torch::Tensor& tokens, int64_t n_layers, int64_t frames) {
  require(tokens.dim() == 3 && tokens.size(1) >= 1 && tokens.size(1) <= cfg.num_quantizers,
          "RVQVAE::decode: tokens must be [B,Q<=" + std::to_string(cfg.num_quantizers) + ",T'], got " + c10::str(tokens.sizes()));
  require((tokens >= 0).all().item<bool>() && (tokens < cfg.codebook_size).all().item<bool>(),
          "RVQVAE::decode: token index outside [0," + std::to_string(cfg.codebook_size) + ")");
  auto out = decoder(quantizer->decode(tokens, n_layers)).permute({0, 2, 1});
  return frames > 0 ? out.narrow(1, 0, std::min(frames, out.size(1))) : out;
}

}  // namespace mogo
