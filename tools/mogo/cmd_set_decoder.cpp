// `mogo set-decoder`: install a decoder trained on a model's codes (train-vq --decoder-from).
#include <cstdio>

#include "commands.hpp"
#include "common/atomic_file.hpp"
#include "model/replace_decoder.hpp"

namespace mogo::cli {

void register_set_decoder(CLI::App& app, GlobalOptions& g) {
  struct Opts {
    std::string model, vq, out;
    bool half = false, transition = false;
  };
  auto p = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("set-decoder",
                                 "Put a decoder trained on a model's codes (train-vq --decoder-from) into the model; the generator is kept");
  cmd->add_option("model", p->model, "text-to-motion model file")->required()->check(CLI::ExistingFile);
  cmd->add_option("vq", p->vq, "RVQ-VAE model file from train-vq --decoder-from")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", p->out, "model file to write (may be the input: written atomically)")->required();
  cmd->add_flag("--half", p->half, "store weights as float16");
  cmd->add_flag("--transition", p->transition,
                "install it as the transition decoder instead (trained with train-vq --transition-share): streams decode the "
                "steps around each text change with it");
  cmd->callback([&g, p] {
    run_command(g, [&] {
      auto m = load_t2m_model(p->model);
      if (p->transition) {
        install_transition_decoder(m, load_vq_checkpoint(p->vq), p->vq);
        save_t2m_model(p->out, m, nullptr, p->half);
        std::printf("set-decoder: %s decodes text changes in streams with %s (a %lld-frame fade); written to %s\n", p->model.c_str(),
                    p->vq.c_str(), (long long)m.transition_frames, p->out.c_str());
        return;
      }
      replace_decoder(m, load_vq_checkpoint(p->vq), p->vq);
      save_t2m_model(p->out, m, nullptr, p->half);
      std::printf("set-decoder: %s now decodes with %s (look-ahead %lld latent steps); written to %s\n", p->model.c_str(),
                  p->vq.c_str(), (long long)m.vq_config.decoder_lookahead, p->out.c_str());
    });
  });
}

}  // namespace mogo::cli
