// Training hardening: the plan lives in the checkpoint (resume follows it, conflicting flags are
// errors), numbers are range-checked, a fresh run never overwrites a checkpoint, and a non-finite
// loss or gradient stops the run with the last good checkpoint kept.
#include <fstream>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "real_data.hpp"
#include "test_util.hpp"
#include "train/optim.hpp"
#include "train/plan.hpp"
#include "train/train_loop.hpp"
#include "vq/checkpoint.hpp"
#include "vq/train.hpp"

namespace mogo {
namespace {

VQTrainOptions micro_run(const std::string& out) { return test::micro_vq_run(out); }

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(TrainPlan, ResumeFollowsTheCheckpointsPlanNotThePresetOrFlags) {
  test::TempDir out;
  auto o = micro_run(out.path.string());
  o.train.steps = 12;
  o.stop_after = 4;
  ASSERT_EQ(train_vq(o), 4);
  // Resumed without --steps: the stored 12, not the preset's.
  auto r = micro_run(out.path.string());
  r.resume = true;
  EXPECT_EQ(train_vq(r), 12);
  EXPECT_EQ(load_vq_checkpoint(out / "model.pt").train.steps, 12);
}

TEST(TrainPlan, ConflictingFlagsOnResumeAreAnErrorNamingEachOne) {
  test::TempDir out;
  auto o = micro_run(out.path.string());
  o.stop_after = 2;
  ASSERT_EQ(train_vq(o), 2);
  auto r = micro_run(out.path.string());
  r.resume = true;
  r.request.given = {{"batch_size", 3}, {"lr", 0.5}, {"preset", "tiny"}, {"seed", o.train.seed}};
  std::string e = error_of([&] { train_vq(r); });
  EXPECT_NE(e.find("checkpoint.pt: --resume continues the checkpoint's plan"), std::string::npos) << e;
  EXPECT_NE(e.find("batch_size 3"), std::string::npos) << e;
  EXPECT_NE(e.find("lr 0.5"), std::string::npos) << e;
  EXPECT_NE(e.find("preset \"tiny\""), std::string::npos) << e;
  EXPECT_EQ(e.find("seed"), std::string::npos) << "the same seed is no conflict: " << e;
  EXPECT_EQ(load_vq_checkpoint(out / "checkpoint.pt").step, 2);
}

TEST(TrainPlan, ResumeOnOtherDataIsAnError) {
  test::TempDir out, data;
  std::filesystem::copy(test::real_prepared_dir(), data.path, std::filesystem::copy_options::recursive);
  auto o = micro_run(out.path.string());
  o.data_dir = data.path.string();
  o.stop_after = 2;
  ASSERT_EQ(train_vq(o), 2);
  write_file_atomically(data / "train.txt", read_file(data / "train.txt") + read_file(data / "val.txt"));
  o.resume = true;
  o.stop_after = 0;
  EXPECT_NE(error_of([&] { train_vq(o); }).find("--resume on other data"), std::string::npos);
}

TEST(TrainPlan, FreshRunNeverOverwritesACheckpoint) {
  test::TempDir out;
  auto o = micro_run(out.path.string());
  o.stop_after = 2;
  ASSERT_EQ(train_vq(o), 2);
  const std::string before = read_file(out / "checkpoint.pt");
  o.stop_after = 4;
  EXPECT_NE(error_of([&] { train_vq(o); }).find("a training checkpoint is already there; pass --resume"), std::string::npos);
  EXPECT_EQ(read_file(out / "checkpoint.pt"), before);
}

TEST(TrainPlan, OutOfRangeNumbersAreRefusedBeforeAnythingIsWritten) {
  test::TempDir out;
  const std::vector<std::pair<std::function<void(VQTrainConfig&)>, std::string>> cases = {
      {[](VQTrainConfig& t) { t.lr = std::numeric_limits<double>::infinity(); }, "--lr must be in (0, 1], got inf"},
      {[](VQTrainConfig& t) { t.lr = 1e6; }, "--lr must be in (0, 1], got 1e+06"},
      {[](VQTrainConfig& t) { t.steps = -3; }, "--steps must be a positive number, got -3"},
      {[](VQTrainConfig& t) { t.batch_size = 0; }, "--batch must be a positive number"},
      {[](VQTrainConfig& t) { t.window = -8; }, "--window must be a positive number"},
      {[](VQTrainConfig& t) { t.window = 30; }, "--window must be a multiple of 4"},
      {[](VQTrainConfig& t) { t.checkpoint_every = 0; }, "--checkpoint-every must be a positive number"}};
  for (const auto& [change, message] : cases) {
    auto o = micro_run((out.path / "run").string());
    change(o.train);
    EXPECT_NE(error_of([&] { train_vq(o); }).find(message), std::string::npos) << message;
    EXPECT_FALSE(std::filesystem::exists(out.path / "run" / "checkpoint.pt"));
  }
}

// A decoder trained on a tokenizer's codes, with changes of text in its batches: the encoder and
// codebooks stay bit for bit, the decoder learns, and the transition plan is part of the stored
// plan (a resume with another share is a conflict).
TEST(TrainPlan, DecoderOnlyRunWithTransitionsKeepsTheCodesAndStoresThePlan) {
  test::TempDir base, out;
  auto o = micro_run(base.path.string());
  o.train.steps = 2;
  ASSERT_EQ(train_vq(o), 2);
  auto d = micro_run(out.path.string());
  d.decoder_from = base / "model.pt";
  d.train.steps = 3;
  d.train.transition_share = 0.5;
  d.train.transition_frames = 16;  // the micro preset's 16-frame windows cannot hold a 16-frame fade after a step
  EXPECT_NE(error_of([&] { train_vq(d); }).find("cannot hold a fade of 16 frames"), std::string::npos);
  test::TempDir out2;
  d.out_dir = out2.path.string();
  d.train.transition_frames = 12;
  ASSERT_EQ(train_vq(d), 3);
  const auto from = load_vq_checkpoint(base / "model.pt"), trained = load_vq_checkpoint(out2 / "model.pt");
  EXPECT_TRUE(trained.train.decoder_only);
  EXPECT_EQ(trained.train.transition_share, 0.5);
  EXPECT_EQ(trained.train.transition_frames, 12);
  auto same = [](const torch::nn::Module& a, const torch::nn::Module& b) {
    auto pa = a.parameters(), pb = b.parameters();
    for (size_t i = 0; i < pa.size(); ++i)
      if (!torch::equal(pa[i], pb[i])) return false;
    return true;
  };
  EXPECT_TRUE(same(*from.model->encoder, *trained.model->encoder));
  EXPECT_TRUE(same(*from.model->quantizer, *trained.model->quantizer));
  EXPECT_FALSE(same(*from.model->decoder, *trained.model->decoder));
  auto r = micro_run(out2.path.string());
  r.resume = true;
  r.train.steps = 4;
  r.request.given = {{"transition_share", 0.25}};
  EXPECT_NE(error_of([&] { train_vq(r); }).find("transition_share 0.25"), std::string::npos);
}

TEST(TrainPlan, StaleTemporariesAreCleanedOnStart) {
  test::TempDir out;
  write_file_atomically(out / "checkpoint.pt.mogo-tmp.4194305", "left by a killed run");
  write_file_atomically(out / "results.tmp.2024/data.csv", "the user's own");
  auto o = micro_run(out.path.string());
  o.stop_after = 1;
  ASSERT_EQ(train_vq(o), 1);
  EXPECT_FALSE(std::filesystem::exists(out / "checkpoint.pt.mogo-tmp.4194305"));
  EXPECT_TRUE(std::filesystem::exists(out / "results.tmp.2024/data.csv"));
}

// The loop itself: a step reporting a NaN loss (or gradient) ends the run with an Error naming the
// step and the last good checkpoint, and no checkpoint is written after it.
TEST(TrainLoopGuard, NonFiniteLossOrGradientStopsWithTheLastGoodCheckpoint) {
  for (bool gradient : {false, true}) {
    test::TempDir out;
    auto lo = loop_options("train-test", out.path.string(), {20, 1, 1e-3, 0.1}, 5, 4, "items");
    lo.quiet = true;
    TrainLoop loop(lo, {"loss"});
    std::vector<int64_t> checkpoints;
    TrainHooks h;
    h.step = [&](int64_t step, double) {
      StepStats s;
      const bool bad = step == 9;  // the 10th step
      s.values = {bad && !gradient ? std::nan("") : 1.0};
      s.grad_norm = bad && gradient ? std::numeric_limits<double>::infinity() : 1.0;
      return s;
    };
    h.checkpoint = [&](int64_t n) { checkpoints.push_back(n); };
    std::string e = error_of([&] { loop.run(0, false, h); });
    EXPECT_NE(e.find(gradient ? "gradient is not finite at step 10" : "loss is not finite at step 10"), std::string::npos) << e;
    EXPECT_NE(e.find("last good checkpoint (step 8) is kept in " + (out / "checkpoint.pt")), std::string::npos) << e;
    EXPECT_EQ(checkpoints, (std::vector<int64_t>{4, 8}));
  }
}

TEST(TrainLoopGuard, NonFiniteStepsNeverReachTheWeights) {
  auto w = torch::ones({3}, torch::requires_grad());
  torch::optim::AdamW opt({w}, torch::optim::AdamWOptions(0.1));
  (w * std::nan("")).sum().backward();
  double norm = gradient_norm({w});
  EXPECT_FALSE(std::isfinite(norm));
  EXPECT_FALSE(step_if_finite(opt, 1.0, norm));
  EXPECT_TRUE(torch::equal(w.detach(), torch::ones({3})));
  opt.zero_grad();
  (w * 2).sum().backward();
  EXPECT_NEAR(gradient_norm({w}), std::sqrt(12.0), 1e-9);
  EXPECT_TRUE(step_if_finite(opt, 1.0, gradient_norm({w})));
  EXPECT_FALSE(torch::equal(w.detach(), torch::ones({3})));
}

}  // namespace
}  // namespace mogo
