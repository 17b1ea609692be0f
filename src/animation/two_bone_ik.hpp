// Analytic two-bone inverse kinematics on joint positions (hip - knee - ankle), the animation
// tool that foot locking and retargeting use: it moves the middle and end joints so the end
// reaches a target, keeping both bone lengths exactly and the bend on the side of a pole (the
// original knee), and never stretching the chain past its length.
#pragma once
#include <array>

namespace mogo {

using Vec3 = std::array<double, 3>;

struct TwoBoneResult {
  Vec3 mid, end;      // the new knee and ankle
  bool reached;       // false when the target was beyond the chain's reach (end stops short)
};

// root: fixed (hip); mid, end: the current pose (their distances give the bone lengths); target:
// where end should go. The knee stays in the plane of root, target and the current knee.
TwoBoneResult solve_two_bone(const Vec3& root, const Vec3& mid, const Vec3& end, const Vec3& target);

}  // namespace mogo
