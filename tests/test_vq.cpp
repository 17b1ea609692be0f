// The RVQ-VAE: quantiser maths, shapes, training on real clips, checkpoints and exact resume.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <fcntl.h>
#include <random>
#include <set>

#include "common/archive.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "data/motion_dataset.hpp"
#include "real_data.hpp"
#include "test_util.hpp"
#include "motion/features.hpp"
#include "motion/npy.hpp"
#include "motion/foot_metrics.hpp"
#include "vq/checkpoint.hpp"
#include "vq/decoder_inference.hpp"
#include "vq/decoder_stream.hpp"
#include "vq/evaluate.hpp"
#include "vq/rvqvae.hpp"
#include "vq/train.hpp"

using namespace mogo;
using test::max_abs_diff;

namespace {
VQConfig micro(int64_t dim = 251) { return VQConfig::preset("micro", dim); }
}  // namespace

TEST(ResidualVQ, QuantisedIsSumOfLayerCodesAndResidualsShrink) {
  torch::manual_seed(0);
  auto c = micro();
  c.quantize_dropout_prob = 0;
  ResidualVQ rvq(c);
  rvq->train();
  auto z = torch::randn({4, c.code_dim, 10});
  for (int i = 0; i < 5; ++i) rvq->forward(z);  // seed + EMA-update the codebooks
  rvq->eval();
  auto out = rvq->forward(z);
  EXPECT_EQ(out.indices.sizes(), torch::IntArrayRef({4, c.num_quantizers, 10}));
  auto summed = rvq->decode(out.indices);
  EXPECT_LT(max_abs_diff(out.quantized, summed), 1e-5);
  EXPECT_TRUE(torch::equal(rvq->encode(z), out.indices));
  // Each layer quantises what the previous left: the error with n layers is what remains.
  double prev = z.pow(2).mean().item<double>();
  for (int64_t n = 1; n <= c.num_quantizers; ++n) {
    double err = (z - rvq->decode(out.indices, n)).pow(2).mean().item<double>();
    EXPECT_LT(err, prev) << n;
    prev = err;
  }
}

TEST(ResidualVQ, EmaUpdateFollowsTheFormula) {
  QuantizeEMAReset q(2, 1, 0.5);
  q->codebook.copy_(torch::tensor({{0.0}, {10.0}}));
  q->code_sum.copy_(torch::tensor({{0.0}, {20.0}}));
  q->code_count.copy_(torch::tensor({1.0, 2.0}));
  auto x = torch::tensor({{1.0}, {1.0}, {3.0}});
  auto idx = q->quantize(x);
  EXPECT_TRUE(torch::equal(idx, torch::tensor({0, 0, 0}, torch::kLong)));  // all nearer 0 than 10
  q->ema_update(x, idx);
  // n = 0.5*[1,2] + 0.5*[3,0] = [2,1];  s = 0.5*[0,20] + 0.5*[5,0] = [2.5,10];  e = s/n = [1.25, 10]
  EXPECT_NEAR(q->code_count[0].item<double>(), 2.0, 1e-6);
  EXPECT_NEAR(q->code_count[1].item<double>(), 1.0, 1e-6);
  EXPECT_NEAR(q->codebook[0][0].item<double>(), 1.25, 1e-6);
  EXPECT_NEAR(q->codebook[1][0].item<double>(), 10.0, 1e-6);
}

TEST(ResidualVQ, DeadCodesAreResetFromTheBatch) {
  torch::manual_seed(1);
  QuantizeEMAReset q(4, 2, 0.5);
  q->codebook.copy_(torch::tensor({{0.0, 0.0}, {100.0, 100.0}, {-100.0, 50.0}, {0.1, 0.0}}));
  q->code_sum.copy_(q->codebook);
  q->code_count.fill_(1.0);
  auto x = torch::randn({64, 2}) * 0.1 + torch::tensor({5.0, 5.0});
  auto idx = q->quantize(x);
  q->ema_update(x, idx);
  // Codes 1 and 2 got nothing: their count decays to 0.5 < 1, so they are re-seeded near the data.
  for (int k : {1, 2}) {
    auto code = q->codebook[k];
    EXPECT_LT((code - torch::tensor({5.0, 5.0})).abs().max().item<double>(), 1.0) << k;
  }
}

TEST(ResidualVQ, DropoutKeepsAPrefixOfLayers) {
  auto c = micro();
  c.quantize_dropout_prob = 1.0;
  ResidualVQ rvq(c);
  rvq->train();
  std::set<int64_t> seen;
  for (int s = 0; s < 40; ++s) {
    torch::manual_seed(s);
    auto out = rvq->forward(torch::randn({2, c.code_dim, 6}));
    ASSERT_GE(out.active_layers, 1);
    ASSERT_LE(out.active_layers, c.num_quantizers);
    seen.insert(out.active_layers);
    for (int64_t q = 0; q < c.num_quantizers; ++q) {
      bool used = (out.indices.select(1, q) >= 0).all().item<bool>();
      EXPECT_EQ(used, q < out.active_layers);
    }
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(c.num_quantizers));
}

TEST(RVQVAE, ShapesForOddLengths) {
  torch::manual_seed(2);
  RVQVAE m(micro());
  m->eval();
  for (int64_t T : {1, 2, 5, 7, 13, 64}) {
    auto x = torch::randn({2, T, 251});
    auto tok = m->encode(x);
    EXPECT_EQ(tok.sizes(), torch::IntArrayRef({2, 3, (T + 3) / 4})) << T;
    EXPECT_EQ(m->decode(tok, 0, T).sizes(), torch::IntArrayRef({2, T, 251})) << T;
    EXPECT_EQ(m->decode(tok, 1, T).sizes(), torch::IntArrayRef({2, T, 251})) << T;
    m->train();
    EXPECT_EQ(m->forward(x).reconstruction.sizes(), torch::IntArrayRef({2, T, 251})) << T;
    m->eval();
  }
  EXPECT_THROW(m->forward(torch::randn({1, 8, 250})), Error);
  EXPECT_THROW(m->decode(torch::full({1, 3, 2}, 99, torch::kLong)), Error);
}

TEST(RVQVAE, StraightThroughGradientReachesTheEncoder) {
  torch::manual_seed(3);
  RVQVAE m(micro());
  m->train();
  auto x = torch::randn({2, 16, 251});
  auto out = m->forward(x);
  (torch::mse_loss(out.reconstruction, x) + out.rvq.commit_loss).backward();
  for (auto& p : m->encoder->parameters()) {
    ASSERT_TRUE(p.grad().defined());
    EXPECT_GT(p.grad().abs().sum().item<double>(), 0);
  }
}

TEST(RVQVAE, OverfitsAHandfulOfRealClips) {
  test::TempDir out;
  auto o = test::micro_vq_run(out.path.string());
  o.train.steps = 300;
  o.train.warmup_steps = 20;
  o.train.batch_size = 16;
  o.train.window = 32;
  o.train.lr = 3e-3;
  o.train.checkpoint_every = 300;
  o.train.log_every = 50;
  o.device = "cpu";
  o.quiet = true;
  ASSERT_EQ(train_vq(o), 300);
  auto ck = load_vq_checkpoint(out / "model.pt");
  ck.model->eval();
  torch::NoGradGuard no_grad;
  MotionDataset train(o.data_dir, "train", 32);
  std::mt19937_64 rng(99);
  auto x = train.sample_windows(32, 32, rng);  // training windows, [32,32,251]
  double variance = x.var().item<double>();
  auto tokens = ck.model->encode(x);
  double mse_all = (ck.model->decode(tokens, 0, 32) - x).pow(2).mean().item<double>();
  std::printf("    micro RVQ-VAE, 300 steps on 8 real clips: window MSE %.3f (feature variance %.3f)\n", mse_all, variance);
  EXPECT_LT(mse_all, 0.25 * variance);
  // Each residual layer brings the quantised latent closer to the encoder's output.
  auto z = ck.model->encoder(x.permute({0, 2, 1}));
  double prev = z.pow(2).mean().item<double>();
  for (int64_t n = 1; n <= ck.config.num_quantizers; ++n) {
    double err = (z - ck.model->quantizer->decode(tokens, n)).pow(2).mean().item<double>();
    EXPECT_LT(err, prev) << n << " layers";
    prev = err;
  }
  auto r = evaluate_vq(*ck.model, train, torch::kCPU);
  std::printf("    whole clips: MPJPE %.1f mm with 1 layer, %.1f mm with all\n", r.by_layers.front().mpjpe_mm,
              r.by_layers.back().mpjpe_mm);
  EXPECT_EQ(r.by_layers.size(), 3u);
}

namespace {
// Runs `mogo train-vq` as a child process; returns its pid.
pid_t spawn_train(const std::string& data, const std::string& out, bool resume, int kill_after_step) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<std::string> args = {MOGO_CLI_PATH, "--threads", "1", "--device", "cpu", "train-vq", data, out,
                                     "--preset", "micro", "-q", "--kill-after-step", std::to_string(kill_after_step)};
    if (resume) args.push_back("--resume");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

// Exit code, or 128 + the signal that ended it.
int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
}  // namespace

TEST(RVQVAE, ResumeAfterSigkillEndsWhereAnUninterruptedRunEnds) {
  const auto& data = test::real_prepared_dir();
  test::TempDir a, b;
  ASSERT_EQ(wait_exit(spawn_train(data, a.path.string(), false, 0)), 0);
  // Interrupted run: SIGKILL right after step 10, past the step-8 checkpoint (16 steps, checkpoint
  // every 4). The run kills itself at that step: no timing race with the test.
  EXPECT_EQ(wait_exit(spawn_train(data, b.path.string(), false, 10)), 128 + SIGKILL);
  auto mid = load_vq_checkpoint(b / "checkpoint.pt");
  EXPECT_GE(mid.step, 8);
  EXPECT_LT(mid.step, 16);
  EXPECT_FALSE(std::filesystem::exists(b / "model.pt"));
  ASSERT_EQ(wait_exit(spawn_train(data, b.path.string(), true, 0)), 0);
  auto ca = load_vq_checkpoint(a / "model.pt");
  auto cb = load_vq_checkpoint(b / "model.pt");
  EXPECT_EQ(ca.step, 16);
  EXPECT_EQ(cb.step, 16);
  auto pa = ca.model->named_parameters(), pb = cb.model->named_parameters();
  for (auto& item : pa) EXPECT_TRUE(torch::equal(item.value(), pb[item.key()])) << item.key();
  auto ba = ca.model->named_buffers(), bb = cb.model->named_buffers();
  for (auto& item : ba) EXPECT_TRUE(torch::equal(item.value(), bb[item.key()])) << item.key();
  // The logs agree too (the resumed run rewrote what the killed run logged after its checkpoint).
  // Compare step, lr, loss, rec, vel, commit (the first 6 columns; frames/s is timing).
  auto first_columns = [](const std::string& line) {
    size_t at = 0;
    for (int c = 0; c < 6 && at != std::string::npos; ++c) at = line.find(',', at + 1);
    return line.substr(0, at);
  };
  std::ifstream la(a / "train_log.csv"), lb(b / "train_log.csv");
  std::string x, y;
  int lines = 0;
  while (std::getline(la, x) && std::getline(lb, y)) {
    EXPECT_EQ(first_columns(x), first_columns(y));
    ++lines;
  }
  EXPECT_EQ(lines, 9);  // header + 8 log lines
}

TEST(RVQVAE, CheckpointFilesAreValidatedOnLoad) {
  test::TempDir d;
  {
    std::ofstream(d / "bad.pt") << "not a model";
  }
  EXPECT_THROW(load_vq_checkpoint(d / "bad.pt"), Error);
  EXPECT_THROW(load_vq_checkpoint(d / "missing.pt"), Error);
}

// Foot skating and floor penetration on hand-made motions with known answers.
TEST(FootMetrics, KnownSlidingAndPenetration) {
  auto s = Skeleton::humanml3d();
  const int64_t T = 21, J = s.num_joints();
  auto joints = torch::zeros({T, J, 3}, torch::kDouble);
  joints.select(2, 1).fill_(0.5);  // everything half a metre up...
  for (int64_t f : {s.feet_left[0], s.feet_left[1], s.feet_right[0], s.feet_right[1]}) joints.select(1, f).select(1, 1).fill_(0.0);
  // ...the left foot slides forward 1 cm per frame (0.2 m/s at 20 fps), the right foot stays.
  for (int64_t t = 0; t < T; ++t)
    for (int64_t f : {s.feet_left[0], s.feet_left[1]}) joints[t][f][2] = 0.01 * t;
  auto contacts = torch::ones({T - 1, 4});
  auto m = foot_metrics(joints, contacts, s, 20.0);
  EXPECT_EQ(m.frames, T - 1);
  EXPECT_EQ(m.contact_frames, 4 * (T - 1));
  EXPECT_NEAR(m.sliding_speed(), (2 * 0.2 + 2 * 0.0) / 4, 1e-9);
  EXPECT_NEAR(m.skating_ratio(), 0.5, 1e-9);  // the two left joints, over 0.1 m/s
  EXPECT_EQ(m.penetration_depth(), 0.0);
  // Contact off: sliding does not count. Sinking 3 cm in the second half of the clip: penetration.
  contacts.narrow(1, 0, 2).zero_();
  for (int64_t t = 10; t < T; ++t) joints[t][s.feet_right[1]][1] = -0.03;
  m = foot_metrics(joints, contacts, s, 20.0);
  EXPECT_EQ(m.contact_frames, 2 * (T - 1));
  EXPECT_NEAR(m.sliding_speed(), 0.0, 1e-9);
  EXPECT_NEAR(m.penetration_depth(), 0.03 * 10 / (T - 1), 1e-9);  // frames 10..19 of the 20 measured
  EXPECT_NEAR(m.penetration_ratio(), 10.0 / (T - 1), 1e-9);
  FootMetrics sum = m;
  sum += m;
  EXPECT_EQ(sum.frames, 2 * m.frames);
  EXPECT_NEAR(sum.penetration_depth(), m.penetration_depth(), 1e-12);
  EXPECT_THROW(foot_metrics(joints, torch::ones({3, 4}), s), Error);
}

// The root-drift breakdown: replacing the reconstruction's root channels by the ground truth's
// can only bring the joints closer when the rest is right; on the ground truth itself all are 0.
TEST(RVQVAE, ReportBreaksDownRootDriftAndFeet) {
  test::TempDir out;
  auto o = test::micro_vq_run(out.path.string());
  o.train.steps = 4;
  ASSERT_EQ(train_vq(o), 4);
  auto ck = load_vq_checkpoint(out / "model.pt");
  ck.model->eval();
  MotionDataset test(o.data_dir, "test");
  auto skel = Skeleton::load(o.data_dir + "/skeleton.json");
  auto r = evaluate_vq(*ck.model, test, torch::kCPU, &skel);
  EXPECT_NEAR(r.drift.mpjpe_mm, r.by_layers.back().mpjpe_mm, 1e-6);
  EXPECT_LE(r.drift.true_root_mm, r.drift.mpjpe_mm + 1e-6);
  EXPECT_GT(r.feet_ground_truth.contact_frames, 0);
  // HumanML3D labels a foot in contact below 0.002 m^2 of squared displacement per frame (0.9 m/s).
  EXPECT_LT(r.feet_ground_truth.sliding_speed(), 0.9);
  auto j = r.to_json();
  EXPECT_TRUE(j.contains("root_drift_mm"));
  EXPECT_TRUE(j["feet"].contains("reconstruction"));
}

// MoSA-VQ: each layer's scale gets the decoder's gradient, moves in training, and encode/decode
// agree with the training forward pass.
TEST(MosaVQ, ScalesReceiveGradientsAndChangeInTraining) {
  torch::manual_seed(3);
  auto c = micro();
  c.mosa = true;
  RVQVAE m(c);
  m->train();
  ASSERT_TRUE(m->quantizer->log_scales.defined());
  EXPECT_EQ(m->quantizer->log_scales.sizes(), torch::IntArrayRef({c.num_quantizers}));
  torch::optim::Adam opt(m->parameters(), torch::optim::AdamOptions(1e-2));
  auto x = torch::randn({4, 16, c.input_dim});
  for (int step = 0; step < 5; ++step) {
    auto out = m->forward(x);
    auto loss = torch::smooth_l1_loss(out.reconstruction, x) + c.commit_beta * out.rvq.commit_loss;
    opt.zero_grad();
    loss.backward();
    ASSERT_TRUE(m->quantizer->log_scales.grad().defined());
    EXPECT_GT(m->quantizer->log_scales.grad().abs().sum().item<double>(), 0.0) << "step " << step;
    opt.step();
  }
  EXPECT_GT((m->quantizer->log_scales.detach().abs()).max().item<double>(), 1e-3);  // the scales moved off 1
  // Inference: the tokens decode to the quantised latent of the forward pass.
  m->eval();
  torch::NoGradGuard g;
  auto z = m->encoder(x.permute({0, 2, 1}));
  auto q = m->quantizer->forward(z);
  EXPECT_LT(test::max_abs_diff(m->quantizer->decode(m->quantizer->encode(z)), q.quantized), 1e-5);
}

TEST(MosaVQ, ModelFilesWithoutScalesLoadAndDecodeAsPlainRvq) {
  // A file as mogo wrote it before MoSA-VQ: no "mosa" or "root_weight" in its config, no scales.
  test::TempDir dir;
  VQCheckpoint old;
  old.config = VQConfig::preset("micro", 251);
  old.train = VQTrainConfig::preset("micro");
  old.model = RVQVAE(old.config);
  old.mean = torch::zeros({251});
  old.std = torch::ones({251});
  nlohmann::json meta = {{"version", 1}, {"config", old.config}, {"train", old.train}, {"step", 0}};
  meta["config"].erase("mosa");
  meta["config"].erase("root_weight");
  torch::serialize::OutputArchive ar;
  ar.write("mean", old.mean);
  ar.write("std", old.std);
  write_model(ar, *old.model, nullptr);
  save_archive(dir / "old.pt", ar, meta, "mogo-rvqvae");
  auto ck = load_vq_checkpoint(dir / "old.pt");
  EXPECT_FALSE(ck.config.mosa);
  EXPECT_EQ(ck.config.root_weight, 0.0);
  EXPECT_FALSE(ck.model->quantizer->log_scales.defined());
  // Plain decoding: the sum of the layers' code vectors, no scale.
  torch::NoGradGuard g;
  auto tokens = torch::randint(ck.config.codebook_size, {1, ck.config.num_quantizers, 5}, torch::kLong);
  torch::Tensor sum;
  for (int64_t q = 0; q < ck.config.num_quantizers; ++q) {
    auto v = ck.model->quantizer->layer(q).dequantize(tokens.select(1, q));
    sum = q == 0 ? v : sum + v;
  }
  EXPECT_TRUE(torch::equal(ck.model->quantizer->decode(tokens), sum.permute({0, 2, 1})));
}

// The root-trajectory loss is differentiable down to the root channels.
TEST(RootTrajectoryLoss, GradientReachesTheRootChannels) {
  auto f = npy::load(test::reference_dir() + "/new_joint_vecs_012314.npy").narrow(0, 0, 40).to(torch::kDouble).requires_grad_();
  auto root = recover_root_positions(f);
  EXPECT_EQ(root.sizes(), torch::IntArrayRef({40, 3}));
  // It is the root joint recover_from_ric integrates.
  EXPECT_LT(test::max_abs_diff(root.detach(), recover_from_ric(f.detach(), 22).select(1, 0)), 1e-9);
  root.select(1, 0).sum().backward();
  auto g = f.grad();
  EXPECT_GT(g.narrow(1, 0, 3).abs().sum().item<double>(), 0.0);   // angular and linear velocity
  EXPECT_EQ(g.narrow(1, 4, 259).abs().sum().item<double>(), 0.0);  // nothing else
}

TEST(Decoder, LookaheadOfEachLayoutIsWhatTheConfigSays) {
  // latent_span(f).last - f/4: how many latent steps ahead frame f reads.
  for (int64_t lookahead : {0, 1}) {
    auto c = micro();
    c.decoder_lookahead = lookahead;
    Decoder dec(c);
    for (int64_t f : {0, 1, 5, 17, 40}) EXPECT_EQ(dec->latent_span(f).last, f / 4 + lookahead) << lookahead << " frame " << f;
    EXPECT_LT(dec->latent_span(40).first, 40 / 4 - 5);  // it still reads far back
  }
  auto c = micro();
  c.decoder_lookahead = -1;
  EXPECT_GT(Decoder(c)->latent_span(0).last, 5);  // centred: many steps ahead
  c.decoder_lookahead = 2;
  EXPECT_THROW(Decoder{c}, Error);
}

TEST(DecoderStream, EqualsWholeSequenceDecodingInAnyChunking) {
  torch::NoGradGuard g;
  for (int64_t lookahead : {-1, 0, 1}) {
    torch::manual_seed(7);
    auto c = micro();
    c.decoder_lookahead = lookahead;
    Decoder dec(c);
    const int64_t S = 23;
    auto z = torch::randn({2, c.code_dim, S});
    auto whole = dec->forward(z).permute({0, 2, 1});  // [2,4S,D]
    for (const bool fast : {false, true})
    for (int64_t chunk : {int64_t{1}, int64_t{3}, S}) {
      DecoderStream stream(dec, fast);
      ASSERT_EQ(stream.fast(), fast);
      std::vector<torch::Tensor> parts;
      for (int64_t a = 0; a < S; a += chunk) {
        auto out = stream.push(z.narrow(2, a, std::min(chunk, S - a)));
        // A frame leaves once the last latent of its span has been pushed, not later.
        const int64_t pushed = std::min(a + chunk, S);
        int64_t ready = 0;
        while (ready < 4 * S && dec->latent_span(ready).last < pushed) ++ready;
        EXPECT_EQ(stream.frames_out(), ready) << "lookahead " << lookahead << " chunk " << chunk << " at " << a << " fast " << fast;
        parts.push_back(out);
      }
      parts.push_back(stream.finish());
      auto streamed = torch::cat(parts, 1);
      ASSERT_EQ(streamed.sizes(), whole.sizes());
      EXPECT_LT(max_abs_diff(streamed, whole), 1e-5) << "lookahead " << lookahead << " chunk " << chunk << " fast " << fast;
    }
  }
  // Nothing pushed: nothing out; no push after the end.
  Decoder dec(micro());
  DecoderStream empty(dec);
  EXPECT_EQ(empty.finish().size(1), 0);
  EXPECT_THROW(empty.push(torch::zeros({1, micro().code_dim, 1})), Error);
}

TEST(DecoderInference, AStreamsFramesAreTheSameBitsAloneOrDecodedWithOthers) {
  torch::NoGradGuard g;
  torch::manual_seed(3);
  auto c = micro();
  c.decoder_lookahead = 1;
  Decoder dec(c);
  auto inference = dec->inference();
  ASSERT_TRUE(inference);
  const int64_t S = 9;
  auto z = torch::randn({3, S, c.code_dim});  // three streams' latents, time-major
  auto latents = [&](int64_t s, int64_t step) {
    const float* p = z[s][step].data_ptr<float>();
    return std::vector<float>(p, p + c.code_dim);
  };
  // Alone: each stream through its own pushes.
  std::vector<std::vector<float>> alone(3), together(3);
  for (int64_t s = 0; s < 3; ++s) {
    auto state = inference->start();
    for (int64_t step = 0; step <= S; ++step) {
      DecoderInference::Job job{&state, step < S ? latents(s, step) : std::vector<float>{}, step == S, {}};
      std::vector<DecoderInference::Job*> jobs{&job};
      inference->push(jobs);
      alone[s].insert(alone[s].end(), job.out.begin(), job.out.end());
    }
  }
  // Together, with stream 2 a step behind the others (its first push alone).
  std::vector<DecoderInference::State> states{inference->start(), inference->start(), inference->start()};
  std::vector<int64_t> next(3, 0);
  next[2] = -1;
  for (int round = 0; round <= S + 1; ++round) {
    std::vector<DecoderInference::Job> jobs;
    for (int64_t s = 0; s < 3; ++s) {
      const int64_t step = round + (s == 2 ? -1 : 0);
      if (step < 0 || step > S) continue;
      jobs.push_back({&states[s], step < S ? latents(s, step) : std::vector<float>{}, step == S, {}});
    }
    std::vector<DecoderInference::Job*> pointers;
    for (auto& j : jobs) pointers.push_back(&j);
    inference->push(pointers);
    for (auto& j : jobs) {
      const auto s = static_cast<size_t>(&*j.state - &states[0]);
      together[s].insert(together[s].end(), j.out.begin(), j.out.end());
    }
  }
  for (int64_t s = 0; s < 3; ++s) {
    EXPECT_EQ(static_cast<int64_t>(alone[s].size()), 4 * S * c.input_dim);
    EXPECT_EQ(alone[s], together[s]) << "stream " << s;  // exactly: no batch-dependent rounding
  }
  // train() drops the packed copy (the weights are about to change).
  dec->train();
  EXPECT_NE(dec->inference(), inference);
}

TEST(JerkLoss, IsTheThirdDifferenceOfTheRecoveredJointsAndReachesTheFeatures) {
  auto f = npy::load(test::reference_dir() + "/new_joint_vecs_012314.npy").narrow(0, 0, 40).to(torch::kDouble);
  auto x = f.unsqueeze(0).clone().requires_grad_();
  auto jerk = joint_jerk(x, 22);
  auto p = recover_from_ric(f, 22);  // [T,J,3]
  auto d3 = p.narrow(0, 3, 37) - 3 * p.narrow(0, 2, 37) + 3 * p.narrow(0, 1, 37) - p.narrow(0, 0, 37);
  ASSERT_EQ(jerk.sizes(), torch::IntArrayRef({1, 37, 22, 3}));
  EXPECT_LT(max_abs_diff(jerk[0], d3), 1e-9);
  // The loss of a motion against a copy with noise on the joint positions: positive, with gradients
  // into the positions and the root velocities.
  auto noisy = f.clone();
  const auto ric = Skeleton::humanml3d().layout().ric();
  noisy.narrow(1, ric.begin, ric.size).add_(torch::randn({40, ric.size}, torch::kDouble) * 0.01);
  auto loss = torch::l1_loss(jerk, joint_jerk(noisy.unsqueeze(0), 22));
  EXPECT_GT(loss.item<double>(), 0.001);
  loss.backward();
  auto grad = x.grad()[0];
  EXPECT_GT(grad.narrow(1, ric.begin, ric.size).abs().sum().item<double>(), 0.0);
  EXPECT_GT(grad.narrow(1, 0, 3).abs().sum().item<double>(), 0.0);
  EXPECT_TRUE(torch::isfinite(grad).all().item<bool>());
  EXPECT_EQ(torch::l1_loss(jerk, joint_jerk(f.unsqueeze(0), 22)).item<double>(), 0.0);
}

TEST(FootContactLoss, PenalisesPlantedFeetThatMoveAndReachesTheRootAndPositions) {
  auto skel = Skeleton::humanml3d();
  auto f = npy::load(test::reference_dir() + "/new_joint_vecs_012314.npy").narrow(0, 0, 40).to(torch::kDouble);
  const auto contacts = skel.layout().foot_contacts();
  auto labels = f.narrow(1, contacts.begin, contacts.size).unsqueeze(0);
  auto x = f.unsqueeze(0).clone().requires_grad_();
  auto joints = recover_from_ric(x, 22);
  auto feet = recover_joints(x, 22, foot_joints(skel));
  EXPECT_LT(max_abs_diff(feet, joints.index_select(2, torch::tensor(foot_joints(skel), torch::kLong))), 1e-12);
  auto loss = contact_sliding_loss(feet, labels);
  // Equals the mean sliding speed foot_metrics reports for the same frames.
  auto m = foot_metrics(joints[0].detach(), labels[0], skel);
  ASSERT_GT(m.contact_frames, 0);
  EXPECT_NEAR(loss.item<double>(), m.sliding_speed(), 1e-9);
  loss.backward();
  auto grad = x.grad()[0];
  const auto ric = skel.layout().ric();
  EXPECT_GT(grad.narrow(1, 0, 3).abs().sum().item<double>(), 0.0);                  // root velocities
  EXPECT_GT(grad.narrow(1, ric.begin, ric.size).abs().sum().item<double>(), 0.0);  // joint positions
  EXPECT_TRUE(torch::isfinite(grad).all().item<bool>());
  // No contact: no loss.
  EXPECT_EQ(contact_sliding_loss(feet, torch::zeros_like(labels)).item<double>(), 0.0);
}
