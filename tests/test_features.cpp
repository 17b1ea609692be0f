// The HumanML3D representation: conformance with the public dataset, round trips, synthetic motion.
#include <cstdio>

#include "common/error.hpp"
#include "motion/features.hpp"
#include "motion/kinematics.hpp"
#include "motion/npy.hpp"
#include "motion/quaternion.hpp"
#include "test_util.hpp"

using namespace mogo;
using test::max_abs_diff;
using torch::indexing::Slice;

namespace {

Skeleton humanml3d_with_target() {
  Skeleton s = Skeleton::humanml3d();
  auto body = npy::load(test::reference_dir() + "/skeleton_example_h3d.npy");
  s.target_offsets = s.offsets_from_pose(body.index({Slice(0, 22)}));
  return s;
}

// Max abs error of each slice of the layout between two feature tensors of equal shape.
void report_slices(const FeatureLayout& L, const torch::Tensor& a, const torch::Tensor& b, double tol, bool skip_rot) {
  struct Named {
    const char* name;
    Slice1D s;
  };
  for (auto [name, s] : {Named{"root_rot_velocity", L.root_rot_velocity()}, Named{"root_linear_velocity", L.root_linear_velocity()},
                         Named{"root_height", L.root_height()}, Named{"ric", L.ric()}, Named{"rot6d", L.rot6d()},
                         Named{"local_velocity", L.local_velocity()}, Named{"foot_contacts", L.foot_contacts()}}) {
    double err = max_abs_diff(a.index({Slice(), Slice(s.begin, s.end())}), b.index({Slice(), Slice(s.begin, s.end())}));
    std::printf("    %-22s max abs error %.3g\n", name, err);
    if (skip_rot && std::string(name) == "rot6d") continue;
    EXPECT_LT(err, tol) << name;
  }
}

// A smooth synthetic motion on a skeleton: walking root, swinging limbs (FK of known rotations).
torch::Tensor synthetic_motion(const Skeleton& s, int64_t T, double turn_rate) {
  auto t = torch::arange(T, torch::kDouble).unsqueeze(1) / 20.0;  // seconds
  const int64_t J = s.num_joints();
  auto quats = torch::zeros({T, J, 4}, torch::kDouble);
  quats.select(2, 0).fill_(1.0);
  // Root yaw turning slowly; other joints swing about X and Z with different phases.
  auto yaw = (t * turn_rate).squeeze(1);
  quats.select(1, 0).copy_(rot::quat_from_axis_angle(torch::tensor({0.0, 1.0, 0.0}, torch::kDouble).expand({T, 3}), yaw));
  for (int64_t j = 1; j < J; ++j) {
    auto ang = 0.4 * torch::sin(t.squeeze(1) * (2.0 + 0.3 * j) + j);
    auto axis = torch::tensor({1.0, 0.1 * (j % 3), 0.2 * (j % 2)}, torch::kDouble);
    quats.select(1, j).copy_(rot::quat_from_axis_angle(axis.expand({T, 3}), ang));
  }
  auto root = torch::cat({torch::sin(t) * 0.5, 0.9 + 0.02 * torch::sin(t * 6), t * 1.2}, 1);
  return forward_kinematics(quats, root, s.target_offsets, s);
}

}  // namespace

TEST(FeatureLayout, DimensionsOfKnownSkeletons) {
  EXPECT_EQ(Skeleton::humanml3d().layout().dim(), 263);
  EXPECT_EQ(Skeleton::kit().layout().dim(), 251);
  EXPECT_EQ(FeatureLayout::joints_for_dim(263), 22);
  EXPECT_EQ(FeatureLayout::joints_for_dim(251), 21);
  EXPECT_EQ(FeatureLayout::joints_for_dim(100), -1);
  FeatureLayout L(22);
  EXPECT_EQ(L.ric().begin, 4);
  EXPECT_EQ(L.rot6d().begin, 67);
  EXPECT_EQ(L.local_velocity().begin, 193);
  EXPECT_EQ(L.foot_contacts().begin, 259);
}

TEST(Features, InverseReproducesReferenceJoints) {
  auto vecs = npy::load(test::reference_dir() + "/new_joint_vecs_012314.npy");
  auto joints = npy::load(test::reference_dir() + "/new_joints_012314.npy");
  auto recovered = recover_from_ric(vecs, 22);
  ASSERT_EQ(recovered.sizes(), joints.sizes());
  double err = max_abs_diff(recovered, joints);
  std::printf("    inverse: max abs error vs new_joints %.3g m\n", err);
  EXPECT_LT(err, 1e-4);
  // Batched input gives the same answer.
  auto batched = recover_from_ric(torch::stack({vecs, vecs}), 22);
  EXPECT_LT(max_abs_diff(batched[1], recovered), 1e-6);
}

TEST(Features, ForwardReproducesReferenceFeatures) {
  auto vecs = npy::load(test::reference_dir() + "/new_joint_vecs_012314.npy");
  auto joints = npy::load(test::reference_dir() + "/new_joints_012314.npy");
  auto s = humanml3d_with_target();
  // The joints as shipped: 170 frames give 169 feature rows.
  auto f = extract_features(joints, s).features;
  ASSERT_EQ(f.size(0), 169);
  ASSERT_EQ(f.size(1), 263);
  // The dataset's clip had a 171st frame that new_joints lacks; the facing is smoothed over
  // +-80 frames, so rows near the end differ slightly. Report them; check the unaffected rows.
  std::printf("    all 169 overlapping rows (last frame missing from new_joints):\n");
  report_slices(s.layout(), f, vecs.index({Slice(0, 169)}), 1e-2, /*skip_rot=*/true);
  std::printf("    rows 0..88 (smoothing window does not reach the missing frame):\n");
  report_slices(s.layout(), f.index({Slice(0, 89)}), vecs.index({Slice(0, 89)}), 1e-3, /*skip_rot=*/true);
  // With the missing frame restored from the last row's velocities, every row matches.
  auto joints_all = torch::cat({joints, recover_all_frames(vecs, 22).index({Slice(170, 171)})}, 0);
  auto f_all = extract_features(joints_all, s).features;
  ASSERT_EQ(f_all.size(0), 170);
  std::printf("    all 170 rows, 171st frame restored:\n");
  report_slices(s.layout(), f_all, vecs, 1e-3, /*skip_rot=*/true);
}

TEST(Features, RoundTripFeaturesJointsFeaturesOnReference) {
  auto vecs = npy::load(test::reference_dir() + "/new_joint_vecs_012314.npy");
  auto s = humanml3d_with_target();
  auto joints = recover_all_frames(vecs, 22);
  ASSERT_EQ(joints.size(0), 171);
  auto f = extract_features(joints, s).features;
  ASSERT_EQ(f.size(0), 170);
  report_slices(s.layout(), f, vecs, 1e-3, /*skip_rot=*/true);
  // And back to joints.
  auto j2 = recover_all_frames(f, 22);
  EXPECT_LT(max_abs_diff(j2, joints), 1e-3);
}

TEST(Features, SyntheticMotionRoundTripsThroughFeatures) {
  // HumanML3D's quirky facing ((l - r) hips + (r - l) shoulders) nearly cancels on this synthetic
  // body's swinging limbs, which makes it ill-conditioned; use the consistent facing that
  // skeletons described from data use.
  auto s = humanml3d_with_target();
  s.humanml3d_facing_quirk = false;
  // 1.2 rad/s for 6 s turns the body past 180 degrees (where the heading quaternion flips sign).
  for (double turn : {0.0, 0.7, 1.2}) {
    auto joints = synthetic_motion(s, 120, turn);
    auto r = extract_features(joints, s);
    EXPECT_EQ(r.features.sizes(), torch::IntArrayRef({119, 263}));
    EXPECT_TRUE(torch::isfinite(r.features).all().item<bool>());
    // Inverse gives back the normalised motion (scaled, on floor, at origin, facing +Z).
    auto back = recover_from_ric(r.features, 22);
    EXPECT_LT(max_abs_diff(back, r.global_positions.index({Slice(0, 119)})), 1e-4) << "turn " << turn;
    // Features of the recovered motion (all frames) match the original features.
    auto all = recover_all_frames(r.features, 22);
    EXPECT_LT(max_abs_diff(all, r.global_positions), 1e-4) << "turn " << turn;
    auto f2 = extract_features(all.to(torch::kDouble), s).features;
    report_slices(s.layout(), f2, r.features, 1e-3, /*skip_rot=*/true);
  }
}

TEST(Features, NormalisationPutsMotionOnFloorAtOriginFacingZ) {
  auto s = humanml3d_with_target();
  auto joints = synthetic_motion(s, 60, 0.3);
  // Move, lift and turn the whole motion: features must not change.
  auto q = rot::quat_from_axis_angle(torch::tensor({0.0, 1.0, 0.0}, torch::kDouble), torch::tensor(1.1, torch::kDouble));
  auto moved = rot::qrot(q.view({1, 1, 4}), joints) + torch::tensor({3.0, 0.5, -2.0}, torch::kDouble);
  auto a = extract_features(joints, s);
  auto b = extract_features(moved, s);
  EXPECT_LT(max_abs_diff(a.features, b.features), 1e-4);
  auto g = b.global_positions;
  EXPECT_NEAR(g.select(2, 1).min().item<double>(), 0.0, 1e-9);
  EXPECT_NEAR(g[0][0][0].item<double>(), 0.0, 1e-9);
  EXPECT_NEAR(g[0][0][2].item<double>(), 0.0, 1e-9);
  auto fwd = facing_direction(g[0].unsqueeze(0), s, false);
  fwd = fwd / fwd.norm(2, -1, true);
  EXPECT_LT(max_abs_diff(fwd, torch::tensor({{0.0, 0.0, 1.0}}, torch::kDouble)), 1e-9);
}

TEST(Features, StandingStillHasFootContacts) {
  auto s = humanml3d_with_target();
  auto joints = synthetic_motion(s, 2, 0.0)[0].unsqueeze(0).repeat({40, 1, 1});
  auto f = extract_features(joints, s).features;
  auto c = s.layout().foot_contacts();
  EXPECT_TRUE(torch::all(f.index({Slice(), Slice(c.begin, c.end())}) == 1.0).item<bool>());
  auto v = s.layout().local_velocity();
  EXPECT_LT(f.index({Slice(), Slice(v.begin, v.end())}).abs().max().item<double>(), 1e-6);
}

TEST(Features, BadShapesAreErrors) {
  auto s = Skeleton::humanml3d();
  EXPECT_THROW(extract_features(torch::zeros({10, 21, 3}), s), Error);
  EXPECT_THROW(extract_features(torch::zeros({1, 22, 3}), s), Error);
  auto nan = torch::zeros({5, 22, 3});
  nan[2][3][1] = std::nan("");
  EXPECT_THROW(extract_features(nan, s), Error);
  EXPECT_THROW(recover_from_ric(torch::zeros({10, 250}), 22), Error);
}

TEST(Features, MirrorSwapsLeftAndRight) {
  auto s = Skeleton::humanml3d();
  auto m = mirror_map(s);
  EXPECT_EQ(m[1], 2);
  EXPECT_EQ(m[16], 17);
  EXPECT_EQ(m[0], 0);
  auto k = mirror_map(Skeleton::kit());
  EXPECT_EQ(k[5], 8);   // LS <-> RS
  EXPECT_EQ(k[11], 16); // LH <-> RH
  auto joints = torch::randn({4, 22, 3}, torch::kDouble);
  auto twice = mirror_joints(mirror_joints(joints, m), m);
  EXPECT_LT(max_abs_diff(twice, joints), 1e-12);
}

TEST(Skeleton, JsonRoundTripAndValidation) {
  auto s = Skeleton::kit();
  auto s2 = Skeleton::from_json(s.to_json());
  EXPECT_EQ(s2.joint_names, s.joint_names);
  EXPECT_EQ(s2.parents, s.parents);
  auto j = s.to_json();
  j["face_joints"][0] = 99;
  EXPECT_THROW(Skeleton::from_json(j), Error);
  auto j2 = s.to_json();
  j2["raw_offsets"][3] = {0.0, 2.0, 0.0};
  EXPECT_THROW(Skeleton::from_json(j2), Error);
  auto j3 = s.to_json();
  j3.erase("chains");
  EXPECT_THROW(Skeleton::from_json(j3), Error);
}
