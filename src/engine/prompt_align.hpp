// Textual Condition Alignment (MOGO): before the text encoder sees a prompt, it is brought to the
// kind of description the model was trained on.
//   built in: every word the model never saw in a training caption is mapped to the known word
//     WordNet says is closest (text/lexicon), or dropped; then, if the prompt's condition is still
//     far from every training caption's, the condition of the nearest captions is blended in
//     (Generator::condition, with the distance reported);
//   pluggable: --align-cmd pipes the prompt, inside an instruction template, into any local
//     program (e.g. a llama.cpp model) and uses its answer when it passes validation; on failure or
//     timeout the built-in path runs instead, with a warning.
#pragma once
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "text/lexicon.hpp"
#include "text/meaning_encoder.hpp"

namespace mogo {

struct AlignOptions {
  bool enabled = true;          // false: --no-align, the prompt goes to the text encoder as typed
  std::string command;          // --align-cmd: run with /bin/sh -c, prompt on stdin
  double timeout_seconds = 30;  // --align-timeout
  // Nearest training captions whose mean condition is blended into a prompt far from all of them.
  // 0 (the default): never blended, the distance and nearest caption still reported; on the
  // zero-shot set blending cost R-precision (docs/prompts.md).
  int neighbours = 0;
  // The blend starts at far_scale x the calibrated distance (the 95th percentile of paraphrases
  // distances) and is complete at twice that.
  double far_scale = 2.0;
  // Report each prompt's distance to the nearest training caption (AlignedPrompt::distance,
  // nearest). It costs encoding every stored caption once per process (seconds on a CPU), so the
  // CLI asks for it only with -v; blending (neighbours > 0) needs it anyway.
  bool report_nearest = true;
  // A prompt whose action the model does not know (MeaningReading::servable false) is an Error
  // naming the nearest thing the model can do (the CLI's default; --nearest generates that
  // instead). Off: the nearest is generated and the alignment report says so.
  bool refuse_unservable = false;
};

struct AlignedPrompt {
  std::string prompt;   // as typed
  std::string text;     // what the text encoder gets
  std::string method = "none";  // "none" (--no-align), "builtin" (word map), "meaning", "command"
  std::vector<std::pair<std::string, std::string>> replaced;  // unknown word -> known word
  std::vector<std::string> dropped;                           // unknown words without a known one
  std::vector<std::string> warnings;
  // The meaning encoder's reading (models with one): the attributes, and the caption aligned to.
  std::optional<MeaningReading> meaning;
  bool servable() const { return !meaning || meaning->servable; }
  // Filled by Generator::condition: cosine distance of the condition to the nearest training
  // caption's, those captions, and the weight their mean condition got (0: none blended).
  double distance = -1;
  std::vector<std::string> nearest;
  double blend = 0;

  std::string summary() const;   // one line for `-v` and logs
  nlohmann::json to_json() const;  // for the server and the C API
};

// The instruction template --align-cmd programs receive on stdin: {examples} becomes six of the
// model's training captions, {prompt} the prompt (align_instruction).
const std::string& align_instruction_template();
std::string align_instruction(const std::string& prompt, const std::vector<std::string>& captions);
// Checks an --align-cmd answer: printable text, 3..300 characters, at least two words, no markup;
// returns it trimmed to its first non-empty line(s) joined, or throws Error saying why not.
std::string validate_align_answer(const std::string& answer);

class PromptAligner {
 public:
  // captions: the model's normalised training captions (empty for models saved before they were
  // stored: then only the command path and no word mapping).
  // meaning: the model's meaning encoder (null: the word map alone).
  explicit PromptAligner(std::vector<std::string> captions, std::shared_ptr<const MeaningEncoder> meaning = nullptr);

  // The text-level alignment of one prompt (the condition-level part is the generator's).
  AlignedPrompt align(const std::string& prompt, const AlignOptions& o) const;
  // The built-in word mapping alone.
  AlignedPrompt map_words(const std::string& prompt) const;
  // The built-in alignment: the word map, then (with a meaning encoder, for a prompt that is not a
  // training caption) the caption of the combination the prompt is read as.
  AlignedPrompt builtin(const std::string& prompt) const;

  const std::vector<std::string>& captions() const { return captions_; }
  // Whether `text` says what a training caption says, up to its subject phrase and punctuation
  // ("someone walks forward then turns left" for "a person walks forward then turns left .").
  bool is_training_caption(const std::string& text) const;
  const Lexicon& lexicon() const { return lexicon_; }

 private:
  std::vector<std::string> captions_;
  Lexicon lexicon_;
  std::set<std::string> predicates_;  // captions without subject and punctuation
  std::shared_ptr<const MeaningEncoder> meaning_;
};

// The Error message for a prompt the model cannot serve: what it is read as, and the nearest.
std::string unservable_message(const AlignedPrompt& a);

}  // namespace mogo
