// A small caption corpus for tokenizer-dependent tests: 8 verbs x 6 manners x 2 phrasings.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "text/tokenizer.hpp"

namespace mogo::test {

inline std::vector<std::string> toy_captions() {
  std::vector<std::string> caps;
  const char* verbs[] = {"walks", "runs", "jumps", "waves", "kicks", "bows", "turns", "dances"};
  const char* manner[] = {"happily", "sadly", "slowly", "quickly", "proudly", "angrily"};
  for (auto* v : verbs)
    for (auto* m : manner) {
      caps.push_back(std::string("A person ") + v + " " + m + ".");
      caps.push_back(std::string("someone ") + v + " forward " + m + ", then turns left.");
    }
  return caps;
}

// A SentencePiece tokenizer trained once on toy_captions (vocabulary 120).
inline std::shared_ptr<Tokenizer> toy_tokenizer() {
  static auto t = std::make_shared<Tokenizer>(Tokenizer::train(toy_captions(), 120));
  return t;
}

}  // namespace mogo::test
