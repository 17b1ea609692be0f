#pragma once
// Training windows in which the text changes, for the RVQ-VAE decoder: the codes it is given come
// from the change the generator learnt (TokenDataset::joined: clip A, then A cross-faded linearly
// into clip B from a step boundary on), and the motion it is asked for makes the same change
// smoothly (a longer smoothstep fade centred on the same point). A decoder trained on both keeps
// its reconstructions of ordinary motion and renders a change of text without a burst of jerk.

#include <torch/torch.h>

#include <cstdint>
#include <random>

#include "data/motion_dataset.hpp"
#include "motion/transition.hpp"

namespace mogo {

// What the decoder is asked to make of a change.
enum class TransitionTarget {
  fade,    // A cross-faded into B (smoothstep): smooth, but averaging two motions lowers their detail
  offset,  // B itself plus a Hermite offset from A that is gone at the fade's end (inertialisation):
           // B keeps its own detail, and A is left without a jump or a kink
};

struct TransitionPlan {
  int64_t given_frames = kJoinFadeFrames;  // the linear fade of the generator's joined clips
  int64_t target_frames = 16;  // the smooth fade the decoder is taught: centred on the given one, but
                               // starting at most `down` frames (one step, the decoder's look-ahead) earlier
  int64_t down = 4;            // frames per latent step: the change falls on a step boundary
  TransitionTarget target = TransitionTarget::fade;
};

// "fade" / "offset" (the --transition-target values); throws Error naming the text otherwise.
TransitionTarget transition_target(const std::string& name);

struct TransitionWindows {
  torch::Tensor given;   // [N,W,D] normalised features that are encoded (the codes of the change)
  torch::Tensor target;  // [N,W,D] what the decoder should make of them
};

// Where the smooth fade lies, in frames relative to the change's first frame: [first, end).
struct FadeSpan {
  int64_t first, end;
};
FadeSpan transition_fade(const TransitionPlan& plan);

// Throws Error naming the value when the plan cannot fit a window of `window` frames or the smooth
// fade is shorter than the given one.
void check_transition_plan(const TransitionPlan& plan, int64_t window);

// N windows of `window` frames from random pairs of distinct clips of `data`.
TransitionWindows sample_transition_windows(const MotionDataset& data, int64_t n, int64_t window, const TransitionPlan& plan,
                                            std::mt19937_64& rng);

}  // namespace mogo
