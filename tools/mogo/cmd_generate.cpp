// `mogo generate`: text -> motion with a trained model (the shipped default unless -m).
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "commands.hpp"
#include "common/error.hpp"
#include "common/runtime.hpp"
#include "engine/generator.hpp"
#include "export/motion_writer.hpp"

namespace mogo::cli {

// The model used when -m is not given: $MOGO_MODEL, else the one shipped in the source tree.
std::string default_model_path() {
  if (const char* env = std::getenv("MOGO_MODEL")) return env;
  return std::string(MOGO_SOURCE_DIR) + "/models/t2m-tiny.pt";
}

namespace {

// "walk.bvh", sample 2 of 3 -> "walk_2.bvh"; a single sample keeps the name.
std::string numbered(const std::string& path, int64_t i, int64_t n) {
  if (n <= 1) return path;
  std::filesystem::path p(path);
  return (p.parent_path() / (p.stem().string() + "_" + std::to_string(i) + p.extension().string())).string();
}

}  // namespace

void register_generate(CLI::App& app, GlobalOptions& g) {
  struct Opts {
    std::string text, output = "motion.bvh", model;
    GenerateOptions gen;
    int64_t samples = 1;
    bool joints = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("generate", "Generate motion from a text: .bvh, .npy (features, or --joints) or .json");
  cmd->add_option("text", o->text, "what the person does, e.g. \"a person walks forward happily\"")->required();
  cmd->add_option("-o,--output", o->output, "output file (.bvh, .npy, .json)")->capture_default_str();
  cmd->add_option("-m,--model", o->model, "model file (default: $MOGO_MODEL or models/t2m-tiny.pt)");
  cmd->add_option("--seconds", o->gen.seconds, "length in seconds (default: until the model ends the motion)");
  cmd->add_option("--seed", o->gen.sampling.seed, "random seed")->capture_default_str();
  cmd->add_option("--top-k", o->gen.sampling.top_k, "sample among the k most likely codes (0: all)")->capture_default_str();
  cmd->add_option("--temperature", o->gen.sampling.temperature, "sampling temperature (0: greedy)")->capture_default_str();
  cmd->add_option("--guidance", o->gen.sampling.guidance, "classifier-free guidance scale (1: off)")->capture_default_str();
  cmd->add_option("--samples", o->samples, "number of motions (files numbered _0, _1, ...)")->capture_default_str()->check(CLI::Range(1, 1000));
  cmd->add_flag("--joints", o->joints, ".npy output holds joint positions [T,J,3] instead of features");
  cmd->callback([&g, o] {
    run_command(g, [&] {
      check_motion_extension(o->output);
      require(o->gen.sampling.temperature >= 0, "--temperature must be >= 0");
      require(o->gen.sampling.top_k >= 0, "--top-k must be >= 0");
      const std::string path = o->model.empty() ? default_model_path() : o->model;
      auto gen = Generator::load(path, pick_device(g.device));
      std::vector<std::string> texts(static_cast<size_t>(o->samples), o->text);
      auto motions = gen.generate(texts, o->gen);
      for (size_t i = 0; i < motions.size(); ++i) {
        auto out = numbered(o->output, static_cast<int64_t>(i), o->samples);
        write_motion(out, motions[i].features, gen.skeleton(), o->joints);
        std::printf("%s: %lld frames (%.2f s)\n", out.c_str(), (long long)motions[i].features.size(0),
                    motions[i].features.size(0) / kFps);
      }
    });
  });
}

}  // namespace mogo::cli
