// Control latency of live steering (docs/streaming.md): how much motion plays between a change of
// text and the first frame that differs from the stream left unchanged.
//
// Over loopback, against a server in this process with default settings: a player streams "a person
// walks forward" (seconds 12, a fixed seed), plays the frames in real time from the first one it
// receives, and after 3 s of playback changes the text to "a person jumps". The same stream is
// also generated with the text left unchanged (same seed, unpaced). The latency is the seconds of
// motion from the frame being played at the change to the first frame whose joints are 5 cm or
// more away from the unchanged stream's. The same through the C API (a realtime session pulled by
// a player loop), and the time to the first frame of both.
//   usage: bench_latency [model.pt] [repeats] [threads]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "common/runtime.hpp"
#include "mogo.h"
#include "serve/server.hpp"
#include "serve/sse_client.hpp"

using namespace mogo;
using Clock = std::chrono::steady_clock;

namespace {

constexpr double kChangeAt = 3.0;     // seconds of playback before the change
constexpr double kOffMetres = 0.05;   // a frame is "changed" once a joint is this far off
const char* kText = "a person walks forward";
const char* kNewText = "a person jumps";

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// First frame index >= from where any joint of a differs from b by kOffMetres; -1 if none.
int64_t first_off(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b, int64_t from) {
  for (size_t f = static_cast<size_t>(from); f < std::min(a.size(), b.size()); ++f)
    for (size_t k = 0; k + 2 < a[f].size(); k += 3) {
      const double dx = a[f][k] - b[f][k], dy = a[f][k + 1] - b[f][k + 1], dz = a[f][k + 2] - b[f][k + 2];
      if (dx * dx + dy * dy + dz * dz >= kOffMetres * kOffMetres) return static_cast<int64_t>(f);
    }
  return -1;
}

struct Result {
  double latency = -1;      // seconds of motion
  double first_ms = -1;     // request to first frame
  int64_t played = 0;       // frame being played at the change
};

std::vector<std::vector<float>> frames_of(const nlohmann::json& joints) {
  std::vector<std::vector<float>> out;
  for (const auto& f : joints) {
    std::vector<float> v;
    for (const auto& p : f)
      for (const auto& x : p) v.push_back(x.get<float>());
    out.push_back(std::move(v));
  }
  return out;
}

// One streamed run over HTTP; change: whether to change the text after kChangeAt of playback.
Result http_run(int port, uint64_t seed, bool change, bool pace, std::vector<std::vector<float>>& frames) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(120, 0);
  httplib::Client control("127.0.0.1", port);
  Result r;
  std::string id;
  Clock::time_point start = Clock::now(), first;
  bool changed = false;
  serve::SseParser sse;
  nlohmann::json body = {{"text", kText}, {"seconds", 12}, {"seed", seed}, {"pace", pace}};
  serve::post_streaming(cli, "/v1/stream", body.dump(), [&](const char* d, size_t n) {
    for (const auto& e : sse.feed(d, n)) {
      if (e.name == "start") id = e.data["id"];
      if (e.name != "frames") continue;
      if (r.first_ms < 0) {
        first = Clock::now();
        r.first_ms = std::chrono::duration<double, std::milli>(first - start).count();
      }
      for (auto& f : frames_of(e.data["joints"])) frames.push_back(std::move(f));
    }
    // The player plays from the first frame received; the change comes at kChangeAt of playback.
    if (change && !changed && r.first_ms >= 0 && seconds_since(first) >= kChangeAt) {
      r.played = static_cast<int64_t>(seconds_since(first) * kHumanML3DFps);
      changed = true;
      control.Post("/v1/stream/" + id + "/text", nlohmann::json{{"text", kNewText}}.dump(), "application/json");
    }
    return true;
  });
  return r;
}

// The same through the C API: a realtime session and a player pulling from it.
Result capi_run(mogo_model* m, uint64_t seed, bool change, bool realtime, std::vector<std::vector<float>>& frames) {
  mogo_session_params p = mogo_session_default_params();
  p.seed = seed;
  p.seconds = 12;
  p.realtime = realtime ? 1 : 0;
  Result r;
  const auto start = Clock::now();
  Clock::time_point first;
  mogo_session* s = mogo_session_open(m, kText, p);
  if (!s) return r;
  const int J = mogo_model_n_joints(m);
  std::vector<float> buf(64 * J * 3);
  bool changed = false;
  for (int n; (n = mogo_session_pull(s, buf.data(), 64, nullptr)) > 0;) {
    if (r.first_ms < 0) {
      first = Clock::now();
      r.first_ms = std::chrono::duration<double, std::milli>(first - start).count();
    }
    for (int i = 0; i < n; ++i) frames.emplace_back(buf.begin() + i * J * 3, buf.begin() + (i + 1) * J * 3);
    if (change && !changed && seconds_since(first) >= kChangeAt) {
      r.played = static_cast<int64_t>(seconds_since(first) * kHumanML3DFps);
      changed = true;
      mogo_session_set_text(s, kNewText);
    }
  }
  mogo_session_free(s);
  return r;
}

void report(const char* name, std::vector<Result> rs) {
  std::vector<double> lat, first;
  for (const auto& r : rs) {
    lat.push_back(r.latency);
    first.push_back(r.first_ms);
  }
  std::sort(lat.begin(), lat.end());
  std::sort(first.begin(), first.end());
  std::printf("%-26s control latency median %.2f s (min %.2f, max %.2f) of motion; first frame median %.0f ms (%zu runs)\n", name,
              lat[lat.size() / 2], lat.front(), lat.back(), first[first.size() / 2], lat.size());
}

}  // namespace

int main(int argc, char** argv) {
  const std::string model = argc > 1 ? argv[1] : default_model_path();
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 3;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 1;
  configure_threads(threads);
  auto gen = Generator::load(model);
  gen.prepare_alignment();
  serve::ServerOptions o;
  o.port = 0;
  serve::MotionServer server(gen, o);
  const int port = server.bind();
  std::thread http([&] { server.run(); });
  std::printf("model %s, %d thread(s), BLAS %s; change after %.1f s of playback, 5 cm threshold\n", model.c_str(), threads,
              blas_in_use().c_str(), kChangeAt);

  mogo_model_params mp = mogo_model_default_params();
  mp.n_threads = threads;
  mogo_model* m = mogo_model_load(model.c_str(), mp);
  std::vector<Result> over_http, over_capi;
  for (int k = 0; k < repeats; ++k) {
    const uint64_t seed = 100 + static_cast<uint64_t>(k);
    for (int api = 0; api < 2; ++api) {  // alternating
      std::vector<std::vector<float>> changed, same;
      Result r = api == 0 ? http_run(port, seed, true, true, changed) : capi_run(m, seed, true, true, changed);
      Result ref = api == 0 ? http_run(port, seed, false, false, same) : capi_run(m, seed, false, false, same);
      (void)ref;
      const int64_t off = first_off(changed, same, 0);
      r.latency = off < 0 ? 1e9 : static_cast<double>(off - r.played) / kHumanML3DFps;
      (api == 0 ? over_http : over_capi).push_back(r);
      std::printf("  run %d %-5s played frame %lld at the change; first frame 5 cm off: %lld -> %.2f s\n", k, api == 0 ? "http" : "C API",
                  (long long)r.played, (long long)off, r.latency);
    }
  }
  report("server (paced, default)", over_http);
  report("C API (realtime session)", over_capi);
  mogo_model_free(m);
  server.stop();
  http.join();
  return 0;
}
