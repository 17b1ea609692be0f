// `mogo train-vq`: train the RVQ-VAE motion tokenizer.
#include <cstdio>

#include "commands.hpp"
#include "common/error.hpp"
#include "train/distributed.hpp"
#include "vq/train.hpp"

namespace mogo::cli {

void register_train_vq(CLI::App& app, GlobalOptions& g) {
  struct Opts {
    VQTrainOptions o;
    TrainFlags flags;
    std::optional<int64_t> window;
    std::optional<double> root_weight, foot_weight, jerk_weight;
    std::optional<int64_t> decoder_lookahead, transition_frames;
    std::optional<double> transition_share;
    std::optional<std::string> transition_target;
  };
  auto p = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("train-vq", "Train the RVQ-VAE on a prepared dataset (checkpoints, --resume, CSV log)");
  cmd->add_option("data", p->o.data_dir, "prepared dataset folder (mogo prepare)")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("out", p->o.out_dir, "output folder: checkpoint.pt, model.pt, train_log.csv")->required();
  cmd->add_option("--preset", p->o.preset, "model + schedule preset: tiny or paper (micro: for tests)")->capture_default_str();
  add_train_flags(cmd, p->flags, p->o, "windows");
  cmd->add_option("--window", p->window, "frames per window, multiple of 4 (default: preset's)");
  cmd->add_flag("--mosa", p->o.mosa, "MoSA-VQ: a learnable scale per quantiser layer (MOGO)");
  cmd->add_option("--root-weight", p->root_weight, "weight of the L1 loss on the root trajectory integrated over each window, metres (default 0)")
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--foot-weight", p->foot_weight,
                  "weight of the foot-contact loss: speed (m/s) of feet whose contact label is on, in the reconstruction (default 0)")
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--jerk-weight", p->jerk_weight,
                  "weight of the jerk loss: L1 between the third differences of reconstructed and input joint positions, metres "
                  "per frame^3 (default 0)")
      ->check(CLI::Range(0.0, 1000.0));
  cmd->add_option("--decoder-lookahead", p->decoder_lookahead,
                  "latent steps a decoded frame may read ahead: 1 (default; streams decode incrementally, 0.2 s), 0 (causal), "
                  "-1 (centred, as T2M-GPT)")
      ->check(CLI::Range(-1, 1));
  cmd->add_option("--transition-share", p->transition_share,
                  "share of each batch that changes text part-way: the codes of the generator's joins (a linear fade), a smooth "
                  "fade as the target, so that a live text change decodes without a burst of jerk (default 0)")
      ->check(CLI::Range(0.0, 0.99));
  cmd->add_option("--transition-frames", p->transition_frames,
                  "frames of the smooth fade asked for at a change, centred on the joins' fade (default 16)");
  cmd->add_option("--transition-target", p->transition_target,
                  "what is asked for at a change: fade (A cross-faded into B) or offset (B plus a Hermite offset from A that is "
                  "gone after the fade: B keeps its own detail) (default fade)");
  cmd->add_option("--decoder-from", p->o.decoder_from,
                  "train only a new decoder on this trained tokenizer's codes (its encoder and codebooks kept, so generators trained "
                  "on its tokens still work)")
      ->check(CLI::ExistingFile);
  cmd->callback([&g, p, cmd] {
    run_command(g, [&] {
      auto& o = p->o;
      o.device = g.device;
      o.train = VQTrainConfig::preset(o.preset);
      o.request = apply_train_flags(p->flags, o.train, cmd, o.preset);
      apply_flag(p->window, o.train.window, "window", o.request);
      apply_flag(p->root_weight, o.root_weight, "root_weight", o.request);
      apply_flag(p->foot_weight, o.foot_weight, "foot_weight", o.request);
      apply_flag(p->jerk_weight, o.jerk_weight, "jerk_weight", o.request);
      apply_flag(p->decoder_lookahead, o.decoder_lookahead, "decoder_lookahead", o.request);
      apply_flag(p->transition_share, o.train.transition_share, "transition_share", o.request);
      apply_flag(p->transition_frames, o.train.transition_frames, "transition_frames", o.request);
      apply_flag(p->transition_target, o.train.transition_target, "transition_target", o.request);
      if (cmd->count("--mosa")) o.request.given["mosa"] = o.mosa;
      if (!o.decoder_from.empty()) o.request.given["decoder_only"] = true;
      int64_t step = train_vq(o);
      if (distributed().is_root()) std::printf("train-vq: reached step %lld; checkpoint in %s\n", (long long)step, o.out_dir.c_str());
    });
  });
}

}  // namespace mogo::cli
