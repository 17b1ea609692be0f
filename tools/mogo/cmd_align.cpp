// `mogo align`: what prompt alignment makes of texts, without generating (one line, or JSON, each).
#include <cstdio>

#include "commands.hpp"
#include "common/runtime.hpp"
#include "engine/generator.hpp"
#include "engine/prompt_split.hpp"

namespace mogo::cli {

void register_align(CLI::App& app, GlobalOptions& g) {
  struct Opts {
    std::vector<std::string> texts;
    std::string model;
    AlignOptions align;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("align", "Show how prompts are aligned to the model's training captions (no generation)");
  cmd->add_option("texts", o->texts, "prompts; several actions (\"walk, then bow\") are split as generate splits them")->required();
  cmd->add_option("-m,--model", o->model, kModelFlagHelp);
  cmd->add_flag("--json", o->json, "one JSON object per action instead of a line");
  add_align_flags(cmd, o->align);
  cmd->callback([&g, o] {
    run_command(g, [&] {
      auto gen = Generator::load(o->model.empty() ? default_model_path() : o->model, pick_device(g.device));
      gen.set_alignment(o->align);
      for (const auto& text : o->texts)
        for (const auto& action : actions_to_play(gen, text)) {
          std::vector<AlignedPrompt> a;
          gen.condition({action}, &a);
          std::printf("%s\n", o->json ? a[0].to_json().dump().c_str() : a[0].summary().c_str());
        }
    });
  });
}

}  // namespace mogo::cli
