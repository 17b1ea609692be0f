#include "text/prompt_features.hpp"

#include <algorithm>
#include <cctype>

#include "text/lexicon.hpp"
#include "text/wordnet.hpp"

namespace mogo {

std::vector<std::string> prompt_words(const std::string& text) {
  std::vector<std::string> out;
  std::string w;
  auto flush = [&] {
    while (!w.empty() && (w.back() == '-' || w.back() == '\'')) w.pop_back();
    if (!w.empty()) out.push_back(w);
    w.clear();
  };
  for (unsigned char c : text) {
    if (std::isalnum(c) || c >= 128) {
      w += static_cast<char>(c < 128 ? std::tolower(c) : c);
    } else if ((c == '-' || c == '\'') && !w.empty()) {
      w += static_cast<char>(c);
    } else {
      flush();
    }
  }
  flush();
  return out;
}

int edit_distance(const std::string& a, const std::string& b, int limit) {
  const int n = static_cast<int>(a.size()), m = static_cast<int>(b.size());
  if (std::abs(n - m) > limit) return limit + 1;
  // d[i][j]: distance between a[0..i) and b[0..j) (optimal string alignment).
  std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1));
  for (int i = 0; i <= n; ++i) d[i][0] = i;
  for (int j = 0; j <= m; ++j) d[0][j] = j;
  for (int i = 1; i <= n; ++i) {
    int row_min = limit + 1;
    for (int j = 1; j <= m; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      row_min = std::min(row_min, d[i][j]);
    }
    if (row_min > limit) return limit + 1;
  }
  return d[n][m];
}

namespace {

bool in_wordnet(const std::string& word) {
  for (auto pos : wordnet::kAllPos)
    if (!wordnet::lemmas(word, pos).empty()) return true;
  return false;
}

std::string synset_id(wordnet::Pos pos, long offset) { return std::to_string(static_cast<int>(pos)) + "." + std::to_string(offset); }

// The content words of a gloss as written: "g:female", "g:dancer". (Not lemmatised: a WordNet
// lookup per gloss word made train-align's feature pass several times slower.)
void gloss_features(const std::string& gloss, std::set<std::string>& out) {
  for (const auto& w : prompt_words(gloss))
    if (!is_function_word(w) && w.size() >= 3) out.insert("g:" + w);
}

// WordNet features of a word or collocation ('_' between words): lemmas, senses and their
// neighbours (see the header). Antonyms and hyponyms are never followed.
void wordnet_features(const std::string& term, std::set<std::string>& out) {
  using wordnet::Relation;
  for (auto pos : wordnet::kAllPos) {
    const auto lemmas = wordnet::lemmas(term, pos);
    if (lemmas.empty()) continue;
    out.insert("l:" + lemmas.front());
    const auto senses = wordnet::senses(lemmas.front(), pos, 3);
    for (size_t i = 0; i < senses.size(); ++i) {
      const auto& s = senses[i];
      out.insert("s:" + synset_id(s.pos, s.offset));
      for (const auto& p : s.pointers) {
        const bool near = p.relation == Relation::similar || p.relation == Relation::pertainym ||
                          p.relation == Relation::also || (p.relation == Relation::derivation && i < 2);
        if (p.relation == Relation::hypernym && i == 0) out.insert("h:" + synset_id(p.pos, p.offset));
        if (near) out.insert("s:" + synset_id(p.pos, p.offset));
      }
      // What the most frequent sense is said to be: world knowledge no pointer holds ("ballerina":
      // "a female ballet dancer"; "toddler": "a young child").
      if (i == 0) gloss_features(s.gloss, out);
    }
  }
}

}  // namespace

PromptFeatures::PromptFeatures(std::set<std::string> vocabulary) : vocabulary_(std::move(vocabulary)) {}

std::string PromptFeatures::correct(const std::string& word) const {
  if (word.size() < 4 || vocabulary_.empty() || vocabulary_.count(word) ||
      std::any_of(word.begin(), word.end(), [](char c) { return !std::isalpha(static_cast<unsigned char>(c)); }))
    return word;
  {
    std::lock_guard<std::mutex> g(*m_);
    if (auto it = corrections_.find(word); it != corrections_.end()) return it->second;
  }
  std::string best = word;
  if (!in_wordnet(word)) {
    int best_d = word.size() >= 7 ? 2 : 1;
    bool found = false;
    for (const auto& v : vocabulary_) {
      const int d = edit_distance(word, v, best_d);
      if (d > best_d) continue;
      // Ties: a word of the same length (letters swapped or replaced), then the same first letter.
      auto rank = [&](const std::string& c) { return std::make_pair(c.size() != word.size(), c[0] != word[0]); };
      if (!found || d < best_d || (d == best_d && rank(v) < rank(best))) best = v;
      best_d = d;
      found = true;
    }
  }
  std::lock_guard<std::mutex> g(*m_);
  corrections_[word] = best;
  return best;
}

const std::vector<std::string>& PromptFeatures::word_features(const std::string& word) const {
  {
    std::lock_guard<std::mutex> g(*m_);
    if (auto it = cache_.find(word); it != cache_.end()) return it->second;
  }
  std::set<std::string> f = {"w:" + word};
  if (!is_function_word(word)) {
    wordnet_features(word, f);
    // A hyphenated compound WordNet does not know means what its parts mean ("bright-eyed").
    if (word.find('-') != std::string::npos && f.size() == 1)
      for (const auto& part : prompt_words(std::string(word).replace(word.find('-'), 1, " ")))
        if (!is_function_word(part)) wordnet_features(part, f);
  }
  // A word that is neither taught nor in WordNet says only that something unknown is asked for.
  if (!vocabulary_.count(word) && f.size() == 1 && !is_function_word(word)) f.insert("u:");
  std::lock_guard<std::mutex> g(*m_);
  return cache_.emplace(word, std::vector<std::string>(f.begin(), f.end())).first->second;
}

std::vector<std::string> PromptFeatures::extract(const std::string& text,
                                                 std::vector<std::pair<std::string, std::string>>* corrected) const {
  auto words = prompt_words(text);
  for (auto& w : words) {
    const std::string c = correct(w);
    if (c != w && corrected) corrected->push_back({w, c});
    w = c;
  }
  std::set<std::string> f;
  for (size_t i = 0; i < words.size(); ++i) {
    const auto& wf = word_features(words[i]);
    f.insert(wf.begin(), wf.end());
    if (i + 1 < words.size()) f.insert("b:" + words[i] + "_" + words[i + 1]);
    // Collocations: "worn out", "long in the tooth" (WordNet writes them with '_').
    std::string term = words[i];
    for (size_t n = 1; n < 4 && i + n < words.size(); ++n) {
      term += "_" + words[i + n];
      std::lock_guard<std::mutex> g(*m_);
      auto it = cache_.find("_" + term);
      if (it == cache_.end()) {
        std::set<std::string> cf;
        wordnet_features(term, cf);
        it = cache_.emplace("_" + term, std::vector<std::string>(cf.begin(), cf.end())).first;
      }
      f.insert(it->second.begin(), it->second.end());
    }
  }
  return {f.begin(), f.end()};
}

}  // namespace mogo
