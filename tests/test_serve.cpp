// `mogo serve` in-process on a free port with the shipped model: every endpoint, every 4xx path,
// SSE framing, text changes, cancel on disconnect, a full queue -> 503, concurrent clients,
// static files without path traversal, graceful stop.
#include <set>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include <httplib.h>

#include "common/atomic_file.hpp"
#include "export/gltf.hpp"
#include "motion/bvh.hpp"
#include "motion/npy.hpp"
#include "serve/raw_client.hpp"
#include "serve/server.hpp"
#include "serve/sse_client.hpp"
#include "shipped_model.hpp"
#include "test_util.hpp"
#include "wait.hpp"

using namespace mogo;
using nlohmann::json;

namespace {


// A server running on a background thread for the life of the object.
struct RunningServer {
  explicit RunningServer(serve::ServerOptions o = {}) {
    o.port = 0;
    o.model_file = test::source_dir() + "/models/t2m-tiny.pt";
    server = std::make_unique<serve::MotionServer>(test::shipped_generator(), o);
    port = server->bind();
    thread = std::thread([this] { server->run(); });
  }
  ~RunningServer() {
    server->stop();
    thread.join();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(60, 0);
    return c;
  }
  std::unique_ptr<serve::MotionServer> server;
  int port = 0;
  std::thread thread;
};

// Parses a whole SSE body into events, requiring every byte to belong to a complete event.
std::vector<serve::SseEvent> parse_sse(const std::string& body) {
  serve::SseParser p;
  auto events = p.feed(body.data(), body.size());
  EXPECT_TRUE(p.empty()) << "unterminated event at the end";
  return events;
}

httplib::Result post(httplib::Client& c, const std::string& path, const json& body) {
  return c.Post(path.c_str(), body.dump(), "application/json");
}

using serve::RawConnection;
using serve::status_of;

std::string body_of(const std::string& answer) {
  const auto at = answer.find("\r\n\r\n");
  return at == std::string::npos ? "" : answer.substr(at + 4);
}

// (raw_request: the answer must come within 20 s; a server that waits for a body that will never
// come fails.)
using serve::raw_request;

}  // namespace

TEST(Serve, HealthModelCardAndGenerateInEveryFormat) {
  RunningServer s;
  auto c = s.client();
  auto h = c.Get("/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(json::parse(h->body)["status"], "ok");
  auto m = json::parse(c.Get("/v1/model")->body);
  EXPECT_EQ(m["fps"], 20.0);
  EXPECT_EQ(m["skeleton"]["joints"].size(), 21u);
  EXPECT_GT(m["parameters"]["transformer"].get<int64_t>(), 1000000);
  EXPECT_NE(m["licence"].get<std::string>().find("CC BY-NC"), std::string::npos);

  auto r = post(c, "/v1/generate", {{"text", "a person waves"}, {"seconds", 2}, {"seed", 3}});
  ASSERT_EQ(r->status, 200) << r->body;
  auto motion = json::parse(r->body);
  EXPECT_EQ(motion["frames"].size(), 40u);
  EXPECT_EQ(motion["frames"][0].size(), 21u);
  auto again = json::parse(post(c, "/v1/generate", {{"text", "a person waves"}, {"seconds", 2}, {"seed", 3}})->body);
  EXPECT_EQ(again["frames"], motion["frames"]);  // same seed, same motion
  // The aligned prompt comes back: in the body, and as a header for every format.
  auto aligned = post(c, "/v1/generate", {{"text", "an individual strolls"}, {"seconds", 1}});
  ASSERT_EQ(aligned->status, 200) << aligned->body;
  const auto alignment = json::parse(aligned->body)["alignment"];
  EXPECT_EQ(alignment["meaning"]["action"], "walk") << alignment;
  EXPECT_NE(alignment["text"].get<std::string>().find("walk"), std::string::npos) << alignment;
  EXPECT_EQ(aligned->get_header_value("X-Mogo-Aligned-Text"), alignment["text"]);

  auto b = post(c, "/v1/generate", {{"text", "a person waves"}, {"seconds", 2}, {"format", "bvh"}});
  ASSERT_EQ(b->status, 200);
  EXPECT_EQ(bvh::parse(b->body, "response").frames, 40);
  auto n = post(c, "/v1/generate", {{"text", "a person waves"}, {"seconds", 1}, {"format", "npy"}});
  EXPECT_EQ(npy::parse(n->body, "response").sizes(), torch::IntArrayRef({20, 21, 3}));
  auto g = post(c, "/v1/generate", {{"text", "a person waves"}, {"seconds", 1}, {"format", "glb"}});
  EXPECT_EQ(g->body.substr(0, 4), "glTF");
  EXPECT_EQ(g->get_header_value("Content-Type"), "model/gltf-binary");
  // Export of frames a client holds, through the same writers.
  auto e = post(c, "/v1/export", {{"frames", motion["frames"]}, {"format", "bvh"}});
  ASSERT_EQ(e->status, 200) << e->body;
  EXPECT_EQ(bvh::parse(e->body, "export").frames, 40);
}

TEST(Serve, EveryBadRequestIsA4xxNamingTheField) {
  RunningServer s;
  auto c = s.client();
  auto expect_400 = [&](const std::string& path, const std::string& body, const std::string& field) {
    auto r = c.Post(path.c_str(), body, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << body << " -> " << r->body;
    auto j = json::parse(r->body);
    EXPECT_EQ(j["field"], field) << body << " -> " << r->body;
    EXPECT_FALSE(j["error"].get<std::string>().empty());
  };
  expect_400("/v1/generate", "{not json", "body");
  expect_400("/v1/generate", "[1,2]", "body");
  expect_400("/v1/generate", R"({"seconds": 2})", "text");
  expect_400("/v1/generate", R"({"text": "   "})", "text");
  expect_400("/v1/generate", R"({"text": 5})", "text");
  expect_400("/v1/generate", R"({"text": "walk", "seconds": "two"})", "seconds");
  expect_400("/v1/generate", R"({"text": "walk", "seconds": 500})", "seconds");
  expect_400("/v1/generate", R"({"text": "walk", "seconds": 0})", "seconds");
  expect_400("/v1/generate", R"({"text": "walk", "seed": -1})", "seed");
  expect_400("/v1/generate", R"({"text": "walk", "seed": 1.5})", "seed");
  expect_400("/v1/generate", R"({"text": "walk", "temperature": -0.1})", "temperature");
  expect_400("/v1/generate", R"({"text": "walk", "guidance": 1e9})", "guidance");
  expect_400("/v1/generate", R"({"text": "walk", "top_k": -2})", "top_k");
  expect_400("/v1/generate", R"({"text": "walk", "format": "fbx"})", "format");
  expect_400("/v1/generate", R"({"text": "walk", "colour": "red"})", "colour");
  expect_400("/v1/generate", json{{"text", std::string(5000, 'a')}}.dump(), "text");
  expect_400("/v1/stream", R"({"text": "walk", "format": "bvh"})", "format");
  expect_400("/v1/stream", R"({"text": "walk", "seconds": -1})", "seconds");
  expect_400("/v1/stream", R"({"text": "walk", "pace": "yes"})", "pace");
  expect_400("/v1/stream", R"({"text": "walk", "lead": -0.1})", "lead");
  expect_400("/v1/stream", R"({"text": "walk", "lead": 1e9})", "lead");
  expect_400("/v1/generate", R"({"text": "walk", "pace": false})", "pace");
  expect_400("/v1/export", R"({"frames": [[[0,0,0]]]})", "frames");
  expect_400("/v1/export", R"({"frames": []})", "frames");
  auto unknown = post(c, "/v1/stream/0123abcd/text", {{"text", "a person jumps"}});
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(json::parse(unknown->body)["field"], "id");
  EXPECT_EQ(c.Get("/v1/nothing")->status, 404);
  EXPECT_EQ(c.Get("/../CMakeLists.txt")->status, 404);
  EXPECT_EQ(c.Get("/vendor/three/../../../CMakeLists.txt")->status, 404);
  EXPECT_EQ(c.Get("/%2e%2e/CMakeLists.txt")->status, 404);
  // The page and three.js come from the server itself.
  auto page = c.Get("/");
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("importmap"), std::string::npos);
  EXPECT_EQ(c.Get("/vendor/three/build/three.module.js")->status, 200);
}

TEST(Serve, BodiesOverTheLimitAre413) {
  serve::ServerOptions o;
  o.max_body_bytes = 1024;
  RunningServer s(o);
  auto c = s.client();
  auto r = post(c, "/v1/generate", {{"text", std::string(4000, 'a')}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
}

TEST(Serve, StreamSendsFramedEventsAndFollowsATextChange) {
  RunningServer s;
  auto c = s.client();
  std::atomic<bool> changed{false};
  auto r = c.Post("/v1/stream", json{{"text", "a person walks forward"}, {"seconds", 8}, {"seed", 2}, {"pace", false}}.dump(),
                  "application/json");
  // (The whole body arrives once the stream is done; text changes are tested live below.)
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/event-stream");
  auto events = parse_sse(r->body);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.front().name, "start");
  EXPECT_EQ(events.front().data["joints"].size(), 21u);
  EXPECT_EQ(events[1].name, "aligned");
  EXPECT_EQ(events[1].data["text"], "a person walks forward");
  EXPECT_EQ(events.back().name, "done");
  EXPECT_EQ(events.back().data["frames"], 160);
  int64_t next = 0;
  for (size_t i = 2; i + 1 < events.size(); ++i) {
    ASSERT_EQ(events[i].name, "frames");
    EXPECT_EQ(events[i].data["t0"].get<int64_t>(), next);  // in order, no gaps
    next += static_cast<int64_t>(events[i].data["joints"].size());
  }
  EXPECT_EQ(next, 160);

  // Live: read the stream as it comes and change its text after the first frames.
  httplib::Client live("127.0.0.1", s.port);
  live.set_read_timeout(60, 0);  // a busy machine may take seconds to the first frame
  std::string stream_id;
  std::vector<std::string> texts;
  int64_t frames = 0;
  serve::SseParser sse;
  serve::post_streaming(live, "/v1/stream", json{{"text", "a person walks forward"}, {"seconds", 10}, {"pace", false}}.dump(),
            [&](const char* data, size_t n) {
              for (const auto& e : sse.feed(data, n)) {
                const auto& name = e.name;
                const auto& d = e.data;
                if (name == "start") stream_id = d["id"];
                if (name == "frames") {
                  texts.push_back(d["text"]);
                  frames += static_cast<int64_t>(d["joints"].size());
                  if (!changed && frames >= 8) {
                    changed = true;
                    auto t = post(c, "/v1/stream/" + stream_id + "/text", {{"text", "a person sits down"}});
                    EXPECT_EQ(t->status, 200) << t->body;
                  }
                }
              }
              return true;
            });
  EXPECT_EQ(frames, 200);
  ASSERT_FALSE(texts.empty());
  EXPECT_EQ(texts.front(), "a person walks forward");
  EXPECT_EQ(texts.back(), "a person sits down");
}

TEST(Serve, APromptWithSeveralActionsPlaysThemInTurn) {
  RunningServer s;
  auto c = s.client();
  // 6 s shared by two actions: the second takes over at 3 s = step 15, with its own aligned event.
  auto r = post(c, "/v1/stream", {{"text", "a person walks forward, then waves the right hand"}, {"seconds", 6}, {"seed", 3}, {"pace", false}});
  ASSERT_EQ(r->status, 200) << r->body;
  std::vector<json> aligned;
  std::set<std::string> frame_texts;
  for (const auto& e : parse_sse(r->body)) {
    if (e.name == "aligned") aligned.push_back(e.data);
    if (e.name == "frames") frame_texts.insert(e.data["text"].get<std::string>());
  }
  ASSERT_EQ(aligned.size(), 2u);
  EXPECT_EQ(aligned[0]["text"], "a person walks forward");
  EXPECT_EQ(aligned[1]["text"], "a person waves the right hand");
  EXPECT_EQ(aligned[1]["from_step"], 15);
  EXPECT_EQ(frame_texts, (std::set<std::string>{"a person walks forward", "a person waves the right hand"}));
  // The same prompt as one motion: both actions, 6 s.
  auto g = post(c, "/v1/generate", {{"text", "a person walks forward, then waves the right hand"}, {"seconds", 6}, {"seed", 3}});
  ASSERT_EQ(g->status, 200) << g->body;
  EXPECT_EQ(json::parse(g->body)["frames"].size(), 120u);
}

TEST(Serve, APacedStreamStaysWithinItsLeadOfTheClientsPlayback) {
  // Default: paced. The client plays from the first frame it receives; frames received never
  // reach further past its playback position than the lead plus one step.
  RunningServer s;
  auto c = s.client();  // a generous read timeout: a busy machine may take seconds to the first frame
  const double lead = 0.3, step = 4 / kHumanML3DFps;
  double first = -1, worst = -1e9, last = 0;
  int64_t frames = 0;
  serve::SseParser sse;
  auto now = [] { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); };
  serve::post_streaming(c, "/v1/stream", json{{"text", "a person walks forward"}, {"seconds", 3}, {"lead", lead}}.dump(),
                        [&](const char* data, size_t n) {
                          for (const auto& e : sse.feed(data, n)) {
                            if (e.name != "frames") continue;
                            const double t = now();
                            if (first < 0) first = t;
                            frames += static_cast<int64_t>(e.data["joints"].size());
                            worst = std::max(worst, static_cast<double>(frames) / kHumanML3DFps - (t - first));
                            last = t;
                          }
                          return true;
                        });
  ASSERT_EQ(frames, 60);
  // (Slack of a step and 0.1 s: the first event may reach a busy client late, which makes the
  // later ones look early. An unpaced stream would be up to 3 s ahead.)
  EXPECT_LE(worst, lead + 2 * step + 0.1);
  // It was paced: 3 s of motion took at least 3 s minus the lead and a step to arrive.
  EXPECT_GE(last - first, 3.0 - lead - 2 * step);
}

TEST(Serve, DisconnectCancelsAndAFullQueueIs503) {
  serve::ServerOptions o;
  o.parallel = 1;
  o.queue = 0;
  RunningServer s(o);
  std::atomic<int> chunks{0};
  std::thread endless([&] {
    httplib::Client c("127.0.0.1", s.port);
    c.set_read_timeout(60, 0);
    // seconds 0: until the client leaves; this client leaves after a few frame events.
    serve::post_streaming(c, "/v1/stream", json{{"text", "a person walks in a circle"}, {"seconds", 0}}.dump(),
                          [&](const char*, size_t) { return ++chunks < 6; });
  });
  ASSERT_TRUE(test::wait_until([&] { return chunks >= 2; }, 300)) << "the endless stream sent no frames within 300 s";
  auto c = s.client();
  auto busy = post(c, "/v1/generate", {{"text", "a person jumps"}, {"seconds", 1}});
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->status, 503);
  EXPECT_FALSE(busy->get_header_value("Retry-After").empty());
  endless.join();
  // The endless stream stops as soon as its client is gone: the slot comes back.
  EXPECT_TRUE(test::wait_until([&] { return s.server->busy() == 0; }, 60)) << "the slot did not come back within 60 s";
  EXPECT_EQ(post(c, "/v1/generate", {{"text", "a person jumps"}, {"seconds", 1}})->status, 200);
}

TEST(Serve, ConcurrentClientsGetTheirOwnMotions) {
  serve::ServerOptions o;
  o.parallel = 2;
  RunningServer s(o);
  std::vector<json> got(4);
  std::vector<std::thread> clients;
  const std::vector<std::string> texts = {"a person waves", "a person jumps", "a person waves", "a person sits down"};
  for (size_t i = 0; i < texts.size(); ++i)
    clients.emplace_back([&, i] {
      httplib::Client c("127.0.0.1", s.port);
      c.set_read_timeout(60, 0);
      auto r = c.Post("/v1/generate", json{{"text", texts[i]}, {"seconds", 2}, {"seed", i == 2 ? 0 : 0}}.dump(), "application/json");
      if (r && r->status == 200) got[i] = json::parse(r->body);
    });
  for (auto& t : clients) t.join();
  for (auto& g : got) ASSERT_EQ(g["frames"].size(), 40u);
  EXPECT_EQ(got[0]["frames"], got[2]["frames"]);  // same text and seed: same motion, whatever ran beside it
  EXPECT_NE(got[0]["frames"], got[1]["frames"]);
  EXPECT_NE(got[1]["frames"], got[3]["frames"]);
}

TEST(Serve, StopEndsRunningStreamsWithADoneEvent) {
  auto s = std::make_unique<RunningServer>();
  std::mutex m;  // body is written by the client thread, read here
  std::string body;
  auto received = [&] {
    std::lock_guard<std::mutex> lock(m);
    return body;
  };
  std::thread client([&] {
    httplib::Client c("127.0.0.1", s->port);
    c.set_read_timeout(60, 0);  // a busy machine may take seconds to the first frame
    serve::post_streaming(c, "/v1/stream", json{{"text", "a person walks"}, {"seconds", 0}}.dump(), [&](const char* d, size_t n) {
             std::lock_guard<std::mutex> lock(m);
             body.append(d, n);
             return true;
           });
  });
  const bool streaming = test::wait_until([&] { return received().find("event: frames") != std::string::npos; }, 300);
  s->server->stop();
  client.join();
  ASSERT_TRUE(streaming) << "no frames within 300 s";
  body = received();
  EXPECT_NE(body.find("event: done"), std::string::npos);
  EXPECT_NE(body.find("\"reason\":\"shutdown\""), std::string::npos);
}

TEST(Serve, HostileRequestsGetAnAnswerAndNeverEndTheServer) {
  RunningServer s;
  // Invalid UTF-8 in the path or method: the 404/405 body used to throw in the JSON writer, and
  // the exception ended the process (abort, every stream lost).
  const std::vector<std::pair<std::string, int>> cases = {
      {"GET /%ff HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404},
      {"GET /%c3%28 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404},
      {"GET /vendor/three/%ff HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404},
      {"GET /\xff\xfe HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404},
      {"POST /v1/stream/%ff/text HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", 404},
      {"DELETE /%ff HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 405},
      // No body, or a length that is not a number: answered at once, not after the read timeout.
      {"PATCH /v1/generate HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 405},
      {"POST /v1/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1e20\r\n\r\n", 400},
      {"POST /v1/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: -5\r\n\r\n", 400},
      {"POST /v1/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\r\n", 411},
      {"GET /v1/generate HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 405},
  };
  for (const auto& [request, status] : cases) {
    const auto answer = raw_request(s.port, request);
    EXPECT_EQ(status_of(answer), status) << request << " -> " << answer;
    const auto body = json::parse(body_of(answer), nullptr, false);
    EXPECT_TRUE(body.is_object() && body.contains("error")) << request << " -> " << answer;
  }
  // A request line that is not HTTP at all.
  EXPECT_EQ(status_of(raw_request(s.port, "\xff\xfe / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")), 400);
  // Wrong methods name the allowed ones.
  const auto a = raw_request(s.port, "DELETE /v1/generate HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_NE(a.find("Allow: POST"), std::string::npos) << a;
  auto c = s.client();
  auto h = c.Get("/health");
  ASSERT_TRUE(h) << "the server is gone";
  EXPECT_EQ(h->status, 200);
}

TEST(Serve, InvalidUtf8AndOversizedRequestsGet4xxWithTheirOwnTexts) {
  RunningServer s;
  auto c = s.client();
  auto expect = [&](const httplib::Result& r, int status, const std::string& needle) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status) << r->body;
    EXPECT_NE(r->body.find(needle), std::string::npos) << r->body;
    EXPECT_EQ(r->body.find("no such endpoint"), std::string::npos) << r->body;
  };
  // Invalid UTF-8 inside the text, a field name, the format and a steering text.
  expect(c.Post("/v1/generate", "{\"text\": \"a \xff walk\"}", "application/json"), 400, "UTF-8");
  expect(c.Post("/v1/generate", "{\"te\xc3\x28xt\": \"walk\"}", "application/json"), 400, "UTF-8");
  expect(c.Post("/v1/generate", "{\"text\": \"walk\", \"format\": \"\xff\"}", "application/json"), 400, "UTF-8");
  expect(c.Post("/v1/stream/0123abcd/text", "{\"text\": \"\xfe\"}", "application/json"), 400, "UTF-8");
  // Bodies over the limit, URLs and headers too long: their own statuses and texts.
  // (Answered from the headers, before any of the body is read: a client that sends the whole body
  // first may find the connection closed under it, as with other servers.)
  const auto big_body = raw_request(s.port, "POST /v1/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                            "Content-Length: 17825792\r\n\r\n{");
  EXPECT_EQ(status_of(big_body), 413) << big_body;
  EXPECT_NE(big_body.find("16777216 bytes"), std::string::npos) << big_body;
  expect(c.Get(("/" + std::string(100000, 'a')).c_str()), 414, "URL is longer");
  httplib::Headers big = {{"X-Big", std::string(65536, 'a')}};
  expect(c.Get("/health", big), 400, "header");
  // Not JSON: 415 at any size (a form body used to be refused as 413 above 8 KB).
  expect(c.Post("/v1/generate", std::string(9000, 'a'), "text/plain"), 415, "application/json");
  expect(c.Post("/v1/generate", "text=walk", "application/x-www-form-urlencoded"), 415, "application/json");
  // Streams: a length under one step is refused (0.01 s used to mean "no limit").
  auto tiny = post(c, "/v1/stream", {{"text", "a person walks"}, {"seconds", 0.01}});
  ASSERT_TRUE(tiny);
  EXPECT_EQ(tiny->status, 400);
  EXPECT_EQ(json::parse(tiny->body)["field"], "seconds");
  // Seeds past 32 bits are refused, not cut.
  auto seed = post(c, "/v1/generate", {{"text", "a person walks"}, {"seed", 4294967296LL}});
  EXPECT_EQ(seed->status, 400);
  EXPECT_EQ(json::parse(seed->body)["field"], "seed");
}

TEST(Serve, ExportOfFramesThatAreNoBodyIs400NamingFramesWithoutInternals) {
  RunningServer s;
  auto c = s.client();
  const json zeros = json::array({json::array()});
  json frame = json::array();
  for (int j = 0; j < 21; ++j) frame.push_back({0, 0, 0});
  json huge = frame;
  huge[0] = {1e308, 0, 0};
  for (const auto& [frames, format] : {std::pair<json, std::string>{json::array({frame}), "glb"}, {json::array({frame}), "bvh"},
                                       {json::array({huge}), "bvh"}, {json::array({huge}), "glb"}}) {
    auto r = post(c, "/v1/export", {{"frames", frames}, {"format", format}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << format << ": " << r->body;
    EXPECT_EQ(json::parse(r->body)["field"], "frames") << r->body;
    EXPECT_EQ(r->body.find(".so"), std::string::npos) << r->body;  // no stack trace, no library paths
    EXPECT_EQ(r->body.find("0x"), std::string::npos) << r->body;
  }
}

TEST(Serve, SlowClientsDoNotStarveOthers) {
  RunningServer s;  // parallel 8 + queue 8 + 4: twenty workers before the pool grows
  // Twenty-four connections (more than the workers the pool starts with) that send the start of a
  // request and then nothing more (a slowloris client sends one byte a second; these send none,
  // which holds a worker just as long).
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 24; ++i) {
    slow.push_back(std::make_unique<RawConnection>(s.port));
    ASSERT_TRUE(slow.back()->connected);
    slow.back()->send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
  }
  httplib::Client c("127.0.0.1", s.port);
  c.set_connection_timeout(10, 0);
  c.set_read_timeout(10, 0);  // the slow clients hold their workers for 30 s (the read timeout)
  auto h = c.Get("/health");
  ASSERT_TRUE(h) << "/health did not answer within 10 s beside 24 slow clients";
  EXPECT_EQ(h->status, 200);
}

TEST(Serve, AccessControlKeyOriginHostAndNonLoopbackHosts) {
  serve::ServerOptions o;
  o.api_key = "s3cret-key";
  RunningServer s(o);
  auto c = s.client();
  auto no_key = c.Get("/v1/model");
  ASSERT_TRUE(no_key);
  EXPECT_EQ(no_key->status, 401);
  EXPECT_EQ(no_key->get_header_value("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(c.Get("/v1/model", {{"Authorization", "Bearer wrong-key!"}})->status, 401);
  EXPECT_EQ(c.Get("/v1/model", {{"Authorization", "Bearer s3cret-key"}})->status, 200);
  EXPECT_EQ(c.Get("/health")->status, 200);  // monitoring and the viewer's page need no key
  EXPECT_EQ(c.Get("/")->status, 200);
  auto keyed = c.Post("/v1/generate", {{"Authorization", "Bearer s3cret-key"}}, json{{"text", "a person waves"}, {"seconds", 1}}.dump(),
                      "application/json");
  EXPECT_EQ(keyed->status, 200) << keyed->body;

  // Without a key: cross-site requests and foreign Host names (DNS rebinding) are refused.
  RunningServer open;
  auto d = open.client();
  const std::string self = "http://127.0.0.1:" + std::to_string(open.port);
  EXPECT_EQ(d.Get("/v1/model", {{"Origin", "http://evil.example"}})->status, 403);
  EXPECT_EQ(d.Get("/v1/model", {{"Origin", self}})->status, 200);  // the viewer itself
  EXPECT_EQ(d.Get("/v1/model", {{"Host", "evil.example"}})->status, 403);
  EXPECT_EQ(d.Get("/v1/model", {{"Host", "localhost:1234"}})->status, 200);
  // A page elsewhere can send text/plain without asking the browser first: refused.
  EXPECT_EQ(d.Post("/v1/generate", "{\"text\": \"a person waves\"}", "text/plain")->status, 415);

  // A host other machines can reach needs a key, or --insecure said out loud.
  serve::ServerOptions wide;
  wide.host = "0.0.0.0";
  wide.port = 0;
  EXPECT_NE(test::error_message([&] { serve::MotionServer(test::shipped_generator(), wide); }).find("--api-key"), std::string::npos);
  wide.insecure = true;
  EXPECT_EQ(test::error_message([&] { serve::MotionServer(test::shipped_generator(), wide); }), "no error");
}

namespace {
std::string base64(const std::string& bytes) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int k = 3; k >= 0; --k) out += a[(v >> (6 * k)) & 63];
  }
  if (i < bytes.size()) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (i + 1 < bytes.size() ? uint8_t(bytes[i + 1]) << 8 : 0);
    out += a[(v >> 18) & 63];
    out += a[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? a[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}
}  // namespace

TEST(Serve, RigsByNameAndUploadedGlbs) {
  serve::ServerOptions o;
  o.rigs["cmu"] = test::shared_dir() + "/data/cmu-sample/131_03.bvh";
  RunningServer s(o);
  auto c = s.client();
  EXPECT_EQ(json::parse(c.Get("/v1/model")->body)["rigs"], json::array({"cmu"}));
  auto b = post(c, "/v1/generate", {{"text", "a person walks forward"}, {"seconds", 2}, {"rig", "cmu"}, {"format", "bvh"}});
  ASSERT_EQ(b->status, 200) << b->body;
  EXPECT_EQ(bvh::parse(b->body, "reply").joints.size(), 31u);
  auto mismatch = post(c, "/v1/generate", {{"text", "a person walks"}, {"rig", "cmu"}, {"format", "glb"}});
  EXPECT_EQ(mismatch->status, 400);
  EXPECT_EQ(json::parse(mismatch->body)["field"], "format");
  auto unknown = post(c, "/v1/generate", {{"text", "a person walks"}, {"rig", "nope"}});
  EXPECT_EQ(unknown->status, 400);
  EXPECT_NE(json::parse(unknown->body)["error"].get<std::string>().find("unknown rig 'nope'"), std::string::npos);
  // A stream on the rig: its joints, with each frame's rotations and root.
  auto r = post(c, "/v1/stream", {{"text", "a person walks forward"}, {"seconds", 1}, {"pace", false}, {"rig", "cmu"}});
  ASSERT_EQ(r->status, 200) << r->body;
  auto events = parse_sse(r->body);
  EXPECT_EQ(events.front().data["joints"].size(), 31u);
  EXPECT_EQ(events.front().data["rig"], "cmu");
  ASSERT_EQ(events[2].name, "frames");
  EXPECT_EQ(events[2].data["rotations"][0].size(), 31u);
  EXPECT_EQ(events[2].data["root"][0].size(), 3u);
  // An uploaded GLB (the viewer's dropped character), then asked for by name.
  test::TempDir dir("mogo-serve-rig");
  const auto joints = test::shipped_generator().joints(test::shipped_generator().generate({"a person walks"}, {})[0].features);
  save_gltf(dir / "figure.glb", joints.narrow(0, 0, 2), test::shipped_generator().skeleton());
  const auto glb = read_file(dir / "figure.glb");
  auto up = post(c, "/v1/rigs", {{"name", "figure"}, {"glb", base64(glb)}});
  ASSERT_EQ(up->status, 200) << up->body;
  EXPECT_EQ(json::parse(up->body)["joints"].size(), 21u);
  auto g = post(c, "/v1/generate", {{"text", "a person walks forward"}, {"seconds", 1}, {"rig", "figure"}, {"format", "glb"}});
  ASSERT_EQ(g->status, 200) << g->body;
  EXPECT_EQ(g->body.substr(0, 4), "glTF");
  EXPECT_EQ(post(c, "/v1/rigs", {{"name", "figure"}, {"glb", base64(glb)}})->status, 400);  // taken
  auto bad = post(c, "/v1/rigs", {{"name", "x"}, {"glb", "not base64!"}});
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(json::parse(bad->body)["field"], "glb");
  auto junk = post(c, "/v1/rigs", {{"name", "y"}, {"glb", base64("glTF but not really a file")}});
  EXPECT_EQ(junk->status, 400);
  EXPECT_EQ(json::parse(junk->body)["field"], "glb");
}
