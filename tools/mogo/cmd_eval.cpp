// `mogo train-eval` (train the evaluator) and `mogo eval` (the field's metrics).
#include <cstdio>

#include "commands.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/runtime.hpp"
#include "data/split.hpp"
#include "eval/protocol.hpp"
#include "eval/train_evaluator.hpp"

namespace mogo::cli {

void register_eval(CLI::App& app, GlobalOptions& g) {
  auto t = std::make_shared<EvaluatorTrainOptions>();
  auto* tr = app.add_subcommand("train-eval", "Train the text/motion evaluator contrastively on the training split");
  tr->add_option("data", t->data_dir, "prepared dataset folder")->required()->check(CLI::ExistingDirectory);
  tr->add_option("out", t->out_dir, "output folder: evaluator.pt, checkpoint.pt, train_log.csv")->required();
  tr->add_option("--steps", t->steps, "optimisation steps")->capture_default_str();
  tr->add_option("--batch", t->batch_size, "clips per batch (distinct captions)")->capture_default_str();
  tr->add_option("--lr", t->lr, "peak learning rate")->capture_default_str();
  tr->add_option("--dim", t->dim, "encoder width and embedding size")->capture_default_str();
  tr->add_option("--vocab", t->vocab_size, "SentencePiece vocabulary size (at most)")->capture_default_str();
  tr->add_option("--checkpoint-every", t->checkpoint_every, "steps between checkpoints")->capture_default_str();
  tr->add_option("--log-every", t->log_every, "steps between log lines")->capture_default_str();
  tr->add_option("--seed", t->seed, "random seed")->capture_default_str();
  tr->add_flag("--resume", t->resume, "continue from out/checkpoint.pt");
  tr->add_flag("-q,--quiet", t->quiet, "no progress lines");
  tr->callback([&g, t] {
    run_command(g, [&] {
      t->device = g.device;
      auto steps = train_evaluator(*t);
      std::printf("train-eval: reached step %lld; evaluator in %s/evaluator.pt\n", (long long)steps, t->out_dir.c_str());
    });
  });

  struct Opts {
    std::string evaluator, data, split = "test", json;
    std::vector<std::string> generated;  // dir or name=dir
    ProtocolOptions p;
    bool no_real = false;
  };
  auto o = std::make_shared<Opts>();
  auto* ev = app.add_subcommand("eval", "FID, R-precision, MM-Dist, Diversity, MultiModality with 95% confidence intervals");
  ev->add_option("evaluator", o->evaluator, "evaluator.pt (mogo train-eval)")->required()->check(CLI::ExistingFile);
  ev->add_option("data", o->data, "prepared dataset folder (its test split is the reference)")->required()->check(CLI::ExistingDirectory);
  ev->add_option("--generated", o->generated, "folder of generated motions <id>.npy (+ <id>_mm<k>.npy); NAME=DIR names the row");
  ev->add_option("--split", o->split, "split to evaluate on")->capture_default_str();
  ev->add_option("--repeats", o->p.repeats, "repetitions for the confidence intervals")->capture_default_str();
  ev->add_option("--batch", o->p.batch, "R-precision batch size")->capture_default_str();
  ev->add_option("--seed", o->p.seed, "random seed")->capture_default_str();
  ev->add_option("--json", o->json, "also write the results as JSON here");
  ev->add_flag("--no-real", o->no_real, "skip the Real motion row");
  ev->callback([&g, o] {
    run_command(g, [&] {
      auto device = pick_device(g.device);
      auto bundle = load_evaluator(o->evaluator, device);
      MotionDataset test(o->data, o->split);
      require(test.dim() == bundle.mean.size(0), o->data + ": features are " + std::to_string(test.dim()) +
                                                     "-d, the evaluator expects " + std::to_string(bundle.mean.size(0)));
      std::vector<ProtocolRow> rows;
      if (!o->no_real) rows.push_back(run_protocol(bundle, test, nullptr, o->p, device));
      std::vector<std::string> ids;
      for (const auto& c : test.clips()) ids.push_back(c.id);
      for (const auto& spec : o->generated) {
        auto eq = spec.find('=');
        std::string name = eq == std::string::npos ? spec : spec.substr(0, eq);
        std::string dir = eq == std::string::npos ? spec : spec.substr(eq + 1);
        auto set = MotionSet::load(dir, ids, name);
        rows.push_back(run_protocol(bundle, test, &set, o->p, device));
      }
      std::printf("%s split, %zu clips, %lld repetitions (mean +- 95%% CI)\n%s", o->split.c_str(), test.clips().size(),
                  (long long)o->p.repeats, protocol_table(rows, o->p.batch).c_str());
      if (!o->json.empty()) write_file_atomically(o->json, protocol_json(rows, o->p).dump(2) + "\n");
    });
  });
}

}  // namespace mogo::cli
