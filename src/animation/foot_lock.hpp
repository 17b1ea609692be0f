// Contact-aware foot locking: a foot whose contact label is on stays where it touched down, the
// leg following by two-bone IK (hip fixed, bone lengths kept, never stretched); when the contact
// ends, the foot's offset fades out over a few frames. Causal: frame t is decided from frames
// <= t only, so a stream locks chunk by chunk exactly as a whole motion is locked at once.
//
// Per foot, each of ankle and toe is pinned (horizontally) while its label is on: the leg reaches
// the ankle's pin by IK, or the toe's when only the toe is down (the foot rolling over the toes,
// moved rigidly); with both down the toe keeps its pin too, its height set so the foot keeps its
// length. A label of frame t covers the motion from t to t+1, so frame t+1 is still held. A pin is
// where the joint was shown on the frame before it began, so locking never makes a joint jump;
// after a release the foot's offset fades out. The height stays the motion's.
#pragma once
#include <array>
#include <cstdint>

#include <torch/torch.h>

#include "motion/skeleton.hpp"

namespace mogo {

struct FootLockOptions {
  int64_t release_frames = 4;  // frames over which a released foot's offset fades to 0
};

class FootLocker {
 public:
  explicit FootLocker(const Skeleton& skel, FootLockOptions o = {});
  // joints [n,J,3] (the next n frames of a motion), contacts [n,4] their foot-contact labels
  // (left ankle, left toe, right ankle, right toe; on > 0.5) -> the locked joints [n,J,3].
  torch::Tensor apply(const torch::Tensor& joints, const torch::Tensor& contacts);

 private:
  using XZ = std::array<double, 2>;
  struct Foot {
    int64_t hip, knee, ankle, toe;
    std::array<bool, 2> pinned{};     // ankle, toe
    std::array<XZ, 2> pin{};          // where each is held
    std::array<XZ, 2> shown{};        // where each was on the previous output frame
    bool started = false;             // shown is valid
    XZ offset{};                      // the ankle's offset applied at the previous frame
    XZ released{};                    // offset when the last contact ended
    int64_t since_release = 0;
    std::array<bool, 2> was_on{};     // the previous frame's labels
  };
  void lock(Foot& foot, double* pose, bool ankle_label, bool toe_label);

  FootLockOptions o_;
  std::array<Foot, 2> feet_;
  int64_t joints_;
};

// The whole motion at once. joints [T,J,3]; features [>=T,D] raw (their contact channels).
torch::Tensor lock_feet(const torch::Tensor& joints, const torch::Tensor& features, const Skeleton& skel);

}  // namespace mogo
