// Writing a generated motion by file extension: .bvh (joints -> BVH), .npy (features [T,D], or
// joints [T,J,3]), .json (frames of joint positions plus the skeleton). Every write is atomic.
#pragma once
#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "motion/skeleton.hpp"

namespace mogo {

// features: [T,D] raw HumanML3D features at `fps`. joints_npy: .npy gets joint positions.
void write_motion(const std::string& path, const torch::Tensor& features, const Skeleton& skel, bool joints_npy = false,
                  double fps = 20.0);

// {"fps", "joints": [names], "parents": [...], "frames": [[[x,y,z] per joint] per frame]} (metres, Y up).
nlohmann::json motion_json(const torch::Tensor& joints, const Skeleton& skel, double fps = 20.0);

// Throws Error unless `path` ends in .bvh, .npy or .json.
void check_motion_extension(const std::string& path);

}  // namespace mogo
