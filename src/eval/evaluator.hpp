// The evaluator of the text-to-motion protocol: a text encoder and a motion encoder trained
// contrastively so that a caption and its motion land close together. Stored as one file with
// its tokenizer and feature statistics.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "eval/motion_encoder.hpp"
#include "text/text_encoder.hpp"
#include "text/tokenizer.hpp"

namespace mogo {

struct EvaluatorImpl : torch::nn::Module {
  EvaluatorImpl(const TextEncoderConfig& t, const MotionEncoderConfig& m);
  // Unit-length embeddings.
  torch::Tensor embed_text(const torch::Tensor& ids, const torch::Tensor& mask);        // [B,E]
  torch::Tensor embed_motion(const torch::Tensor& x, const torch::Tensor& lengths);     // [B,E]

  TextEncoder text{nullptr};
  MotionEncoder motion{nullptr};
  torch::Tensor log_scale;  // learned InfoNCE logit scale (log 1/temperature)
};
TORCH_MODULE(Evaluator);

struct EvaluatorBundle {
  Evaluator model{nullptr};
  std::shared_ptr<Tokenizer> tokenizer;
  TextEncoderConfig text_cfg;
  MotionEncoderConfig motion_cfg;
  torch::Tensor mean, std;  // [D] feature statistics the motion encoder expects
  int64_t step = 0;
  nlohmann::json train_meta;

  // Embeds captions / raw (denormalised) feature sequences, in eval mode, batched.
  torch::Tensor texts(const std::vector<std::string>& captions, torch::Device device) const;
  torch::Tensor motions(const std::vector<torch::Tensor>& raw_features, torch::Device device, int64_t max_frames = 196) const;
};

void save_evaluator(const std::string& path, const EvaluatorBundle& b, torch::optim::Optimizer* optimizer);
EvaluatorBundle load_evaluator(const std::string& path, torch::Device device = torch::kCPU);

// Groups clips whose captions mean the same: the id without a mirror prefix "M" and without a
// trailing "_<digits>" take number ("Mdataset-1_walk_happy_003" -> "dataset-1_walk_happy";
// HumanML3D's "M012314" -> "012314").
std::string label_key(const std::string& id);

}  // namespace mogo
