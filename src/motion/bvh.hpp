// BVH motion capture files: parsing (any channel order, 3 or 6 channels per joint), forward
// kinematics to global joint positions, resampling, and writing generated motion back as BVH.
#pragma once
#include <string>
#include <vector>

#include <torch/torch.h>

#include "motion/skeleton.hpp"

namespace mogo::bvh {

enum class Channel { Xposition, Yposition, Zposition, Xrotation, Yrotation, Zrotation };

struct Joint {
  std::string name;
  int parent = -1;                 // index into Bvh::joints, -1 for the root
  double offset[3] = {0, 0, 0};    // file units
  std::vector<Channel> channels;   // in file order
  int channel_start = 0;           // column of the first channel in the motion table
  bool has_end_site = false;
  double end_site[3] = {0, 0, 0};
};

struct Bvh {
  std::vector<Joint> joints;   // depth-first order as in the file (End Sites not included)
  int64_t frames = 0;
  double frame_time = 0;       // seconds per frame
  torch::Tensor motion;        // [frames, channels] float64, degrees / file units

  int index_of(const std::string& name) const;  // -1 if absent
  int64_t num_channels() const { return motion.defined() ? motion.size(1) : 0; }
};

// Parses BVH text; errors name the source, the line and what was expected.
Bvh parse(const std::string& text, const std::string& source);
Bvh load(const std::string& path);

// Global positions of every joint: [frames, joints, 3] in file units, file axes. A joint with
// position channels takes them as its local translation (instead of its OFFSET).
torch::Tensor global_positions(const Bvh& b);

// Linear resampling along time from `src_fps` to `dst_fps`. x: [T, ...] -> [T', ...].
torch::Tensor resample(const torch::Tensor& x, double src_fps, double dst_fps);

// How a file's joints map onto a feature skeleton, plus units and axes.
struct Mapping {
  Skeleton skeleton;                      // the feature skeleton
  std::vector<std::string> source_names;  // per skeleton joint: the BVH joint it takes positions from
  double scale = 0;                       // file units -> metres; 0 = detect (cm if hips higher than 3 units)
  bool z_up = false;                      // file is Z up (converted to Y up)

  // JSON: {"skeleton": "humanml3d" | "kit" | {...description...}, "joints": {skel_joint: bvh_joint},
  //        "scale": 0.01 | "auto", "up": "y" | "z"}. Unlisted joints map to the same name.
  static Mapping from_json(const nlohmann::json& j, const std::string& source);
  static Mapping load(const std::string& path);
};

// Loads a BVH clip as feature-skeleton joint positions: [T, J, 3] metres, Y up, at `fps`.
// A skeleton joint missing from the file is an Error that names it.
torch::Tensor load_joints(const std::string& path, const Mapping& mapping, double fps = 20.0);
torch::Tensor joints_from_bvh(const Bvh& b, const Mapping& mapping, double fps, const std::string& source);

// Writes joint positions [T, J, 3] (metres, Y up) as BVH text: the skeleton's target_offsets
// as rest pose, every joint with position + rotation channels (rotations by inverse kinematics
// from the positions, so tools that read only rotations see the motion; positions make the
// re-import exact). Units: centimetres.
std::string write(const torch::Tensor& joints, const Skeleton& skel, double fps = 20.0);
void save(const std::string& path, const torch::Tensor& joints, const Skeleton& skel, double fps = 20.0);

}  // namespace mogo::bvh
