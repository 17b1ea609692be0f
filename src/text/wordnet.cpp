#include "text/wordnet.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <unordered_map>
#include <unordered_set>

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

// The whole of one open database file, read into memory, and a stream over that memory in its
// place: libwordnet's binary search seeks and refills a 4 KB stdio buffer per step (about 20 read
// system calls a lookup), which made train-align's feature pass I/O bound.
bool swap_for_memory(FILE*& fp) {
  if (!fp || std::fseek(fp, 0, SEEK_END) != 0) return false;
  const long size = std::ftell(fp);
  if (size <= 0) return false;
  static std::vector<std::unique_ptr<char[]>> held;  // alive for the process: the streams point into them
  auto bytes = std::make_unique<char[]>(static_cast<size_t>(size));
  std::rewind(fp);
  if (std::fread(bytes.get(), 1, static_cast<size_t>(size), fp) != static_cast<size_t>(size)) return false;
  FILE* mem = fmemopen(bytes.get(), static_cast<size_t>(size), "r");
  if (!mem) return false;
  std::fclose(fp);
  fp = mem;
  held.push_back(std::move(bytes));
  return true;
}

std::vector<std::string> lemmas_locked(const std::string& word, Pos pos) {
  std::vector<std::string> out;
  if (!open_locked() || word.empty() || word.size() >= WORDBUF) return out;
  std::vector<char> buf(word.begin(), word.end());
  buf.push_back('\0');
  // morphstr: first call with the word, then nullptr for further base forms. For a collocation it
  // also answers forms WordNet does not hold ("down_in_the_dumps" -> "down_in_the_dump"): only
  // those in the index are base forms.
  std::vector<std::string> candidates = {word};
  for (char* base = morphstr(buf.data(), static_cast<int>(pos)); base; base = morphstr(nullptr, static_cast<int>(pos)))
    candidates.push_back(lower(base));
  for (auto& c : candidates) {
    if (std::find(out.begin(), out.end(), c) != out.end() || c.size() >= WORDBUF) continue;
    std::vector<char> term(c.begin(), c.end());
    term.push_back('\0');
    if (IndexPtr idx = index_lookup(term.data(), static_cast<int>(pos))) {
      out.push_back(c);
      free_index(idx);
    }
  }
  return out;
}

// A collocation ('_' between its words) is found by libwordnet only as itself, as an exception
// list's entry, or with some of its words replaced by their base forms (morphstr). So each pair of
// its neighbouring words, each as written or a base form, is a neighbouring pair of some
// collocation in the index or exception files. Checking that in memory first spares libwordnet's
// exception-file searches (system calls) for the ~all terms of a prompt that are no collocation.
struct Collocations {
  std::unordered_set<std::string> pairs;                          // "word word"
  std::unordered_map<std::string, std::vector<std::string>> forms;  // a word, its base forms
};
Collocations* collocations = nullptr;  // built by hold_in_memory(), under lock()

std::vector<std::string> parts_of(const std::string& term) {
  std::vector<std::string> out(1);
  for (char c : term)
    if (c == '_' || c == '-') out.emplace_back();
    else out.back() += c;
  return out;
}

void add_pairs(const std::string& term, std::unordered_set<std::string>& pairs) {
  const auto w = parts_of(term);
  for (size_t i = 0; i + 1 < w.size(); ++i) pairs.insert(w[i] + " " + w[i + 1]);
}

// The word, its base forms in every part of speech, and the word without each noun or adjective
// suffix that morphstr strips from a whole collocation ("attorneys_general", "worn_outs").
const std::vector<std::string>& forms_locked(const std::string& word) {
  auto [it, fresh] = collocations->forms.try_emplace(word);
  if (!fresh) return it->second;
  std::set<std::string> f = {word};
  for (Pos pos : kAllPos)
    for (auto& l : lemmas_locked(word, pos)) f.insert(l);
  static const std::pair<const char*, const char*> suffixes[] = {
      {"s", ""}, {"ses", "s"}, {"xes", "x"}, {"zes", "z"}, {"ches", "ch"}, {"shes", "sh"}, {"men", "man"},
      {"ies", "y"}, {"er", ""}, {"est", ""}, {"er", "e"}, {"est", "e"}};
  for (const auto& [from, to] : suffixes) {
    const size_t n = std::strlen(from);
    if (word.size() > n && word.compare(word.size() - n, n, from) == 0) f.insert(word.substr(0, word.size() - n) + to);
  }
  it->second.assign(f.begin(), f.end());
  return it->second;
}

bool may_be_collocation_locked(const std::string& term) {
  if (!collocations || term.find('_') == std::string::npos) return true;
  const auto w = parts_of(term);
  for (size_t i = 0; i + 1 < w.size(); ++i) {
    bool found = false;
    for (const auto& a : forms_locked(w[i]))
      for (const auto& b : forms_locked(w[i + 1])) found = found || collocations->pairs.count(a + " " + b);
    if (!found) return false;
  }
  return true;
}

// Every collocation in WordNet's index files (first field) and exception lists (every field).
void read_collocations_locked() {
  auto c = std::make_unique<Collocations>();
  const std::string dir = SetSearchdir();  // where wninit() opened the files: WNSEARCHDIR, else as built
  for (const char* name : {"index.noun", "index.verb", "index.adj", "index.adv", "noun.exc", "verb.exc", "adj.exc", "adv.exc"}) {
    std::ifstream in(dir + "/" + name);
    const bool exceptions = std::strstr(name, ".exc") != nullptr;
    for (std::string line; std::getline(in, line);) {
      if (line.empty() || line[0] == ' ') continue;  // the licence at the top of the index files
      for (size_t at = 0; at < line.size();) {
        const size_t end = std::min(line.find(' ', at), line.size());
        const std::string f = line.substr(at, end - at);
        if (f.find_first_of("_-") != std::string::npos) add_pairs(lower(f), c->pairs);
        if (!exceptions) break;
        at = end + 1;
      }
    }
  }
  if (c->pairs.empty()) return;  // no file read: libwordnet answers every term itself
  collocations = c.release();     // alive for the process, as the held files are
}

}  // namespace

bool available() {
  std::lock_guard<std::mutex> g(lock());
  return open_locked();
}

bool hold_in_memory() {
  std::lock_guard<std::mutex> g(lock());
  static int held = -1;  // not tried yet; then 0 or 1, once for the process
  if (held < 0 && open_locked()) {
    held = 1;
    for (int pos = 1; pos <= NUMPARTS; ++pos)
      held = swap_for_memory(indexfps[pos]) && swap_for_memory(datafps[pos]) && held;
    read_collocations_locked();
  }
  return held == 1;
}

std::vector<std::string> lemmas(const std::string& word, Pos pos) {
  std::lock_guard<std::mutex> g(lock());
  if (!open_locked() || !may_be_collocation_locked(word)) return {};
  return lemmas_locked(word, pos);
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
