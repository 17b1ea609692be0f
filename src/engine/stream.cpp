#include "engine/stream.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "engine/timeline.hpp"
#include "motion/feature_layout.hpp"
#include "motion/transition.hpp"
#include "vq/transition_windows.hpp"

namespace mogo {

SamplingParams::Problem StreamOptions::check() const {
  if (auto p = sampling.check(); !p.field.empty()) return p;
  if (max_frames < 0) return {"max_frames", "must be >= 0 (0: no fixed length), got " + std::to_string(max_frames)};
  if (window < 0) return {"window", "must be >= 0 (0: the model's training length), got " + std::to_string(window)};
  if (layers < 0) return {"layers", "must be >= 0 (0: all), got " + std::to_string(layers)};
  if (seam_frames < 0) return {"seam_frames", "must be >= 0, got " + std::to_string(seam_frames)};
  if (switch_context < -1) return {"switch_context", "must be >= -1 (-1: all), got " + std::to_string(switch_context)};
  return {};
}

MotionStream::MotionStream(Generator& generator, const std::string& text, const StreamOptions& options,
                           const torch::Tensor& prefix)
    : gen_(generator), options_(options), text_(text),
      sampler_(generator.model().transformer, generator.condition({text}, &alignment_), options.sampling),
      decoder_(generator.model().vq->decoder, options.sampling.fast_path) {
  if (const auto p = options_.check(); !p.field.empty()) {
    std::string flag = "--" + p.field;
    std::replace(flag.begin(), flag.end(), '_', '-');
    throw Error(flag + " " + p.message);
  }
  if (options_.window <= 0) options_.window = gen_.model().config.max_steps;
  if (auto* b = options_.batcher; b && sampler_.fast())
    sampler_.set_fast_forward([b](const HCTInference& inf, const std::vector<HCTInference::Row>& rows) { return b->run(inf, rows); });
  if (auto* b = options_.batcher; b && decoder_.fast())
    decoder_.set_fast_push([b](const DecoderInference& d, std::vector<DecoderInference::Job*>& jobs) { b->decode(d, jobs); });
  if (options_.foot_lock) feet_.emplace(gen_.skeleton());
  if (const auto& t = gen_.model().transition_decoder) {
    // A decoder started this many steps back gives the frames of the last one exactly.
    const int64_t far = 1000;
    history_steps_ = far - t->latent_span(far * downsample()).first + 1;
  }
  ready_ = torch::zeros({0, gen_.model().vq_config.input_dim});
  recent_ = torch::zeros({gen_.model().config.num_quantizers, 0}, torch::kLong);
  if (!prefix.defined()) return;
  const int64_t down = downsample();
  const int64_t P = prefix.size(0) / down * down;
  require(P >= down, "the motion to continue needs at least " + std::to_string(down) + " frames (" +
                         std::to_string(static_cast<double>(down) / gen_.fps()) + " s) before the continuation point");
  torch::NoGradGuard no_grad;
  prefix_ = prefix.narrow(0, 0, P).to(torch::kCPU, torch::kFloat).contiguous();
  prefix_frames_ = P;
  ready_first_ = P;
  auto tokens = gen_.encode(prefix_);  // [Q,P/4]
  total_steps_ = tokens.size(1);
  start_steps_ = total_steps_;
  text_from_step_ = total_steps_;
  // The transformer sees at most a window of the given steps, as it would have had it drawn them.
  const int64_t context = std::min(total_steps_, options_.window);
  sampler_.feed(tokens.narrow(1, total_steps_ - context, context).unsqueeze(0));
  remember(tokens);
  push_steps(tokens);  // the decoder's state, and its version of the last given frame (the seam)
}

void MotionStream::set_text(const std::string& text) {
  next_entry_ = script_.size();
  change_text(text);
}

void MotionStream::follow(const Timeline& timeline) {
  script_ = timeline;
  next_entry_ = 1;
}

void MotionStream::change_text(const std::string& text) {
  std::vector<AlignedPrompt> aligned;
  auto cond = gen_.condition({text}, &aligned);
  alignment_ = std::move(aligned);
  // The transformer starts over under the new text with the last switch_context steps in view
  // (the model is trained on such joins: train-t2m --join-share): few steps of the old action
  // let the new text take over, and they carry the motion on; the decoder joins the frames. -1:
  // the whole window stays in view, only the cached condition is replaced.
  if (options_.switch_context < 0) {
    sampler_.set_condition(cond);
  } else {
    const int64_t k = std::min(options_.switch_context, recent_.size(1));
    sampler_.restart(cond, recent_.narrow(1, recent_.size(1) - k, k).unsqueeze(0));
  }
  text_ = text;
  steps_since_text_ = 0;
  ++text_changes_;
  text_from_step_ = total_steps_;
  if (history_steps_ > 0) begin_transition(total_steps_ * downsample());
}

void MotionStream::begin_transition(int64_t change_frame) {
  if (history_count_ == 0) return;  // nothing drawn yet: no change to smooth
  if (!transition_) {
    // Started history_count_ steps back, it has the state it would have had all along; its
    // frames come out in step with the main decoder's (the same layout).
    const int64_t first = (total_steps_ - history_count_) * downsample();
    transition_.emplace(Transition{DecoderStream(gen_.model().transition_decoder, options_.sampling.fast_path), first, {}});
    transition_->decoder.push(history());
    require(transition_->first_frame + transition_->decoder.frames_out() == decoder_.frames_out(),
            "transition decoder out of step with the main decoder");
  }
  // Its fade starts at change_frame + fade.first (one step early at most: the look-ahead), where
  // the main decoder's frames are not out yet; the blend rises from there, and returns to the main
  // decoder from kTransitionBackAfter frames after the change on.
  const auto fade = transition_fade({kJoinFadeFrames, gen_.model().transition_frames, downsample()});
  transition_->changes.push_back({std::max(change_frame + fade.first, decoder_.frames_out()), change_frame + kTransitionBackAfter});
}

double MotionStream::transition_weight(int64_t frame) const {
  // smoothstep from 0 to 1 over n frames from frame a (strictly inside, as fade_weights)
  auto rise = [frame](int64_t a, int64_t n) {
    const double x = std::clamp(static_cast<double>(frame - a + 1) / static_cast<double>(n + 1), 0.0, 1.0);
    return x * x * (3 - 2 * x);
  };
  double w = 0;
  for (const auto& c : transition_->changes)
    w = std::max(w, std::min(rise(c.rise_from, kTransitionRiseFrames), 1 - rise(c.fall_from, kTransitionReturnFrames)));
  return w;
}

torch::Tensor MotionStream::blend_transition(torch::Tensor frames, const torch::Tensor& latents) {
  if (!transition_) return frames;
  auto& t = transition_->decoder;
  auto other = latents.defined() ? t.push(latents) : t.finish();
  const int64_t m = frames.size(1), first = decoder_.frames_out() - m;
  require(other.size(1) == m && transition_->first_frame + t.frames_out() == decoder_.frames_out(),
          "transition decoder out of step with the main decoder");
  if (m > 0) {
    auto w = torch::empty({m}, torch::kFloat);
    for (int64_t i = 0; i < m; ++i) w[i] = transition_weight(first + i);
    w = w.to(frames.device()).view({1, m, 1});
    frames = frames * (1 - w) + other * w;
  }
  // Done once the last change's return is out.
  if (decoder_.frames_out() >= transition_->changes.back().fall_from + kTransitionReturnFrames) transition_.reset();
  return frames;
}

int64_t MotionStream::end_frame() const {
  const int64_t all = total_steps_ * gen_.model().vq_config.downsample();
  return options_.max_frames > 0 ? std::min(all, prefix_frames_ + options_.max_frames) : all;
}

void MotionStream::draw() {
  if (ended_) return;
  const int64_t drawn_here = total_steps_ - start_steps_, down = downsample();
  if (scripted() && drawn_here >= seconds_to_steps(script_[next_entry_].at, down, fps())) change_text(script_[next_entry_++].text);
  // The stream-end rules: the last text ends at END or after the training length; no unbounded
  // stream follows a timeline past the longest motion.
  if (!scripted() && options_.stop_at_end && steps_since_text_ >= gen_.model().config.max_steps) ended_ = true;
  if (!fixed_length() && !script_.empty() && drawn_here >= seconds_to_steps(kMaxSeconds, down, fps())) ended_ = true;
  if (ended_) return;
  const bool end_allowed = options_.stop_at_end && !scripted() && steps_since_text_ >= options_.sampling.min_steps;
  auto drawn = sampler_.next({end_allowed});
  if (drawn.end[0]) {
    ended_ = true;
    return;
  }
  push_steps(drawn.tokens.t());
  ++total_steps_;
  ++steps_since_text_;
  if (options_.max_frames > 0 && end_frame() - prefix_frames_ >= options_.max_frames) {
    ended_ = true;  // as offline fixed-length generation: the last step is never fed back
    return;
  }
  sampler_.feed(drawn.tokens.unsqueeze(2));
  sampler_.keep_recent(options_.window);
  remember(drawn.tokens.t());
}

void MotionStream::remember(const torch::Tensor& tokens) {
  const int64_t keep = std::max<int64_t>(options_.switch_context, 0);
  recent_ = torch::cat({recent_, tokens.to(torch::kCPU)}, 1);
  if (recent_.size(1) > keep) recent_ = recent_.narrow(1, recent_.size(1) - keep, keep).clone();
}

void MotionStream::push_steps(const torch::Tensor& tokens) {
  auto latents = gen_.model().vq->quantizer->decode(tokens.unsqueeze(0).to(gen_.device()), options_.layers);  // [1,C,n]
  take_decoded(blend_transition(decoder_.push(latents), latents));
  keep_history(latents);
}

void MotionStream::keep_history(const torch::Tensor& latents) {
  if (history_steps_ == 0) return;
  if (!history_.defined()) history_ = torch::zeros({1, latents.size(1), history_steps_}, latents.options());
  for (int64_t i = 0; i < latents.size(2); ++i) {
    history_.select(2, history_next_).copy_(latents.select(2, i));
    history_next_ = (history_next_ + 1) % history_steps_;
    history_count_ = std::min(history_count_ + 1, history_steps_);
  }
}

torch::Tensor MotionStream::history() const {
  if (history_count_ < history_steps_) return history_.narrow(2, 0, history_count_);  // not wrapped yet
  return torch::cat({history_.narrow(2, history_next_, history_steps_ - history_next_), history_.narrow(2, 0, history_next_)}, 2);
}

void MotionStream::take_decoded(const torch::Tensor& normalised) {
  const int64_t m = normalised.size(1), first = decoder_.frames_out() - m;  // decoded frames [first, first+m)
  if (m == 0) return;
  auto raw = gen_.model().denormalise(normalised[0]).to(torch::kCPU, torch::kFloat);
  const int64_t P = prefix_frames_;
  if (P > 0 && first <= P - 2 && P - 1 < first + m) {
    // The join: the decoder's version of the last given frames differs from them by the
    // tokenizer's error, in value and in rate of change; both fade out over the first seam_frames
    // generated frames (a cubic Hermite offset, so the joined motion keeps its velocity: no kink).
    seam_delta_ = prefix_[P - 1] - raw[P - 1 - first];
    seam_slope_ = (prefix_[P - 1] - prefix_[P - 2]) - (raw[P - 1 - first] - raw[P - 2 - first]);
    auto contacts = FeatureLayout(gen_.skeleton().num_joints()).foot_contacts();
    seam_delta_.narrow(0, contacts.begin, contacts.size).zero_();
    seam_slope_.narrow(0, contacts.begin, contacts.size).zero_();
  }
  const int64_t skip = std::clamp<int64_t>(P - first, 0, m);  // the given frames are emitted as given
  if (skip == m) return;
  raw = raw.narrow(0, skip, m - skip);
  blend_seam(raw, first + skip);
  ready_ = torch::cat({ready_, raw}, 0);
}

void MotionStream::blend_seam(torch::Tensor& raw, int64_t first) {
  if (!seam_delta_.defined()) return;
  // The offset's value and slope (per frame) at the last given frame, gone, flat, K frames later.
  const int64_t P = prefix_frames_, K = options_.seam_frames;
  for (int64_t f = first; f < std::min(first + raw.size(0), P + K); ++f) {
    const auto h = hermite_offset(f - P, K);
    raw[f - first] += seam_delta_ * h.value + seam_slope_ * h.rate;
  }
}

MotionChunk MotionStream::step() {
  torch::NoGradGuard no_grad;
  draw();
  if (ended_ && !decoder_finished_) {
    take_decoded(blend_transition(decoder_.finish(), {}));  // the frames held back for look-ahead
    decoder_finished_ = true;
  }
  MotionChunk chunk;
  chunk.first_frame = emitted_;
  const int64_t r = ready_frames();
  if (r <= emitted_) return chunk;
  std::vector<torch::Tensor> parts;
  if (emitted_ < prefix_frames_) parts.push_back(prefix_.narrow(0, emitted_, prefix_frames_ - emitted_));
  const int64_t g0 = std::max(emitted_, prefix_frames_);
  if (g0 < r) parts.push_back(ready_.narrow(0, g0 - ready_first_, r - g0));
  chunk.features = torch::cat(parts, 0);
  chunk.joints = recover_from_ric(chunk.features, gen_.skeleton().num_joints(), root_);
  if (feet_) {
    const auto c = FeatureLayout(gen_.skeleton().num_joints()).foot_contacts();
    chunk.joints = feet_->apply(chunk.joints, chunk.features.narrow(1, c.begin, c.size));
  }
  root_ = root_state_after(chunk.features, root_);
  emitted_ = r;
  ready_ = ready_.narrow(0, r - ready_first_, ready_.size(0) - (r - ready_first_)).clone();
  ready_first_ = r;
  return chunk;
}

}  // namespace mogo
