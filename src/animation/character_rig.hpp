// A user's character rig, read from a BVH file or a skinned glTF/GLB: its joints as the file has
// them (names, hierarchy, each joint's rest translation and rotation in its parent's frame, in
// the file's units) and the rest pose placed in the world, which retargeting aims from. Nothing is
// assumed about the rest pose (T-pose, A-pose, bones along any axis) or the units.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "motion/bvh.hpp"

namespace tinygltf {
class Model;
}

namespace mogo {

struct CharacterRig {
  std::string path;    // the file, for messages and for writing a glTF result into
  std::string format;  // "bvh" or "gltf"
  std::vector<std::string> names;
  std::vector<int64_t> parents;     // parents come before children; joint 0 is the one root
  torch::Tensor rest_translation;   // [J,3] double: each joint's translation in its parent's frame
  torch::Tensor rest_rotation;      // [J,4] (w,x,y,z): each joint's rotation in its parent's frame
  // The nodes above the root joint (a glTF armature, often at 0.01 scale or turned to Y up):
  // world(x) = above_translation + above_scale * above_rotation x.
  torch::Tensor above_rotation;     // [4]
  torch::Tensor above_translation;  // [3]
  double above_scale = 1.0;
  // The rest pose in the world (Y up, the file's units scaled by what is above): [J,3] and [J,4].
  torch::Tensor rest_position, rest_world_rotation;
  // Rest points below a joint that are not joints (BVH End Sites, glTF nodes under a joint that
  // are not in the skin): [J,3] world, NaN where none; they say where a foot's sole is.
  torch::Tensor rest_tip;
  bvh::Bvh bvh;                     // the parsed file (format "bvh"): channels, End Sites (its motion dropped)
  std::vector<int> gltf_nodes;      // the glTF node of each joint (format "gltf")
  std::shared_ptr<const tinygltf::Model> gltf;  // the parsed file (format "gltf"), which results are written into

  int64_t num_joints() const { return static_cast<int64_t>(names.size()); }
  int64_t index_of(const std::string& name) const;  // -1 if absent
  std::vector<std::vector<int64_t>> children() const;
};

// Reads a rig by extension: .bvh, .glb or .gltf (its first skin). Errors name the file and the problem.
CharacterRig load_rig(const std::string& path);
CharacterRig rig_from_bvh(const bvh::Bvh& b, const std::string& path);

// World positions [T,J,3] of a rig posed by local rotations [T,J,4] and the root's translation in
// the frame above it [T,3] (other joints keep their rest translations).
torch::Tensor rig_world_positions(const CharacterRig& rig, const torch::Tensor& root_translation, const torch::Tensor& rotations);

}  // namespace mogo
