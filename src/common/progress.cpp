#include "common/progress.hpp"

#include <cstdio>
#include <unistd.h>

namespace mogo {

bool stderr_is_terminal() { return isatty(STDERR_FILENO); }

ProgressBar::ProgressBar(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled && stderr_is_terminal()),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

void ProgressBar::update(int64_t done, const std::string& extra) {
  done_ = done;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100) && done_ < total_) return;
  last_draw_ = now;
  draw(extra);
}

void ProgressBar::finish(const std::string& extra) {
  draw(extra);
  if (enabled_) std::fputc('\n', stderr);
}

void ProgressBar::draw(const std::string& extra) {
  if (!enabled_) return;
  const int width = 30;
  double frac = total_ > 0 ? static_cast<double>(done_) / total_ : 1.0;
  int filled = static_cast<int>(frac * width);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string bar(filled, '=');
  if (filled < width) bar += '>' + std::string(width - filled - 1, ' ');
  std::fprintf(stderr, "\r%s [%s] %lld/%lld %.1f it/s %s\033[K", label_.c_str(), bar.c_str(),
               static_cast<long long>(done_), static_cast<long long>(total_),
               secs > 0 ? done_ / secs : 0.0, extra.c_str());
  std::fflush(stderr);
}

}  // namespace mogo
