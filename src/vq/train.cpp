#include "vq/train.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "common/archive.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/runtime.hpp"
#include "data/motion_dataset.hpp"
#include "vq/checkpoint.hpp"

namespace mogo {

namespace fs = std::filesystem;

namespace {

// Linear warm-up to lr, then cosine decay to lr/10 at the last step.
double learning_rate(const VQTrainConfig& t, int64_t step) {
  if (step < t.warmup_steps) return t.lr * (step + 1) / static_cast<double>(t.warmup_steps);
  double p = static_cast<double>(step - t.warmup_steps) / std::max<int64_t>(1, t.steps - t.warmup_steps);
  return t.lr * (0.1 + 0.9 * 0.5 * (1 + std::cos(M_PI * std::min(1.0, p))));
}

void set_lr(torch::optim::AdamW& opt, double lr) {
  for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
}

// Keeps the log lines up to `step` (a resumed run rewrites what the killed run logged after
// its last checkpoint).
void truncate_log(const std::string& path, int64_t step) {
  if (!fs::exists(path)) return;
  std::istringstream in(read_file(path));
  std::string line, kept;
  bool header = true;
  while (std::getline(in, line)) {
    if (header || std::stoll(line.substr(0, line.find(','))) <= step) kept += line + "\n";
    header = false;
  }
  write_file_atomically(path, kept);
}

struct Meter {
  double loss = 0, rec = 0, vel = 0, commit = 0;
  std::vector<double> perplexity;
  std::vector<torch::Tensor> used;  // per layer: codes used in this interval
  int64_t n = 0;
};

}  // namespace

int64_t train_vq(VQTrainOptions o) {
  torch::Device device = pick_device(o.device);
  MotionDataset data(o.data_dir, "train", o.train.window);
  fs::create_directories(o.out_dir);
  const std::string ckpt_path = (fs::path(o.out_dir) / "checkpoint.pt").string();
  const std::string model_path = (fs::path(o.out_dir) / "model.pt").string();
  const std::string log_path = (fs::path(o.out_dir) / "train_log.csv").string();
  std::string skeleton_json;
  if (fs::exists(fs::path(o.data_dir) / "skeleton.json")) skeleton_json = read_file((fs::path(o.data_dir) / "skeleton.json").string());

  VQCheckpoint ck;
  if (o.resume && fs::exists(ckpt_path)) {
    ck = load_vq_checkpoint(ckpt_path, device);
    ck.train.steps = o.train.steps;  // allow extending a finished run
  } else {
    require(!o.resume || !fs::exists(ckpt_path), "internal");
    ck.config = VQConfig::preset(o.preset, data.dim());
    ck.train = o.train;
    torch::manual_seed(o.train.seed);  // deterministic initial weights
    ck.model = RVQVAE(ck.config);
    ck.model->to(device);
    ck.mean = data.mean();
    ck.std = data.std();
    ck.skeleton_json = skeleton_json;
    if (fs::exists(log_path)) fs::remove(log_path);
  }
  require(ck.config.input_dim == data.dim(), ckpt_path + ": model expects " + std::to_string(ck.config.input_dim) +
                                                 "-d features, dataset has " + std::to_string(data.dim()));
  const VQTrainConfig& t = ck.train;
  torch::optim::AdamW opt(ck.model->parameters(), torch::optim::AdamWOptions(t.lr).betas({0.9, 0.99}).weight_decay(t.weight_decay));
  if (o.resume && fs::exists(ckpt_path)) {
    load_optimizer_state(ckpt_path, opt);
    truncate_log(log_path, ck.step);
    if (!o.quiet) std::fprintf(stderr, "train-vq: resuming from step %lld\n", (long long)ck.step);
  }
  if (!fs::exists(log_path)) {
    std::string header = "step,lr,loss,rec,vel,commit,frames_per_s";
    for (int64_t q = 0; q < ck.config.num_quantizers; ++q) header += ",perplexity_" + std::to_string(q);
    for (int64_t q = 0; q < ck.config.num_quantizers; ++q) header += ",dead_" + std::to_string(q);
    write_file_atomically(log_path, header + "\n");
  }

  ck.model->train();
  Meter m;
  const int64_t Q = ck.config.num_quantizers;
  m.perplexity.assign(Q, 0);
  for (int64_t q = 0; q < Q; ++q) m.used.push_back(torch::zeros({ck.config.codebook_size}, torch::kBool));
  auto t_interval = std::chrono::steady_clock::now();
  while (ck.step < t.steps) {
    const int64_t step = ck.step;
    // Everything random in this step derives from (seed, step): resuming reproduces it exactly.
    std::mt19937_64 rng(t.seed * 1000003ULL + static_cast<uint64_t>(step));
    torch::manual_seed(t.seed + static_cast<uint64_t>(step) * 7919ULL);
    auto x = data.sample_windows(t.batch_size, t.window, rng).to(device);
    set_lr(opt, learning_rate(t, step));
    auto out = ck.model->forward(x);
    auto rec = torch::smooth_l1_loss(out.reconstruction, x);
    auto vel = torch::smooth_l1_loss(out.reconstruction.diff(1, 1), x.diff(1, 1));
    auto loss = rec + ck.config.vel_weight * vel + ck.config.commit_beta * out.rvq.commit_loss;
    opt.zero_grad();
    loss.backward();
    opt.step();
    ck.step = step + 1;

    m.loss += loss.item<double>();
    m.rec += rec.item<double>();
    m.vel += vel.item<double>();
    m.commit += out.rvq.commit_loss.item<double>();
    for (int64_t q = 0; q < out.rvq.active_layers; ++q) {
      m.perplexity[q] += out.rvq.perplexity[q];
      auto idx = out.rvq.indices.select(1, q).flatten().to(torch::kCPU);
      m.used[q].index_put_({idx}, true);
    }
    ++m.n;
    if (ck.step % t.log_every == 0 || ck.step == t.steps) {
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_interval).count();
      double fps = m.n * t.batch_size * t.window / std::max(secs, 1e-9);
      char buf[256];
      std::snprintf(buf, sizeof buf, "%lld,%.6g,%.6g,%.6g,%.6g,%.6g,%.1f", (long long)ck.step, learning_rate(t, step),
                    m.loss / m.n, m.rec / m.n, m.vel / m.n, m.commit / m.n, fps);
      std::string line = buf;
      std::string dead_summary;
      for (int64_t q = 0; q < Q; ++q) line += "," + std::to_string(m.perplexity[q] / m.n);
      for (int64_t q = 0; q < Q; ++q) {
        int64_t dead = ck.config.codebook_size - m.used[q].sum().item<int64_t>();
        line += "," + std::to_string(dead);
        dead_summary += (q ? "/" : "") + std::to_string(dead);
      }
      {
        std::ofstream log(log_path, std::ios::app);
        log << line << "\n";
      }
      if (!o.quiet)
        std::fprintf(stderr, "train-vq step %lld/%lld  loss %.4f  rec %.4f  commit %.4f  ppl[0] %.1f  unused %s  %.0f frames/s\n",
                     (long long)ck.step, (long long)t.steps, m.loss / m.n, m.rec / m.n, m.commit / m.n,
                     m.perplexity[0] / m.n, dead_summary.c_str(), fps);
      m = Meter();
      m.perplexity.assign(Q, 0);
      for (int64_t q = 0; q < Q; ++q) m.used.push_back(torch::zeros({ck.config.codebook_size}, torch::kBool));
      t_interval = std::chrono::steady_clock::now();
    }
    bool stop = o.stop_after > 0 && ck.step >= o.stop_after;
    if (ck.step % t.checkpoint_every == 0 || ck.step == t.steps || stop) save_vq_checkpoint(ckpt_path, ck, &opt);
    if (stop) break;
    if (o.step_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(o.step_delay_ms));
  }
  if (ck.step >= t.steps) save_vq_checkpoint(model_path, ck, nullptr);
  return ck.step;
}

}  // namespace mogo
