#include "vq/evaluate.hpp"

#include <cmath>
#include <cstdio>

#include "motion/feature_layout.hpp"
#include "motion/features.hpp"

namespace mogo {

VQReport evaluate_vq(RVQVAEImpl& model, const MotionDataset& data, torch::Device device) {
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
    auto gt = recover_from_ric(data.denormalise(clip.features), J);  // [T,J,3]
    for (int64_t q = 0; q < Q; ++q) {
      counts[q] += torch::bincount(tokens.select(1, q).flatten().to(torch::kCPU), {}, K);
      auto rec = model.decode(tokens, q + 1, T).squeeze(0).to(torch::kCPU);  // [T,D]
      auto joints = recover_from_ric(data.denormalise(rec), J);
      err_mm[q] += (joints - gt).norm(2, -1).sum().item<double>() * 1000.0;
      auto rel = (joints - joints.narrow(1, 0, 1)) - (gt - gt.narrow(1, 0, 1));
      rel_mm[q] += rel.norm(2, -1).sum().item<double>() * 1000.0;
      l1[q] += (rec - clip.features).abs().mean(1).sum().item<double>();
      mse[q] += (rec - clip.features).pow(2).mean(1).sum().item<double>();
    }
    r.clips += 1;
    r.frames += T;
    joint_frames += T * J;
  }
  for (int64_t q = 0; q < Q; ++q) {
    r.by_layers.push_back({q + 1, err_mm[q] / joint_frames, rel_mm[q] / joint_frames, l1[q] / r.frames, mse[q] / r.frames});
    auto p = counts[q].to(torch::kDouble) / counts[q].sum().item<double>();
    r.perplexity.push_back(std::exp(-(p * torch::log(p + 1e-12)).sum().item<double>()));
    r.usage.push_back((counts[q] > 0).sum().item<double>() / K);
  }
  return r;
}

nlohmann::json VQReport::to_json() const {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : by_layers)
    layers.push_back({{"layers", l.layers}, {"mpjpe_mm", l.mpjpe_mm}, {"root_relative_mpjpe_mm", l.root_relative_mm},
                      {"feature_l1", l.feature_l1}, {"feature_mse", l.feature_mse}});
  return {{"clips", clips}, {"frames", frames}, {"by_layers", layers}, {"perplexity", perplexity}, {"codebook_usage", usage}};
}

std::string VQReport::table() const {
  std::string s = "layers  MPJPE (mm)  root-relative (mm)  feature L1  feature MSE\n";
  char buf[128];
  for (const auto& l : by_layers) {
    std::snprintf(buf, sizeof buf, "%6lld  %10.2f  %18.2f  %10.4f  %11.4f\n", (long long)l.layers, l.mpjpe_mm,
                  l.root_relative_mm, l.feature_l1, l.feature_mse);
    s += buf;
  }
  s += "layer  perplexity  codes used\n";
  for (size_t q = 0; q < perplexity.size(); ++q) {
    std::snprintf(buf, sizeof buf, "%5zu  %10.1f  %9.1f%%\n", q, perplexity[q], usage[q] * 100);
    s += buf;
  }
  return s;
}

}  // namespace mogo
