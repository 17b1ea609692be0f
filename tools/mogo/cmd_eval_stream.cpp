// `mogo eval-stream`: how smoothly streaming joins motion (prompt changes, continuations) and
// how well the motion after a prompt change matches the new text, on a test split.
#include <cstdio>
#include <filesystem>

#include "commands.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/runtime.hpp"
#include "eval/foot_report.hpp"
#include "eval/stream_eval.hpp"

namespace mogo::cli {

void register_eval_stream(CLI::App& app, GlobalOptions& g) {
  struct Opts {
    std::string evaluator, data, model, json, split = "test";
    SeamOptions seams;
    ProtocolOptions p;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("eval-stream", "Seams of streaming (prompt changes, continuations) and R-precision after a prompt change");
  cmd->add_option("evaluator", o->evaluator, "evaluator.pt (mogo train-eval)")->required()->check(CLI::ExistingFile);
  cmd->add_option("data", o->data, "prepared dataset folder")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--split", o->split, "split to evaluate on")->capture_default_str();
  cmd->add_option("--model", o->model, kModelFlagHelp);
  cmd->add_option("--lead", o->seams.lead_seconds, "seconds under the first text before the prompt change")->capture_default_str();
  cmd->add_option("--continue-at", o->seams.continue_at, "seconds of each real clip given to continue")->capture_default_str();
  cmd->add_option("--switch-context", o->seams.switch_context, "steps of the old action kept in view at a prompt change (-1: all)")->capture_default_str();
  cmd->add_option("--gen-seed", o->seams.sampling.seed, "sampling seed")->capture_default_str();
  cmd->add_option("--repeats", o->p.repeats, "protocol repetitions for the confidence intervals")->capture_default_str()->check(CLI::Range(1, 1000));
  cmd->add_option("--batch", o->p.batch, "R-precision batch size")->capture_default_str()->check(CLI::Range(2, 1024));
  cmd->add_option("--json", o->json, "also write the results as JSON here");
  cmd->callback([&g, o] {
    run_command(g, [&] {
      auto device = pick_device(g.device);
      auto bundle = load_evaluator(o->evaluator, device);
      MotionDataset test(o->data, o->split);
      require_fits(bundle, test);  // before any motion is generated
      auto gen = Generator::load(o->model.empty() ? default_model_path() : o->model, device);
      auto report = measure_seams(gen, test, o->seams);
      report.score_windows(bundle, device);
      std::vector<ProtocolRow> rows{run_protocol(bundle, test, &report.scratch, o->p, device),
                                    run_protocol(bundle, test, &report.switched, o->p, device)};
      std::printf("%lld prompt changes after %.1f s, %lld continuations of real clips at %.1f s\n%s\n%s", (long long)report.pairs,
                  o->seams.lead_seconds, (long long)report.continuations, o->seams.continue_at, report.table().c_str(),
                  protocol_table(rows, o->p.batch).c_str());
      // Feet (docs/feet.md): the real clips, and the motions generated from scratch and after a prompt change.
      std::vector<FootRow> feet{real_foot_row(test, gen.skeleton()), generated_foot_row(report.scratch, gen.skeleton()),
                                generated_foot_row(report.switched, gen.skeleton())};
      std::printf("\n%s", foot_table(feet).c_str());
      if (!o->json.empty())
        write_file_atomically(o->json, nlohmann::json{{"seams", report.to_json()}, {"protocol", protocol_json(rows, o->p)}, {"feet", foot_json(feet)}}
                                               .dump(2) + "\n");
    });
  });
}

}  // namespace mogo::cli
