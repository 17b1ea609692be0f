#include "engine/pacer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <thread>

#include "common/error.hpp"

namespace mogo {

std::string PaceOptions::check() const {
  if (!std::isfinite(lead_seconds) || lead_seconds < 0 || lead_seconds > kMaxLead)
    return "must be in [0, " + number_text(kMaxLead) + "] seconds, got " + number_text(lead_seconds);
  return "";
}

Pacer::Clock Pacer::steady_clock() {
  return [] { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); };
}

Pacer::Sleep Pacer::thread_sleep() {
  return [](double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); };
}

Pacer::Pacer(double lead_seconds, double fps, Clock clock, Sleep sleep)
    : lead_(lead_seconds), fps_(fps), clock_(std::move(clock)), sleep_(std::move(sleep)) {
  require(std::isfinite(lead_seconds) && lead_seconds >= 0, "Pacer: lead must be >= 0");
  require(fps > 0, "Pacer: fps must be > 0");
}

void Pacer::handed_out(int64_t n) {
  if (n > 0 && start_ < 0) start_ = clock_();
  out_ = std::max(out_, n);
}

double Pacer::playback_seconds() const { return start_ < 0 ? 0.0 : clock_() - start_; }

double Pacer::wait_seconds() const {
  if (start_ < 0) return 0.0;
  return std::max(0.0, static_cast<double>(out_) / fps_ - lead_ - playback_seconds());
}

bool Pacer::wait(const std::function<bool()>& keep_going, double slice) const {
  for (double w = wait_seconds(); w > 0; w = wait_seconds()) {
    if (!keep_going()) return false;
    sleep_(std::clamp(w, 1e-3, slice));  // at least 1 ms: a rounding remainder must still move the clock
  }
  return keep_going();
}

bool hand_out(const MotionChunk& chunk, Pacer* pacer, int64_t piece, const std::function<bool()>& keep_going,
              const std::function<bool(const MotionChunk&)>& emit) {
  if (!pacer) return emit(chunk);
  for (int64_t a = 0; a < chunk.frames(); a += piece) {
    if (!pacer->wait(keep_going)) return false;
    const auto part = chunk.slice(a, std::min(piece, chunk.frames() - a));
    if (!emit(part)) return false;
    pacer->handed_out(part.first_frame + part.frames());
  }
  return true;
}

}  // namespace mogo
