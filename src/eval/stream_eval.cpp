#include "eval/stream_eval.hpp"

#include <algorithm>
#include <cstdio>
#include <random>

#include "common/error.hpp"
#include "common/log.hpp"
#include "engine/stream.hpp"
#include "eval/metrics.hpp"

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

Smoothness window_smoothness(const torch::Tensor& joints, int64_t center, int64_t w, double fps) {
  auto p = joints.to(torch::kDouble);
  // a_t = (p_{t+1} - 2 p_t + p_{t-1}) fps^2 at frame t; jerk between frames t-1 .. t+2.
  auto d1 = p.narrow(0, 1, p.size(0) - 1) - p.narrow(0, 0, p.size(0) - 1);
  auto d2 = d1.narrow(0, 1, d1.size(0) - 1) - d1.narrow(0, 0, d1.size(0) - 1);  // index t-1 for frame t
  auto d3 = d2.narrow(0, 1, d2.size(0) - 1) - d2.narrow(0, 0, d2.size(0) - 1);
  auto speed = d1.norm(2, -1).mean(-1) * fps;  // index t: frames t .. t+1
  auto accel = d2.norm(2, -1).mean(-1) * (fps * fps);
  auto jerk = d3.norm(2, -1).mean(-1) * (fps * fps * fps);
  const int64_t a0 = std::clamp<int64_t>(center - w - 1, 0, accel.size(0) - 1);
  const int64_t a1 = std::clamp<int64_t>(center + w - 1, a0, accel.size(0) - 1);
  const int64_t j0 = std::clamp<int64_t>(center - w - 1, 0, jerk.size(0) - 1);
  const int64_t j1 = std::clamp<int64_t>(center + w - 2, j0, jerk.size(0) - 1);
  const int64_t v0 = std::clamp<int64_t>(center - w, 0, speed.size(0) - 1);
  const int64_t v1 = std::clamp<int64_t>(center + w - 1, v0, speed.size(0) - 1);
  auto a = accel.narrow(0, a0, a1 - a0 + 1), j = jerk.narrow(0, j0, j1 - j0 + 1);
  return {speed.narrow(0, v0, v1 - v0 + 1).mean().item<double>(), a.mean().item<double>(), j.mean().item<double>(), a.max().item<double>(), j.max().item<double>(), 1};
}

torch::Tensor frame_jerk(const torch::Tensor& joints, double fps) {
  auto p = joints.to(torch::kDouble);
  const int64_t T = p.size(0);
  auto out = torch::zeros({T}, torch::kDouble);
  if (T < 4) return out;
  auto d3 = p.narrow(0, 3, T - 3) - 3 * p.narrow(0, 2, T - 3) + 3 * p.narrow(0, 1, T - 3) - p.narrow(0, 0, T - 3);  // frames t..t+3
  auto per_joint = d3.abs().sum(-1) * (fps * fps * fps);                                                        // [T-3,J]
  out.narrow(0, 2, T - 3).copy_(std::get<0>(per_joint.max(-1)));  // at frame t+2: spans t-2 .. t+1
  out[0] = out[2], out[1] = out[2], out[T - 1] = out[T - 2];        // ends: the nearest defined
  return out;
}

void JerkCurve::add(const torch::Tensor& jerk, int64_t center) {
  if (center - half < 0 || center + half >= jerk.size(0)) return;
  if (sum.empty()) sum.assign(2 * half + 1, 0.0);
  auto acc = jerk.accessor<double, 1>();
  for (int64_t k = -half; k <= half; ++k) sum[k + half] += acc[center + k];
  ++n;
}

std::vector<double> JerkCurve::mean() const {
  std::vector<double> m = sum;
  for (auto& v : m) v /= static_cast<double>(std::max<int64_t>(n, 1));
  return m;
}

double JerkCurve::peak() const {
  const auto m = mean();
  return m.empty() ? 0.0 : *std::max_element(m.begin(), m.end());
}

double JerkCurve::area(double real_level) const {
  double a = 0;
  for (double v : mean()) a += std::abs(v - real_level);
  return a;
}

void SeamReport::score_windows(const EvaluatorBundle& ev, torch::Device device) {
  if (real_windows.size() < 2) return;
  auto real = ev.motions(real_windows, device, 196);
  if (switch_windows.size() >= 2) transition_fid = metrics::fid(ev.motions(switch_windows, device, 196), real);
  if (scratch_windows.size() >= 2) scratch_window_fid = metrics::fid(ev.motions(scratch_windows, device, 196), real);
}

SeamReport measure_seams(Generator& g, const MotionDataset& test, const SeamOptions& o) {
  SeamReport r;
  r.switched.name = "after a prompt change";
  r.scratch.name = "from scratch";
  std::mt19937_64 rng(o.sampling.seed);
  const int64_t down = g.model().vq_config.downsample();
  const double fps = g.fps();
  const int64_t lead = static_cast<int64_t>(std::llround(o.lead_seconds * fps / static_cast<double>(down))) * down;
  const int64_t given = static_cast<int64_t>(std::llround(o.continue_at * fps / static_cast<double>(down))) * down;
  const int64_t w = static_cast<int64_t>(std::llround(o.window_seconds * fps));
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
  const int64_t fid_half = static_cast<int64_t>(std::llround(fps));  // transition FID windows: 1 s each side
  // Each window's first frame: the join minus fid_half, or -1 when the motion does not hold it.
  auto window_at = [&](const torch::Tensor& f, int64_t center) {
    return center - fid_half >= 0 && center + fid_half <= f.size(0) ? f.narrow(0, center - fid_half, 2 * fid_half) : torch::Tensor();
  };
  double level_sum = 0;
  int64_t level_n = 0;
  std::vector<torch::Tensor> real_joints(clips.size());  // recovered once, used again at the continuations
  for (size_t i = 0; i < clips.size(); ++i) {
    r.scratch.motions[clips[i]->id] = scratch[i].features;
    auto j = g.joints(scratch[i].features);
    r.ordinary.add(window_smoothness(j, j.size(0) / 2, w, fps));  // the middle of ordinary motion
    r.ordinary_jerk.add(frame_jerk(j, fps), j.size(0) / 2);
    if (auto win = window_at(scratch[i].features, j.size(0) / 2); win.defined()) r.scratch_windows.push_back(win);
    // The real clips: their jerk level, and a 2-s window at a random place.
    const auto real = test.denormalise(clips[i]->features);
    real_joints[i] = g.joints(real);
    auto rj = frame_jerk(real_joints[i], fps);
    level_sum += rj.sum().item<double>();
    level_n += rj.size(0);
    if (real.size(0) >= 2 * fid_half) {
      const int64_t at = fid_half + static_cast<int64_t>(rng() % static_cast<uint64_t>(real.size(0) - 2 * fid_half + 1));
      r.real_windows.push_back(window_at(real, at));
    }
  }
  r.real_jerk_level = level_sum / static_cast<double>(std::max<int64_t>(level_n, 1));

  for (size_t i = 0; i < clips.size(); ++i) {
    if (i % 50 == 0) log_info("seams: clip " + std::to_string(i) + " of " + std::to_string(clips.size()));
    // Prompt change: `lead` frames under another clip's caption, then this clip's caption.
    StreamOptions so;
    so.sampling = o.sampling;
    so.sampling.seed = o.sampling.seed + 1000 + i;
    so.max_frames = lead + frames[i];
    so.switch_context = o.switch_context;
    so.foot_lock = false;  // the model's own motion, as the from-scratch and real rows measure it
    MotionStream s(g, firsts[i], so);
    std::vector<torch::Tensor> f, jt;
    while (!s.done()) {
      if (s.steps() == lead / down) s.set_text(texts[i]);
      auto c = s.step();
      if (c.frames()) f.push_back(c.features), jt.push_back(c.joints);
    }
    auto features = torch::cat(f, 0), joints = torch::cat(jt, 0);
    r.switched.motions[clips[i]->id] = features.narrow(0, lead, frames[i]);
    r.switch_seam.add(window_smoothness(joints, lead, w, fps));
    r.switch_jerk.add(frame_jerk(joints, fps), lead);
    if (auto win = window_at(features, lead); win.defined()) r.switch_windows.push_back(win);
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
    auto continued = torch::cat(jt, 0);
    r.continue_seam.add(window_smoothness(continued, given, w, fps));
    r.continue_jerk.add(frame_jerk(continued, fps), given);
    r.real_at_join.add(window_smoothness(real_joints[i], given, w, fps));
    r.real_jerk.add(frame_jerk(real_joints[i], fps), given);
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
  auto jerk = [&](const JerkCurve& c) {
    return nlohmann::json{{"pj", c.peak()}, {"auj", c.area(real_jerk_level)}, {"curve", c.mean()}, {"samples", c.n}};
  };
  return {{"prompt_change", smoothness_json(switch_seam)},
          {"continuation", smoothness_json(continue_seam)},
          {"ordinary_generated", smoothness_json(ordinary)},
          {"real_clip_at_join", smoothness_json(real_at_join)},
          {"jerk", {{"real_level", real_jerk_level},
                    {"half_window_frames", switch_jerk.half},
                    {"prompt_change", jerk(switch_jerk)},
                    {"continuation", jerk(continue_jerk)},
                    {"from_scratch_mid_motion", jerk(ordinary_jerk)},
                    {"real_clip_at_join", jerk(real_jerk)}}},
          {"transition_fid", transition_fid},
          {"scratch_window_fid", scratch_window_fid},
          {"pairs", pairs},
          {"continuations", continuations}};
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
  char buf[400];
  std::snprintf(buf, sizeof buf, "\nFlowMDM seam jerk (+-%lld frames; real level %.1f m/s^3)   PJ      AUJ\n", (long long)switch_jerk.half,
                real_jerk_level);
  out += buf;
  auto jrow = [&](const char* name, const JerkCurve& c) {
    std::snprintf(buf, sizeof buf, "%-40s %-7.1f %-7.1f\n", name, c.peak(), c.area(real_jerk_level));
    out += buf;
  };
  jrow("prompt change", switch_jerk);
  jrow("continuation of a real clip", continue_jerk);
  jrow("from scratch (mid-motion)", ordinary_jerk);
  jrow("real clip at the same frame", real_jerk);
  std::snprintf(buf, sizeof buf, "\ntransition FID (2 s around each change vs real 2-s windows): %.3f; 2 s mid-motion from scratch: %.3f\n",
                transition_fid, scratch_window_fid);
  out += buf;
  return out;
}

}  // namespace mogo
