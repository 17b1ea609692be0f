#include "eval/train_evaluator.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "common/archive.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/runtime.hpp"
#include "data/motion_dataset.hpp"
#include "eval/evaluator.hpp"
#include "train/distributed.hpp"
#include "train/optim.hpp"
#include "train/train_loop.hpp"

namespace mogo {

namespace fs = std::filesystem;

namespace {

struct Batch {
  torch::Tensor motion;    // [B,T,D] normalised
  torch::Tensor lengths;   // [B]
  std::vector<std::string> captions;
};

// B clips with pairwise distinct label keys and captions (so no text meets a motion of the same
// meaning as a negative), one random caption each, random crops of min..max frames.
Batch sample_batch(const MotionDataset& data, const EvaluatorTrainConfig& o, std::mt19937_64& rng) {
  const auto& clips = data.clips();
  std::uniform_int_distribution<size_t> pick(0, clips.size() - 1);
  std::set<std::string> keys, texts;
  std::vector<std::pair<const MotionClip*, std::string>> chosen;
  for (int tries = 0; static_cast<int64_t>(chosen.size()) < o.batch_size && tries < 50 * o.batch_size; ++tries) {
    const auto& c = clips[pick(rng)];
    if (c.captions.empty()) continue;
    std::string key = label_key(c.id);
    std::uniform_int_distribution<size_t> cap(0, c.captions.size() - 1);
    std::string text = c.captions[cap(rng)].text;
    std::string norm = Tokenizer::normalise(text);
    if (keys.count(key) || texts.count(norm)) continue;
    keys.insert(key);
    texts.insert(norm);
    chosen.push_back({&c, text});
  }
  require(chosen.size() >= 2, data.dir() + ": fewer than 2 clips with distinct captions");
  Batch b;
  std::vector<torch::Tensor> crops;
  int64_t T = 1;
  for (auto& [c, text] : chosen) {
    int64_t n = c->features.size(0);
    int64_t lo = std::min(n, o.min_frames), hi = std::min(n, o.max_frames);
    int64_t len = std::uniform_int_distribution<int64_t>(lo, hi)(rng);
    int64_t start = std::uniform_int_distribution<int64_t>(0, n - len)(rng);
    crops.push_back(c->features.narrow(0, start, len));
    b.captions.push_back(text);
    T = std::max(T, len);
  }
  b.motion = torch::zeros({static_cast<int64_t>(crops.size()), T, data.dim()});
  b.lengths = torch::zeros({static_cast<int64_t>(crops.size())}, torch::kLong);
  for (size_t i = 0; i < crops.size(); ++i) {
    b.motion[i].narrow(0, 0, crops[i].size(0)).copy_(crops[i]);
    b.lengths[i] = crops[i].size(0);
  }
  return b;
}

}  // namespace

void EvaluatorTrainConfig::validate() const {
  for (auto [flag, v] : {std::pair<const char*, int64_t>{"--steps", steps}, {"--batch", batch_size}, {"--dim", dim},
                         {"--vocab", vocab_size}, {"--checkpoint-every", checkpoint_every}, {"--log-every", log_every},
                         {"max_frames", max_frames}, {"min_frames", min_frames}})
    require_positive(flag, static_cast<double>(v));
  require(batch_size >= 2, "--batch must be at least 2 (a contrastive batch needs negatives), got " + std::to_string(batch_size));
  require_learning_rate("--lr", lr);
  require(std::isfinite(dropout) && dropout >= 0 && dropout < 1, "--dropout must be in [0, 1), got " + std::to_string(dropout));
}

int64_t train_evaluator(const EvaluatorTrainOptions& opts) {
  TrainRun run(opts, "evaluator.pt");
  const torch::Device device = run.device();
  const std::string& ckpt = run.checkpoint();
  EvaluatorBundle b;
  const bool resumed = run.resumed();
  if (resumed) b = load_evaluator(ckpt, device);
  EvaluatorTrainOptions o = opts;
  if (resumed && b.train_meta.contains("plan")) {
    run.check_resume(b.train_meta["plan"], b.train_meta.value("data_fingerprint", ""));
    o.train = b.train_meta["plan"].get<EvaluatorTrainConfig>();
  }
  const EvaluatorTrainConfig& t = o.train;
  t.validate();
  MotionDataset data(o.data_dir, "train");
  run.create_output();
  if (!resumed) {
    std::vector<std::string> captions;
    for (const auto& c : data.clips())
      for (const auto& cap : c.captions) captions.push_back(cap.text);
    b.tokenizer = std::make_shared<Tokenizer>(Tokenizer::train(captions, static_cast<int>(t.vocab_size)));
    b.text_cfg.vocab_size = b.tokenizer->vocab_size();
    b.text_cfg.dim = t.dim;
    b.text_cfg.out_dim = t.dim;
    b.text_cfg.dropout = t.dropout;
    b.motion_cfg.dropout = t.dropout;
    b.motion_cfg.input_dim = data.dim();
    b.motion_cfg.dim = t.dim;
    b.motion_cfg.out_dim = t.dim;
    b.motion_cfg.max_frames = std::max<int64_t>(t.max_frames, 400);
    torch::manual_seed(t.seed);
    b.model = Evaluator(b.text_cfg, b.motion_cfg);
    b.model->to(device);
    b.mean = data.mean();
    b.std = data.std();
    b.train_meta = {{"data", o.data_dir}, {"steps", t.steps}, {"batch_size", t.batch_size}, {"lr", t.lr}, {"seed", t.seed},
                    {"plan", t}, {"data_fingerprint", data_fingerprint(o.data_dir)}};
  }
  auto optimiser = run.optimiser(b.model->parameters(), t.lr, t.optimiser());
  auto& opt = *optimiser;
  b.model->train();
  Distributed& dist = distributed();
  dist.shard(t.batch_size, "train-eval --batch");
  std::vector<torch::Tensor> encoder_params;
  for (const auto& p : b.model->parameters())
    if (!p.is_same(b.model->log_scale)) encoder_params.push_back(p);

  TrainLoop loop(run.loop("train-eval", t.steps, t.warmup_steps, t.lr, t.optimiser(), t.log_every, t.checkpoint_every, "clips"),
                 {"loss", "accuracy", "scale"});
  TrainHooks hooks;
  hooks.step = [&](int64_t step, double lr) {
    std::mt19937_64 rng(TrainLoop::step_seed(t.seed, step, 0));
    torch::manual_seed(TrainLoop::step_seed(t.seed, step, 1));
    auto batch = sample_batch(data, t, rng);
    auto tok = b.tokenizer->encode_batch(batch.captions, b.text_cfg.max_length);
    set_learning_rate(opt, lr);
    // Each rank embeds its shard of the global batch; the loss sees every rank's embeddings, so
    // the negatives do not shrink with the world size, and differentiates into the own shard.
    auto shard = [&](const torch::Tensor& x) { return dist.shard_of(x, "train-eval --batch").to(device); };
    auto t = dist.all_gather(b.model->embed_text(shard(tok.ids), shard(tok.mask)), true);
    auto m = dist.all_gather(b.model->embed_motion(shard(batch.motion), shard(batch.lengths)), true);
    // Symmetric InfoNCE: logits = s * t m^T, the diagonal is the positive.
    auto scale = b.model->log_scale.clamp_max(std::log(100.0)).exp();
    auto logits = scale * torch::matmul(t, m.t());
    auto target = torch::arange(logits.size(0), torch::TensorOptions().dtype(torch::kLong).device(device));
    auto loss = 0.5 * (torch::cross_entropy_loss(logits, target) + torch::cross_entropy_loss(logits.t(), target));
    opt.zero_grad();
    loss.backward();
    // Every rank computed the same global loss: the encoders' gradients (through the own rows
    // only) sum to the whole batch's; the temperature's was computed whole on every rank.
    dist.reduce_gradients(encoder_params, Distributed::Reduce::sum);
    dist.reduce_gradients({b.model->log_scale}, Distributed::Reduce::mean);
    StepStats s;
    s.grad_norm = gradient_norm(b.model->parameters());
    step_if_finite(opt, loss.item<double>(), s.grad_norm);
    b.step = step + 1;
    s.values = {loss.item<double>(), (logits.argmax(1) == target).to(torch::kDouble).mean().item<double>(),
                scale.item<double>()};
    s.items = static_cast<double>(logits.size(0));
    return s;
  };
  hooks.checkpoint = [&](int64_t) { save_evaluator(ckpt, b, &opt); };
  loop.run(b.step, resumed, hooks);
  if (b.step >= t.steps && dist.is_root()) save_evaluator(run.final_path(), b, nullptr);
  return b.step;
}

}  // namespace mogo
