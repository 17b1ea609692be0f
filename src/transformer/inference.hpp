// The hierarchical causal transformer's inference path on the CPU: the same function as
// HierarchicalCausalTransformerImpl::forward_sequence with a key/value cache, computed on weights
// packed once into plain float arrays (common/kernels), with each sequence's cache held in
// growable position-major buffers. A generation step is a handful of rows through ~10 layers;
// LibTorch's per-operator dispatch, allocation and autograd bookkeeping cost several times the
// arithmetic there (docs/benchmarks.md), so none of them are on this path.
//
// Rows are independent: each keeps its own cache, positions and condition, and a row's numbers do
// not depend on which other rows share the pass. That is what lets the server run every active
// stream's next step in one pass (continuous batching, engine/step_batcher) and still give each
// stream the motion it gets alone.
#pragma once
#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "transformer/config.hpp"
#include "common/kernels.hpp"

namespace mogo {

struct HierarchicalCausalTransformerImpl;

class HCTInference {
 public:
  // Copies the model's weights (float32, contiguous, on the CPU). The model may be anywhere.
  explicit HCTInference(HierarchicalCausalTransformerImpl& model);

  // One sequence's keys and values in every layer: [length, d] each, position-major, entry 0 the
  // condition (as HCTCache).
  struct Sequence {
    std::vector<std::vector<float>> k, v;  // per layer
    int64_t length = 0;                    // positions cached
    int64_t next_position = 0;             // absolute position of the next input
    int64_t condition_position = 0;        // the position whose rotation the condition's keys carry
    int64_t bytes() const;
  };
  // n input positions [n, d] that continue seq.
  struct Row {
    Sequence* seq;
    const float* x;
    int64_t n;
  };

  // Runs every row's positions through all blocks (the rows share each read of the weights),
  // appending their keys and values to the rows' caches, and returns the logits of each row's last
  // position: Q tensors [R, V_q] (the base layer's last class is END).
  std::vector<torch::Tensor> forward(const std::vector<Row>& rows) const;

  // Step inputs: tokens [R,Q] (int64, row-major) -> out [R,d] = sum_q Emb_q[token_q].
  void embed(const int64_t* tokens, int64_t R, float* out) const;
  // As HierarchicalCausalTransformerImpl::keep_recent, for one sequence.
  void keep_recent(Sequence& seq, int64_t steps) const;
  // As HierarchicalCausalTransformerImpl::replace_condition: cond [d] becomes entry 0 of every layer.
  void replace_condition(Sequence& seq, const float* cond) const;

  const T2MConfig& config() const { return cfg_; }

 private:
  struct Layer {
    std::vector<float> norm1_w, norm1_b, norm2_w, norm2_b;
    kernels::PackedLinear qkv, out, fc1, fc2;
  };
  struct Head {
    std::vector<float> norm_w, norm_b;
    kernels::PackedLinear linear;
  };
  // rope: [M, dh] the angles of each input position (angles()).
  void layer_forward(const Layer& L, int64_t layer_index, const std::vector<Row>& rows, const float* rope, float* h,
                     int64_t M) const;
  void attend(int64_t layer_index, const std::vector<Row>& rows, const float* rope, float* qkv, float* out) const;
  void angles(int64_t position, float* cos_sin) const;     // [dh]: cos of each pair's angle, then sin
  void rotate(float* x, const float* cos_sin) const;       // RoPE on one position's d = H x dh values
  void rotate(float* x, int64_t position) const;           // the same, angles made here

  T2MConfig cfg_;
  int64_t d_, heads_, dh_;
  float eps_;
  std::vector<float> inv_freq_;                // [dh/2] base^(-2i/dh)
  std::vector<std::vector<float>> embeddings_; // Q x [K,d]
  std::vector<float> level_emb_;               // [Q,d]
  std::vector<Layer> layers_;                  // all blocks' layers in order
  std::vector<int64_t> block_end_;             // Q: one past each block's last layer
  std::vector<Head> heads_out_;                // Q
};

}  // namespace mogo
