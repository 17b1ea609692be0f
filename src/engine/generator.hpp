// The C++ facade every front end calls (CLI, evaluation, later the C API and the server): a loaded
// text-to-motion model that turns texts into motion, batched.
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "engine/prompt_align.hpp"
#include "model/model_file.hpp"
#include "transformer/sampler.hpp"

namespace mogo {

constexpr double kMinSeconds = 0.2;          // 4 frames: one latent step
constexpr double kMaxSeconds = 120.0;        // longest single generation (positions are rotary: no hard cap)

struct GenerateOptions {
  double seconds = 0;        // > 0: fixed length; 0: until the END token (at most the training length)
  SamplingParams sampling;
  int64_t layers = 0;        // RVQ layers decoded: 0 = all; 1 = base layer only (ablation)
  int64_t batch = 64;        // texts per forward pass
};

struct GeneratedMotion {
  std::string text;
  torch::Tensor tokens;    // [Q,S] int64
  torch::Tensor features;  // [T,D] float32, raw (denormalised) HumanML3D features, 20 fps
  AlignedPrompt alignment; // what the text encoder got instead of `text`, and why
};

class Generator {
 public:
  Generator(T2MModel model, torch::Device device);
  static Generator load(const std::string& path, torch::Device device = torch::kCPU);

  // One motion per text. frames[i] > 0 fixes text i's length in frames (else opts.seconds, else
  // until END). Texts must not be empty or blank (Error); over-long texts are cut with a warning.
  std::vector<GeneratedMotion> generate(const std::vector<std::string>& texts, const GenerateOptions& opts,
                                        const std::vector<int64_t>& frames = {});

  // Text conditions [B,d] of the transformer (texts checked as for generate), each text aligned
  // first (alignment()); `aligned` (optional) receives the reports.
  torch::Tensor condition(const std::vector<std::string>& texts, std::vector<AlignedPrompt>* aligned = nullptr);
  // Prompt alignment (default: on, built in); applies to every later condition().
  void set_alignment(const AlignOptions& o) { align_ = o; }
  // Computes now what alignment will need (the captions' conditions, the blending threshold), so
  // that the first prompt does not wait for it (a server calls it at start). Thread-safe.
  void prepare_alignment();
  // Builds now what the first prompt would otherwise wait for (~0.1 s): the word map's WordNet map and
  // the packed CPU inference paths of the transformer and the decoder. Servers call it at start.
  void warm_up();
  const AlignOptions& alignment() const { return align_; }
  const PromptAligner& aligner() const { return aligner_; }
  // Normalised features [T,D] of a raw motion -> its tokens [Q,ceil(T/4)].
  torch::Tensor encode(const torch::Tensor& features);

  // Joint positions [T,J,3] (metres, Y up) of raw features [T,D].
  torch::Tensor joints(const torch::Tensor& features) const;
  // Features of tokens [Q,S] decoded with the first `layers` RVQ layers, cropped to `frames`.
  torch::Tensor decode(const torch::Tensor& tokens, int64_t layers = 0, int64_t frames = 0);

  const T2MModel& model() const { return model_; }
  T2MModel& model() { return model_; }
  const Skeleton& skeleton() const { return skeleton_; }
  double fps() const { return model_.fps; }  // the model's frame rate (its training data's)
  torch::Device device() const { return device_; }

 private:
  // The nearest-caption part of alignment: cond [d] -> cond with the nearest training captions'
  // conditions blended in when it is farther from them than paraphrases of them are.
  torch::Tensor blend_with_nearest(const torch::Tensor& cond, AlignedPrompt& a);
  void encode_captions();
  void calibrate_far();

  T2MModel model_;
  Skeleton skeleton_;
  torch::Device device_;
  AlignOptions align_;
  PromptAligner aligner_;
  torch::Tensor caption_cond_, caption_unit_;  // [N,d] raw and unit-length conditions of the captions
  double far_ = -1;                            // distance beyond which neighbours are blended in
  std::shared_ptr<std::mutex> calibration_m_ = std::make_shared<std::mutex>();  // sessions share a generator
};

// The model used when none is named: $MOGO_MODEL, else the installed share/mogo/models/t2m-tiny.pt,
// else the one in the source tree.
std::string default_model_path();

// Clamps a requested duration to [kMinSeconds, kMaxSeconds] with a warning; returns frames at fps.
int64_t seconds_to_frames(double seconds, double fps);
// Frames in `seconds` of motion at fps (a stream's length, a time in a motion), at least 1; no clamp.
int64_t frames_in(double seconds, double fps);

}  // namespace mogo
