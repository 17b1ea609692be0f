#include "vq/conv_stacks.hpp"

namespace mogo {

namespace nn = torch::nn;

namespace {
nn::Conv1d conv(int64_t in, int64_t out, int64_t k, int64_t stride = 1, int64_t pad = 1, int64_t dil = 1) {
  return nn::Conv1d(nn::Conv1dOptions(in, out, k).stride(stride).padding(pad).dilation(dil));
}
}  // namespace

ResConv1DBlockImpl::ResConv1DBlockImpl(int64_t width, int64_t dilation) {
  conv1 = register_module("conv1", conv(width, width, 3, 1, dilation, dilation));
  conv2 = register_module("conv2", conv(width, width, 1, 1, 0));
}

torch::Tensor ResConv1DBlockImpl::forward(const torch::Tensor& x) {
  return x + conv2(torch::relu(conv1(torch::relu(x))));
}

Resnet1DImpl::Resnet1DImpl(int64_t width, int64_t depth, int64_t growth) {
  // Largest dilation first (9, 3, 1).
  for (int64_t d = depth - 1; d >= 0; --d) {
    int64_t dil = 1;
    for (int64_t k = 0; k < d; ++k) dil *= growth;
    blocks->push_back(ResConv1DBlock(width, dil));
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
  net->push_back(conv(c.code_dim, c.width, 3));
  net->push_back(nn::ReLU());
  for (int64_t i = 0; i < c.down_t; ++i) {
    net->push_back(Resnet1D(c.width, c.depth, c.dilation_growth));
    net->push_back(nn::Upsample(nn::UpsampleOptions().scale_factor(std::vector<double>{2.0}).mode(torch::kNearest)));
    net->push_back(conv(c.width, c.width, 3));
  }
  net->push_back(conv(c.width, c.width, 3));
  net->push_back(nn::ReLU());
  net->push_back(conv(c.width, c.input_dim, 3));
  register_module("net", net);
}

torch::Tensor DecoderImpl::forward(const torch::Tensor& z) { return net->forward(z); }

}  // namespace mogo
