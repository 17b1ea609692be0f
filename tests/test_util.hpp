// Helpers shared by the tests: paths to shared data, temporary folders, running the CLI.
#pragma once
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "common/error.hpp"

namespace mogo::test {

inline std::string shared_dir() { return MOGO_SHARED_DIR; }
inline std::string reference_dir() { return shared_dir() + "/reference/humanml3d"; }
inline std::string source_dir() { return MOGO_SOURCE_DIR; }

// A fresh empty folder under the system temp dir, removed at destruction.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag = "mogo") {
    path = std::filesystem::temp_directory_path() /
           (tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
  static int& counter() {
    static int c = 0;
    return c;
  }
};

// What every command a test runs is prefixed with: a deadline of 10 minutes (then SIGTERM, and
// SIGKILL 10 s later), far above any test's own work even on a busy machine.
inline const std::string kDeadline = "timeout -k 10 600 ";

struct CommandResult {
  int exit_code;
  std::string output;  // stdout + stderr
};

// Runs the mogo CLI with the given argument string; captures output. `shell_prefix` runs before
// it in the same shell (e.g. "ulimit -f 64; ").
CommandResult run_cli(const std::string& args, const std::string& shell_prefix = "");

// The README's error contract: exit code 1 and, as the last line, one "mogo: error: ..." line
// that contains `needle`.
void expect_one_line_error(const CommandResult& r, const std::string& needle);

// The message of the mogo::Error that `f()` throws, or "no error".
template <class F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

// Loads a BVH file with three.js BVHLoader (web/tools/check_bvh.mjs under node) and returns its
// report {"bones", "frames", "root"}; an empty object when three.js is not installed.
nlohmann::json check_bvh_with_threejs(const std::string& bvh_path, std::string* output = nullptr);
// Runs web/tools/<script> under node on a file and parses the JSON it prints ({"error"} on failure;
// an empty object when three.js is not installed).
nlohmann::json run_web_tool(const std::string& script, const std::string& file, std::string* output = nullptr);
// The same over several files in one node process: one parsed JSON line per file ({"error"} alone
// on failure).
std::vector<nlohmann::json> run_web_tool_lines(const std::string& script, const std::vector<std::string>& files,
                                               std::string* output = nullptr);
inline bool threejs_available() { return std::filesystem::exists(source_dir() + "/web/node_modules/three"); }

// Resident memory of this process now, MB (/proc/self/statm).
double resident_mb();

inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

}  // namespace mogo::test

namespace mogo::test {

// Simulates a full disk for this process: files may not grow past `bytes` (RLIMIT_FSIZE), and
// writes past it fail with EFBIG instead of raising SIGXFSZ. Restored at destruction.
struct FileSizeLimit {
  explicit FileSizeLimit(size_t bytes);
  ~FileSizeLimit();
  size_t old_soft;
};

// The names in `dir` (no recursion), sorted.
std::vector<std::string> list_dir(const std::string& dir);

}  // namespace mogo::test
