// `mogo train-vq`: train the RVQ-VAE motion tokenizer.
#include <cstdio>

#include "commands.hpp"
#include "common/error.hpp"
#include "vq/train.hpp"

namespace mogo::cli {

void register_train_vq(CLI::App& app, GlobalOptions& g) {
  struct Opts {
    VQTrainOptions o;
    int64_t steps = 0, batch = 0, window = 0, ckpt_every = 0, log_every = 0;
    double lr = 0;
    uint64_t seed = 1234;
  };
  auto p = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("train-vq", "Train the RVQ-VAE on a prepared dataset (checkpoints, --resume, CSV log)");
  cmd->add_option("data", p->o.data_dir, "prepared dataset folder (mogo prepare)")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("out", p->o.out_dir, "output folder: checkpoint.pt, model.pt, train_log.csv")->required();
  cmd->add_option("--preset", p->o.preset, "model + schedule preset: tiny or paper (micro: for tests)")->capture_default_str();
  cmd->add_option("--steps", p->steps, "total optimisation steps (default: preset's)");
  cmd->add_option("--batch", p->batch, "windows per batch (default: preset's)");
  cmd->add_option("--window", p->window, "frames per window, multiple of 4 (default: preset's)");
  cmd->add_option("--lr", p->lr, "peak learning rate (default: preset's)");
  cmd->add_option("--checkpoint-every", p->ckpt_every, "steps between checkpoints (default: preset's)");
  cmd->add_option("--log-every", p->log_every, "steps between log lines (default: preset's)");
  cmd->add_option("--seed", p->seed, "random seed")->capture_default_str();
  cmd->add_option("--stop-after", p->o.stop_after, "stop after this step (checkpointed), to train in chunks");
  cmd->add_flag("--resume", p->o.resume, "continue from out/checkpoint.pt (same optimizer state and data order)");
  cmd->add_flag("-q,--quiet", p->o.quiet, "no progress lines");
  cmd->add_option("--step-delay-ms", p->o.step_delay_ms, "testing: sleep after each step")->group("");
  cmd->callback([&g, p] {
    run_command(g, [&] {
      auto& o = p->o;
      o.device = g.device;
      o.train = VQTrainConfig::preset(o.preset);
      if (p->steps) o.train.steps = p->steps;
      if (p->batch) o.train.batch_size = p->batch;
      if (p->window) o.train.window = p->window;
      if (p->lr) o.train.lr = p->lr;
      if (p->ckpt_every) o.train.checkpoint_every = p->ckpt_every;
      if (p->log_every) o.train.log_every = p->log_every;
      o.train.seed = p->seed;
      if (o.train.window % 4 != 0) throw Error("--window must be a multiple of 4, got " + std::to_string(o.train.window));
      int64_t step = train_vq(o);
      std::printf("train-vq: reached step %lld; checkpoint in %s\n", (long long)step, o.out_dir.c_str());
    });
  });
}

}  // namespace mogo::cli
