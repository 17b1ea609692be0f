#include "data/motion_dataset.hpp"

#include <cmath>
#include <filesystem>

#include "common/archive.hpp"
#include "common/error.hpp"
#include "data/split.hpp"
#include "motion/npy.hpp"

namespace mogo {

namespace fs = std::filesystem;

MotionDataset::MotionDataset(const std::string& dir, const std::string& split, int64_t min_frames, int64_t limit)
    : dir_(dir) {
  fs::path d(dir);
  mean_ = npy::load((d / "Mean.npy").string()).to(torch::kFloat);
  std_ = npy::load((d / "Std.npy").string()).to(torch::kFloat);
  require(mean_.dim() == 1 && std_.sizes() == mean_.sizes(), dir + ": Mean.npy and Std.npy must be 1-D of equal size");
  require(torch::isfinite(mean_).all().item<bool>() && torch::isfinite(std_).all().item<bool>(),
          dir + ": Mean.npy or Std.npy holds NaN or infinite values");
  require((std_ > 0).all().item<bool>(), dir + "/Std.npy: has non-positive entries");
  if (fs::exists(d / "prepare_report.json")) {
    fps_ = load_json_file((d / "prepare_report.json").string()).value("fps", kHumanML3DFps);
    require(std::isfinite(fps_) && fps_ > 0, dir + "/prepare_report.json: 'fps' must be a positive number");
  }
  for (const auto& id : read_split((d / (split + ".txt")).string())) {
    if (limit > 0 && static_cast<int64_t>(clips_.size()) >= limit) break;
    auto path = (d / "new_joint_vecs" / (id + ".npy")).string();
    auto f = npy::load(path).to(torch::kFloat);
    require(f.dim() == 2 && f.size(1) == mean_.size(0),
            path + ": expected [T," + std::to_string(mean_.size(0)) + "], got " + c10::str(f.sizes()));
    // One NaN would make every metric of a report NaN (eval-vq), or a training loss.
    require(torch::isfinite(f).all().item<bool>(), path + ": features hold NaN or infinite values");
    if (f.size(0) < min_frames) continue;
    MotionClip c;
    c.id = id;
    c.features = normalise(f);
    auto tpath = d / "texts" / (id + ".txt");
    if (fs::exists(tpath)) c.captions = load_captions(tpath.string());
    clips_.push_back(std::move(c));
  }
  require(!clips_.empty(), dir + ": split '" + split + "' has no clip with at least " + std::to_string(min_frames) + " frames");
}

void MotionDataset::renormalise(const torch::Tensor& mean, const torch::Tensor& std) {
  require(mean.dim() == 1 && mean.size(0) == dim() && std.sizes() == mean.sizes(),
          dir_ + ": model statistics are " + c10::str(mean.sizes()) + ", the dataset's features are " + std::to_string(dim()) + "-d");
  auto m = mean.to(torch::kCPU, torch::kFloat), s = std.to(torch::kCPU, torch::kFloat);
  for (auto& c : clips_) c.features = (denormalise(c.features) - m) / s;
  mean_ = m;
  std_ = s;
}

int64_t MotionDataset::total_frames() const {
  int64_t n = 0;
  for (const auto& c : clips_) n += c.features.size(0);
  return n;
}

torch::Tensor MotionDataset::sample_windows(int64_t batch, int64_t window, std::mt19937_64& rng) const {
  std::vector<double> weights;
  for (const auto& c : clips_) weights.push_back(static_cast<double>(std::max<int64_t>(0, c.features.size(0) - window + 1)));
  double total = 0;
  for (double w : weights) total += w;
  require(total > 0, dir_ + ": no clip has " + std::to_string(window) + " frames for a training window");
  std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
  std::vector<torch::Tensor> out;
  for (int64_t b = 0; b < batch; ++b) {
    const auto& c = clips_[pick(rng)];
    std::uniform_int_distribution<int64_t> start(0, c.features.size(0) - window);
    out.push_back(c.features.narrow(0, start(rng), window));
  }
  return torch::stack(out, 0);
}

}  // namespace mogo
