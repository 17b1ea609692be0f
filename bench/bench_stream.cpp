// Streaming generation with the default model on this CPU: time to the first frame, time per
// latent step early (around 10 s of motion) and late (around 10 min), memory (process RSS and the
// key/value cache) at both points and at peak, and per minute of motion the root height range and
// the lowest foot joint (drift, feet through the floor).
//   usage: bench_stream [threads] [minutes of motion] [model.pt] [window]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <unistd.h>

#include "common/runtime.hpp"
#include "engine/stream.hpp"

using namespace mogo;

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

double rss_mb() {  // resident set size now
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;
}

struct Window {  // per-step times over a range of steps
  int64_t from, to;
  double total_ms = 0;
  int64_t n = 0;
  double rss = 0, cache_kb = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  const double minutes = argc > 2 ? std::atof(argv[2]) : 10.0;
  const std::string path = argc > 3 ? argv[3] : default_model_path();
  configure_threads(threads);
  auto gen = Generator::load(path);
  const auto warm0 = Clock::now();
  gen.warm_up();  // once per process, as a server does at start: the word map, the packed weights
  const double warm_ms = ms_since(warm0);
  StreamOptions o;
  o.window = argc > 4 ? std::atoi(argv[4]) : 0;
  const int64_t steps = static_cast<int64_t>(minutes * 60 * kHumanML3DFps / 4);
  std::printf("model %s, %d thread(s), %.1f min of motion (%lld latent steps), BLAS %s\n", path.c_str(), threads, minutes,
              (long long)steps, blas_in_use().c_str());

  auto t0 = Clock::now();
  MotionStream s(gen, "a person walks forward", o);
  double first_frame_ms = -1;
  Window early{45, 55}, late{steps - 10, steps};
  const auto& skel = gen.skeleton();
  const int64_t feet[4] = {skel.feet_left[0], skel.feet_left[1], skel.feet_right[0], skel.feet_right[1]};
  const int64_t frames_per_minute = static_cast<int64_t>(60 * kHumanML3DFps);
  double h_min = 1e9, h_max = -1e9, foot_min = 1e9;
  std::printf("%-7s %-22s %-18s\n", "minute", "root height min..max", "lowest foot joint");
  while (!s.done()) {
    if (s.steps() == steps) s.finish();  // the last frames: decoded with the motion's true end
    auto ts = Clock::now();
    auto c = s.step();
    const double ms = ms_since(ts);
    if (first_frame_ms < 0 && c.frames() > 0) first_frame_ms = ms_since(t0);
    for (Window* w : {&early, &late})
      if (s.steps() > w->from && s.steps() <= w->to) {
        w->total_ms += ms;
        ++w->n;
        w->rss = rss_mb();
        w->cache_kb = s.cache_bytes() / 1024.0;
      }
    for (int64_t i = 0; i < c.frames(); ++i) {
      auto pose = c.joints[i];
      h_min = std::min(h_min, pose[0][1].item<double>());
      h_max = std::max(h_max, pose[0][1].item<double>());
      for (auto f : feet) foot_min = std::min(foot_min, pose[f][1].item<double>());
      if ((c.first_frame + i + 1) % frames_per_minute == 0) {
        std::printf("%-7lld %.3f .. %.3f m         %+.3f m\n", (long long)((c.first_frame + i + 1) / frames_per_minute), h_min,
                    h_max, foot_min);
        h_min = 1e9, h_max = -1e9, foot_min = 1e9;
      }
    }
  }
  std::printf("warm-up                      %.0f ms (once per process: word map, packed weights)\n", warm_ms);
  std::printf("time to first frame          %.0f ms (text, %lld look-ahead steps, decoding)\n", first_frame_ms,
              (long long)(gen.model().vq->decoder->latent_span(0).last + 1));
  for (auto* w : {&early, &late})
    std::printf("steps %5lld-%-5lld (%5.1f s)    %.2f ms/step = %.1fx real time; RSS %.0f MB, KV cache %.0f KB\n",
                (long long)w->from, (long long)w->to, w->to * 4 / kHumanML3DFps, w->total_ms / w->n, 200.0 / (w->total_ms / w->n),
                w->rss, w->cache_kb);
  std::printf("peak RSS                     %.0f MB\n", peak_rss_mb());
  return 0;
}
