// mogo_fuzz: runs one fuzz harness (fuzz/harnesses.hpp) for a while.
//   mogo_fuzz <target> [libFuzzer flags, e.g. -runs=100000 -max_total_time=600] [corpus dir]
// Built with clang (scripts/fuzz.sh) it is libFuzzer, coverage-guided, with its seeds written to
// a corpus folder first; with another compiler the deterministic mutator of harnesses.cpp runs
// -runs=N inputs. Either way a crash, a sanitizer report or an exception other than mogo::Error
// ends the run with a non-zero exit.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "fuzz/harnesses.hpp"

namespace {
const mogo::fuzz::Harness* g_target = nullptr;

int64_t runs_flag(int argc, char** argv, int64_t fallback) {
  for (int i = 2; i < argc; ++i)
    if (std::strncmp(argv[i], "-runs=", 6) == 0) return std::atoll(argv[i] + 6);
  return fallback;
}
}  // namespace

#ifdef MOGO_LIBFUZZER
extern "C" int LLVMFuzzerRunDriver(int* argc, char*** argv, int (*cb)(const uint8_t*, size_t));

static int one_input(const uint8_t* data, size_t size) {
  g_target->run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
#endif

int main(int argc, char** argv) {
  try {
    if (argc < 2) throw mogo::Error("usage: mogo_fuzz <target> [-runs=N] [corpus dir]");
    g_target = &mogo::fuzz::harness(argv[1]);
#ifdef MOGO_LIBFUZZER
    // libFuzzer takes the flags and corpus folders after the target name; the seeds go into
    // a corpus folder of their own so that every run starts from valid files.
    const auto corpus = std::filesystem::temp_directory_path() / ("mogo-fuzz-seeds-" + std::string(argv[1]));
    std::filesystem::create_directories(corpus);
    const auto seeds = g_target->seeds();
    for (size_t i = 0; i < seeds.size(); ++i) mogo::write_file_atomically((corpus / ("seed" + std::to_string(i))).string(), seeds[i]);
    // The seeds' folder comes first: libFuzzer writes the inputs it finds into its first corpus
    // folder, never into folders given after it (such as fuzz/regressions/<target>).
    std::string corpus_arg = corpus.string();
    std::vector<char*> args = {argv[0], corpus_arg.data()};
    for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
    int n = static_cast<int>(args.size());
    char** a = args.data();
    return LLVMFuzzerRunDriver(&n, &a, one_input);
#else
    const int64_t runs = runs_flag(argc, argv, 100000);
    auto r = mogo::fuzz::run_mutations(*g_target, runs, 1);
    std::printf("%s: %lld inputs, %lld accepted, %lld refused with a clear error, 0 crashes\n", argv[1], (long long)r.inputs,
                (long long)r.accepted, (long long)r.refused);
    return 0;
#endif
  } catch (const mogo::Error& e) {
    std::fprintf(stderr, "mogo_fuzz: %s\n", e.what());
    return 1;
  }
}
