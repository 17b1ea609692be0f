// `mogo serve`: the HTTP server and web viewer (src/serve/), stopped gracefully by SIGINT/SIGTERM.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "commands.hpp"
#include "common/runtime.hpp"
#include "serve/server.hpp"

namespace mogo::cli {

namespace {
std::atomic<bool> g_signalled{false};
void on_signal(int) { g_signalled = true; }
}  // namespace

void register_serve(CLI::App& app, GlobalOptions& g) {
  struct Opts {
    serve::ServerOptions server;
    AlignOptions align;
    std::string model;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("serve", "HTTP server: generate and stream motion (server-sent events), and the web viewer at /");
  cmd->add_option("--host", o->server.host, "address to listen on")->capture_default_str();
  cmd->add_option("--port", o->server.port, "port (0: any free port)")->capture_default_str()->check(CLI::Range(0, 65535));
  cmd->add_option("-m,--model", o->model, "model file (default: $MOGO_MODEL or models/t2m-tiny.pt)");
  cmd->add_option("--parallel", o->server.parallel, "generations at once")->capture_default_str()->check(CLI::Range(1, 64));
  cmd->add_option("--queue", o->server.queue, "requests that may wait for a slot (more: 503)")->capture_default_str()->check(CLI::Range(0, 1024));
  cmd->add_option("--max-seconds", o->server.max_stream_seconds, "longest stream, seconds of motion")->capture_default_str()->check(CLI::Range(1.0, 86400.0));
  cmd->add_option("--timeout", o->server.timeout_seconds, "read/write timeout per connection, seconds")->capture_default_str()->check(CLI::Range(1, 3600));
  add_align_flags(cmd, o->align);
  cmd->add_option("--web", o->server.web_dir, "web folder to serve (default: the source tree's web/)");
  cmd->callback([&g, o] {
    run_command(g, [&] {
      const std::string path = o->model.empty() ? default_model_path() : o->model;
      auto gen = Generator::load(path, pick_device(g.device));
      gen.set_alignment(o->align);
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
