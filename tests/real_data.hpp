// A handful of real clips from ../shared/data/bandai-mocap, unpacked once per test process into
// a temporary folder (the archive is read-only and large; only the named clips are extracted).
#pragma once
#include <string>
#include <vector>

namespace mogo::test {

// Folder laid out like bandai-mocap/ (bvh/, texts/, train/val/test.txt restricted to the clips).
// The clips: 4 train (2 walks), 1 val, 1 test.
const std::string& real_clips_dir();
const std::vector<std::string>& real_clip_ids();

// The same clips prepared with `mogo prepare` (HumanML3D layout), made once per process.
const std::string& real_prepared_dir();

}  // namespace mogo::test
