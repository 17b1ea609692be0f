// Where each quantity lives in a HumanML3D feature vector for a skeleton of J joints.
// The only place these offsets are defined; everything else asks this struct.
//
//   [ root angular velocity about Y (1) | root linear velocity XZ (2) | root height (1) |
//     ric: joint positions relative to root, root-facing frame ((J-1)*3) |
//     rot: joint rotations, continuous 6-D ((J-1)*6) | local joint velocities (J*3) |
//     foot contacts (4) ]          D = 4 + 9 (J-1) + 3 J + 4 = 12 J - 1   (263 for J=22, 251 for J=21)
#pragma once
#include <cstdint>

namespace mogo {

// HumanML3D's frame rate: prepared datasets are resampled to it, and a model file records the rate
// of the data it was trained on (T2MModel::fps). Only defaults name it; the engine asks the model.
constexpr double kHumanML3DFps = 20.0;

struct Slice1D {
  int64_t begin;
  int64_t size;
  constexpr int64_t end() const { return begin + size; }
};

struct FeatureLayout {
  int64_t joints;

  explicit FeatureLayout(int64_t num_joints) : joints(num_joints) {}

  // The root's channels come first and do not depend on J.
  static constexpr Slice1D root_rot_velocity() { return {0, 1}; }
  static constexpr Slice1D root_linear_velocity() { return {1, 2}; }  // x, z
  static constexpr Slice1D root_height() { return {3, 1}; }
  Slice1D ric() const { return {root_height().end(), (joints - 1) * 3}; }
  Slice1D rot6d() const { return {ric().end(), (joints - 1) * 6}; }
  Slice1D local_velocity() const { return {rot6d().end(), joints * 3}; }
  Slice1D foot_contacts() const { return {local_velocity().end(), 4}; }
  int64_t dim() const { return foot_contacts().end(); }

  // Number of joints for a feature dimension, or -1 when no J gives that D.
  static int64_t joints_for_dim(int64_t dim) {
    // D = 12 J - 1  =>  J = (D + 1) / 12
    return ((dim + 1) % 12 == 0 && (dim + 1) / 12 >= 2) ? (dim + 1) / 12 : -1;
  }
};

}  // namespace mogo
