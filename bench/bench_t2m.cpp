// Text-to-motion generation and training cost on this machine:
//   - generation: seconds of compute per generated second of motion (20 frames = 5 latent steps),
//     with and without the key/value cache, and the time to the first decoded frame (text
//     condition + the first latent steps + RVQ-VAE decoding of them);
//   - training: the cost of one optimisation step.
// For the default model (models/t2m-tiny.pt, when present) and for `paper`-size transformers
// with random weights (the cost does not depend on the weights).
//   usage: bench_t2m [threads] [seconds of motion] [model.pt]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "common/runtime.hpp"
#include "engine/generator.hpp"
#include "model/model_file.hpp"
#include "text/tokenizer.hpp"
#include "transformer/loss.hpp"

using namespace mogo;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A model of the given preset with random weights around the real model's tokenizer/VQ (or fresh ones).
T2MModel random_model(const std::string& preset, const T2MModel* like) {
  T2MModel m;
  if (like) {
    m.vq_config = like->vq_config;
    m.vq = like->vq;
    m.tokenizer = like->tokenizer;
    m.mean = like->mean;
    m.std = like->std;
    m.skeleton_json = like->skeleton_json;
  } else {
    m.vq_config = VQConfig::preset("tiny", 251);
    m.vq = RVQVAE(m.vq_config);
    std::vector<std::string> caps = {"a person walks forward", "someone jumps up and down", "a person waves with the right hand"};
    m.tokenizer = std::make_shared<Tokenizer>(Tokenizer::train(caps, 40));
    m.mean = torch::zeros({251});
    m.std = torch::ones({251});
    m.skeleton_json = Skeleton::kit().to_json().dump();
  }
  m.config = T2MConfig::preset(preset, m.vq_config.codebook_size, m.vq_config.num_quantizers);
  m.config.text.vocab_size = m.tokenizer->vocab_size();
  torch::manual_seed(0);
  m.transformer = HierarchicalCausalTransformer(m.config);
  m.train = T2MTrainConfig::preset(preset == "paper" ? "paper" : "tiny");
  return m;
}

void bench_generation(const std::string& name, Generator& g, double seconds) {
  for (bool cache : {true, false}) {
    GenerateOptions o;
    o.seconds = seconds;
    o.sampling.use_cache = cache;
    o.sampling.seed = 1;
    o.sampling.top_k = 0;
    g.generate({"a person walks forward"}, o);  // warm-up
    auto t0 = std::chrono::steady_clock::now();
    auto m = g.generate({"a person walks forward"}, o);
    double secs = seconds_since(t0);
    double motion = m[0].features.size(0) / kHumanML3DFps;
    std::printf("%-24s %-9s %6.1f s of motion in %7.3f s: %7.4f s per second of motion, %6.1fx real time\n", name.c_str(),
                cache ? "KV cache" : "no cache", motion, secs, secs / motion, motion / secs);
  }
  // Time to the first decoded frame: condition + 2 latent steps (the decoder's look-ahead) + decode.
  GenerateOptions o;
  o.seconds = 0.4;
  o.sampling.seed = 1;
  g.generate({"a person walks forward"}, o);
  auto t0 = std::chrono::steady_clock::now();
  g.generate({"a person walks forward"}, o);
  std::printf("%-24s time to first decoded frame: %.1f ms\n", name.c_str(), seconds_since(t0) * 1000);
}

void bench_train_step(const std::string& name, T2MModel& m, int64_t batch, int steps) {
  m.transformer->train();
  const auto o = m.train.optimiser();
  torch::optim::AdamW opt(m.transformer->parameters(), torch::optim::AdamWOptions(1e-4).betas({0.9, o.beta2}).weight_decay(o.weight_decay));
  const int64_t S = m.config.max_steps, Q = m.config.num_quantizers;
  auto tokens = torch::randint(0, m.config.codebook_size, {batch, Q, S}, torch::kLong);
  auto targets = torch::randint(0, m.config.codebook_size, {batch, Q, S + 1}, torch::kLong);
  std::vector<std::string> texts(static_cast<size_t>(batch), "a person walks forward and waves");
  auto tok = m.tokenizer->encode_batch(texts, m.config.text.max_length);
  auto step = [&] {
    auto logits = m.transformer->forward(m.transformer->condition(tok.ids, tok.mask), tokens);
    auto loss = layer_losses(logits, targets, targets).total;  // train-t2m's own loss
    opt.zero_grad();
    loss.backward();
    opt.step();
  };
  step();
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) step();
  double secs = seconds_since(t0) / steps;
  int64_t params = 0;
  for (const auto& p : m.transformer->parameters()) params += p.numel();
  std::printf("%-24s %6.1fM parameters, batch %3lld x %lld steps: %.3f s per train step (%.0f tokens/s)\n", name.c_str(),
              params / 1e6, (long long)batch, (long long)S, secs, batch * S * Q / secs);
}

}  // namespace

int main(int argc, char** argv) {
  int threads = configure_threads(argc > 1 ? std::atoi(argv[1]) : 0);
  double seconds = argc > 2 ? std::atof(argv[2]) : 10.0;
  std::string path = argc > 3 ? argv[3] : std::string(MOGO_SOURCE_DIR) + "/models/t2m-tiny.pt";
  std::printf("threads %d, BLAS %s\n", threads, blas_in_use().c_str());
  std::unique_ptr<T2MModel> real;
  if (std::filesystem::exists(path)) {
    real = std::make_unique<T2MModel>(load_t2m_model(path));
    Generator g(load_t2m_model(path), torch::kCPU);
    bench_generation("default (" + std::filesystem::path(path).filename().string() + ")", g, seconds);
  } else {
    std::printf("(no %s: default model skipped)\n", path.c_str());
  }
  {
    Generator g(random_model("paper", real.get()), torch::kCPU);
    bench_generation("paper size, random", g, seconds);
  }
  auto tiny = random_model("tiny", real.get());
  bench_train_step("train step, tiny", tiny, 64, 3);
  auto paper = random_model("paper", real.get());
  bench_train_step("train step, paper", paper, 8, 2);
  return 0;
}
