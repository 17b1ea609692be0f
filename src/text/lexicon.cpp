#include "text/lexicon.hpp"

#include <algorithm>

#include "text/wordnet.hpp"
#include "text/words.hpp"

namespace mogo {

namespace {

using wordnet::Pos;
using wordnet::Relation;

// Grammatical words: WordNet's senses of them are not the ones captions use ("a" = vitamin A,
// "in" = inch): never mapped, never targets.
const std::set<std::string>& function_words() {
  static const std::set<std::string> w = {
      "a", "an", "the", "in", "on", "at", "to", "of", "as", "if", "is", "are", "be", "and", "or", "then", "with",
      "without", "like", "over", "toward", "towards", "into", "it", "its", "his", "her", "their", "my", "your", "our",
      "this", "that", "there", "here", "who", "while", "after", "before", "does", "do", "did", "not", "no", "so",
      "very", "just", "kind", "sort", "bit", "little", "some", "for", "from", "by", "along", "around", "about", "i",
      "we", "you", "he", "she", "they", "me", "us", "him", "them", "what", "which", "can", "will", "would", "should",
      "want", "wants", "see", "sees", "let", "please", "really", "quite", "rather", "somewhat", "pretty", "using",
      "use", "uses"};
  return w;
}

// Sides, directions and body parts: targets of the map, but a paraphrase never replaces them
// ("right" -> "correct" would change the motion).
const std::set<std::string>& protected_words() {
  static const std::set<std::string> w = {"left", "right", "both", "forward", "backward", "backwards", "up", "down",
                                          "air", "hand", "hands", "foot", "feet", "arm", "arms", "leg", "legs", "fist",
                                          "sword", "way", "manner", "style", "one", "two"};
  return w;
}

// Known words too generic to stand for anything: a word that only reaches these is dropped.
const std::set<std::string>& generic_words() {
  static const std::set<std::string> w = {"makes", "make", "takes", "gives", "comes", "come", "says", "say",
                                          "calls", "answers", "reacts", "show", "does"};
  return w;
}

bool ends_with(const std::string& s, const std::string& t) {
  return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
}

bool vowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

// Doubles the final consonant of a one-vowel-group word ending consonant-vowel-consonant ("jog").
bool doubles_final(const std::string& w) {
  const size_t n = w.size();
  if (n < 3 || vowel(w[n - 1]) || std::string("wxy").find(w[n - 1]) != std::string::npos) return false;
  if (!vowel(w[n - 2]) || vowel(w[n - 3])) return false;
  int groups = 0;
  for (size_t i = 0; i < n; ++i)
    if (vowel(w[i]) && (i == 0 || !vowel(w[i - 1]))) ++groups;
  return groups == 1;
}

std::string inflect_word(const std::string& w, Inflection f) {
  if (f == Inflection::plain || w.empty()) return w;
  if (f == Inflection::s) {
    if (ends_with(w, "s") || ends_with(w, "x") || ends_with(w, "z") || ends_with(w, "ch") || ends_with(w, "sh"))
      return w + "es";
    if (w.size() > 1 && w.back() == 'y' && !vowel(w[w.size() - 2])) return w.substr(0, w.size() - 1) + "ies";
    return w + "s";
  }
  const std::string suffix = f == Inflection::ing ? "ing" : "ed";
  if (f == Inflection::ing && ends_with(w, "ie")) return w.substr(0, w.size() - 2) + "ying";
  if (w.back() == 'e' && !ends_with(w, "ee") && !(f == Inflection::ing && ends_with(w, "ye")))
    return w.substr(0, w.size() - 1) + suffix;
  if (f == Inflection::ed && w.size() > 1 && w.back() == 'y' && !vowel(w[w.size() - 2]))
    return w.substr(0, w.size() - 1) + "ied";
  if (doubles_final(w)) return w + w.back() + suffix;
  return w + suffix;
}

// A synset and how many links it is from the word searched.
struct Reached {
  wordnet::Synset synset;
  int depth;
};

// Synsets of `word` (first senses of each part of speech), then those one and two links away
// (hypernym, similar, pertainym, derivation, see-also; never antonym or hyponym), breadth first.
std::vector<std::vector<wordnet::Synset>> neighbourhood(const std::string& word, int max_depth) {
  std::vector<std::vector<wordnet::Synset>> levels(1);
  std::set<std::pair<int, long>> seen;
  for (Pos pos : wordnet::kAllPos)
    for (const auto& lemma : wordnet::lemmas(word, pos))
      for (auto& s : wordnet::senses(lemma, pos, 4))
        if (seen.insert({static_cast<int>(s.pos), s.offset}).second) levels[0].push_back(std::move(s));
  for (int d = 1; d <= max_depth; ++d) {
    std::vector<wordnet::Synset> next;
    for (const auto& s : levels[d - 1])
      for (const auto& p : s.pointers) {
        if (p.relation == Relation::antonym || p.relation == Relation::hyponym) continue;
        // Across parts of speech only between adjectives and adverbs ("shy" -> "timidly"): a noun's
        // derived adjective is another meaning ("man" -> "manly").
        const bool modifier = (s.pos == Pos::adj || s.pos == Pos::adv) && (p.pos == Pos::adj || p.pos == Pos::adv);
        if (p.pos != s.pos && !modifier) continue;
        if (next.size() >= 200) break;
        if (seen.insert({static_cast<int>(p.pos), p.offset}).second) next.push_back(wordnet::synset_at(p.pos, p.offset));
      }
    levels.push_back(std::move(next));
  }
  return levels;
}

}  // namespace

bool is_function_word(const std::string& word) { return function_words().count(word) > 0; }
bool is_protected_word(const std::string& word) { return protected_words().count(word) > 0; }

bool is_body_part(const std::string& word) {
  constexpr int kNounBody = 8;  // WordNet lexicographer file noun.body
  for (const auto& lemma : wordnet::lemmas(word, wordnet::Pos::noun)) {
    const auto first = wordnet::senses(lemma, wordnet::Pos::noun, 1);
    if (!first.empty() && first.front().lexfile == kNounBody) return true;
  }
  return false;
}

Inflection inflection_of(const std::string& word, const std::string& lemma) {
  if (word == lemma) return Inflection::plain;
  if (ends_with(word, "ing")) return Inflection::ing;
  if (ends_with(word, "ed")) return Inflection::ed;
  if (ends_with(word, "s")) return Inflection::s;
  return Inflection::plain;
}

std::string inflect(const std::string& lemma, Inflection f) {
  std::string text = lemma;
  std::replace(text.begin(), text.end(), '_', ' ');
  const size_t space = text.find(' ');
  const std::string head = text.substr(0, space);
  return inflect_word(head, f) + (space == std::string::npos ? "" : text.substr(space));
}

Lexicon::Lexicon(const std::vector<std::string>& captions) {
  for (const auto& c : captions)
    for (const auto& w : split_words(c))
      if (has_letter(w)) ++count_[w];
}

const Lexicon::AnchorMap& Lexicon::anchors() const {
  std::call_once(anchors_->built, [this] {
    std::vector<std::pair<int, std::string>> by_count;
    for (const auto& [w, n] : count_) by_count.push_back({-n, w});
    std::sort(by_count.begin(), by_count.end());
    for (const auto& [n, w] : by_count) {
      if (is_function_word(w) || generic_words().count(w)) continue;
      for (Pos pos : wordnet::kAllPos)
        for (const auto& lemma : wordnet::lemmas(w, pos)) {
          add_anchor(anchors_->map, static_cast<int>(pos), lemma, w);
          // An adverb also stands for its adjective: "happily" for "happy" ("in a happy way").
          if (pos == Pos::adv)
            for (const auto& s : wordnet::senses(lemma, pos, 2))
              for (const auto& p : s.pointers)
                if (p.relation == Relation::pertainym || p.relation == Relation::derivation)
                  for (const auto& adj : wordnet::synset_at(p.pos, p.offset).words)
                    add_anchor(anchors_->map, static_cast<int>(p.pos), adj, w);
        }
    }
  });
  return anchors_->map;
}

void Lexicon::add_anchor(AnchorMap& anchors, int pos, const std::string& lemma, const std::string& known) {
  auto& v = anchors[{pos, lemma}];
  if (std::find(v.begin(), v.end(), known) == v.end()) v.push_back(known);
}

std::string Lexicon::pick(const std::vector<std::string>& known, int pos, Inflection f, bool adverb) const {
  // Same inflection (a plain verb becomes the captions' third person), then the same kind of
  // modifier ("furiously" -> "angrily", not "angry").
  auto score = [&](const std::string& k) {
    int s = 0;
    for (const auto& lemma : wordnet::lemmas(k, static_cast<Pos>(pos))) {
        const Inflection g = inflection_of(k, lemma);
        if (g == f) s = 4;
        else if (f == Inflection::plain && g == Inflection::s) s = std::max(s, 2);
    }
    return s + (ends_with(k, "ly") == adverb ? 1 : 0);
  };
  std::string best = known.front();
  int best_score = -1;
  for (const auto& k : known)
    if (int s = score(k); s > best_score) {
      best = k;
      best_score = s;
    }
  return best;
}

std::string Lexicon::nearest_known(const std::string& word) const {
  if (knows(word)) return word;
  const AnchorMap& anchors = this->anchors();
  if (is_function_word(word) || anchors.empty()) return "";
  Inflection f = Inflection::plain;
  for (Pos pos : wordnet::kAllPos) {
    auto l = wordnet::lemmas(word, pos);
    if (!l.empty()) {
      f = inflection_of(word, l.back());
      if (f != Inflection::plain) break;
    }
  }
  for (const auto& level : neighbourhood(word, 3))
    for (const auto& s : level)
      for (const auto& w : s.words) {
        auto it = anchors.find({static_cast<int>(s.pos), w});
        if (it != anchors.end()) return pick(it->second, it->first.first, f, ends_with(word, "ly"));
      }
  return "";
}

const std::vector<std::string>& Lexicon::alternatives(const std::string& word) const {
  auto cached = alternatives_.find(word);
  if (cached != alternatives_.end()) return cached->second;
  std::vector<std::string>& out = alternatives_[word];
  if (is_function_word(word) || protected_words().count(word) || !knows(word)) return out;
  // The word's first part of speech in WordNet order (verb, noun, adjective, adverb) and its
  // first senses: synonyms, and for verbs the hyponyms ("walk" -> "stroll", "march").
  std::set<std::string> seen = {word};
  for (Pos pos : wordnet::kAllPos) {
    const auto lemmas = wordnet::lemmas(word, pos);
    for (const auto& lemma : lemmas) {
      const Inflection f = inflection_of(word, lemma);
      for (const auto& s : wordnet::senses(lemma, pos, pos == Pos::verb || pos == Pos::noun ? 1 : 2)) {
        std::vector<wordnet::Synset> near = {s};
        for (const auto& p : s.pointers)
          if (pos == Pos::verb && p.relation == Relation::hyponym && near.size() < 16)
            near.push_back(wordnet::synset_at(p.pos, p.offset));
        for (const auto& n : near)
          for (const auto& w : n.words) {
            if (w.find_first_not_of("abcdefghijklmnopqrstuvwxyz-") != std::string::npos) continue;
            const std::string form = inflect(w, f);
            if (!seen.insert(form).second || knows(form)) continue;
            // Only words that align back to this word: augmentation teaches what alignment does.
            if (nearest_known(form) == word) out.push_back(form);
          }
      }
    }
    if (!lemmas.empty()) break;
  }
  return out;
}

}  // namespace mogo
