// `mogo train-t2m`: train the hierarchical causal transformer on RVQ-VAE tokens.
#include <cstdio>

#include "commands.hpp"
#include "common/error.hpp"
#include "transformer/train.hpp"

namespace mogo::cli {

void register_train_t2m(CLI::App& app, GlobalOptions& g) {
  struct Opts {
    T2MTrainOptions o;
    int64_t steps = 0, batch = 0, ckpt_every = 0, log_every = 0, warmup = 0;
    double lr = 0;
    uint64_t seed = 1234;
  };
  auto p = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("train-t2m", "Train the text-to-motion transformer (checkpoints, --resume, CSV logs)");
  cmd->add_option("data", p->o.data_dir, "prepared dataset folder (mogo prepare)")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("out", p->o.out_dir, "output folder: checkpoint.pt, model.pt, train_log.csv, val_log.csv")->required();
  cmd->add_option("--vq", p->o.vq_path, "RVQ-VAE model file (mogo train-vq)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--preset", p->o.preset, "model + schedule preset: tiny or paper (micro: for tests)")->capture_default_str();
  cmd->add_option("--steps", p->steps, "total optimisation steps (default: preset's)");
  cmd->add_option("--batch", p->batch, "sequences per batch (default: preset's)");
  cmd->add_option("--lr", p->lr, "peak learning rate (default: preset's)");
  cmd->add_option("--warmup", p->warmup, "warm-up steps (default: preset's)");
  cmd->add_option("--checkpoint-every", p->ckpt_every, "steps between checkpoints + validation (default: preset's)");
  cmd->add_option("--log-every", p->log_every, "steps between log lines (default: preset's)");
  cmd->add_option("--seed", p->seed, "random seed")->capture_default_str();
  cmd->add_option("--stop-after", p->o.stop_after, "stop after this step (checkpointed), to train in chunks");
  cmd->add_flag("--resume", p->o.resume, "continue from out/checkpoint.pt (same optimizer state and data order)");
  cmd->add_flag("--half", p->o.half, "store the final model.pt with float16 weights");
  cmd->add_flag("-q,--quiet", p->o.quiet, "no progress lines");
  cmd->add_option("--step-delay-ms", p->o.step_delay_ms, "testing: sleep after each step")->group("");
  cmd->callback([&g, p] {
    run_command(g, [&] {
      auto& o = p->o;
      o.device = g.device;
      o.train = T2MTrainConfig::preset(o.preset);
      if (p->steps) o.train.steps = p->steps;
      if (p->batch) o.train.batch_size = p->batch;
      if (p->lr) o.train.lr = p->lr;
      if (p->warmup) o.train.warmup_steps = p->warmup;
      if (p->ckpt_every) o.train.checkpoint_every = p->ckpt_every;
      if (p->log_every) o.train.log_every = p->log_every;
      o.train.seed = p->seed;
      int64_t step = train_t2m(o);
      std::printf("train-t2m: reached step %lld; checkpoint in %s\n", (long long)step, o.out_dir.c_str());
    });
  });
}

}  // namespace mogo::cli
