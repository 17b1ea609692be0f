#include "vq/decoder_stream.hpp"

#include "common/error.hpp"

namespace mogo {

namespace nn = torch::nn;

DecoderStream::DecoderStream(const Decoder& decoder, bool fast) : decoder_(decoder) {
  if (fast) fast_ = decoder_->inference();
  for (const auto& l : decoder_->stream_layers()) {
    Op op;
    op.kind = l.kind;
    op.conv.conv = l.conv;
    op.conv.left = l.left;
    op.conv.right = l.right;
    op.pointwise = l.pointwise;
    op.scale = l.scale;
    ops_.push_back(op);
  }
}

torch::Tensor DecoderStream::Conv::push(const torch::Tensor& x) {
  if (!held.defined()) held = torch::zeros({x.size(0), x.size(1), left}, x.options());
  auto buffer = torch::cat({held, x}, 2);
  const int64_t reach = left + right, n = buffer.size(2) - reach;
  if (n <= 0) {
    held = buffer;
    return torch::zeros({x.size(0), conv->options.out_channels(), 0}, x.options());
  }
  held = buffer.narrow(2, n, reach);
  const int64_t dilation = conv->options.dilation()->front();
  return nn::functional::conv1d(buffer, conv->weight, nn::functional::Conv1dFuncOptions().bias(conv->bias).dilation(dilation));
}

torch::Tensor DecoderStream::Conv::push_then_end(const torch::Tensor& x, bool end) {
  auto y = push(x);
  if (!end || right == 0) return y;
  return torch::cat({y, push(torch::zeros({x.size(0), x.size(1), right}, x.options()))}, 2);
}

torch::Tensor DecoderStream::apply(Op& op, const torch::Tensor& x, bool end) {
  switch (op.kind) {
    case Kind::conv:
      return op.conv.push_then_end(x, end);
    case Kind::relu:
      return torch::relu(x);
    case Kind::upsample:
      return x.repeat_interleave(op.scale, 2);  // nearest
    case Kind::residual: {
      // x + k1(relu(k3(relu(x)))): the skip path waits for the k3 convolution's held-back outputs.
      auto h = op.conv.push_then_end(torch::relu(x), end);
      op.skip = op.skip.defined() ? torch::cat({op.skip, x}, 2) : x;
      const int64_t n = h.size(2);
      auto out = op.skip.narrow(2, 0, n);
      op.skip = op.skip.narrow(2, n, op.skip.size(2) - n);
      if (n == 0) return out;
      return out + op.pointwise->forward(torch::relu(h));
    }
  }
  return x;
}

torch::Tensor DecoderStream::run_fast(const torch::Tensor& latents, bool end) {
  const int64_t B = latents.size(0), C = fast_->in_channels(), D = fast_->out_channels();
  if (rows_.empty())
    for (int64_t b = 0; b < B; ++b) rows_.push_back(fast_->start());
  auto x = latents.to(torch::kCPU, torch::kFloat).permute({0, 2, 1}).contiguous();  // [B,n,C]
  std::vector<DecoderInference::Job> jobs(static_cast<size_t>(B));
  std::vector<DecoderInference::Job*> pointers;
  for (int64_t b = 0; b < B; ++b) {
    auto& job = jobs[static_cast<size_t>(b)];
    job.state = &rows_[static_cast<size_t>(b)];
    const float* from = x[b].data_ptr<float>();
    job.x.assign(from, from + x.size(1) * C);
    job.end = end;
    pointers.push_back(&job);
  }
  if (fast_push_) fast_push_(*fast_, pointers);
  else fast_->push(pointers);
  const int64_t m = static_cast<int64_t>(jobs[0].out.size()) / D;  // every row has the same frames
  auto out = torch::empty({B, m, D});
  for (int64_t b = 0; b < B; ++b) std::copy(jobs[b].out.begin(), jobs[b].out.end(), out[b].data_ptr<float>());
  frames_out_ += m;
  return out.to(latents.device());
}

torch::Tensor DecoderStream::run(torch::Tensor x, bool end) {
  if (fast_) return run_fast(x, end);
  for (auto& op : ops_) x = apply(op, x, end);
  frames_out_ += x.size(2);
  return x.permute({0, 2, 1});  // [B,m,D]
}

torch::Tensor DecoderStream::push(const torch::Tensor& latents) {
  require(!ended_, "DecoderStream: push after finish");
  require(latents.dim() == 3, "DecoderStream: latents must be [B,C,n], got " + c10::str(latents.sizes()));
  if (!empty_input_.defined()) empty_input_ = latents.narrow(2, 0, 0);
  require(latents.size(0) == empty_input_.size(0) && latents.size(1) == empty_input_.size(1),
          "DecoderStream: latents must be [" + std::to_string(empty_input_.size(0)) + "," + std::to_string(empty_input_.size(1)) +
              ",n], got " + c10::str(latents.sizes()));
  return run(latents, false);
}

torch::Tensor DecoderStream::finish() {
  require(!ended_, "DecoderStream: finish twice");
  ended_ = true;
  if (!empty_input_.defined()) {
    // Nothing was pushed: no frames (one row, the decoder's output size).
    const auto& last = ops_.back().conv.conv->options;
    return torch::zeros({1, 0, last.out_channels()});
  }
  return run(empty_input_, true);
}

}  // namespace mogo
