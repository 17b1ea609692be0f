// Reading a motion a user brings, as raw HumanML3D features of a given feature skeleton:
//   .bvh  joints by name (or through a joint mapping JSON), resampled to 20 fps, then features
//   .npy  features [T,D], or joint positions [T,J,3] (metres, Y up) turned into features
// The motion is normalised as HumanML3D does (on the floor, at the origin, facing +Z at frame 0).
#pragma once
#include <string>

#include <torch/torch.h>

#include "motion/skeleton.hpp"

namespace mogo {

// mapping_path: optional joint mapping: data/skeletons/*.json (its skeleton must have the same
// joints as `skel`), or {"joints": {"<model joint>": "<file joint>"}} as for --rig. Without one,
// joints are found by the model's own names, the shipped mappings, then the naming conventions
// of rigs (data/rigs/joint-names.json). Errors name the file and what does not fit.
torch::Tensor read_motion_features(const std::string& path, const Skeleton& skel, const std::string& mapping_path = "");

}  // namespace mogo
