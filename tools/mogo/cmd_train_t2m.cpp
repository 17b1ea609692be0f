// `mogo train-t2m`: train the hierarchical causal transformer on RVQ-VAE tokens.
#include <cstdio>

#include "commands.hpp"
#include "common/error.hpp"
#include "train/distributed.hpp"
#include "model/train_t2m.hpp"

namespace mogo::cli {

void register_train_t2m(CLI::App& app, GlobalOptions& g) {
  struct Opts {
    T2MTrainOptions o;
    TrainFlags flags;
    std::optional<int64_t> warmup;
    std::optional<double> paraphrase, join_share;
    std::optional<int64_t> join_context;
  };
  auto p = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("train-t2m", "Train the text-to-motion transformer (checkpoints, --resume, CSV logs)");
  cmd->add_option("data", p->o.data_dir, "prepared dataset folder (mogo prepare)")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("out", p->o.out_dir, "output folder: checkpoint.pt, model.pt, train_log.csv, val_log.csv")->required();
  cmd->add_option("--vq", p->o.vq_path, "RVQ-VAE model file (mogo train-vq)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--preset", p->o.preset, "model + schedule preset: tiny or paper (micro: for tests)")->capture_default_str();
  add_train_flags(cmd, p->flags, p->o, "sequences");
  cmd->add_option("--warmup", p->warmup, "warm-up steps (default: preset's)");
  cmd->add_option("--paraphrase", p->paraphrase,
                  "probability that a training caption is paraphrased (synonyms, subjects, word order, fillers; "
                  "default: 0; docs/prompts.md)");
  cmd->add_option("--join-share", p->join_share,
                  "joined sequences (one clip's tail cross-faded into another clip under its caption: text changes) as a share "
                  "of the training sequences (default: preset's; tiny 0.25)");
  cmd->add_option("--join-context", p->join_context, "most steps of the first clip kept in view in a joined sequence (default 4)");
  cmd->add_flag("--half", p->o.half, "store the final model.pt with float16 weights");
  cmd->callback([&g, p, cmd] {
    run_command(g, [&] {
      auto& o = p->o;
      o.device = g.device;
      o.train = T2MTrainConfig::preset(o.preset);
      o.request = apply_train_flags(p->flags, o.train, cmd, o.preset);
      apply_flag(p->warmup, o.train.warmup_steps, "warmup_steps", o.request);
      apply_flag(p->paraphrase, o.train.paraphrase, "paraphrase", o.request);
      apply_flag(p->join_share, o.train.join_share, "join_share", o.request);
      apply_flag(p->join_context, o.train.join_context, "join_context", o.request);
      int64_t step = train_t2m(o);
      if (distributed().is_root()) std::printf("train-t2m: reached step %lld; checkpoint in %s\n", (long long)step, o.out_dir.c_str());
    });
  });
}

}  // namespace mogo::cli
