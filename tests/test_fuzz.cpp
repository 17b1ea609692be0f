// Every fuzz harness (fuzz/harnesses.hpp) for a fixed number of mutated inputs, in CI under
// AddressSanitizer + UndefinedBehaviorSanitizer: bad input may only end in mogo::Error. Longer,
// coverage-guided runs: scripts/fuzz.sh (docs/reliability.md).
#include <gtest/gtest.h>

#include <filesystem>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "fuzz/harnesses.hpp"

namespace mogo {
namespace {

void fuzz(const char* name, int64_t iterations) {
  const auto& h = fuzz::harness(name);
  const auto r = fuzz::run_mutations(h, iterations, 20261130);
  std::printf("    fuzz %s: %lld inputs, %lld accepted, %lld refused with mogo::Error, 0 crashes\n", name, (long long)r.inputs,
              (long long)r.accepted, (long long)r.refused);
  EXPECT_EQ(r.inputs, iterations);
  // The mutations must reach both sides of the parser, or the harness tests nothing.
  EXPECT_GT(r.accepted, 0) << name;
  EXPECT_GT(r.refused, iterations / 10) << name;
}

TEST(Fuzz, Npy) { fuzz("npy", 100000); }
TEST(Fuzz, Bvh) { fuzz("bvh", 50000); }
TEST(Fuzz, Captions) { fuzz("captions", 100000); }
TEST(Fuzz, Mapping) { fuzz("mapping", 20000); }
TEST(Fuzz, ModelFile) { fuzz("model-file", 100000); }
TEST(Fuzz, ServerRequest) { fuzz("server-request", 30000); }

// Inputs that once crashed a harness (fuzz/regressions/<target>/), kept as regression tests.
TEST(Fuzz, FoundInputsStayFixed) {
  int files = 0;
  for (const auto& h : fuzz::harnesses()) {
    const auto dir = std::filesystem::path(MOGO_SOURCE_DIR) / "fuzz/regressions" / h.name;
    if (!std::filesystem::exists(dir)) continue;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      EXPECT_NO_FATAL_FAILURE(h.run(read_file(e.path().string()))) << e.path();
      ++files;
    }
  }
  EXPECT_GE(files, 2);
}

TEST(Fuzz, SeedsAreAccepted) {
  for (const auto& h : fuzz::harnesses())
    for (const auto& s : h.seeds()) EXPECT_TRUE(h.run(s)) << h.name;
  EXPECT_THROW(fuzz::harness("nope"), Error);
}

}  // namespace
}  // namespace mogo
