// The training and evaluation commands end to end on a few real clips (micro presets): train-vq,
// eval-vq, train-eval, train-t2m, eval, eval-stream; and the CLI's error contract on each.
#include <filesystem>
#include <fstream>

#include "common/archive.hpp"
#include "common/atomic_file.hpp"
#include "real_data.hpp"
#include "test_util.hpp"

namespace mogo {
namespace {

namespace fs = std::filesystem;

// One trained set of micro models for every test here (built once per process).
struct Pipeline {
  test::TempDir dir{"mogo-pipeline"};
  std::string data = test::real_prepared_dir();
  std::string vq() const { return dir / "vq/model.pt"; }
  std::string evaluator() const { return dir / "ev/evaluator.pt"; }
  std::string t2m() const { return dir / "t2m/model.pt"; }
  Pipeline() {
    auto run = [](const std::string& args) {
      auto r = test::run_cli("--threads 1 " + args);
      EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.output;
    };
    run("train-vq " + data + " " + (dir / "vq") + " --preset micro --steps 8 -q");
    run("train-eval " + data + " " + (dir / "ev") + " --steps 10 --batch 4 --dim 32 --vocab 64 -q");
    run("train-t2m " + data + " " + (dir / "t2m") + " --vq " + vq() + " --preset micro --steps 6 -q");
  }
};

const Pipeline& pipeline() {
  static Pipeline p;
  return p;
}

TEST(CliPipeline, TrainersWriteTheirModels) {
  const auto& p = pipeline();
  for (const auto& f : {p.vq(), p.evaluator(), p.t2m()}) EXPECT_TRUE(fs::exists(f)) << f;
  EXPECT_TRUE(fs::exists(p.dir / "t2m/val_log.csv"));
}

TEST(CliPipeline, EvalVqReportsPerLayerErrors) {
  const auto& p = pipeline();
  auto r = test::run_cli("--threads 1 eval-vq " + p.vq() + " " + p.data + " --json " + (p.dir / "vq.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = load_json_file(p.dir / "vq.json");
  EXPECT_FALSE(j.empty());
  test::expect_one_line_error(test::run_cli("eval-vq " + p.evaluator() + " " + p.data), "evaluator.pt: format is 'mogo-evaluator', expected 'mogo-rvqvae'");
}

TEST(CliPipeline, EvalScoresAModelWithConfidenceIntervals) {
  const auto& p = pipeline();
  auto r = test::run_cli("--threads 1 eval " + p.evaluator() + " " + p.data + " --model " + p.t2m() +
                         " --split train --repeats 2 --batch 2 --mm-texts 2 --mm-samples 2 --json " + (p.dir / "eval.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("R-prec top-1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Chance                     0.500            1.000            1.000"), std::string::npos) << r.output;
  auto j = load_json_file(p.dir / "eval.json");
  EXPECT_EQ(j["repeats"], 2);
  test::expect_one_line_error(test::run_cli("eval " + p.evaluator() + " " + p.data + " --batch 1"), "--batch");
  test::expect_one_line_error(test::run_cli("eval " + p.vq() + " " + p.data), "vq/model.pt");
}

TEST(CliPipeline, EvalStreamMeasuresSeams) {
  const auto& p = pipeline();
  auto r = test::run_cli("--threads 1 eval-stream " + p.evaluator() + " " + p.data + " --model " + p.t2m() +
                         " --split train --repeats 2 --batch 2 --json " + (p.dir / "stream.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(load_json_file(p.dir / "stream.json").empty());
  test::expect_one_line_error(test::run_cli("eval-stream " + p.evaluator() + " " + p.data + " --model " + (p.dir / "none.pt")),
                              "none.pt: no such file");
}

TEST(CliPipeline, TrainingErrorsAreOneLine) {
  const auto& p = pipeline();
  test::TempDir d;
  const std::string vq = "--threads 1 train-vq " + p.data + " ";
  test::expect_one_line_error(test::run_cli(vq + (d / "a") + " --preset micro --lr inf"), "--lr must be in (0, 1], got inf");
  test::expect_one_line_error(test::run_cli(vq + (d / "a") + " --preset micro --steps -3"), "--steps must be a positive number");
  test::expect_one_line_error(test::run_cli(vq + (p.dir / "vq") + " --preset micro"), "a training checkpoint is already there");
  test::expect_one_line_error(test::run_cli(vq + (p.dir / "vq") + " --resume --batch 3"), "batch_size 3 (checkpoint: ");
  test::expect_one_line_error(test::run_cli("--threads 1 train-eval " + p.data + " " + (p.dir / "ev") + " --resume --dim 64"),
                              "dim 64 (checkpoint: 32)");
  test::expect_one_line_error(test::run_cli("--threads 1 train-t2m " + p.data + " " + (d / "t") + " --vq " + p.vq() + " --lr 1e6"),
                              "--lr must be in (0, 1], got 1e+06");
  test::expect_one_line_error(test::run_cli("--threads 100000 info"), "--threads 100000 is more than this machine's");
}

// A full disk while writing a checkpoint: one line, no stack trace, no temporary file left.
TEST(CliPipeline, DiskFullDuringTrainingIsOneLineAndLeavesNoTemporary) {
  const auto& p = pipeline();
  test::TempDir d;
  auto r = test::run_cli("--threads 1 train-vq " + p.data + " " + (d / "run") + " --preset micro --steps 4 -q", "trap '' XFSZ; ulimit -f 16; ");
  test::expect_one_line_error(r, "checkpoint.pt: write failed");
  EXPECT_EQ(r.output.find("terminate called"), std::string::npos) << r.output;
  for (const auto& name : test::list_dir(d / "run")) EXPECT_EQ(name.find(".mogo-tmp."), std::string::npos) << name;
}

TEST(CliPipeline, CorruptModelFilesAreRefusedByChecksum) {
  const auto& p = pipeline();
  test::TempDir d;
  std::string bytes = read_file(p.t2m());
  for (int i = 0; i < 4; ++i) bytes[bytes.size() / 2 + i] ^= 0x21;  // inside the weights
  write_file_atomically(d / "corrupt.pt", bytes);
  test::expect_one_line_error(test::run_cli("generate \"a person walks\" -m " + (d / "corrupt.pt") + " -o " + (d / "x.bvh")),
                              "corrupt.pt: corrupt file (checksum mismatch in record");
  EXPECT_FALSE(fs::exists(d / "x.bvh"));
}

TEST(CliPipeline, CommandLineErrorsAreOneLineWithExitCodeOne) {
  test::expect_one_line_error(test::run_cli("frobnicate"), "unknown command 'frobnicate' (commands: info, features");
  test::expect_one_line_error(test::run_cli("generate --no-such-flag"), "--no-such-flag");
  test::expect_one_line_error(test::run_cli(""), "A subcommand is required");
  test::expect_one_line_error(test::run_cli("generate \"a person walks\" --top-k -2"), "--top-k must be >= 0");
}

}  // namespace
}  // namespace mogo

namespace mogo {
namespace {

// Devices and pipes are written in place: streaming a file to stdout works, /dev/null stays.
TEST(CliOutputs, DevicesAndPipesAreWrittenInPlace) {
  auto r = test::run_cli("--threads 1 generate \"a person walks\" --seconds 1 -o /dev/stdout --format json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // The file, then the report line (stderr, merged by run_cli).
  auto j = nlohmann::json::parse(r.output.substr(0, r.output.find('\n')));
  EXPECT_NE(r.output.find("/dev/stdout: 20 frames"), std::string::npos) << r.output;
  EXPECT_EQ(j["frames"].size(), 20u);
  EXPECT_EQ(test::run_cli("--threads 1 generate \"a person walks\" --seconds 1 -o /dev/null --format bvh").exit_code, 0);
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
  test::expect_one_line_error(test::run_cli("generate \"a person walks\" --seconds 1 -o /dev/null"), "/dev/null: unknown output format ''");
  test::TempDir d;
  test::expect_one_line_error(test::run_cli("generate \"a person walks\" --seconds 1 -o " + d.path.string() + " --format bvh"),
                              ": is a directory");
}

}  // namespace
}  // namespace mogo
