// Streaming: the decoder's receptive field, streamed == offline frames, the sliding window (flat
// memory, relative positions), prompt changes at the right step, continuing a given motion,
// timelines, and the CLI's --timeline / --stream / --from.
#include <array>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "common/error.hpp"
#include "animation/foot_lock.hpp"
#include "engine/pacer.hpp"
#include "engine/stream.hpp"
#include "engine/timeline.hpp"
#include "motion/features.hpp"
#include "model/model_file.hpp"
#include "motion/npy.hpp"
#include "shipped_model.hpp"
#include "test_util.hpp"

using namespace mogo;

namespace {


torch::Tensor stream_all(MotionStream& s, std::vector<MotionChunk>* chunks = nullptr) {
  std::vector<torch::Tensor> parts;
  while (!s.done()) {
    auto c = s.step();
    if (c.frames() == 0) continue;
    EXPECT_EQ(c.first_frame, s.frames_emitted() - c.frames());
    parts.push_back(c.features);
    if (chunks) chunks->push_back(c);
  }
  return torch::cat(parts, 0);
}

StreamOptions fixed(double seconds, uint64_t seed = 3) {
  StreamOptions o;
  o.sampling.seed = seed;
  o.max_frames = static_cast<int64_t>(seconds * kHumanML3DFps);
  return o;
}

}  // namespace

TEST(RootState, ChunkedRecoveryEqualsTheWholeMotion) {
  auto f = npy::load(test::reference_dir() + "/new_joint_vecs_012314.npy").to(torch::kFloat);
  auto whole = recover_from_ric(f, 22);
  RootState root;
  std::vector<torch::Tensor> parts;
  for (int64_t a = 0; a < f.size(0); a += 7) {
    auto chunk = f.narrow(0, a, std::min<int64_t>(7, f.size(0) - a));
    parts.push_back(recover_from_ric(chunk, 22, root));
    root = root_state_after(chunk, root);
  }
  EXPECT_LT(test::max_abs_diff(torch::cat(parts, 0), whole), 1e-5);
}

TEST(Decoder, LatentSpanIsTheReceptiveField) {
  // Poison one latent with NaN: exactly the frames whose span holds it turn NaN.
  auto& vq = test::shipped_generator().model().vq;
  torch::NoGradGuard g;
  const int64_t S = 16;
  for (int64_t s : {0, 5, 15}) {
    auto z = torch::randn({1, vq->cfg.code_dim, S});
    z[0].select(1, s).fill_(std::numeric_limits<float>::quiet_NaN());
    auto nan_frame = torch::isnan(vq->decoder(z)[0]).any(0);  // [T]
    for (int64_t f = 0; f < S * 4; ++f) {
      auto span = vq->decoder->latent_span(f);
      EXPECT_EQ(nan_frame[f].item<bool>(), span.first <= s && s <= span.last) << "frame " << f << " latent " << s;
    }
  }
  auto span0 = vq->decoder->latent_span(0);
  EXPECT_LT(span0.first, 0);
  EXPECT_GT(span0.last, 0);
}

TEST(Stream, FramesEqualOfflineGenerationWithTheSameSeed) {
  auto& gen = test::shipped_generator();
  GenerateOptions o;
  o.seconds = 6;
  o.sampling.seed = 3;
  auto offline = gen.generate({"a person walks forward and waves"}, o)[0].features;
  MotionStream s(gen, "a person walks forward and waves", fixed(6));
  std::vector<MotionChunk> chunks;
  auto streamed = stream_all(s, &chunks);
  ASSERT_EQ(streamed.sizes(), offline.sizes());
  EXPECT_LT(test::max_abs_diff(streamed, offline), 1e-4);
  EXPECT_GT(chunks.size(), 5u);  // frames left step by step, not all at the end

  // Past the training length both slide the cache the same way: 20 s are still equal.
  o.seconds = 20;
  auto long_offline = gen.generate({"a person walks forward and waves"}, o)[0].features;
  MotionStream ls(gen, "a person walks forward and waves", fixed(20));
  auto long_streamed = stream_all(ls);
  ASSERT_EQ(long_streamed.sizes(), long_offline.sizes());
  EXPECT_LT(test::max_abs_diff(long_streamed, long_offline), 1e-4);
  // Joints of the chunks, chained through the root state, equal those of the whole motion.
  std::vector<torch::Tensor> joints;
  for (auto& c : chunks) joints.push_back(c.joints);
  // (feet locked in both, chunk by chunk and at once)
  EXPECT_LT(test::max_abs_diff(torch::cat(joints, 0), lock_feet(gen.joints(offline), offline, gen.skeleton())), 1e-3);

  // Free length: the stream ends at the model's END, like offline generation.
  GenerateOptions free;
  free.sampling.seed = 4;
  auto off_free = gen.generate({"a person jumps"}, free)[0].features;
  StreamOptions so;
  so.sampling.seed = 4;
  MotionStream fs(gen, "a person jumps", so);
  std::vector<torch::Tensor> parts;
  play_timeline(fs, {{0.0, "a person jumps"}}, [&](const MotionChunk& c) {
    parts.push_back(c.features);
    return true;
  });
  auto streamed_free = torch::cat(parts, 0);
  ASSERT_EQ(streamed_free.sizes(), off_free.sizes());
  EXPECT_LT(test::max_abs_diff(streamed_free, off_free), 1e-4);
}

TEST(Stream, TenMinutesWithFlatMemoryNoDriftNoSinking) {
  auto& gen = test::shipped_generator();
  MotionStream s(gen, "a person walks forward", StreamOptions{});  // default window: the training length
  const int64_t window = gen.model().config.max_steps, steps = 10 * 60 * 20 / 4;
  const auto& skel = gen.skeleton();
  const std::vector<int64_t> feet = {skel.feet_left[0], skel.feet_left[1], skel.feet_right[0], skel.feet_right[1]};
  int64_t bytes_at_full = 0, max_held = 0;
  double rss_at_full = 0;
  std::vector<double> height_per_minute(10, 0.0), lowest_foot(10, 1e9);
  std::vector<int64_t> frames_per_minute(10, 0);
  while (s.steps() < steps) {
    auto c = s.step();
    ASSERT_LE(s.cache_length(), 1 + window);
    if (s.steps() == window + 1) {
      bytes_at_full = s.cache_bytes();
      rss_at_full = test::resident_mb();
    }
    if (s.steps() > window + 1) {
      ASSERT_EQ(s.cache_bytes(), bytes_at_full);
    }
    max_held = std::max(max_held, s.held_steps());
    for (int64_t i = 0; i < c.frames(); ++i) {
      const auto minute = std::min<int64_t>(9, (c.first_frame + i) / (60 * 20));
      auto pose = c.joints[i];
      ASSERT_TRUE(torch::isfinite(pose).all().item<bool>()) << "frame " << c.first_frame + i;
      height_per_minute[minute] += pose[0][1].item<double>();
      ++frames_per_minute[minute];
      for (auto f : feet) lowest_foot[minute] = std::min(lowest_foot[minute], pose[f][1].item<double>());
    }
  }
  EXPECT_GT(bytes_at_full, 0);
  EXPECT_LT(max_held, 60);  // only the decoder's look-back and look-ahead are kept
  EXPECT_LT(test::resident_mb() - rss_at_full, 64.0) << "resident memory grew over 10 minutes of motion";
  const double first = height_per_minute[0] / static_cast<double>(frames_per_minute[0]);
  for (int m = 0; m < 10; ++m) {
    ASSERT_GT(frames_per_minute[m], 0);
    const double mean = height_per_minute[m] / static_cast<double>(frames_per_minute[m]);
    EXPECT_NEAR(mean, first, 0.15) << "root height drifted by minute " << m + 1;
    EXPECT_GT(mean, 0.5);
    EXPECT_GT(lowest_foot[m], -0.08) << "feet sink through the floor in minute " << m + 1;
  }
}

TEST(Stream, KeepRecentPreservesRelativePositions) {
  // One-layer model: a layer's keys/values depend on its own input only, so after the window
  // slides, the next step must equal a fresh pass over [condition, kept steps, new step].
  auto c = T2MConfig::preset("micro", 16, 1);
  c.base_layers = 1;
  c.text.vocab_size = 64;
  torch::manual_seed(0);
  HierarchicalCausalTransformer m(c);
  m->eval();
  torch::NoGradGuard g;
  auto cond = torch::randn({1, 1, c.dim});
  auto steps = torch::randn({1, 10, c.dim});
  HCTCache cache;
  m->forward_sequence(torch::cat({cond, steps}, 1), &cache);
  m->keep_recent(cache, 4);
  EXPECT_EQ(cache.length(), 5);
  auto x = torch::randn({1, 1, c.dim});
  auto cached = m->forward_sequence(x, &cache)[0];
  auto fresh = m->forward_sequence(torch::cat({cond, steps.narrow(1, 6, 4), x}, 1))[0].narrow(1, 5, 1);
  EXPECT_LT(test::max_abs_diff(cached, fresh), 1e-4);
}

TEST(Stream, SetTextTakesEffectFromTheNextStep) {
  auto& gen = test::shipped_generator();
  auto o = fixed(10);
  MotionStream a(gen, "a person walks forward", o), b(gen, "a person walks forward", o);
  const int64_t switch_step = 30;  // past the decoder's look-ahead (about 22 steps)
  std::vector<torch::Tensor> fa, fb;
  while (!a.done()) {
    if (a.steps() == switch_step) a.set_text("a person sits down");
    EXPECT_EQ(a.text(), a.steps() < switch_step ? "a person walks forward" : "a person sits down");
    auto ca = a.step(), cb = b.step();
    if (ca.frames()) fa.push_back(ca.features);
    if (cb.frames()) fb.push_back(cb.features);
  }
  auto xa = torch::cat(fa, 0), xb = torch::cat(fb, 0);
  // Frames decoded only from steps before the switch are identical; the rest differ.
  auto& dec = gen.model().vq->decoder;
  int64_t same = 0;
  while (dec->latent_span(same).last < switch_step) ++same;
  ASSERT_GT(same, 0);
  EXPECT_LT(test::max_abs_diff(xa.narrow(0, 0, same), xb.narrow(0, 0, same)), 1e-5);
  EXPECT_GT(test::max_abs_diff(xa.narrow(0, same, xa.size(0) - same), xb.narrow(0, same, xb.size(0) - same)), 1e-2);

  // Changing the text before the first step is the same as opening with it.
  MotionStream c(gen, "a person walks forward", o), d(gen, "a person sits down", o);
  c.set_text("a person sits down");
  EXPECT_LT(test::max_abs_diff(stream_all(c), stream_all(d)), 1e-5);
}

TEST(Stream, ContinuesAGivenMotionWithoutAJump) {
  auto& gen = test::shipped_generator();
  GenerateOptions go;
  go.seconds = 4;
  go.sampling.seed = 9;
  auto given = gen.generate({"a person walks forward"}, go)[0].features.narrow(0, 0, 50);  // cut at 2.5 s
  MotionStream s(gen, "a person turns around", fixed(3), given);
  EXPECT_EQ(s.prefix_frames(), 48);  // whole latent steps of the given motion
  std::vector<MotionChunk> chunks;
  auto all = stream_all(s, &chunks);
  ASSERT_EQ(all.size(0), 48 + 60);
  EXPECT_TRUE(torch::equal(all.narrow(0, 0, 48), given.narrow(0, 0, 48)));
  std::vector<torch::Tensor> joints;
  for (auto& c : chunks) joints.push_back(c.joints);
  auto j = torch::cat(joints, 0);
  // The step across the seam is no larger than the steps inside generated motion.
  auto step = (j.narrow(0, 1, j.size(0) - 1) - j.narrow(0, 0, j.size(0) - 1)).norm(2, -1).mean(-1);  // [T-1]
  const double seam = step[47].item<double>();
  const double typical = step.narrow(0, 50, 50).max().item<double>();
  EXPECT_LT(seam, typical * 1.5 + 0.005) << "seam step " << seam << " m, generated steps up to " << typical;
  // And keeps its velocity: the acceleration across the join is that of generated motion.
  auto d2 = j.narrow(0, 2, j.size(0) - 2) - 2 * j.narrow(0, 1, j.size(0) - 2) + j.narrow(0, 0, j.size(0) - 2);
  auto accel = d2.norm(2, -1).mean(-1);  // [T-2], index t: frames t .. t+2
  const double seam_accel = accel.narrow(0, 45, 4).max().item<double>();
  const double typical_accel = accel.narrow(0, 52, 48).max().item<double>();
  EXPECT_LT(seam_accel, typical_accel * 1.5 + 0.002) << "seam " << seam_accel << ", generated up to " << typical_accel;
  EXPECT_THROW(MotionStream(gen, "a person walks", fixed(1), given.narrow(0, 0, 3)), Error);
}

TEST(Timeline, ParsesAndRejectsBadEntries) {
  auto t = parse_timeline("0:walk forward happily; 6:a person jumps;9.5: a person sits down;");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[1].at, 6.0);
  EXPECT_EQ(t[2].text, "a person sits down");
  EXPECT_EQ(seconds_to_steps(6.0, 4, 20.0), 30);
  EXPECT_EQ(seconds_to_steps(6.0, 4, 30.0), 45);
  auto message = [](const std::string& spec) { return test::error_message([&] { parse_timeline(spec); }); };
  EXPECT_NE(message("1:walk").find("first text must start at 0"), std::string::npos);
  EXPECT_NE(message("0:walk;5:jump;3:sit").find("times must increase"), std::string::npos);
  EXPECT_NE(message("0:walk;jump").find("expected TIME:TEXT"), std::string::npos);
  EXPECT_NE(message("0:walk;x:jump").find("number of seconds"), std::string::npos);
  EXPECT_NE(message("0:walk;4:  ").find("text is empty"), std::string::npos);
  EXPECT_NE(message("").find("expected TIME:TEXT"), std::string::npos);
}

TEST(Timeline, EachTextTakesOverAtItsStep) {
  auto& gen = test::shipped_generator();
  MotionStream s(gen, "a person walks forward", fixed(5));
  std::vector<std::pair<int64_t, std::string>> seen;  // (steps drawn, text) per chunk
  play_timeline(s, parse_timeline("0:a person walks forward;2:a person jumps;3.2:a person sits down"),
                [&](const MotionChunk&) {
                  seen.emplace_back(s.steps(), s.text());
                  return true;
                });
  EXPECT_EQ(s.frames_emitted(), 100);
  for (auto& [steps, text] : seen) {
    // the text in force when step `steps - 1` was drawn
    const int64_t drawn = steps - 1;
    const char* want = drawn < 10 ? "a person walks forward" : drawn < 16 ? "a person jumps" : "a person sits down";
    if (steps < 25) {
      EXPECT_EQ(text, want) << "after step " << steps;
    }
  }
}

TEST(Timeline, ALiveChangeOverridesTheEntriesStillToCome) {
  auto& gen = test::shipped_generator();
  MotionStream s(gen, "a person walks forward", fixed(5));
  s.follow(parse_timeline("0:a person walks forward;2:a person runs forward;3.2:a person waves the right hand"));
  while (s.steps() < 5) s.step();
  EXPECT_EQ(s.text_changes(), 0);
  s.set_text("a person bows");
  EXPECT_EQ(s.text_changes(), 1);
  EXPECT_EQ(s.text_from_step(), 5);
  while (!s.done()) s.step();
  EXPECT_EQ(s.text(), "a person bows");  // neither scheduled entry took over afterwards
  EXPECT_EQ(s.text_changes(), 1);
  EXPECT_EQ(s.frames_emitted(), 100);
}

TEST(GenerateCli, TimelineStreamAndContinuation) {
  test::TempDir dir;
  auto r = test::run_cli("--threads 1 generate --timeline \"0:a person walks forward;2:a person waves the right hand\" --seconds 4 -o " +
                         (dir / "t.npy"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(npy::load(dir / "t.npy").size(0), 80);

  // --stream: one JSON line per frame on stdout, in order, as frames become final.
  std::string cmd = test::kDeadline + MOGO_CLI_PATH + " --threads 1 generate \"a person waves\" --seconds 3 --stream 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::array<char, 1 << 16> line{};
  int64_t frames = 0;
  while (fgets(line.data(), line.size(), pipe)) {
    auto j = nlohmann::json::parse(line.data());
    EXPECT_EQ(j["frame"].get<int64_t>(), frames);
    EXPECT_EQ(j["joints"].size(), 21u);
    EXPECT_EQ(j["text"], "a person waves");
    ++frames;
  }
  EXPECT_EQ(pclose(pipe), 0);
  EXPECT_EQ(frames, 60);

  // --from a BVH of the model's rig, continued at 1 s for 2 s.
  ASSERT_EQ(test::run_cli("--threads 1 generate \"a person walks forward\" --seconds 3 -o " + (dir / "a.bvh")).exit_code, 0);
  auto c = test::run_cli("--threads 1 generate \"a person bows\" --from " + (dir / "a.bvh") + " --at 1 --seconds 2 -o " +
                         (dir / "c.npy"));
  ASSERT_EQ(c.exit_code, 0) << c.output;
  EXPECT_EQ(npy::load(dir / "c.npy").size(0), 20 + 40);
}

TEST(GenerateCli, StreamingFlagsRejectBadInput) {
  test::TempDir dir;
  auto expect_error = [&](const std::string& args, const std::string& needle) {
    auto r = test::run_cli("--threads 1 generate " + args + " -o " + (dir / "x.bvh"));
    EXPECT_EQ(r.exit_code, 1) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(needle), std::string::npos) << args << "\n" << r.output;
  };
  expect_error("\"a person walks\" --at 2", "--at needs --from");
  expect_error("--timeline \"3:walk\"", "first text must start at 0");
  expect_error("\"a person walks\" --timeline \"0:walk\"", "not both");
  expect_error("\"a person walks\" --from /nonexistent.bvh", "/nonexistent.bvh");
  ASSERT_EQ(test::run_cli("--threads 1 generate \"a person walks\" --seconds 2 -o " + (dir / "a.npy")).exit_code, 0);
  expect_error("\"a person walks\" --from " + (dir / "a.npy") + " --at 5", "past the end");
  expect_error("\"a person walks\" --from " + (dir / "a.npy") + " --at 0.1", "at least 4 frames");
  EXPECT_FALSE(std::filesystem::exists(dir / "x.bvh"));
}

// A clock the test moves: sleeping advances it, so a paced stream runs at full speed.
struct FakeClock {
  double now = 100.0;
  Pacer pacer(double lead) {
    return Pacer(lead, kHumanML3DFps, [this] { return now; }, [this](double s) { now += s; });
  }
};

TEST(Pacer, HandsOutNoMoreThanTheLeadAheadOfPlayback) {
  FakeClock clock;
  auto p = clock.pacer(0.3);
  EXPECT_EQ(p.wait_seconds(), 0.0);  // nothing handed out yet: the clock has not started
  p.handed_out(40);                  // 2 s at once (e.g. a continued motion's given frames)
  EXPECT_NEAR(p.wait_seconds(), 2.0 - 0.3, 1e-12);
  clock.now += 1.0;
  EXPECT_NEAR(p.wait_seconds(), 0.7, 1e-12);
  EXPECT_NEAR(p.playback_seconds(), 1.0, 1e-12);
  ASSERT_TRUE(p.wait([] { return true; }));
  EXPECT_NEAR(clock.now, 100.0 + 1.7, 1e-3);  // woke when 0.3 s of motion remained ahead
  EXPECT_EQ(p.wait_seconds(), 0.0);
  // A cancel ends the wait at once.
  p.handed_out(100);
  int asked = 0;
  EXPECT_FALSE(p.wait([&] { return ++asked < 3; }));
  EXPECT_EQ(asked, 3);
  EXPECT_THROW(Pacer(-1, kHumanML3DFps), Error);
  PaceOptions bad;
  bad.lead_seconds = 61;
  EXPECT_FALSE(bad.check().empty());
  EXPECT_TRUE(PaceOptions{}.check().empty());
}

TEST(Pacer, APacedStreamNeverRunsMoreThanItsLeadPlusTheDecodersSpanAhead) {
  auto& gen = test::shipped_generator();
  FakeClock clock;
  const double lead = 0.3;
  auto pacer = clock.pacer(lead);
  MotionStream s(gen, "a person walks forward", fixed(6));
  const int64_t down = s.downsample();
  const int64_t lookahead = gen.model().vq->decoder->latent_span(0).last;  // latent steps
  double worst_ahead = -1e9;
  int64_t frames = 0;
  play_timeline(
      s, {{0.0, "a person walks forward"}},
      [&](const MotionChunk& c) {
        // Handed out now: how far past the player's position does the stream reach?
        const double ahead = static_cast<double>(c.first_frame + c.frames()) / kHumanML3DFps - pacer.playback_seconds();
        worst_ahead = std::max(worst_ahead, ahead);
        frames += c.frames();
        // Generation runs ahead of playback by no more than the lead, the decoder's look-ahead and one step.
        const double drawn_ahead = static_cast<double>(s.steps() * down) / kHumanML3DFps - pacer.playback_seconds();
        EXPECT_LE(drawn_ahead, lead + static_cast<double>((lookahead + 2) * down) / kHumanML3DFps + 1e-9);
        return true;
      },
      &pacer);
  ASSERT_EQ(frames, 120);
  // Within the lead plus one chunk (a latent step's frames; the first chunk is the decoder's fill).
  EXPECT_LE(worst_ahead, lead + static_cast<double>(down) / kHumanML3DFps + 1e-9);
  // ... and it really waited: the whole 6 s took about 6 s minus the lead of playback time.
  EXPECT_NEAR(pacer.playback_seconds(), 6.0 - lead - static_cast<double>(down) / kHumanML3DFps, static_cast<double>(down) / kHumanML3DFps + 1e-9);
}

TEST(Stream, AChangeAtStepSLeavesEveryFrameBeforeItsSpanUnchanged) {
  // With the streaming decoder too: frames whose latent span ends before the change are the
  // unchanged stream's, exactly (any decoder layout: the shipped one reads 22 steps ahead).
  auto& gen = test::shipped_generator();
  for (int64_t change : {3, 30}) {
    MotionStream a(gen, "a person walks forward", fixed(8)), b(gen, "a person walks forward", fixed(8));
    std::vector<torch::Tensor> fa, fb;
    while (!a.done() || !b.done()) {
      if (a.steps() == change) a.set_text("a person jumps");
      if (!a.done())
        if (auto c = a.step(); c.frames()) fa.push_back(c.features);
      if (!b.done())
        if (auto c = b.step(); c.frames()) fb.push_back(c.features);
    }
    auto xa = torch::cat(fa, 0), xb = torch::cat(fb, 0);
    int64_t same = 0;
    while (gen.model().vq->decoder->latent_span(same).last < change) ++same;
    if (same > 0) {
      EXPECT_LT(test::max_abs_diff(xa.narrow(0, 0, same), xb.narrow(0, 0, same)), 1e-6) << "change at " << change;
    }
    EXPECT_GT(test::max_abs_diff(xa, xb), 1e-2) << "change at " << change;
  }
}

// A model with a transition decoder: the frames of a text change come from it, blended in from
// the step before the change and back after its fade; every other frame is the main decoder's,
// exactly as in the same model without one (the tokens never depend on the decoders).
TEST(Stream, ATextChangeIsDecodedByTheTransitionDecoderAroundTheChangeOnly) {
  auto model = load_t2m_model(test::source_dir() + "/models/t2m-tiny.pt");
  if (!model.transition_decoder) {  // the shipped model has one; any other gets a perturbed copy
    model.transition_decoder = Decoder(model.vq_config);
    auto src = model.vq->decoder->parameters(), dst = model.transition_decoder->parameters();
    torch::NoGradGuard g;
    for (size_t i = 0; i < dst.size(); ++i) dst[i].copy_(src[i] * 1.05);
    model.transition_frames = 16;
  }
  T2MModel plain = model;
  plain.transition_decoder = nullptr;
  Generator with(model, torch::kCPU), without(plain, torch::kCPU);
  const int64_t change = 12, down = 4, c = change * down;
  std::vector<torch::Tensor> out[2];
  int64_t n = 0;
  for (Generator* g : {&with, &without}) {
    MotionStream s(*g, "a person walks forward", fixed(6));
    std::vector<torch::Tensor> f;
    while (!s.done()) {
      if (s.steps() == change) s.set_text("a person waves with the right hand");
      if (auto ch = s.step(); ch.frames()) f.push_back(ch.features);
    }
    out[n++] = f;
  }
  auto a = torch::cat(out[0], 0), b = torch::cat(out[1], 0);
  ASSERT_EQ(a.sizes(), b.sizes());
  const int64_t first = c - down;  // the main decoder's frames of the step before the change are not out yet
  const int64_t back = c + 4 + 16;  // back to the main decoder from one step after the change, over 16 frames
  EXPECT_LT(test::max_abs_diff(a.narrow(0, 0, first), b.narrow(0, 0, first)), 1e-6) << "before the change";
  EXPECT_GT(test::max_abs_diff(a.narrow(0, c - 2, 8), b.narrow(0, c - 2, 8)), 1e-3) << "the transition decoder's frames";
  EXPECT_LT(test::max_abs_diff(a.narrow(0, back, a.size(0) - back), b.narrow(0, back, b.size(0) - back)), 1e-6) << "after the return";
  // The blend itself has no jump: frame to frame, no larger a step than the main decoder's largest.
  auto step_max = [](const torch::Tensor& x, int64_t from, int64_t to) { return x.narrow(0, from, to - from).diff(1, 0).abs().max().item<double>(); };
  EXPECT_LT(step_max(a, first - 1, back + 1), 1.5 * step_max(b, 0, b.size(0)));
}
