// Timelines: texts that take over a stream at given times, e.g.
//   "0:walk forward happily;6:a person jumps;9:a person sits down"
// and the loop that plays one through a MotionStream.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/pacer.hpp"
#include "engine/stream.hpp"

namespace mogo {

// Parses "t:text;t:text;...". Times in seconds, the first 0, strictly increasing; texts non-blank.
// Errors name the entry at fault.
Timeline parse_timeline(const std::string& spec);

// Throws Error naming the entry when a timeline cannot be followed as written: entries closer than
// one latent step (kMinSeconds), or starting after the motion's end (`seconds` > 0, the fixed
// length) or after kMaxSeconds.
void check_timeline(const Timeline& timeline, double seconds);

// Plays a timeline through `stream` (opened on timeline[0].text; MotionStream::follow): each
// text takes over at the latent step nearest its time. Without a fixed length the last text runs
// until the model ends the motion (the stream's end rules). on_chunk receives every chunk of final
// frames; returning false cancels (the frames so far stay valid). With a pacer, the chunks are
// handed out in real time (Pacer); the texts still change at their motion times.
void play_timeline(MotionStream& stream, const Timeline& timeline, const std::function<bool(const MotionChunk&)>& on_chunk,
                   Pacer* pacer = nullptr);

// play_timeline to the stream's end, keeping every frame: raw features [T,D] (empty when the model
// ended the motion before its first frame). on_chunk (optional) sees each chunk as it comes.
torch::Tensor play_to_end(MotionStream& stream, const Timeline& timeline, const std::function<void(const MotionChunk&)>& on_chunk = {},
                          Pacer* pacer = nullptr);

// The stream settings of a whole generation: its sampling, length (`seconds`, 0: free) and layers.
StreamOptions streaming_options(const GenerateOptions& options, double fps);

// A timeline played to its end at once (no pacing, features as decoded): raw features [T,D] and
// the first text's alignment, for front ends that answer with a whole motion.
GeneratedMotion generate_timeline(Generator& generator, const Timeline& timeline, const GenerateOptions& options);

// The stream of what a prompt plays, for the front ends that stream (server, C API): opened on the
// first of its actions (prompt_timeline; `seconds` shared out when > 0), following the others.
std::unique_ptr<MotionStream> open_prompt_stream(Generator& generator, const std::string& prompt, double seconds,
                                                 const StreamOptions& options, const torch::Tensor& prefix = {});

// The steps of generation at which a time falls (4 frames a step at 20 fps).
int64_t seconds_to_steps(double seconds, int64_t downsample, double fps);

}  // namespace mogo
