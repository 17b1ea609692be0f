// Incremental decoding for streams: latents go in as the transformer draws them, frames come out
// as soon as they are final, and each convolution keeps the few inputs it still needs (its state)
// instead of a window of latents being decoded again for every step.
//
// Works for any decoder layout: a convolution that reads r inputs ahead holds its outputs back by
// r (a residual block delays its skip path to match), so frame f leaves once the last latent of
// Decoder::latent_span(f) has been pushed: one step after its own for decoder_lookahead 1, 22 for
// the centred `tiny` decoder. The frames equal those of decoding the whole sequence at once (zero
// padding at both ends): finish() pushes the right end's zeros.
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include <torch/torch.h>

#include "vq/conv_stacks.hpp"
#include "vq/decoder_inference.hpp"

namespace mogo {

class DecoderStream {
 public:
  // fast: on a CPU decoder, the packed path (DecoderInference; the same frames to float rounding).
  // false: the modules' own convolutions (the reference, and the path on a GPU).
  explicit DecoderStream(const Decoder& decoder, bool fast = true);

  // latents [B,C,n] (n >= 0, B fixed by the first call) -> normalised features [B,m,D] of the
  // frames that became final (m >= 0).
  torch::Tensor push(const torch::Tensor& latents);
  // The end of the sequence: every frame still held back. No push after it.
  torch::Tensor finish();
  int64_t frames_out() const { return frames_out_; }
  bool fast() const { return fast_ != nullptr; }

  // How the packed path's jobs are run: alone by default; the server's StepBatcher runs the jobs
  // of many streams in one pass.
  using FastPush = std::function<void(const DecoderInference&, std::vector<DecoderInference::Job*>&)>;
  void set_fast_push(FastPush f) { fast_push_ = std::move(f); }

 private:
  // One stride-1 convolution: output i reads inputs i - left .. i + right. `held` keeps the last
  // left + right inputs (left zeros before the first input).
  struct Conv {
    torch::nn::Conv1dImpl* conv = nullptr;
    int64_t left = 0, right = 0;
    torch::Tensor held;
    torch::Tensor push(const torch::Tensor& x);
    torch::Tensor push_then_end(const torch::Tensor& x, bool end);  // at the end: right zeros after x
  };
  using Kind = StreamLayer::Kind;
  struct Op {
    Kind kind = Kind::relu;
    Conv conv;            // conv; residual: the k3 convolution
    torch::nn::Conv1dImpl* pointwise = nullptr;  // residual: the k1 convolution
    torch::Tensor skip;   // residual: inputs waiting for the k3 convolution's outputs
    int64_t scale = 1;    // upsample
  };
  torch::Tensor run(torch::Tensor x, bool end);
  torch::Tensor run_fast(const torch::Tensor& latents, bool end);  // [B,C,n] -> [B,m,D]
  torch::Tensor apply(Op& op, const torch::Tensor& x, bool end);

  Decoder decoder_;  // owns the weights the ops point to
  std::vector<Op> ops_;
  torch::Tensor empty_input_;  // [B,C,0] once the batch is known
  std::shared_ptr<const DecoderInference> fast_;  // null: the modules' convolutions
  std::vector<DecoderInference::State> rows_;     // fast path: one state per row
  FastPush fast_push_;
  int64_t frames_out_ = 0;
  bool ended_ = false;
};

}  // namespace mogo
