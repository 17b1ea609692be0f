// The evaluator: training on real clips, file round trip, the protocol end to end.
#include <filesystem>
#include <fstream>

#include "common/error.hpp"
#include "data/motion_dataset.hpp"
#include "eval/evaluator.hpp"
#include "eval/protocol.hpp"
#include "eval/train_evaluator.hpp"
#include "motion/npy.hpp"
#include "real_data.hpp"
#include "test_util.hpp"

using namespace mogo;

TEST(Evaluator, LabelKeysGroupTakesOfOneLabel) {
  EXPECT_EQ(label_key("dataset-1_walk_happy_003"), "dataset-1_walk_happy");
  EXPECT_EQ(label_key("Mdataset-1_walk_happy_003"), "dataset-1_walk_happy");
  EXPECT_EQ(label_key("012314"), "012314");
  EXPECT_EQ(label_key("M012314"), "012314");
}

TEST(Evaluator, TrainsInChunksLikeTheOtherTrainers) {
  // --stop-after: checkpointed, no evaluator.pt yet; --resume ends where one run ends.
  test::TempDir a, b;
  EvaluatorTrainOptions o;
  o.data_dir = test::real_prepared_dir();
  o.train.steps = 12;
  o.train.batch_size = 8;
  o.train.dim = 32;
  o.train.vocab_size = 64;
  o.train.warmup_steps = 2;
  o.train.checkpoint_every = 4;
  o.train.log_every = 4;
  o.device = "cpu";
  o.quiet = true;
  o.out_dir = a.path.string();
  ASSERT_EQ(train_evaluator(o), 12);
  o.out_dir = b.path.string();
  o.stop_after = 8;
  ASSERT_EQ(train_evaluator(o), 8);
  EXPECT_FALSE(std::filesystem::exists(b / "evaluator.pt"));
  o.stop_after = 0;
  o.resume = true;
  ASSERT_EQ(train_evaluator(o), 12);
  auto ea = load_evaluator(a / "evaluator.pt"), eb = load_evaluator(b / "evaluator.pt");
  for (auto& p : ea.model->named_parameters())
    EXPECT_TRUE(torch::equal(p.value(), eb.model->named_parameters()[p.key()])) << p.key();
}

TEST(Evaluator, TrainsOnRealClipsAndRunsTheProtocol) {
  test::TempDir out;
  EvaluatorTrainOptions o;
  o.data_dir = test::real_prepared_dir();
  o.out_dir = out.path.string();
  o.train.steps = 60;
  o.train.batch_size = 8;
  o.train.dim = 32;
  o.train.vocab_size = 64;
  o.train.lr = 1e-3;
  o.train.warmup_steps = 5;
  o.train.checkpoint_every = 30;
  o.train.log_every = 20;
  o.device = "cpu";
  o.quiet = true;
  ASSERT_EQ(train_evaluator(o), 60);
  auto ev = load_evaluator(out / "evaluator.pt");
  EXPECT_EQ(ev.step, 60);
  // Matched pairs of the training clips end up nearer than mismatched ones.
  MotionDataset train(o.data_dir, "train");
  std::vector<std::string> caps;
  std::vector<torch::Tensor> raw;
  for (const auto& c : train.clips()) {
    caps.push_back(c.captions[0].text);
    raw.push_back(train.denormalise(c.features));
  }
  auto t = ev.texts(caps, torch::kCPU);
  auto m = ev.motions(raw, torch::kCPU);
  EXPECT_EQ(t.sizes(), torch::IntArrayRef({8, 32}));
  EXPECT_NEAR(t.norm(2, 1).mean().item<double>(), 1.0, 1e-5);
  auto d = torch::cdist(t, m);
  double matched = d.diagonal().mean().item<double>();
  double all = d.mean().item<double>();
  EXPECT_LT(matched, all);

  // Protocol on the train split as the reference (8 clips = 4 labels x mirror: batches of 2).
  ProtocolOptions p;
  p.repeats = 3;
  p.batch = 2;
  p.diversity_pairs = 50;
  auto real = run_protocol(ev, train, nullptr, p, torch::kCPU);
  EXPECT_TRUE(real.metrics["top1"].present);
  EXPECT_GE(real.metrics["top3"].mean, real.metrics["top1"].mean);
  EXPECT_GT(real.metrics["diversity"].mean, 0);
  EXPECT_FALSE(real.metrics.count("multimodality"));
  // A "generated" set equal to the real motions scores FID 0 against them; multimodality from
  // two different motions per text is positive.
  test::TempDir gen;
  std::vector<std::string> ids;
  for (const auto& c : train.clips()) {
    ids.push_back(c.id);
    npy::save(gen / (c.id + ".npy"), train.denormalise(c.features));
    npy::save(gen / (c.id + "_mm0.npy"), train.denormalise(c.features));
    npy::save(gen / (c.id + "_mm1.npy"), train.denormalise(train.clips()[0].features));
  }
  auto set = MotionSet::load(gen.path.string(), ids, "copy");
  auto row = run_protocol(ev, train, &set, p, torch::kCPU);
  EXPECT_NEAR(row.metrics["fid"].mean, 0.0, 1e-6);
  EXPECT_NEAR(row.metrics["top1"].mean, real.metrics["top1"].mean, 1e-9);
  EXPECT_GT(row.metrics["multimodality"].mean, 0.0);
  auto table = protocol_table({real, row}, p.batch);
  EXPECT_NE(table.find("Real motion"), std::string::npos);
  EXPECT_NE(table.find("Chance"), std::string::npos);
  // A missing generated motion is a clear error.
  std::filesystem::remove(gen / (ids[0] + ".npy"));
  EXPECT_THROW(MotionSet::load(gen.path.string(), ids, "copy"), Error);
}

TEST(Evaluator, CorruptFileIsAnError) {
  test::TempDir d;
  std::ofstream(d / "e.pt") << "junk";
  EXPECT_THROW(load_evaluator(d / "e.pt"), Error);
}
