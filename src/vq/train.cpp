#include "vq/train.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "common/archive.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/runtime.hpp"
#include "data/motion_dataset.hpp"
#include "motion/features.hpp"
#include "motion/foot_metrics.hpp"
#include "train/distributed.hpp"
#include "train/optim.hpp"
#include "train/train_loop.hpp"
#include "vq/checkpoint.hpp"

namespace mogo {

namespace fs = std::filesystem;

namespace {
// Quantiser dropout for decoder-only training: with the tokenizer's probability, the first n
// layers only (n uniform in 1..Q), so that every prefix still decodes well; else all (0).
int64_t dropout_layers(const VQConfig& c, std::mt19937_64& rng) {
  if (std::uniform_real_distribution<double>(0, 1)(rng) >= c.quantize_dropout_prob) return 0;
  return std::uniform_int_distribution<int64_t>(1, c.num_quantizers)(rng);
}

// A fresh decoder-only run: the trained tokenizer's encoder, codebooks, normalisation and
// skeleton, its decoder's weights as the starting point (same shapes, in order), and the decoder
// layout and loss weights of this run.
VQCheckpoint decoder_only_start(const VQTrainOptions& o, torch::Device device) {
  VQCheckpoint from = load_vq_checkpoint(o.decoder_from, device);
  VQCheckpoint ck = from;
  ck.config.root_weight = o.root_weight;
  ck.config.foot_weight = o.foot_weight;
  ck.config.jerk_weight = o.jerk_weight;
  ck.config.decoder_lookahead = o.decoder_lookahead;
  ck.train = o.train;
  ck.train.decoder_only = true;
  ck.preset = o.preset;
  ck.step = 0;
  ck.model = RVQVAE(ck.config);
  ck.model->to(device);
  torch::NoGradGuard g;
  auto copy = [](const torch::nn::Module& src, torch::nn::Module& dst) {
    auto s = src.parameters(), d = dst.parameters();
    auto sb = src.buffers(), db = dst.buffers();
    for (size_t i = 0; i < d.size(); ++i) d[i].copy_(s[i]);
    for (size_t i = 0; i < db.size(); ++i) db[i].copy_(sb[i]);
  };
  copy(*from.model->encoder, *ck.model->encoder);
  copy(*from.model->quantizer, *ck.model->quantizer);
  copy(*from.model->decoder, *ck.model->decoder);  // the same shapes whatever the padding
  return ck;
}
}  // namespace

int64_t train_vq(VQTrainOptions o) {
  torch::Device device = distributed().device_for_rank(pick_device(o.device));
  const std::string ckpt_path = (fs::path(o.out_dir) / "checkpoint.pt").string();
  const std::string model_path = (fs::path(o.out_dir) / "model.pt").string();
  check_fresh_output(ckpt_path, o.resume);
  if (fs::exists(o.out_dir)) remove_stale_temporaries_in(o.out_dir);

  VQCheckpoint ck;
  const bool resumed = o.resume && fs::exists(ckpt_path);
  if (resumed) {
    ck = load_vq_checkpoint(ckpt_path, device);
    nlohmann::json stored = ck.train;
    if (!ck.preset.empty()) stored["preset"] = ck.preset;
    stored["mosa"] = ck.config.mosa;
    stored["root_weight"] = ck.config.root_weight;
    stored["foot_weight"] = ck.config.foot_weight;
    stored["jerk_weight"] = ck.config.jerk_weight;
    stored["decoder_lookahead"] = ck.config.decoder_lookahead;
    stored["decoder_only"] = ck.train.decoder_only;
    check_resume_plan(stored, o.request, ckpt_path);
    check_same_data(ck.data_fingerprint, o.data_dir, ckpt_path);
  }
  const VQTrainConfig plan = resumed ? ck.train : o.train;
  plan.validate();
  // The clips a window can be cut from depend on the window: the plan's, never the command line's.
  MotionDataset data(o.data_dir, "train", plan.window);
  fs::create_directories(o.out_dir);
  if (!resumed && !o.decoder_from.empty()) {
    ck = decoder_only_start(o, device);
    require(torch::allclose(ck.mean, data.mean()) && torch::allclose(ck.std, data.std()),
            o.decoder_from + ": its normalisation differs from " + o.data_dir + "'s Mean.npy / Std.npy; train the decoder on the same data");
  } else if (!resumed) {
    ck.config = VQConfig::preset(o.preset, data.dim());
    ck.config.mosa = o.mosa;
    ck.config.root_weight = o.root_weight;
    ck.config.foot_weight = o.foot_weight;
    ck.config.jerk_weight = o.jerk_weight;
    ck.config.decoder_lookahead = o.decoder_lookahead;
    ck.train = o.train;
    ck.preset = o.preset;
    torch::manual_seed(o.train.seed);  // deterministic initial weights
    ck.model = RVQVAE(ck.config);
    ck.model->to(device);
    ck.mean = data.mean();
    ck.std = data.std();
    const auto skeleton = fs::path(o.data_dir) / "skeleton.json";
    if (fs::exists(skeleton)) ck.skeleton_json = read_file(skeleton.string());
  }
  if (!resumed) ck.data_fingerprint = data_fingerprint(o.data_dir);
  require(ck.config.input_dim == data.dim(), ckpt_path + ": model expects " + std::to_string(ck.config.input_dim) +
                                                 "-d features, dataset has " + std::to_string(data.dim()));
  std::optional<Skeleton> skeleton;  // the foot joints of the foot-contact loss, the joints of the jerk loss
  if (ck.config.foot_weight > 0 || ck.config.jerk_weight > 0) {
    require(!ck.skeleton_json.empty(), "--foot-weight and --jerk-weight need the dataset's skeleton.json (written by mogo prepare) to find the joints");
    skeleton = Skeleton::from_json(nlohmann::json::parse(ck.skeleton_json), "dataset skeleton");
  }
  const VQTrainConfig& t = ck.train;
  const auto trained = t.decoder_only ? ck.model->decoder->parameters() : ck.model->parameters();
  torch::optim::AdamW opt(trained, torch::optim::AdamWOptions(t.lr).betas({0.9, 0.99}).weight_decay(t.weight_decay));
  if (resumed) load_optimizer_state(ckpt_path, opt);

  const int64_t Q = ck.config.num_quantizers;
  std::vector<std::string> metrics = {"loss", "rec", "vel", "commit", "root_m", "foot_mps", "jerk_m"}, interval;
  for (int64_t q = 0; q < Q && ck.config.mosa; ++q) interval.push_back("scale_" + std::to_string(q));
  for (int64_t q = 0; q < Q; ++q) metrics.push_back("perplexity_" + std::to_string(q));
  for (int64_t q = 0; q < Q; ++q) interval.push_back("dead_" + std::to_string(q));
  auto lo = loop_options("train-vq", o.out_dir, {t.steps, t.warmup_steps, t.lr, 0.1}, t.log_every, t.checkpoint_every, "frames");
  lo.stop_after = o.stop_after;
  lo.quiet = o.quiet;
  lo.step_delay_ms = o.step_delay_ms;
  lo.kill_after_step = o.kill_after_step;
  TrainLoop loop(lo, metrics, interval);

  ck.model->train();
  const auto mean = ck.mean.to(device), std_dev = ck.std.to(device);
  Distributed& dist = distributed();
  dist.shard(t.batch_size, "train-vq --batch");
  if (dist.active()) ck.model->quantizer->gather_rows = [&dist](const torch::Tensor& rows) { return dist.all_gather(rows); };
  // Codes used in the current log interval, per layer: unused ones are "dead".
  std::vector<torch::Tensor> used(Q);
  auto reset_used = [&] {
    for (auto& u : used) u = torch::zeros({ck.config.codebook_size}, torch::kBool);
  };
  reset_used();
  TrainHooks hooks;
  hooks.step = [&](int64_t step, double lr) {
    std::mt19937_64 rng(TrainLoop::step_seed(t.seed, step, 0));
    torch::manual_seed(TrainLoop::step_seed(t.seed, step, 1));
    // Every rank draws the same global batch and trains on its shard of it.
    auto x = dist.shard_of(data.sample_windows(t.batch_size, t.window, rng), "train-vq --batch").to(device);
    set_learning_rate(opt, lr);
    auto out = t.decoder_only ? ck.model->reconstruct_from_codes(x, dropout_layers(ck.config, rng)) : ck.model->forward(x);
    auto rec = torch::smooth_l1_loss(out.reconstruction, x);
    auto vel = torch::smooth_l1_loss(out.reconstruction.diff(1, 1), x.diff(1, 1));
    auto loss = rec + ck.config.vel_weight * vel + ck.config.commit_beta * out.rvq.commit_loss;
    // Root trajectory over the window, integrated from the (denormalised) root channels, in metres.
    auto raw = [&](const torch::Tensor& f) { return f * std_dev + mean; };
    auto root = torch::zeros({}, x.options());
    if (ck.config.root_weight > 0) {
      root = torch::l1_loss(recover_root_positions(raw(out.reconstruction)), recover_root_positions(raw(x))).to(x.scalar_type());
      loss = loss + ck.config.root_weight * root;
    }
    // Feet planted in the input stay planted: their speed in the reconstruction's joints, where
    // the input's contact label is on.
    auto foot = torch::zeros({}, x.options());
    if (skeleton && ck.config.foot_weight > 0) {
      const auto contacts = skeleton->layout().foot_contacts();
      auto feet = recover_joints(raw(out.reconstruction), skeleton->num_joints(), foot_joints(*skeleton));
      foot = contact_sliding_loss(feet, raw(x).narrow(2, contacts.begin, contacts.size)).to(x.scalar_type());
      loss = loss + ck.config.foot_weight * foot;
    }
    // Jerk: d^3/dt^3 of every joint's world position (frames as the time unit), against the input's.
    auto jerk = torch::zeros({}, x.options());
    if (skeleton && ck.config.jerk_weight > 0) {
      const int64_t J = skeleton->num_joints();
      jerk = torch::l1_loss(joint_jerk(raw(out.reconstruction), J), joint_jerk(raw(x), J)).to(x.scalar_type());
      loss = loss + ck.config.jerk_weight * jerk;
    }
    opt.zero_grad();
    loss.backward();
    dist.reduce_gradients(trained, Distributed::Reduce::mean);  // mean of shard means = global mean
    StepStats s;
    s.grad_norm = gradient_norm(trained);
    step_if_finite(opt, loss.item<double>(), s.grad_norm);
    ck.step = step + 1;
    s.values = {loss.item<double>(), rec.item<double>(), vel.item<double>(), out.rvq.commit_loss.item<double>(), root.item<double>(),
                foot.item<double>(), jerk.item<double>()};
    for (int64_t q = 0; q < Q; ++q) {
      s.values.push_back(q < out.rvq.active_layers ? out.rvq.perplexity[q] : 0.0);
      if (q < out.rvq.active_layers) used[q].index_put_({out.rvq.indices.select(1, q).flatten().to(torch::kCPU)}, true);
    }
    // The log shows the whole batch: the mean of the ranks' shard means.
    dist.all_reduce_sum(s.values);
    for (auto& v : s.values) v /= dist.world_size();
    s.items = static_cast<double>(t.batch_size * t.window);
    return s;
  };
  hooks.interval = [&] {
    std::vector<double> dead;
    for (int64_t q = 0; q < Q && ck.config.mosa; ++q) dead.push_back(ck.model->quantizer->scale(q).item<double>());
    for (int64_t q = 0; q < Q; ++q) dead.push_back(static_cast<double>(ck.config.codebook_size - used[q].sum().item<int64_t>()));
    reset_used();
    return dead;
  };
  hooks.checkpoint = [&](int64_t) { save_vq_checkpoint(ckpt_path, ck, &opt); };
  loop.run(ck.step, resumed, hooks);
  if (ck.step >= t.steps && dist.is_root()) save_vq_checkpoint(model_path, ck, nullptr);
  return ck.step;
}

}  // namespace mogo
