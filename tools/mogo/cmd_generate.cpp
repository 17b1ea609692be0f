// `mogo generate`: text -> motion with a trained model (the shipped default unless -m).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "commands.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/runtime.hpp"
#include "engine/generator.hpp"
#include "engine/prompt_split.hpp"
#include "engine/timeline.hpp"
#include "export/motion_writer.hpp"
#include "motion/motion_reader.hpp"

namespace mogo::cli {

namespace {

// "walk.bvh", sample 2 of 3 -> "walk_2.bvh"; a single sample keeps the name.
std::string numbered(const std::string& path, int64_t i, int64_t n) {
  if (n <= 1) return path;
  std::filesystem::path p(path);
  return (p.parent_path() / (p.stem().string() + "_" + std::to_string(i) + p.extension().string())).string();
}

// One JSON line per final frame on stdout: {"frame", "time", "text", "joints": [[x,y,z] x J]};
// on a rig, "joints" are the rig's (world, its units) with "rotations" (local, w x y z) and "root".
void print_frames(const MotionChunk& c, const std::string& text, double fps, Retargeter* rig) {
  const auto pose = rig ? rig_pose_json(rig->apply(c.joints, fps)) : nlohmann::json{{"joints", joints_json(c.joints)}};
  const auto& frames = pose["joints"];
  for (int64_t i = 0; i < c.frames(); ++i) {
    const int64_t f = c.first_frame + i;
    nlohmann::json line = {{"frame", f}, {"time", static_cast<double>(f) / fps}, {"text", text}, {"joints", frames[i]}};
    if (rig) {
      line["rotations"] = pose["rotations"][i];
      line["root"] = pose["root"][i];
    }
    std::fputs((line.dump() + "\n").c_str(), stdout);
  }
  std::fflush(stdout);
}

struct StreamFlags {
  std::string timeline, from, mapping, rig;
  std::optional<double> at;
  double action_seconds = kActionSeconds;
  int64_t window = 0;
  int64_t switch_context = StreamOptions{}.switch_context;
  bool stream = false;
  bool realtime = false;
  double lead = PaceOptions{}.lead_seconds;
  bool streaming() const { return stream || !timeline.empty() || !from.empty() || at.has_value(); }
};

// The motion to continue (--from, cut at --at seconds; the whole clip without --at).
torch::Tensor continuation_prefix(const StreamFlags& f, const Skeleton& skel, double fps) {
  if (f.from.empty()) {
    require(!f.at, "--at needs --from (the motion to continue)");
    return {};
  }
  require(!f.at || (std::isfinite(*f.at) && *f.at > 0), "--at must be a time in seconds > 0 (leave it out to continue from the end)");
  auto features = read_motion_features(f.from, skel, f.mapping);
  if (!f.at) return features;
  const double length = static_cast<double>(features.size(0)) / fps;
  require(*f.at <= length, f.from + ": --at " + c10::str(*f.at) + " s is past the end of the motion (" + c10::str(length) + " s)");
  return features.narrow(0, 0, frames_in(*f.at, fps));
}

// The timeline of a generation: --timeline, the actions of a prompt with several ("walk, then
// jump"; --action-seconds apart, or --seconds shared out; see actions_to_play), or the one text.
Timeline timeline_of(Generator& gen, const std::optional<std::string>& text, const GenerateOptions& o, const StreamFlags& f) {
  require(text.has_value() != !f.timeline.empty(), text ? "give either a text or --timeline, not both" : "give a text or --timeline");
  return text ? prompt_timeline(gen, *text, o.seconds, f.action_seconds) : parse_timeline(f.timeline);
}

// Streams one motion (timeline, continuation, --stream); returns its raw features.
torch::Tensor generate_streamed(Generator& gen, const Timeline& timeline, const GenerateOptions& o, const StreamFlags& f,
                                bool foot_lock, FILE* report, bool verbose) {
  StreamOptions so = streaming_options(o, gen.fps());
  so.window = f.window;
  so.switch_context = f.switch_context;
  so.foot_lock = foot_lock;
  check_timeline(timeline, o.seconds);
  MotionStream stream(gen, timeline[0].text, so, continuation_prefix(f, gen.skeleton(), gen.fps()));
  // Each entry's alignment as it will be used (the nearest-caption part is reported as it happens
  // for the first text only).
  if (verbose) {
    std::fprintf(report, "%s\n", stream.alignment().summary().c_str());
    for (size_t i = 1; i < timeline.size(); ++i)
      std::fprintf(report, "%s\n", gen.aligner().align(timeline[i].text, gen.alignment()).summary().c_str());
  }
  std::optional<Pacer> pacer;
  if (f.realtime) pacer.emplace(f.lead, gen.fps());
  std::optional<Retargeter> rig;  // the stream's own: its floor is fixed by the first frames
  if (f.stream && !f.rig.empty()) rig.emplace(load_retargeter(f.rig, gen.skeleton(), f.mapping));
  auto features = play_to_end(
      stream, timeline, [&](const MotionChunk& c) { if (f.stream) print_frames(c, stream.text(), gen.fps(), rig ? &*rig : nullptr); },
      pacer ? &*pacer : nullptr);
  require(features.defined(), "the model ended the motion before its first frame");
  return features;
}

}  // namespace

void register_generate(CLI::App& app, GlobalOptions& g) {
  struct Opts {
    std::string text, output = "motion.bvh", model;
    GenerateOptions gen;
    AlignOptions align;
    int64_t samples = 1;
    ExportOptions out;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("generate", "Generate motion from a text: .bvh, .glb/.gltf, .npy (features, or --joints) or .json; or stream it");
  auto sf = std::make_shared<StreamFlags>();
  cmd->add_option("text", o->text, "what the person does, e.g. \"a person walks forward happily\"");
  cmd->add_option("-o,--output", o->output, "output file (.bvh, .glb, .gltf, .npy, .json)")->capture_default_str();
  cmd->add_option("-m,--model", o->model, kModelFlagHelp);
  cmd->add_option("--seconds", o->gen.seconds, "length in seconds (default: until the model ends the motion)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", o->gen.sampling.seed, "random seed, 0 to 4294967295")->capture_default_str()->check(seed_check());
  cmd->add_option("--top-k", o->gen.sampling.top_k, "sample among the k most likely codes (0: all)")->capture_default_str();
  cmd->add_option("--temperature", o->gen.sampling.temperature, "sampling temperature (0: greedy)")->capture_default_str();
  cmd->add_option("--guidance", o->gen.sampling.guidance, "classifier-free guidance scale (1: off)")->capture_default_str();
  cmd->add_option("--samples", o->samples, "number of motions (files numbered _0, _1, ...)")->capture_default_str()->check(CLI::Range(1, 1000));
  cmd->add_flag("--joints", o->out.joints_npy, ".npy output holds joint positions [T,J,3] instead of features");
  add_export_flags(cmd, o->out);
  cmd->add_option("--timeline", sf->timeline, "texts over time, \"0:walk forward;6:a person waves the right hand;9:a person bows\" (seconds)");
  cmd->add_flag("--stream", sf->stream, "write each frame to stdout as a JSON line as soon as it is final");
  cmd->add_flag("--realtime", sf->realtime, "with --stream: write frames in real time, at most --lead seconds ahead of playback");
  cmd->add_option("--lead", sf->lead, "--realtime: seconds of motion written ahead of playback")
      ->capture_default_str()->check(CLI::Range(0.0, PaceOptions::kMaxLead));
  cmd->add_option("--from", sf->from, "continue this motion (.bvh of the model's rig, or .npy features/joints)");
  cmd->add_option("--at", sf->at, "continue --from at this time in seconds (default: its end)");
  cmd->add_option("--mapping", sf->mapping,
                  "joint mapping JSON {\"joints\": {\"<model joint>\": \"<file joint>\"}} for a --from BVH or a --rig whose joint names are not recognised (data/skeletons/, docs/retarget.md)");
  cmd->add_option("--rig", sf->rig,
                  "write the motion on your character: a BVH or skinned glTF/GLB rig (its joint names, hierarchy, rest pose and units; "
                  ".bvh out from a BVH rig, .glb/.gltf out from a glTF rig with its mesh kept, .json/.npy from either; docs/retarget.md)");
  cmd->add_option("--switch-context", sf->switch_context, "latent steps of the old action kept in view at a --timeline change (-1: all)")
      ->capture_default_str()->check(CLI::Range(int64_t{-1}, int64_t{1000}));
  cmd->add_option("--action-seconds", sf->action_seconds, "a prompt with several actions (\"walk, then jump\"): seconds per action (without --seconds)")
      ->capture_default_str()->check(CLI::Range(kMinSeconds, kMaxSeconds));
  add_align_flags(cmd, o->align);
  o->align.refuse_unservable = true;
  cmd->add_flag("!--nearest", o->align.refuse_unservable,
                "for a prompt whose action the model was not trained on, generate the nearest thing it can do "
                "(default: refuse, naming it)");
  cmd->add_option("--window", sf->window, "key/value cache window in latent steps (default: the model's training length)")->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  cmd->callback([&g, o, sf, cmd] {
    // One latent step is a few small matrix products: on all cores the threads' hand-offs cost
    // more than they save (align + generate + decode 0.46-1.78 s on 2 threads against 0.07-0.10 s
    // on 1, 5 s of motion, this 2-core machine). Generation runs on one thread unless asked.
    GlobalOptions one = g;
    if (one.threads == 0) one.threads = 1;
    run_command(one, [&] {
      motion_format(o->output, o->out);
      o->gen.sampling.validate();
      const std::string path = o->model.empty() ? default_model_path() : o->model;
      for (int64_t i = 0; i < o->samples; ++i)
        require_not_an_input(numbered(o->output, i, o->samples), {sf->from, path, sf->mapping, sf->rig});
      std::optional<std::string> text;  // an empty text given is an error of its own ("prompt is empty")
      if (cmd->count("text") > 0) text = o->text;
      auto gen = Generator::load(path, pick_device(g.device));
      o->out.fps = gen.fps();
      command_clock().mark("model");
      if (!sf->rig.empty()) {
        o->out.rig = std::make_shared<const Retargeter>(load_retargeter(sf->rig, gen.skeleton(), sf->mapping));
        require_rig_output(o->output, o->out.rig->rig(), o->out);
        command_clock().mark("rig");
      }
      o->align.report_nearest = g.verbose;  // the nearest-caption report costs seconds; only -v prints it
      gen.set_alignment(o->align);
      const bool to_file = !sf->stream || cmd->count("-o") > 0;
      // stdout carries the frames when streaming, or the file when the output is a device or pipe.
      std::error_code ec;
      const auto st = std::filesystem::status(o->output, ec);
      const bool output_is_stream = std::filesystem::exists(st) && !std::filesystem::is_regular_file(st);
      FILE* report = sf->stream || output_is_stream ? stderr : stdout;
      if (o->out.rig) std::fprintf(report, "%s\n", retarget_summary(*o->out.rig).c_str());
      const Timeline timeline = timeline_of(gen, text, o->gen, *sf);
      require(!sf->realtime || sf->stream, "--realtime applies to --stream (frames on stdout as they are played)");
      require(cmd->count("--lead") == 0 || sf->realtime, "--lead applies to --realtime");
      require(cmd->count("--window") == 0 || sf->streaming() || timeline.size() > 1,
              "--window applies to streamed generation (--stream, --timeline, --from, or a prompt with several actions)");
      if (sf->streaming() || timeline.size() > 1) {
        require(o->samples == 1, "--samples works only with one action and without --timeline, --stream and --from");
        auto features = generate_streamed(gen, timeline, o->gen, *sf, o->out.foot_lock, report, g.verbose);
        command_clock().mark("generate");
        if (to_file) write_motion(o->output, features, gen.skeleton(), o->out);
        command_clock().mark("write");
        std::fprintf(report, "%s: %lld frames (%.2f s)\n", to_file ? o->output.c_str() : "stream",
                     (long long)features.size(0), static_cast<double>(features.size(0)) / gen.fps());
        if (g.verbose) std::fprintf(report, "timings: %s\n", command_clock().summary().c_str());
        exit_done();
      }
      require(text.has_value(), "give the text to generate from, e.g. mogo generate \"a person walks forward\"");
      std::vector<std::string> texts(static_cast<size_t>(o->samples), o->text);
      auto motions = gen.generate(texts, o->gen);
      command_clock().mark("align + generate + decode");
      if (g.verbose) std::fprintf(report, "%s\n", motions.front().alignment.summary().c_str());
      for (size_t i = 0; i < motions.size(); ++i) {
        auto out = numbered(o->output, static_cast<int64_t>(i), o->samples);
        write_motion(out, motions[i].features, gen.skeleton(), o->out);
        std::fprintf(report, "%s: %lld frames (%.2f s)\n", out.c_str(), (long long)motions[i].features.size(0),
                     static_cast<double>(motions[i].features.size(0)) / gen.fps());
      }
      command_clock().mark("write");
      if (g.verbose) std::fprintf(report, "timings: %s\n", command_clock().summary().c_str());
      exit_done();
    });
  });
}

}  // namespace mogo::cli
