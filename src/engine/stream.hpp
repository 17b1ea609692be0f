// Streaming generation: motion that leaves frame by frame as the causal transformer draws latent
// steps, for as long as the caller wants, under a text that may change at any step, optionally
// continuing a motion the caller brings.
//
// A frame is emitted once, final: output frame f of the RVQ-VAE decoder depends on the latent
// steps Decoder::latent_span(f) only, so f leaves as soon as the last of them exists. Each drawn
// step is decoded once, incrementally (DecoderStream keeps every convolution's state); the frames
// equal those of decoding the whole sequence. The key/value cache slides (keep_recent), so time
// and memory per step stay flat.
//
// A text change, when the model has a transition decoder (T2MModel::transition_decoder, trained
// to make changes smoothly): from the step before the change until that decoder's fade is over,
// frames move to its output (over kTransitionRiseFrames) and back (over kTransitionReturnFrames
// from kTransitionBackAfter frames after the change); elsewhere,
// and in models without one, every frame is the main decoder's.
#pragma once
#include <algorithm>
#include <optional>
#include <string>

#include <torch/torch.h>

#include "animation/foot_lock.hpp"
#include "engine/generator.hpp"
#include "engine/step_batcher.hpp"
#include "motion/features.hpp"
#include "vq/decoder_stream.hpp"

namespace mogo {

// A text that takes over a stream at a time (seconds from the stream's start, after any given motion).
struct TimelineEntry {
  double at = 0;
  std::string text;
};
using Timeline = std::vector<TimelineEntry>;

struct StreamOptions {
  SamplingParams sampling;
  int64_t max_frames = 0;     // > 0: frames generated (after any given motion), then the stream ends
  // The last text ends the stream when the model draws END (min_steps after the text took over),
  // or after the model's training length (max_steps) at most, as offline generation does.
  bool stop_at_end = false;
  int64_t window = 0;         // key/value cache window in latent steps (0: the model's max_steps)
  int64_t layers = 0;         // RVQ layers decoded (0: all)
  int64_t seam_frames = 8;    // continuation: frames over which the join to the given motion is blended
  // At a text change, the last steps the transformer keeps in view as it starts over under the new
  // text (-1: the whole window, only the condition replaced). 1 measured best with a model trained
  // on joined clips (docs/streaming.md): the new text takes over (top-3 0.94 of from scratch) and
  // the motion carries on from the step before.
  int64_t switch_context = 1;
  bool foot_lock = true;      // chunks' joints get contact-aware foot locking (FootLocker; features untouched)
  // Shared by concurrent streams (the server): their steps run in one pass of the transformer
  // (continuous batching), each stream's motion unchanged. Null: the stream runs its steps alone.
  StepBatcher* batcher = nullptr;

  // The one place the ranges live (the sampling's included): the first value out of range as
  // {field, message}, field named as in this struct; empty when all are fine. The C API and the
  // server report it for their own names; MotionStream throws it.
  SamplingParams::Problem check() const;
};

// Consecutive frames of a stream.
struct MotionChunk {
  int64_t first_frame = 0;    // index of the chunk's first frame in the stream
  torch::Tensor features;     // [n,D] raw HumanML3D features, 20 fps
  torch::Tensor joints;       // [n,J,3] metres, Y up
  int64_t frames() const { return features.defined() ? features.size(0) : 0; }
  MotionChunk slice(int64_t begin, int64_t n) const {  // frames [begin, begin+n) of this chunk
    return {first_frame + begin, features.narrow(0, begin, n), joints.narrow(0, begin, n)};
  }
};

class MotionStream {
 public:
  // prefix: a motion to continue, raw features [T,D]; its first floor(T/4)*4 frames are kept
  // (emitted first, unchanged) and tokenised as the transformer's context.
  MotionStream(Generator& generator, const std::string& text, const StreamOptions& options,
               const torch::Tensor& prefix = {});

  // Draws one latent step (unless the stream has ended) and returns the frames that became final:
  // none while the decoder waits for look-ahead, every remaining frame once the stream ends.
  MotionChunk step();
  // The new text conditions every step drawn from now on (a live change: any timeline entries
  // still to come are dropped).
  void set_text(const std::string& text);
  // Texts that take over at their times (each at the latent step nearest it); entry 0 is the text
  // the stream was opened with. END is not drawn before the last entry has taken over. No
  // unbounded stream plays a timeline past kMaxSeconds.
  void follow(const Timeline& timeline);
  // Text changes so far (set_text or timeline) and the first step drawn under the current text.
  int64_t text_changes() const { return text_changes_; }
  int64_t text_from_step() const { return text_from_step_; }
  void set_stop_at_end(bool stop) { options_.stop_at_end = stop; }
  // Ends the stream: no more steps are drawn; the next step() returns the remaining frames.
  void finish() { ended_ = true; }

  bool done() const { return ended_ && emitted_ == end_frame(); }
  const std::string& text() const { return text_; }
  // How the current text was aligned (Generator::alignment()): what the text encoder got.
  const AlignedPrompt& alignment() const { return alignment_.front(); }
  int64_t steps() const { return total_steps_; }          // latent steps so far, the prefix's included
  int64_t frames_emitted() const { return emitted_; }
  int64_t prefix_frames() const { return prefix_frames_; }
  int64_t cache_bytes() const { return sampler_.cache_bytes(); }
  int64_t cache_length() const { return sampler_.cache_length(); }
  // Latent steps drawn whose frames the decoder still holds back (its look-ahead).
  int64_t held_steps() const { return total_steps_ - decoder_.frames_out() / downsample(); }
  int64_t downsample() const { return gen_.model().vq_config.downsample(); }
  double fps() const { return gen_.fps(); }
  bool fixed_length() const { return options_.max_frames > 0; }

 private:
  int64_t end_frame() const;
  int64_t ready_frames() const { return std::min(ready_first_ + ready_.size(0), end_frame()); }  // [0, ready) final
  void draw();
  void change_text(const std::string& text);
  bool scripted() const { return next_entry_ < script_.size(); }  // timeline entries still to come
  void push_steps(const torch::Tensor& tokens);        // [Q,n] through the decoder
  void remember(const torch::Tensor& tokens);          // [Q,n] drawn or given: the last switch_context kept
  void take_decoded(const torch::Tensor& normalised);  // [1,m,D] frames from the decoder
  void blend_seam(torch::Tensor& raw, int64_t first);
  void begin_transition(int64_t change_frame);
  // normalised [1,m,D] frames of the main decoder -> the same frames blended with the transition
  // decoder's output (from pushing `latents` [1,C,n] to it, or finishing it when undefined).
  torch::Tensor blend_transition(torch::Tensor frames, const torch::Tensor& latents);
  double transition_weight(int64_t frame) const;
  void keep_history(const torch::Tensor& latents);  // [1,C,n]
  torch::Tensor history() const;                    // [1,C,k] the kept steps, oldest first

  // The transition decoder of the changes in progress, started from the last steps (history_).
  struct Transition {
    DecoderStream decoder;
    int64_t first_frame = 0;       // its frames_out() counts from here
    // Each change it serves: the frames where the blend starts rising to it, and falling back.
    struct Change {
      int64_t rise_from, fall_from;
    };
    std::vector<Change> changes;
  };
  // Over the step before the change (whose frames are not out yet): 2 frames measured a jerkier
  // hand-over (eval-stream AUJ 1,532 against 1,450, docs/streaming.md).
  static constexpr int64_t kTransitionRiseFrames = 4;
  // Back early and slowly: the transition decoder (fine-tuned longer) has less of real motion's
  // jerk than the main one; its smooth start of the change is what is wanted. Measured with
  // eval-stream (docs/streaming.md): back from 4 frames after over 16, AUJ 1,111; from 8 over 12,
  // 1,201; from the fade's end (20) over 8, 1,450.
  static constexpr int64_t kTransitionBackAfter = 4;
  static constexpr int64_t kTransitionReturnFrames = 16;

  Generator& gen_;
  StreamOptions options_;
  std::string text_;
  std::vector<AlignedPrompt> alignment_;  // of text_ (one element)
  StepSampler sampler_;
  torch::Tensor recent_;      // [Q,k] the last switch_context steps, the context at a text change
  DecoderStream decoder_;
  torch::Tensor ready_;       // [n,D] raw final frames ready_first_ .. ready_first_+n-1, not yet emitted
  int64_t ready_first_ = 0;
  int64_t total_steps_ = 0;
  int64_t steps_since_text_ = 0;
  int64_t text_changes_ = 0, text_from_step_ = 0;
  int64_t start_steps_ = 0;   // the given motion's steps: timeline times count from here
  Timeline script_;
  size_t next_entry_ = 0;
  int64_t emitted_ = 0;
  bool ended_ = false;
  bool decoder_finished_ = false;
  torch::Tensor prefix_;      // [P,D] raw features of the given motion (P = prefix_frames_)
  int64_t prefix_frames_ = 0;
  torch::Tensor seam_delta_;  // [D] given - decoded at the last given frame
  torch::Tensor seam_slope_;  // [D] the same for the change over the last given frame
  RootState root_;
  std::optional<FootLocker> feet_;
  std::optional<Transition> transition_;
  // The latents of the last steps pushed, to start a transition decoder from: a ring of
  // history_steps_ columns (the transition decoder's reach into the past; 0: no such decoder),
  // written in place every step.
  torch::Tensor history_;       // [1,C,history_steps_]
  int64_t history_steps_ = 0, history_count_ = 0, history_next_ = 0;
};

}  // namespace mogo
