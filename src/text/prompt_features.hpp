// What the meaning encoder (text/meaning_encoder) reads of a prompt: a bag of sparse features that
// carry meaning past the exact words, so that words and phrases the training rewordings never used
// still land near the ones they did:
//   w:word  b:word_word      the words and word pairs, after spelling correction
//   l:lemma                  WordNet base forms ("hurries" -> "hurry")
//   s:synset h:synset        WordNet senses (3 most frequent) of each word and of two- and three-word
//                            collocations ("long in the tooth", "worn out"), the first sense's
//                            hypernym, similar adjectives, pertainyms and derivations ("sleepy" ~
//                            "tired", "excitement" -> "excite"); deeper hypernyms did not help
//                            on the development prompts
//   g:word                   the content words of the first sense's gloss, as written: world
//                            knowledge no pointer holds ("ballerina" -> g:female g:dancer,
//                            "toddler" -> g:young g:child)
//   u:                       a word neither in the vocabulary nor in WordNet (after spelling
//                            correction): something the model was never taught is asked for
// (Character trigrams were tried and dropped: "backflip" read as "backward".)
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace mogo {

// Lower-case words of a prompt: letters, digits, inner apostrophes and hyphens ("dog-tired",
// "she's"); everything else separates words.
std::vector<std::string> prompt_words(const std::string& text);

// Damerau-Levenshtein distance (adjacent transpositions count 1), stopping early past `limit`.
int edit_distance(const std::string& a, const std::string& b, int limit);

class PromptFeatures {
 public:
  // vocabulary: the words of the training rewordings and captions, for spelling correction.
  explicit PromptFeatures(std::set<std::string> vocabulary = {});

  // A word neither in the vocabulary nor in WordNet, of 4+ letters, -> the vocabulary word at the
  // smallest edit distance (1, or 2 from 7 letters on), ties to a word of the same length, then
  // of the same first letter, then alphabetical; else the word itself.
  std::string correct(const std::string& word) const;

  // The prompt's features, each once; `corrected` (optional) receives the spelling corrections.
  std::vector<std::string> extract(const std::string& text,
                                   std::vector<std::pair<std::string, std::string>>* corrected = nullptr) const;

  const std::set<std::string>& vocabulary() const { return vocabulary_; }

 private:
  const std::vector<std::string>& word_features(const std::string& word) const;
  std::set<std::string> vocabulary_;
  // WordNet lookups are slow: features per word and per collocation, cached (shared by threads).
  mutable std::map<std::string, std::vector<std::string>> cache_;
  mutable std::map<std::string, std::string> corrections_;
  std::shared_ptr<std::mutex> m_ = std::make_shared<std::mutex>();
};

}  // namespace mogo
