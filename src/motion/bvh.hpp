// BVH motion capture files: parsing (any channel order, 3 or 6 channels per joint), forward
// kinematics to global joint positions, resampling, and writing generated motion back as BVH.
#pragma once
#include "motion/feature_layout.hpp"
#include <string>
#include <vector>

#include <torch/torch.h>

#include "motion/skeleton.hpp"

namespace mogo::bvh {

constexpr double kMaxClipSeconds = 3600;  // longest clip imported (longer: a data or Frame Time error)

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
  std::string name;                       // where it came from (file name), for messages
  Skeleton skeleton;                      // the feature skeleton
  std::vector<std::string> source_names;  // per skeleton joint: the BVH joint it takes positions from
  double scale = 0;                       // file units -> metres; 0 = detect from the body's height (motion/rig.hpp)
  bool z_up = false;                      // file is Z up (converted to Y up)

  // JSON: {"skeleton": "humanml3d" | "kit" | {...description...}, "joints": {skel_joint: bvh_joint},
  //        "scale": "auto" | "cm" | "inch" | "cmu" | 0.01 ..., "up": "y" | "z"}. Unlisted joints map to
  // the same name. A BVH joint name matches with or without a namespace ("mixamorig:Hips" = "Hips").
  static Mapping from_json(const nlohmann::json& j, const std::string& source);
  static Mapping load(const std::string& path);

  // The shipped mappings (data/skeletons/*.json: Bandai, CMU in its 3dsMax and MotionBuilder
  // namings, Mixamo) whose every joint the file has; the first such, restricted to those onto
  // `skeleton` when given. Throws Error listing what each candidate misses when none fits.
  static Mapping detect(const Bvh& b, const std::string& source, const std::string& skeleton = "");
  // Whether the file has every joint this mapping reads (and, if not, the first one missing).
  bool fits(const Bvh& b, std::string* missing = nullptr) const;
};

// The folder of the shipped joint mappings (installed, or the source tree's data/skeletons).
std::string shipped_mappings_dir();

// Index of a BVH joint by name, ignoring a namespace prefix on either side; -1 if absent.
int find_joint(const Bvh& b, const std::string& name);

// Loads a BVH clip as feature-skeleton joint positions: [T, J, 3] metres, Y up, at `fps`.
// A skeleton joint missing from the file is an Error that names it. Zero-length bones are given
// a length (rig::spread_zero_length_bones), units detected when the mapping does not fix them.
torch::Tensor load_joints(const std::string& path, const Mapping& mapping, double fps = kHumanML3DFps);
torch::Tensor joints_from_bvh(const Bvh& b, const Mapping& mapping, double fps, const std::string& source);

// The BVH text of a file: its hierarchy (names, offsets, channels, End Sites) and motion table.
std::string to_text(const Bvh& b);

// The rotation channels' axes of a joint in file order ("ZYX" for Zrotation Yrotation Xrotation).
std::string rotation_order(const Joint& j);

// Fills b.motion (and frames, frame_time) from each joint's local translation [T,J,3] (file units,
// read by its position channels) and local rotation [T,J,4] (w,x,y,z; read by its rotation
// channels, which must be none or all three axes), as Euler angles in the joint's own channel
// order, unwrapped over time (no channel moves by more than 180 degrees between frames).
void set_motion(Bvh& b, const torch::Tensor& translations, const torch::Tensor& rotations, double fps);

struct WriteOptions {
  double fps = kHumanML3DFps;
  bool position_channels = false;    // every joint also gets X/Y/Zposition (exact positions, any tool)
  std::string rotation_order = "ZXY";  // Euler channel order, R = R_1 R_2 R_3 (e.g. Zrotation Xrotation Yrotation)
};

// Writes joint positions [T, J, 3] (metres, Y up) as BVH text, centimetres: a rest skeleton with
// the motion's own bone lengths, the root's position, and every joint's local rotation solved so
// that forward kinematics reproduces the joints (see motion/skeletal_animation.hpp), as Euler
// angles unwrapped over time (no channel moves by more than 180 degrees between frames).
std::string write(const torch::Tensor& joints, const Skeleton& skel, const WriteOptions& options = {});
void save(const std::string& path, const torch::Tensor& joints, const Skeleton& skel, const WriteOptions& options = {});

}  // namespace mogo::bvh
