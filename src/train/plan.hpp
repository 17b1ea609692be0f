// A training run's plan: the numbers that decide what it computes (steps, batch, window, learning
// rate, seed, preset) and the data it reads. Every checkpoint stores it; a resumed run follows the
// stored plan, and a command-line flag that asks for something else is an error: silently ignoring
// it, or silently following it (a different schedule, other clips), both break "a resumed run ends
// where an uninterrupted one ends".
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace mogo {

// What the command line asked for: only the plan keys given explicitly, with their values.
struct PlanRequest {
  nlohmann::json given = nlohmann::json::object();
};

// Resuming from `checkpoint` whose stored plan is `stored`: throws Error listing every key of
// `given` whose value differs from the stored one.
void check_resume_plan(const nlohmann::json& stored, const PlanRequest& request, const std::string& checkpoint);

// A fingerprint of a prepared dataset: CRC-32 of its split lists and normalisation statistics.
// A resumed run on other data is an error, not a silent change of clips.
std::string data_fingerprint(const std::string& data_dir);
void check_same_data(const std::string& stored_fingerprint, const std::string& data_dir, const std::string& checkpoint);

// A fresh run must not overwrite an existing checkpoint in `out_dir` without --resume.
void check_fresh_output(const std::string& checkpoint, bool resume);

// Range checks shared by the training configs: names the flag and the value.
void require_positive(const std::string& flag, double value);
void require_learning_rate(const std::string& flag, double lr);

}  // namespace mogo
