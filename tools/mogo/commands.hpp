// Subcommand registration for the mogo CLI. Each command lives in its own cmd_*.cpp file and
// registers itself through register_all.
#pragma once
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "export/motion_writer.hpp"

namespace mogo::cli {

struct GlobalOptions {
  int threads = 0;  // 0 = all cores
  bool verbose = false;
  std::string device = "auto";
};

// Applies the global options (threads, verbosity), then runs `body`; turns any exception into
// one clear line on stderr and exit code 1.
void run_command(const GlobalOptions& g, const std::function<void()>& body);

// Flags every trainer has; 0 keeps the preset's value.
struct TrainFlags {
  int64_t steps = 0, batch = 0, checkpoint_every = 0, log_every = 0;
  double lr = 0;
  uint64_t seed = 1234;
};
struct TrainControl {
  int64_t* stop_after;
  bool* resume;
  bool* quiet;
  int64_t* step_delay_ms;
};
void add_train_flags(CLI::App* cmd, TrainFlags& f, const TrainControl& c, const std::string& batch_unit);

// Overrides a training config's (VQTrainConfig, T2MTrainConfig) preset values with the flags given.
template <class TrainConfig>
void apply_train_flags(const TrainFlags& f, TrainConfig& t) {
  if (f.steps) t.steps = f.steps;
  if (f.batch) t.batch_size = f.batch;
  if (f.lr) t.lr = f.lr;
  if (f.checkpoint_every) t.checkpoint_every = f.checkpoint_every;
  if (f.log_every) t.log_every = f.log_every;
  t.seed = f.seed;
}

// --position-channels and --rotation-order, for every command that writes motion files.
void add_export_flags(CLI::App* cmd, ExportOptions& o);

void register_info(CLI::App& app, GlobalOptions& g);
void register_features(CLI::App& app, GlobalOptions& g);
void register_bvh(CLI::App& app, GlobalOptions& g);
void register_prepare(CLI::App& app, GlobalOptions& g);
void register_train_vq(CLI::App& app, GlobalOptions& g);
void register_eval_vq(CLI::App& app, GlobalOptions& g);
void register_eval(CLI::App& app, GlobalOptions& g);
void register_train_t2m(CLI::App& app, GlobalOptions& g);
void register_generate(CLI::App& app, GlobalOptions& g);
void register_eval_stream(CLI::App& app, GlobalOptions& g);
void register_serve(CLI::App& app, GlobalOptions& g);

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
  register_eval_stream(app, g);
  register_serve(app, g);
}

}  // namespace mogo::cli
