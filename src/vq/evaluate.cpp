#include "vq/evaluate.hpp"

#include <cmath>
#include <algorithm>
#include <cstdio>

#include "motion/feature_layout.hpp"
#include "motion/features.hpp"

namespace mogo {

namespace {

// Per-joint position error summed over frames and joints, in mm.
double error_sum_mm(const torch::Tensor& joints, const torch::Tensor& gt) { return (joints - gt).norm(2, -1).sum().item<double>() * 1000.0; }

// rec with the ground truth's channels [begin, begin + size) (raw features [T,D]).
torch::Tensor with_true(const torch::Tensor& rec, const torch::Tensor& gt, int64_t begin, int64_t size) {
  auto r = rec.clone();
  r.narrow(1, begin, size).copy_(gt.narrow(1, begin, size));
  return r;
}

// rec_error_mm: the reconstruction's own error sum (already computed by the caller).
void add_drift(RootDrift& d, double rec_error_mm, const torch::Tensor& rec_raw, const torch::Tensor& gt_raw, const torch::Tensor& gt,
               int64_t J) {
  const FeatureLayout L(J);
  const auto rot = L.root_rot_velocity(), vel = L.root_linear_velocity(), height = L.root_height();
  d.mpjpe_mm += rec_error_mm;
  d.true_rotation_mm += error_sum_mm(recover_from_ric(with_true(rec_raw, gt_raw, rot.begin, rot.size), J), gt);
  d.true_velocity_mm += error_sum_mm(recover_from_ric(with_true(rec_raw, gt_raw, vel.begin, vel.size), J), gt);
  d.true_height_mm += error_sum_mm(recover_from_ric(with_true(rec_raw, gt_raw, height.begin, height.size), J), gt);
  d.true_root_mm += error_sum_mm(recover_from_ric(with_true(rec_raw, gt_raw, 0, height.end()), J), gt);
}

FootMetrics feet_of(const torch::Tensor& joints, const torch::Tensor& raw, int64_t J, const Skeleton& skel) {
  const auto c = FeatureLayout(J).foot_contacts();
  return foot_metrics(joints, raw.narrow(1, c.begin, c.size), skel);
}

}  // namespace

VQReport evaluate_vq(RVQVAEImpl& model, const MotionDataset& data, torch::Device device, const Skeleton* skeleton) {
  torch::NoGradGuard no_grad;
  const int64_t Q = model.cfg.num_quantizers, K = model.cfg.codebook_size;
  const int64_t J = FeatureLayout::joints_for_dim(model.cfg.input_dim);
  VQReport r;
  std::vector<double> err_mm(Q, 0), rel_mm(Q, 0), l1(Q, 0), mse(Q, 0);
  std::vector<torch::Tensor> counts;  // one tensor per layer (not Q handles to one tensor)
  for (int64_t q = 0; q < Q; ++q) counts.push_back(torch::zeros({K}, torch::kLong));
  int64_t joint_frames = 0;
  for (const auto& clip : data.clips()) {
    auto x = clip.features.unsqueeze(0).to(device);  // [1,T,D]
    const int64_t T = x.size(1);
    auto tokens = model.encode(x);                    // [1,Q,T/4]
    const auto gt_raw = data.denormalise(clip.features);
    auto gt = recover_from_ric(gt_raw, J);  // [T,J,3]
    if (skeleton) r.feet_ground_truth += feet_of(gt, gt_raw, J, *skeleton);
    for (int64_t q = 0; q < Q; ++q) {
      counts[q] += torch::bincount(tokens.select(1, q).flatten().to(torch::kCPU), {}, K);
      auto rec = model.decode(tokens, q + 1, T).squeeze(0).to(torch::kCPU);  // [T,D]
      const auto rec_raw = data.denormalise(rec);
      auto joints = recover_from_ric(rec_raw, J);
      const double error = error_sum_mm(joints, gt);
      err_mm[q] += error;
      if (q == Q - 1) {
        add_drift(r.drift, error, rec_raw, gt_raw, gt, J);
        if (skeleton) r.feet_reconstructed += feet_of(joints, rec_raw, J, *skeleton);
      }
      auto rel = (joints - joints.narrow(1, 0, 1)) - (gt - gt.narrow(1, 0, 1));
      rel_mm[q] += rel.norm(2, -1).sum().item<double>() * 1000.0;
      l1[q] += (rec - clip.features).abs().mean(1).sum().item<double>();
      mse[q] += (rec - clip.features).pow(2).mean(1).sum().item<double>();
    }
    r.clips += 1;
    r.frames += T;
    joint_frames += T * J;
  }
  for (double* v : {&r.drift.mpjpe_mm, &r.drift.true_rotation_mm, &r.drift.true_velocity_mm, &r.drift.true_height_mm, &r.drift.true_root_mm})
    *v /= std::max<int64_t>(1, joint_frames);
  for (int64_t q = 0; q < Q; ++q) {
    r.by_layers.push_back({q + 1, err_mm[q] / joint_frames, rel_mm[q] / joint_frames, l1[q] / r.frames, mse[q] / r.frames});
    r.perplexity.push_back(perplexity_of_counts(counts[q]));
    r.usage.push_back((counts[q] > 0).sum().item<double>() / K);
  }
  return r;
}

nlohmann::json VQReport::to_json() const {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : by_layers)
    layers.push_back({{"layers", l.layers}, {"mpjpe_mm", l.mpjpe_mm}, {"root_relative_mpjpe_mm", l.root_relative_mm},
                      {"feature_l1", l.feature_l1}, {"feature_mse", l.feature_mse}});
  return {{"clips", clips}, {"frames", frames}, {"by_layers", layers}, {"perplexity", perplexity}, {"codebook_usage", usage},
          {"root_drift_mm", {{"reconstruction", drift.mpjpe_mm}, {"with_true_rotation", drift.true_rotation_mm},
                             {"with_true_velocity", drift.true_velocity_mm}, {"with_true_height", drift.true_height_mm},
                             {"with_true_root", drift.true_root_mm}}},
          {"feet", {{"reconstruction", foot_metrics_json(feet_reconstructed)}, {"ground_truth", foot_metrics_json(feet_ground_truth)}}}};
}

std::string VQReport::table() const {
  std::string s = "layers  MPJPE (mm)  root-relative (mm)  feature L1  feature MSE\n";
  char buf[256];
  for (const auto& l : by_layers) {
    std::snprintf(buf, sizeof buf, "%6lld  %10.2f  %18.2f  %10.4f  %11.4f\n", (long long)l.layers, l.mpjpe_mm,
                  l.root_relative_mm, l.feature_l1, l.feature_mse);
    s += buf;
  }
  std::snprintf(buf, sizeof buf, "root drift (all layers): MPJPE %.1f mm; with the true root rotation %.1f, velocity %.1f, height %.1f, all %.1f\n",
                drift.mpjpe_mm, drift.true_rotation_mm, drift.true_velocity_mm, drift.true_height_mm, drift.true_root_mm);
  s += buf;
  if (feet_ground_truth.frames > 0) {
    for (auto [name, f] : {std::pair<const char*, const FootMetrics*>{"reconstruction", &feet_reconstructed}, {"ground truth", &feet_ground_truth}}) {
      std::snprintf(buf, sizeof buf,
                    "feet, %-14s: sliding %.3f m/s while in contact (%.1f%% over %.1f m/s), below the floor %.1f mm (%.1f%% of frames "
                    "over 1 cm), floating %.1f%% of contact frames\n",
                    name, f->sliding_speed(), 100 * f->skating_ratio(), FootMetrics::kSkatingSpeed, 1000 * f->penetration_depth(),
                    100 * f->penetration_ratio(), 100 * f->floating_ratio());
      s += buf;
    }
  }
  s += "layer  perplexity  codes used\n";
  for (size_t q = 0; q < perplexity.size(); ++q) {
    std::snprintf(buf, sizeof buf, "%5zu  %10.1f  %9.1f%%\n", q, perplexity[q], usage[q] * 100);
    s += buf;
  }
  return s;
}

}  // namespace mogo
