#include "vq/conv_stacks.hpp"

#include "vq/decoder_inference.hpp"

#include "common/error.hpp"

namespace mogo {

namespace nn = torch::nn;

namespace {
nn::Conv1d conv(int64_t in, int64_t out, int64_t k, int64_t stride = 1, int64_t pad = 1, int64_t dil = 1) {
  return nn::Conv1d(nn::Conv1dOptions(in, out, k).stride(stride).padding(pad).dilation(dil));
}
}  // namespace

ResConv1DBlockImpl::ResConv1DBlockImpl(int64_t width, int64_t dilation, bool causal) : crop(causal ? 2 * dilation : 0) {
  conv1 = register_module("conv1", conv(width, width, 3, 1, causal ? 2 * dilation : dilation, dilation));
  conv2 = register_module("conv2", conv(width, width, 1, 1, 0));
}

torch::Tensor ResConv1DBlockImpl::forward(const torch::Tensor& x) {
  auto h = conv1(torch::relu(x));
  if (crop > 0) h = h.narrow(2, 0, h.size(2) - crop);
  return x + conv2(torch::relu(h));
}

Resnet1DImpl::Resnet1DImpl(int64_t width, int64_t depth, int64_t growth, bool causal) {
  // Largest dilation first (9, 3, 1).
  for (int64_t d = depth - 1; d >= 0; --d) {
    int64_t dil = 1;
    for (int64_t k = 0; k < d; ++k) dil *= growth;
    blocks->push_back(ResConv1DBlock(width, dil, causal));
  }
  register_module("blocks", blocks);
}

torch::Tensor Resnet1DImpl::forward(torch::Tensor x) {
  for (auto& b : *blocks) x = b->as<ResConv1DBlock>()->forward(x);
  return x;
}

EncoderImpl::EncoderImpl(const VQConfig& c) {
  net->push_back(conv(c.input_dim, c.width, 3));
  net->push_back(nn::ReLU());
  for (int64_t i = 0; i < c.down_t; ++i) {
    net->push_back(conv(c.width, c.width, 4, 2, 1));
    net->push_back(Resnet1D(c.width, c.depth, c.dilation_growth));
  }
  net->push_back(conv(c.width, c.code_dim, 3));
  register_module("net", net);
}

torch::Tensor EncoderImpl::forward(const torch::Tensor& x) { return net->forward(x); }

DecoderImpl::DecoderImpl(const VQConfig& c) {
  require(c.decoder_lookahead >= -1 && c.decoder_lookahead <= 1,
          "RVQ-VAE config: decoder_lookahead must be -1, 0 or 1, got " + std::to_string(c.decoder_lookahead));
  const bool causal = c.decoder_lookahead >= 0;
  // A k3 convolution, centred or causal.
  auto conv3 = [&](int64_t in, int64_t out, bool centred) {
    net->push_back(conv(in, out, 3, 1, centred ? 1 : 2));
    if (!centred) net->push_back(CropRight(2));
  };
  conv3(c.code_dim, c.width, !causal || c.decoder_lookahead == 1);
  net->push_back(nn::ReLU());
  for (int64_t i = 0; i < c.down_t; ++i) {
    net->push_back(Resnet1D(c.width, c.depth, c.dilation_growth, causal));
    net->push_back(nn::Upsample(nn::UpsampleOptions().scale_factor(std::vector<double>{2.0}).mode(torch::kNearest)));
    conv3(c.width, c.width, !causal);
  }
  conv3(c.width, c.width, !causal);
  net->push_back(nn::ReLU());
  conv3(c.width, c.input_dim, !causal);
  register_module("net", net);
}

torch::Tensor DecoderImpl::forward(const torch::Tensor& z) { return net->forward(z); }

namespace {
int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// Output range -> input range of one layer (output i of a convolution reads inputs
// i - pad .. i - pad + dil (k - 1); nearest up-sampling by s reads floor(i / s)).
Span input_span(const std::shared_ptr<torch::nn::Module>& m, Span out) {
  if (auto* c = m->as<nn::Conv1dImpl>()) {
    const auto& o = c->options;
    const int64_t k = o.kernel_size()->front(), d = o.dilation()->front(), s = o.stride()->front();
    const int64_t pad = conv_padding(*c);
    return {out.first * s - pad, out.last * s - pad + d * (k - 1)};
  }
  if (auto* u = m->as<nn::UpsampleImpl>()) {
    const auto s = static_cast<int64_t>(u->options.scale_factor()->front());
    return {floor_div(out.first, s), floor_div(out.last, s)};
  }
  // Residual stacks: each block widens by its dilation (conv k3 then conv k1), in any order.
  if (auto* r = m->as<Resnet1DImpl>()) {
    for (const auto& b : *r->blocks) out = input_span(b->as<ResConv1DBlockImpl>()->conv1.ptr(), out);
    return out;
  }
  return out;  // element-wise (ReLU)
}
}  // namespace

namespace {
// Its variant type is c10's in LibTorch 1.x and std's in 2.x.
template <class Variant>
int64_t explicit_padding(const Variant& v) {
  using namespace c10;
  using namespace std;
  const auto* p = get_if<torch::ExpandingArray<1>>(&v);
  TORCH_CHECK(p, "decoder convolutions must use explicit padding");
  return (*p)->front();
}
}  // namespace

int64_t conv_padding(const nn::Conv1dImpl& conv) { return explicit_padding(conv.options.padding()); }

std::vector<StreamLayer> DecoderImpl::stream_layers() const {
  auto conv_layer = [](StreamLayer::Kind kind, nn::Conv1dImpl* c) {
    TORCH_CHECK(c->options.stride()->front() == 1, "a streamed decoder needs stride-1 convolutions");
    StreamLayer l;
    l.kind = kind;
    l.conv = c;
    l.left = conv_padding(*c);
    l.right = c->options.dilation()->front() * (c->options.kernel_size()->front() - 1) - l.left;
    return l;
  };
  std::vector<StreamLayer> out;
  for (const auto& m : net->children()) {
    if (auto* c = m->as<nn::Conv1dImpl>()) {
      out.push_back(conv_layer(StreamLayer::Kind::conv, c));
    } else if (m->as<nn::ReLUImpl>()) {
      out.push_back({});
    } else if (auto* u = m->as<nn::UpsampleImpl>()) {
      StreamLayer l;
      l.kind = StreamLayer::Kind::upsample;
      l.scale = static_cast<int64_t>(u->options.scale_factor()->front());
      out.push_back(l);
    } else if (auto* r = m->as<Resnet1DImpl>()) {
      for (const auto& b : *r->blocks) {
        auto* block = b->as<ResConv1DBlockImpl>();
        StreamLayer l = conv_layer(StreamLayer::Kind::residual, block->conv1.get());
        l.pointwise = block->conv2.get();
        out.push_back(l);
      }
    } else {
      // CropRight: already counted in the convolution's reach (output i keeps its inputs).
      TORCH_CHECK(m->as<CropRightImpl>(), "a streamed decoder has an unexpected layer ", m->name());
    }
  }
  return out;
}

std::shared_ptr<const DecoderInference> DecoderImpl::inference() {
  std::lock_guard<std::mutex> lock(inference_mutex_);
  if (!inference_ && parameters().front().device().is_cpu()) inference_ = std::make_shared<const DecoderInference>(*this);
  return inference_;
}

void DecoderImpl::train(bool on) {
  {
    std::lock_guard<std::mutex> lock(inference_mutex_);
    inference_.reset();
  }
  torch::nn::Module::train(on);
}

Span DecoderImpl::latent_span(int64_t frame) const {
  Span s{frame, frame};
  const auto layers = net->children();
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) s = input_span(*it, s);
  return s;
}

}  // namespace mogo
