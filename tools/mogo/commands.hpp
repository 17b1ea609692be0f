// Subcommand registration for the mogo CLI. Each command lives in its own cmd_*.cpp file and
// registers itself through register_all.
#pragma once
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace mogo::cli {

struct GlobalOptions {
  int threads = 0;  // 0 = all cores
  bool verbose = false;
  std::string device = "auto";
};

// Applies the global options (threads, verbosity), then runs `body`; turns any exception into
// one clear line on stderr and exit code 1.
void run_command(const GlobalOptions& g, const std::function<void()>& body);

void register_info(CLI::App& app, GlobalOptions& g);
void register_features(CLI::App& app, GlobalOptions& g);
void register_bvh(CLI::App& app, GlobalOptions& g);
void register_prepare(CLI::App& app, GlobalOptions& g);
void register_train_vq(CLI::App& app, GlobalOptions& g);
void register_eval_vq(CLI::App& app, GlobalOptions& g);
void register_eval(CLI::App& app, GlobalOptions& g);
void register_train_t2m(CLI::App& app, GlobalOptions& g);
void register_generate(CLI::App& app, GlobalOptions& g);

// The model `generate` and `eval --model` use by default: $MOGO_MODEL, else models/t2m-tiny.pt.
std::string default_model_path();

inline void register_all(CLI::App& app, GlobalOptions& g) {
  register_info(app, g);
  register_features(app, g);
  register_bvh(app, g);
  register_prepare(app, g);
  register_train_vq(app, g);
  register_eval_vq(app, g);
  register_eval(app, g);
  register_train_t2m(app, g);
  register_generate(app, g);
}

}  // namespace mogo::cli
