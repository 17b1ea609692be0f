// Animation tools: two-bone IK and contact-aware foot locking (docs/feet.md).
#include <random>

#include "animation/foot_lock.hpp"
#include "animation/two_bone_ik.hpp"
#include "common/error.hpp"
#include "motion/features.hpp"
#include "motion/foot_metrics.hpp"
#include "motion/npy.hpp"
#include "shipped_model.hpp"
#include "test_util.hpp"

using namespace mogo;

namespace {
double dist(const Vec3& a, const Vec3& b) {
  return std::sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));
}

// A real HumanML3D clip (22 joints) and its contact labels.
struct RealClip {
  torch::Tensor features, joints, contacts;
  Skeleton skel = Skeleton::humanml3d();
  RealClip() {
    features = npy::load(test::reference_dir() + "/new_joint_vecs_012314.npy").to(torch::kDouble);
    joints = recover_from_ric(features, 22);
    auto c = skel.layout().foot_contacts();
    contacts = features.narrow(1, c.begin, c.size);
  }
};

// Largest distance any joint moves from one frame to the next. joints [T,J,3].
double largest_step(const torch::Tensor& j) {
  return (j.narrow(0, 1, j.size(0) - 1) - j.narrow(0, 0, j.size(0) - 1)).norm(2, -1).max().item<double>();
}
}  // namespace

TEST(TwoBoneIK, KeepsBoneLengthsReachesTargetsAndNeverStretches) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(-1, 1);
  int reached = 0;
  for (int k = 0; k < 500; ++k) {
    const Vec3 hip{u(rng), 1 + u(rng) * 0.1, u(rng)};
    const Vec3 knee{hip[0] + 0.1 * u(rng), hip[1] - 0.4, hip[2] + 0.1 + 0.05 * u(rng)};
    const Vec3 ankle{knee[0] + 0.05 * u(rng), knee[1] - 0.4, knee[2] - 0.1};
    const Vec3 target{ankle[0] + 0.3 * u(rng), ankle[1] + 0.3 * u(rng), ankle[2] + 0.3 * u(rng)};
    const double l1 = dist(hip, knee), l2 = dist(knee, ankle);
    auto r = solve_two_bone(hip, knee, ankle, target);
    ASSERT_NEAR(dist(hip, r.mid), l1, 1e-5);
    ASSERT_NEAR(dist(r.mid, r.end), l2, 1e-5);
    if (r.reached) {
      ++reached;
      ASSERT_LT(dist(r.end, target), 1e-6);
    } else {
      ASSERT_LE(dist(hip, r.end), l1 + l2 + 1e-9);  // stops short, along the way to the target
    }
  }
  EXPECT_GT(reached, 150);
  // The knee bends to the side it bent before (forward here), not backwards.
  auto r = solve_two_bone({0, 1, 0}, {0, 0.5, 0.1}, {0, 0, 0}, {0, 0.2, 0.1});
  EXPECT_GT(r.mid[2], 0.1);
}

TEST(FootLock, APlantedFootStaysWithinAMillimetreAndTheLegKeepsItsBones) {
  RealClip clip;
  // Make the feet slide: every joint drifts 5 mm per frame sideways (as a sliding generator would).
  auto sliding = clip.joints.clone();
  for (int64_t t = 0; t < sliding.size(0); ++t) sliding[t].select(1, 0) += 0.005 * static_cast<double>(t);
  auto locked = lock_feet(sliding, clip.features, clip.skel);
  const auto& s = clip.skel;
  auto acc = locked.accessor<double, 3>();
  auto raw = sliding.accessor<double, 3>();
  auto on_t = (clip.contacts > 0.5).contiguous();
  auto on = on_t.accessor<bool, 2>();
  int64_t checked = 0;
  for (int side = 0; side < 2; ++side) {
    const int64_t ankle = side == 0 ? s.feet_left[0] : s.feet_right[0];
    const int64_t knee = s.parents[ankle], hip = s.parents[knee];
    for (int64_t t = 0; t < locked.size(0); ++t) {
      auto bone = [&](auto& a, int64_t i, int64_t j) {
        return std::sqrt(std::pow(a[t][i][0] - a[t][j][0], 2) + std::pow(a[t][i][1] - a[t][j][1], 2) + std::pow(a[t][i][2] - a[t][j][2], 2));
      };
      ASSERT_NEAR(bone(acc, hip, knee), bone(raw, hip, knee), 1e-5) << "frame " << t;
      ASSERT_NEAR(bone(acc, knee, ankle), bone(raw, knee, ankle), 1e-5) << "frame " << t;
      // While the ankle's contact holds, the ankle stays where it was on the previous frame.
      if (t > 0 && on[t][2 * side] && on[t - 1][2 * side]) {
        const double dx = acc[t][ankle][0] - acc[t - 1][ankle][0], dz = acc[t][ankle][2] - acc[t - 1][ankle][2];
        // Unless the drift has outrun the leg (then it is fully stretched, and the foot follows).
        const bool leg_reaches = bone(acc, hip, ankle) < bone(raw, hip, knee) + bone(raw, knee, ankle) - 1e-6;
        if (leg_reaches) {
          EXPECT_LT(std::sqrt(dx * dx + dz * dz), 1e-3) << "side " << side << " frame " << t;
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 20);
  // Skating drops (measured with the clip's own labels).
  EXPECT_LT(foot_metrics(locked, clip.contacts, s).skating_ratio(), 0.5 * foot_metrics(sliding, clip.contacts, s).skating_ratio());
}

TEST(FootLock, NoJumpAtLockOrReleaseAndStreamedEqualsOffline) {
  RealClip clip;
  auto locked = lock_feet(clip.joints, clip.features, clip.skel);
  // No joint moves more between two frames than the real clip's largest frame-to-frame step.
  EXPECT_LE(largest_step(locked), largest_step(clip.joints) + 1e-9);
  // Causal: locking chunk by chunk gives the same joints as locking the whole motion.
  FootLocker streamed(clip.skel);
  std::vector<torch::Tensor> parts;
  std::mt19937 rng(1);
  for (int64_t a = 0; a < clip.joints.size(0);) {
    const int64_t n = std::min<int64_t>(1 + static_cast<int64_t>(rng() % 7), clip.joints.size(0) - a);
    parts.push_back(streamed.apply(clip.joints.narrow(0, a, n), clip.contacts.narrow(0, a, n)));
    a += n;
  }
  EXPECT_LT(test::max_abs_diff(torch::cat(parts, 0), locked), 1e-12);
  // Contacts stay as they are: only joints change; bad shapes are errors.
  EXPECT_THROW(lock_feet(clip.joints, clip.features.narrow(0, 0, 3), clip.skel), Error);
  EXPECT_THROW(FootLocker(clip.skel).apply(clip.joints, clip.contacts.narrow(1, 0, 2)), Error);
}

TEST(FootLock, GeneratedWalkingNoLongerSkates) {
  auto& gen = test::shipped_generator();
  GenerateOptions o;
  o.seconds = 5;
  o.sampling.seed = 11;
  const auto skel = gen.skeleton();
  const auto c = skel.layout().foot_contacts();
  FootMetrics raw, locked;
  for (const char* text : {"a person walks forward", "a person walks in a circle", "a person runs forward"}) {
    auto f = gen.generate({text}, o)[0].features;
    auto j = gen.joints(f);
    auto contacts = f.narrow(1, c.begin, c.size);
    raw += foot_metrics(j, contacts, skel);
    locked += foot_metrics(lock_feet(j, f, skel), contacts, skel);
  }
  // The shipped model (foot-loss decoder) with locking: under 10% (bench_feet: 5.6%).
  EXPECT_LT(locked.skating_ratio(), 0.10) << "raw " << raw.skating_ratio();
  EXPECT_LT(locked.skating_ratio(), 0.5 * raw.skating_ratio());
  EXPECT_LT(locked.sliding_speed(), raw.sliding_speed());
}

TEST(FootMetrics, FloatingCountsContactFramesWithTheFeetInTheAir) {
  auto s = Skeleton::humanml3d();
  const int64_t T = 11;
  auto joints = torch::zeros({T, s.num_joints(), 3}, torch::kDouble);
  joints.select(2, 1).fill_(0.8);
  for (int64_t f : foot_joints(s)) joints.select(1, f).select(1, 1).fill_(0.0);
  auto contacts = torch::ones({T - 1, 4});
  auto m = foot_metrics(joints, contacts, s);
  EXPECT_EQ(m.grounded_frames, T - 1);
  EXPECT_EQ(m.floating_ratio(), 0.0);
  // Feet 10 cm up in the second half while the labels say "contact": floating there.
  for (int64_t t = 5; t < T; ++t)
    for (int64_t f : foot_joints(s)) joints[t][f][1] = 0.10;
  m = foot_metrics(joints, contacts, s);
  EXPECT_NEAR(m.floating_ratio(), 5.0 / (T - 1), 1e-12);
  EXPECT_NEAR(m.floating_height(), 0.10 * 5 / (T - 1), 1e-12);
  // No label on: nothing claims contact, nothing floats.
  m = foot_metrics(joints, torch::zeros({T - 1, 4}), s);
  EXPECT_EQ(m.grounded_frames, 0);
  EXPECT_EQ(m.floating_ratio(), 0.0);
}
