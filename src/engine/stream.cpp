#include "engine/stream.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "motion/feature_layout.hpp"

namespace mogo {

MotionStream::MotionStream(Generator& generator, const std::string& text, const StreamOptions& options,
                           const torch::Tensor& prefix)
    : gen_(generator), options_(options), text_(text),
      sampler_(generator.model().transformer, generator.condition({text}, &alignment_), options.sampling) {
  require(options_.max_frames >= 0, "stream: max_frames must be >= 0");
  require(options_.seam_frames >= 0, "stream: seam_frames must be >= 0");
  require(options_.window >= 0, "--window must be >= 0 (0: the model's training length), got " + std::to_string(options_.window));
  require(options_.switch_context >= -1, "--switch-context must be >= -1 (-1: all), got " + std::to_string(options_.switch_context));
  if (options_.window <= 0) options_.window = gen_.model().config.max_steps;
  const int64_t Q = gen_.model().config.num_quantizers, down = gen_.model().vq_config.downsample();
  tokens_ = torch::zeros({Q, 0}, torch::kLong);
  if (!prefix.defined()) return;
  const int64_t P = prefix.size(0) / down * down;
  require(P >= down, "the motion to continue needs at least " + std::to_string(down) + " frames (" +
                         std::to_string(down / kFps) + " s) before the continuation point");
  prefix_ = prefix.narrow(0, 0, P).to(torch::kCPU, torch::kFloat).contiguous();
  prefix_frames_ = P;
  tokens_ = gen_.encode(prefix_);  // [Q,P/4]
  total_steps_ = tokens_.size(1);
  // The transformer sees at most a window of the given steps, as it would have had it drawn them.
  const int64_t context = std::min(total_steps_, options_.window);
  sampler_.feed(tokens_.narrow(1, total_steps_ - context, context).unsqueeze(0));
}

void MotionStream::set_text(const std::string& text) {
  std::vector<AlignedPrompt> aligned;
  sampler_.set_condition(gen_.condition({text}, &aligned));
  alignment_ = std::move(aligned);
  // Fewer steps of the old action in view let the new text take over sooner; the decoder still
  // joins the motion across the change (its window reaches back past it).
  if (options_.switch_context >= 0 && sampler_.cache().length() > 0) sampler_.keep_recent(options_.switch_context);
  text_ = text;
  steps_since_text_ = 0;
}

int64_t MotionStream::end_frame() const {
  const int64_t all = total_steps_ * gen_.model().vq_config.downsample();
  return options_.max_frames > 0 ? std::min(all, prefix_frames_ + options_.max_frames) : all;
}

int64_t MotionStream::ready_frames() const {
  if (ended_) return end_frame();
  const auto& decoder = gen_.model().vq->decoder;
  const int64_t have = total_steps_ * gen_.model().vq_config.downsample();
  int64_t r = std::max(emitted_, prefix_frames_);
  while (r < have && decoder->latent_span(r).last < total_steps_) ++r;
  return r;
}

void MotionStream::draw() {
  if (ended_) return;
  const bool end_allowed = options_.stop_at_end && steps_since_text_ >= options_.sampling.min_steps;
  auto drawn = sampler_.next({end_allowed});
  if (drawn.end[0]) {
    ended_ = true;
    return;
  }
  tokens_ = torch::cat({tokens_, drawn.tokens.t()}, 1);
  ++total_steps_;
  ++steps_since_text_;
  if (options_.max_frames > 0 && end_frame() - prefix_frames_ >= options_.max_frames) {
    ended_ = true;  // as offline fixed-length generation: the last step is never fed back
    return;
  }
  sampler_.feed(drawn.tokens.unsqueeze(2));
  sampler_.keep_recent(options_.window);
}

torch::Tensor MotionStream::decode_frames(int64_t f0, int64_t f1) {
  const auto& decoder = gen_.model().vq->decoder;
  const int64_t down = gen_.model().vq_config.downsample();
  const int64_t a = std::max<int64_t>(0, decoder->latent_span(f0).first);
  const int64_t b = std::min(total_steps_ - 1, decoder->latent_span(f1 - 1).last);
  TORCH_CHECK(a >= tok_first_ && b < tok_first_ + tokens_.size(1), "stream: latent window was forgotten");
  auto x = gen_.decode(tokens_.narrow(1, a - tok_first_, b - a + 1), options_.layers);  // frames 4a .. 4(b+1)-1
  return x.narrow(0, f0 - a * down, f1 - f0);
}

torch::Tensor MotionStream::frames(int64_t f0, int64_t f1) {
  std::vector<torch::Tensor> parts;
  const int64_t P = prefix_frames_;
  if (f0 < P) parts.push_back(prefix_.narrow(0, f0, std::min(f1, P) - f0));
  const int64_t g0 = std::max(f0, P);
  if (g0 < f1) {
    torch::Tensor gen;
    if (P > 0 && !seam_delta_.defined()) {
      // The join: the decoder's version of the last given frame differs from it by the tokenizer's
      // error; that difference fades out over the first seam_frames generated frames.
      auto with_last = decode_frames(P - 1, f1);
      seam_delta_ = prefix_[P - 1] - with_last[0];
      auto contacts = FeatureLayout(gen_.skeleton().num_joints()).foot_contacts();
      seam_delta_.narrow(0, contacts.begin, contacts.size).zero_();
      gen = with_last.narrow(0, 1, f1 - P);
    } else {
      gen = decode_frames(g0, f1);
    }
    if (seam_delta_.defined()) {
      const int64_t K = options_.seam_frames;
      for (int64_t f = g0; f < std::min(f1, P + K); ++f)
        gen[f - g0] += seam_delta_ * (1.0 - static_cast<double>(f - P + 1) / static_cast<double>(K + 1));
    }
    parts.push_back(gen);
  }
  return torch::cat(parts, 0);
}

void MotionStream::forget_old_tokens() {
  if (emitted_ == 0) return;
  // Frames from emitted_ - 1 on may still be decoded (the seam reads the last given frame).
  const int64_t keep_from = std::max<int64_t>(0, gen_.model().vq->decoder->latent_span(emitted_ - 1).first);
  const int64_t drop = std::min(keep_from - tok_first_, tokens_.size(1));
  if (drop <= 0) return;
  tokens_ = tokens_.narrow(1, drop, tokens_.size(1) - drop);
  tok_first_ += drop;
}

MotionChunk MotionStream::step() {
  torch::NoGradGuard no_grad;
  draw();
  MotionChunk chunk;
  chunk.first_frame = emitted_;
  const int64_t r = ready_frames();
  if (r <= emitted_) return chunk;
  chunk.features = frames(emitted_, r);
  chunk.joints = recover_from_ric(chunk.features, gen_.skeleton().num_joints(), root_);
  root_ = root_state_after(chunk.features, root_);
  emitted_ = r;
  forget_old_tokens();
  return chunk;
}

}  // namespace mogo
