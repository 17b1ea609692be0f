// `mogo train-align`: train a model's meaning encoder (prompt alignment) and store it in the model.
#include <cstdio>

#include "commands.hpp"
#include "text/train_meaning.hpp"

namespace mogo::cli {

void register_train_align(CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<MeaningTrainOptions>();
  o->phrases = "data/align/phrases.json";
  auto* cmd = app.add_subcommand("train-align",
                                 "Train the meaning encoder that aligns prompts in people's own words to a model's "
                                 "training captions, and store it in the model file (docs/prompts.md)");
  cmd->add_option("data", o->data_dir, "prepared dataset (its train split's captions)")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--labels", o->labels, "tsv with columns id, content, style (e.g. Bandai's labels.tsv)")
      ->required()->check(CLI::ExistingFile);
  cmd->add_option("--model", o->model, "text-to-motion model file")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", o->out, "model file to write (may be --model: written atomically)")->required();
  cmd->add_option("--phrases", o->phrases, "phrase book of rewordings")->capture_default_str()->check(CLI::ExistingFile);
  cmd->add_option("--rewordings", o->rewordings, "rewordings per known combination")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--epochs", o->epochs, "passes over the examples")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--seed", o->seed, "random seed")->capture_default_str();
  cmd->add_flag("--half", o->half, "store the model's weights as float16");
  cmd->callback([&g, o] {
    run_command(g, [&] {
      const auto r = train_meaning(*o);
      std::printf("train-align: %lld examples, %lld features, %lld known combinations; all attributes right on %.1f%% "
                  "of held-out rewordings, %.1f%% of training captions; written to %s\n",
                  (long long)r.examples, (long long)r.features, (long long)r.combos, 100 * r.held_out_accuracy,
                  100 * r.caption_accuracy, o->out.c_str());
    });
  });
}

}  // namespace mogo::cli
