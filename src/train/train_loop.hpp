// The training loop every trainer shares (RVQ-VAE, evaluator, text-to-motion): learning-rate
// schedule, per-step determinism, progress line with ETA, CSV log, atomic checkpoints and a
// resume that ends exactly where an uninterrupted run ends.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mogo {

// Linear warm-up to lr over warmup_steps, then cosine decay to lr * final_ratio at `steps`.
struct LRSchedule {
  int64_t steps = 1000;
  int64_t warmup_steps = 100;
  double lr = 1e-4;
  double final_ratio = 0.1;

  double at(int64_t step) const;
};

struct TrainLoopOptions {
  std::string name;               // "train-vq", shown in progress lines
  std::string log_path;           // CSV log
  std::string checkpoint_path;    // named when a run stops on a non-finite loss
  LRSchedule schedule;
  int64_t log_every = 50;
  int64_t checkpoint_every = 500;
  int64_t stop_after = 0;         // > 0: checkpoint and stop once this step is reached
  bool quiet = false;
  int64_t step_delay_ms = 0;      // testing: sleep after each step (to interrupt a run mid-way)
  int64_t kill_after_step = 0;    // testing: > 0: SIGKILL this process once that step is done (a crash at a known step)
  std::string items_name = "items";  // what a step processes ("frames", "tokens") for the rate column
  bool root = true;               // data-parallel training: only rank 0 logs, checkpoints and validates
};

// Options of a trainer that logs to <out_dir>/train_log.csv (stop_after, quiet, delay: defaults).
TrainLoopOptions loop_options(std::string name, const std::string& out_dir, LRSchedule schedule, int64_t log_every,
                              int64_t checkpoint_every, std::string items_name);

struct StepStats {
  std::vector<double> values;  // one per metric column, averaged over the log interval
  double items = 0;            // frames / tokens processed, for the throughput column
  double grad_norm = 0;        // global gradient norm: a non-finite one stops the run
};

struct TrainHooks {
  // One optimisation step at `step` (0-based) with learning rate `lr`. A step whose loss
  // (values[0]) or grad_norm is not finite must leave the weights alone (step_if_finite): the loop
  // then stops with an Error, and the last checkpoint stays the last good state.
  std::function<StepStats(int64_t step, double lr)> step;
  // Columns computed once per log interval (e.g. codes unused in it); may be empty.
  std::function<std::vector<double>()> interval;
  // Writes the training checkpoint for the state after `step` steps (atomically).
  std::function<void(int64_t steps_done)> checkpoint;
  // Optional: after each checkpoint (e.g. validation); returns a note for the progress line.
  std::function<std::string(int64_t steps_done)> after_checkpoint;
};

class TrainLoop {
 public:
  // Log columns: step, lr, metric_columns..., <items>_per_s, interval_columns...
  TrainLoop(TrainLoopOptions o, std::vector<std::string> metric_columns, std::vector<std::string> interval_columns = {});

  // Runs steps [start, schedule.steps) (or up to stop_after). A fresh run (resumed = false) starts
  // a new log; a resumed one drops the log lines after `start` (written after the checkpoint it
  // resumes from). Everything random in a step must derive from the step number (step_seed).
  // Returns the number of steps done.
  int64_t run(int64_t start, bool resumed, const TrainHooks& hooks);

  // Starts a CSV log at `path` with `header` (fresh run), or keeps its lines up to step `start`
  // (resumed run: what was logged after the checkpoint is written again).
  static void open_csv_log(const std::string& path, const std::string& header, int64_t start, bool resumed);

  // A seed for step `step` of a run seeded with `seed`, for torch and std generators alike.
  static uint64_t step_seed(uint64_t seed, int64_t step, uint64_t stream = 0);

 private:
  std::string header() const;

  TrainLoopOptions o_;
  std::vector<std::string> metrics_, interval_;
};

}  // namespace mogo
