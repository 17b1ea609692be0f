#pragma once
// Cross-fades between two motions' per-frame features: how training data for text changes is made
// (the generator's joined clips, the decoder's transition windows).

#include <torch/torch.h>

#include <cstdint>

namespace mogo {

// Frames over which the generator's training joins fade one clip into the next (JoinPlan); the
// decoder's transition windows are encoded from the same fade.
inline constexpr int64_t kJoinFadeFrames = 8;

enum class FadeShape {
  linear,      // w rises at a constant rate: a kink (a jump in acceleration) at both ends
  smoothstep,  // w = 3x^2 - 2x^3: zero rate at both ends, so velocities stay continuous
};

// B's weights over F frames, strictly between 0 and 1 (A alone before, B alone after):
// w_i = s((i + 1) / (F + 1)), i = 0..F-1; returns [F,1].
torch::Tensor fade_weights(int64_t frames, FadeShape shape);

// a, b: [F,D] the two motions over the same F frames -> (1 - w) a + w b, [F,D].
torch::Tensor cross_fade(const torch::Tensor& a, const torch::Tensor& b, FadeShape shape);

// A cubic Hermite offset that starts at a value x and a rate v (per frame) and is gone, flat, after
// K frames: offset(f) = h00(t) x + h10(t) (K + 1) v at t = (f + 1) / (K + 1), f = 0..K-1 counted
// from the frame after the join, with h00 = 2t^3 - 3t^2 + 1, h10 = t^3 - 2t^2 + t. Added to a new
// motion it joins the old one without a jump or a kink, and keeps the new motion's own detail
// (inertialisation), where a cross-fade averages the two.
struct HermiteWeights {
  double value, rate;  // h00(t), h10(t) (K + 1)
};
HermiteWeights hermite_offset(int64_t frame, int64_t frames);

// b: [F,D] the new motion from the frame after the join; x, v: [D] the old motion's value and rate
// minus the new one's at the join -> b plus the offset over the first `frames` frames, [F,D].
torch::Tensor offset_join(const torch::Tensor& b, const torch::Tensor& x, const torch::Tensor& v, int64_t frames);

}  // namespace mogo
