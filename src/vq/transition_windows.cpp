#include "vq/transition_windows.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "motion/transition.hpp"

namespace mogo {

namespace {
// Frames of the smooth fade before the change: it is centred on the linear fade, but starts at most
// one step early (the decoder's look-ahead); a longer fade runs on after the linear one instead.
int64_t early_frames(const TransitionPlan& p) { return std::min((p.target_frames - p.given_frames) / 2, p.down); }

// The first frame of the change: a step boundary with at least one step of A before the smooth
// fade starts and room for the whole fade in the window.
int64_t first_change(const TransitionPlan& p) { return (early_frames(p) / p.down + 1) * p.down; }
int64_t last_change(const TransitionPlan& p, int64_t window) {
  return (window - (p.target_frames - early_frames(p))) / p.down * p.down;
}

// Frames f of a window whose change is at c: A[a0 + f] before the fade, B[b0 + f - c] after it,
// the two cross-faded over [start, start + F).
torch::Tensor change_window(const torch::Tensor& a, int64_t a0, const torch::Tensor& b, int64_t b0, int64_t c, int64_t window,
                            int64_t start, int64_t F, FadeShape shape) {
  const int64_t end = start + F;
  return torch::cat({a.narrow(0, a0, start), cross_fade(a.narrow(0, a0 + start, F), b.narrow(0, b0 + start - c, F), shape),
                     b.narrow(0, b0 + end - c, window - end)},
                    0);
}
// The offset target: A up to the frame before the fade, then B plus the offset of A's value and
// rate at that frame, gone after the fade's frames.
torch::Tensor offset_window(const torch::Tensor& a, int64_t a0, const torch::Tensor& b, int64_t b0, int64_t c, int64_t window,
                            int64_t start, int64_t F) {
  auto A = [&](int64_t f) { return a[a0 + f]; };
  auto B = [&](int64_t f) { return b[b0 + f - c]; };
  const auto x = A(start - 1) - B(start - 1);
  const auto v = (A(start - 1) - A(start - 2)) - (B(start - 1) - B(start - 2));
  return torch::cat({a.narrow(0, a0, start), offset_join(b.narrow(0, b0 + start - c, window - start), x, v, F)}, 0);
}
}  // namespace

TransitionTarget transition_target(const std::string& name) {
  if (name == "fade") return TransitionTarget::fade;
  if (name == "offset") return TransitionTarget::offset;
  throw Error("--transition-target must be fade or offset, got \"" + name + "\"");
}

FadeSpan transition_fade(const TransitionPlan& p) { return {-early_frames(p), p.target_frames - early_frames(p)}; }

void check_transition_plan(const TransitionPlan& p, int64_t window) {
  require(p.down >= 1, "transition windows: the down-sampling must be >= 1, got " + std::to_string(p.down));
  require(p.given_frames >= 1, "transition windows: the given fade must be >= 1 frame, got " + std::to_string(p.given_frames));
  require(p.target_frames >= p.given_frames && (p.target_frames - p.given_frames) % 2 == 0,
          "--transition-frames must be at least the given fade (" + std::to_string(p.given_frames) + ") and differ from it by an even number, got " +
              std::to_string(p.target_frames));
  require(first_change(p) <= last_change(p, window), "transition windows: a window of " + std::to_string(window) + " frames cannot hold a fade of " +
                                                         std::to_string(p.target_frames) + " frames after a step of context");
}

TransitionWindows sample_transition_windows(const MotionDataset& data, int64_t n, int64_t window, const TransitionPlan& p,
                                            std::mt19937_64& rng) {
  check_transition_plan(p, window);
  const auto& clips = data.clips();
  require(clips.size() >= 2, data.dir() + ": transition windows need at least two clips");
  const int64_t early = early_frames(p);
  std::uniform_int_distribution<size_t> pick(0, clips.size() - 1);
  std::uniform_int_distribution<int64_t> change(first_change(p) / p.down, last_change(p, window) / p.down);
  std::vector<torch::Tensor> given, target;
  for (int64_t tries = 0; static_cast<int64_t>(given.size()) < n; ++tries) {
    require(tries < 100 * n + 100, data.dir() + ": no two clips long enough for a change inside a " + std::to_string(window) + "-frame window");
    const auto& a = clips[pick(rng)].features;
    const auto& b = clips[pick(rng)].features;
    if (a.data_ptr() == b.data_ptr()) continue;
    const int64_t c = change(rng) * p.down;
    // B is read from b0 - before on (the offset target reads its rate a frame before the fade).
    const int64_t before = early + (p.target == TransitionTarget::offset ? 2 : 0);
    const int64_t a_need = c - early + p.target_frames, b_need = window - c + before;
    if (a.size(0) < a_need || b.size(0) < b_need) continue;
    const int64_t a0 = std::uniform_int_distribution<int64_t>(0, a.size(0) - a_need)(rng);
    // B from (almost) its beginning, as a new action starts, or from a point mid-way.
    const bool from_start = std::uniform_int_distribution<int>(0, 1)(rng) == 0;
    const int64_t b0 = before + (from_start ? 0 : std::uniform_int_distribution<int64_t>(0, b.size(0) - b_need)(rng));
    given.push_back(change_window(a, a0, b, b0, c, window, c, p.given_frames, FadeShape::linear));
    const int64_t start = c + transition_fade(p).first;
    target.push_back(p.target == TransitionTarget::fade ? change_window(a, a0, b, b0, c, window, start, p.target_frames, FadeShape::smoothstep)
                                                        : offset_window(a, a0, b, b0, c, window, start, p.target_frames));
  }
  return {torch::stack(given, 0), torch::stack(target, 0)};
}

}  // namespace mogo
