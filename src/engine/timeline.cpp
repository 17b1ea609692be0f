#include "engine/timeline.hpp"

#include <cmath>
#include <cstdlib>

#include "common/error.hpp"
#include "engine/prompt_split.hpp"

namespace mogo {

namespace {
std::string trim(const std::string& s) {
  const char* ws = " \t\r\n\f\v";
  auto b = s.find_first_not_of(ws);
  return b == std::string::npos ? "" : s.substr(b, s.find_last_not_of(ws) - b + 1);
}
}  // namespace

Timeline parse_timeline(const std::string& spec) {
  Timeline out;
  size_t begin = 0;
  while (begin <= spec.size()) {
    size_t end = spec.find(';', begin);
    if (end == std::string::npos) end = spec.size();
    const std::string entry = trim(spec.substr(begin, end - begin));
    begin = end + 1;
    if (entry.empty() && end == spec.size() && !out.empty()) break;  // trailing ';'
    const std::string where = "timeline entry " + std::to_string(out.size() + 1) + " \"" + entry + "\"";
    const size_t colon = entry.find(':');
    require(colon != std::string::npos, where + ": expected TIME:TEXT, e.g. \"0:a person walks forward\"");
    const std::string time = trim(entry.substr(0, colon));
    char* rest = nullptr;
    const double at = std::strtod(time.c_str(), &rest);
    require(!time.empty() && rest && *rest == '\0' && std::isfinite(at) && at >= 0,
            where + ": the time must be a number of seconds >= 0, found \"" + time + "\"");
    TimelineEntry e{at, trim(entry.substr(colon + 1))};
    require(!e.text.empty(), where + ": the text is empty");
    require(!out.empty() || at == 0, where + ": the first text must start at 0");
    require(out.empty() || at > out.back().at, where + ": times must increase");
    out.push_back(e);
  }
  require(!out.empty(), "the timeline is empty");
  return out;
}

void check_timeline(const Timeline& timeline, double seconds) {
  require(!timeline.empty(), "the timeline is empty");
  const double end = seconds > 0 ? std::min(seconds, kMaxSeconds) : kMaxSeconds;
  for (size_t i = 0; i < timeline.size(); ++i) {
    const auto& e = timeline[i];
    const std::string where = "timeline entry " + std::to_string(i + 1) + " (at " + c10::str(e.at) + " s, \"" + e.text + "\")";
    // Each text holds the stream for one latent step at least: changes closer than that could not
    // all be followed (100 entries 0.01 s apart used to play for 20 s).
    if (i > 0)
      require(e.at - timeline[i - 1].at >= kMinSeconds - 1e-9,
              where + ": starts less than " + c10::str(kMinSeconds) + " s (one latent step) after the entry before");
    if (i > 0)
      require(e.at < end, where + (seconds > 0 ? ": starts after the motion ends (--seconds " + c10::str(seconds) + ")"
                                               : ": starts after the longest motion (" + c10::str(kMaxSeconds) + " s)"));
  }
}

int64_t seconds_to_steps(double seconds, int64_t downsample, double fps) {
  return static_cast<int64_t>(std::llround(seconds * fps / static_cast<double>(downsample)));
}

void play_timeline(MotionStream& stream, const Timeline& timeline, const std::function<bool(const MotionChunk&)>& on_chunk,
                   Pacer* pacer) {
  stream.follow(timeline);
  stream.set_stop_at_end(!stream.fixed_length());
  while (!stream.done()) {
    if (pacer) pacer->wait([] { return true; });
    auto chunk = stream.step();
    if (chunk.frames() > 0 && !hand_out(chunk, pacer, stream.downsample(), [] { return true; }, on_chunk)) return;
  }
}

torch::Tensor play_to_end(MotionStream& stream, const Timeline& timeline, const std::function<void(const MotionChunk&)>& on_chunk,
                          Pacer* pacer) {
  std::vector<torch::Tensor> parts;
  play_timeline(
      stream, timeline,
      [&](const MotionChunk& c) {
        if (on_chunk) on_chunk(c);
        parts.push_back(c.features);
        return true;
      },
      pacer);
  return parts.empty() ? torch::Tensor() : torch::cat(parts, 0);
}

StreamOptions streaming_options(const GenerateOptions& options, double fps) {
  StreamOptions so;
  so.sampling = options.sampling;
  so.max_frames = options.seconds != 0 ? seconds_to_frames(options.seconds, fps) : 0;
  so.layers = options.layers;
  return so;
}

GeneratedMotion generate_timeline(Generator& generator, const Timeline& timeline, const GenerateOptions& options) {
  StreamOptions so = streaming_options(options, generator.fps());
  so.foot_lock = false;  // features only; front ends lock the feet of the joints they write
  MotionStream stream(generator, timeline.at(0).text, so);
  GeneratedMotion out;
  out.alignment = stream.alignment();
  out.text = timeline[0].text;
  for (size_t i = 1; i < timeline.size(); ++i) out.text += "; " + timeline[i].text;
  out.features = play_to_end(stream, timeline);
  require(out.features.defined(), "the model ended the motion before its first frame");
  return out;
}

std::unique_ptr<MotionStream> open_prompt_stream(Generator& generator, const std::string& prompt, double seconds,
                                                 const StreamOptions& options, const torch::Tensor& prefix) {
  const auto timeline = prompt_timeline(generator, prompt, seconds);
  auto stream = std::make_unique<MotionStream>(generator, timeline[0].text, options, prefix);
  if (timeline.size() > 1) stream->follow(timeline);
  return stream;
}

}  // namespace mogo
