// `mogo prepare`: a folder of BVH clips with captions -> the HumanML3D dataset layout.
//
// Input:  <in>/bvh/<id>.bvh, <in>/texts/<id>.txt, <in>/{train,val,test}.txt
// Output: <out>/new_joints/<id>.npy [T,J,3], <out>/new_joint_vecs/<id>.npy [T-1,D],
//         <out>/texts/<id>.txt, <out>/{train,val,test}.txt, <out>/Mean.npy, <out>/Std.npy (train
//         split), <out>/skeleton.json (the feature skeleton with its target offsets), and a
//         mirrored copy "M<id>" of every clip (left/right swapped in motion and text).
#pragma once
#include "motion/feature_layout.hpp"
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "motion/bvh.hpp"

namespace mogo {

struct PrepareOptions {
  std::string input_dir;
  std::string output_dir;
  std::string mapping_path;   // joint mapping JSON (see data/skeletons/); empty: chosen from the joint names
  double fps = kHumanML3DFps;
  bool mirror = true;
  int64_t limit = 0;          // > 0: only the first N ids of each split (for tests / quick runs)
  int64_t min_frames = 8;     // clips shorter than this (at fps) are skipped
  bool progress = true;
};

struct PrepareSummary {
  int64_t clips = 0;          // written, mirrored copies included
  int64_t frames = 0;         // feature frames written, mirrored copies included
  double seconds = 0;         // wall time
  std::vector<std::pair<std::string, std::string>> skipped;  // id, reason
  std::vector<std::string> warnings;  // duplicate ids, clips in several splits
  std::string mapping;                // the joint mapping used
  double fps = kHumanML3DFps;         // the dataset's frame rate
  nlohmann::json to_json() const;
};

// Writes the dataset into opts.output_dir as a whole: built beside it and moved into place, so a
// failure leaves no half-built folder (and an earlier dataset there untouched). The output may not
// be the input folder, lie inside it, or be an existing folder that is not a prepared dataset.
PrepareSummary prepare_dataset(const PrepareOptions& opts);

// HumanML3D's normalisation statistics: per-dimension mean, and a std that is averaged within
// each feature group (root rotation velocity, root linear velocity, root height, ric, rot6d,
// local velocity, foot contacts) so that no single dimension dominates. features: [N, D].
std::pair<torch::Tensor, torch::Tensor> mean_std(const torch::Tensor& features, int64_t joints);

}  // namespace mogo
