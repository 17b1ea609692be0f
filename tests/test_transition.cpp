// Cross-fades (motion/transition) and the decoder's transition windows (vq/transition_windows).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <cmath>
#include <random>

#include "model/model_file.hpp"
#include "model/replace_decoder.hpp"
#include "motion/npy.hpp"
#include "motion/transition.hpp"
#include "test_util.hpp"
#include "vq/transition_windows.hpp"

namespace mogo {
namespace {

TEST(CrossFade, WeightsRiseStrictlyInsideZeroAndOneAndSmoothstepStartsAndEndsFlat) {
  auto lin = fade_weights(8, FadeShape::linear).squeeze(1);
  ASSERT_EQ(lin.size(0), 8);
  for (int64_t i = 0; i < 8; ++i) EXPECT_NEAR(lin[i].item<double>(), (i + 1) / 9.0, 1e-7);
  auto s = fade_weights(15, FadeShape::smoothstep).squeeze(1);
  for (int64_t i = 0; i < 15; ++i) {
    const double x = (i + 1) / 16.0;
    EXPECT_NEAR(s[i].item<double>(), x * x * (3 - 2 * x), 1e-6);
  }
  EXPECT_NEAR(s[7].item<double>(), 0.5, 1e-6);  // symmetric about the middle
  // Flat ends: the smooth fade's first step is far smaller than the linear fade's.
  EXPECT_LT(s[0].item<double>(), 0.25 / 16);
  auto a = torch::zeros({15, 3}), b = torch::ones({15, 3}) * 2;
  EXPECT_TRUE(torch::allclose(cross_fade(a, b, FadeShape::smoothstep), 2 * s.unsqueeze(1).expand({15, 3})));
  EXPECT_NE(test::error_message([] { fade_weights(0, FadeShape::linear); }), "no error");
  EXPECT_NE(test::error_message([&] { cross_fade(a, torch::zeros({14, 3}), FadeShape::linear); }), "no error");
}

// A dataset of clips whose every feature is the clip's number: windows show where each clip is used.
std::string constant_clips_dataset(const test::TempDir& dir, int64_t clips, int64_t frames) {
  std::filesystem::create_directories(dir.path / "new_joint_vecs");
  std::ofstream split(dir / "train.txt");
  for (int64_t i = 0; i < clips; ++i) {
    npy::save(dir / ("new_joint_vecs/c" + std::to_string(i) + ".npy"), torch::full({frames + i, 2}, static_cast<double>(i + 1)));
    split << "c" << i << "\n";
  }
  npy::save(dir / "Mean.npy", torch::zeros({2}));
  npy::save(dir / "Std.npy", torch::ones({2}));
  return dir.path.string();
}

TEST(TransitionWindows, GivenFadesLinearlyAtAStepBoundaryAndTheTargetFadesSmoothlyAroundIt) {
  test::TempDir dir;
  MotionDataset data(constant_clips_dataset(dir, 5, 40), "train");
  TransitionPlan plan;  // the joins' 8 frames given, 16 asked for, steps of 4 frames
  std::mt19937_64 rng(3);
  const int64_t W = 32;
  auto tw = sample_transition_windows(data, 50, W, plan, rng);
  ASSERT_EQ(tw.given.sizes(), (std::vector<int64_t>{50, W, 2}));
  ASSERT_EQ(tw.target.sizes(), tw.given.sizes());
  const auto lin = fade_weights(8, FadeShape::linear).squeeze(1), smooth = fade_weights(16, FadeShape::smoothstep).squeeze(1);
  for (int64_t n = 0; n < 50; ++n) {
    auto g = tw.given[n].select(1, 0), t = tw.target[n].select(1, 0);
    const double a = g[0].item<double>(), b = g[W - 1].item<double>();
    EXPECT_NE(a, b) << "a window joins two different clips";
    int64_t c = 0;  // the first frame that is not A's alone
    while (g[c].item<double>() == a) ++c;
    EXPECT_EQ(c % plan.down, 0) << "the change falls on a step boundary";
    EXPECT_GE(c, 8) << "with A before the smooth fade";
    for (int64_t f = 0; f < W; ++f) {
      const double wg = f < c ? 0 : f < c + 8 ? lin[f - c].item<double>() : 1;
      const double wt = f < c - 4 ? 0 : f < c + 12 ? smooth[f - c + 4].item<double>() : 1;
      EXPECT_NEAR(g[f].item<double>(), a + wg * (b - a), 1e-5) << "window " << n << " frame " << f;
      EXPECT_NEAR(t[f].item<double>(), a + wt * (b - a), 1e-5) << "window " << n << " frame " << f;
    }
  }
}

TEST(TransitionWindows, PlansTheDecoderCannotSeeComingOrThatDoNotFitAreRefused) {
  TransitionPlan p;
  p.target_frames = 6;  // shorter than the given fade
  EXPECT_NE(test::error_message([&] { check_transition_plan(p, 64); }).find("--transition-frames"), std::string::npos);
  p.target_frames = 11;  // odd difference: not centred
  EXPECT_NE(test::error_message([&] { check_transition_plan(p, 64); }).find("--transition-frames"), std::string::npos);
  p.target_frames = 16;
  EXPECT_NE(test::error_message([&] { check_transition_plan(p, 16); }).find("16 frames"), std::string::npos);
  EXPECT_EQ(test::error_message([&] { check_transition_plan(p, 24); }), "no error");
}

TEST(TransitionWindows, ALongerFadeStartsOneStepEarlyAndRunsOnAfterTheGivenOne) {
  test::TempDir dir;
  MotionDataset data(constant_clips_dataset(dir, 4, 60), "train");
  TransitionPlan plan;
  plan.target_frames = 24;  // centred it would start 8 frames early; the decoder sees 4 ahead
  std::mt19937_64 rng(5);
  auto tw = sample_transition_windows(data, 20, 48, plan, rng);
  const auto smooth = fade_weights(24, FadeShape::smoothstep).squeeze(1);
  for (int64_t n = 0; n < 20; ++n) {
    auto g = tw.given[n].select(1, 0), t = tw.target[n].select(1, 0);
    const double a = g[0].item<double>(), b = g[47].item<double>();
    int64_t c = 0;
    while (g[c].item<double>() == a) ++c;
    for (int64_t f = 0; f < 48; ++f) {
      const double wt = f < c - 4 ? 0 : f < c + 20 ? smooth[f - c + 4].item<double>() : 1;
      EXPECT_NEAR(t[f].item<double>(), a + wt * (b - a), 1e-5) << "window " << n << " frame " << f;
    }
  }
}

TEST(TransitionWindows, TheOffsetTargetIsTheNewClipPlusAnOffsetFromTheOldOneThatIsGoneAfterTheFade) {
  // Clips that move at a constant rate: clip i's frame t is (i + 1) (1 + t / 10), so A's value
  // and rate at the join, and B's, are known.
  test::TempDir dir;
  std::filesystem::create_directories(dir.path / "new_joint_vecs");
  std::ofstream split(dir / "train.txt");
  for (int64_t i = 0; i < 3; ++i) {
    auto t = torch::arange(50 + i, torch::kDouble).unsqueeze(1).expand({50 + i, 2});
    npy::save(dir / ("new_joint_vecs/c" + std::to_string(i) + ".npy"), (i + 1) * (1 + t / 10));
    split << "c" << i << "\n";
  }
  split.close();
  npy::save(dir / "Mean.npy", torch::zeros({2}));
  npy::save(dir / "Std.npy", torch::ones({2}));
  MotionDataset data(dir.path.string(), "train");
  TransitionPlan plan;
  plan.target = TransitionTarget::offset;
  std::mt19937_64 rng(9);
  auto tw = sample_transition_windows(data, 20, 32, plan, rng);
  for (int64_t n = 0; n < 20; ++n) {
    auto t = tw.target[n].select(1, 0), g = tw.given[n].select(1, 0);
    const double rate_a = (g[1] - g[0]).item<double>(), rate_b = (g[31] - g[30]).item<double>();
    int64_t c = 0;
    while (c + 1 < 32 && std::abs((g[c + 1] - g[c]).item<double>() - rate_a) < 1e-4) ++c;
    ++c;  // the first frame of the linear fade
    ASSERT_LT(c, 24) << "window " << n << ": " << g;
    const int64_t start = c - 4;
    for (int64_t f = 0; f < start; ++f) EXPECT_NEAR(t[f].item<double>(), g[f].item<double>(), 1e-4) << "A before the fade";
    // B's line through the window's end, and the offset at the frame before the fade.
    auto b_at = [&](int64_t f) { return g[31].item<double>() - rate_b * (31 - f); };
    const double x = g[start - 1].item<double>() - b_at(start - 1), v = rate_a - rate_b;
    for (int64_t f = start; f < 32; ++f) {
      const auto h = hermite_offset(f - start, 16);
      EXPECT_NEAR(t[f].item<double>(), b_at(f) + x * h.value + v * h.rate, 1e-3) << "window " << n << " frame " << f;
    }
    if (start + 16 < 32) {
      EXPECT_NEAR(t[start + 16].item<double>(), b_at(start + 16), 1e-4) << "the offset is gone after the fade";
    }
  }
  EXPECT_EQ(transition_target("offset"), TransitionTarget::offset);
  EXPECT_NE(test::error_message([] { transition_target("blend"); }).find("fade or offset"), std::string::npos);
}

// mogo set-decoder --transition: only a decoder trained on changes of text and on the model's
// codes; the model file carries it (and its fade) through a save and a load.
TEST(TransitionDecoder, IsInstalledOnlyWhenTrainedOnChangesAndSurvivesTheModelFile) {
  auto model = load_t2m_model(test::source_dir() + "/models/t2m-tiny.pt");
  auto vq = load_vq_checkpoint(test::source_dir() + "/models/vq-tiny.pt");
  vq.train.transition_share = 0;
  EXPECT_NE(test::error_message([&] { install_transition_decoder(model, vq, "vq.pt"); }).find("--transition-share"), std::string::npos);
  vq.train.transition_share = 0.25;
  vq.train.transition_frames = 20;
  install_transition_decoder(model, vq, "vq.pt");
  test::TempDir dir;
  save_t2m_model(dir / "m.pt", model, nullptr, true);
  auto back = load_t2m_model(dir / "m.pt");
  ASSERT_TRUE(back.transition_decoder);
  EXPECT_EQ(back.transition_frames, 20);
  EXPECT_EQ(back.train_meta.at("transition_decoder").at("transition_share"), 0.25);
  auto a = vq.model->decoder->parameters(), b = back.transition_decoder->parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_LT(test::max_abs_diff(a[i], b[i]), 2e-3 * (a[i].abs().max().item<double>() + 1e-3));
  back.transition_decoder = nullptr;
  save_t2m_model(dir / "plain.pt", back, nullptr, true);
  EXPECT_FALSE(load_t2m_model(dir / "plain.pt").transition_decoder);
  // Codes of another tokenizer are refused, as for the main decoder.
  torch::NoGradGuard g;
  for (auto& t : vq.model->encoder->parameters()) t.add_(0.5);
  EXPECT_NE(test::error_message([&] { install_transition_decoder(model, vq, "vq.pt"); }).find("not trained on this model's codes"), std::string::npos);
}

TEST(CrossFade, HermiteOffsetStartsAtTheValueAndRateAndEndsFlat) {
  // Continuous with the join: offset(-1) = x, offset(0) - offset(-1) ~ v; gone and flat at K.
  const int64_t K = 12;
  auto h = [&](int64_t f) { return hermite_offset(f, K); };
  EXPECT_NEAR(h(-1).value, 1, 1e-12);
  EXPECT_NEAR(h(-1).rate, 0, 1e-12);
  EXPECT_NEAR(h(K).value, 0, 1e-12);  // t = 1: gone, flat
  EXPECT_NEAR(h(K).rate, 0, 1e-12);
  EXPECT_LT(h(K - 1).value, 0.02);
  EXPECT_EQ(h(K + 3).value, 0);
  // d/dframe of the rate term at the join is 1 (per frame): (h10(dt) (K+1)) ~ dt (K+1) = 1 frame.
  EXPECT_NEAR(h(0).rate, std::pow(K / (K + 1.0), 2), 1e-9);
}

}  // namespace
}  // namespace mogo
