// A handful of real clips from ../shared/data/bandai-mocap, unpacked once per test process into
// a temporary folder (the archive is read-only and large; only the named clips are extracted).
#pragma once
#include <string>
#include <vector>

#include "vq/train.hpp"

namespace mogo::test {

// Folder laid out like bandai-mocap/ (bvh/, texts/, train/val/test.txt restricted to the clips).
// The clips: 4 train (2 walks), 1 val, 1 test.
const std::string& real_clips_dir();
const std::vector<std::string>& real_clip_ids();

// The same clips prepared with `mogo prepare` (HumanML3D layout), made once per process.
const std::string& real_prepared_dir();

// Options of a quiet CPU `micro` RVQ-VAE run on real_prepared_dir() into `out_dir` (inline: the
// sanitized tests link this file without the RVQ-VAE).
inline VQTrainOptions micro_vq_run(const std::string& out_dir) {
  VQTrainOptions o;
  o.data_dir = real_prepared_dir();
  o.out_dir = out_dir;
  o.preset = "micro";
  o.train = VQTrainConfig::preset("micro");
  o.device = "cpu";
  o.quiet = true;
  return o;
}

}  // namespace mogo::test
