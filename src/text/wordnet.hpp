// WordNet 3.0 (Princeton; Debian's wordnet-base data and libwordnet) behind a small C++ interface:
// lemmas of an inflected word, the synsets of a lemma in sense order, and their pointers. The C
// library keeps global state and is not thread safe: every call here holds one lock.
#pragma once
#include <string>
#include <vector>

namespace mogo::wordnet {

enum class Pos { noun = 1, verb = 2, adj = 3, adv = 4 };
constexpr Pos kAllPos[] = {Pos::verb, Pos::noun, Pos::adj, Pos::adv};

// WordNet's pointer symbols that mogo follows.
enum class Relation { antonym = 1, hypernym = 2, hyponym = 3, similar = 5, also = 16, pertainym = 17, derivation = 20 };

struct Pointer {
  Relation relation;
  Pos pos;
  long offset;
};

struct Synset {
  Pos pos = Pos::noun;
  long offset = 0;
  int lexfile = 0;                   // lexicographer file, e.g. 38 = verb.motion, 18 = noun.person
  std::vector<std::string> words;    // lemmas, lower case, '_' between the words of a collocation
  std::vector<Pointer> pointers;     // semantic pointers only (whole synset)
  std::string gloss;                 // the definition, without its examples ("a female ballet dancer")
};

// True when the database opened (once, on first use); false leaves every lookup empty.
bool available();
// Reads the index and data files into memory once, for callers that look up hundreds of thousands
// of terms (train-align): a lookup then costs no system call, and a multi-word term none of whose
// neighbouring words meet in a WordNet collocation is answered without libwordnet. ~30 MB held for
// the process; the answers are the same. False when WordNet is missing or a file could not be read
// (lookups then keep using the files).
bool hold_in_memory();
// Base forms of an inflected word in `pos` ("strolls" -> "stroll"), the word itself first when it
// is a lemma; empty when WordNet does not know it.
std::vector<std::string> lemmas(const std::string& word, Pos pos);
// The synsets of `lemma` in `pos`, most frequent sense first, at most `max_senses` (0: all).
std::vector<Synset> senses(const std::string& lemma, Pos pos, int max_senses = 0);
Synset synset_at(Pos pos, long offset);

}  // namespace mogo::wordnet
