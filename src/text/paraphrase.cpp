#include "text/paraphrase.hpp"

#include "text/random_choice.hpp"
#include "text/words.hpp"

#include <vector>

namespace mogo {

namespace {

using Words = std::vector<std::string>;

// Length of the subject phrase at the start of `w` (0: none recognised).
size_t leading_subject(const Words& w) {
  for (const auto& phrase : subject_phrases()) {
    const Words p = split_words(phrase);
    if (p.size() <= w.size() && std::equal(p.begin(), p.end(), w.begin())) return p.size();
  }
  return 0;
}

// Start of a trailing manner phrase: "... happily ." / "... in a lively way ." (the final "."
// excluded); npos when there is none or it is the whole sentence.
size_t manner_start(const Words& w, size_t end) {
  if (end >= 2 && w[end - 1].size() > 3 && w[end - 1].compare(w[end - 1].size() - 2, 2, "ly") == 0) return end - 1;
  for (size_t i = 1; i + 2 < end; ++i)
    if (w[i] == "in" && (w[i + 1] == "a" || w[i + 1] == "an") && (w[end - 1] == "way" || w[end - 1] == "manner"))
      return i;
  return std::string::npos;
}

}  // namespace

const std::vector<std::string>& subject_phrases() {
  static const std::vector<std::string> s = {
      "a person", "the person", "someone", "a character", "the character", "somebody", "an individual",
      "a man", "a woman", "the man", "the woman", "a human", "a figure", "the figure", "a guy", "an actor"};
  return s;
}

std::string paraphrase(const std::string& caption, const Lexicon& lexicon, std::mt19937_64& rng,
                       const ParaphraseOptions& o) {
  Words w = split_words(caption);
  if (w.empty()) return caption;
  const size_t subject = leading_subject(w);
  if (subject > 0 && coin(rng, o.subject)) {
    Words s = split_words(pick_one(subject_phrases(), rng));
    w.erase(w.begin(), w.begin() + static_cast<long>(subject));
    w.insert(w.begin(), s.begin(), s.end());
  }
  for (auto& t : w)
    if (!is_function_word(t)) {
      const auto& alt = lexicon.alternatives(t);
      if (!alt.empty() && coin(rng, o.synonym)) t = pick_one(alt, rng);
    }
  const size_t end = w.back() == "." ? w.size() - 1 : w.size();
  const size_t manner = manner_start(w, end);
  if (manner != std::string::npos && manner > 0 && coin(rng, o.reorder)) {
    Words front(w.begin() + static_cast<long>(manner), w.begin() + static_cast<long>(end));
    front.push_back(",");
    w.erase(w.begin() + static_cast<long>(manner), w.begin() + static_cast<long>(end));
    w.insert(w.begin(), front.begin(), front.end());
  }
  if (coin(rng, o.filler)) {
    static const std::vector<std::string> fillers = {"just", "kind of", "sort of", "simply", "basically", "a bit"};
    const Words f = split_words(pick_one(fillers, rng));
    // Before the verb: right after the subject, or anywhere before the end.
    const size_t at = leading_subject(w) > 0 ? leading_subject(w)
                                            : std::uniform_int_distribution<size_t>(0, w.size() - 1)(rng);
    w.insert(w.begin() + static_cast<long>(at), f.begin(), f.end());
  }
  return join_words(w);
}

}  // namespace mogo
