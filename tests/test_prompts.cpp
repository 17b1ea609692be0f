// Open-vocabulary prompts: WordNet's map to a model's vocabulary, paraphrase augmentation, the
// --align-cmd path (answers, garbage, failures, timeout), the multi-action split, and alignment in
// the generator, CLI and server answers.
#include <chrono>
#include <fstream>
#include <random>

#include "common/error.hpp"
#include "engine/align_command.hpp"
#include "engine/prompt_align.hpp"
#include "engine/prompt_split.hpp"
#include "eval/generated_set.hpp"
#include "shipped_model.hpp"
#include "text/lexicon.hpp"
#include "text/paraphrase.hpp"
#include "text/tokenizer.hpp"
#include "text/wordnet.hpp"
#include "text/words.hpp"
#include "test_util.hpp"

using namespace mogo;

namespace {

// Captions in the style of the training data (subject, action, side, manner).
const std::vector<std::string> kCaptions = {
    "a person walks forward happily .", "someone is walking forward in a tired way .",
    "the person raises the right hand energetically .", "a character runs forward angrily .",
    "a person bows timidly .", "someone waves the left hand like an elderly person ."};

const Lexicon& lexicon() {
  static const Lexicon l(kCaptions);
  return l;
}

// An --align-cmd program: a shell snippet in a file of the test's folder.
std::string script(const test::TempDir& dir, const std::string& name, const std::string& body) {
  const std::string path = dir / name;
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  return path;
}

}  // namespace

TEST(Lexicon, MapsUnknownWordsToKnownOnesInTheSameInflection) {
  ASSERT_TRUE(wordnet::available()) << "WordNet missing: scripts/setup.sh installs wordnet-base";
  const Lexicon& l = lexicon();
  EXPECT_TRUE(l.knows("walks"));
  EXPECT_EQ(l.nearest_known("walks"), "walks");
  EXPECT_EQ(l.nearest_known("strolls"), "walks");      // hyponym -> hypernym
  EXPECT_EQ(l.nearest_known("strolling"), "walking");  // inflection kept
  EXPECT_EQ(l.nearest_known("individual"), "person");  // synonym
  EXPECT_EQ(l.nearest_known("shy"), "timidly");        // adjective -> the known adverb of a synonym
  EXPECT_EQ(l.nearest_known("furious"), "angrily");
  EXPECT_EQ(l.nearest_known("xyzzy"), "");
  EXPECT_EQ(l.nearest_known("along"), "");             // function words are never mapped
}

TEST(Lexicon, AlternativesAlignBackAndInflect) {
  const Lexicon& l = lexicon();
  const auto& alt = l.alternatives("walks");
  ASSERT_FALSE(alt.empty());
  for (const auto& a : alt) {
    EXPECT_FALSE(l.knows(a)) << a;
    EXPECT_EQ(l.nearest_known(a), "walks") << a;
    EXPECT_EQ(a.back(), 's') << a;
  }
  EXPECT_TRUE(l.alternatives("right").empty());  // sides are never blurred
  EXPECT_EQ(inflect("stroll", Inflection::s), "strolls");
  EXPECT_EQ(inflect("jog", Inflection::ing), "jogging");
  EXPECT_EQ(inflect("dance", Inflection::ing), "dancing");
  EXPECT_EQ(inflect("hurry", Inflection::s), "hurries");
  EXPECT_EQ(inflect("take_a_bow", Inflection::s), "takes a bow");
}

TEST(Paraphrase, RewordsCaptionsDeterministicallyAndKeepsSides) {
  std::mt19937_64 a(3), b(3);
  int changed = 0;
  for (int i = 0; i < 50; ++i) {
    const std::string c = kCaptions[static_cast<size_t>(i) % kCaptions.size()];
    const std::string p = paraphrase(c, lexicon(), a);
    EXPECT_EQ(p, paraphrase(c, lexicon(), b));
    changed += p != c;
    if (c.find("right") != std::string::npos) {
      EXPECT_NE(p.find("right"), std::string::npos) << p;
    }
  }
  EXPECT_GT(changed, 30);
  // Every operation, forced.
  std::mt19937_64 rng(1);
  ParaphraseOptions all{1.0, 1.0, 1.0, 0.0};
  const std::string p = paraphrase("a person walks forward happily .", lexicon(), rng, all);
  EXPECT_EQ(split_words(Tokenizer::normalise(p)).at(1), ",") << p;  // manner moved to the front
  EXPECT_EQ(p.find("walks"), std::string::npos) << p;     // verb replaced
  EXPECT_EQ(p.find("a person"), std::string::npos) << p;  // subject replaced (never the same phrase)
}

TEST(PromptSplit, SplitsActionsAndCarriesTheSubject) {
  EXPECT_EQ(split_actions("a person walks forward happily"), std::vector<std::string>({"a person walks forward happily"}));
  EXPECT_EQ(split_actions("Walk forward, then jump, and then sit down."),
            std::vector<std::string>({"walk forward", "jump", "sit down"}));
  EXPECT_EQ(split_actions("a man walks to the left; after that he waves. Finally the man bows"),
            std::vector<std::string>({"a man walks to the left", "he waves", "the man bows"}));
  EXPECT_EQ(split_actions("a man walks, then sits"), std::vector<std::string>({"a man walks", "a man sits"}));
  auto t = action_timeline(split_actions("run forward then bow"), 3.0);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[1].at, 3.0);
  EXPECT_EQ(t[1].text, "bow");
  EXPECT_THROW(action_timeline({"run"}, 0), Error);
}

TEST(PromptAlign, BuiltinMapsWordsAddsASubjectAndReports) {
  PromptAligner al(kCaptions);
  auto a = al.align("An individual strolls along joyfully", {});
  EXPECT_EQ(a.method, "builtin");
  EXPECT_EQ(a.text, "a person walks happily");
  EXPECT_EQ(a.dropped, std::vector<std::string>({"along"}));
  ASSERT_EQ(a.replaced.size(), 3u);
  EXPECT_EQ(a.replaced[1], std::make_pair(std::string("strolls"), std::string("walks")));
  EXPECT_NE(a.summary().find("strolls->walks"), std::string::npos);
  EXPECT_EQ(a.to_json()["replaced"]["strolls"], "walks");
  EXPECT_EQ(al.align("bow shyly", {}).text, "a person bows timidly");  // imperative -> a subject
  EXPECT_EQ(al.align("he raises his right hand", {}).text, "the person raises the right hand");
  AlignOptions off;
  off.enabled = false;
  auto n = al.align("An individual strolls", off);
  EXPECT_EQ(n.method, "none");
  EXPECT_EQ(n.text, "An individual strolls");
  auto unknown = al.align("xyzzy plugh", {});
  EXPECT_EQ(unknown.text, "xyzzy plugh");
  EXPECT_EQ(unknown.warnings.size(), 1u);
}

TEST(AlignCommand, AnswersAreValidatedAndFailuresFallBack) {
  test::TempDir dir;
  PromptAligner al(kCaptions);
  AlignOptions o;
  o.timeout_seconds = 5;
  // A program that reads the instruction and the prompt, and answers in training style.
  o.command = script(dir, "good.sh", "cat > " + (dir / "seen.txt") + "\necho 'a person jogs forward happily.'\necho\necho 'someone bows.'");
  auto a = al.align("a happy little run, then a bow", o);
  EXPECT_EQ(a.method, "command");
  EXPECT_EQ(a.text, "a person runs forward happily. someone bows.");
  EXPECT_TRUE(a.warnings.empty());
  std::ifstream seen(dir / "seen.txt");
  std::string input((std::istreambuf_iterator<char>(seen)), std::istreambuf_iterator<char>());
  EXPECT_NE(input.find("Request: a happy little run, then a bow\n"), std::string::npos);
  EXPECT_NE(input.find("Think step by step"), std::string::npos);
  EXPECT_NE(input.find("\n  a person bows timidly .\n"), std::string::npos) << input;  // the model's captions as examples
  // Garbage, failures and a program that hangs: the built-in path, with the reason as a warning.
  struct Case {
    std::string command, reason;
  };
  const std::vector<Case> cases = {
      {"printf '<html>{\"x\": 1}</html>'", "markup"},
      {"printf 'a\\001b c'", "control characters"},
      {"head -c 2000 /dev/zero | tr '\\0' 'a'", "characters"},
      {"echo", "characters"},
      {"echo 'a person walks'; exit 3", "exited with status 3"},
      {"exec sleep 30", "timed out"},
      {"exec 1>&-; exec sleep 30", "did not exit"},
      {"kill -9 $$", "killed by signal 9"}};
  for (size_t i = 0; i < cases.size(); ++i) {
    o.command = cases[i].command;
    o.timeout_seconds = 0.5;
    const auto start = std::chrono::steady_clock::now();
    auto b = al.align("an individual strolls", o);
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 5.0) << cases[i].command;
    EXPECT_EQ(b.method, "builtin") << cases[i].command;
    EXPECT_EQ(b.text, "a person walks") << cases[i].command;
    ASSERT_FALSE(b.warnings.empty()) << cases[i].command;
    EXPECT_NE(b.warnings[0].find(cases[i].reason), std::string::npos) << cases[i].command << ": " << b.warnings[0];
  }
  // A program that never reads its stdin still answers; a missing program is a failure.
  EXPECT_EQ(run_with_input("echo hi", std::string(1 << 20, 'x'), 5), "hi\n");
  EXPECT_THROW(run_with_input("/nonexistent/program", "x", 5), Error);
}

TEST(PromptAlign, GeneratorReportsAlignmentAndBlendsFarPrompts) {
  // The word map and the nearest-caption blend: the path of models without a meaning encoder.
  T2MModel model = load_t2m_model(test::source_dir() + "/models/t2m-tiny.pt");
  model.aligner = nullptr;
  Generator g(std::move(model), torch::kCPU);
  ASSERT_FALSE(g.aligner().captions().empty()) << "the shipped model stores its training captions";
  GenerateOptions o;
  o.seconds = 1;
  const std::string caption = g.aligner().captions().at(10);
  auto m = g.generate({"an individual strolls along cheerfully", caption}, o);
  EXPECT_EQ(m[0].alignment.method, "builtin");
  EXPECT_EQ(m[0].alignment.text, "a person walks cheerfully");
  EXPECT_GE(m[0].alignment.distance, 0);
  EXPECT_EQ(m[0].alignment.nearest.size(), 1u);  // no blending by default: the nearest caption only
  EXPECT_EQ(m[1].alignment.distance, -1);  // a training caption is not compared: it is one
  EXPECT_EQ(m[1].alignment.blend, 0);
  // The blend: with a threshold below every distance the neighbours' condition is mixed in; with
  // no neighbours it never is.
  AlignOptions eager;
  eager.neighbours = 4;
  eager.far_scale = 0.1;
  g.set_alignment(eager);
  std::vector<AlignedPrompt> blended;
  auto c1 = g.condition({"xyzzy plugh qwerty"}, &blended);
  AlignOptions never;
  g.set_alignment(never);
  std::vector<AlignedPrompt> plain;
  auto c0 = g.condition({"xyzzy plugh qwerty"}, &plain);
  g.set_alignment({});
  EXPECT_GT(blended[0].blend, 0);
  EXPECT_EQ(blended[0].nearest.size(), 4u);
  EXPECT_EQ(plain[0].blend, 0);
  EXPECT_EQ(plain[0].distance, blended[0].distance);
  EXPECT_FALSE(torch::allclose(c0, c1));
  // Without the report (the CLI without -v): no nearest caption looked up, the same condition.
  AlignOptions quiet;
  quiet.report_nearest = false;
  g.set_alignment(quiet);
  std::vector<AlignedPrompt> unreported;
  auto cq = g.condition({"xyzzy plugh qwerty"}, &unreported);
  g.set_alignment({});
  EXPECT_EQ(unreported[0].distance, -1);
  EXPECT_TRUE(unreported[0].nearest.empty());
  EXPECT_TRUE(torch::equal(cq, c0));
  // --no-align: the text as typed, no distance.
  AlignOptions off;
  off.enabled = false;
  g.set_alignment(off);
  std::vector<AlignedPrompt> raw;
  g.condition({"an individual strolls"}, &raw);
  g.set_alignment({});
  EXPECT_EQ(raw[0].text, "an individual strolls");
  EXPECT_LT(raw[0].distance, 0);
}

TEST(PromptAlign, CliVerboseNoAlignAlignCmdAndMultiActionTimeline) {
  test::TempDir dir;
  auto r = test::run_cli("-v generate \"an individual strolls along cheerfully\" --seconds 1 -o " + (dir / "a.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("aligned (meaning): \"an individual strolls along cheerfully\" -> \""), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("read as walk"), std::string::npos) << r.output;
  r = test::run_cli("-v generate \"an individual strolls\" --no-align --seconds 1 -o " + (dir / "b.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("aligned (none)"), std::string::npos) << r.output;
  // A failing --align-cmd: a warning, and the motion all the same.
  r = test::run_cli("generate \"a person strolls\" --align-cmd false --seconds 1 -o " + (dir / "c.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("warning: --align-cmd exited with status 1: using the built-in alignment"), std::string::npos) << r.output;
  // Three actions, 1.5 s each: a timeline of 4.5 s when --seconds is given.
  r = test::run_cli("-v generate \"stroll forward, then run, then bow\" --seconds 4.5 -o " + (dir / "d.npy"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("read as walk"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("read as run"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("read as bow"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("90 frames"), std::string::npos) << r.output;
  r = test::run_cli("generate \"run\" --action-seconds 0 -o " + (dir / "e.npy"));
  EXPECT_NE(r.exit_code, 0);
}

TEST(PromptAlign, PromptsFilesAreCheckedLineByLine) {
  test::TempDir dir;
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return dir / name;
  };
  auto ok = read_prompts(write("ok.tsv", "# comment\n\nclip_1\tan individual strolls\r\nclip_2\tsomeone bows\n"));
  EXPECT_EQ(ok.size(), 2u);
  EXPECT_EQ(ok.at("clip_1"), "an individual strolls");
  auto error_of = [&](const std::string& text) { return test::error_message([&] { read_prompts(write("bad.tsv", text)); }); };
  EXPECT_NE(error_of("clip_1 an individual strolls\n").find("bad.tsv:1: expected"), std::string::npos);
  EXPECT_NE(error_of("clip_1\t   \n").find("bad.tsv:1: the prompt is empty"), std::string::npos);
  EXPECT_NE(error_of("a\tx y\na\tz w\n").find("bad.tsv:2: a second prompt for clip a"), std::string::npos);
  EXPECT_NE(error_of("# nothing\n").find("no prompts"), std::string::npos);
  EXPECT_THROW(read_prompts(dir / "missing.tsv"), Error);
}
