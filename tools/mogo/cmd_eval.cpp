// `mogo train-eval` (train the evaluator) and `mogo eval` (the field's metrics).
#include <cstdio>

#include "commands.hpp"
#include "eval/foot_report.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "train/distributed.hpp"
#include "common/runtime.hpp"
#include "data/split.hpp"
#include <filesystem>
#include <optional>

#include "eval/generated_set.hpp"
#include "eval/protocol.hpp"
#include "eval/train_evaluator.hpp"
#include "text/wordnet.hpp"

namespace mogo::cli {

void register_eval(CLI::App& app, GlobalOptions& g) {
  auto t = std::make_shared<EvaluatorTrainOptions>();
  auto* tr = app.add_subcommand("train-eval", "Train the text/motion evaluator contrastively on the training split");
  tr->add_option("data", t->data_dir, "prepared dataset folder")->required()->check(CLI::ExistingDirectory);
  tr->add_option("out", t->out_dir, "output folder: evaluator.pt, checkpoint.pt, train_log.csv")->required();
  // Each plan flag: bound to the config, and recorded as given (what --resume checks) when used.
  for (auto [flag, key, help] : {std::tuple<const char*, const char*, const char*>{"--steps", "steps", "optimisation steps"},
                                 {"--batch", "batch_size", "clips per batch (distinct captions)"},
                                 {"--lr", "lr", "peak learning rate"},
                                 {"--dim", "dim", "encoder width and embedding size"},
                                 {"--dropout", "dropout", "dropout of both encoders"},
                                 {"--vocab", "vocab_size", "SentencePiece vocabulary size (at most)"},
                                 {"--checkpoint-every", "checkpoint_every", "steps between checkpoints"},
                                 {"--log-every", "log_every", "steps between log lines"},
                                 {"--seed", "seed", "random seed"}}) {
    std::string k = key;
    tr->add_option_function<std::string>(flag, [t, k](const std::string& v) {
      // Parsed as JSON so that the type follows the config's field; check_resume_plan and
      // validate() do the rest.
      nlohmann::json plan = t->train;
      try {
        nlohmann::json value = nlohmann::json::parse(v);
        plan[k] = value;
        t->train = plan.get<EvaluatorTrainConfig>();
        t->request.given[k] = value;
      } catch (const nlohmann::json::exception&) {
        throw CLI::ValidationError("--" + k, "not a number: " + v);
      }
    }, std::string(help) + " (default: " + nlohmann::json(t->train)[k].dump() + ")")->type_name("NUMBER");
  }
  add_run_flags(tr, *t);
  tr->callback([&g, t] {
    run_command(g, [&] {
      t->device = g.device;
      auto steps = train_evaluator(*t);
      if (distributed().is_root()) std::printf("train-eval: reached step %lld; evaluator in %s/evaluator.pt\n", (long long)steps, t->out_dir.c_str());
    });
  });

  struct Opts {
    std::string evaluator, data, split = "test", json;
    std::vector<std::string> generated;  // dir or name=dir
    ProtocolOptions p;
    bool no_real = false;
    std::string model;                   // text-to-motion model to generate with
    GeneratedSetOptions gen;
    bool reconstruction = false, base_only = false;
    std::string name, prompts;
    AlignOptions align;
  };
  auto o = std::make_shared<Opts>();
  auto* ev = app.add_subcommand("eval", "FID, R-precision, MM-Dist, Diversity, MultiModality with 95% confidence intervals");
  ev->add_option("evaluator", o->evaluator, "evaluator.pt (mogo train-eval)")->required()->check(CLI::ExistingFile);
  ev->add_option("data", o->data, "prepared dataset folder (its test split is the reference)")->required()->check(CLI::ExistingDirectory);
  ev->add_option("--generated", o->generated, "folder of generated motions <id>.npy (+ <id>_mm<k>.npy); NAME=DIR names the row");
  ev->add_option("--split", o->split, "split to evaluate on")->capture_default_str();
  ev->add_option("--repeats", o->p.repeats, "repetitions for the confidence intervals")->capture_default_str()->check(CLI::Range(1, 1000));
  ev->add_option("--batch", o->p.batch, "R-precision batch size")->capture_default_str()->check(CLI::Range(2, 1024));
  ev->add_option("--seed", o->p.seed, "random seed")->capture_default_str()->check(seed_check());
  ev->add_option("--json", o->json, "also write the results as JSON here");
  ev->add_flag("--no-real", o->no_real, "skip the Real motion row");
  ev->add_option("--model", o->model, "text-to-motion model: generate for every test clip (its caption and length) and score it");
  ev->add_option("--name", o->name, "row name for --model (default: the file name)");
  ev->add_option("--top-k", o->gen.gen.sampling.top_k, "--model sampling: top-k (0: all)")->capture_default_str();
  ev->add_option("--temperature", o->gen.gen.sampling.temperature, "--model sampling: temperature")->capture_default_str();
  ev->add_option("--guidance", o->gen.gen.sampling.guidance, "--model sampling: classifier-free guidance scale")->capture_default_str();
  ev->add_option("--gen-seed", o->gen.gen.sampling.seed, "--model sampling: seed")->capture_default_str();
  ev->add_option("--mm-texts", o->gen.mm_texts, "--model: texts generated --mm-samples times for MultiModality")->capture_default_str();
  ev->add_option("--mm-samples", o->gen.mm_samples, "--model: generations per MultiModality text")->capture_default_str();
  ev->add_option("--prompts", o->prompts, "--model: generate from these prompts (TSV: clip id, prompt) instead of the captions; "
                 "R-precision still uses the clips' own captions (docs/prompts.md)")->check(CLI::ExistingFile);
  add_align_flags(ev, o->align);
  ev->add_flag("--reconstruction", o->reconstruction, "--model: add a row for its RVQ-VAE's reconstruction of the test clips");
  ev->add_flag("--base-only", o->base_only, "--model: add an ablation row decoding the base RVQ layer only (residuals zero)");
  ev->callback([&g, o] {
    run_command(g, [&] {
      auto device = pick_device(g.device);
      auto bundle = load_evaluator(o->evaluator, device);
      MotionDataset test(o->data, o->split);
      require_fits(bundle, test);  // before any motion is generated
      std::vector<ProtocolRow> rows;
      // Feet of every row (docs/feet.md), when the data's skeleton says where the feet are.
      const auto skeleton_file = std::filesystem::path(o->data) / "skeleton.json";
      std::optional<Skeleton> skel;
      if (std::filesystem::exists(skeleton_file)) skel = Skeleton::load(skeleton_file.string());
      std::vector<FootRow> feet;
      auto add_feet = [&](const MotionSet& set) {
        if (skel) feet.push_back(generated_foot_row(set, *skel));
      };
      if (!o->no_real) {
        rows.push_back(run_protocol(bundle, test, nullptr, o->p, device));
        if (skel) feet.push_back(real_foot_row(test, *skel));
      }
      std::vector<std::string> ids;
      for (const auto& c : test.clips()) ids.push_back(c.id);
      for (const auto& spec : o->generated) {
        auto eq = spec.find('=');
        std::string name = eq == std::string::npos ? spec : spec.substr(0, eq);
        std::string dir = eq == std::string::npos ? spec : spec.substr(eq + 1);
        auto set = MotionSet::load(dir, ids, name);
        rows.push_back(run_protocol(bundle, test, &set, o->p, device));
        add_feet(set);
      }
      if (!o->model.empty()) {
        auto gen = Generator::load(o->model, device);
        gen.set_alignment(o->align);
        if (!o->prompts.empty()) {
          o->gen.prompts = read_prompts(o->prompts);
          // Aligning hundreds of prompts: the feature pass reads WordNet from memory (10 s -> 0.3 s
          // for 578 prompts, docs/prompts.md).
          wordnet::hold_in_memory();
        }
        std::string name = o->name.empty() ? std::filesystem::path(o->model).stem().string() : o->name;
        if (o->reconstruction) {
          auto set = reconstruct_motion_set(gen, test, "RVQ-VAE reconstruction");
          rows.push_back(run_protocol(bundle, test, &set, o->p, device));
          add_feet(set);
        }
        auto set = generate_motion_set(gen, test, o->gen, name);
        rows.push_back(run_protocol(bundle, test, &set, o->p, device));
        add_feet(set);
        if (o->base_only) {
          auto ablation = o->gen;
          ablation.gen.layers = 1;
          ablation.mm_samples = 0;
          auto base = generate_motion_set(gen, test, ablation, name + ", base layer only");
          rows.push_back(run_protocol(bundle, test, &base, o->p, device));
          add_feet(base);
        }
      }
      std::printf("%s split, %zu clips, %lld repetitions (mean +- 95%% CI)\n%s", o->split.c_str(), test.clips().size(),
                  (long long)o->p.repeats, protocol_table(rows, o->p.batch).c_str());
      if (!feet.empty()) std::printf("\n%s", foot_table(feet).c_str());
      if (!o->json.empty()) {
        auto j = protocol_json(rows, o->p);
        if (!feet.empty()) j["feet"] = foot_json(feet);
        write_file_atomically(o->json, j.dump(2) + "\n");
      }
    });
  });
}

}  // namespace mogo::cli
