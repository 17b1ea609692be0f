// Hyper-parameters of the hierarchical causal transformer and of its training, with presets.
#pragma once
#include "train/run.hpp"
#include <string>

#include <nlohmann/json.hpp>

#include "text/text_encoder.hpp"

namespace mogo {

struct T2MConfig {
  int64_t codebook_size = 512;   // K codes per RVQ layer (from the RVQ-VAE)
  int64_t num_quantizers = 6;    // Q: one block per RVQ layer
  int64_t dim = 1024;            // model width d
  int64_t heads = 16;
  int64_t base_layers = 9;       // causal self-attention layers in block 0 (base layer)
  int64_t residual_layers = 2;   // layers in each block q >= 1 (residual layers)
  int64_t ff_mult = 4;
  double dropout = 0.1;
  double cond_drop_prob = 0.1;   // condition dropout for classifier-free guidance
  int64_t max_steps = 49;        // longest training sequence in latent steps (196 frames / 4)
  double rope_base = 10000.0;    // rotary position embedding base
  TextEncoderConfig text;        // the generator's own text encoder (never the evaluator's)

  int64_t end_token() const { return codebook_size; }  // END on the base layer
  int64_t base_vocab() const { return codebook_size + 1; }
  int64_t total_layers() const { return base_layers + (num_quantizers - 1) * residual_layers; }
  // "paper" (GPU-sized, like T2M-GPT / MoMask transformers) | "tiny" (2 CPU cores, ~1 h) | "micro" (tests).
  static T2MConfig preset(const std::string& name, int64_t codebook_size, int64_t num_quantizers);
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(T2MConfig, codebook_size, num_quantizers, dim, heads, base_layers, residual_layers,
                                   ff_mult, dropout, cond_drop_prob, max_steps, rope_base, text)

struct T2MTrainConfig {
  int64_t batch_size = 64;
  int64_t steps = 100000;
  int64_t warmup_steps = 1000;
  double lr = 2e-4;
  double weight_decay = 0.01;
  double grad_clip = 1.0;        // max global gradient norm
  int64_t crop_offsets = 4;      // the clips are tokenised from frame offsets 0..crop_offsets-1 (augmentation)
  int64_t checkpoint_every = 1000;
  int64_t log_every = 50;
  int64_t vocab_size = 512;      // SentencePiece vocabulary (at most)
  uint64_t seed = 1234;
  double paraphrase = 0.0;       // probability that a training caption is paraphrased (text/paraphrase)
  // Text changes mid-sequence (live steering, docs/streaming.md): joined sequences as a share of
  // the training sequences. Each is the tail of one clip (join_context steps at most, given as
  // context, no loss) cross-faded into another clip under the second clip's caption, as a stream
  // sees it after a text change.
  double join_share = 0.0;
  int64_t join_context = 4;      // steps of the first clip kept in view: 1..join_context
  double adam_beta2 = 0.99;      // AdamW's second-moment decay
  double lr_floor = 0.1;         // the cosine decay ends at lr_floor x lr

  OptimiserSettings optimiser() const { return {adam_beta2, weight_decay, lr_floor}; }

  static T2MTrainConfig preset(const std::string& name);
  // Throws Error naming the flag of the first value out of range.
  void validate() const;
};
// With defaults: model files written before `paraphrase` / `join_share` existed load with them 0.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(T2MTrainConfig, batch_size, steps, warmup_steps, lr, weight_decay,
                                                grad_clip, crop_offsets, checkpoint_every, log_every, vocab_size, seed,
                                                paraphrase, join_share, join_context, adam_beta2, lr_floor)

}  // namespace mogo
