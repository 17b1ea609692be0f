// A one-line terminal progress bar: "label [=====>    ] 42/100  12.3 it/s  extra".
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace mogo {

// True when stderr is a terminal (progress bars draw only then).
bool stderr_is_terminal();

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, bool enabled = true);
  // Advances to `done` items; `extra` is appended (e.g. "loss 0.123"). Redraws at most ~10x/s.
  void update(int64_t done, const std::string& extra = "");
  void finish(const std::string& extra = "");

 private:
  void draw(const std::string& extra);
  std::string label_;
  int64_t total_;
  int64_t done_ = 0;
  bool enabled_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace mogo
