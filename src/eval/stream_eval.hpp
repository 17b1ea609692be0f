// How well streaming joins motion: prompt changes mid-stream and continuations of given clips,
// measured on the test split (docs/streaming.md).
//   - seam smoothness: mean joint speed, acceleration and jerk (finite differences at 20 fps, mean over
//     joints) in a window around the join, against the same window statistic inside ordinary
//     generated motion (and, for continuations, inside the real clip at the same frame);
//   - the segment after a prompt change as a motion set for the protocol (R-precision against the
//     new text), beside the same texts generated from scratch.
#pragma once
#include <nlohmann/json.hpp>

#include "data/motion_dataset.hpp"
#include "engine/generator.hpp"
#include "engine/stream.hpp"
#include "eval/protocol.hpp"

namespace mogo {

struct SeamOptions {
  SamplingParams sampling;
  double lead_seconds = 3.0;      // prompt change: seconds under the first text before the switch
  double continue_at = 2.0;       // continuation: seconds of the real clip given
  double window_seconds = 0.5;    // the seam window is the join +- this
  int64_t max_frames = 196;       // segment lengths: the test clips' lengths, capped here
  int64_t switch_context = StreamOptions{}.switch_context;
};

// Mean over the window of per-frame joint speed (m/s), acceleration (m/s^2) and jerk (m/s^3);
// peak = the window's maximum.
struct Smoothness {
  double speed = 0, accel = 0, jerk = 0, accel_peak = 0, jerk_peak = 0;
  int64_t n = 0;  // windows averaged
  void add(const Smoothness& s);
  Smoothness mean() const;
};

// joints [T,J,3] at 20 fps; the window [center - w, center + w] (clamped inside the motion).
Smoothness window_smoothness(const torch::Tensor& joints, int64_t center, int64_t w, double fps);

// FlowMDM's seam measures (Barquero et al. 2024). Per frame: the third finite difference of the
// joint positions (x fps^3), |.| summed over x, y, z, max over joints; averaged over samples into
// a curve over the frames around the join. PJ = the curve's peak; AUJ = sum over its frames of
// |curve - real level| (m/s^3 x frames), the real level being the mean per-frame jerk of the real
// clips at 20 fps.
torch::Tensor frame_jerk(const torch::Tensor& joints, double fps);  // [T,J,3] -> [T] (0 where undefined)

struct JerkCurve {
  int64_t half = 20;        // frames each side of the join
  std::vector<double> sum;  // 2 half + 1 entries
  int64_t n = 0;
  void add(const torch::Tensor& jerk, int64_t center);  // jerk: frame_jerk of one motion
  std::vector<double> mean() const;
  double peak() const;
  double area(double real_level) const;
};

struct SeamReport {
  MotionSet switched;            // after the switch, under the new text (the test clip's caption)
  MotionSet scratch;             // the same texts and lengths generated from scratch
  Smoothness switch_seam, continue_seam, ordinary, real_at_join;
  JerkCurve switch_jerk, continue_jerk, ordinary_jerk, real_jerk;
  double real_jerk_level = 0;    // mean per-frame jerk of the real clips
  // Transition FID: evaluator embeddings of the 2 s around each change (and, for reference, of
  // 2 s in the middle of motion generated from scratch) against 2-s windows of the real clips.
  std::vector<torch::Tensor> switch_windows, scratch_windows, real_windows;  // raw features [40,D]
  double transition_fid = -1, scratch_window_fid = -1;
  int64_t pairs = 0, continuations = 0;
  // Computes the two FIDs from the windows.
  void score_windows(const EvaluatorBundle& evaluator, torch::Device device);
  nlohmann::json to_json() const;
  std::string table() const;
};

SeamReport measure_seams(Generator& g, const MotionDataset& test, const SeamOptions& o);

}  // namespace mogo
