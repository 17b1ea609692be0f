#include "text/rewording.hpp"

#include <algorithm>

#include "common/archive.hpp"
#include "common/error.hpp"
#include "text/lexicon.hpp"
#include "text/prompt_features.hpp"
#include "text/random_choice.hpp"
#include "text/wordnet.hpp"
#include "text/words.hpp"

namespace mogo {

PhraseBook PhraseBook::load(const std::string& path) {
  const auto j = load_json_file(path);
  PhraseBook b;
  try {
    b.same_style = j.at("same_style").get<std::map<std::string, std::string>>();
    b.subjects = j.at("subjects").get<std::vector<std::string>>();
    b.shapes = j.at("shapes").get<std::vector<std::string>>();
    b.unknown = j.at("unknown").get<std::vector<std::string>>();
    b.fillers = j.at("fillers").get<std::vector<std::string>>();
    b.settings = j.value("settings", std::vector<std::string>{});
    b.appearance = j.value("appearance", std::vector<std::string>{});
    for (const auto& [name, a] : j.at("actions").items())
      b.actions[name] = {a.value("none", std::vector<std::string>{}), a.value("side", std::vector<std::string>{}),
                         a.value("both", std::vector<std::string>{})};
    for (const auto& [name, s] : j.at("styles").items()) {
      // A style the labels merge into another ("childish" -> "youthful") teaches that one: reword()
      // looks a clip's style up by its merged name.
      auto& to = b.styles[b.same_style.count(name) ? b.same_style.at(name) : name];
      for (auto [list, key] : {std::pair{&to.adverbs, "adverbs"}, std::pair{&to.subjects, "subjects"}}) {
        const auto phrases = s.at(key).get<std::vector<std::string>>();
        list->insert(list->end(), phrases.begin(), phrases.end());
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": bad phrase book: " + e.what());
  }
  require(!b.subjects.empty() && !b.shapes.empty() && !b.actions.empty() && !b.styles.empty(),
          path + ": the phrase book needs subjects, shapes, actions and styles");
  const auto words = b.words();
  b.lexicon = std::make_shared<Lexicon>(std::vector<std::string>(words.begin(), words.end()));
  return b;
}

std::set<std::string> PhraseBook::words() const {
  std::set<std::string> out;
  auto add = [&](const std::vector<std::string>& phrases) {
    for (const auto& p : phrases)
      for (const auto& w : prompt_words(p)) out.insert(w);
  };
  for (const auto* list : {&subjects, &shapes, &unknown, &fillers, &settings, &appearance}) add(*list);
  for (const auto& [_, a] : actions)
    for (const auto* list : {&a.none, &a.side, &a.both}) add(*list);
  for (const auto& [_, s] : styles)
    for (const auto* list : {&s.adverbs, &s.subjects}) add(*list);
  out.insert({"left", "right"});
  return out;
}

ClipAttributes clip_attributes(const std::string& content, const std::string& style, bool mirrored, const PhraseBook& book) {
  ClipAttributes a{"", "none", style};
  if (auto it = book.same_style.find(style); it != book.same_style.end()) a.style = it->second;
  std::vector<std::string> parts;
  for (size_t start = 0; start <= content.size();) {
    const size_t dash = std::min(content.find('-', start), content.size());
    parts.push_back(content.substr(start, dash - start));
    start = dash + 1;
  }
  std::vector<std::string> kept;
  for (const auto& p : parts) {
    if (p == "left" || p == "right" || p == "both") a.side = p;
    else kept.push_back(p);
  }
  if (a.side != "none")  // "raise-up-left-hand": the hand is in the side
    kept.erase(std::remove_if(kept.begin(), kept.end(), [](const std::string& p) { return p == "hand" || p == "hands"; }),
               kept.end());
  if (mirrored && (a.side == "left" || a.side == "right")) a.side = a.side == "left" ? "right" : "left";
  for (const auto& k : kept) a.action += (a.action.empty() ? "" : "-") + k;
  return a;
}

namespace {

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
}

// The phrase with its first word inflected ("walk forward" -> "walks forward"), when that word is
// a verb; a phrase led by a noun ("hands up") stays as it is.
std::string inflected(const std::string& phrase, Inflection f) {
  auto w = split_words(phrase);
  if (w.empty()) return phrase;
  const auto lemmas = wordnet::lemmas(w[0], wordnet::Pos::verb);
  if (std::find(lemmas.begin(), lemmas.end(), w[0]) == lemmas.end()) return phrase;
  w[0] = inflect(w[0], f);
  return join_words(w);
}

// One letter dropped, doubled, swapped with the next or replaced by its neighbour, in one word of
// 4+ letters: how people mistype.
std::string with_typo(const std::string& text, std::mt19937_64& rng) {
  auto w = split_words(text);
  std::vector<size_t> long_words;
  for (size_t i = 0; i < w.size(); ++i)
    if (w[i].size() >= 4) long_words.push_back(i);
  if (long_words.empty()) return text;
  std::string& word = w[pick_one(long_words, rng)];
  const size_t at = std::uniform_int_distribution<size_t>(1, word.size() - 2)(rng);
  switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
    case 0: word.erase(at, 1); break;
    case 1: word.insert(at, 1, word[at]); break;
    case 2: std::swap(word[at], word[at + 1]); break;
    default: word[at] = static_cast<char>('a' + (word[at] - 'a' + 1) % 26); break;
  }
  return join_words(w);
}

// Fills a shape with a subject, an action phrase (base form) and a style adverbial.
std::string fill(const std::string& action, const std::string& style, const PhraseBook& book, std::mt19937_64& rng) {
  std::string subject = pick_one(book.subjects, rng), adverb;
  if (auto it = book.styles.find(style); it != book.styles.end()) {
    const auto& s = it->second;
    const bool person = !s.subjects.empty() && coin(rng, 0.3);
    if (person) subject = pick_one(s.subjects, rng);
    if (!s.adverbs.empty() && (!person || coin(rng, 0.4))) adverb = pick_one(s.adverbs, rng);
  }
  // What the subject wears or carries ("a man in a blue hat"): colours name idioms of styles
  // ("feeling blue", "seeing red"), but not when they colour a thing. A pronoun takes none.
  if (!book.appearance.empty() && !is_subject_pronoun(subject) && coin(rng, 0.15))
    subject += " " + pick_one(book.appearance, rng);
  const std::string filler = book.fillers.empty() ? "" : pick_one(book.fillers, rng);
  std::string shape = pick_one(book.shapes, rng);
  // A noun-led phrase ("hands up") reads as a request of its own.
  if (inflected(action, Inflection::s) == action) shape = "{V}{Y}";
  std::string out = shape;
  replace_all(out, "{S}", subject);
  replace_all(out, "{V3}", filler + inflected(action, Inflection::s));
  replace_all(out, "{Ving}", inflected(action, Inflection::ing));
  replace_all(out, "{V}", action);
  replace_all(out, "{Yf}", adverb.empty() ? "" : adverb + ", ");
  replace_all(out, "{Ym}", adverb.empty() ? "" : ", " + adverb + ",");
  replace_all(out, "{Y}", adverb.empty() ? "" : (coin(rng, 0.2) ? ", " : " ") + adverb);
  // Where or for whom ("in the park", "for a visitor"): words the encoder must learn to pass over.
  if (!book.settings.empty() && coin(rng, 0.3)) {
    const std::string setting = pick_one(book.settings, rng);
    out = coin(rng, 0.5) ? out + " " + setting : setting + ", " + out;
  }
  auto w = split_words(out);
  for (auto& x : w)
    if (coin(rng, 0.2))
      if (const auto& alternatives = book.lexicon->alternatives(x); !alternatives.empty()) x = pick_one(alternatives, rng);
  out = join_words(w);
  if (coin(rng, 0.1)) out = with_typo(out, rng);
  if (coin(rng, 0.1)) {  // a word lost
    w = split_words(out);
    if (w.size() > 3) w.erase(w.begin() + static_cast<long>(std::uniform_int_distribution<size_t>(0, w.size() - 1)(rng)));
    out = join_words(w);
  }
  return out;
}

}  // namespace

std::string reword(const ClipAttributes& a, const PhraseBook& book, std::mt19937_64& rng) {
  const auto it = book.actions.find(a.action);
  require(it != book.actions.end(), "phrase book: no phrases for the action '" + a.action + "'");
  const auto& list = a.side == "none" ? it->second.none : a.side == "both" ? it->second.both : it->second.side;
  require(!list.empty(), "phrase book: no phrases for the action '" + a.action + "' with side '" + a.side + "'");
  std::string action = pick_one(list, rng);
  replace_all(action, "{side}", a.side);
  return fill(action, a.style, book, rng);
}

std::string unknown_request(const PhraseBook& book, std::mt19937_64& rng) {
  require(!book.unknown.empty() && !book.styles.empty(), "phrase book: no unknown actions");
  auto style = book.styles.begin();
  std::advance(style, std::uniform_int_distribution<size_t>(0, book.styles.size() - 1)(rng));
  std::string action = pick_one(book.unknown, rng);
  if (coin(rng, 0.3)) {
    std::string made_up;
    const int letters = std::uniform_int_distribution<int>(4, 9)(rng);
    for (int i = 0; i < letters; ++i) made_up += static_cast<char>('a' + std::uniform_int_distribution<int>(0, 25)(rng));
    static const std::vector<std::string> forms = {"{w}", "do a {w}", "perform the {w}", "{w} around", "try a {w}",
                                                   "{w} forward", "{w} ahead", "{w} across the room"};
    action = pick_one(forms, rng);
    replace_all(action, "{w}", made_up);
  }
  return fill(action, style->first, book, rng);
}

}  // namespace mogo
