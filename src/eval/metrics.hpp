// The text-to-motion evaluation metrics of Guo et al. (2022), on embeddings.
#pragma once
#include <random>
#include <vector>

#include <torch/torch.h>

namespace mogo::metrics {

// Frechet distance between Gaussians fitted to two sets of embeddings [N,E], [M,E]:
//   |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)), with tr (S1 S2)^(1/2) = sum sqrt(eig(A S2 A)),
//   A = S1^(1/2) (symmetric, so the eigenvalues are real).
double fid(const torch::Tensor& a, const torch::Tensor& b);
double frechet_distance(const torch::Tensor& mu1, const torch::Tensor& s1, const torch::Tensor& mu2, const torch::Tensor& s2);

// R-precision of one batch: text[i] is matched with motion[i]; for each text, is its motion among
// the k nearest motions (Euclidean)? Returns the fraction per k = 1..top_k. text, motion: [B,E].
std::vector<double> r_precision(const torch::Tensor& text, const torch::Tensor& motion, int top_k = 3);

// Mean Euclidean distance between matched text and motion embeddings.
double mm_dist(const torch::Tensor& text, const torch::Tensor& motion);

// Mean distance between `pairs` random pairs of motion embeddings (two random index draws).
double diversity(const torch::Tensor& motion, int64_t pairs, std::mt19937_64& rng);

// emb: [N,K,E] (K generations per text): mean over texts of the mean distance of `pairs` random
// pairs among its K generations.
double multimodality(const torch::Tensor& emb, int64_t pairs, std::mt19937_64& rng);

// Mean and 95% confidence half-width (1.96 sigma / sqrt(n)) over repetitions.
std::pair<double, double> mean_confidence(const std::vector<double>& values);

}  // namespace mogo::metrics
