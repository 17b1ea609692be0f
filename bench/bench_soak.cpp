// Soak test of `mogo serve` under mixed good and hostile loopback traffic, for a bounded wall time:
// good clients generate and stream (with live text changes); hostile ones send the requests that
// once ended the server or held it (invalid UTF-8 in paths, wrong methods, bodies that never come,
// absurd lengths, huge headers and URLs, bad JSON, frames that are no body, sub-step lengths,
// random bytes) and keep slowloris connections open. A prober asks /health twice a second.
// Reports /health's worst latency and failures, every request's outcome, and resident memory over
// time (flat = the server keeps nothing per request).
//   usage: bench_soak [wall seconds = 600] [slowloris connections = 32] [threads = 1]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <unistd.h>

#include "common/runtime.hpp"
#include "serve/raw_client.hpp"
#include "serve/server.hpp"
#include "serve/sse_client.hpp"

using namespace mogo;
using Clock = std::chrono::steady_clock;

namespace {

double resident_mb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

// The hostile requests, each a whole request as bytes.
std::vector<std::string> hostile_requests() {
  const std::string h = " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  const std::string json = "Content-Type: application/json\r\n";
  auto post = [&](const std::string& path, const std::string& body) {
    return "POST " + path + h + json + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  std::string zeros = "[";
  for (int j = 0; j < 21; ++j) zeros += std::string(j ? "," : "") + "[0,0,0]";
  zeros += "]";
  return {"GET /%ff" + h + "\r\n", "GET /%c3%28" + h + "\r\n", "GET /vendor/three/%ff" + h + "\r\n", "DELETE /%ff" + h + "\r\n",
          "\xff\xfe /" + h + "\r\n", "PATCH /v1/generate" + h + "\r\n",
          "POST /v1/generate" + h + json + "Content-Length: 1e20\r\n\r\n", "POST /v1/generate" + h + json + "Content-Length: -5\r\n\r\n",
          "POST /v1/generate" + h + json + "Content-Length: 17825792\r\n\r\n{",
          "GET /" + std::string(100000, 'a') + h + "\r\n", "GET /health" + h + "X-Big: " + std::string(65536, 'a') + "\r\n\r\n",
          post("/v1/generate", "{\"text\": \"a \xff walk\"}"), post("/v1/generate", "{not json"),
          post("/v1/stream/%ff/text", "{\"text\": \"\xfe\"}"), post("/v1/stream", "{\"text\": \"walk\", \"seconds\": 0.01}"),
          post("/v1/export", "{\"frames\": [" + zeros + "], \"format\": \"glb\"}"),
          post("/v1/export", "{\"frames\": [[[1e308,0,0]" + zeros.substr(8) + "], \"format\": \"bvh\"}"),
          "POST /v1/generate" + h + "Content-Type: text/plain\r\nContent-Length: 20\r\n\r\n{\"text\": \"a walk\"}  ",
          "GET /v1/model" + h + "Origin: http://evil.example\r\n\r\n"};
}

}  // namespace

int main(int argc, char** argv) {
  const double wall = argc > 1 ? std::atof(argv[1]) : 600;
  const int slowloris = argc > 2 ? std::atoi(argv[2]) : 32;
  configure_threads(argc > 3 ? std::atoi(argv[3]) : 1);
  serve::ServerOptions o;
  o.port = 0;
  o.parallel = 1;
  o.queue = 4;
  auto gen = Generator::load(default_model_path());
  serve::MotionServer server(gen, o);
  const int port = server.bind();
  std::thread http([&] { server.run(); });
  const auto t0 = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
  auto running = [&] { return elapsed() < wall; };

  std::mutex m;
  std::map<int, int64_t> statuses;  // hostile answers by status (0: no answer within 20 s)
  std::atomic<int64_t> good_ok{0}, good_failed{0}, health_ok{0}, health_failed{0}, slow_reopened{0};
  std::vector<double> health_ms;
  std::vector<std::pair<double, double>> memory;  // (s, MB)

  std::vector<std::thread> threads;
  threads.emplace_back([&] {  // good client: generate, then a stream whose text changes
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(120, 0);
    for (int k = 0; running(); ++k) {
      auto g = c.Post("/v1/generate", "{\"text\": \"a person waves\", \"seconds\": 1, \"seed\": " + std::to_string(k) + "}", "application/json");
      (g && (g->status == 200 || g->status == 503) ? good_ok : good_failed)++;
      std::string id;
      serve::SseParser sse;
      auto s = serve::post_streaming(c, "/v1/stream", "{\"text\": \"a person walks forward\", \"seconds\": 2}", [&](const char* d, size_t n) {
        for (const auto& e : sse.feed(d, n))
          if (e.name == "start") {
            id = e.data["id"];
            httplib::Client steer("127.0.0.1", port);
            steer.Post(("/v1/stream/" + id + "/text").c_str(), "{\"text\": \"a person jumps\"}", "application/json");
          }
        return true;
      });
      (s && (s->status == 200 || s->status == 503) ? good_ok : good_failed)++;
    }
  });
  for (int w = 0; w < 2; ++w)
    threads.emplace_back([&, w] {  // hostile clients: known cases in turn, then random bytes
      const auto cases = hostile_requests();
      std::mt19937_64 rng(w);
      for (size_t i = 0; running(); ++i) {
        std::string req = cases[i % cases.size()];
        if (i % (cases.size() + 1) == cases.size()) {  // random bytes, then the end of a header block
          req.assign(1 + rng() % 512, '\0');
          for (auto& ch : req) ch = static_cast<char>(rng());
          req += "\r\n\r\n";
        }
        const int status = serve::status_of(serve::raw_request(port, req, 20));
        std::lock_guard<std::mutex> lock(m);
        ++statuses[status];
      }
    });
  threads.emplace_back([&] {  // slowloris: connections that send one header byte a second
    std::vector<std::unique_ptr<serve::RawConnection>> conns;
    while (running()) {
      conns.erase(std::remove_if(conns.begin(), conns.end(), [](auto& c) { return !c->send("a"); }), conns.end());
      while (static_cast<int>(conns.size()) < slowloris) {
        conns.push_back(std::make_unique<serve::RawConnection>(port));
        conns.back()->send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
        ++slow_reopened;
      }
      std::this_thread::sleep_for(std::chrono::seconds(1));  // the attack's own pace
    }
  });
  threads.emplace_back([&] {  // prober and memory sampler
    while (running()) {
      httplib::Client c("127.0.0.1", port);
      c.set_connection_timeout(5, 0);
      c.set_read_timeout(5, 0);
      const auto start = Clock::now();
      auto h = c.Get("/health");
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      {
        std::lock_guard<std::mutex> lock(m);
        health_ms.push_back(ms);
        memory.emplace_back(elapsed(), resident_mb());
      }
      (h && h->status == 200 ? health_ok : health_failed)++;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the probe's own pace
    }
  });
  for (auto& t : threads) t.join();
  server.stop();
  http.join();

  std::sort(health_ms.begin(), health_ms.end());
  auto pct = [&](double p) { return health_ms.empty() ? 0.0 : health_ms[std::min(health_ms.size() - 1, static_cast<size_t>(p * health_ms.size()))]; };
  std::printf("soak: %.0f s, %d slowloris connections, 2 hostile clients, 1 good client, BLAS %s\n", elapsed(), slowloris, blas_in_use().c_str());
  std::printf("/health            %lld ok, %lld failed; p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", (long long)health_ok.load(),
              (long long)health_failed.load(), pct(0.5), pct(0.99), health_ms.empty() ? 0.0 : health_ms.back());
  std::printf("good requests      %lld answered (200 or 503), %lld failed\n", (long long)good_ok.load(), (long long)good_failed.load());
  std::printf("hostile requests  ");
  int64_t hostile = 0;
  for (auto& [status, n] : statuses) {
    std::printf(" %d: %lld", status, (long long)n);
    hostile += n;
  }
  std::printf(" (%lld in all; 0 = no answer within 20 s)\n", (long long)hostile);
  std::printf("slowloris          %lld connections opened\n", (long long)slow_reopened.load());
  if (!memory.empty()) {
    const auto at = [&](double frac) { return memory[std::min(memory.size() - 1, static_cast<size_t>(frac * memory.size()))].second; };
    double peak = 0;
    for (auto& [s, mb] : memory) peak = std::max(peak, mb);
    std::printf("resident memory    %.0f MB at 10%%, %.0f MB at 50%%, %.0f MB at the end, peak %.0f MB\n", at(0.1), at(0.5), memory.back().second, peak);
  }
  return health_failed.load() == 0 && statuses[0] == 0 ? 0 : 1;
}
