#include "animation/two_bone_ik.hpp"

#include <algorithm>
#include <cmath>

namespace mogo {

namespace {
Vec3 sub(const Vec3& a, const Vec3& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
Vec3 add(const Vec3& a, const Vec3& b) { return {a[0] + b[0], a[1] + b[1], a[2] + b[2]}; }
Vec3 scale(const Vec3& a, double s) { return {a[0] * s, a[1] * s, a[2] * s}; }
double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
double norm(const Vec3& a) { return std::sqrt(dot(a, a)); }
Vec3 cross(const Vec3& a, const Vec3& b) { return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]}; }

// A unit vector perpendicular to unit u, as close as possible to `hint`.
Vec3 perpendicular(const Vec3& u, const Vec3& hint) {
  Vec3 v = sub(hint, scale(u, dot(hint, u)));
  if (norm(v) < 1e-9) v = cross(u, std::abs(u[0]) < 0.9 ? Vec3{1, 0, 0} : Vec3{0, 1, 0});  // straight leg: any side
  return scale(v, 1.0 / norm(v));
}
}  // namespace

TwoBoneResult solve_two_bone(const Vec3& root, const Vec3& mid, const Vec3& end, const Vec3& target) {
  const double l1 = norm(sub(mid, root)), l2 = norm(sub(end, mid));
  Vec3 to_target = sub(target, root);
  double c = norm(to_target);
  if (c < 1e-9 || l1 < 1e-9 || l2 < 1e-9) return {mid, end, c < 1e-9 && norm(sub(end, root)) < 1e-9};
  const Vec3 u = scale(to_target, 1.0 / c);
  // Reachable distances: [|l1 - l2|, l1 + l2]; a target outside is approached along u.
  const double lo = std::abs(l1 - l2), hi = l1 + l2;
  const bool reached = c <= hi && c >= lo;
  c = std::clamp(c, lo + 1e-12, hi - 1e-12);
  // Law of cosines: the knee sits at angle a from u, a distance l1 from the hip.
  const double cos_a = std::clamp((l1 * l1 + c * c - l2 * l2) / (2 * l1 * c), -1.0, 1.0);
  const double sin_a = std::sqrt(std::max(0.0, 1 - cos_a * cos_a));
  const Vec3 v = perpendicular(u, sub(mid, root));
  const Vec3 new_mid = add(root, add(scale(u, l1 * cos_a), scale(v, l1 * sin_a)));
  const Vec3 new_end = add(root, scale(u, c));
  return {new_mid, new_end, reached};
}

}  // namespace mogo
