// Prompts with several actions in a row ("walk forward, then jump, then sit down") become a
// timeline for the streaming generator: one entry per action, each aligned on its own.
#pragma once
#include <string>
#include <vector>

#include "engine/generator.hpp"
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

// The actions `generator` should play for `prompt`: split_actions(prompt), unless alignment is off,
// there is one action, or the aligned prompt says what a training caption says ("a person walks
// forward then turns left" is one: the model knows that sequence whole).
std::vector<std::string> actions_to_play(Generator& generator, const std::string& prompt);

// A timeline of `actions`, `seconds_each` apart (the first at 0).
Timeline action_timeline(const std::vector<std::string>& actions, double seconds_each);

constexpr double kActionSeconds = 4.0;  // each action's share of a prompt with several, by default

// What a prompt plays, for every front end (CLI, server, C API): its actions (actions_to_play) as
// a timeline, `seconds` shared out among them when > 0, else action_seconds each.
Timeline prompt_timeline(Generator& generator, const std::string& prompt, double seconds, double action_seconds = kActionSeconds);

}  // namespace mogo
