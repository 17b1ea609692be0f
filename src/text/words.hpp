// Normalised text (Tokenizer::normalise) as words and back.
#pragma once
#include <algorithm>
#include <cctype>
#include <sstream>
#include <string>
#include <vector>

namespace mogo {

inline std::vector<std::string> split_words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> w;
  for (std::string s; in >> s;) w.push_back(s);
  return w;
}

// Words joined by spaces, with "," and "." attached to the word before them.
inline std::string join_words(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& t : words) s += (s.empty() || t == "," || t == "." ? "" : " ") + t;
  return s;
}

// A word, not punctuation or a number.
inline bool has_letter(const std::string& w) {
  return std::any_of(w.begin(), w.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
}

// A pronoun that stands for the subject ("he walks"): it takes no article and no description.
inline bool is_subject_pronoun(const std::string& w) { return w == "he" || w == "she" || w == "they"; }

}  // namespace mogo
