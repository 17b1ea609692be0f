// Writing a motion by file extension: .bvh (rotation channels solved from the joints), .glb /
// .gltf (glTF 2.0 with a skinned body), .npy (features [T,D], or joints [T,J,3]), .json (frames of
// joint positions plus the skeleton). Every write is atomic. docs/export.md has the details.
#pragma once
#include "motion/feature_layout.hpp"
#include <memory>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "animation/retarget.hpp"
#include "motion/skeleton.hpp"

namespace mogo {

struct ExportOptions {
  double fps = kHumanML3DFps;
  bool joints_npy = false;            // .npy gets joint positions instead of features
  bool position_channels = false;     // BVH: every joint also gets position channels
  std::string rotation_order = "ZXY";  // BVH: Euler channel order
  std::string format;                 // bvh, glb, gltf, npy, json; empty: from the file's extension
                                      // (a device or pipe, e.g. /dev/stdout, has none)
  bool foot_lock = true;              // write_motion: joints get contact-aware foot locking (lock_feet)
  // The user's rig (--rig): the motion is retargeted onto it and written on its skeleton (.bvh
  // from a BVH rig, .glb/.gltf from a glTF rig, .json and .npy from either). Each write retargets
  // from a copy, so one motion's floor never carries over to the next.
  std::shared_ptr<const Retargeter> rig;
};

// A motion on a user's rig: .bvh (the rig's hierarchy, channels and End Sites), .glb/.gltf (the
// rig's file with this animation), .json (the rig's joints, parents and world positions per
// frame), .npy (world positions [T,J,3]). The rig's file units; atomic.
void write_rig_motion(const std::string& path, const RigMotion& m, const CharacterRig& rig, const ExportOptions& o = {});
// The bytes of a motion on a rig in one format: bvh, glb, json or npy.
std::string rig_motion_bytes(const RigMotion& m, const CharacterRig& rig, const std::string& format);
// Throws Error naming the path when a rig cannot be written in its format (.bvh needs a BVH rig,
// .glb/.gltf a glTF rig).
void require_rig_output(const std::string& path, const CharacterRig& rig, const ExportOptions& o = {});
// A motion on a rig as every JSON output of it carries it (streamed lines, server events and
// replies): {"joints": [[[x,y,z] per joint] per frame] (world, the rig's units), "rotations":
// [[[w,x,y,z] per joint] per frame] (local, rounded to 1e-6), "root": [[x,y,z] per frame]}.
nlohmann::json rig_pose_json(const RigMotion& m);
// {"fps", "units", "joints", "parents", "frames"} of a motion on a rig.
nlohmann::json rig_motion_json(const RigMotion& m, const CharacterRig& rig);

// features: [T,D] raw HumanML3D features at `fps` (.npy without joints_npy: the features as they
// are; every other output: their joints, feet locked where the contact channels say so).
void write_motion(const std::string& path, const torch::Tensor& features, const Skeleton& skel, const ExportOptions& o = {});
// joints: [T,J,3] metres, Y up (.npy: the joints themselves).
void write_joints(const std::string& path, const torch::Tensor& joints, const Skeleton& skel, const ExportOptions& o = {});

// Joint positions [T,J,3] as [[[x,y,z] per joint] per frame], metres rounded to 0.1 mm: the form
// every JSON output of mogo uses (files, --stream lines, the server's events).
nlohmann::json joints_json(const torch::Tensor& joints);

// {"fps", "joints": [names], "parents": [...], "frames": [[[x,y,z] per joint] per frame]} (metres, Y up).
nlohmann::json motion_json(const torch::Tensor& joints, const Skeleton& skel, double fps = kHumanML3DFps);

// The format a motion is written in: o.format, else the extension of `path`. Throws Error naming
// the path unless it is bvh, glb, gltf, npy or json.
std::string motion_format(const std::string& path, const ExportOptions& o = {});

}  // namespace mogo
