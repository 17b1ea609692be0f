// What data-parallel training communicates per optimisation step, for each trainer and preset:
// the gradients all-reduced (4 bytes per parameter, in ~25 MB buckets), the RVQ-VAE's latents
// gathered for its EMA codebooks (every layer's residual rows of the global batch), the
// evaluator's embeddings all-gathered for its global contrastive batch. A ring all-reduce sends
// about 2 (W-1)/W of the buffer per rank. Reported in docs/distributed.md.
//   usage: bench_distributed
#include <cstdio>

#include "eval/evaluator.hpp"
#include "eval/train_evaluator.hpp"
#include "transformer/config.hpp"
#include "transformer/hct.hpp"
#include "vq/config.hpp"
#include "vq/rvqvae.hpp"

using namespace mogo;

namespace {

int64_t parameter_bytes(const torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel() * 4;
  return n;
}

void row(const char* what, const char* preset, int64_t params, int64_t gathered) {
  std::printf("| %-10s | %-6s | %8.2f M | %9.1f MB | %9.2f MB |\n", what, preset, params / 4 / 1e6, params / 1e6, gathered / 1e6);
}

}  // namespace

int main() {
  std::printf("| trainer    | preset | parameters | gradients all-reduced | gathered (global batch) |\n|---|---|---:|---:|---:|\n");
  for (const char* preset : {"tiny", "paper"}) {
    auto c = VQConfig::preset(preset, 263);
    auto t = VQTrainConfig::preset(preset);
    RVQVAE vq(c);
    // Each layer gathers the residual rows of the global batch: B * (window / down-sampling) rows x C.
    const int64_t rows = t.batch_size * (t.window / c.downsample());
    row("train-vq", preset, parameter_bytes(*vq), rows * c.code_dim * 4 * c.num_quantizers);
  }
  for (const char* preset : {"tiny", "paper"}) {
    auto vq = VQConfig::preset(preset, 263);
    HierarchicalCausalTransformer hct(T2MConfig::preset(preset, vq.codebook_size, vq.num_quantizers));
    row("train-t2m", preset, parameter_bytes(*hct), 0);
  }
  EvaluatorTrainConfig e;
  TextEncoderConfig tc;
  tc.dim = tc.out_dim = e.dim;
  MotionEncoderConfig mc;
  mc.dim = mc.out_dim = e.dim;
  Evaluator ev(tc, mc);
  row("train-eval", "default", parameter_bytes(*ev), 2 * e.batch_size * e.dim * 4);
  return 0;
}
