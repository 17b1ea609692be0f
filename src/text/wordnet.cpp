#include "text/wordnet.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>

#include <wn.h>

namespace mogo::wordnet {

namespace {

std::mutex& lock() {
  static std::mutex m;
  return m;
}

// wninit() once; the library prints its own errors, so silence them and answer "not available".
bool open_locked() {
  static const bool ok = [] {
    display_message = [](char*) { return -1; };
    return wninit() == 0;
  }();
  return ok;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// WordNet's gloss field: "(definition; \"example\"; ...)"; the definition alone, lower case.
std::string definition(std::string g) {
  if (!g.empty() && g.front() == '(') g.erase(0, 1);
  g = g.substr(0, g.find_first_of(";\""));
  while (!g.empty() && (g.back() == ' ' || g.back() == ')')) g.pop_back();
  return lower(g);
}

Synset convert(const SynsetPtr p) {
  Synset s;
  s.pos = static_cast<Pos>(getpos(p->pos) == SATELLITE ? ADJ : getpos(p->pos));
  s.offset = p->hereiam;
  s.lexfile = p->fnum;
  for (int i = 0; i < p->wcount; ++i) s.words.push_back(lower(p->words[i]));
  s.gloss = definition(p->defn ? p->defn : "");
  for (int i = 0; i < p->ptrcount; ++i) {
    const int t = p->ptrtyp[i];
    const bool followed = t == ANTPTR || t == HYPERPTR || t == HYPOPTR || t == SIMPTR || t == SEEALSOPTR ||
                          t == PERTPTR || t == DERIVATION;
    if (!followed) continue;
    const int pos = p->ppos[i] == SATELLITE ? ADJ : p->ppos[i];
    s.pointers.push_back({static_cast<Relation>(t), static_cast<Pos>(pos), p->ptroff[i]});
  }
  return s;
}

}  // namespace

bool available() {
  std::lock_guard<std::mutex> g(lock());
  return open_locked();
}

std::vector<std::string> lemmas(const std::string& word, Pos pos) {
  std::lock_guard<std::mutex> g(lock());
  std::vector<std::string> out;
  if (!open_locked() || word.empty() || word.size() >= WORDBUF) return out;
  std::vector<char> buf(word.begin(), word.end());
  buf.push_back('\0');
  if (IndexPtr idx = index_lookup(buf.data(), static_cast<int>(pos))) {
    out.push_back(word);
    free_index(idx);
  }
  // morphstr: first call with the word, then nullptr for further base forms.
  for (char* base = morphstr(buf.data(), static_cast<int>(pos)); base; base = morphstr(nullptr, static_cast<int>(pos))) {
    std::string b = lower(base);
    if (std::find(out.begin(), out.end(), b) == out.end()) out.push_back(b);
  }
  return out;
}

std::vector<Synset> senses(const std::string& lemma, Pos pos, int max_senses) {
  std::lock_guard<std::mutex> g(lock());
  std::vector<Synset> out;
  if (!open_locked() || lemma.empty() || lemma.size() >= WORDBUF) return out;
  std::vector<char> buf(lemma.begin(), lemma.end());
  buf.push_back('\0');
  IndexPtr idx = index_lookup(buf.data(), static_cast<int>(pos));
  if (!idx) return out;
  for (int i = 0; i < idx->off_cnt && (max_senses <= 0 || i < max_senses); ++i)
    if (SynsetPtr p = read_synset(static_cast<int>(pos), static_cast<long>(idx->offset[i]), buf.data())) {
      out.push_back(convert(p));
      free_synset(p);
    }
  free_index(idx);
  return out;
}

Synset synset_at(Pos pos, long offset) {
  std::lock_guard<std::mutex> g(lock());
  Synset s;
  if (!open_locked()) return s;
  char empty[] = "";
  if (SynsetPtr p = read_synset(static_cast<int>(pos), offset, empty)) {
    s = convert(p);
    free_synset(p);
  }
  return s;
}

}  // namespace mogo::wordnet
