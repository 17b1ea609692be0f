// What importing a third-party rig needs beyond parsing: its units (read off the skeleton's
// height when the file does not say), and zero-length bones (CMU's LHipJoint, lowerback and
// collars sit exactly on their parents: a direction cannot be read off a zero vector).
#pragma once
#include <string>

#include <torch/torch.h>

#include "motion/skeleton.hpp"

namespace mogo::rig {

// Metres per file unit for a unit name: m, cm, mm, inch, cmu (the CMU database's 0.056444 m), or
// a number. Throws Error naming `what` otherwise.
double unit_scale(const std::string& unit, const std::string& what);

// The standing height of the person the joints [T,J,3] describe, in their units, from the legs:
// thigh (hip-knee) and shank (knee-ankle) are 0.245 and 0.246 of stature (Drillis & Contini's
// segment proportions), so H = (thigh + shank) / 0.491, both legs averaged, lengths as medians over
// time: any pose gives the same answer, and no head-top joint is needed.
double stature(const torch::Tensor& joints, const Skeleton& skel);

// The unit (of m, cm, mm, inch, cmu) that makes the stature closest, in ratio, to an adult's
// 1.7 m. The candidates differ by factors of 2.2 or more, so any adult (1.4-2.1 m) is recognised.
constexpr double kReferenceStature = 1.7;
struct DetectedUnit {
  std::string name;
  double metres_per_unit;
};
DetectedUnit detect_unit(const torch::Tensor& joints, const Skeleton& skel);

// Joints [T,J,3] with every zero-length bone (shorter than 0.1% of the stature) given a length: a run
// of coinciding joints along a chain is spread evenly along the segment from the last distinct
// joint to the next distinct one, so each bone takes its direction from the next real segment.
// Returns how many joints were moved in `moved` (may be null).
torch::Tensor spread_zero_length_bones(const torch::Tensor& joints, const Skeleton& skel, int64_t* moved = nullptr);

}  // namespace mogo::rig
