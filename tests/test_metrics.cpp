// The evaluation metrics against known answers.
#include <cmath>
#include <random>

#include "eval/metrics.hpp"
#include "eval/stream_eval.hpp"
#include "test_util.hpp"

using namespace mogo;

TEST(Metrics, FidOfASetWithItselfIsZero) {
  torch::manual_seed(0);
  auto a = torch::randn({500, 8}, torch::kDouble);
  EXPECT_NEAR(metrics::fid(a, a), 0.0, 1e-8);
}

TEST(Metrics, FrechetDistanceMatchesClosedFormForGaussians) {
  // Diagonal covariances: d = |mu1-mu2|^2 + sum (s1 + s2 - 2 sqrt(s1 s2)) = |dmu|^2 + sum (sqrt s1 - sqrt s2)^2
  auto mu1 = torch::tensor({0.0, 1.0, 2.0}, torch::kDouble), mu2 = torch::tensor({1.0, 1.0, 0.0}, torch::kDouble);
  auto s1 = torch::diag(torch::tensor({1.0, 4.0, 9.0}, torch::kDouble));
  auto s2 = torch::diag(torch::tensor({4.0, 1.0, 9.0}, torch::kDouble));
  double expected = (1 + 0 + 4) + (1.0 + 1.0 + 0.0);
  EXPECT_NEAR(metrics::frechet_distance(mu1, s1, mu2, s2), expected, 1e-9);
  // Full covariances: rotate both by the same rotation; the distance is invariant.
  auto q = std::get<0>(torch::linalg_qr(torch::randn({3, 3}, torch::kDouble)));
  EXPECT_NEAR(metrics::frechet_distance(torch::matmul(q, mu1), torch::matmul(torch::matmul(q, s1), q.t()),
                                        torch::matmul(q, mu2), torch::matmul(torch::matmul(q, s2), q.t())),
              expected, 1e-8);
  // Sampled: FID of samples approaches the closed form.
  torch::manual_seed(1);
  auto a = torch::randn({20000, 3}, torch::kDouble) * torch::tensor({1.0, 2.0, 3.0}, torch::kDouble) + mu1;
  auto b = torch::randn({20000, 3}, torch::kDouble) * torch::tensor({2.0, 1.0, 3.0}, torch::kDouble) + mu2;
  EXPECT_NEAR(metrics::fid(a, b), expected, 0.25);
}

TEST(Metrics, RPrecisionIsOneWhenAlignedAndChanceWhenRandom) {
  torch::manual_seed(2);
  auto e = torch::randn({32, 16}, torch::kDouble);
  auto rp = metrics::r_precision(e, e, 3);
  for (double v : rp) EXPECT_DOUBLE_EQ(v, 1.0);
  std::vector<double> sum(3, 0.0);
  const int trials = 400;
  for (int i = 0; i < trials; ++i) {
    auto r = metrics::r_precision(torch::randn({32, 16}, torch::kDouble), torch::randn({32, 16}, torch::kDouble), 3);
    for (int k = 0; k < 3; ++k) sum[k] += r[k];
  }
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(sum[k] / trials, (k + 1) / 32.0, 0.01) << "top-" << k + 1;
}

TEST(Metrics, DiversityAndMmDistOnHandMadeVectors) {
  auto t = torch::tensor({{0.0, 0.0}, {1.0, 0.0}}, torch::kDouble);
  auto m = torch::tensor({{3.0, 4.0}, {1.0, 2.0}}, torch::kDouble);
  EXPECT_DOUBLE_EQ(metrics::mm_dist(t, m), (5.0 + 2.0) / 2);
  // Two points at distance 10: a random pair is (same point: 0) or (different: 10) with p = 1/2.
  auto two = torch::tensor({{0.0, 0.0}, {6.0, 8.0}}, torch::kDouble);
  std::mt19937_64 rng(3);
  EXPECT_NEAR(metrics::diversity(two, 20000, rng), 5.0, 0.15);
  // Identical generations have no multimodality; two distinct ones have half their distance.
  auto same = torch::zeros({4, 10, 2}, torch::kDouble);
  EXPECT_DOUBLE_EQ(metrics::multimodality(same, 10, rng), 0.0);
  auto pairs = torch::stack({two, two}).repeat({1, 5, 1});  // [2,10,2]
  EXPECT_NEAR(metrics::multimodality(pairs, 20000, rng), 5.0, 0.2);
}

TEST(Metrics, MeanConfidence) {
  auto [m, ci] = metrics::mean_confidence({1.0, 3.0});
  EXPECT_DOUBLE_EQ(m, 2.0);
  EXPECT_NEAR(ci, 1.96 * 1.0 / std::sqrt(2.0), 1e-12);
  auto [m2, ci2] = metrics::mean_confidence({5.0, 5.0, 5.0});
  EXPECT_DOUBLE_EQ(m2, 5.0);
  EXPECT_DOUBLE_EQ(ci2, 0.0);
}

TEST(SeamJerk, FrameJerkOfACubicIsSixTimesItsCoefficientAndCurvesAverage) {
  // x(t) = a t^3 for one joint (t in seconds at 20 fps): the third derivative is 6a everywhere.
  const double a = 0.5;
  const int64_t T = 50;
  auto joints = torch::zeros({T, 2, 3}, torch::kDouble);
  for (int64_t f = 0; f < T; ++f) joints[f][1][0] = a * std::pow(static_cast<double>(f) / 20.0, 3);
  auto jerk = frame_jerk(joints, 20.0);
  ASSERT_EQ(jerk.size(0), T);
  EXPECT_LT((jerk - 6 * a).abs().max().item<double>(), 1e-6);
  JerkCurve c;
  c.half = 3;
  c.add(jerk, 10);
  c.add(jerk * 3, 20);
  c.add(jerk, 1);  // too near the start: skipped
  EXPECT_EQ(c.n, 2);
  EXPECT_NEAR(c.peak(), 2 * 6 * a, 1e-6);
  EXPECT_NEAR(c.area(6 * a), 7 * 6 * a, 1e-6);  // 7 frames, each 6a above the level
}
