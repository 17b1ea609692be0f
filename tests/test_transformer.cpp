// The hierarchical causal transformer: causality, one pass for all layers, key/value cache,
// learning a toy text -> token mapping, the one-file model format, and training resume.
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>

#include <ATen/CPUGeneratorImpl.h>

#include "common/archive.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "engine/generator.hpp"
#include "eval/evaluator.hpp"
#include "model/model_file.hpp"
#include "real_data.hpp"
#include "test_util.hpp"
#include "toy_captions.hpp"
#include "train/train_loop.hpp"
#include "transformer/hct.hpp"
#include "transformer/sampler.hpp"
#include "transformer/token_dataset.hpp"
#include "model/train_t2m.hpp"
#include "vq/checkpoint.hpp"
#include "vq/train.hpp"

using namespace mogo;
using test::max_abs_diff;

namespace {

T2MConfig micro_config(int64_t K = 16, int64_t Q = 3) {
  auto c = T2MConfig::preset("micro", K, Q);
  c.text.vocab_size = test::toy_tokenizer()->vocab_size();
  c.max_steps = 12;
  return c;
}

// A complete model file's content with random weights: micro RVQ-VAE (21-joint KIT skeleton, 251-d).
T2MModel micro_model(uint64_t seed = 0) {
  torch::manual_seed(seed);
  T2MModel m;
  m.vq_config = VQConfig::preset("micro", 251);
  m.vq = RVQVAE(m.vq_config);
  m.config = micro_config(m.vq_config.codebook_size, m.vq_config.num_quantizers);
  m.transformer = HierarchicalCausalTransformer(m.config);
  m.tokenizer = test::toy_tokenizer();
  m.mean = torch::randn({251}) * 0.1;
  m.std = torch::rand({251}) + 0.5;
  m.skeleton_json = Skeleton::kit().to_json().dump();
  m.transformer->eval();
  m.vq->eval();
  return m;
}

torch::Tensor cond_for(HierarchicalCausalTransformer& model, const std::vector<std::string>& texts) {
  auto tok = test::toy_tokenizer()->encode_batch(texts);
  return model->condition(tok.ids, tok.mask);
}

}  // namespace

TEST(Rope, RotationKeepsNormsAndDependsOnlyOnRelativePosition) {
  torch::manual_seed(0);
  auto q = torch::randn({1, 2, 1, 8}), k = torch::randn({1, 2, 1, 8});
  auto at = [](const torch::Tensor& x, int64_t p) {
    return apply_rope(x, rotary_angles(torch::tensor({p}, torch::kLong), 8, 10000.0));
  };
  EXPECT_LT(max_abs_diff(at(q, 5).norm(), q.norm()), 1e-5);
  // <R(m) q, R(n) k> depends on m - n only: (3, 1) and (103, 101).
  auto d1 = (at(q, 3) * at(k, 1)).sum(), d2 = (at(q, 103) * at(k, 101)).sum();
  EXPECT_LT(max_abs_diff(d1, d2), 1e-4);
}

TEST(HierarchicalCausalTransformer, OnePassGivesEveryLayersLogits) {
  torch::manual_seed(0);
  auto c = micro_config(16, 3);
  HierarchicalCausalTransformer model(c);
  model->eval();
  auto tokens = torch::randint(0, 16, {2, 3, 5}, torch::kLong);
  auto logits = model->forward(cond_for(model, {"a person walks", "someone jumps"}), tokens);
  ASSERT_EQ(logits.size(), 3u);
  EXPECT_EQ(logits[0].sizes(), torch::IntArrayRef({2, 6, 17}));  // K codes + END
  EXPECT_EQ(logits[1].sizes(), torch::IntArrayRef({2, 6, 16}));
  EXPECT_EQ(logits[2].sizes(), torch::IntArrayRef({2, 6, 16}));
}

TEST(HierarchicalCausalTransformer, ChangingStepTPlus1LeavesEarlierLogitsUnchanged) {
  torch::manual_seed(1);
  auto c = micro_config(16, 3);
  HierarchicalCausalTransformer model(c);
  model->eval();
  torch::NoGradGuard g;
  auto cond = cond_for(model, {"a person waves"});
  auto a = torch::randint(0, 16, {1, 3, 8}, torch::kLong);
  const int64_t t = 3;
  auto b = a.clone();
  b.select(2, t + 1).copy_((b.select(2, t + 1) + 5) % 16);  // every layer's token of step t+1
  auto la = model->forward(cond, a), lb = model->forward(cond, b);
  for (int64_t q = 0; q < 3; ++q) {
    // positions 0..t+1 predict steps 0..t+1 from steps <= t: unchanged
    EXPECT_LT(max_abs_diff(la[q].narrow(1, 0, t + 2), lb[q].narrow(1, 0, t + 2)), 1e-6) << q;
    // position t+2 reads step t+1: changed
    EXPECT_GT(max_abs_diff(la[q].select(1, t + 2), lb[q].select(1, t + 2)), 1e-4) << q;
  }
}

TEST(HierarchicalCausalTransformer, CachedStepsEqualTheFullPass) {
  torch::manual_seed(2);
  HierarchicalCausalTransformer model(micro_config());
  model->eval();
  torch::NoGradGuard g;
  auto cond = cond_for(model, {"someone kicks", "a person bows"});
  auto tokens = torch::randint(0, 16, {2, 3, 6}, torch::kLong);
  auto full = model->forward(cond, tokens);
  HCTCache cache;
  auto first = model->forward_sequence(cond.unsqueeze(1), &cache);
  EXPECT_LT(max_abs_diff(first[0].select(1, 0), full[0].select(1, 0)), 1e-5);
  for (int64_t s = 0; s < 6; ++s) {
    auto step = model->forward_sequence(model->embed_steps(tokens.narrow(2, s, 1)), &cache);
    for (int64_t q = 0; q < 3; ++q) EXPECT_LT(max_abs_diff(step[q].select(1, 0), full[q].select(1, s + 1)), 1e-5) << s;
  }
  EXPECT_EQ(cache.length(), 7);
  EXPECT_GT(cache.bytes(), 0);
}

TEST(Sampler, CacheAndNoCacheGiveIdenticalTokens) {
  torch::manual_seed(3);
  HierarchicalCausalTransformer model(micro_config());
  model->eval();
  auto cond = cond_for(model, {"a person dances happily", "someone runs", "a person turns"});
  SamplingParams p;
  p.seed = 42;
  p.top_k = 8;
  p.guidance = 2.0;
  auto cached = sample_tokens(model, cond, {0, 7, 10}, 12, p);
  p.use_cache = false;
  auto uncached = sample_tokens(model, cond, {0, 7, 10}, 12, p);
  EXPECT_TRUE(torch::equal(cached.tokens, uncached.tokens));
  EXPECT_EQ(cached.lengths, uncached.lengths);
  EXPECT_EQ(cached.lengths[1], 7);
  EXPECT_EQ(cached.lengths[2], 10);
  // Another seed samples something else.
  p.use_cache = true;
  p.seed = 43;
  EXPECT_FALSE(torch::equal(sample_tokens(model, cond, {0, 7, 10}, 12, p).tokens.narrow(2, 0, 7),
                            cached.tokens.narrow(2, 0, 7)));
}

TEST(Sampler, RestartEqualsAFreshSequenceOfTheContextUnderTheNewText) {
  torch::manual_seed(5);
  HierarchicalCausalTransformer model(micro_config());
  model->eval();
  auto walk = cond_for(model, {"a person walks forward"}), wave = cond_for(model, {"a person waves"});
  SamplingParams p;
  p.temperature = 0;  // greedy: the random streams' positions do not matter
  p.guidance = 2.0;
  StepSampler drawn(model, walk, p);
  std::vector<torch::Tensor> steps;
  for (int i = 0; i < 5; ++i) {
    auto s = drawn.next({false}).tokens;
    steps.push_back(s);
    drawn.feed(s.unsqueeze(2));
  }
  auto context = torch::stack({steps[3], steps[4]}, 2);  // [1,Q,2]
  drawn.restart(wave, context);
  StepSampler fresh(model, wave, p);
  fresh.feed(context);
  for (int i = 0; i < 4; ++i) {
    auto a = drawn.next({false}).tokens, b = fresh.next({false}).tokens;
    ASSERT_TRUE(torch::equal(a, b)) << i;
    drawn.feed(a.unsqueeze(2));
    fresh.feed(b.unsqueeze(2));
  }
}

TEST(Sampler, TopKAndTemperature) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  auto logits = torch::tensor({{0.0, 1.0, 5.0, 2.0}});
  EXPECT_EQ(sample_from_logits(logits, 0, 0.0, gen).item<int64_t>(), 2);  // greedy
  for (int i = 0; i < 50; ++i) {
    auto s = sample_from_logits(logits, 2, 5.0, gen).item<int64_t>();  // only codes 2 and 3 survive top-2
    EXPECT_TRUE(s == 2 || s == 3) << s;
  }
}

TEST(HierarchicalCausalTransformer, LearnsAToyTextToTokenMapping) {
  torch::manual_seed(4);
  auto c = micro_config(8, 2);
  c.cond_drop_prob = 0;
  HierarchicalCausalTransformer model(c);
  // "walks" -> base 1 2 3 4 then END, residual 5 6 7 0; "jumps" -> base 7 6 5, residual 1 1 1.
  std::vector<std::string> texts = {"a person walks happily", "someone jumps quickly"};
  auto walk = torch::tensor({1, 2, 3, 4, 5, 6, 7, 0}, torch::kLong).view({2, 4});
  auto jump = torch::tensor({7, 6, 5, 1, 1, 1}, torch::kLong).view({2, 3});
  auto tokens = torch::zeros({2, 2, 4}, torch::kLong);
  tokens[0].copy_(walk);
  tokens[1].narrow(1, 0, 3).copy_(jump);
  auto targets = torch::full({2, 2, 5}, -1, torch::kLong);
  targets[0].narrow(1, 0, 4).copy_(walk);
  targets[0][0][4] = c.end_token();
  targets[1].narrow(1, 0, 3).copy_(jump);
  targets[1][0][3] = c.end_token();
  torch::optim::AdamW opt(model->parameters(), torch::optim::AdamWOptions(3e-3));
  auto tok = test::toy_tokenizer()->encode_batch(texts);
  model->train();
  for (int i = 0; i < 300; ++i) {
    auto logits = model->forward(model->condition(tok.ids, tok.mask), tokens);
    torch::Tensor loss;
    for (int64_t q = 0; q < 2; ++q) {
      auto ce = torch::nn::functional::cross_entropy(logits[q].reshape({-1, logits[q].size(-1)}), targets.select(1, q).reshape({-1}),
                                                     torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-1));
      loss = loss.defined() ? loss + ce : ce;
    }
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  model->eval();
  SamplingParams p;
  p.temperature = 0;  // greedy
  p.guidance = 1;     // the null condition was never trained here
  auto out = sample_tokens(model, model->condition(tok.ids, tok.mask), {0, 0}, 10, p);
  EXPECT_EQ(out.lengths, (std::vector<int64_t>{4, 3}));
  EXPECT_TRUE(torch::equal(out.tokens[0].narrow(1, 0, 4), walk)) << out.tokens[0];
  EXPECT_TRUE(torch::equal(out.tokens[1].narrow(1, 0, 3), jump)) << out.tokens[1];
}

TEST(ModelFile, RoundTripGeneratesTheSameMotion) {
  test::TempDir dir;
  auto m = micro_model(5);
  save_t2m_model(dir / "m.pt", m, nullptr);
  auto back = load_t2m_model(dir / "m.pt");
  auto pa = m.transformer->named_parameters(), pb = back.transformer->named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (auto& p : pa) EXPECT_TRUE(torch::equal(p.value(), pb[p.key()])) << p.key();
  EXPECT_TRUE(torch::equal(m.mean, back.mean));
  EXPECT_EQ(back.tokenizer->serialized(), m.tokenizer->serialized());
  EXPECT_EQ(back.skeleton().num_joints(), 21);
  GenerateOptions o;
  o.sampling.seed = 9;
  o.seconds = 2.0;
  Generator a(std::move(m), torch::kCPU), b(std::move(back), torch::kCPU);
  auto ma = a.generate({"a person waves"}, o), mb = b.generate({"a person waves"}, o);
  EXPECT_TRUE(torch::equal(ma[0].tokens, mb[0].tokens));
  EXPECT_EQ(ma[0].features.sizes(), torch::IntArrayRef({40, 251}));
  EXPECT_LT(max_abs_diff(ma[0].features, mb[0].features), 1e-6);
  EXPECT_EQ(a.joints(ma[0].features).sizes(), torch::IntArrayRef({40, 21, 3}));
}

TEST(ModelFile, StoresItsFrameRateAndTheEngineCountsFramesByIt) {
  test::TempDir dir;
  auto m = micro_model(6);
  EXPECT_EQ(m.fps, kHumanML3DFps);  // files written before the rate was stored read as HumanML3D's
  m.fps = 30.0;
  save_t2m_model(dir / "m.pt", m, nullptr);
  auto back = load_t2m_model(dir / "m.pt");
  EXPECT_EQ(back.fps, 30.0);
  Generator g(std::move(back), torch::kCPU);
  EXPECT_EQ(g.fps(), 30.0);
  GenerateOptions o;
  o.seconds = 2.0;
  EXPECT_EQ(g.generate({"a person waves"}, o)[0].features.size(0), 60);  // 2 s at 30 fps
  EXPECT_EQ(seconds_to_frames(2.0, 30.0), 60);
  EXPECT_EQ(frames_in(0.5, 30.0), 15);
}

TEST(ModelFile, EveryModelFormatChecksItsVersion) {
  test::TempDir dir;
  const std::vector<std::pair<FileFormat, std::function<void(const std::string&)>>> formats = {
      {kT2MFile, [](const std::string& p) { load_t2m_model(p); }},
      {kVQFile, [](const std::string& p) { load_vq_checkpoint(p); }},
      {kEvaluatorFile, [](const std::string& p) { load_evaluator(p); }}};
  for (const auto& [format, load] : formats) {
    torch::serialize::OutputArchive ar;
    ar.write("weights", torch::zeros({4}));
    const auto path = dir / (format.name + ".pt");
    save_archive(path, ar, {{"note", "from a later mogo"}}, FileFormat(format.name.c_str(), format.version + 1));
    const auto message = test::error_message([&] { load(path); });
    EXPECT_NE(message.find(format.name + " format version " + std::to_string(format.version + 1) + ", this mogo reads version " +
                           std::to_string(format.version)),
              std::string::npos)
        << message;
  }
  // A model file's normalisation of the wrong width is named.
  auto m = micro_model(7);
  m.mean = torch::zeros({250});
  save_t2m_model(dir / "w.pt", m, nullptr);
  EXPECT_NE(test::error_message([&] { load_t2m_model(dir / "w.pt"); }).find("tensor 'mean' has shape [250], expected [251]"),
            std::string::npos);
}

TEST(ModelFile, Float16StorageIsHalfTheSizeAndLoadsAsFloat32) {
  test::TempDir dir;
  auto m = micro_model(6);
  save_t2m_model(dir / "full.pt", m, nullptr);
  save_t2m_model(dir / "half.pt", m, nullptr, /*half=*/true);
  EXPECT_LT(std::filesystem::file_size(dir / "half.pt"), 0.7 * std::filesystem::file_size(dir / "full.pt"));
  auto back = load_t2m_model(dir / "half.pt");
  for (auto& p : back.transformer->named_parameters()) {
    EXPECT_EQ(p.value().dtype(), torch::kFloat) << p.key();
    EXPECT_LT(max_abs_diff(p.value(), m.transformer->named_parameters()[p.key()]), 2e-3) << p.key();
  }
}

TEST(ModelFile, CorruptTruncatedAndMismatchedFilesAreRejectedByName) {
  test::TempDir dir;
  auto m = micro_model(7);
  save_t2m_model(dir / "m.pt", m, nullptr);
  auto expect_error = [](const std::string& path, const std::string& needle) {
    try {
      load_t2m_model(path);
      ADD_FAILURE() << path << " loaded";
    } catch (const Error& e) {
      std::string w = e.what();
      EXPECT_NE(w.find(path), std::string::npos) << w;
      EXPECT_NE(w.find(needle), std::string::npos) << w;
    }
  };
  expect_error(dir / "missing.pt", "no such file");
  auto bytes = read_file(dir / "m.pt");
  write_file_atomically(dir / "trunc.pt", bytes.substr(0, bytes.size() / 2));
  expect_error(dir / "trunc.pt", "not a mogo");
  write_file_atomically(dir / "garbage.pt", std::string(1000, 'x'));
  expect_error(dir / "garbage.pt", "not a mogo");
  // An RVQ-VAE file is not a text-to-motion model.
  VQCheckpoint vq;
  vq.config = m.vq_config;
  vq.model = m.vq;
  vq.mean = m.mean;
  vq.std = m.std;
  save_vq_checkpoint(dir / "vq.pt", vq, nullptr);
  expect_error(dir / "vq.pt", "expected 'mogo-t2m'");
  // Config says a wider model than the weights: the first mismatching tensor is named.
  auto wide = micro_model(7);
  wide.config.dim = 64;
  wide.config.text.out_dim = 64;
  save_t2m_model(dir / "wide.pt", wide, nullptr);
  expect_error(dir / "wide.pt", "has shape");
  expect_error(dir / "wide.pt", "transformer.");
}

TEST(TrainLoop, ScheduleWarmsUpThenDecays) {
  LRSchedule s{100, 10, 1.0, 0.1};
  EXPECT_DOUBLE_EQ(s.at(0), 0.1);
  EXPECT_DOUBLE_EQ(s.at(9), 1.0);
  EXPECT_NEAR(s.at(10), 1.0, 1e-12);
  EXPECT_NEAR(s.at(55), 0.55, 1e-12);  // half way down the cosine: 0.1 + 0.9 * 0.5
  EXPECT_NEAR(s.at(100), 0.1, 1e-12);
  EXPECT_NE(TrainLoop::step_seed(1, 0), TrainLoop::step_seed(1, 1));
  EXPECT_NE(TrainLoop::step_seed(1, 0, 0), TrainLoop::step_seed(1, 0, 1));
}

namespace {

// A micro RVQ-VAE trained for a few steps on the real clips, made once per process.
const std::string& micro_vq_path() {
  static test::TempDir dir("mogo-t2m-vq");
  static std::string path = [] {
    VQTrainOptions o;
    o.data_dir = test::real_prepared_dir();
    o.out_dir = dir.path.string();
    o.preset = "micro";
    o.train = VQTrainConfig::preset("micro");
    o.device = "cpu";
    o.quiet = true;
    train_vq(o);
    return dir / "model.pt";
  }();
  return path;
}

T2MTrainOptions micro_train(const std::string& out) {
  T2MTrainOptions o;
  o.data_dir = test::real_prepared_dir();
  o.out_dir = out;
  o.vq_path = micro_vq_path();
  o.preset = "micro";
  o.train = T2MTrainConfig::preset("micro");
  o.train.steps = 12;
  o.train.checkpoint_every = 4;
  o.train.log_every = 2;
  o.device = "cpu";
  o.quiet = true;
  return o;
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// The deterministic columns of a log line: all but the throughput column.
std::string without_column(const std::string& line, size_t column) {
  std::string out;
  size_t i = 0, col = 0;
  while (i <= line.size()) {
    size_t j = line.find(',', i);
    if (j == std::string::npos) j = line.size();
    if (col != column) out += line.substr(i, j - i) + ",";
    i = j + 1;
    ++col;
  }
  return out;
}

}  // namespace

TEST(TokenDataset, JoinedClipsChangeTextAfterAContextThatIsNeverATarget) {
  test::TempDir dir;
  MotionDataset data(test::real_prepared_dir(), "train");
  auto vq = load_vq_checkpoint(micro_vq_path(), torch::kCPU);
  data.renormalise(vq.mean, vq.std);
  JoinPlan plan;
  plan.sequences = 24;
  plan.max_context = 3;
  plan.max_steps = 12;
  const auto cache = dir / "tokens_join.pt";
  auto joined = TokenDataset::joined(cache, data, vq.model, plan, torch::kCPU);
  ASSERT_EQ(joined.clips().size(), 24u);
  std::map<std::string, std::vector<std::string>> captions_of;
  for (const auto& c : data.clips())
    for (const auto& cap : c.captions) captions_of[c.id].push_back(cap.text);
  for (const auto& c : joined.clips()) {
    EXPECT_GE(c.context, 1);
    EXPECT_LE(c.context, 3);
    EXPECT_GT(c.tokens.size(1), c.context);
    EXPECT_LE(c.tokens.size(1), 12);
    const auto second = c.id.substr(c.id.find('>') + 1);  // "A>B": B's captions
    EXPECT_EQ(c.captions, captions_of.at(second)) << c.id;
  }
  // Batches: the context steps are inputs, never targets; the rest are.
  std::mt19937_64 rng(1);
  const int64_t END = 999;
  auto batch = joined.sample(8, 12, END, rng);
  for (int64_t i = 0; i < 8; ++i) {
    auto t = batch.targets[i][0];
    int64_t k = 0;
    while (t[k].item<int64_t>() == -1) ++k;
    EXPECT_GE(k, 1);
    EXPECT_EQ(t[k].item<int64_t>(), batch.tokens[i][0][k].item<int64_t>());
  }
  auto base = batch.targets.select(1, 0);
  EXPECT_EQ(batch.valid, (base >= 0).sum().item<int64_t>() - (base == END).sum().item<int64_t>());
  // The same plan reads the cache back; another plan rebuilds it.
  const auto written = std::filesystem::last_write_time(cache);
  auto again = TokenDataset::joined(cache, data, vq.model, plan, torch::kCPU);
  EXPECT_EQ(std::filesystem::last_write_time(cache), written);
  for (size_t i = 0; i < again.clips().size(); ++i) {
    EXPECT_TRUE(torch::equal(again.clips()[i].tokens, joined.clips()[i].tokens));
    EXPECT_EQ(again.clips()[i].context, joined.clips()[i].context);
    EXPECT_EQ(again.clips()[i].ends, joined.clips()[i].ends);
  }
  plan.seed = 7;
  auto other = TokenDataset::joined(cache, data, vq.model, plan, torch::kCPU);
  std::vector<std::string> ids_a, ids_b;
  for (size_t i = 0; i < joined.clips().size(); ++i) {
    ids_a.push_back(joined.clips()[i].id);
    ids_b.push_back(other.clips()[i].id);
  }
  EXPECT_NE(ids_a, ids_b);
}

TEST(TrainT2M, ResumedRunEndsWhereAnUninterruptedRunEnds) {
  test::TempDir a, b;
  ASSERT_EQ(train_t2m(micro_train(a.path.string())), 12);
  auto ob = micro_train(b.path.string());
  ob.stop_after = 8;
  ASSERT_EQ(train_t2m(ob), 8);
  EXPECT_FALSE(std::filesystem::exists(b / "model.pt"));
  const auto cache_time = std::filesystem::last_write_time(b / "tokens_train.pt");
  ob.stop_after = 0;
  ob.resume = true;
  ASSERT_EQ(train_t2m(ob), 12);
  auto ma = load_t2m_model(a / "model.pt"), mb = load_t2m_model(b / "model.pt");
  EXPECT_EQ(ma.step, 12);
  for (auto& p : ma.transformer->named_parameters())
    EXPECT_TRUE(torch::equal(p.value(), mb.transformer->named_parameters()[p.key()])) << p.key();
  // Logs: same lines but for the throughput column; validation every checkpoint.
  auto la = lines_of(a / "train_log.csv"), lb = lines_of(b / "train_log.csv");
  ASSERT_EQ(la.size(), 7u);  // header + steps 2..12
  ASSERT_EQ(la.size(), lb.size());
  const size_t rate_column = 2 + 1 + 2 * 3;  // step, lr, loss, loss_q x3, acc_q x3
  EXPECT_NE(la[0].find("tokens_per_s"), std::string::npos);
  for (size_t i = 0; i < la.size(); ++i) EXPECT_EQ(without_column(la[i], rate_column), without_column(lb[i], rate_column)) << i;
  auto va = lines_of(a / "val_log.csv"), vb = lines_of(b / "val_log.csv");
  EXPECT_EQ(va.size(), 4u);  // header + steps 4, 8, 12
  EXPECT_EQ(va, vb);
  // The resumed run reused the token cache instead of tokenising again.
  EXPECT_EQ(std::filesystem::last_write_time(b / "tokens_train.pt"), cache_time);
}

TEST(Generator, RejectsBlankPromptsAndWarnsThroughTheLogCallback) {
  std::vector<std::string> warnings;
  set_log_callback([&](LogLevel level, const std::string& m) {
    if (level == LogLevel::Warning) warnings.push_back(m);
  });
  Generator g(micro_model(8), torch::kCPU);
  GenerateOptions o;
  o.seconds = 1.0;
  EXPECT_THROW(g.generate({"   "}, o), Error);
  EXPECT_THROW(g.generate({"a person walks", ""}, o), Error);
  std::string huge = "a person walks";
  for (int i = 0; i < 200; ++i) huge += " and walks";
  auto m = g.generate({huge}, o);
  EXPECT_EQ(m[0].features.size(0), 20);
  o.seconds = 0.001;
  auto clamped = g.generate({"a person waves"}, o);
  EXPECT_EQ(clamped[0].features.size(0), 4);  // 0.2 s, the shortest
  set_log_callback(nullptr);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("cut to 77 tokens"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[1].find("outside"), std::string::npos) << warnings[1];
}
