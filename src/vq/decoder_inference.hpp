// The RVQ-VAE decoder's CPU path for streams: the decoder's convolutions packed once into plain
// float matrices (common/kernels), each stream's convolution state in plain arrays, and the new
// frames of any number of streams computed together, one matrix product per layer.
//
// The layers are DecoderStream's (a convolution that reads r inputs ahead holds its outputs back
// by r; a residual block delays its skip path to match), so the frames equal those of decoding
// the whole sequence at once, to float rounding. A convolution of kernel k and dilation d over C
// inputs is a linear map of the k inputs it reads, concatenated:
//   y[i] = b + sum_t W[:,:,t] x[i - left + t d]  =  b + W' [x[i-left]; x[i-left+d]; ...]
// with W'[o, t C + c] = W[o, c, t]. Every output is summed in one fixed order, so a stream's frames
// are the same bits whichever streams it is decoded with.
#pragma once
#include <cstdint>
#include <vector>

#include "common/kernels.hpp"
#include "vq/conv_stacks.hpp"

namespace mogo {


class DecoderInference {
 public:
  explicit DecoderInference(const DecoderImpl& decoder);

  // One stream's state: what each layer still holds (time-major, frames x channels).
  struct State {
    std::vector<std::vector<float>> held;  // per layer: the convolution's last inputs (or none)
    std::vector<std::vector<float>> skip;  // per layer: residual inputs waiting for their outputs
    int64_t frames_out = 0;
  };
  State start() const;

  // One stream's push: latents in (n x in_channels(), time-major; consumed), final frames out (m x
  // out_channels()). end: the sequence ends after these latents (the right zeros are pushed).
  struct Job {
    State* state = nullptr;
    std::vector<float> x;
    bool end = false;
    std::vector<float> out;
  };
  // Runs every job's push, all of them through each layer together.
  void push(std::vector<Job*>& jobs) const;

  int64_t in_channels() const { return in_; }
  int64_t out_channels() const { return out_; }

 private:
  using Kind = StreamLayer::Kind;
  struct Layer {
    Kind kind = Kind::relu;
    kernels::PackedLinear conv;        // conv; residual: the dilated k3 convolution
    kernels::PackedLinear pointwise;   // residual: the k1 convolution
    int64_t in = 0, out = 0, taps = 1, dilation = 1, left = 0, right = 0, scale = 1;
  };
  // Pushes x (frames x layer.in per job) through layer l; returns each job's output frames.
  std::vector<std::vector<float>> run_conv(const Layer& layer, size_t l, std::vector<Job*>& jobs,
                                           std::vector<std::vector<float>>& x) const;
  std::vector<std::vector<float>> run_layer(size_t l, std::vector<Job*>& jobs, std::vector<std::vector<float>>& x) const;

  std::vector<Layer> layers_;
  int64_t in_ = 0, out_ = 0;
};

}  // namespace mogo
