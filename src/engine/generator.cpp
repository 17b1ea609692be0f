#include "engine/generator.hpp"

#include <cmath>
#include <cstdio>

#include "common/error.hpp"
#include "common/log.hpp"
#include "motion/features.hpp"

namespace mogo {

int64_t seconds_to_frames(double seconds) {
  require(std::isfinite(seconds), "--seconds must be a finite number");
  double s = std::clamp(seconds, kMinSeconds, kMaxSeconds);
  if (s != seconds) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "duration %.3g s is outside [%.1f, %.0f] s: using %.1f s", seconds, kMinSeconds, kMaxSeconds, s);
    log_warning(buf);
  }
  return static_cast<int64_t>(std::lround(s * kFps));
}

Generator::Generator(T2MModel model, torch::Device device) : model_(std::move(model)), skeleton_(model_.skeleton()), device_(device) {
  model_.vq->to(device_);
  model_.transformer->to(device_);
  model_.vq->eval();
  model_.transformer->eval();
}

Generator Generator::load(const std::string& path, torch::Device device) { return Generator(load_t2m_model(path, device), device); }

torch::Tensor Generator::joints(const torch::Tensor& features) const {
  return recover_from_ric(features.to(torch::kCPU, torch::kFloat), skeleton_.num_joints());
}

torch::Tensor Generator::decode(const torch::Tensor& tokens, int64_t layers, int64_t frames) {
  torch::NoGradGuard g;
  auto x = model_.vq->decode(tokens.unsqueeze(0).to(device_), layers, frames).squeeze(0);  // [T,D] normalised
  return model_.denormalise(x).to(torch::kCPU, torch::kFloat);
}

std::vector<GeneratedMotion> Generator::generate(const std::vector<std::string>& texts, const GenerateOptions& o,
                                                 const std::vector<int64_t>& frames) {
  torch::NoGradGuard g;
  require(frames.empty() || frames.size() == texts.size(), "generate: one length per text (or none)");
  for (const auto& t : texts)
    require(t.find_first_not_of(" \t\r\n\f\v") != std::string::npos, "the prompt is empty: describe a motion, e.g. \"a person walks forward\"");
  const int64_t down = model_.vq_config.downsample();
  const int64_t fixed = o.seconds != 0 ? seconds_to_frames(o.seconds) : 0;  // negative: clamped up
  std::vector<GeneratedMotion> out;
  for (size_t first = 0; first < texts.size(); first += static_cast<size_t>(o.batch)) {
    const size_t n = std::min(texts.size() - first, static_cast<size_t>(o.batch));
    std::vector<std::string> chunk(texts.begin() + first, texts.begin() + first + n);
    std::vector<int64_t> want(n), steps(n);
    for (size_t i = 0; i < n; ++i) {
      want[i] = frames.empty() ? fixed : frames[first + i];
      steps[i] = want[i] > 0 ? (want[i] + down - 1) / down : 0;
    }
    auto tok = model_.tokenizer->encode_batch(chunk, model_.config.text.max_length);
    auto cond = model_.transformer->condition(tok.ids.to(device_), tok.mask.to(device_));
    SamplingParams p = o.sampling;
    p.seed = o.sampling.seed + first;  // each chunk its own stream, reproducible
    auto sampled = sample_tokens(model_.transformer, cond, steps, model_.config.max_steps, p);
    for (size_t i = 0; i < n; ++i) {
      auto tokens = sampled.tokens[i].narrow(1, 0, sampled.lengths[i]).contiguous();
      out.push_back({chunk[i], tokens, decode(tokens, o.layers, want[i])});
    }
  }
  return out;
}

}  // namespace mogo
