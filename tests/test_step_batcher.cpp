// Continuous batching (engine/step_batcher): streams that share a batcher, running on their own
// threads with their own texts, seeds and a live text change, give exactly the frames they give
// alone (the transformer's rows and the decoder's pushes both batched); the batcher returns each
// caller the logits of its own rows.
#include <thread>

#include <gtest/gtest.h>

#include "engine/step_batcher.hpp"
#include "engine/stream.hpp"
#include "shipped_model.hpp"

using namespace mogo;

namespace {

struct StreamCase {
  std::string text;
  uint64_t seed;
  std::string change;  // "" or the text set after 10 steps
};

// A stream's features for 30 steps (frames as they became final).
torch::Tensor run_stream(const StreamCase& c, StepBatcher* batcher) {
  StreamOptions o;
  o.sampling.seed = c.seed;
  o.foot_lock = false;
  o.batcher = batcher;
  MotionStream s(test::shipped_generator(), c.text, o);
  std::vector<torch::Tensor> parts;
  for (int i = 0; i < 30; ++i) {
    if (i == 10 && !c.change.empty()) s.set_text(c.change);
    auto chunk = s.step();
    if (chunk.frames() > 0) parts.push_back(chunk.features);
  }
  return torch::cat(parts, 0);
}

}  // namespace

TEST(StepBatcher, StreamsGiveTheSameFramesBatchedAsAlone) {
  const std::vector<StreamCase> cases = {{"a person walks forward", 1, ""},
                                         {"a person jumps", 2, "a person waves with the right hand"},
                                         {"a person kicks", 3, ""},
                                         {"a person walks forward", 4, "a person sits down"}};
  std::vector<torch::Tensor> alone;
  for (const auto& c : cases) alone.push_back(run_stream(c, nullptr));
  StepBatcher batcher;
  std::vector<torch::Tensor> batched(cases.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < cases.size(); ++i) threads.emplace_back([&, i] { batched[i] = run_stream(cases[i], &batcher); });
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < cases.size(); ++i) {
    ASSERT_EQ(batched[i].sizes(), alone[i].sizes()) << i;
    EXPECT_TRUE(torch::equal(batched[i], alone[i])) << "stream " << i << " changed when batched";
  }
  const auto n = batcher.counts();
  EXPECT_EQ(n.rows, 4 * 30 * 2);  // every step of every stream went through it (2 rows: guidance)
  EXPECT_GE(n.passes, 30);
  EXPECT_LE(n.passes, 4 * 30);    // fewer when steps shared a pass
  // The decoder's pushes went through it too: one per drawn step of every stream.
  const auto d = batcher.decode_counts();
  EXPECT_EQ(d.rows, 4 * 30);
  EXPECT_GE(d.passes, 30);
  EXPECT_LE(d.passes, 4 * 30);
}
