#include "engine/prompt_align.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "common/error.hpp"
#include "engine/align_command.hpp"
#include "engine/prompt_split.hpp"
#include "text/tokenizer.hpp"
#include "text/wordnet.hpp"
#include "text/words.hpp"

namespace mogo {

namespace {

// Possessives and other determiners the captions write as "the", and pronoun subjects they write
// as "the person" (WordNet would read "he" as helium).
const std::string* determiner(const std::string& w) {
  static const std::string the = "the", person = "the person";
  static const char* const words[] = {"his", "her", "their", "its", "my", "your", "our", "this", "that"};
  static const std::string a = "a";
  if (w == "some" || w == "one") return &a;  // "some dude" -> "a person"
  for (const char* d : words)
    if (w == d) return &the;
  return is_subject_pronoun(w) ? &person : nullptr;
}

// "a" / "an" agree with the next word; a word said twice in a row is said once.
std::vector<std::string> tidy(const std::vector<std::string>& in) {
  std::vector<std::string> out;
  for (size_t i = 0; i < in.size(); ++i) {
    std::string w = in[i];
    if ((w == "a" || w == "an") && i + 1 < in.size())
      w = std::string("aeiou").find(in[i + 1][0]) != std::string::npos ? "an" : "a";
    if (!out.empty() && out.back() == w) continue;
    out.push_back(w);
  }
  while (!out.empty() && !has_letter(out.front())) out.erase(out.begin());
  return out;
}

}  // namespace

std::string AlignedPrompt::summary() const {
  std::string s = "aligned (" + method + "): \"" + prompt + "\" -> \"" + text + "\"";
  if (!replaced.empty()) {
    s += "; replaced";
    for (const auto& [from, to] : replaced) s += " " + from + "->" + to;
  }
  if (!dropped.empty()) {
    s += "; dropped";
    for (const auto& d : dropped) s += " " + d;
  }
  if (meaning) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "; read as %s (%.2f), side %s (%.2f), style %s (%.2f)", meaning->action.c_str(),
                  meaning->p_action, meaning->side.c_str(), meaning->p_side, meaning->style.c_str(), meaning->p_style);
    s += buf;
    if (!meaning->style_guess.empty()) {
      std::snprintf(buf, sizeof buf, "; no style read with confidence (likeliest %s, %.2f): neutral",
                    meaning->style_guess.c_str(), meaning->p_style_guess);
      s += buf;
    }
    for (const auto& [from, to] : meaning->corrected) s += "; spelling " + from + "->" + to;
    if (!meaning->servable) s += "; NOT an action the model knows";
  }
  if (distance >= 0) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "; nearest caption at %.3f", distance);
    s += buf;
    if (!nearest.empty()) s += " (\"" + nearest.front() + "\")";
    std::snprintf(buf, sizeof buf, ", blend %.2f", blend);
    s += buf;
  }
  return s;
}

nlohmann::json AlignedPrompt::to_json() const {
  nlohmann::json j = {{"prompt", prompt}, {"text", text}, {"method", method}, {"dropped", dropped}, {"warnings", warnings}};
  j["replaced"] = nlohmann::json::object();
  for (const auto& [from, to] : replaced) j["replaced"][from] = to;
  j["servable"] = servable();
  if (meaning) j["meaning"] = meaning->to_json();
  if (distance >= 0) {
    j["nearest_distance"] = distance;
    j["nearest_captions"] = nearest;
    j["blend"] = blend;
  }
  return j;
}

const std::string& align_instruction_template() {
  static const std::string t =
      "You rewrite requests for a text-to-motion model. It only understands short, literal\n"
      "descriptions of one person's body motion, like its training captions:\n"
      "{examples}"
      "Think step by step about what the body does: the action, its direction or side, and its\n"
      "manner or mood. Then answer with the descriptions only: one sentence per action, in order,\n"
      "each on its own line, in the words of the captions above, lower case, no numbering, no\n"
      "other text.\n"
      "\n"
      "Request: {prompt}\n";
  return t;
}

std::string align_instruction(const std::string& prompt, const std::vector<std::string>& captions) {
  // Six of the model's own captions, spread over them (sorted: different actions), as examples.
  std::vector<std::string> examples;
  const size_t n = std::min<size_t>(6, captions.size());
  for (size_t i = 0; i < n; ++i) examples.push_back(captions[i * captions.size() / n]);
  if (examples.empty()) examples = {"a person walks forward happily.", "someone raises the right hand energetically."};
  std::string list;
  for (const auto& e : examples) list += "  " + e + "\n";
  std::string text = align_instruction_template();
  text.replace(text.find("{examples}"), 10, list);
  text.replace(text.find("{prompt}"), 8, prompt);
  return text;
}

std::string validate_align_answer(const std::string& answer) {
  std::string joined;
  std::istringstream in(answer);
  for (std::string line; std::getline(in, line);) {
    const size_t a = line.find_first_not_of(" \t\r");
    if (a == std::string::npos) continue;
    const size_t b = line.find_last_not_of(" \t\r");
    line = line.substr(a, b - a + 1);
    if (line.back() != '.') line += '.';
    joined += (joined.empty() ? "" : " ") + line;
  }
  for (unsigned char c : joined)
    require(c >= 0x20 && c != 0x7f, "the --align-cmd answer has control characters");
  require(joined.find_first_of("<>{}[]`|\\#*") == std::string::npos, "the --align-cmd answer has markup characters");
  require(joined.size() >= 3 && joined.size() <= 300,
          "the --align-cmd answer has " + std::to_string(joined.size()) + " characters (expected 3..300)");
  const auto w = split_words(joined);
  require(std::count_if(w.begin(), w.end(), has_letter) >= 2, "the --align-cmd answer is not a description");
  return joined;
}

namespace {

// A caption's words after its subject, punctuation dropped: what it says the person does.
std::string predicate(const std::string& text) {
  auto w = split_words(Tokenizer::normalise(text));
  w.erase(std::remove_if(w.begin(), w.end(), [](const std::string& t) { return !has_letter(t); }), w.end());
  w.erase(w.begin(), w.begin() + static_cast<long>(std::min(w.size(), subject_length(w))));
  return join_words(w);
}

}  // namespace

PromptAligner::PromptAligner(std::vector<std::string> captions, std::shared_ptr<const MeaningEncoder> meaning)
    : captions_(std::move(captions)), lexicon_(captions_), meaning_(std::move(meaning)) {
  for (const auto& c : captions_) predicates_.insert(predicate(c));
}

bool PromptAligner::is_training_caption(const std::string& text) const { return predicates_.count(predicate(text)) > 0; }

namespace {

// The text encoder reads 77 tokens at most: words past that would cost WordNet searches (and, for
// the meaning encoder, one more pass each) for nothing.
constexpr size_t kMaxAlignWords = 60;

std::string too_long(size_t words) {
  return "the prompt has " + std::to_string(words) + " words: aligning the first " + std::to_string(kMaxAlignWords);
}

// Framing that says nothing about the motion: "i want ...", "we see ...", "here ...".
std::vector<std::string> strip_frame(std::vector<std::string> w) {
  static const std::vector<std::vector<std::string>> frames = {
      {"i", "want"}, {"i", "would", "like"}, {"i", "'", "d", "like"}, {"we", "see"}, {"you", "see"}, {"show", "me"},
      {"let", "'", "s", "see"}, {"please"}, {"here"}, {"now"}, {"watch"}, {"there", "is"}, {"make"}};
  for (bool again = true; again;) {
    again = false;
    for (const auto& f : frames)
      if (f.size() < w.size() && std::equal(f.begin(), f.end(), w.begin())) {
        w.erase(w.begin(), w.begin() + static_cast<long>(f.size()));
        again = true;
      }
  }
  return w;
}

// "old - timer" -> "old-timer" where WordNet knows the compound.
std::vector<std::string> join_hyphens(const std::vector<std::string>& in, const Lexicon& lexicon) {
  std::vector<std::string> out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (i + 2 < in.size() && in[i + 1] == "-" && !(lexicon.knows(in[i]) && lexicon.knows(in[i + 2]))) {
      const std::string compound = in[i] + "-" + in[i + 2];
      bool known = lexicon.knows(compound);
      for (auto pos : wordnet::kAllPos) known = known || !wordnet::lemmas(compound, pos).empty();
      if (known) {
        out.push_back(compound);
        i += 2;
        continue;
      }
    }
    out.push_back(in[i]);
  }
  return out;
}

// After the subject, the verb in the third person: "the person to run" / "someone run" -> "runs".
void agree_verb(std::vector<std::string>& w) {
  const size_t k = subject_length(w);
  if (k == 0 || k >= w.size()) return;
  if (w[k] == "to" && k + 1 < w.size()) w.erase(w.begin() + static_cast<long>(k));
  if (is_function_word(w[k]) || is_protected_word(w[k])) return;
  for (const auto& lemma : wordnet::lemmas(w[k], wordnet::Pos::verb))
    if (lemma == w[k]) w[k] = inflect(lemma, Inflection::s);
}

}  // namespace

AlignedPrompt PromptAligner::map_words(const std::string& prompt) const {
  AlignedPrompt a;
  a.prompt = prompt;
  a.method = "builtin";
  if (lexicon_.size() == 0) {
    a.text = prompt;
    return a;
  }
  auto words = join_hyphens(strip_frame(split_words(Tokenizer::normalise(prompt))), lexicon_);
  if (words.size() > kMaxAlignWords) {
    a.warnings.push_back(too_long(words.size()));
    words.resize(kMaxAlignWords);
  }
  std::vector<std::string> out;
  for (const auto& w : words) {
    if (!has_letter(w) || lexicon_.knows(w)) {
      if (w != "," || (!out.empty() && out.back() != ",")) out.push_back(w);
    } else if (const std::string* d = determiner(w)) {
      for (const auto& part : split_words(*d)) out.push_back(part);
    } else if (std::string k = lexicon_.nearest_known(w); !k.empty() && (!is_body_part(w) || is_body_part(k))) {
      // (a part of the body never becomes a verb or a manner: "shoulders" -> "carries" is dropped)
      a.replaced.push_back({w, k});
      out.push_back(k);
    } else {
      a.dropped.push_back(w);
    }
  }
  // Captions always have a subject: "walk forward" / "then jumps" -> "a person walks forward".
  if (starts_with_verb(out)) {
    for (const auto& lemma : wordnet::lemmas(out[0], wordnet::Pos::verb))
      if (lemma == out[0]) out[0] = inflect(lemma, Inflection::s);
    out.insert(out.begin(), {"a", "person"});
  }
  agree_verb(out);
  out = tidy(out);
  if (std::none_of(out.begin(), out.end(), has_letter)) {
    a.text = prompt;
    a.warnings.push_back("no word of the prompt is known to the model: it goes to the text encoder as typed");
  } else {
    a.text = join_words(out);
  }
  return a;
}

AlignedPrompt PromptAligner::align(const std::string& prompt, const AlignOptions& o) const {
  if (!o.enabled) {
    AlignedPrompt a;
    a.prompt = a.text = prompt;
    return a;
  }
  if (!o.command.empty()) {
    std::string why;
    try {
      const std::string input = align_instruction(prompt, captions_);
      const std::string answer = validate_align_answer(run_with_input(o.command, input, o.timeout_seconds));
      // The program's answer is in training style already; the word map still catches what it
      // wrote that the model never saw.
      AlignedPrompt a = builtin(answer);
      a.prompt = prompt;
      a.method = "command";
      return a;
    } catch (const Error& e) {
      why = e.what();
    }
    AlignedPrompt a = builtin(prompt);
    a.warnings.insert(a.warnings.begin(), why + ": using the built-in alignment");
    return a;
  }
  return builtin(prompt);
}

AlignedPrompt PromptAligner::builtin(const std::string& prompt) const {
  if (!meaning_ || is_training_caption(prompt)) return map_words(prompt);
  AlignedPrompt a;
  a.prompt = prompt;
  a.method = "meaning";
  // The encoder reads prompt_words (no punctuation): the first kMaxAlignWords of them are the prompt.
  auto words = prompt_words(prompt);
  std::string read = prompt;
  if (words.size() > kMaxAlignWords) {
    a.warnings.push_back(too_long(words.size()));
    words.resize(kMaxAlignWords);
    read = join_words(words);
  }
  a.meaning = meaning_->read(read);
  a.text = a.meaning->caption;
  // The prompt is read whole, not word by word: what replaced what is the reading's evidence.
  a.replaced = a.meaning->evidence;
  a.replaced.insert(a.replaced.end(), a.meaning->corrected.begin(), a.meaning->corrected.end());
  if (!a.meaning->servable) a.warnings.push_back(unservable_message(a));
  return a;
}

std::string unservable_message(const AlignedPrompt& a) {
  char p[32];
  std::snprintf(p, sizeof p, "%.0f%%", 100 * (a.meaning ? a.meaning->p_none : 1.0));
  return "\"" + a.prompt + "\" asks for an action this model was not trained on (" + p +
         " sure); the nearest it can do is \"" + a.text + "\"";
}

}  // namespace mogo
