#include "vq/residual_vq.hpp"

#include <cmath>

namespace mogo {

QuantizeEMAResetImpl::QuantizeEMAResetImpl(int64_t codebook_size, int64_t code_dim, double d)
    : K(codebook_size), C(code_dim), decay(d) {
  codebook = register_buffer("codebook", torch::zeros({K, C}));
  code_sum = register_buffer("code_sum", torch::zeros({K, C}));
  code_count = register_buffer("code_count", torch::zeros({K}));
  initialised = register_buffer("initialised", torch::zeros({}));
}

torch::Tensor QuantizeEMAResetImpl::quantize(const torch::Tensor& x) const {
  // ||x - e||^2 = ||x||^2 - 2 x.e + ||e||^2; ||x||^2 is constant per row.
  auto dist = codebook.pow(2).sum(1).unsqueeze(0) - 2 * torch::matmul(x, codebook.t());
  return dist.argmin(1);
}

torch::Tensor QuantizeEMAResetImpl::dequantize(const torch::Tensor& idx) const {
  return torch::nn::functional::embedding(idx, codebook);
}

namespace {
// K rows drawn from x (with repetition if x has fewer rows), plus a little noise so that
// duplicated rows separate.
torch::Tensor random_rows(const torch::Tensor& x, int64_t K) {
  auto idx = torch::randint(x.size(0), {K}, torch::TensorOptions().dtype(torch::kLong).device(x.device()));
  auto rows = x.index_select(0, idx);
  if (x.size(0) < K) rows = rows + torch::randn_like(rows) * (0.01 / std::sqrt(static_cast<double>(x.size(1))));
  return rows;
}
}  // namespace

void QuantizeEMAResetImpl::ema_update(const torch::Tensor& x_in, const torch::Tensor& idx) {
  torch::NoGradGuard no_grad;
  auto x = x_in.detach();
  auto onehot = torch::zeros({K, x.size(0)}, x.options());
  onehot.scatter_(0, idx.view({1, -1}), 1.0);
  auto count = onehot.sum(1);            // [K]
  auto sum = torch::matmul(onehot, x);   // [K,C]
  code_sum.mul_(decay).add_(sum, 1 - decay);
  code_count.mul_(decay).add_(count, 1 - decay);
  auto usage = (code_count >= 1.0).to(x.dtype()).unsqueeze(1);
  auto updated = code_sum / code_count.clamp_min(1e-8).unsqueeze(1);
  codebook.copy_(usage * updated + (1 - usage) * random_rows(x, K));
}

double perplexity_of_counts(const torch::Tensor& counts) {
  auto p = counts.to(torch::kDouble) / counts.sum().to(torch::kDouble).clamp_min(1);
  return std::exp(-(p * torch::log(p + 1e-10)).sum().item<double>());
}

double QuantizeEMAResetImpl::perplexity(const torch::Tensor& idx) const { return perplexity_of_counts(torch::bincount(idx.flatten(), {}, K)); }

ResidualVQImpl::ResidualVQImpl(const VQConfig& c) : cfg(c) {
  for (int64_t q = 0; q < c.num_quantizers; ++q) layers->push_back(QuantizeEMAReset(c.codebook_size, c.code_dim, c.ema_decay));
  register_module("layers", layers);
  if (c.mosa) log_scales = register_parameter("log_scales", torch::zeros({c.num_quantizers}));
}

torch::Tensor ResidualVQImpl::scale(int64_t q) const { return log_scales[q].exp(); }

torch::Tensor ResidualVQImpl::to_search(const torch::Tensor& r, int64_t q) const {
  return log_scales.defined() ? r / scale(q).detach() : r;
}

torch::Tensor ResidualVQImpl::from_search(const torch::Tensor& c, int64_t q) const {
  return log_scales.defined() ? c * scale(q).detach() : c;
}

RVQOutput ResidualVQImpl::forward(const torch::Tensor& z) {
  const int64_t B = z.size(0), C = z.size(1), T = z.size(2), Q = cfg.num_quantizers;
  auto x = z.permute({0, 2, 1}).reshape({B * T, C});  // [N,C]
  int64_t active = Q;
  if (is_training() && torch::rand({1}).item<double>() < cfg.quantize_dropout_prob)
    active = 1 + torch::randint(Q, {1}).item<int64_t>();

  auto residual = x.detach();
  auto quantized = torch::zeros_like(residual);
  torch::Tensor scaled_sum;  // MoSA: sum of s_q * code_q with the gradient into the scales
  auto indices = torch::full({B * T, Q}, -1, torch::TensorOptions().dtype(torch::kLong).device(x.device()));
  RVQOutput out;
  for (int64_t q = 0; q < active; ++q) {
    auto* cb = &layer(q);
    // MoSA: the code search (and the EMA codebook) work on residual / s_q.
    const auto search = to_search(residual, q);
    const auto all_rows = is_training() && gather_rows ? gather_rows(search) : search;
    if (is_training() && cb->initialised.item<double>() == 0) {
      // Seed the codebook from data on first use (avoids dead codes from a random init).
      torch::NoGradGuard g;
      cb->codebook.copy_(random_rows(all_rows, cb->K));
      cb->code_sum.copy_(cb->codebook);
      cb->code_count.fill_(1.0);
      cb->initialised.fill_(1.0);
    }
    auto idx = cb->quantize(search);
    // The code vectors this batch was assigned, taken before the EMA update: the update may
    // re-seed a rarely used code, and the next layer must see the residual of the assignment.
    auto code = cb->dequantize(idx).detach().clone();
    if (is_training()) cb->ema_update(all_rows, gather_rows ? cb->quantize(all_rows) : idx);
    out.perplexity.push_back(cb->perplexity(idx));
    indices.select(1, q).copy_(idx);
    const auto contribution = from_search(code, q);
    quantized = quantized + contribution;
    residual = residual - contribution;
    if (log_scales.defined()) scaled_sum = scaled_sum.defined() ? scaled_sum + code * scale(q) : code * scale(q);
  }
  // Straight-through: value of the quantised sum, gradient of the identity into the encoder, and
  // (MoSA) the decoder's gradient into each layer's scale through s_q * code_q.
  auto st = x + (quantized - x).detach();
  if (scaled_sum.defined()) st = st + (scaled_sum - scaled_sum.detach());
  out.quantized = st.view({B, T, C}).permute({0, 2, 1});
  out.indices = indices.view({B, T, Q}).permute({0, 2, 1});
  // Commitment pulls the encoder output towards its (fixed) quantisation: ||z - sg(z_hat)||^2.
  // (The per-layer residual terms above carry no gradient: residuals start from sg(z).)
  out.commit_loss = (x - quantized.detach()).pow(2).mean();
  out.active_layers = active;
  return out;
}

torch::Tensor ResidualVQImpl::encode(const torch::Tensor& z) const {
  const int64_t B = z.size(0), C = z.size(1), T = z.size(2);
  auto residual = z.permute({0, 2, 1}).reshape({B * T, C});
  std::vector<torch::Tensor> idx;
  for (int64_t q = 0; q < cfg.num_quantizers; ++q) {
    auto* cb = &layer(q);
    auto k = cb->quantize(to_search(residual, q));
    residual = residual - from_search(cb->dequantize(k), q);
    idx.push_back(k.view({B, T}));
  }
  return torch::stack(idx, 1);  // [B,Q,T]
}

torch::Tensor ResidualVQImpl::decode(const torch::Tensor& indices, int64_t n_layers) const {
  int64_t n = n_layers <= 0 ? indices.size(1) : std::min(n_layers, indices.size(1));
  torch::Tensor sum;
  for (int64_t q = 0; q < n; ++q) {
    auto v = from_search(layer(q).dequantize(indices.select(1, q)), q);  // [B,T,C]
    sum = q == 0 ? v : sum + v;
  }
  return sum.permute({0, 2, 1});
}

}  // namespace mogo
