// `mogo serve`: the HTTP server and web viewer (src/serve/), stopped gracefully by SIGINT/SIGTERM.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "commands.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/runtime.hpp"
#include "serve/server.hpp"

namespace mogo::cli {

namespace {
std::atomic<bool> g_signalled{false};
void on_signal(int) { g_signalled = true; }

std::string first_line(const std::string& s) {
  auto line = s.substr(0, s.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
  return line;
}
}  // namespace

void register_serve(CLI::App& app, GlobalOptions& g) {
  struct Opts {
    serve::ServerOptions server;
    AlignOptions align;
    std::string model, api_key_file;
    std::vector<std::string> rigs;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("serve", "HTTP server: generate and stream motion (server-sent events), and the web viewer at /");
  cmd->add_option("--host", o->server.host, "address to listen on")->capture_default_str();
  cmd->add_option("--port", o->server.port, "port (0: any free port)")->capture_default_str()->check(CLI::Range(0, 65535));
  cmd->add_option("-m,--model", o->model, kModelFlagHelp);
  cmd->add_option("--parallel", o->server.parallel, "generations at once")->capture_default_str()->check(CLI::Range(1, 64));
  cmd->add_option("--queue", o->server.queue, "requests that may wait for a slot (more: 503)")->capture_default_str()->check(CLI::Range(0, 1024));
  cmd->add_option("--max-seconds", o->server.max_stream_seconds, "longest stream, seconds of motion")->capture_default_str()->check(CLI::Range(1.0, 86400.0));
  cmd->add_option("--timeout", o->server.timeout_seconds, "read/write timeout per connection, seconds")->capture_default_str()->check(CLI::Range(1, 3600));
  cmd->add_option("--max-connections", o->server.max_connections, "connections served at once (more wait in line)")
      ->capture_default_str()->check(CLI::Range(1, 4096));
  cmd->add_option("--api-key", o->server.api_key, "require 'Authorization: Bearer KEY' on every /v1/ request (visible in ps: prefer --api-key-file)");
  cmd->add_option("--api-key-file", o->api_key_file, "read the key from this file (its first line)");
  cmd->add_flag("--no-foot-lock{false}", o->server.foot_lock, "leave feet as the model made them (default: planted feet are locked)");
  cmd->add_flag("--insecure", o->server.insecure, "allow a non-loopback --host without a key (anyone who reaches it can use it)");
  add_align_flags(cmd, o->align);
  cmd->add_option("--web", o->server.web_dir, "web folder to serve (default: the source tree's web/)");
  cmd->add_option("--rig", o->rigs, "a character rig requests may ask for by name in \"rig\": NAME=FILE, or FILE (named by its stem); .bvh, .glb, .gltf (docs/retarget.md)");
  cmd->callback([&g, o] {
    run_command(g, [&] {
      if (!o->api_key_file.empty()) {
        require(o->server.api_key.empty(), "give --api-key or --api-key-file, not both");
        o->server.api_key = first_line(read_file(o->api_key_file));
        require(!o->server.api_key.empty(), o->api_key_file + ": the key file is empty");
      }
      for (const auto& r : o->rigs) {
        const auto eq = r.find('=');
        const std::string name = eq == std::string::npos ? std::filesystem::path(r).stem().string() : r.substr(0, eq);
        require(!o->server.rigs.count(name), "--rig: two rigs are named '" + name + "'");
        o->server.rigs[name] = eq == std::string::npos ? r : r.substr(eq + 1);
      }
      const std::string path = o->model.empty() ? default_model_path() : o->model;
      auto gen = Generator::load(path, pick_device(g.device));
      gen.set_alignment(o->align);
      gen.prepare_alignment();  // not on the first request
      o->server.model_file = path;
      o->server.model_name = std::filesystem::path(path).stem().string();
      serve::MotionServer server(gen, o->server);
      const int port = server.bind();
      std::signal(SIGINT, on_signal);
      std::signal(SIGTERM, on_signal);
      std::thread watcher([&] {
        while (!g_signalled) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        std::fprintf(stderr, "mogo serve: stopping (streams end with a 'done' event)\n");
        server.stop();
      });
      std::printf("mogo serve: http://%s:%d/ (model %s, %d slot(s), queue %d)\n", o->server.host.c_str(), port, path.c_str(),
                  o->server.parallel, o->server.queue);
      std::fflush(stdout);
      server.run();
      g_signalled = true;
      watcher.join();
      std::printf("mogo serve: stopped\n");
    });
  });
}

}  // namespace mogo::cli
