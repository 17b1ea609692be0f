// The one-file text-to-motion model ("mogo-t2m"): everything generation needs, so that a model is
// one thing to copy. See docs/model-format.md.
//   meta (JSON): format, version, transformer/text/RVQ-VAE configs, training config, step, skeleton
//   records:     tokenizer (SentencePiece model bytes), mean/std [D], vq (RVQ-VAE weights),
//                transformer (text encoder + hierarchical causal transformer), optimizer (checkpoints only),
//                aligner (the meaning encoder of prompt alignment, optional; its schema in meta),
//                transition_decoder (optional; meta "transition_decoder": {"frames"})
#pragma once
#include <memory>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "motion/skeleton.hpp"
#include "text/meaning_encoder.hpp"
#include "text/tokenizer.hpp"
#include "transformer/config.hpp"
#include "transformer/hct.hpp"
#include "vq/config.hpp"
#include "vq/rvqvae.hpp"

namespace mogo {


struct T2MModel {
  T2MConfig config;
  T2MTrainConfig train;
  VQConfig vq_config;
  HierarchicalCausalTransformer transformer{nullptr};
  RVQVAE vq{nullptr};
  std::shared_ptr<Tokenizer> tokenizer;
  torch::Tensor mean, std;     // [D] feature normalisation the RVQ-VAE was trained with
  std::string skeleton_json;   // the feature skeleton (joints / BVH export)
  int64_t step = 0;            // training steps done
  double fps = kHumanML3DFps;  // frame rate of the features (the training data's)
  nlohmann::json train_meta;   // data folder, RVQ-VAE source, wall time...
  std::shared_ptr<MeaningEncoder> aligner;  // prompt alignment (mogo train-align); may be null
  // A second decoder of the same codes that makes a change of text smoothly (train-vq
  // --transition-share; mogo set-decoder --transition): streams decode the steps around each text
  // change with it (engine/stream). Null: every frame from vq's decoder.
  Decoder transition_decoder{nullptr};
  int64_t transition_frames = 0;  // the smooth fade it was trained on, frames from one step before the change

  Skeleton skeleton() const;
  int64_t feature_dim() const { return vq_config.input_dim; }
  torch::Tensor normalise(const torch::Tensor& raw) const;    // [...,D]
  torch::Tensor denormalise(const torch::Tensor& x) const;    // [...,D]
};

// Writes atomically. optimizer: a training checkpoint (else a model file). half: float16 weights.
void save_t2m_model(const std::string& path, const T2MModel& m, torch::optim::Optimizer* optimizer, bool half = false);

// Loads and validates a model file or checkpoint: format and version, configs, every tensor's name
// and shape. Errors name the file and the first problem.
T2MModel load_t2m_model(const std::string& path, torch::Device device = torch::kCPU);

}  // namespace mogo
