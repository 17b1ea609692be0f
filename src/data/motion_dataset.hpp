// A prepared dataset (HumanML3D layout) in memory: normalised features of one split, captions,
// and random training windows.
#pragma once
#include <random>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "data/text_file.hpp"
#include "motion/feature_layout.hpp"
#include "motion/skeleton.hpp"

namespace mogo {

struct MotionClip {
  std::string id;
  torch::Tensor features;  // [T,D] normalised, float32
  std::vector<Caption> captions;
};

class MotionDataset {
 public:
  // Loads <dir>/<split>.txt clips with at least min_frames frames; Mean/Std from <dir>.
  MotionDataset(const std::string& dir, const std::string& split, int64_t min_frames = 1, int64_t limit = 0);

  const std::vector<MotionClip>& clips() const { return clips_; }
  const torch::Tensor& mean() const { return mean_; }  // [D]
  const torch::Tensor& std() const { return std_; }    // [D]
  int64_t dim() const { return mean_.size(0); }
  int64_t total_frames() const;
  const std::string& dir() const { return dir_; }
  // Frames per second: prepare_report.json's "fps" (HumanML3D's 20 when absent, as in HumanML3D itself).
  double fps() const { return fps_; }

  // Re-expresses every clip in other statistics (a model's own Mean/Std) and keeps those.
  void renormalise(const torch::Tensor& mean, const torch::Tensor& std);

  torch::Tensor normalise(const torch::Tensor& f) const { return (f - mean_) / std_; }
  torch::Tensor denormalise(const torch::Tensor& f) const { return f * std_.to(f.device()) + mean_.to(f.device()); }

  // A batch of `batch` random windows of `window` frames: [B,window,D]. Clips are picked with
  // probability proportional to their number of windows; the result depends only on `rng`.
  torch::Tensor sample_windows(int64_t batch, int64_t window, std::mt19937_64& rng) const;

 private:
  std::string dir_;
  std::vector<MotionClip> clips_;
  torch::Tensor mean_, std_;
  double fps_ = kHumanML3DFps;
};

}  // namespace mogo
