#include "vq/decoder_inference.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "vq/conv_stacks.hpp"

namespace mogo {

namespace nn = torch::nn;

namespace {

// W [out, in, k] -> W' [out, k in] (tap-major), float32 contiguous.
kernels::PackedLinear pack_conv(const nn::Conv1dImpl& c) {
  auto w = c.weight.detach().to(torch::kCPU, torch::kFloat).permute({0, 2, 1}).contiguous();
  const int64_t out = w.size(0), K = w.size(1) * w.size(2);
  torch::Tensor b;
  if (c.bias.defined()) b = c.bias.detach().to(torch::kCPU, torch::kFloat).contiguous();
  return kernels::PackedLinear(w.data_ptr<float>(), b.defined() ? b.data_ptr<float>() : nullptr, out, K);
}

void relu(std::vector<float>& x) {
  for (auto& v : x) v = std::max(v, 0.0f);
}

}  // namespace

DecoderInference::DecoderInference(const DecoderImpl& decoder) {
  torch::NoGradGuard no_grad;
  int64_t width = -1;  // channels flowing between layers
  for (const auto& s : decoder.stream_layers()) {
    Layer l;
    l.kind = s.kind;
    l.left = s.left;
    l.right = s.right;
    l.scale = s.scale;
    l.in = l.out = width;
    if (s.conv) {
      l.conv = pack_conv(*s.conv);
      l.in = s.conv->options.in_channels();
      l.out = s.conv->options.out_channels();
      l.taps = s.conv->options.kernel_size()->front();
      l.dilation = s.conv->options.dilation()->front();
      if (width < 0) in_ = l.in;
      width = l.out;
    }
    if (s.pointwise) l.pointwise = pack_conv(*s.pointwise);
    layers_.push_back(std::move(l));
  }
  out_ = width;
}

DecoderInference::State DecoderInference::start() const {
  State s;
  s.held.resize(layers_.size());
  s.skip.resize(layers_.size());
  for (size_t l = 0; l < layers_.size(); ++l) s.held[l].assign(static_cast<size_t>(layers_[l].left * layers_[l].in), 0.0f);
  return s;
}

std::vector<std::vector<float>> DecoderInference::run_conv(const Layer& L, size_t l, std::vector<Job*>& jobs,
                                                           std::vector<std::vector<float>>& x) const {
  const int64_t reach = L.dilation * (L.taps - 1), K = L.taps * L.in;
  // Each job's buffer (held inputs, then the new ones, then at the end `right` zeros) and the
  // concatenated inputs of every output it now completes, gathered as rows of one product.
  std::vector<int64_t> outputs(jobs.size(), 0);
  std::vector<float> rows;
  for (size_t j = 0; j < jobs.size(); ++j) {
    auto& held = jobs[j]->state->held[l];
    held.insert(held.end(), x[j].begin(), x[j].end());
    if (jobs[j]->end) held.resize(held.size() + static_cast<size_t>(L.right * L.in), 0.0f);
    const int64_t frames = static_cast<int64_t>(held.size()) / L.in, n = frames - reach;
    if (n <= 0) continue;
    outputs[j] = n;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t t = 0; t < L.taps; ++t) {
        const float* from = held.data() + (i + t * L.dilation) * L.in;
        rows.insert(rows.end(), from, from + L.in);
      }
    held.erase(held.begin(), held.begin() + n * L.in);  // the last `reach` inputs stay
  }
  const int64_t M = static_cast<int64_t>(rows.size()) / std::max<int64_t>(K, 1);
  std::vector<float> y(static_cast<size_t>(M * L.out));
  if (M > 0) kernels::linear(rows.data(), M, L.conv, y.data(), L.out);
  std::vector<std::vector<float>> out(jobs.size());
  int64_t first = 0;
  for (size_t j = 0; j < jobs.size(); ++j) {
    out[j].assign(y.begin() + first * L.out, y.begin() + (first + outputs[j]) * L.out);
    first += outputs[j];
  }
  return out;
}

std::vector<std::vector<float>> DecoderInference::run_layer(size_t l, std::vector<Job*>& jobs,
                                                            std::vector<std::vector<float>>& x) const {
  const Layer& L = layers_[l];
  switch (L.kind) {
    case Kind::conv:
      return run_conv(L, l, jobs, x);
    case Kind::relu:
      for (auto& v : x) relu(v);
      return std::move(x);
    case Kind::upsample: {  // nearest: each frame `scale` times
      std::vector<std::vector<float>> out(x.size());
      for (size_t j = 0; j < x.size(); ++j) {
        const int64_t C = L.in;
        const int64_t frames = static_cast<int64_t>(x[j].size()) / C;
        for (int64_t f = 0; f < frames; ++f)
          for (int64_t s = 0; s < L.scale; ++s) out[j].insert(out[j].end(), x[j].begin() + f * C, x[j].begin() + (f + 1) * C);
      }
      return out;
    }
    case Kind::residual: {
      // x + k1(relu(k3(relu(x)))): the skip path waits for the k3 convolution's held-back outputs.
      std::vector<std::vector<float>> h(x.size());
      for (size_t j = 0; j < x.size(); ++j) {
        jobs[j]->state->skip[l].insert(jobs[j]->state->skip[l].end(), x[j].begin(), x[j].end());
        h[j] = x[j];
        relu(h[j]);
      }
      h = run_conv(L, l, jobs, h);
      std::vector<float> rows;
      for (auto& v : h) {
        relu(v);
        rows.insert(rows.end(), v.begin(), v.end());
      }
      const int64_t M = static_cast<int64_t>(rows.size()) / L.out;
      std::vector<float> y(rows.size());
      if (M > 0) kernels::linear(rows.data(), M, L.pointwise, y.data(), L.out);
      std::vector<std::vector<float>> out(x.size());
      size_t first = 0;
      for (size_t j = 0; j < x.size(); ++j) {
        auto& skip = jobs[j]->state->skip[l];
        const size_t n = h[j].size();
        out[j].assign(skip.begin(), skip.begin() + static_cast<std::ptrdiff_t>(n));
        skip.erase(skip.begin(), skip.begin() + static_cast<std::ptrdiff_t>(n));
        for (size_t i = 0; i < n; ++i) out[j][i] += y[first + i];
        first += n;
      }
      return out;
    }
  }
  return std::move(x);
}

void DecoderInference::push(std::vector<Job*>& jobs) const {
  std::vector<std::vector<float>> x(jobs.size());
  for (size_t j = 0; j < jobs.size(); ++j) {
    require(jobs[j]->x.size() % static_cast<size_t>(in_) == 0, "DecoderInference: latents must be frames x " + std::to_string(in_));
    x[j] = std::move(jobs[j]->x);  // consumed
  }
  for (size_t l = 0; l < layers_.size(); ++l) x = run_layer(l, jobs, x);
  for (size_t j = 0; j < jobs.size(); ++j) {
    jobs[j]->state->frames_out += static_cast<int64_t>(x[j].size()) / out_;
    jobs[j]->out = std::move(x[j]);
  }
}

}  // namespace mogo
