// Load test of `mogo serve` over loopback: N concurrent clients keep streaming (each stream
// `stream_seconds` of motion, a new one as soon as one ends) for a fixed wall time, against a
// server in this process with the default model. Reports frames/s delivered, time to the first
// frame of each stream (percentiles), requests refused (503) and failed, and peak memory.
//   usage: bench_serve [clients] [wall seconds] [parallel slots] [queue] [stream seconds] [threads]
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>


#include "common/runtime.hpp"
#include "serve/server.hpp"
#include "serve/sse_client.hpp"

using namespace mogo;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  const int clients = argc > 1 ? std::atoi(argv[1]) : 4;
  const double wall = argc > 2 ? std::atof(argv[2]) : 30;
  serve::ServerOptions o;
  o.parallel = argc > 3 ? std::atoi(argv[3]) : 2;
  o.queue = argc > 4 ? std::atoi(argv[4]) : 4;
  const double stream_seconds = argc > 5 ? std::atof(argv[5]) : 10;
  configure_threads(argc > 6 ? std::atoi(argv[6]) : 1);
  o.port = 0;
  auto gen = Generator::load(default_model_path());
  serve::MotionServer server(gen, o);
  const int port = server.bind();
  std::thread http([&] { server.run(); });

  std::atomic<int64_t> frames{0}, streams{0}, refused{0}, failed{0};
  std::mutex m;
  std::vector<double> first_frame_ms;
  const auto t0 = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
  std::vector<std::thread> pool;
  for (int c = 0; c < clients; ++c)
    pool.emplace_back([&, c] {
      httplib::Client cli("127.0.0.1", port);
      cli.set_read_timeout(120, 0);
      int k = 0;
      while (elapsed() < wall) {
        const auto start = Clock::now();
        bool first = true;
        int64_t got = 0;
        std::string body = "{\"text\": \"a person walks forward\", \"pace\": false, \"seconds\": " + std::to_string(stream_seconds) +
                           ", \"seed\": " + std::to_string(c * 1000 + k++) + "}";
        serve::SseParser sse;
        auto r = serve::post_streaming(cli, "/v1/stream", body, [&](const char* d, size_t n) {
          for (const auto& e : sse.feed(d, n)) {
            if (e.name != "frames") continue;
            if (first) {
              std::lock_guard<std::mutex> lock(m);
              first_frame_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
              first = false;
            }
            got += static_cast<int64_t>(e.data["joints"].size());
          }
          return elapsed() < wall;
        });
        if (r && r->status == 503) {
          ++refused;
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
        } else if (!r && r.error() != httplib::Error::Canceled) {
          ++failed;
        } else {
          ++streams;
        }
        frames += got;
      }
    });
  for (auto& t : pool) t.join();
  const double secs = elapsed();
  const auto steps = server.steps_batched(), decodes = server.decodes_batched();
  server.stop();
  http.join();
  std::sort(first_frame_ms.begin(), first_frame_ms.end());
  auto pct = [&](double p) {
    return first_frame_ms.empty() ? 0.0 : first_frame_ms[std::min(first_frame_ms.size() - 1, static_cast<size_t>(p * first_frame_ms.size()))];
  };
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  std::printf("%d clients, %.0f s, %d slot(s), queue %d, %.0f-s streams, BLAS %s\n", clients, secs, o.parallel, o.queue, stream_seconds,
              blas_in_use().c_str());
  std::printf("frames delivered   %lld (%.0f frames/s = %.1fx real time in total)\n", (long long)frames.load(), frames / secs,
              frames / secs / kHumanML3DFps);
  std::printf("streams            %lld started, %lld refused (503), %lld failed\n", (long long)streams.load(), (long long)refused.load(),
              (long long)failed.load());
  std::printf("first frame        p50 %.0f ms, p90 %.0f ms, p99 %.0f ms (%zu streams)\n", pct(0.5), pct(0.9), pct(0.99), first_frame_ms.size());
  std::printf("peak memory        %.0f MB (server and clients, one process)\n", u.ru_maxrss / 1024.0);
  auto mean = [](const CombinerCounts& c) { return c.passes > 0 ? static_cast<double>(c.rows) / static_cast<double>(c.passes) : 0.0; };
  std::printf("batching           transformer %.1f rows a pass (largest %lld), decoder %.1f streams a pass (largest %lld)\n",
              mean(steps), (long long)steps.largest, mean(decodes), (long long)decodes.largest);
  return 0;
}
