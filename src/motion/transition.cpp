#include "motion/transition.hpp"

#include <algorithm>

#include "common/error.hpp"

namespace mogo {

torch::Tensor fade_weights(int64_t frames, FadeShape shape) {
  require(frames >= 1, "a cross-fade needs at least 1 frame, got " + std::to_string(frames));
  auto x = torch::linspace(1.0 / static_cast<double>(frames + 1), static_cast<double>(frames) / static_cast<double>(frames + 1), frames);
  if (shape == FadeShape::smoothstep) x = x * x * (3 - 2 * x);
  return x.unsqueeze(1);
}

torch::Tensor cross_fade(const torch::Tensor& a, const torch::Tensor& b, FadeShape shape) {
  require(a.dim() == 2 && a.sizes() == b.sizes(),
          "cross_fade: the two motions must be [F,D] of the same shape, got " + std::to_string(a.dim()) + "-d and " + std::to_string(b.dim()) + "-d");
  const auto w = fade_weights(a.size(0), shape).to(a.device(), a.scalar_type());
  return a * (1 - w) + b * w;
}

HermiteWeights hermite_offset(int64_t frame, int64_t frames) {
  const double t = static_cast<double>(frame + 1) / static_cast<double>(frames + 1);
  if (t >= 1) return {0, 0};
  return {(2 * t - 3) * t * t + 1, ((t - 2) * t + 1) * t * static_cast<double>(frames + 1)};
}

torch::Tensor offset_join(const torch::Tensor& b, const torch::Tensor& x, const torch::Tensor& v, int64_t frames) {
  auto out = b.clone();
  for (int64_t f = 0; f < std::min(frames, b.size(0)); ++f) {
    const auto h = hermite_offset(f, frames);
    out[f] += x * h.value + v * h.rate;
  }
  return out;
}

}  // namespace mogo
