#include "model/train_t2m.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "common/archive.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/runtime.hpp"
#include "data/motion_dataset.hpp"
#include "model/model_file.hpp"
#include "text/paraphrase.hpp"
#include "text/wordnet.hpp"
#include "train/distributed.hpp"
#include "train/optim.hpp"
#include "train/train_loop.hpp"
#include "transformer/loss.hpp"
#include "transformer/token_dataset.hpp"
#include "vq/checkpoint.hpp"

namespace mogo {

namespace fs = std::filesystem;

namespace {

// The training captions, normalised, each once (sorted): stored in the model for prompt alignment.
std::vector<std::string> training_captions(const MotionDataset& train) {
  std::set<std::string> unique;
  for (const auto& c : train.clips())
    for (const auto& cap : c.captions) unique.insert(Tokenizer::normalise(cap.text));
  return {unique.begin(), unique.end()};
}

// The tokenizer's corpus: the captions and, when training paraphrases them, a few paraphrases of
// each, so that synonyms get pieces of their own.
std::vector<std::string> tokenizer_corpus(const std::vector<std::string>& captions, const Lexicon& lexicon,
                                          const T2MTrainConfig& t) {
  std::vector<std::string> corpus = captions;
  if (t.paraphrase <= 0) return corpus;
  std::mt19937_64 rng(t.seed);
  for (const auto& c : captions)
    for (int i = 0; i < 3; ++i) corpus.push_back(paraphrase(c, lexicon, rng));
  return corpus;
}

// A new model: the frozen RVQ-VAE, a tokenizer trained on the training captions, fresh weights.
T2MModel new_model(const T2MTrainOptions& o, const std::vector<std::string>& captions, const Lexicon& lexicon,
                   torch::Device device) {
  auto vq = load_vq_checkpoint(o.vq_path, device);
  T2MModel m;
  m.vq_config = vq.config;
  m.vq = vq.model;
  m.mean = vq.mean;
  m.std = vq.std;
  m.skeleton_json = vq.skeleton_json;
  if (m.skeleton_json.empty() && fs::exists(fs::path(o.data_dir) / "skeleton.json"))
    m.skeleton_json = load_json_file((fs::path(o.data_dir) / "skeleton.json").string()).dump();
  m.tokenizer = std::make_shared<Tokenizer>(
      Tokenizer::train(tokenizer_corpus(captions, lexicon, o.train), static_cast<int>(o.train.vocab_size)));
  m.config = T2MConfig::preset(o.preset, vq.config.codebook_size, vq.config.num_quantizers);
  m.config.text.vocab_size = m.tokenizer->vocab_size();
  m.train = o.train;
  m.train_meta = {{"data", o.data_dir}, {"vq", o.vq_path}, {"preset", o.preset}, {"seconds", 0.0},
                  {"data_fingerprint", data_fingerprint(o.data_dir)}, {"captions", captions}};
  torch::manual_seed(o.train.seed);  // deterministic initial weights
  m.transformer = HierarchicalCausalTransformer(m.config);
  m.transformer->to(device);
  return m;
}

}  // namespace

int64_t train_t2m(const T2MTrainOptions& o) {
  const auto wall_start = std::chrono::steady_clock::now();
  TrainRun run(o, "model.pt");
  const torch::Device device = run.device();
  const std::string& ckpt = run.checkpoint();
  const std::string val_log = (fs::path(o.out_dir) / "val_log.csv").string();
  const bool resumed = run.resumed();
  if (!resumed) o.train.validate();  // before any work; a resumed run validates the stored plan below
  MotionDataset train_data(o.data_dir, "train"), val_data(o.data_dir, "val");
  run.create_output();

  const auto captions = training_captions(train_data);
  const Lexicon lexicon(captions);
  if (o.train.paraphrase > 0 && !wordnet::available())
    log_warning("train-t2m: WordNet is not installed (wordnet-base): paraphrases change subjects, order and fillers only");
  T2MModel m = resumed ? load_t2m_model(ckpt, device) : new_model(o, captions, lexicon, device);
  if (resumed) {
    nlohmann::json stored = m.train;
    if (m.train_meta.contains("preset")) stored["preset"] = m.train_meta["preset"];
    run.check_resume(stored, m.train_meta.value("data_fingerprint", ""));
    m.train.validate();
  }
  if (!resumed) m.fps = train_data.fps();
  require(m.feature_dim() == train_data.dim(), o.data_dir + ": features are " + std::to_string(train_data.dim()) +
                                                   "-d, the RVQ-VAE expects " + std::to_string(m.feature_dim()));
  // The model owns normalisation: the dataset is expressed in the RVQ-VAE's statistics.
  train_data.renormalise(m.mean, m.std);
  val_data.renormalise(m.mean, m.std);
  const T2MTrainConfig& t = m.train;
  // Token caches: rank 0 writes them, the other ranks read them once written.
  Distributed& dist = distributed();
  dist.shard(t.batch_size, "train-t2m --batch");
  if (!dist.is_root()) dist.barrier();
  auto train_tokens = TokenDataset::cached((fs::path(o.out_dir) / "tokens_train.pt").string(), train_data, m.vq, t.crop_offsets, device);
  auto val_tokens = TokenDataset::cached((fs::path(o.out_dir) / "tokens_val.pt").string(), val_data, m.vq, 1, device);
  if (t.join_share > 0) {
    JoinPlan plan;
    plan.sequences = std::max<int64_t>(1, std::llround(t.join_share * static_cast<double>(train_tokens.clips().size())));
    plan.max_context = t.join_context;
    plan.max_steps = m.config.max_steps;
    plan.seed = t.seed;
    train_tokens.append(TokenDataset::joined((fs::path(o.out_dir) / "tokens_join.pt").string(), train_data, m.vq, plan, device));
  }
  if (dist.is_root()) dist.barrier();
  log_info("train-t2m: " + std::to_string(train_tokens.clips().size()) + " token sequences (" +
           std::to_string(train_tokens.total_steps()) + " steps), " + std::to_string(val_tokens.clips().size()) + " for validation");

  auto optimiser = run.optimiser(m.transformer->parameters(), t.lr, t.optimiser());
  auto& opt = *optimiser;
  const int64_t Q = m.config.num_quantizers, END = m.config.end_token();
  std::vector<std::string> metrics = {"loss"}, val_columns;
  for (int64_t q = 0; q < Q; ++q) metrics.push_back("loss_" + std::to_string(q));
  for (int64_t q = 0; q < Q; ++q) metrics.push_back("acc_" + std::to_string(q));
  std::string val_header = "step,val_loss";
  for (int64_t q = 0; q < Q; ++q) val_header += ",val_loss_" + std::to_string(q);
  for (int64_t q = 0; q < Q; ++q) val_header += ",val_acc_" + std::to_string(q);
  TrainLoop::open_csv_log(val_log, val_header + "\n", m.step, resumed);

  TrainLoop loop(run.loop("train-t2m", t.steps, t.warmup_steps, t.lr, t.optimiser(), t.log_every, t.checkpoint_every, "tokens"),
                 metrics);
  double seconds_before = m.train_meta.value("seconds", 0.0);
  auto elapsed = [&] {
    return seconds_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  };

  TrainHooks hooks;
  hooks.step = [&](int64_t step, double lr) {
    m.transformer->train();
    std::mt19937_64 rng(TrainLoop::step_seed(t.seed, step, 0));
    torch::manual_seed(TrainLoop::step_seed(t.seed, step, 1));
    // The global batch (the same on every rank), then this rank's shard of it.
    auto batch = train_tokens.sample(t.batch_size, m.config.max_steps, END, rng);
    for (auto& c : batch.captions)
      if (std::uniform_real_distribution<double>(0, 1)(rng) < t.paraphrase)
        c = paraphrase(Tokenizer::normalise(c), lexicon, rng);
    auto text = m.tokenizer->encode_batch(batch.captions, m.config.text.max_length);
    auto drop = torch::rand({t.batch_size}) < m.config.cond_drop_prob;
    auto shard = [&](const torch::Tensor& x) { return dist.shard_of(x, "train-t2m --batch").to(device); };
    set_learning_rate(opt, lr);
    auto cond = m.transformer->condition(shard(text.ids), shard(text.mask), shard(drop));
    auto logits = m.transformer->forward(cond, shard(batch.tokens));
    auto l = layer_losses(logits, shard(batch.targets), batch.targets);
    opt.zero_grad();
    l.total.backward();
    dist.reduce_gradients(m.transformer->parameters(), Distributed::Reduce::sum);  // shard losses sum to the batch's
    StepStats s;
    // The norm before clipping: a non-finite one means the step must not be taken.
    s.grad_norm = torch::nn::utils::clip_grad_norm_(m.transformer->parameters(), t.grad_clip);
    step_if_finite(opt, l.total.item<double>(), s.grad_norm);
    m.step = step + 1;
    s.values = {l.total.item<double>()};
    s.values.insert(s.values.end(), l.loss.begin(), l.loss.end());
    s.values.insert(s.values.end(), l.accuracy.begin(), l.accuracy.end());
    dist.all_reduce_sum(s.values);  // the whole batch's loss and accuracy in the log
    s.items = static_cast<double>(batch.valid * Q);
    return s;
  };
  hooks.checkpoint = [&](int64_t) {
    m.train_meta["seconds"] = elapsed();
    save_t2m_model(ckpt, m, &opt);
  };
  hooks.after_checkpoint = [&](int64_t step) {
    // Validation: every val clip whole, with its first caption, no condition dropout.
    torch::NoGradGuard g;
    m.transformer->eval();
    std::vector<double> loss(Q, 0.0), acc(Q, 0.0);
    double weight = 0;
    for (size_t i = 0; i < val_tokens.clips().size(); i += t.batch_size) {
      auto batch = val_tokens.slice(i, t.batch_size, m.config.max_steps, END);
      auto text = m.tokenizer->encode_batch(batch.captions, m.config.text.max_length);
      auto cond = m.transformer->condition(text.ids.to(device), text.mask.to(device));
      auto targets = batch.targets.to(device);
      auto l = layer_losses(m.transformer->forward(cond, batch.tokens.to(device)), targets, targets);
      for (int64_t q = 0; q < Q; ++q) {
        loss[q] += l.loss[q] * batch.valid;
        acc[q] += l.accuracy[q] * batch.valid;
      }
      weight += batch.valid;
    }
    double total = 0;
    std::string row;
    char buf[32];
    for (int64_t q = 0; q < Q; ++q) total += loss[q] / weight;
    std::snprintf(buf, sizeof buf, "%.6g", total);
    row = std::to_string(step) + "," + buf;
    for (auto* v : {&loss, &acc})
      for (int64_t q = 0; q < Q; ++q) {
        std::snprintf(buf, sizeof buf, ",%.6g", (*v)[q] / weight);
        row += buf;
      }
    std::ofstream(val_log, std::ios::app) << row << "\n";
    std::snprintf(buf, sizeof buf, " val %.3f", total);
    return std::string(buf);
  };
  loop.run(m.step, resumed, hooks);
  if (m.step >= t.steps && dist.is_root()) {
    m.train_meta["seconds"] = elapsed();
    save_t2m_model(run.final_path(), m, nullptr, o.half);
  }
  return m.step;
}

}  // namespace mogo
