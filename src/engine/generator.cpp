#include "engine/generator.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/runtime.hpp"
#include "motion/features.hpp"
#include "text/paraphrase.hpp"

namespace mogo {

std::string default_model_path() {
  if (const char* env = std::getenv("MOGO_MODEL")) return env;
  auto installed = installed_file({"../share/mogo/models/t2m-tiny.pt"});
  return installed.empty() ? std::string(MOGO_SOURCE_DIR) + "/models/t2m-tiny.pt" : installed;
}

int64_t seconds_to_frames(double seconds, double fps) {
  require(std::isfinite(seconds), "--seconds must be a finite number");
  double s = std::clamp(seconds, kMinSeconds, kMaxSeconds);
  if (s != seconds) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "duration %.3g s is outside [%.1f, %.0f] s: using %.1f s", seconds, kMinSeconds, kMaxSeconds, s);
    log_warning(buf);
  }
  return frames_in(s, fps);
}

int64_t frames_in(double seconds, double fps) { return std::max<int64_t>(1, std::llround(seconds * fps)); }

namespace {

std::vector<std::string> stored_captions(const T2MModel& m) {
  if (!m.train_meta.contains("captions") || !m.train_meta["captions"].is_array()) return {};
  return m.train_meta["captions"].get<std::vector<std::string>>();
}

}  // namespace

Generator::Generator(T2MModel model, torch::Device device)
    : model_(std::move(model)), skeleton_(model_.skeleton()), device_(device), aligner_(stored_captions(model_), model_.aligner) {
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

torch::Tensor Generator::condition(const std::vector<std::string>& texts, std::vector<AlignedPrompt>* aligned) {
  torch::NoGradGuard g;
  for (const auto& t : texts)
    require(t.find_first_not_of(" \t\r\n\f\v") != std::string::npos, "the prompt is empty: describe a motion, e.g. \"a person walks forward\"");
  std::vector<AlignedPrompt> a;
  std::vector<std::string> encoded;
  for (const auto& t : texts) {
    a.push_back(aligner_.align(t, align_));
    if (align_.refuse_unservable && !a.back().servable()) throw Error(unservable_message(a.back()));
    for (const auto& w : a.back().warnings) log_warning(w);
    encoded.push_back(a.back().text);
  }
  auto tok = model_.tokenizer->encode_batch(encoded, model_.config.text.max_length);
  auto cond = model_.transformer->condition(tok.ids.to(device_), tok.mask.to(device_));
  // A prompt the meaning encoder aligned, or a training caption, is a caption: nothing to blend.
  if (align_.enabled && !aligner_.captions().empty() && (align_.neighbours > 0 || align_.report_nearest))
    for (size_t i = 0; i < texts.size(); ++i)
      if (!a[i].meaning && !aligner_.is_training_caption(a[i].text))
        cond[static_cast<int64_t>(i)] = blend_with_nearest(cond[static_cast<int64_t>(i)], a[i]);
  if (aligned) *aligned = std::move(a);
  return cond;
}

// Conditions of every stored caption [N,d], and their unit-length copies.
void Generator::encode_captions() {
  const auto& captions = aligner_.captions();
  std::vector<torch::Tensor> parts;
  for (size_t i = 0; i < captions.size(); i += 256) {
    std::vector<std::string> chunk(captions.begin() + i, captions.begin() + std::min(captions.size(), i + 256));
    auto tok = model_.tokenizer->encode_batch(chunk, model_.config.text.max_length);
    parts.push_back(model_.transformer->condition(tok.ids.to(device_), tok.mask.to(device_)));
  }
  caption_cond_ = torch::cat(parts, 0);
  caption_unit_ = torch::nn::functional::normalize(caption_cond_, torch::nn::functional::NormalizeFuncOptions().dim(1));
}

// The blending threshold: the 95th percentile of the distance from paraphrases of 256 captions
// (the wording training taught the encoder) to their nearest caption.
void Generator::calibrate_far() {
  const auto& captions = aligner_.captions();
  std::mt19937_64 rng(7);
  std::vector<std::string> probes;
  for (size_t i = 0; i < captions.size() && probes.size() < 256; i += std::max<size_t>(1, captions.size() / 256))
    probes.push_back(paraphrase(captions[i], aligner_.lexicon(), rng));
  auto tok = model_.tokenizer->encode_batch(probes, model_.config.text.max_length);
  auto probe = torch::nn::functional::normalize(model_.transformer->condition(tok.ids.to(device_), tok.mask.to(device_)),
                                                torch::nn::functional::NormalizeFuncOptions().dim(1));
  auto nearest = 1 - std::get<0>(probe.matmul(caption_unit_.t()).max(1));
  far_ = std::max(1e-3, std::get<0>(nearest.to(torch::kCPU).sort()).index({static_cast<int64_t>(0.95 * (nearest.size(0) - 1))}).item<double>());
}

void Generator::prepare_alignment() {
  torch::NoGradGuard g;
  std::lock_guard<std::mutex> lock(*calibration_m_);
  if (!align_.enabled || aligner_.captions().empty() || (align_.neighbours == 0 && !align_.report_nearest)) return;
  if (!caption_cond_.defined()) encode_captions();
  if (align_.neighbours > 0 && far_ < 0) calibrate_far();
}

void Generator::warm_up() {
  aligner_.lexicon().warm_up();
  model_.transformer->inference();
  model_.vq->decoder->inference();
  if (model_.transition_decoder) model_.transition_decoder->inference();
}

torch::Tensor Generator::blend_with_nearest(const torch::Tensor& cond, AlignedPrompt& a) {
  prepare_alignment();
  auto unit = torch::nn::functional::normalize(cond.unsqueeze(0), torch::nn::functional::NormalizeFuncOptions().dim(1));
  const int64_t k = std::min<int64_t>(align_.neighbours, caption_unit_.size(0));
  auto [sim, idx] = unit.matmul(caption_unit_.t()).squeeze(0).topk(std::max<int64_t>(k, 1));
  a.distance = 1 - sim[0].item<double>();
  auto idx_cpu = idx.to(torch::kCPU);
  for (int64_t i = 0; i < idx_cpu.size(0); ++i) a.nearest.push_back(aligner_.captions()[static_cast<size_t>(idx_cpu[i].item<int64_t>())]);
  // 0 up to the threshold, then linearly to the neighbours alone at twice the threshold.
  const double far = far_ * align_.far_scale;
  a.blend = k > 0 ? std::clamp((a.distance - far) / far, 0.0, 1.0) : 0.0;
  if (a.blend <= 0) return cond;
  return (1 - a.blend) * cond + a.blend * caption_cond_.index_select(0, idx).mean(0);
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
  const int64_t fixed = o.seconds != 0 ? seconds_to_frames(o.seconds, fps()) : 0;  // negative: clamped up
  std::vector<GeneratedMotion> out;
  for (size_t first = 0; first < texts.size(); first += static_cast<size_t>(o.batch)) {
    const size_t n = std::min(texts.size() - first, static_cast<size_t>(o.batch));
    std::vector<std::string> chunk(texts.begin() + first, texts.begin() + first + n);
    std::vector<int64_t> want(n), steps(n);
    for (size_t i = 0; i < n; ++i) {
      want[i] = frames.empty() ? fixed : frames[first + i];
      steps[i] = want[i] > 0 ? (want[i] + down - 1) / down : 0;
    }
    std::vector<AlignedPrompt> aligned;
    auto cond = condition(chunk, &aligned);
    SamplingParams p = o.sampling;
    p.seed = (o.sampling.seed + first) & kMaxSeed;  // each chunk its own stream, reproducible (32-bit seeds wrap)
    auto sampled = sample_tokens(model_.transformer, cond, steps, model_.config.max_steps, p);
    for (size_t i = 0; i < n; ++i) {
      auto tokens = sampled.tokens[i].narrow(1, 0, sampled.lengths[i]).contiguous();
      out.push_back({chunk[i], tokens, decode(tokens, o.layers, want[i]), aligned[i]});
    }
  }
  return out;
}

}  // namespace mogo
