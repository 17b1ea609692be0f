#include "engine/prompt_split.hpp"

#include <algorithm>
#include <sstream>

#include "common/error.hpp"
#include "text/lexicon.hpp"
#include "text/tokenizer.hpp"
#include "text/wordnet.hpp"
#include "text/words.hpp"

namespace mogo {

namespace {

using Words = std::vector<std::string>;

// Length of the separator phrase starting at w[i] (0: none).
size_t separator_at(const Words& w, size_t i) {
  static const std::vector<Words> phrases = {
      {",", "and", "then"}, {"and", "then"}, {",", "then"}, {"then"}, {",", "after", "that"}, {"after", "that"},
      {",", "afterwards"}, {"afterwards"}, {",", "followed", "by"}, {"followed", "by"}, {",", "next"},
      {",", "finally"}, {"finally"}, {";"}, {"."}};
  for (const auto& p : phrases)
    if (i + p.size() <= w.size() && std::equal(p.begin(), p.end(), w.begin() + static_cast<long>(i))) return p.size();
  return 0;
}

}  // namespace

size_t subject_length(const std::vector<std::string>& w) {
  for (size_t i = 0; i < w.size() && i < 4; ++i) {
    if (w[i] == "a" || w[i] == "an" || w[i] == "the") continue;
    if (i > 0) return i + 1;  // the noun after an article ("a man": "man" is a verb too)
    if (!wordnet::lemmas(w[i], wordnet::Pos::verb).empty()) return i;
    return i + 1;
  }
  return 0;
}

bool starts_with_verb(const std::vector<std::string>& w) {
  return !w.empty() && subject_length(w) == 0 && !is_function_word(w[0]) &&
         !wordnet::lemmas(w[0], wordnet::Pos::verb).empty();
}

std::vector<std::string> split_actions(const std::string& prompt) {
  const Words w = split_words(Tokenizer::normalise(prompt));
  std::vector<Words> parts(1);
  for (size_t i = 0; i < w.size();) {
    if (size_t n = separator_at(w, i)) {
      if (!parts.back().empty()) parts.emplace_back();
      i += n;
    } else {
      parts.back().push_back(w[i++]);
    }
  }
  if (parts.back().empty()) parts.pop_back();
  if (parts.size() <= 1) return {prompt};
  const size_t subject = subject_length(parts[0]);
  std::vector<std::string> out;
  for (size_t k = 0; k < parts.size(); ++k) {
    Words p = parts[k];
    if (k > 0 && subject > 0 && subject_length(p) == 0)
      p.insert(p.begin(), parts[0].begin(), parts[0].begin() + static_cast<long>(subject));
    out.push_back(join_words(p));
  }
  return out;
}

std::vector<std::string> actions_to_play(Generator& generator, const std::string& prompt) {
  auto actions = split_actions(prompt);
  if (!generator.alignment().enabled || actions.size() < 2) return {prompt};
  const auto& aligner = generator.aligner();
  // Known whole when its words say what a training caption says (the meaning encoder's text is
  // always a caption, so its word map is asked instead).
  const auto a = aligner.align(prompt, generator.alignment());
  if (aligner.is_training_caption(a.meaning ? aligner.map_words(prompt).text : a.text)) return {prompt};
  return actions;
}

Timeline action_timeline(const std::vector<std::string>& actions, double seconds_each) {
  require(seconds_each > 0, "the time per action must be > 0");
  Timeline t;
  for (const auto& a : actions) t.push_back({seconds_each * static_cast<double>(t.size()), a});
  return t;
}

Timeline prompt_timeline(Generator& generator, const std::string& prompt, double seconds, double action_seconds) {
  const auto actions = actions_to_play(generator, prompt);
  return action_timeline(actions, seconds > 0 ? seconds / static_cast<double>(actions.size()) : action_seconds);
}

}  // namespace mogo
