#include "eval/metrics.hpp"

#include <cmath>

#include "common/error.hpp"

namespace mogo::metrics {

namespace {
std::pair<torch::Tensor, torch::Tensor> gaussian(const torch::Tensor& x) {
  auto d = x.to(torch::kDouble);
  auto mu = d.mean(0);
  auto c = d - mu;
  return {mu, torch::matmul(c.t(), c) / std::max<int64_t>(1, d.size(0) - 1)};
}

torch::Tensor sqrt_psd(const torch::Tensor& s) {
  auto [w, v] = torch::linalg_eigh(s);
  return torch::matmul(v * torch::sqrt(w.clamp_min(0)).unsqueeze(0), v.t());
}
}  // namespace

double frechet_distance(const torch::Tensor& mu1, const torch::Tensor& s1, const torch::Tensor& mu2, const torch::Tensor& s2) {
  auto a = sqrt_psd(s1);
  auto m = torch::matmul(torch::matmul(a, s2), a);
  m = 0.5 * (m + m.t());
  double tr_sqrt = torch::sqrt(torch::linalg_eigvalsh(m).clamp_min(0)).sum().item<double>();
  double d = (mu1 - mu2).pow(2).sum().item<double>() + s1.trace().item<double>() + s2.trace().item<double>() - 2 * tr_sqrt;
  return std::max(0.0, d);
}

double fid(const torch::Tensor& a, const torch::Tensor& b) {
  require(a.dim() == 2 && b.dim() == 2 && a.size(1) == b.size(1), "fid: embeddings must be [N,E] and [M,E]");
  require(a.size(0) >= 2 && b.size(0) >= 2, "fid: need at least 2 embeddings per set");
  auto [m1, s1] = gaussian(a);
  auto [m2, s2] = gaussian(b);
  return frechet_distance(m1, s1, m2, s2);
}

std::vector<double> r_precision(const torch::Tensor& text, const torch::Tensor& motion, int top_k) {
  require(text.sizes() == motion.sizes() && text.dim() == 2, "r_precision: text and motion must both be [B,E]");
  auto dist = torch::cdist(text.to(torch::kDouble), motion.to(torch::kDouble));  // [B,B]
  auto own = dist.diagonal().unsqueeze(1);
  // Rank of the matched motion: how many motions are strictly nearer (ties count in its favour).
  auto rank = (dist < own).sum(1);
  std::vector<double> out;
  for (int k = 1; k <= top_k; ++k) out.push_back((rank < k).to(torch::kDouble).mean().item<double>());
  return out;
}

double mm_dist(const torch::Tensor& text, const torch::Tensor& motion) {
  return (text.to(torch::kDouble) - motion.to(torch::kDouble)).norm(2, 1).mean().item<double>();
}

double diversity(const torch::Tensor& motion, int64_t pairs, std::mt19937_64& rng) {
  const int64_t N = motion.size(0);
  require(N >= 2, "diversity: need at least 2 motions");
  std::uniform_int_distribution<int64_t> pick(0, N - 1);
  std::vector<int64_t> a(pairs), b(pairs);
  for (int64_t i = 0; i < pairs; ++i) {
    a[i] = pick(rng);
    b[i] = pick(rng);
  }
  auto m = motion.to(torch::kDouble);
  auto ia = torch::tensor(a, torch::kLong), ib = torch::tensor(b, torch::kLong);
  return (m.index_select(0, ia) - m.index_select(0, ib)).norm(2, 1).mean().item<double>();
}

double multimodality(const torch::Tensor& emb, int64_t pairs, std::mt19937_64& rng) {
  require(emb.dim() == 3 && emb.size(1) >= 2, "multimodality: embeddings must be [N,K>=2,E]");
  double total = 0;
  for (int64_t i = 0; i < emb.size(0); ++i) total += diversity(emb[i], pairs, rng);
  return total / emb.size(0);
}

std::pair<double, double> mean_confidence(const std::vector<double>& v) {
  require(!v.empty(), "mean_confidence: no values");
  double mean = 0;
  for (double x : v) mean += x;
  mean /= v.size();
  double var = 0;
  for (double x : v) var += (x - mean) * (x - mean);
  var /= v.size();
  return {mean, 1.96 * std::sqrt(var) / std::sqrt(static_cast<double>(v.size()))};
}

}  // namespace mogo::metrics
