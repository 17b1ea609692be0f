#include "engine/generator.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/runtime.hpp"
#include "motion/features.hpp"

namespace mogo {

std::string default_model_path() {
  if (const char* env = std::getenv("MOGO_MODEL")) return env;
  auto installed = installed_file({"../share/mogo/models/t2m-tiny.pt"});
  return installed.empty() ? std::string(MOGO_SOURCE_DIR) + "/models/t2m-tiny.pt" : installed;
}

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

torch::Tensor Generator::condition(const std::vector<std::string>& texts) {
  torch::NoGradGuard g;
  for (const auto& t : texts)
    require(t.find_first_not_of(" \t\r\n\f\v") != std::string::npos, "the prompt is empty: describe a motion, e.g. \"a person walks forward\"");
  auto tok = model_.tokenizer->encode_batch(texts, model_.config.text.max_length);
  return model_.transformer->condition(tok.ids.to(device_), tok.mask.to(device_));
}

torch::Tensor Generator::encode(const torch::Tensor& features) {
  torch::NoGradGuard g;
  require(features.dim() == 2 && features.size(1) == model_.feature_dim() && features.size(0) > 0,
          "motion features must be [T>0," + std::to_string(model_.feature_dim()) + "] for this model, got " + c10::str(features.sizes()));
  auto x = model_.normalise(features.to(device_, torch::kFloat)).unsqueeze(0);
  return model_.vq->encode(x).squeeze(0).to(torch::kCPU);
}

std::vector<GeneratedMotion> Generator::generate(const std::vector<std::string>& texts, const GenerateOptions& o,
                                                 const std::vector<int64_t>& frames) {
  torch::NoGradGuard g;
  require(frames.empty() || frames.size() == texts.size(), "generate: one length per text (or none)");
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
    auto cond = condition(chunk);
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
