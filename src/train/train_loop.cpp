#include <csignal>
#include "train/train_loop.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/progress.hpp"
#include "train/distributed.hpp"

namespace mogo {

namespace fs = std::filesystem;

double LRSchedule::at(int64_t step) const {
  if (step < warmup_steps) return lr * (step + 1) / static_cast<double>(warmup_steps);
  double p = static_cast<double>(step - warmup_steps) / std::max<int64_t>(1, steps - warmup_steps);
  // lr * (r + (1 - r) * (1 + cos(pi p)) / 2): from lr at p = 0 down to r * lr at p = 1.
  return lr * (final_ratio + (1.0 - final_ratio) * 0.5 * (1 + std::cos(M_PI * std::min(1.0, p))));
}

TrainLoopOptions loop_options(std::string name, const std::string& out_dir, LRSchedule schedule, int64_t log_every,
                              int64_t checkpoint_every, std::string items_name) {
  TrainLoopOptions o;
  o.name = std::move(name);
  o.log_path = (fs::path(out_dir) / "train_log.csv").string();
  o.checkpoint_path = (fs::path(out_dir) / "checkpoint.pt").string();
  o.schedule = schedule;
  o.log_every = log_every;
  o.checkpoint_every = checkpoint_every;
  o.items_name = std::move(items_name);
  o.root = distributed().is_root();
  o.quiet = !o.root;
  return o;
}

TrainLoop::TrainLoop(TrainLoopOptions o, std::vector<std::string> metric_columns, std::vector<std::string> interval_columns)
    : o_(std::move(o)), metrics_(std::move(metric_columns)), interval_(std::move(interval_columns)) {}

uint64_t TrainLoop::step_seed(uint64_t seed, int64_t step, uint64_t stream) {
  // splitmix64 of (seed, stream, step): well-spread seeds for neighbouring steps.
  uint64_t z = seed * 0x9E3779B97F4A7C15ULL + stream * 0xD1B54A32D192ED03ULL + static_cast<uint64_t>(step) + 1;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return (z ^ (z >> 31)) & 0x7FFFFFFFFFFFFFFFULL;
}

std::string TrainLoop::header() const {
  std::string h = "step,lr";
  for (const auto& m : metrics_) h += "," + m;
  h += "," + o_.items_name + "_per_s";
  for (const auto& c : interval_) h += "," + c;
  return h + "\n";
}

// A resumed run rewrites what the interrupted run logged after its last checkpoint, so the log of
// a resumed run is the log of an uninterrupted one (timing columns aside).
void TrainLoop::open_csv_log(const std::string& path, const std::string& header, int64_t start, bool resumed) {
  if (!resumed || !fs::exists(path)) {
    write_file_atomically(path, header);
    return;
  }
  std::istringstream in(read_file(path));
  std::string line, kept;
  bool first = true;
  while (std::getline(in, line)) {
    if (first || (!line.empty() && std::stoll(line.substr(0, line.find(','))) <= start)) kept += line + "\n";
    first = false;
  }
  write_file_atomically(path, kept);
}

namespace {

std::string format_duration(double seconds) {
  char buf[32];
  int64_t s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
  else std::snprintf(buf, sizeof buf, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
  return buf;
}

// Stops the run when step `step` produced a non-finite loss or gradient.
void require_finite_step(const TrainLoopOptions& o, const StepStats& s, int64_t step, double lr, int64_t last_checkpoint) {
  const double loss = s.values.empty() ? 0.0 : s.values[0];
  if (std::isfinite(loss) && std::isfinite(s.grad_norm)) return;
  char what[160];
  std::snprintf(what, sizeof what, "%s at step %lld (lr %g)", std::isfinite(loss) ? "gradient is not finite" : "loss is not finite",
                (long long)step + 1, lr);
  std::string kept = last_checkpoint > 0 ? "the last good checkpoint (step " + std::to_string(last_checkpoint) + ") is kept in " + o.checkpoint_path
                                         : "no checkpoint was written yet";
  throw Error(o.name + ": " + what + "; training stopped, " + kept + ". Lower --lr, or check the data for NaN");
}

}  // namespace

int64_t TrainLoop::run(int64_t start, bool resumed, const TrainHooks& h) {
  if (o_.root) open_csv_log(o_.log_path, header(), start, resumed);
  if (resumed) log_info(o_.name + ": resuming from step " + std::to_string(start));
  const int64_t total = o_.schedule.steps;
  ProgressBar bar(o_.name, total, !o_.quiet && o_.root);
  std::vector<double> sums(metrics_.size(), 0.0);
  double items = 0;
  int64_t n = 0, step = start, run_steps = 0, last_checkpoint = resumed ? start : 0;
  auto t_interval = std::chrono::steady_clock::now(), t_start = t_interval;
  std::string note;
  while (step < total) {
    double lr = o_.schedule.at(step);
    StepStats s = h.step(step, lr);
    require_finite_step(o_, s, step, lr, last_checkpoint);
    ++step;
    ++run_steps;
    for (size_t i = 0; i < sums.size() && i < s.values.size(); ++i) sums[i] += s.values[i];
    items += s.items;
    ++n;
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    double eta = elapsed / run_steps * (total - step);
    char extra[160];
    std::snprintf(extra, sizeof extra, "%s %.4f  ETA %s %s", metrics_.empty() ? "" : metrics_[0].c_str(),
                  s.values.empty() ? 0.0 : s.values[0], format_duration(eta).c_str(), note.c_str());
    bar.update(step, extra);
    if (o_.root && (step % o_.log_every == 0 || step == total)) {
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_interval).count();
      std::string line = std::to_string(step);
      char buf[64];
      std::snprintf(buf, sizeof buf, ",%.6g", lr);
      line += buf;
      for (double v : sums) {
        std::snprintf(buf, sizeof buf, ",%.6g", v / n);
        line += buf;
      }
      std::snprintf(buf, sizeof buf, ",%.1f", items / std::max(secs, 1e-9));
      line += buf;
      if (h.interval)
        for (double v : h.interval()) {
          std::snprintf(buf, sizeof buf, ",%.6g", v);
          line += buf;
        }
      std::ofstream(o_.log_path, std::ios::app) << line << "\n";
      // Without a terminal the progress bar is silent: one log line per interval instead.
      if (!o_.quiet && !stderr_is_terminal())
        log_info(o_.name + " step " + std::to_string(step) + "/" + std::to_string(total) + "  " + extra);
      std::fill(sums.begin(), sums.end(), 0.0);
      items = 0;
      n = 0;
      t_interval = std::chrono::steady_clock::now();
    }
    bool stop = o_.stop_after > 0 && step >= o_.stop_after;
    if (step % o_.checkpoint_every == 0 || step == total || stop) {
      if (o_.root) {
        h.checkpoint(step);
        if (h.after_checkpoint) note = h.after_checkpoint(step);
      }
      last_checkpoint = step;
    }
    if (stop) break;
    if (o_.kill_after_step > 0 && step == o_.kill_after_step) ::raise(SIGKILL);
    if (o_.step_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(o_.step_delay_ms));
  }
  bar.finish();
  return step;
}

}  // namespace mogo
