// Real-time pacing of a stream (live steering): frames are handed out no more than `lead` seconds
// of motion ahead of a player that starts playing the first frame the moment it is handed out, so
// a change of text lands in the motion about `lead` after the frame being played (docs/streaming.md).
// Without pacing a stream runs as fast as the machine draws, and a change lands behind everything
// already sent (29 s of motion on a 2-core machine).
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "engine/stream.hpp"

namespace mogo {

struct PaceOptions {
  bool enabled = true;
  // Seconds of motion handed out beyond the playback position (besides the frames the decoder's
  // look-ahead holds back). Enough to absorb one latent step (0.2 s) of generation jitter.
  double lead_seconds = 0.2;
  static constexpr double kMaxLead = 60.0;
  // Empty when valid, else what is wrong (the caller names its own field).
  std::string check() const;
};

class Pacer {
 public:
  using Clock = std::function<double()>;         // monotonic seconds
  using Sleep = std::function<void(double)>;     // sleeps about that many seconds
  static Clock steady_clock();
  static Sleep thread_sleep();

  Pacer(double lead_seconds, double fps, Clock clock = steady_clock(), Sleep sleep = thread_sleep());

  // Frames [0, n) have been handed out. The first call with n > 0 starts the playback clock.
  void handed_out(int64_t n);
  // Seconds until more frames may be drawn: 0 when those handed out are within the lead.
  double wait_seconds() const;
  // Waits until wait_seconds() is 0, in slices of at most `slice` seconds, asking keep_going()
  // before each; false as soon as it says no (a client that left, a cancel).
  bool wait(const std::function<bool()>& keep_going, double slice = 0.02) const;
  // Where the player is: seconds of motion played since the first frame (0 before it).
  double playback_seconds() const;

 private:
  double lead_, fps_;
  Clock clock_;
  Sleep sleep_;
  double start_ = -1;
  int64_t out_ = 0;
};

// Hands `chunk` to `emit` in pieces of at most `piece` frames, each once the pacer allows (all at
// once without a pacer): the frames a stream finalises together (its first, the end's flush) still
// reach the player in real time. False when keep_going() or emit said stop.
bool hand_out(const MotionChunk& chunk, Pacer* pacer, int64_t piece, const std::function<bool()>& keep_going,
              const std::function<bool(const MotionChunk&)>& emit);

}  // namespace mogo
