// A small caption corpus for tokenizer-dependent tests: 8 verbs x 6 manners x 2 phrasings.
#pragma once
#include <string>
#include <vector>

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

}  // namespace mogo::test
