#include "eval/stream_eval.hpp"

#include <cstdio>
#include <random>

#include "common/error.hpp"
#include "common/log.hpp"
#include "engine/stream.hpp"

namespace mogo {

void Smoothness::add(const Smoothness& s) {
  speed += s.speed * static_cast<double>(s.n);
  accel += s.accel * static_cast<double>(s.n);
  jerk += s.jerk * static_cast<double>(s.n);
  accel_peak += s.accel_peak * static_cast<double>(s.n);
  jerk_peak += s.jerk_peak * static_cast<double>(s.n);
  n += s.n;
}

Smoothness Smoothness::mean() const {
  if (n == 0) return *this;
  const double k = static_cast<double>(n);
  return {speed / k, accel / k, jerk / k, accel_peak / k, jerk_peak / k, n};
}

Smoothness window_smoothness(const torch::Tensor& joints, int64_t center, int64_t w) {
  auto p = joints.to(torch::kDouble);
  // a_t = (p_{t+1} - 2 p_t + p_{t-1}) fps^2 at frame t; jerk between frames t-1 .. t+2.
  auto d1 = p.narrow(0, 1, p.size(0) - 1) - p.narrow(0, 0, p.size(0) - 1);
  auto d2 = d1.narrow(0, 1, d1.size(0) - 1) - d1.narrow(0, 0, d1.size(0) - 1);  // index t-1 for frame t
  auto d3 = d2.narrow(0, 1, d2.size(0) - 1) - d2.narrow(0, 0, d2.size(0) - 1);
  auto speed = d1.norm(2, -1).mean(-1) * kFps;  // index t: frames t .. t+1
  auto accel = d2.norm(2, -1).mean(-1) * (kFps * kFps);
  auto jerk = d3.norm(2, -1).mean(-1) * (kFps * kFps * kFps);
  const int64_t a0 = std::clamp<int64_t>(center - w - 1, 0, accel.size(0) - 1);
  const int64_t a1 = std::clamp<int64_t>(center + w - 1, a0, accel.size(0) - 1);
  const int64_t j0 = std::clamp<int64_t>(center - w - 1, 0, jerk.size(0) - 1);
  const int64_t j1 = std::clamp<int64_t>(center + w - 2, j0, jerk.size(0) - 1);
  const int64_t v0 = std::clamp<int64_t>(center - w, 0, speed.size(0) - 1);
  const int64_t v1 = std::clamp<int64_t>(center + w - 1, v0, speed.size(0) - 1);
  auto a = accel.narrow(0, a0, a1 - a0 + 1), j = jerk.narrow(0, j0, j1 - j0 + 1);
  return {speed.narrow(0, v0, v1 - v0 + 1).mean().item<double>(), a.mean().item<double>(), j.mean().item<double>(), a.max().item<double>(), j.max().item<double>(), 1};
}

SeamReport measure_seams(Generator& g, const MotionDataset& test, const SeamOptions& o) {
  SeamReport r;
  r.switched.name = "after a prompt change";
  r.scratch.name = "from scratch";
  std::mt19937_64 rng(o.sampling.seed);
  const int64_t down = g.model().vq_config.downsample();
  const int64_t lead = static_cast<int64_t>(std::llround(o.lead_seconds * kFps / static_cast<double>(down))) * down;
  const int64_t given = static_cast<int64_t>(std::llround(o.continue_at * kFps / static_cast<double>(down))) * down;
  const int64_t w = static_cast<int64_t>(std::llround(o.window_seconds * kFps));
  std::vector<const MotionClip*> clips;
  for (const auto& c : test.clips())
    if (!c.captions.empty()) clips.push_back(&c);
  require(clips.size() >= 2, "measure_seams: the split needs at least 2 captioned clips");

  std::vector<std::string> texts, firsts;
  std::vector<int64_t> frames;
  for (size_t i = 0; i < clips.size(); ++i) {
    auto pick = [&](const MotionClip& c) { return c.captions[std::uniform_int_distribution<size_t>(0, c.captions.size() - 1)(rng)].text; };
    texts.push_back(pick(*clips[i]));
    firsts.push_back(pick(*clips[(i + 1 + rng() % (clips.size() - 1)) % clips.size()]));  // another clip's caption
    frames.push_back(std::min(o.max_frames, clips[i]->features.size(0)));
  }
  GenerateOptions go;
  go.sampling = o.sampling;
  log_info("seams: generating " + std::to_string(clips.size()) + " motions from scratch");
  auto scratch = g.generate(texts, go, frames);
  for (size_t i = 0; i < clips.size(); ++i) {
    r.scratch.motions[clips[i]->id] = scratch[i].features;
    auto j = g.joints(scratch[i].features);
    r.ordinary.add(window_smoothness(j, j.size(0) / 2, w));  // the middle of ordinary motion
  }

  for (size_t i = 0; i < clips.size(); ++i) {
    if (i % 50 == 0) log_info("seams: clip " + std::to_string(i) + " of " + std::to_string(clips.size()));
    // Prompt change: `lead` frames under another clip's caption, then this clip's caption.
    StreamOptions so;
    so.sampling = o.sampling;
    so.sampling.seed = o.sampling.seed + 1000 + i;
    so.max_frames = lead + frames[i];
    so.switch_context = o.switch_context;
    MotionStream s(g, firsts[i], so);
    std::vector<torch::Tensor> f, jt;
    while (!s.done()) {
      if (s.steps() == lead / down) s.set_text(texts[i]);
      auto c = s.step();
      if (c.frames()) f.push_back(c.features), jt.push_back(c.joints);
    }
    auto features = torch::cat(f, 0), joints = torch::cat(jt, 0);
    r.switched.motions[clips[i]->id] = features.narrow(0, lead, frames[i]);
    r.switch_seam.add(window_smoothness(joints, lead, w));
    ++r.pairs;

    // Continuation of the real clip after `given` frames, under its own caption.
    const auto real = test.denormalise(clips[i]->features);
    if (real.size(0) < given + 2 * w + 4) continue;
    so.max_frames = std::min(o.max_frames, real.size(0)) - given;
    MotionStream cs(g, texts[i], so, real.narrow(0, 0, given));
    jt.clear();
    while (!cs.done()) {
      auto c = cs.step();
      if (c.frames()) jt.push_back(c.joints);
    }
    r.continue_seam.add(window_smoothness(torch::cat(jt, 0), given, w));
    r.real_at_join.add(window_smoothness(g.joints(real), given, w));
    ++r.continuations;
  }
  return r;
}

namespace {
nlohmann::json smoothness_json(const Smoothness& s) {
  auto m = s.mean();
  return {{"speed", m.speed}, {"accel", m.accel}, {"jerk", m.jerk}, {"accel_peak", m.accel_peak}, {"jerk_peak", m.jerk_peak}, {"windows", m.n}};
}
}  // namespace

nlohmann::json SeamReport::to_json() const {
  return {{"prompt_change", smoothness_json(switch_seam)}, {"continuation", smoothness_json(continue_seam)},
          {"ordinary_generated", smoothness_json(ordinary)}, {"real_clip_at_join", smoothness_json(real_at_join)},
          {"pairs", pairs}, {"continuations", continuations}};
}

std::string SeamReport::table() const {
  std::string out = "window around the join           speed  mean accel  mean jerk   peak accel  peak jerk   windows\n";
  auto row = [&](const char* name, const Smoothness& s) {
    auto m = s.mean();
    char buf[200];
    std::snprintf(buf, sizeof buf, "%-32s %-6.2f %-11.2f %-11.1f %-11.2f %-11.1f %lld\n", name, m.speed, m.accel, m.jerk, m.accel_peak,
                  m.jerk_peak, (long long)m.n);
    out += buf;
  };
  row("prompt change (switch)", switch_seam);
  row("continuation of a real clip", continue_seam);
  row("ordinary generated (mid-motion)", ordinary);
  row("real clip at the same frame", real_at_join);
  return out;
}

}  // namespace mogo
