// The flags the trainers share: every run's (add_run_flags) and the plan's (add_train_flags).
#include "commands.hpp"

namespace mogo::cli {

void add_run_flags(CLI::App* cmd, RunOptions& o) {
  cmd->add_option("--stop-after", o.stop_after, "stop after this step (checkpointed), to train in chunks")->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  cmd->add_flag("--resume", o.resume, "continue from out/checkpoint.pt (same optimizer state and data order)");
  cmd->add_flag("-q,--quiet", o.quiet, "no progress lines");
  cmd->add_option("--step-delay-ms", o.step_delay_ms, "testing: sleep after each step")->group("");
  cmd->add_option("--kill-after-step", o.kill_after_step, "testing: SIGKILL itself once this step is done")->group("");
}

void add_train_flags(CLI::App* cmd, TrainFlags& f, RunOptions& o, const std::string& batch_unit) {
  cmd->add_option("--steps", f.steps, "total optimisation steps (default: preset's)");
  cmd->add_option("--batch", f.batch, batch_unit + " per batch (default: preset's)");
  cmd->add_option("--lr", f.lr, "peak learning rate (default: preset's)");
  cmd->add_option("--checkpoint-every", f.checkpoint_every, "steps between checkpoints (default: preset's)");
  cmd->add_option("--log-every", f.log_every, "steps between log lines (default: preset's)");
  cmd->add_option("--seed", f.seed, "random seed (default: 1234)")->check(seed_check());
  add_run_flags(cmd, o);
}

}  // namespace mogo::cli
