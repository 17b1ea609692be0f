// `mogo serve`: an HTTP server over the streaming engine (cpp-httplib).
//   GET  /health, GET /v1/model
//   POST /v1/generate          the whole motion (json | bvh | npy | glb)
//   POST /v1/stream            server-sent events: start, frames (as soon as final), done
//   POST /v1/stream/{id}/text  change the text of a running stream from its next step
//   POST /v1/export            frames a client holds -> bvh | glb | json (the same exporters)
//   POST /v1/rigs              add a skinned GLB rig by name (requests then ask for it in "rig")
//   GET  /                     the web viewer (web/public, three.js from web/node_modules/three)
// Generation runs in at most `parallel` slots; up to `queue` more requests wait; beyond that 503
// with Retry-After. Before a body is read, src/serve/gate.hpp refuses wrong methods, cross-site
// requests, a missing key, bodies that are not JSON or too long. docs/server.md has every request
// and response.
#pragma once
#include <map>
#include <memory>
#include <string>

#include "common/combiner.hpp"
#include "engine/generator.hpp"

namespace mogo::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                 // 0: any free port (see MotionServer::port)
  std::string web_dir;             // the web folder (public/ and node_modules/three/); "" = the source tree's
  std::string model_name = "t2m-tiny";
  std::string model_file;          // for the model card's size
  // Generations at once. Running streams' steps share one pass of the transformer (continuous
  // batching, engine/step_batcher), so slots beyond the cores still add throughput.
  int parallel = 8;
  int queue = 8;                   // requests waiting for a slot; more -> 503
  double max_stream_seconds = 600; // an endless stream ends after this much motion
  size_t max_body_bytes = 16 << 20;
  int timeout_seconds = 30;        // read/write timeout per connection (slow clients)
  int max_connections = 256;       // connections served at once (a thread each); more wait in line
  std::string api_key;             // "" = none; else every /v1/ request needs "Authorization: Bearer <key>"
  bool insecure = false;           // allow a non-loopback host without an api_key
  bool foot_lock = true;           // motions' joints get contact-aware foot locking
  std::map<std::string, std::string> rigs;  // name -> rig file (.bvh, .glb, .gltf): requests name one in "rig"
  int max_uploaded_rigs = 16;      // rigs POST /v1/rigs may add (the viewer's dropped GLBs)
};

class MotionServer {
 public:
  MotionServer(Generator& generator, ServerOptions options);
  ~MotionServer();
  // Binds the socket; returns the port (the chosen one when options.port is 0). Error when taken.
  int bind();
  // Serves until stop(); returns after every connection has ended.
  void run();
  // Graceful: running streams end with a "done" event, then the listener stops. Thread-safe and
  // async-signal-safe enough to call from a watcher thread.
  void stop();
  int port() const;
  int busy() const;  // generations running or waiting
  // Continuous batching so far: transformer passes and the rows they carried; decoder passes and
  // the streams' pushes they carried.
  CombinerCounts steps_batched() const;
  CombinerCounts decodes_batched() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mogo::serve
