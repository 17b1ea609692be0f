// The RVQ-VAE's 1-D convolutional encoder and decoder (T2M-GPT / MoMask layout).
//   Encoder: Conv1d(D->W,3) ReLU, down_t x [Conv1d(W->W, k4, s2, p1), Resnet1D], Conv1d(W->C,3)
//   Decoder: Conv1d(C->W,3) ReLU, down_t x [Resnet1D, Upsample x2 (nearest), Conv1d(W->W,3)],
//            Conv1d(W->W,3) ReLU, Conv1d(W->D,3)
//   Resnet1D: depth blocks, dilations growth^(depth-1) .. 1 (9, 3, 1):
//            x + Conv1d_k1(ReLU(Conv1d_k3,dil(ReLU(x))))
// A causal convolution (VQConfig::decoder_lookahead >= 0) pads both sides by dil (k - 1) and drops
// as many outputs on the right (CropRight): output i reads inputs i - dil (k - 1) .. i; the
// parameters keep the shapes of the centred layout.
#pragma once
#include <memory>
#include <mutex>

#include <torch/torch.h>

#include "vq/config.hpp"

namespace mogo {

// Drops the last n positions of [B,W,T] (what makes a symmetrically padded convolution causal).
struct CropRightImpl : torch::nn::Module {
  explicit CropRightImpl(int64_t n) : n(n) {}
  torch::Tensor forward(const torch::Tensor& x) { return x.narrow(2, 0, x.size(2) - n); }
  int64_t n;
};
TORCH_MODULE(CropRight);

struct ResConv1DBlockImpl : torch::nn::Module {
  ResConv1DBlockImpl(int64_t width, int64_t dilation, bool causal = false);
  torch::Tensor forward(const torch::Tensor& x);  // [B,W,T] -> [B,W,T]
  torch::nn::Conv1d conv1{nullptr}, conv2{nullptr};
  int64_t crop = 0;  // outputs of conv1 dropped on the right (causal: 2 dil)
};
TORCH_MODULE(ResConv1DBlock);

struct Resnet1DImpl : torch::nn::Module {
  Resnet1DImpl(int64_t width, int64_t depth, int64_t growth, bool causal = false);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::ModuleList blocks;
};
TORCH_MODULE(Resnet1D);

struct EncoderImpl : torch::nn::Module {
  explicit EncoderImpl(const VQConfig& c);
  torch::Tensor forward(const torch::Tensor& x);  // [B,D,T] -> [B,C,T/4]
  torch::nn::Sequential net;
};
TORCH_MODULE(Encoder);

// Inclusive range of positions [first, last]; may reach past either end of a sequence (padding).
struct Span {
  int64_t first, last;
};

class DecoderInference;

// One decoder layer as a stream runs it (DecoderStream, DecoderInference): a stride-1 convolution
// whose output i reads inputs i - left .. i + right (a CropRight is counted in its reach), a ReLU,
// a nearest upsampling, or a residual block x + pointwise(relu(conv(relu(x)))).
struct StreamLayer {
  enum class Kind { conv, relu, upsample, residual };
  Kind kind = Kind::relu;
  torch::nn::Conv1dImpl* conv = nullptr;       // conv; residual: the dilated k3 convolution
  torch::nn::Conv1dImpl* pointwise = nullptr;  // residual: the k1 convolution
  int64_t left = 0, right = 0, scale = 1;
};

struct DecoderImpl : torch::nn::Module {
  explicit DecoderImpl(const VQConfig& c);
  torch::Tensor forward(const torch::Tensor& z);  // [B,C,T/4] -> [B,D,T]
  // The latent steps output frame `frame` depends on (its receptive field), read off the layers
  // themselves. A stream may emit a frame once its last latent exists, and decoding any window
  // of latents that covers the span of every frame wanted gives those frames exactly.
  Span latent_span(int64_t frame) const;
  // The layers in order, as a stream runs them (the one reading of the layout for both stream paths).
  std::vector<StreamLayer> stream_layers() const;
  // The packed CPU path for streams over the current weights (vq/decoder_inference), made on first
  // use and shared by every stream; null on another device. train() drops it (weights change).
  std::shared_ptr<const DecoderInference> inference();
  void train(bool on = true) override;
  torch::nn::Sequential net;

 private:
  std::mutex inference_mutex_;
  std::shared_ptr<const DecoderInference> inference_;
};
TORCH_MODULE(Decoder);

// The explicit padding of a convolution (both sides); throws unless it is explicit.
int64_t conv_padding(const torch::nn::Conv1dImpl& conv);

}  // namespace mogo
