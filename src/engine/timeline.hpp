// Timelines: texts that take over a stream at given times, e.g.
//   "0:walk forward happily;6:a person jumps;9:a person sits down"
// and the loop that plays one through a MotionStream.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "engine/pacer.hpp"
#include "engine/stream.hpp"

namespace mogo {

struct TimelineEntry {
  double at = 0;      // seconds from the start of generation
  std::string text;
};
using Timeline = std::vector<TimelineEntry>;

// Parses "t:text;t:text;...". Times in seconds, the first 0, strictly increasing; texts non-blank.
// Errors name the entry at fault.
Timeline parse_timeline(const std::string& spec);

// Throws Error naming the entry when a timeline cannot be followed as written: entries closer than
// one latent step (kMinSeconds), or starting after the motion's end (`seconds` > 0, the fixed
// length) or after kMaxSeconds.
void check_timeline(const Timeline& timeline, double seconds);

// Plays a timeline through `stream` (opened on timeline[0].text): each text takes over at the
// latent step nearest its time. With options.max_frames = 0 the last text runs until the model
// ends the motion, or for at most `last_steps` steps. on_chunk receives every chunk of final
// frames; returning false cancels (the frames so far stay valid). With a pacer, the chunks are
// handed out in real time (Pacer); the texts still change at their motion times.
void play_timeline(MotionStream& stream, const Timeline& timeline, int64_t last_steps,
                   const std::function<bool(const MotionChunk&)>& on_chunk, Pacer* pacer = nullptr);

// The steps of generation at which a time falls (4 frames a step at 20 fps).
int64_t seconds_to_steps(double seconds, int64_t downsample, double fps);

}  // namespace mogo
