// glTF 2.0 export of a motion (through Debian's tinygltf): the joint hierarchy as nodes with the
// rest offsets as translations, one rotation animation sampler per joint and a translation
// sampler for the root at the motion's frame rate, and a skinned body (a box per bone, each box
// bound to its bone) so that any viewer shows a figure. Metres, Y up, the character facing +Z at
// frame 0 (glTF's conventions). .glb: one binary file; .gltf: JSON plus <name>.bin beside it.
#pragma once
#include "motion/feature_layout.hpp"
#include <string>

#include "animation/retarget.hpp"
#include "motion/skeletal_animation.hpp"

namespace mogo {

// The binary glTF (GLB) bytes of an animation.
std::string gltf_binary(const SkeletalAnimation& a);

// Writes joints [T,J,3] (metres) as GLB (binary), or as .gltf JSON + <stem>.bin, atomically.
void save_gltf(const std::string& path, const torch::Tensor& joints, const Skeleton& skel, double fps = kHumanML3DFps, bool binary = true);

// Writes a motion retargeted onto a glTF rig: the rig's own file (meshes, skins, materials kept)
// with its animations replaced by this one (every joint's rotation, the root's translation).
std::string rig_gltf_binary(const CharacterRig& rig, const RigMotion& motion);
void save_rig_gltf(const std::string& path, const CharacterRig& rig, const RigMotion& motion, bool binary = true);

}  // namespace mogo
