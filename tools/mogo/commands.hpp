// Subcommand registration for the mogo CLI. Each command lives in its own cmd_*.cpp file and
// registers itself through register_all.
#pragma once
#include <functional>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "common/runtime.hpp"
#include "engine/prompt_align.hpp"
#include "export/motion_writer.hpp"
#include "train/run.hpp"

namespace mogo::cli {

struct GlobalOptions {
  int threads = 0;  // 0 = all cores
  bool verbose = false;
  std::string device = "auto";
};

// Applies the global options (threads, verbosity), then runs `body`; turns any exception into
// one clear line on stderr and exit code 1. A message that does not name `subject` (the command's
// input file, when it has one) is prefixed with it.
void run_command(const GlobalOptions& g, const std::function<void()>& body, const std::string& subject = "");

// The running command's stage clock (started by run_command: its first stage is "threads");
// commands mark their stages, and -v prints the summary (docs/benchmarks.md, the main command).
StageClock& command_clock();
// A command's work is done and its files are closed (each written atomically): flushes stdout and
// stderr and ends the process at once, without tearing down models and LibTorch's static state
// (~0.1 s of the main command's wall time, docs/benchmarks.md).
[[noreturn]] void exit_done();

// The one line that reports a command-line error; an unknown command is named as such.
std::string parse_error_line(const CLI::App& app, int argc, char** argv, const CLI::ParseError& e);

// Flags every trainer has; unset keeps the preset's value (or, on --resume, the checkpoint's).
struct TrainFlags {
  std::optional<int64_t> steps, batch, checkpoint_every, log_every;
  std::optional<double> lr;
  std::optional<uint64_t> seed;
};
// --stop-after, --resume, --quiet (and the testing flags) of every trainer.
void add_run_flags(CLI::App* cmd, RunOptions& o);
// The plan's flags and the run's.
void add_train_flags(CLI::App* cmd, TrainFlags& f, RunOptions& o, const std::string& batch_unit);

// Sets `field` from `flag` when given, and records it in the plan request (what --resume checks).
template <class T, class Field>
void apply_flag(const std::optional<T>& flag, Field& field, const char* key, PlanRequest& r) {
  if (!flag) return;
  field = *flag;
  r.given[key] = *flag;
}

// Overrides a training config's (VQTrainConfig, T2MTrainConfig) preset values with the flags given;
// returns what was given. `preset` is part of the plan when given explicitly.
template <class TrainConfig>
PlanRequest apply_train_flags(const TrainFlags& f, TrainConfig& t, const CLI::App* cmd, const std::string& preset) {
  PlanRequest r;
  apply_flag(f.steps, t.steps, "steps", r);
  apply_flag(f.batch, t.batch_size, "batch_size", r);
  apply_flag(f.lr, t.lr, "lr", r);
  apply_flag(f.checkpoint_every, t.checkpoint_every, "checkpoint_every", r);
  apply_flag(f.log_every, t.log_every, "log_every", r);
  apply_flag(f.seed, t.seed, "seed", r);
  if (cmd->count("--preset")) r.given["preset"] = preset;
  return r;
}

// --seed: a decimal integer in [0, 4294967295] (SamplingParams: the generators take 32 bits). CLI11
// would read -1 as 2^64-1, and 1e23 as a double; both used to become 4294967295 without a word.
CLI::Validator seed_check();
// The help of every command's model flag (the default is default_model_path()'s).
constexpr const char* kModelFlagHelp = "model file (default: $MOGO_MODEL or models/t2m-tiny.pt)";

// --no-align, --align-cmd, --align-timeout: prompt alignment, for every command that generates.
void add_align_flags(CLI::App* cmd, AlignOptions& o);

// --position-channels and --rotation-order, for every command that writes motion files.
void add_export_flags(CLI::App* cmd, ExportOptions& o);

void register_info(CLI::App& app, GlobalOptions& g);
void register_features(CLI::App& app, GlobalOptions& g);
void register_bvh(CLI::App& app, GlobalOptions& g);
void register_prepare(CLI::App& app, GlobalOptions& g);
void register_train_vq(CLI::App& app, GlobalOptions& g);
void register_eval_vq(CLI::App& app, GlobalOptions& g);
void register_set_decoder(CLI::App& app, GlobalOptions& g);
void register_eval(CLI::App& app, GlobalOptions& g);
void register_train_t2m(CLI::App& app, GlobalOptions& g);
void register_train_align(CLI::App& app, GlobalOptions& g);
void register_generate(CLI::App& app, GlobalOptions& g);
void register_align(CLI::App& app, GlobalOptions& g);
void register_eval_stream(CLI::App& app, GlobalOptions& g);
void register_serve(CLI::App& app, GlobalOptions& g);
void register_launch(CLI::App& app, GlobalOptions& g);

inline void register_all(CLI::App& app, GlobalOptions& g) {
  register_info(app, g);
  register_features(app, g);
  register_bvh(app, g);
  register_prepare(app, g);
  register_train_vq(app, g);
  register_eval_vq(app, g);
  register_set_decoder(app, g);
  register_eval(app, g);
  register_train_t2m(app, g);
  register_train_align(app, g);
  register_generate(app, g);
  register_align(app, g);
  register_eval_stream(app, g);
  register_serve(app, g);
  register_launch(app, g);
}

}  // namespace mogo::cli
