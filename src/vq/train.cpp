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
#include "vq/transition_windows.hpp"

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

VQLoss vq_loss(const VQConfig& c, const RVQVAEOutput& out, const torch::Tensor& x, const torch::Tensor& mean,
               const torch::Tensor& std, const Skeleton* skeleton) {
  VQLoss l;
  const auto& y = out.reconstruction;
  l.rec = torch::smooth_l1_loss(y, x);
  l.vel = torch::smooth_l1_loss(y.diff(1, 1), x.diff(1, 1));
  l.total = l.rec + c.vel_weight * l.vel + c.commit_beta * out.rvq.commit_loss;
  auto raw = [&](const torch::Tensor& f) { return f * std + mean; };
  auto off = [&] { return torch::zeros({}, x.options()); };
  l.root = l.foot = l.jerk = off();
  // Root trajectory over the window, integrated from the (denormalised) root channels, in metres.
  if (c.root_weight > 0) {
    l.root = torch::l1_loss(recover_root_positions(raw(y)), recover_root_positions(raw(x))).to(x.scalar_type());
    l.total = l.total + c.root_weight * l.root;
  }
  // Feet planted in the input stay planted: their speed in the reconstruction's joints, where the
  // input's contact label is on.
  if (skeleton && c.foot_weight > 0) {
    const auto contacts = skeleton->layout().foot_contacts();
    auto feet = recover_joints(raw(y), skeleton->num_joints(), foot_joints(*skeleton));
    l.foot = contact_sliding_loss(feet, raw(x).narrow(2, contacts.begin, contacts.size)).to(x.scalar_type());
    l.total = l.total + c.foot_weight * l.foot;
  }
  // Jerk: d^3/dt^3 of every joint's world position (frames as the time unit), against the input's.
  if (skeleton && c.jerk_weight > 0) {
    const int64_t J = skeleton->num_joints();
    l.jerk = torch::l1_loss(joint_jerk(raw(y), J), joint_jerk(raw(x), J)).to(x.scalar_type());
    l.total = l.total + c.jerk_weight * l.jerk;
  }
  return l;
}

int64_t train_vq(VQTrainOptions o) {
  TrainRun run(o, "model.pt");
  const torch::Device device = run.device();
  const std::string& ckpt_path = run.checkpoint();
  VQCheckpoint ck;
  const bool resumed = run.resumed();
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
    run.check_resume(stored, ck.data_fingerprint);
  }
  const VQTrainConfig plan = resumed ? ck.train : o.train;
  plan.validate();
  // The clips a window can be cut from depend on the window: the plan's, never the command line's.
  MotionDataset data(o.data_dir, "train", plan.window);
  run.create_output();
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
  auto optimiser = run.optimiser(trained, t.lr, t.optimiser());
  auto& opt = *optimiser;

  const int64_t Q = ck.config.num_quantizers;
  std::vector<std::string> metrics = {"loss", "rec", "vel", "commit", "root_m", "foot_mps", "jerk_m"}, interval;
  for (int64_t q = 0; q < Q && ck.config.mosa; ++q) interval.push_back("scale_" + std::to_string(q));
  for (int64_t q = 0; q < Q; ++q) metrics.push_back("perplexity_" + std::to_string(q));
  for (int64_t q = 0; q < Q; ++q) interval.push_back("dead_" + std::to_string(q));
  TrainLoop loop(run.loop("train-vq", t.steps, t.warmup_steps, t.lr, t.optimiser(), t.log_every, t.checkpoint_every, "frames"),
                 metrics, interval);

  const TransitionPlan transitions{kJoinFadeFrames, t.transition_frames, ck.config.downsample(), transition_target(t.transition_target)};
  const int64_t changes = std::llround(t.transition_share * static_cast<double>(t.batch_size));
  if (changes > 0) check_transition_plan(transitions, t.window);

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
    // Every rank draws the same global batch and trains on its shard of it. x is encoded, target
    // is asked for: the same windows, except that changes of text are asked for smoothly.
    auto x = data.sample_windows(t.batch_size - changes, t.window, rng), target = x;
    if (changes > 0) {
      auto tw = sample_transition_windows(data, changes, t.window, transitions, rng);
      x = torch::cat({x, tw.given}, 0);
      target = torch::cat({target, tw.target}, 0);
    }
    x = dist.shard_of(x, "train-vq --batch").to(device);
    target = dist.shard_of(target, "train-vq --batch").to(device);
    set_learning_rate(opt, lr);
    auto out = t.decoder_only ? ck.model->reconstruct_from_codes(x, dropout_layers(ck.config, rng)) : ck.model->forward(x);
    const auto l = vq_loss(ck.config, out, target, mean, std_dev, skeleton ? &*skeleton : nullptr);
    const auto& loss = l.total;
    opt.zero_grad();
    loss.backward();
    dist.reduce_gradients(trained, Distributed::Reduce::mean);  // mean of shard means = global mean
    StepStats s;
    s.grad_norm = gradient_norm(trained);
    step_if_finite(opt, loss.item<double>(), s.grad_norm);
    ck.step = step + 1;
    s.values = {loss.item<double>(), l.rec.item<double>(), l.vel.item<double>(), out.rvq.commit_loss.item<double>(),
                l.root.item<double>(), l.foot.item<double>(), l.jerk.item<double>()};
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
  if (ck.step >= t.steps && dist.is_root()) save_vq_checkpoint(run.final_path(), ck, nullptr);
  return ck.step;
}

}  // namespace mogo
