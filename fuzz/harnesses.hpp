// Fuzz harnesses, one per parser of outside input: NPY arrays, BVH files, caption files, JSON
// joint mappings and skeletons, model files (the zip container and its checksums), the server's
// HTTP requests (gate and JSON bodies). Each takes
// arbitrary bytes; bad input must end in mogo::Error (the contract: one clear message), so any
// other exception, a crash or a sanitizer report is a bug. Driven by libFuzzer (fuzz/main.cpp,
// scripts/fuzz.sh) or by the deterministic mutator below (tests/test_fuzz.cpp, in CI).
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace mogo::fuzz {

struct Harness {
  const char* name;
  // Parses `input`; returns true when it was accepted, false when it was refused with mogo::Error.
  bool (*run)(std::string_view input);
  // Valid examples to start from (and to splice into mutations).
  std::vector<std::string> (*seeds)();
};

const std::vector<Harness>& harnesses();
const Harness& harness(const std::string& name);  // throws Error listing the names

// One random edit of `s`, as coverage-blind fuzzers do: bit flips, byte runs, interesting
// numbers, erases, duplication, truncation, splices of another seed.
void mutate(std::string& s, std::mt19937_64& rng, const std::vector<std::string>& seeds);

struct Report {
  int64_t inputs = 0, accepted = 0, refused = 0;
};
// `iterations` inputs: each seed as is, then stacked mutations of random seeds.
Report run_mutations(const Harness& h, int64_t iterations, uint64_t seed);

}  // namespace mogo::fuzz
