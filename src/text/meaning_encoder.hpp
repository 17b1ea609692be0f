// The meaning encoder of Textual Condition Alignment: a small sentence encoder that reads a whole
// prompt (text/prompt_features: words, spelling, WordNet senses, collocations) and says
// what it asks for, one attribute at a time:
//   action  what the body does (walk, run, walk-turn, raise-up, wave, ...) or "none of them"
//   side    none / left / right / both
//   style   the manner (active, elderly, exhausted, feminine, ...)
// trained on the training captions and many rewordings of them (mogo train-align). A prompt is
// then read as the known combination (a triple some training clip has) of highest probability,
//   argmax_{(a,s,y) known} log p(a) + log p(s) + log p(y),
// and aligned to that combination's training caption: the generator is conditioned on a
// description it was trained on. A style below kStyleFloor is not taken (the neutral one is).
// Because the attributes are separate, a prompt whose action is known but whose style phrase is
// new still gets both. An action the data does not have is reported as such, with the nearest
// known combination.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "text/prompt_features.hpp"

namespace mogo {

// What the encoder can say, and the known combinations with their training captions.
struct MeaningSchema {
  std::vector<std::string> actions, sides, styles;  // the action head has one more class: "none"
  struct Combo {
    int action = 0, side = 0, style = 0;
    std::string caption;  // the combination's most frequent training caption
    int clips = 0;
  };
  std::vector<Combo> combos;
  std::vector<std::string> features;  // the feature vocabulary (index i -> embedding row i + 1)
  std::vector<std::string> words;     // spelling-correction vocabulary
  int64_t dim = 64, hidden = 128;

  nlohmann::json to_json() const;
  static MeaningSchema from_json(const nlohmann::json& j, const std::string& source);
  std::string describe(const Combo& c) const;  // "raise-up, left, active"
};

struct MeaningNetImpl : torch::nn::Module {
  MeaningNetImpl(const MeaningSchema& s);
  struct Logits {
    torch::Tensor action, side, style;  // [B, classes]
  };
  // Feature ids of B prompts, concatenated, and each prompt's first index (EmbeddingBag, mean).
  Logits forward(const torch::Tensor& ids, const torch::Tensor& offsets);

  torch::nn::EmbeddingBag bag{nullptr};
  torch::nn::Sequential trunk{nullptr};
  torch::nn::Linear action{nullptr}, side{nullptr}, style{nullptr};
};
TORCH_MODULE(MeaningNet);

// One prompt, read.
struct MeaningReading {
  std::string action, side, style;     // the best known combination
  double p_action = 0, p_side = 0, p_style = 0;
  double p_none = 0;                   // probability that the action is none the model knows
  bool servable = true;                // p_none is not the largest action probability
  std::string caption;                 // the aligned text: the combination's training caption
  std::vector<std::pair<std::string, double>> alternatives;  // next-best combinations, with probability
  // Set when no style was read with at least kStyleFloor probability: the likeliest style then,
  // which was not used (the combination's style is the neutral one).
  std::string style_guess;
  double p_style_guess = 0;
  std::vector<std::pair<std::string, std::string>> corrected;  // misspelt word -> word
  // The word whose removal lowers each attribute's probability most: its evidence ("hurries" -> "run").
  std::vector<std::pair<std::string, std::string>> evidence;
  nlohmann::json to_json() const;
};

// A prompt is read as asking for a style only when that style is more likely than not. A wrong
// style costs more than none: on the val split, asked for with a training caption of the clip's
// own action and style, R-precision top-1 / top-3 were 0.895 / 0.973; of its action in the neutral
// style 0.310 / 0.712; in another style 0.138 / 0.415 (docs/prompts.md, session 16).
constexpr double kStyleFloor = 0.5;
constexpr const char* kNeutralStyle = "normal";

class MeaningEncoder {
 public:
  MeaningEncoder(MeaningSchema schema, MeaningNet net);

  // Reads one prompt: one forward pass over the prompt and each of its content words left out, so
  // callers keep prompts short (PromptAligner reads the first 60 words).
  MeaningReading read(const std::string& prompt) const;

  // Feature ids [N] and offsets [B] of prompts given as feature lists (unknown features dropped;
  // a prompt without known features gets the padding row).
  std::pair<torch::Tensor, torch::Tensor> batch(const std::vector<std::vector<std::string>>& prompts) const;

  const MeaningSchema& schema() const { return schema_; }
  const PromptFeatures& features() const { return *features_; }
  MeaningNet net() const { return net_; }

  // As records "aligner" (weights) of a model archive; the schema goes into its meta.
  void write(torch::serialize::OutputArchive& ar, nlohmann::json& meta, bool half) const;
  // nullptr when the archive has no aligner.
  static std::shared_ptr<MeaningEncoder> load_from(torch::serialize::InputArchive& ar, const nlohmann::json& meta,
                                              const std::string& path);

 private:
  // The position in `order` (combinations by joint probability) of the one to read the prompt as:
  // 0, or, when the likeliest one's style is below kStyleFloor, its action and side in the neutral
  // style (filling r.style_guess).
  size_t unclear_style_to_neutral(const std::vector<size_t>& order, const std::vector<double>& log_p_style,
                                  MeaningReading& r) const;
  std::vector<double> probabilities(const std::vector<std::vector<std::string>>& prompts, size_t head) const;
  MeaningSchema schema_;
  MeaningNet net_;
  std::shared_ptr<PromptFeatures> features_;
  std::map<std::string, int64_t> index_;
};

}  // namespace mogo
