// Paraphrase augmentation of training captions (Textual Condition Alignment, built-in half): the
// generator's text encoder sees each caption also in other words, so that what people type lands
// near the captions it was trained on. A paraphrase may
//   - change the subject phrase ("a person" -> "an individual", "the woman"),
//   - replace words by WordNet synonyms or hyponyms that align back to them ("walks" -> "strolls"),
//   - move a trailing manner phrase to the front ("happily, someone walks"),
//   - add a filler ("kind of", "just").
#pragma once
#include <random>
#include <string>

#include "text/lexicon.hpp"

namespace mogo {

struct ParaphraseOptions {
  double subject = 0.5;   // probability of a new subject phrase
  double synonym = 0.35;  // per replaceable word
  double reorder = 0.3;   // manner phrase to the front
  double filler = 0.3;
};

// caption: normalised (Tokenizer::normalise). Returns a normalised paraphrase (maybe the caption).
std::string paraphrase(const std::string& caption, const Lexicon& lexicon, std::mt19937_64& rng,
                       const ParaphraseOptions& o = {});

// The subject phrases paraphrase() writes, and the ones captions use (to find the subject).
const std::vector<std::string>& subject_phrases();

}  // namespace mogo
