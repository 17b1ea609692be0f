// Rewordings of what a clip shows, for training the meaning encoder: from a phrase book
// (data/align/phrases.json) of subjects, actions (base form, {side} slot), styles (adverbials and
// people who carry the style), sentence shapes, fillers, settings (where or for whom) and
// appearance (what the subject wears or carries), which say nothing of the motion, with WordNet
// inflection, synonyms and hyponyms, occasional typos and dropped words. Also requests for actions
// the data does not have (label "none").
#pragma once
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "text/lexicon.hpp"

namespace mogo {

struct PhraseBook {
  struct ActionPhrases {
    std::vector<std::string> none, side, both;  // by side: none; left/right ({side}); both
  };
  struct StylePhrases {
    std::vector<std::string> adverbs, subjects;
  };
  std::map<std::string, std::string> same_style;  // style label -> the style it means ("old" -> "elderly")
  std::vector<std::string> subjects, shapes, unknown, fillers, settings, appearance;
  std::map<std::string, ActionPhrases> actions;
  std::map<std::string, StylePhrases> styles;
  // The book's words as a known vocabulary: WordNet synonyms and hyponyms of them that map back
  // ("stride" -> "march", "elegantly" -> "gracefully") widen the rewordings past the book.
  std::shared_ptr<Lexicon> lexicon;

  static PhraseBook load(const std::string& path);
  // Every word the book writes (for spelling correction: the rewordings' typos are not words).
  std::set<std::string> words() const;
};

// What a clip shows, from its content and style labels: "raise-up-left-hand" -> action "raise-up",
// side "left" ("right" when the clip is mirrored); "wave-both-hands" -> "wave", "both";
// "walk-turn-right" -> "walk-turn", "right"; "walk" -> "walk", "none".
struct ClipAttributes {
  std::string action, side, style;
  bool operator<(const ClipAttributes& o) const {
    return std::tie(action, side, style) < std::tie(o.action, o.side, o.style);
  }
};
ClipAttributes clip_attributes(const std::string& content, const std::string& style, bool mirrored, const PhraseBook& book);

// One rewording of `a` (throws Error when the book has no phrase for its action and side).
std::string reword(const ClipAttributes& a, const PhraseBook& book, std::mt19937_64& rng);
// A request for an action the data does not have, with a random subject and style: one of the
// book's, or a made-up word ("do a brelkish", "vontrams"): a word nobody taught means nothing known.
std::string unknown_request(const PhraseBook& book, std::mt19937_64& rng);

}  // namespace mogo
