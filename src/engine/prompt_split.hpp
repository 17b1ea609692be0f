// Prompts with several actions in a row ("walk forward, then jump, then sit down") become a
// timeline for the streaming generator: one entry per action, each aligned on its own.
#pragma once
#include <string>
#include <vector>

#include "engine/timeline.hpp"

namespace mogo {

// The actions of a prompt, in order, split at "then", "and then", "after that", "afterwards",
// "followed by", "next", "finally", ";" and sentence ends; one element when there is one action.
// An action without a subject takes the first action's ("a man walks, then sits" -> "a man sits").
std::vector<std::string> split_actions(const std::string& prompt);

// The number of words before an action's verb: its subject ("a man", "someone"); 0 when the
// action starts with a verb ("walk forward", "then jumps"). Words normalised.
size_t subject_length(const std::vector<std::string>& words);
bool starts_with_verb(const std::vector<std::string>& words);

// A timeline of the actions of `prompt`, `seconds_each` apart (the first at 0).
Timeline timeline_from_prompt(const std::string& prompt, double seconds_each);

}  // namespace mogo
