// Residual vector quantisation (the "RQ" of Mogo): Q codebooks applied in sequence, each to what
// the previous ones left over.
//   r_0 = z;  k_q = argmin_k ||r_q - e_q[k]||;  r_{q+1} = r_q - e_q[k_q];  z_hat = sum_q e_q[k_q]
// Codebooks are updated by exponential moving averages (not by gradients) and dead codes are
// re-seeded from the current batch; the encoder gets straight-through gradients.
#pragma once
#include <functional>
#include <vector>

#include <torch/torch.h>

#include "vq/config.hpp"

namespace mogo {

// exp(entropy) of a code-use histogram: how many codes are in effect used (1 to K).
double perplexity_of_counts(const torch::Tensor& counts);

// One codebook with EMA updates and dead-code reset.
struct QuantizeEMAResetImpl : torch::nn::Module {
  QuantizeEMAResetImpl(int64_t codebook_size, int64_t code_dim, double decay);

  // x: [N,C] -> nearest code index per row [N].
  torch::Tensor quantize(const torch::Tensor& x) const;
  // idx: [...] -> vectors [...,C].
  torch::Tensor dequantize(const torch::Tensor& idx) const;
  // Training update from a batch x: [N,C] with its code indices [N]:
  //   n_k <- d n_k + (1-d) count_k;  s_k <- d s_k + (1-d) sum_{i: k_i = k} x_i;  e_k = s_k / n_k
  // then codes with n_k < 1 ("dead") are replaced by random rows of x.
  void ema_update(const torch::Tensor& x, const torch::Tensor& idx);
  // Perplexity exp(H(p)) of the code distribution of idx; K means all codes used evenly.
  double perplexity(const torch::Tensor& idx) const;

  int64_t K, C;
  double decay;
  torch::Tensor codebook;     // [K,C]
  torch::Tensor code_sum;     // [K,C] EMA of summed assigned vectors
  torch::Tensor code_count;   // [K]   EMA of assignment counts
  torch::Tensor initialised;  // [] 0/1: codebook seeded from data yet?
};
TORCH_MODULE(QuantizeEMAReset);

struct RVQOutput {
  torch::Tensor quantized;    // [B,C,T'] straight-through: forward value z_hat, gradient to z
  torch::Tensor indices;      // [B,Q,T'] (layers beyond the active ones are -1)
  torch::Tensor commit_loss;  // [] ||z - sg(z_hat)||^2
  std::vector<double> perplexity;  // per active layer
  int64_t active_layers;
};

struct ResidualVQImpl : torch::nn::Module {
  explicit ResidualVQImpl(const VQConfig& c);

  // z: [B,C,T']. In training mode: EMA updates, and with probability quantize_dropout_prob only
  // the first n layers (n uniform in 1..Q) are used, so that every prefix decodes well.
  RVQOutput forward(const torch::Tensor& z);
  // Token indices of all Q layers: [B,C,T'] -> [B,Q,T'].
  torch::Tensor encode(const torch::Tensor& z) const;
  // Sum of the first n_layers layers' code vectors (n_layers <= 0: all): [B,Q',T'] -> [B,C,T'].
  torch::Tensor decode(const torch::Tensor& indices, int64_t n_layers = 0) const;

  VQConfig cfg;
  torch::nn::ModuleList layers;
  torch::Tensor log_scales;  // MoSA-VQ: [Q] log of each layer's scale (a parameter; undefined for plain RVQ)
  // MoSA only: layer q's scale s_q, a [] tensor that carries the gradient into log_scales.
  torch::Tensor scale(int64_t q) const;
  // Into and out of layer q's search space: r / s_q and c * s_q (no gradient); plain RVQ returns
  // its argument untouched, so encoding and decoding pay nothing for the option.
  torch::Tensor to_search(const torch::Tensor& r, int64_t q) const;
  torch::Tensor from_search(const torch::Tensor& c, int64_t q) const;
  // Data-parallel training: every rank's rows [N,C] in rank order (train/distributed.hpp). The
  // EMA statistics and the codebook (re)seeding then see the global batch on every rank, so the
  // codebooks stay identical and equal those of one process on the whole batch. Unset: local.
  std::function<torch::Tensor(const torch::Tensor&)> gather_rows;
  // Layer q's codebook.
  const QuantizeEMAResetImpl& layer(int64_t q) const { return layers->at<QuantizeEMAResetImpl>(q); }
  QuantizeEMAResetImpl& layer(int64_t q) { return layers->at<QuantizeEMAResetImpl>(q); }
};
TORCH_MODULE(ResidualVQ);

}  // namespace mogo
