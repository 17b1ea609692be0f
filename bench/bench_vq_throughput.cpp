// RVQ-VAE training throughput (frames/s) for the `tiny` and `paper` presets, on random
// normalised features (throughput does not depend on the values). One optimisation step =
// forward, train-vq's own loss (vq_loss, the preset's terms), backward, AdamW update, EMA
// codebook update.
//   usage: bench_vq_throughput [threads] [steps]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "common/runtime.hpp"
#include "vq/config.hpp"
#include "vq/rvqvae.hpp"
#include "vq/train.hpp"

using namespace mogo;

int main(int argc, char** argv) {
  int threads = configure_threads(argc > 1 ? std::atoi(argv[1]) : 0);
  int steps = argc > 2 ? std::atoi(argv[2]) : 10;
  std::printf("threads %d, BLAS %s\n", threads, blas_in_use().c_str());
  for (const char* preset : {"tiny", "paper"}) {
    auto c = VQConfig::preset(preset, 263);
    auto t = VQTrainConfig::preset(preset);
    torch::manual_seed(0);
    RVQVAE model(c);
    model->train();
    const auto o = t.optimiser();
    torch::optim::AdamW opt(model->parameters(), torch::optim::AdamWOptions(t.lr).betas({0.9, o.beta2}).weight_decay(o.weight_decay));
    const auto mean = torch::zeros({c.input_dim}), std = torch::ones({c.input_dim});
    auto x = torch::randn({t.batch_size, t.window, c.input_dim});
    auto step = [&] {
      auto out = model->forward(x);
      auto loss = vq_loss(c, out, x, mean, std, nullptr).total;
      opt.zero_grad();
      loss.backward();
      opt.step();
    };
    step();  // warm-up (allocations, codebook seeding)
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < steps; ++i) step();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double frames = static_cast<double>(steps) * t.batch_size * t.window;
    std::printf("%-6s width %4lld codes %lldx%lld Q %lld batch %3lld x %lld frames: %8.0f frames/s (%.3f s/step)\n", preset,
                (long long)c.width, (long long)c.codebook_size, (long long)c.code_dim, (long long)c.num_quantizers,
                (long long)t.batch_size, (long long)t.window, frames / secs, secs / steps);
  }
  return 0;
}
