#include "transformer/inference.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.hpp"
#include "transformer/hct.hpp"
#include "common/kernels.hpp"

namespace mogo {

namespace {

std::vector<float> copy_of(const torch::Tensor& t) {
  auto c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

kernels::PackedLinear packed(const torch::nn::LinearImpl& l) {
  auto w = l.weight.detach().to(torch::kCPU, torch::kFloat).contiguous();
  auto b = l.bias.detach().to(torch::kCPU, torch::kFloat).contiguous();
  return kernels::PackedLinear(w.data_ptr<float>(), b.data_ptr<float>(), w.size(0), w.size(1));
}

// Work arrays of one forward pass, kept per thread so that steps allocate nothing once warm.
struct Scratch {
  std::vector<float> h, a, qkv, att, ff, scores, rope;
  static float* sized(std::vector<float>& v, int64_t n) {
    if (static_cast<int64_t>(v.size()) < n) v.resize(static_cast<size_t>(n));
    return v.data();
  }
};
thread_local Scratch scratch;

}  // namespace

HCTInference::HCTInference(HierarchicalCausalTransformerImpl& m)
    : cfg_(m.cfg), d_(m.cfg.dim), heads_(m.cfg.heads), dh_(m.cfg.dim / m.cfg.heads), eps_(1e-5f) {
  torch::NoGradGuard no_grad;
  // inv_freq_i = base^(-2i/dh), computed by the same float operations as rotary_angles.
  auto f = torch::TensorOptions().dtype(torch::kFloat);
  inv_freq_ = copy_of(torch::pow(cfg_.rope_base, -torch::arange(0, dh_ / 2, f) * 2.0 / dh_));
  level_emb_ = copy_of(m.level_emb);
  for (int64_t q = 0; q < cfg_.num_quantizers; ++q) {
    embeddings_.push_back(copy_of(m.embeddings[q]->as<torch::nn::EmbeddingImpl>()->weight));
    for (const auto& module : *m.blocks[q]->as<torch::nn::ModuleListImpl>()) {
      auto* c = module->as<CausalLayerImpl>();
      const auto& fc1 = *(*c->mlp)[0]->as<torch::nn::LinearImpl>();
      const auto& fc2 = *(*c->mlp)[2]->as<torch::nn::LinearImpl>();
      eps_ = static_cast<float>(c->norm1->options.eps());
      layers_.push_back({copy_of(c->norm1->weight), copy_of(c->norm1->bias), copy_of(c->norm2->weight),
                         copy_of(c->norm2->bias), packed(*c->attn->qkv), packed(*c->attn->out), packed(fc1), packed(fc2)});
    }
    block_end_.push_back(static_cast<int64_t>(layers_.size()));
    auto* norm = m.head_norms[q]->as<torch::nn::LayerNormImpl>();
    heads_out_.push_back({copy_of(norm->weight), copy_of(norm->bias), packed(*m.heads[q]->as<torch::nn::LinearImpl>())});
  }
}

int64_t HCTInference::Sequence::bytes() const {
  int64_t n = 0;
  for (size_t i = 0; i < k.size(); ++i) n += static_cast<int64_t>((k[i].size() + v[i].size()) * sizeof(float));
  return n;
}

void HCTInference::embed(const int64_t* tokens, int64_t R, float* out) const {
  const int64_t Q = cfg_.num_quantizers;
  std::fill(out, out + R * d_, 0.0f);
  for (int64_t r = 0; r < R; ++r)
    for (int64_t q = 0; q < Q; ++q) {
      const int64_t t = tokens[r * Q + q];
      require(t >= 0 && t < cfg_.codebook_size, "transformer: token out of range: " + std::to_string(t));
      kernels::add(out + r * d_, embeddings_[q].data() + t * d_, d_);
    }
}

// cos/sin of position * inv_freq_i (rotary_angles), i < dh/2: angles[0..half) cos, [half..2 half) sin.
void HCTInference::angles(int64_t position, float* out) const {
  const int64_t half = dh_ / 2;
  const float p = static_cast<float>(position);
  for (int64_t i = 0; i < half; ++i) {
    const float a = p * inv_freq_[i];
    out[i] = std::cos(a);
    out[half + i] = std::sin(a);
  }
}

// x' = R x on each pair (x_2i, x_2i+1) of every head (apply_rope), with the angles of angles().
void HCTInference::rotate(float* x, const float* cos_sin) const {
  const int64_t half = dh_ / 2;
  for (int64_t h = 0; h < heads_; ++h)
    for (int64_t i = 0; i < half; ++i) {
      float* pair = x + h * dh_ + 2 * i;
      const float a = pair[0], b = pair[1], c = cos_sin[i], s = cos_sin[half + i];
      pair[0] = a * c - b * s;
      pair[1] = a * s + b * c;
    }
}

void HCTInference::rotate(float* x, int64_t position) const {
  std::vector<float> cs(static_cast<size_t>(dh_));
  angles(position, cs.data());
  rotate(x, cs.data());
}

// qkv [M, 3d] of the rows' positions in order -> out [M, d]: each position's keys and values are
// appended to its row's cache, and its query attends to the row's cache up to itself (causal).
void HCTInference::attend(int64_t li, const std::vector<Row>& rows, const float* rope, float* qkv, float* out) const {
  const float scale = std::sqrt(static_cast<float>(dh_));
  int64_t m = 0;
  for (const auto& row : rows) {
    auto& K = row.seq->k[li];
    auto& V = row.seq->v[li];
    const int64_t before = static_cast<int64_t>(K.size()) / d_;
    K.resize(static_cast<size_t>((before + row.n) * d_));
    V.resize(static_cast<size_t>((before + row.n) * d_));
    for (int64_t t = 0; t < row.n; ++t) {
      float* pos = qkv + (m + t) * 3 * d_;
      const float* cs = rope + (m + t) * dh_;  // this position's angles, made once per pass
      rotate(pos, cs);       // query
      rotate(pos + d_, cs);  // key
      std::copy(pos + d_, pos + 2 * d_, K.data() + (before + t) * d_);
      std::copy(pos + 2 * d_, pos + 3 * d_, V.data() + (before + t) * d_);
    }
    for (int64_t t = 0; t < row.n; ++t) {
      const float* q = qkv + (m + t) * 3 * d_;
      const int64_t seen = before + t + 1;
      float* scores = Scratch::sized(scratch.scores, seen);
      float* y = out + (m + t) * d_;
      std::fill(y, y + d_, 0.0f);
      for (int64_t h = 0; h < heads_; ++h) {
        float top = -std::numeric_limits<float>::infinity();
        for (int64_t j = 0; j < seen; ++j) {
          scores[j] = kernels::dot(q + h * dh_, K.data() + j * d_ + h * dh_, dh_) / scale;
          top = std::max(top, scores[j]);
        }
        float sum = 0;
        for (int64_t j = 0; j < seen; ++j) sum += (scores[j] = std::exp(scores[j] - top));
        for (int64_t j = 0; j < seen; ++j) kernels::axpy(y + h * dh_, scores[j] / sum, V.data() + j * d_ + h * dh_, dh_);
      }
    }
    m += row.n;
  }
}

// h [M,d] <- h + attn(LN1(h)); h <- h + MLP(LN2(h)), as CausalLayerImpl::forward.
void HCTInference::layer_forward(const Layer& L, int64_t li, const std::vector<Row>& rows, const float* rope, float* h,
                                 int64_t M) const {
  const int64_t d = d_, F = L.fc1.N;
  float* a = Scratch::sized(scratch.a, M * d);
  float* qkv = Scratch::sized(scratch.qkv, M * 3 * d);
  float* att = Scratch::sized(scratch.att, M * d);
  float* ff = Scratch::sized(scratch.ff, M * F);
  std::copy(h, h + M * d, a);
  kernels::layer_norm(a, M, d, L.norm1_w.data(), L.norm1_b.data(), eps_);
  kernels::linear(a, M, L.qkv, qkv, 3 * d);
  attend(li, rows, rope, qkv, att);
  kernels::linear(att, M, L.out, a, d);
  kernels::add(h, a, M * d);
  std::copy(h, h + M * d, a);
  kernels::layer_norm(a, M, d, L.norm2_w.data(), L.norm2_b.data(), eps_);
  kernels::linear(a, M, L.fc1, ff, F);
  kernels::gelu(ff, M * F);
  kernels::linear(ff, M, L.fc2, a, d);
  kernels::add(h, a, M * d);
}

std::vector<torch::Tensor> HCTInference::forward(const std::vector<Row>& rows) const {
  const int64_t R = static_cast<int64_t>(rows.size()), d = d_;
  int64_t M = 0;
  for (const auto& row : rows) {
    require(row.n >= 1, "transformer: a row needs at least one input position");
    if (row.seq->k.empty()) {
      row.seq->k.resize(layers_.size());
      row.seq->v.resize(layers_.size());
    }
    M += row.n;
  }
  float* h = Scratch::sized(scratch.h, M * d);
  // The rotary angles of every position, once per pass (every layer rotates by the same ones).
  float* rope = Scratch::sized(scratch.rope, M * dh_);
  {
    int64_t m = 0;
    for (const auto& row : rows) {
      std::copy(row.x, row.x + row.n * d, h + m * d);
      for (int64_t t = 0; t < row.n; ++t) angles(row.seq->next_position + t, rope + (m + t) * dh_);
      m += row.n;
    }
  }
  std::vector<torch::Tensor> logits;
  std::vector<float> last(static_cast<size_t>(R * d));
  int64_t li = 0;
  for (int64_t q = 0; q < cfg_.num_quantizers; ++q) {
    for (int64_t m = 0; m < M; ++m) kernels::add(h + m * d, level_emb_.data() + q * d, d);
    for (; li < block_end_[q]; ++li) layer_forward(layers_[li], li, rows, rope, h, M);
    // Head q on each row's last position only: the sampler needs no other.
    int64_t m = 0;
    for (int64_t r = 0; r < R; ++r) {
      m += rows[r].n;
      std::copy(h + (m - 1) * d, h + m * d, last.data() + r * d);
    }
    const auto& H = heads_out_[q];
    kernels::layer_norm(last.data(), R, d, H.norm_w.data(), H.norm_b.data(), eps_);
    auto out = torch::empty({R, H.linear.N}, torch::kFloat);
    kernels::linear(last.data(), R, H.linear, out.data_ptr<float>(), H.linear.N);
    logits.push_back(out);
  }
  for (const auto& row : rows) {
    row.seq->length += row.n;
    row.seq->next_position += row.n;
  }
  return logits;
}

void HCTInference::keep_recent(Sequence& seq, int64_t steps) const {
  require(steps >= 0, "transformer: the cache window must be >= 0 steps");
  if (seq.length == 0 || seq.length <= steps + 1) return;
  const int64_t oldest = seq.next_position - steps, first_kept = seq.length - steps;
  for (size_t l = 0; l < seq.k.size(); ++l) {
    // The condition's key turns from condition_position to oldest - 1 (R(to) = R(to - from) R(from)).
    rotate(seq.k[l].data(), oldest - 1 - seq.condition_position);
    for (auto* buffer : {&seq.k[l], &seq.v[l]}) {
      buffer->erase(buffer->begin() + d_, buffer->begin() + first_kept * d_);
    }
  }
  seq.length = steps + 1;
  seq.condition_position = oldest - 1;
}

void HCTInference::replace_condition(Sequence& seq, const float* cond) const {
  require(seq.length > 0, "transformer: replace_condition needs a started cache");
  Sequence fresh;  // the condition alone at position 0: its keys and values in every layer
  forward({{&fresh, cond, 1}});
  for (size_t l = 0; l < seq.k.size(); ++l) {
    std::copy(fresh.k[l].begin(), fresh.k[l].end(), seq.k[l].begin());
    std::copy(fresh.v[l].begin(), fresh.v[l].end(), seq.v[l].begin());
    rotate(seq.k[l].data(), seq.condition_position);
  }
}

}  // namespace mogo
