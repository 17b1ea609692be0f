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

}  // namespace mogo
