// The known vocabulary of a model (the words of its training captions) and WordNet's map between
// it and every other English word, both ways:
//   nearest_known: an unknown word -> the known word of closest meaning, same inflection
//                  ("strolls" -> "walks", "shy" -> "timidly", "individual" -> "person");
//   alternatives:  a known word -> unknown words of the same meaning, for paraphrase augmentation
//                  ("walks" -> "strolls", "ambles", ...).
// Without WordNet (wordnet::available() false) nothing maps and there are no alternatives.
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace mogo {

// English function words: they carry no motion and are never mapped or replaced.
bool is_function_word(const std::string& word);
// Sides, directions and body parts ("left", "forward", "hand"): never replaced by a paraphrase.
bool is_protected_word(const std::string& word);

// A part of the body in its most frequent noun sense ("arms", "palm", "knee": WordNet's noun.body).
bool is_body_part(const std::string& word);

// Inflections that map and replace keep: walk / walks / walking / walked.
enum class Inflection { plain, s, ing, ed };
Inflection inflection_of(const std::string& word, const std::string& lemma);
// Inflects a WordNet lemma ("stroll", "take_a_bow": the first word) -> "strolls", "takes a bow".
std::string inflect(const std::string& lemma, Inflection f);

class Lexicon {
 public:
  Lexicon() = default;
  // captions: normalised (Tokenizer::normalise) training captions.
  explicit Lexicon(const std::vector<std::string>& captions);

  bool knows(const std::string& word) const { return count_.count(word) > 0; }
  // The known word closest in meaning (synonym, then hypernyms, similar adjectives, the adverb of an
  // adjective and back, at most 3 links), in the inflection of `word`; "" when there is none.
  std::string nearest_known(const std::string& word) const;
  // Unknown words of the meaning of known `word` (synonyms and hyponyms of its first senses) that
  // map back to it, in its inflection; cached.
  const std::vector<std::string>& alternatives(const std::string& word) const;
  size_t size() const { return count_.size(); }
  // Builds the WordNet map now rather than on the first unknown word (servers, at start).
  void warm_up() const { anchors(); }

 private:
  // (WordNet part of speech, lemma) -> the known words it stands for, most frequent first. Built
  // on first use (WordNet's lemmas of every known word: ~80 ms): a prompt of known words, and a
  // model with a meaning encoder, never ask (issue 23: nothing per process the command does not use).
  using AnchorMap = std::map<std::pair<int, std::string>, std::vector<std::string>>;
  struct Anchors {
    std::once_flag built;
    AnchorMap map;
  };
  const AnchorMap& anchors() const;
  static void add_anchor(AnchorMap& anchors, int pos, const std::string& lemma, const std::string& known);

  std::map<std::string, int> count_;   // known word -> occurrences
  std::shared_ptr<Anchors> anchors_ = std::make_shared<Anchors>();
  mutable std::map<std::string, std::vector<std::string>> alternatives_;
  std::string pick(const std::vector<std::string>& known, int pos, Inflection f, bool adverb) const;
};

}  // namespace mogo
