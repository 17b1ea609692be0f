// The transformer's packed inference path (transformer/inference, kernels): the same numbers as
// the modules' forward, the same tokens as the reference sampler (with and without guidance, across
// cache slides, condition changes and restarts), and rows that do not depend on their batch.
#include <array>
#include <functional>

#include <torch/torch.h>

#include <gtest/gtest.h>

#include "test_util.hpp"
#include "text/tokenizer.hpp"
#include "toy_captions.hpp"
#include "transformer/hct.hpp"
#include "transformer/inference.hpp"
#include "common/kernels.hpp"
#include "transformer/sampler.hpp"

using namespace mogo;
using test::max_abs_diff;

namespace {

// A small model of the shipped shape: several base layers, one-layer residual blocks, 4 heads.
HierarchicalCausalTransformer small_model(uint64_t seed, int64_t dim = 32) {
  torch::manual_seed(seed);
  auto c = T2MConfig::preset("micro", 16, 3);
  c.text.vocab_size = test::toy_tokenizer()->vocab_size();
  c.dim = dim;
  c.text.out_dim = dim;
  c.heads = 4;
  c.base_layers = 3;
  c.residual_layers = 1;
  c.max_steps = 8;
  HierarchicalCausalTransformer model(c);
  model->eval();
  return model;
}

torch::Tensor conditions(HierarchicalCausalTransformer& model, const std::vector<std::string>& texts) {
  torch::NoGradGuard g;
  auto tok = test::toy_tokenizer()->encode_batch(texts);
  return model->condition(tok.ids, tok.mask);
}

// Draws n steps, sliding the cache to `window` after each, with an optional hook before step i.
torch::Tensor draw(StepSampler& s, int64_t n, int64_t window, const std::function<void(int64_t)>& before = {}) {
  std::vector<torch::Tensor> out;
  for (int64_t i = 0; i < n; ++i) {
    if (before) before(i);
    auto t = s.next(std::vector<bool>(static_cast<size_t>(s.rows()), false)).tokens;
    out.push_back(t);
    s.feed(t.unsqueeze(2));
    s.keep_recent(window);
  }
  return torch::stack(out, 2);  // [B,Q,n]
}

}  // namespace

TEST(Kernels, LinearMatchesTorchIncludingTails) {
  torch::manual_seed(0);
  for (auto [M, N, K] : std::vector<std::array<int64_t, 3>>{{1, 7, 13}, {3, 12, 32}, {5, 33, 70}}) {
    auto x = torch::randn({M, K}), W = torch::randn({N, K}), b = torch::randn({N});
    auto y = torch::empty({M, N});
    kernels::linear(x.data_ptr<float>(), M, W.data_ptr<float>(), b.data_ptr<float>(), N, K, y.data_ptr<float>(), N);
    EXPECT_LT(max_abs_diff(y, torch::addmm(b, x, W.t())), 1e-4) << M << " " << N << " " << K;
  }
}

TEST(Kernels, PackedLinearGivesTheUnpackedSums) {
  torch::manual_seed(2);
  for (auto [M, N, K] : std::vector<std::array<int64_t, 3>>{{1, 513, 32}, {4, 16, 64}, {2, 5, 13}}) {
    auto x = torch::randn({M, K}), W = torch::randn({N, K}), b = torch::randn({N});
    kernels::PackedLinear P(W.data_ptr<float>(), b.data_ptr<float>(), N, K);
    EXPECT_EQ(P.interleaved, K % 8 == 0);
    auto packed = torch::empty({M, N}), plain = torch::empty({M, N});
    kernels::linear(x.data_ptr<float>(), M, P, packed.data_ptr<float>(), N);
    kernels::linear(x.data_ptr<float>(), M, W.data_ptr<float>(), b.data_ptr<float>(), N, K, plain.data_ptr<float>(), N);
    EXPECT_TRUE(torch::equal(packed, plain)) << M << " " << N << " " << K;
  }
}

TEST(Kernels, NormAndGeluMatchTorch) {
  torch::manual_seed(1);
  auto x = torch::randn({3, 40}) * 3 + 1, g = torch::randn({40}), b = torch::randn({40});
  auto y = x.clone();
  kernels::layer_norm(y.data_ptr<float>(), 3, 40, g.data_ptr<float>(), b.data_ptr<float>(), 1e-5f);
  EXPECT_LT(max_abs_diff(y, torch::layer_norm(x, {40}, g, b, 1e-5)), 1e-5);
  auto z = x.clone();
  kernels::gelu(z.data_ptr<float>(), z.numel());
  EXPECT_LT(max_abs_diff(z, torch::gelu(x)), 1e-6);
}

TEST(Inference, LogitsEqualTheModulesForwardForChunksAndSteps) {
  auto model = small_model(2);
  auto inf = model->inference();
  ASSERT_TRUE(inf);
  torch::NoGradGuard g;
  auto cond = conditions(model, {"a person walks forward", "someone jumps"});
  auto tokens = torch::randint(0, 16, {2, 3, 5}, torch::kLong);
  auto x = torch::cat({cond.unsqueeze(1), model->embed_steps(tokens)}, 1).contiguous();  // [2,6,32]
  // Reference: a cached chunk of 4 positions, then 2 single steps.
  HCTCache ref;
  auto r1 = model->forward_sequence(x.narrow(1, 0, 4), &ref);
  auto r2 = model->forward_sequence(x.narrow(1, 4, 1), &ref);
  auto r3 = model->forward_sequence(x.narrow(1, 5, 1), &ref);
  std::vector<HCTInference::Sequence> seqs(2);
  auto run = [&](int64_t from, int64_t n) {
    auto part = x.narrow(1, from, n).contiguous();
    std::vector<HCTInference::Row> rows;
    for (int64_t b = 0; b < 2; ++b) rows.push_back({&seqs[b], part.data_ptr<float>() + b * n * 32, n});
    return inf->forward(rows);
  };
  auto f1 = run(0, 4), f2 = run(4, 1), f3 = run(5, 1);
  for (int64_t q = 0; q < 3; ++q) {
    EXPECT_LT(max_abs_diff(f1[q], r1[q].select(1, 3)), 1e-5) << q;
    EXPECT_LT(max_abs_diff(f2[q], r2[q].select(1, 0)), 1e-5) << q;
    EXPECT_LT(max_abs_diff(f3[q], r3[q].select(1, 0)), 1e-5) << q;
  }
  EXPECT_EQ(seqs[0].length, 6);
  EXPECT_EQ(seqs[0].bytes(), ref.bytes() / 2);
}

TEST(Inference, ARowGivesTheSameBitsAloneOrBatchedWithOthers) {
  auto model = small_model(3);
  auto inf = model->inference();
  auto x = torch::randn({3, 4, 32});
  HCTInference::Sequence alone, a, b, c;
  auto row = [&](HCTInference::Sequence& s, int64_t r, int64_t n) {
    return HCTInference::Row{&s, x[r].data_ptr<float>(), n};
  };
  auto solo = inf->forward({row(alone, 0, 4)});
  auto batched = inf->forward({row(b, 1, 2), row(a, 0, 4), row(c, 2, 3)});  // other rows, other lengths
  for (size_t q = 0; q < solo.size(); ++q) EXPECT_TRUE(torch::equal(solo[q][0], batched[q][1])) << q;
  EXPECT_EQ(alone.k, a.k);
}

// The fast path's tokens against the modules' forward (both with the cache), with and without
// guidance, across cache slides (window 4 over 14 steps), a live condition change, and a restart.
TEST(Inference, SamplerDrawsTheReferenceTokens) {
  auto model = small_model(4);
  auto cond = conditions(model, {"a person dances happily", "someone runs"});
  auto other = conditions(model, {"a person waves", "a person turns"});
  for (double guidance : {1.0, 3.0}) {
    SamplingParams p;
    p.seed = 11;
    p.top_k = 6;
    p.guidance = guidance;
    auto run = [&](bool fast, const std::string& change) {
      p.fast_path = fast;
      StepSampler s(model, cond, p);
      EXPECT_EQ(s.fast(), fast);
      return draw(s, 14, 4, [&](int64_t i) {
        if (i == 7 && change == "set") s.set_condition(other);
        if (i == 7 && change == "restart") s.restart(other, torch::zeros({2, 3, 1}, torch::kLong));
      });
    };
    for (const std::string change : {"", "set", "restart"}) {
      auto fast = run(true, change), reference = run(false, change);
      EXPECT_TRUE(torch::equal(fast, reference)) << "guidance " << guidance << " change '" << change << "'\n"
                                                 << fast << reference;
    }
  }
}

TEST(Inference, CacheSlidesLikeTheModules) {
  auto model = small_model(6);
  auto cond = conditions(model, {"a person walks"});
  SamplingParams p;
  p.guidance = 2.0;
  StepSampler fast(model, cond, p);
  p.fast_path = false;
  StepSampler reference(model, cond, p);
  draw(fast, 10, 3);
  draw(reference, 10, 3);
  EXPECT_EQ(fast.cache_length(), 4);  // the condition and 3 steps
  EXPECT_EQ(fast.cache_length(), reference.cache_length());
  EXPECT_EQ(fast.cache_bytes(), reference.cache_bytes());
}

TEST(Inference, DroppedWhenTrainingResumes) {
  auto model = small_model(7);
  auto before = model->inference();
  EXPECT_EQ(model->inference(), before);  // packed once
  model->train();
  model->eval();
  EXPECT_NE(model->inference(), before);
}
