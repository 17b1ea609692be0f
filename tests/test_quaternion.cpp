// Rotation math against known values.
#include <cmath>

#include "motion/quaternion.hpp"
#include "common/error.hpp"
#include "test_util.hpp"

using namespace mogo;
using mogo::test::max_abs_diff;

namespace {
torch::Tensor vec(double x, double y, double z) { return torch::tensor({x, y, z}, torch::kDouble); }
torch::Tensor random_quats(int64_t n) {
  torch::manual_seed(3);
  return rot::qnormalize(torch::randn({n, 4}, torch::kDouble));
}
}  // namespace

TEST(Quaternion, RotateAboutYBy90DegreesTakesZToX) {
  auto q = rot::quat_from_axis_angle(vec(0, 1, 0), torch::tensor(M_PI / 2, torch::kDouble));
  EXPECT_LT(max_abs_diff(rot::qrot(q, vec(0, 0, 1)), vec(1, 0, 0)), 1e-12);
  EXPECT_LT(max_abs_diff(rot::qrot(q, vec(1, 0, 0)), vec(0, 0, -1)), 1e-12);
}

TEST(Quaternion, ProductComposesRotations) {
  auto qx = rot::quat_from_axis_angle(vec(1, 0, 0), torch::tensor(M_PI / 2, torch::kDouble));
  auto qz = rot::quat_from_axis_angle(vec(0, 0, 1), torch::tensor(M_PI / 2, torch::kDouble));
  auto v = vec(0, 1, 0);
  // (qz * qx) v = qz (qx v): qx takes Y to Z, qz leaves Z.
  EXPECT_LT(max_abs_diff(rot::qrot(rot::qmul(qz, qx), v), rot::qrot(qz, rot::qrot(qx, v))), 1e-12);
  EXPECT_LT(max_abs_diff(rot::qrot(rot::qmul(qz, qx), v), vec(0, 0, 1)), 1e-12);
}

TEST(Quaternion, InverseUndoes) {
  auto q = random_quats(50);
  auto v = torch::randn({50, 3}, torch::kDouble);
  EXPECT_LT(max_abs_diff(rot::qrot(rot::qinv(q), rot::qrot(q, v)), v), 1e-12);
}

TEST(Quaternion, BetweenTakesFirstDirectionOntoSecond) {
  torch::manual_seed(1);
  auto a = torch::randn({100, 3}, torch::kDouble);
  auto b = torch::randn({100, 3}, torch::kDouble);
  auto q = rot::qbetween(a, b);
  auto ra = rot::qrot(q, a / a.norm(2, -1, true));
  EXPECT_LT(max_abs_diff(ra, b / b.norm(2, -1, true)), 1e-10);
}

TEST(Quaternion, MatrixRoundTripAndKnownMatrix) {
  auto q = random_quats(200);
  auto back = rot::matrix_to_quat(rot::quat_to_matrix(q));
  // q and -q are the same rotation.
  auto sign = torch::sign((back * q).sum(-1, true));
  EXPECT_LT(max_abs_diff(back * sign, q), 1e-10);
  auto qz = rot::quat_from_axis_angle(vec(0, 0, 1), torch::tensor(M_PI / 2, torch::kDouble));
  auto expected = torch::tensor({0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0}, torch::kDouble).view({3, 3});
  EXPECT_LT(max_abs_diff(rot::quat_to_matrix(qz), expected), 1e-12);
}

TEST(Quaternion, Cont6dIsFirstTwoColumnsAndRoundTrips) {
  auto q = random_quats(100);
  auto m = rot::quat_to_matrix(q);
  auto c6 = rot::quat_to_cont6d(q);
  EXPECT_LT(max_abs_diff(c6.slice(-1, 0, 3), m.select(-1, 0)), 1e-12);
  EXPECT_LT(max_abs_diff(c6.slice(-1, 3, 6), m.select(-1, 1)), 1e-12);
  EXPECT_LT(max_abs_diff(rot::cont6d_to_matrix(c6), m), 1e-10);
  // Gram-Schmidt makes any non-degenerate 6-D vector a rotation.
  auto r = rot::cont6d_to_matrix(torch::randn({10, 6}, torch::kDouble));
  auto eye = torch::eye(3, torch::kDouble).expand({10, 3, 3});
  EXPECT_LT(max_abs_diff(torch::matmul(r, r.transpose(-1, -2)), eye), 1e-10);
  EXPECT_LT(max_abs_diff(torch::linalg_det(r), torch::ones({10}, torch::kDouble)), 1e-10);
}

TEST(Quaternion, EulerKnownValuesAndAllOrdersRoundTrip) {
  // BVH "Zrotation Xrotation Yrotation" 90 0 0 = rotation about Z by 90 degrees.
  auto q = rot::euler_to_quat(torch::tensor({90.0, 0.0, 0.0}, torch::kDouble), "ZXY");
  EXPECT_LT(max_abs_diff(rot::qrot(q, vec(1, 0, 0)), vec(0, 1, 0)), 1e-12);
  // Intrinsic order: ZX with (90, 90): Rz(90) Rx(90) applied to Y: Rx takes Y to Z; Rz keeps Z.
  auto q2 = rot::euler_to_quat(torch::tensor({90.0, 90.0, 0.0}, torch::kDouble), "ZXY");
  EXPECT_LT(max_abs_diff(rot::qrot(q2, vec(0, 1, 0)), vec(0, 0, 1)), 1e-12);
  torch::manual_seed(5);
  auto angles = (torch::rand({100, 3}, torch::kDouble) - 0.5) * torch::tensor({340.0, 170.0, 340.0}, torch::kDouble);
  for (std::string order : {"XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX"}) {
    auto m = rot::quat_to_matrix(rot::euler_to_quat(angles, order));
    auto back = rot::matrix_to_euler(m, order);
    EXPECT_LT(max_abs_diff(back, angles), 1e-8) << order;
  }
}

TEST(Quaternion, BadEulerOrderIsAnError) {
  auto a = torch::zeros({3}, torch::kDouble);
  EXPECT_THROW(rot::euler_to_quat(a, "XXY"), Error);
  EXPECT_THROW(rot::euler_to_quat(a, "XQ"), Error);
}
