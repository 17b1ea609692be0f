#include "motion/quaternion.hpp"

#include <cmath>

#include "common/error.hpp"

namespace mogo::rot {

using torch::indexing::Ellipsis;
using torch::indexing::Slice;

namespace {

torch::Tensor comp(const torch::Tensor& t, int64_t i) { return t.select(-1, i); }

int axis_index(char c) {
  switch (c) {
    case 'X': case 'x': return 0;
    case 'Y': case 'y': return 1;
    case 'Z': case 'z': return 2;
  }
  throw Error(std::string("rotation axis '") + c + "' is not X, Y or Z");
}

void check_order(const std::string& order) {
  require(order.size() == 3, "rotation order '" + order + "' must name three axes");
  int a = axis_index(order[0]), b = axis_index(order[1]), c = axis_index(order[2]);
  require(a != b && b != c && a != c, "rotation order '" + order + "' must use X, Y and Z once each");
}

}  // namespace

torch::Tensor cross3(const torch::Tensor& a, const torch::Tensor& b) {
  auto a0 = comp(a, 0), a1 = comp(a, 1), a2 = comp(a, 2);
  auto b0 = comp(b, 0), b1 = comp(b, 1), b2 = comp(b, 2);
  return torch::stack({a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0}, -1);
}

torch::Tensor qmul(const torch::Tensor& q, const torch::Tensor& r) {
  auto w1 = comp(q, 0), x1 = comp(q, 1), y1 = comp(q, 2), z1 = comp(q, 3);
  auto w2 = comp(r, 0), x2 = comp(r, 1), y2 = comp(r, 2), z2 = comp(r, 3);
  return torch::stack({w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
                       w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
                       w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
                       w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2}, -1);
}

torch::Tensor qinv(const torch::Tensor& q) {
  return q * torch::tensor({1.0, -1.0, -1.0, -1.0}, q.options());
}

torch::Tensor qnormalize(const torch::Tensor& q) { return q / q.norm(2, -1, true); }

// v' = v + 2 w (u x v) + 2 u x (u x v), u = vector part. Broadcasts q against v.
torch::Tensor qrot(const torch::Tensor& q, const torch::Tensor& v) {
  auto u = q.index({Ellipsis, Slice(1, 4)});
  auto w = q.index({Ellipsis, Slice(0, 1)});
  auto uv = cross3(u, v);
  return v + 2 * (w * uv + cross3(u, uv));
}

// q = normalize([|v0||v1| + v0.v1, v0 x v1]).
torch::Tensor qbetween(const torch::Tensor& v0, const torch::Tensor& v1) {
  auto v = cross3(v0, v1);
  auto w = torch::sqrt((v0 * v0).sum(-1, true) * (v1 * v1).sum(-1, true)) + (v0 * v1).sum(-1, true);
  return qnormalize(torch::cat({w, v}, -1));
}

torch::Tensor qidentity(at::IntArrayRef batch, const torch::TensorOptions& opts) {
  auto shape = batch.vec();
  shape.push_back(4);
  auto q = torch::zeros(shape, opts);
  q.select(-1, 0).fill_(1.0);
  return q;
}

torch::Tensor qpow(const torch::Tensor& q_in, double t) {
  // The short way: w >= 0. Then q = (cos h, sin h n) with h in [0, pi/2], and q^t = (cos th, sin th n).
  auto q = torch::where(q_in.narrow(-1, 0, 1) < 0, -q_in, q_in);
  auto v = q.narrow(-1, 1, 3);
  auto s = v.norm(2, -1, true);
  auto half = torch::atan2(s, q.narrow(-1, 0, 1));
  auto n = v / s.clamp_min(1e-12);
  return torch::cat({torch::cos(half * t), n * torch::sin(half * t)}, -1);
}

torch::Tensor kabsch(const torch::Tensor& a, const torch::Tensor& b) {
  auto H = torch::matmul(a.t().unsqueeze(0), b);  // [T,3,3] = sum_k a_k b_k^T
  auto svd = torch::linalg_svd(H, /*full_matrices=*/false);
  auto U = std::get<0>(svd), Vh = std::get<2>(svd);
  auto V = Vh.transpose(-2, -1);
  auto d = torch::sign(torch::linalg_det(torch::matmul(V, U.transpose(-2, -1))));  // no reflections
  auto D = torch::diag_embed(torch::stack({torch::ones_like(d), torch::ones_like(d), d}, -1));
  return torch::matmul(torch::matmul(V, D), U.transpose(-2, -1));
}

torch::Tensor quat_from_axis_angle(const torch::Tensor& axis, const torch::Tensor& angle) {
  auto half = (angle * 0.5).unsqueeze(-1);
  return torch::cat({torch::cos(half), axis / axis.norm(2, -1, true) * torch::sin(half)}, -1);
}

torch::Tensor quat_to_matrix(const torch::Tensor& q) {
  auto w = comp(q, 0), x = comp(q, 1), y = comp(q, 2), z = comp(q, 3);
  auto two_s = 2.0 / (q * q).sum(-1);
  auto m = torch::stack({1 - two_s * (y * y + z * z), two_s * (x * y - z * w), two_s * (x * z + y * w),
                         two_s * (x * y + z * w), 1 - two_s * (x * x + z * z), two_s * (y * z - x * w),
                         two_s * (x * z - y * w), two_s * (y * z + x * w), 1 - two_s * (x * x + y * y)},
                        -1);
  auto shape = q.sizes().vec();
  shape.back() = 3;
  shape.push_back(3);
  return m.reshape(shape);
}

// Shepperd's method, branch-free: pick per element the largest of 4w^2, 4x^2, 4y^2, 4z^2.
torch::Tensor matrix_to_quat(const torch::Tensor& m) {
  auto m00 = m.index({Ellipsis, 0, 0}), m01 = m.index({Ellipsis, 0, 1}), m02 = m.index({Ellipsis, 0, 2});
  auto m10 = m.index({Ellipsis, 1, 0}), m11 = m.index({Ellipsis, 1, 1}), m12 = m.index({Ellipsis, 1, 2});
  auto m20 = m.index({Ellipsis, 2, 0}), m21 = m.index({Ellipsis, 2, 1}), m22 = m.index({Ellipsis, 2, 2});
  auto cand_w = torch::stack({1 + m00 + m11 + m22, m21 - m12, m02 - m20, m10 - m01}, -1);
  auto cand_x = torch::stack({m21 - m12, 1 + m00 - m11 - m22, m01 + m10, m02 + m20}, -1);
  auto cand_y = torch::stack({m02 - m20, m01 + m10, 1 - m00 + m11 - m22, m12 + m21}, -1);
  auto cand_z = torch::stack({m10 - m01, m02 + m20, m12 + m21, 1 - m00 - m11 + m22}, -1);
  auto cands = torch::stack({cand_w, cand_x, cand_y, cand_z}, -2);  // [...,4,4]
  auto diag = torch::stack({1 + m00 + m11 + m22, 1 + m00 - m11 - m22, 1 - m00 + m11 - m22, 1 - m00 - m11 + m22}, -1);
  auto best = diag.argmax(-1, true).unsqueeze(-1);  // [...,1,1]
  auto shape = cands.sizes().vec();
  shape[shape.size() - 2] = 1;
  auto q = cands.gather(-2, best.expand(shape)).squeeze(-2);
  q = qnormalize(q);
  // Canonical sign: w >= 0.
  return torch::where(comp(q, 0).unsqueeze(-1) < 0, -q, q);
}

torch::Tensor quat_to_cont6d(const torch::Tensor& q) {
  auto m = quat_to_matrix(q);
  return torch::cat({m.select(-1, 0), m.select(-1, 1)}, -1);
}

torch::Tensor cont6d_to_matrix(const torch::Tensor& c6) {
  auto x_raw = c6.index({Ellipsis, Slice(0, 3)});
  auto y_raw = c6.index({Ellipsis, Slice(3, 6)});
  auto x = x_raw / x_raw.norm(2, -1, true);
  auto z = cross3(x, y_raw);
  z = z / z.norm(2, -1, true);
  auto y = cross3(z, x);
  return torch::stack({x, y, z}, -1);
}

torch::Tensor cont6d_to_quat(const torch::Tensor& c6) { return matrix_to_quat(cont6d_to_matrix(c6)); }

torch::Tensor axes_to_quat(const torch::Tensor& degrees, const std::string& axes) {
  require(!axes.empty() && axes.find_first_not_of("XYZ") == std::string::npos, "rotation axes '" + axes + "' must be X, Y or Z");
  require(degrees.dim() >= 1 && degrees.size(-1) == static_cast<int64_t>(axes.size()),
          "rotation axes '" + axes + "' need " + std::to_string(axes.size()) + " angles per rotation");
  auto rad = degrees * (M_PI / 180.0);
  torch::Tensor q;
  auto axis_shape = degrees.sizes().vec();  // [...,n] -> axes [...,3]
  axis_shape.back() = 3;
  for (size_t i = 0; i < axes.size(); ++i) {
    auto axis = torch::zeros({3}, degrees.options());
    axis[axis_index(axes[i])] = 1.0;
    auto qi = quat_from_axis_angle(axis.expand(axis_shape), rad.select(-1, static_cast<int64_t>(i)));
    q = i == 0 ? qi : qmul(q, qi);
  }
  return q;
}

torch::Tensor euler_to_quat(const torch::Tensor& degrees, const std::string& order) {
  check_order(order);
  return axes_to_quat(degrees, order);
}

// For R = R_a(t0) R_b(t1) R_c(t2) with (a,b,c) a permutation of the axes: with parity sign s,
// t1 = asin(s * R[a][c]), t0 = atan2(-s * R[b][c], R[c][c]), t2 = atan2(-s * R[a][b], R[a][a]).
torch::Tensor matrix_to_euler(const torch::Tensor& m, const std::string& order) {
  check_order(order);
  int a = axis_index(order[0]), b = axis_index(order[1]), c = axis_index(order[2]);
  double s = ((b - a + 3) % 3 == 1) ? 1.0 : -1.0;  // +1 for cyclic orders (XYZ, YZX, ZXY)
  auto R = [&](int i, int j) { return m.index({Ellipsis, i, j}); };
  // cos(t1) from the two entries it scales (robust near +-90 degrees, where asin is not).
  auto cos1 = torch::sqrt(R(a, a) * R(a, a) + R(a, b) * R(a, b));
  auto t1 = torch::atan2(s * R(a, c), cos1);
  auto t0 = torch::atan2(-s * R(b, c), R(c, c));
  auto t2 = torch::atan2(-s * R(a, b), R(a, a));
  // Gimbal lock (cos t1 = 0): only t0 +- t2 is defined; take t2 = 0 and read t0 off R_1(t0) R_2(t1).
  auto locked = cos1 < 1e-9;
  t0 = torch::where(locked, torch::atan2(s * R(c, b), R(b, b)), t0);
  t2 = torch::where(locked, torch::zeros_like(t2), t2);
  return torch::stack({t0, t1, t2}, -1) * (180.0 / M_PI);
}

torch::Tensor unwrap_euler(const torch::Tensor& degrees) {
  auto out = degrees.to(torch::kDouble).contiguous().clone();
  auto a = out.accessor<double, 2>();
  auto nearest = [](double x, double ref) { return x - 360.0 * std::round((x - ref) / 360.0); };
  for (int64_t t = 1; t < out.size(0); ++t) {
    double best[3] = {a[t][0], a[t][1], a[t][2]}, best_cost = 1e300;
    const double first[3] = {a[t][0], a[t][1], a[t][2]};
    const double second[3] = {a[t][0] + 180.0, 180.0 - a[t][1], a[t][2] + 180.0};
    for (const double* cand : {first, second}) {
      double c[3], cost = 0;
      for (int k = 0; k < 3; ++k) {
        c[k] = nearest(cand[k], a[t - 1][k]);
        cost += std::abs(c[k] - a[t - 1][k]);
      }
      if (cost < best_cost) {
        best_cost = cost;
        std::copy(c, c + 3, best);
      }
    }
    for (int k = 0; k < 3; ++k) a[t][k] = best[k];
  }
  return out.to(degrees.scalar_type());
}

}  // namespace mogo::rot
