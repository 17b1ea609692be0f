// RVQ-VAE hyper-parameters, with the two named presets.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "train/run.hpp"

namespace mogo {

struct VQConfig {
  int64_t input_dim = 263;       // feature dimension D
  int64_t width = 512;           // conv channels W
  int64_t code_dim = 512;        // latent / codebook vector size C
  int64_t codebook_size = 512;   // K codes per layer
  int64_t num_quantizers = 6;    // Q: base layer + Q-1 residual layers
  int64_t down_t = 2;            // temporal down-sampling blocks (x2 each): 2 -> x4
  int64_t depth = 3;             // residual blocks per stack (dilations 9, 3, 1)
  int64_t dilation_growth = 3;
  double ema_decay = 0.99;
  double quantize_dropout_prob = 0.2;
  double commit_beta = 0.02;
  double vel_weight = 0.5;       // weight of the temporal-difference reconstruction term
  // MoSA-VQ (MOGO): a learnable scale per quantiser layer; the residual is divided by it before the
  // code search and the code multiplied by it after, so each layer's codebook works at its own scale.
  bool mosa = false;
  // Weight of the loss on the root trajectory integrated over the window (metres, L1): the root
  // is integrated from velocities, so small velocity errors drift the whole body (docs/vq-tiny.md).
  double root_weight = 0.0;
  // Weight of the foot-contact loss: the horizontal speed (m/s, joints recovered from the
  // reconstruction) of each foot joint over the frames where the input's contact label is on.
  double foot_weight = 0.0;
  // Weight of the jerk loss: L1 between the third time differences of the reconstruction's and
  // the input's joint positions (world, metres per frame^3). A decoder that reads little ahead
  // otherwise adds jitter at latent-step boundaries, which shows as seam jerk (docs/streaming.md).
  double jerk_weight = 0.0;
  // How many latent steps ahead a decoded frame may read (live steering, docs/streaming.md):
  //   -1  every decoder convolution centred (T2M-GPT / MoMask; files written before this existed):
  //       the `tiny` decoder reads 22 steps (4.4 s) ahead, so a stream re-decodes windows;
  //   0   every convolution causal: frame f depends on latents <= f/4 only;
  //   1   the first (latent-rate) convolution centred, the rest causal: one step (0.2 s) ahead.
  // With 0 or 1 a stream decodes incrementally (DecoderStream), keeping each convolution's state.
  int64_t decoder_lookahead = -1;

  int64_t downsample() const { return int64_t{1} << down_t; }
  static VQConfig preset(const std::string& name, int64_t input_dim);  // "paper" | "tiny"
};
// With defaults: model files written before mosa / root_weight / foot_weight / decoder_lookahead /
// jerk_weight
// existed load as they were trained (plain RVQ, centred decoder).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(VQConfig, input_dim, width, code_dim, codebook_size, num_quantizers, down_t, depth,
                                                dilation_growth, ema_decay, quantize_dropout_prob, commit_beta, vel_weight, mosa, root_weight,
                                                foot_weight, decoder_lookahead, jerk_weight)

// Training schedule.
struct VQTrainConfig {
  int64_t batch_size = 256;
  int64_t window = 64;           // frames per training window (multiple of the down-sampling)
  int64_t steps = 50000;
  int64_t warmup_steps = 1000;
  double lr = 2e-4;
  double weight_decay = 0.0;
  int64_t checkpoint_every = 500;
  int64_t log_every = 50;
  uint64_t seed = 1234;
  // Train the decoder alone on the codes of a trained tokenizer (--decoder-from): the encoder and
  // codebooks stay as they are, so every token sequence means the same motion and a generator
  // trained on those tokens keeps working with the new decoder.
  bool decoder_only = false;
  double adam_beta2 = 0.99;      // AdamW's second-moment decay
  double lr_floor = 0.1;         // the cosine decay ends at lr_floor x lr
  // Share of each batch that changes text part-way (vq/transition_windows): the codes of the
  // generator's linear fade, a smooth fade of transition_frames frames as the target. 0: none.
  double transition_share = 0.0;
  int64_t transition_frames = 16;
  std::string transition_target = "fade";  // or "offset" (vq/transition_windows: TransitionTarget)

  OptimiserSettings optimiser() const { return {adam_beta2, weight_decay, lr_floor}; }
  static VQTrainConfig preset(const std::string& name);
  // Throws Error naming the flag of the first value out of range.
  void validate() const;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(VQTrainConfig, batch_size, window, steps, warmup_steps, lr, weight_decay, checkpoint_every,
                                                log_every, seed, decoder_only, adam_beta2, lr_floor,
                                                transition_share, transition_frames, transition_target)

}  // namespace mogo
