#include "motion/rig.hpp"

#include <cmath>
#include <cstdlib>

#include "common/error.hpp"

namespace mogo::rig {

namespace {

struct Unit {
  const char* name;
  double metres;
};
constexpr Unit kUnits[] = {{"m", 1.0}, {"cm", 0.01}, {"mm", 0.001}, {"inch", 0.0254}, {"cmu", 0.056444}};

// Median length over time of the bone into joint j from joint p: [T,J,3] -> metres in file units.
double bone_length(const torch::Tensor& joints, int64_t p, int64_t j) {
  return (joints.select(1, j) - joints.select(1, p)).norm(2, -1).median().item<double>();
}

// Thigh + shank of the leg ending in `ankle`: hip -> knee -> ankle along the parents.
double thigh_and_shank(const torch::Tensor& joints, const Skeleton& s, int64_t ankle) {
  const int64_t knee = s.parents[ankle], hip = knee >= 0 ? s.parents[knee] : -1;
  require(hip >= 0, "skeleton '" + s.name + "': the ankle '" + s.joint_names[ankle] + "' has no hip and knee above it");
  return bone_length(joints, hip, knee) + bone_length(joints, knee, ankle);
}

}  // namespace

double unit_scale(const std::string& unit, const std::string& what) {
  for (const auto& u : kUnits)
    if (unit == u.name) return u.metres;
  char* end = nullptr;
  const double v = std::strtod(unit.c_str(), &end);
  require(!unit.empty() && end && *end == '\0' && std::isfinite(v) && v > 0,
          what + ": unknown unit '" + unit + "' (m, cm, mm, inch, cmu, or metres per file unit as a number)");
  // From a micrometre to a kilometre per file unit: anything else is a typo (1e308 overflowed to
  // infinite joints, 1e-300 put every joint at the origin).
  require(v >= 1e-6 && v <= 1e3, what + ": " + unit + " metres per file unit is outside [1e-6, 1000]");
  return v;
}

double stature(const torch::Tensor& joints, const Skeleton& skel) {
  constexpr double kLegOverStature = 0.245 + 0.246;
  const double legs = thigh_and_shank(joints, skel, skel.feet_left[0]) + thigh_and_shank(joints, skel, skel.feet_right[0]);
  return legs / 2 / kLegOverStature;
}

DetectedUnit detect_unit(const torch::Tensor& joints, const Skeleton& skel) {
  const double h = stature(joints, skel);
  require(h > 0 && std::isfinite(h), "cannot detect the units: the legs have no length");
  const Unit* best = &kUnits[0];
  for (const auto& u : kUnits)
    if (std::abs(std::log(h * u.metres / kReferenceStature)) < std::abs(std::log(h * best->metres / kReferenceStature))) best = &u;
  return {best->name, best->metres};
}

torch::Tensor spread_zero_length_bones(const torch::Tensor& joints_in, const Skeleton& skel, int64_t* moved) {
  auto joints = joints_in.clone();
  const double tiny = 1e-3 * stature(joints, skel);
  int64_t count = 0;
  for (const auto& chain : skel.chains) {
    // chain[0] is an earlier joint (already placed); walk the rest, spreading each run of
    // joints that coincide with the last distinct one up to the next distinct joint.
    size_t anchor = 0;
    for (size_t k = 1; k < chain.size(); ++k) {
      if (bone_length(joints, chain[anchor], chain[k]) <= tiny) continue;
      const size_t run = k - anchor - 1;  // coinciding joints between anchor and k
      for (size_t r = 1; r <= run; ++r) {
        const double t = static_cast<double>(r) / static_cast<double>(run + 1);
        const auto a = joints.select(1, chain[anchor]), b = joints.select(1, chain[k]);
        joints.select(1, chain[anchor + r]).copy_(a + t * (b - a));
        ++count;
      }
      anchor = k;
    }
  }
  if (moved) *moved = count;
  return joints;
}

}  // namespace mogo::rig
