// Per-step generation cost of the hierarchical causal transformer against a peer: the same
// transformer in PyTorch eager (bench/peer/hct_eager.py, Debian's python3-torch: random weights,
// the same sizes, sampling, key/value cache and classifier-free guidance as a batch of 2). mogo's
// packed inference path, mogo's module path (LibTorch operators, the reference) and the peer run in
// one process tree, alternating repetition by repetition, on the same thread count; the ratios are
// of medians. No decoding: the transformer and sampling only (bench_t2m includes decoding).
// Each size twice: float32 weights, and weights that are float16 values (as the shipped model files
// store them), which mogo's packed path streams as float16 (the same numbers, half the bytes).
//   usage: bench_hct_peer [tiny|paper|both] [repetitions] [steps] [threads]
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/runtime.hpp"
#include "transformer/hct.hpp"
#include "transformer/sampler.hpp"

using namespace mogo;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The peer as a child process: one line in ('run'), one line out (its seconds).
class Peer {
 public:
  Peer(const T2MConfig& c, int64_t steps, int threads) {
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      close(in[1]);
      close(out[0]);
      std::vector<std::string> args = {"/usr/bin/python3", std::string(MOGO_SOURCE_DIR) + "/bench/peer/hct_eager.py",
                                       "--dim", std::to_string(c.dim), "--heads", std::to_string(c.heads),
                                       "--base-layers", std::to_string(c.base_layers), "--residual-layers",
                                       std::to_string(c.residual_layers), "--ff-mult", std::to_string(c.ff_mult),
                                       "--codes", std::to_string(c.codebook_size), "--quantizers",
                                       std::to_string(c.num_quantizers), "--steps", std::to_string(steps),
                                       "--threads=" + std::to_string(threads)};
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      std::perror("execv /usr/bin/python3 (install python3-torch: bash scripts/setup.sh --bench)");
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    to_ = fdopen(in[1], "w");
    from_ = fdopen(out[0], "r");
    if (line() != "ready") throw std::runtime_error("the PyTorch peer did not start (python3-torch installed?)");
  }
  ~Peer() {
    std::fputs("quit\n", to_);
    std::fclose(to_);
    std::fclose(from_);
    waitpid(pid_, nullptr, 0);
  }
  double run() {
    std::fputs("run\n", to_);
    std::fflush(to_);
    return std::stod(line());
  }

 private:
  std::string line() {
    char buf[256];
    if (!std::fgets(buf, sizeof buf, from_)) throw std::runtime_error("the PyTorch peer stopped");
    std::string s(buf);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
  }
  pid_t pid_;
  FILE* to_ = nullptr;
  FILE* from_ = nullptr;
};

// mogo: `steps` steps of one guided sequence, as the engine draws them (fixed length, no END).
double generate(HierarchicalCausalTransformer& model, const torch::Tensor& cond, int64_t steps, bool fast) {
  SamplingParams p;
  p.seed = 1;
  p.fast_path = fast;
  auto t0 = std::chrono::steady_clock::now();
  StepSampler s(model, cond, p);
  for (int64_t i = 0; i < steps; ++i) {
    auto t = s.next({false}).tokens;
    s.feed(t.unsqueeze(2));
    s.keep_recent(model->cfg.max_steps);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// half: the weights rounded to float16 values, as a model file stored with --half holds them (the
// shipped models): mogo's packed path then streams them as float16, the same numbers.
void compare(const std::string& preset, int reps, int64_t steps, int threads, bool half) {
  auto c = T2MConfig::preset(preset, 512, 6);
  c.dropout = 0;
  torch::manual_seed(0);
  HierarchicalCausalTransformer model(c);
  model->eval();
  torch::NoGradGuard no_grad;
  if (half)
    for (auto& p : model->parameters()) p.copy_(p.to(torch::kHalf).to(torch::kFloat));
  auto cond = torch::randn({1, c.dim});
  Peer peer(c, steps, threads);
  generate(model, cond, steps, true);  // warm-up (packs the weights)
  generate(model, cond, steps, false);
  std::vector<double> fast, reference, eager;
  for (int r = 0; r < reps; ++r) {  // alternating, the order rotating
    for (int k = 0; k < 3; ++k) {
      switch ((r + k) % 3) {
        case 0: fast.push_back(generate(model, cond, steps, true)); break;
        case 1: reference.push_back(generate(model, cond, steps, false)); break;
        default: eager.push_back(peer.run());
      }
    }
  }
  const double f = median(fast) / steps * 1e3, m = median(reference) / steps * 1e3, e = median(eager) / steps * 1e3;
  std::printf("%-6s %s d=%-5lld layers=%lld+%lldx%lld  ms/step: mogo fast %.3f | mogo modules %.3f | PyTorch eager %.3f"
              "  => fast %.2fx eager, %.2fx modules (%d reps x %lld steps, %d thread%s)\n",
              preset.c_str(), half ? "fp16-stored" : "fp32       ", static_cast<long long>(c.dim), static_cast<long long>(c.base_layers),
              static_cast<long long>(c.num_quantizers - 1), static_cast<long long>(c.residual_layers), f, m, e, e / f,
              m / f, reps, static_cast<long long>(steps), threads, threads == 1 ? "" : "s");
}

}  // namespace

int main(int argc, char** argv) {
  const std::string which = argc > 1 ? argv[1] : "both";
  const int reps = argc > 2 ? std::atoi(argv[2]) : 5;
  const int64_t steps = argc > 3 ? std::atoll(argv[3]) : 48;
  const int threads = argc > 4 ? std::atoi(argv[4]) : 1;
  configure_threads(threads);
  for (const std::string preset : {"tiny", "paper"})
    for (bool half : {false, true})
      if (which == "both" || which == preset) compare(preset, reps, steps, threads, half);
}
