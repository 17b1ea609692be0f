#include "animation/foot_lock.hpp"

#include "animation/two_bone_ik.hpp"

#include <algorithm>
#include <cmath>

#include "common/error.hpp"

namespace mogo {

FootLocker::FootLocker(const Skeleton& skel, FootLockOptions o) : o_(o), joints_(skel.num_joints()) {
  const std::array<std::array<int64_t, 2>, 2> sides = {skel.feet_left, skel.feet_right};
  for (size_t s = 0; s < 2; ++s) {
    Foot& f = feet_[s];
    f.ankle = sides[s][0];
    f.toe = sides[s][1];
    f.knee = skel.parents.at(f.ankle);
    require(f.knee > 0 && skel.parents.at(f.knee) >= 0, "foot locking: the skeleton's ankles need a knee and a hip above them");
    f.hip = skel.parents.at(f.knee);
  }
  require(o_.release_frames >= 1, "foot locking: release_frames must be >= 1");
}

void FootLocker::lock(Foot& f, double* pose, bool ankle_label, bool toe_label) {
  auto at = [&](int64_t j) { return Vec3{pose[3 * j], pose[3 * j + 1], pose[3 * j + 2]}; };
  auto xz = [&](int64_t j) { return XZ{pose[3 * j], pose[3 * j + 2]}; };
  // A label of frame t-1 covers the motion to frame t: hold that frame too.
  const std::array<bool, 2> on = {ankle_label || f.was_on[0], toe_label || f.was_on[1]};
  f.was_on = {ankle_label, toe_label};
  const std::array<int64_t, 2> joint = {f.ankle, f.toe};
  for (int k = 0; k < 2; ++k) {
    if (on[k] && !f.pinned[k]) f.pin[k] = f.started ? f.shown[k] : xz(joint[k]);  // where it was shown
    f.pinned[k] = on[k];
  }
  // The ankle's offset: to its pin, or to where the toe's pin puts it; else fading out.
  const int lead = on[0] ? 0 : on[1] ? 1 : -1;
  if (lead >= 0) {
    const XZ now = xz(joint[lead]);
    f.offset = {f.pin[lead][0] - now[0], f.pin[lead][1] - now[1]};
    f.released = f.offset;
    f.since_release = 0;
  } else {
    // Linear: k frames after the release the offset is (1 - k / N) of what it was.
    f.since_release = std::min(f.since_release + 1, o_.release_frames);
    const double w = 1.0 - static_cast<double>(f.since_release) / static_cast<double>(o_.release_frames);
    f.offset = {f.released[0] * w, f.released[1] * w};
  }
  if (f.offset[0] != 0 || f.offset[1] != 0) {
    const Vec3 ankle = at(f.ankle);
    const Vec3 target = {ankle[0] + f.offset[0], ankle[1], ankle[2] + f.offset[1]};
    const auto r = solve_two_bone(at(f.hip), at(f.knee), ankle, target);
    for (int k = 0; k < 3; ++k) {
      pose[3 * f.toe + k] += r.end[k] - ankle[k];  // the foot moves rigidly with the ankle
      pose[3 * f.knee + k] = r.mid[k];
      pose[3 * f.ankle + k] = r.end[k];
    }
  }
  if (on[0] && on[1]) {
    // Both down: the toe at its pin, its height keeping the foot's length |toe - ankle|.
    double* a = pose + 3 * f.ankle;
    double* t = pose + 3 * f.toe;
    const double length = std::sqrt((t[0] - a[0]) * (t[0] - a[0]) + (t[1] - a[1]) * (t[1] - a[1]) + (t[2] - a[2]) * (t[2] - a[2]));
    const double hx = f.pin[1][0] - a[0], hz = f.pin[1][1] - a[2], h2 = hx * hx + hz * hz;
    if (h2 <= length * length) {
      t[1] = a[1] + std::copysign(std::sqrt(length * length - h2), t[1] - a[1]);
      t[0] = f.pin[1][0];
      t[2] = f.pin[1][1];
    }
  }
  f.shown = {xz(f.ankle), xz(f.toe)};
  f.started = true;
}

torch::Tensor FootLocker::apply(const torch::Tensor& joints, const torch::Tensor& contacts) {
  require(joints.dim() == 3 && joints.size(1) == joints_ && joints.size(2) == 3,
          "foot locking: joints must be [n," + std::to_string(joints_) + ",3], got " + c10::str(joints.sizes()));
  require(contacts.dim() == 2 && contacts.size(0) >= joints.size(0) && contacts.size(1) == 4,
          "foot locking: contacts must be [>=n,4], got " + c10::str(contacts.sizes()));
  auto out = joints.to(torch::kCPU, torch::kDouble).contiguous().clone();
  auto on = (contacts.to(torch::kCPU, torch::kDouble) > 0.5).contiguous();
  auto on_a = on.accessor<bool, 2>();
  double* data = out.data_ptr<double>();
  for (int64_t t = 0; t < out.size(0); ++t)
    for (size_t s = 0; s < 2; ++s) lock(feet_[s], data + t * joints_ * 3, on_a[t][2 * s], on_a[t][2 * s + 1]);
  return out.to(joints.scalar_type());
}

torch::Tensor lock_feet(const torch::Tensor& joints, const torch::Tensor& features, const Skeleton& skel) {
  const auto c = skel.layout().foot_contacts();
  require(features.dim() == 2 && features.size(1) == skel.layout().dim() && features.size(0) >= joints.size(0),
          "foot locking: features must be [>=T," + std::to_string(skel.layout().dim()) + "], got " + c10::str(features.sizes()));
  FootLocker locker(skel);
  return locker.apply(joints, features.narrow(1, c.begin, c.size));
}

}  // namespace mogo
