// Mogo's RQ Hierarchical Causal Transformer (RQHC-Transformer): one causal transformer made of Q
// blocks, block q aligned with RVQ layer q. Sequence: [condition, step_0, step_1, ...] where a
// step's input is the sum of the embeddings of its Q tokens (the whole quantised latent).
//   h_0 = Block_0(x)                     logits_0 = Head_0(h_0)  -> base token of the next step
//   h_q = Block_q(h_{q-1} + level_q)     logits_q = Head_q(h_q)  -> layer-q token of the next step
// Every block is causal, so position p (condition = 0, step s = s + 1) predicts step p from
// steps < p only, and one pass yields the logits of all Q layers.
#pragma once
#include <memory>
#include <mutex>
#include <vector>

#include <torch/torch.h>

#include "text/text_encoder.hpp"
#include "transformer/attention.hpp"
#include "transformer/config.hpp"
#include "transformer/inference.hpp"

namespace mogo {

// Key/value cache of every layer of every block, and the next absolute position. Entry 0 of every
// layer is the condition (position 0 until the window slides; see keep_recent).
struct HCTCache {
  std::vector<LayerCache> layers;
  int64_t next_position = 0;
  int64_t condition_position = 0;  // the position whose rotation the condition's keys carry
  int64_t length() const { return layers.empty() ? 0 : layers[0].length(); }
  // Bytes held by the cached keys and values.
  int64_t bytes() const;
};

struct HierarchicalCausalTransformerImpl : torch::nn::Module {
  explicit HierarchicalCausalTransformerImpl(const T2MConfig& c);

  // Text condition: ids/mask [B,L] (tokenizer output) -> [B,d]. Rows with drop[b] = true get the
  // learned null condition instead (classifier-free guidance); drop may be undefined.
  torch::Tensor condition(const torch::Tensor& ids, const torch::Tensor& mask, const torch::Tensor& drop = {});
  // Null condition for B rows: [B,d].
  torch::Tensor null_condition(int64_t B) const;
  // tokens [B,Q,S] (codes 0..K-1) -> step inputs [B,S,d] = sum_q Emb_q[tokens[:,q,:]].
  torch::Tensor embed_steps(const torch::Tensor& tokens);

  // Runs all blocks over x [B,T,d] (positions continue from the cache, or start at 0 without
  // one). Returns Q logits tensors: [B,T,K+1] for the base layer (last class = END), [B,T,K] else.
  std::vector<torch::Tensor> forward_sequence(const torch::Tensor& x, HCTCache* cache = nullptr);

  // Sliding window: keeps the condition and the `steps` most recent steps of every layer, so that
  // memory and time per step stay flat however long generation runs. Rotary scores depend only on
  // position differences, so the condition's keys are re-rotated to sit just before the oldest kept
  // step (as in StreamingLLM): every query sees its condition at most steps + 1 positions away, a
  // distance seen in training when steps <= max_steps.
  void keep_recent(HCTCache& cache, int64_t steps) const;
  // Replaces the condition (entry 0) of the first cond.size(0) rows of the cache: the new text
  // governs every following step; the steps already cached keep what they saw.
  void replace_condition(HCTCache& cache, const torch::Tensor& cond);

  // Teacher forcing: cond [B,d], tokens [B,Q,S] -> Q logits over positions 0..S ([B,S+1,V_q]);
  // position p predicts step p.
  std::vector<torch::Tensor> forward(const torch::Tensor& cond, const torch::Tensor& tokens);

  // The packed CPU inference path over the current weights (transformer/inference), made on first
  // use and shared by every sampler of this model; train() drops it, so weights changed by
  // training are packed again when next asked for. Null when the model is not on the CPU.
  std::shared_ptr<const HCTInference> inference();
  void train(bool on = true) override;

  T2MConfig cfg;
  TextEncoder text{nullptr};
  torch::nn::Linear cond_proj{nullptr};
  torch::Tensor null_cond;   // [d]
  torch::Tensor level_emb;   // [Q,d] added to a block's input (block 0: to the sequence)
  torch::nn::ModuleList embeddings{nullptr};  // Q x Embedding(K, d)
  torch::nn::ModuleList blocks{nullptr};      // Q x ModuleList of CausalLayer
  torch::nn::ModuleList head_norms{nullptr};  // Q x LayerNorm
  torch::nn::ModuleList heads{nullptr};       // Q x Linear(d, V_q)

 private:
  std::mutex inference_mutex_;
  std::shared_ptr<const HCTInference> inference_;
};
TORCH_MODULE(HierarchicalCausalTransformer);

}  // namespace mogo
