// Hostile inputs to the CLI: a command never overwrites its own input (whatever name reaches it),
// absurd numbers and non-finite values are refused with a line naming the file, timelines are
// followed as written or refused, seeds are never cut, and no input can make a command hang.
#include <sys/stat.h>

#include <filesystem>
#include <regex>

#include "common/atomic_file.hpp"
#include "data/motion_dataset.hpp"
#include "engine/timeline.hpp"
#include "model/model_file.hpp"
#include "motion/npy.hpp"
#include "real_data.hpp"
#include "test_util.hpp"

namespace mogo {
namespace {

namespace fs = std::filesystem;

// Every CLI call here ends within a minute, or the shell ends it (a hang fails, it does not stall
// the suite).
test::CommandResult cli(const std::string& args) { return test::run_cli(args, "timeout 120 "); }

std::string shipped_bvh(const test::TempDir& d) {
  static std::string bytes;
  if (bytes.empty()) {
    auto r = cli("generate \"a person walks forward\" --seconds 1 --seed 1 -o " + (d / "walk.bvh"));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    bytes = read_file(d / "walk.bvh");
  }
  write_file_atomically(d / "walk.bvh", bytes);
  return d / "walk.bvh";
}

TEST(CliInputs, SingleFileCommandsNeverOverwriteTheirInput) {
  test::TempDir d;
  const auto bvh = shipped_bvh(d);
  fs::copy_file(test::reference_dir() + "/new_joints_012314.npy", d / "j.npy");
  fs::copy_file(test::reference_dir() + "/new_joint_vecs_012314.npy", d / "f.npy");
  fs::create_symlink(d / "j.npy", d / "alias.npy");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"bvh-import " + bvh + " " + bvh, bvh},
      {"features " + (d / "j.npy") + " " + (d / "j.npy"), d / "j.npy"},
      {"features " + (d / "j.npy") + " " + (d / "alias.npy"), d / "j.npy"},  // another name, the same file
      {"joints " + (d / "f.npy") + " " + (d / "f.npy"), d / "f.npy"},
      {"export " + (d / "f.npy") + " " + (d / "f.npy") + " --skeleton humanml3d", d / "f.npy"},
      {"generate \"a person jumps\" --from " + bvh + " -o " + bvh, bvh},
      {"generate \"a person jumps\" --from " + bvh + " -o " + (d / "./walk.bvh"), bvh},
  };
  for (const auto& [args, input] : cases) {
    const auto before = read_file(input);
    auto r = cli(args);
    test::expect_one_line_error(r, "is the input file");
    EXPECT_EQ(read_file(input), before) << args;
  }
}

TEST(CliInputs, AKilledWritesLeftoverGoesWithTheNextWriteOfThatFile) {
  test::TempDir d;
  fs::copy_file(test::reference_dir() + "/new_joints_012314.npy", d / "j.npy");
  // What a generate or export killed between writing and renaming leaves (pid above pid_max).
  write_file_atomically(d / "out.glb.mogo-tmp.4194305", "half a glb");
  write_file_atomically(d / "out.glb.tmp.4194305", "a user's file that only looks like one");
  auto r = cli("export " + (d / "j.npy") + " " + (d / "out.glb") + " --skeleton humanml3d");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(test::list_dir(d.path.string()), (std::vector<std::string>{"j.npy", "out.glb", "out.glb.tmp.4194305"}));
}

TEST(CliInputs, AbsurdNumbersAndNonFiniteValuesAreRefusedNamingTheFile) {
  test::TempDir d;
  const std::string text = read_file(shipped_bvh(d));
  // The BVH's own numbers: a root position of 1e308, Frame Times far outside 0.1-1000 fps.
  const auto motion = text.find("Frame Time:");
  const auto first_value = text.find('\n', motion) + 1;
  write_file_atomically(d / "far.bvh", text.substr(0, first_value) + "1e308" + text.substr(text.find(' ', first_value)));
  test::expect_one_line_error(cli("bvh-import " + (d / "far.bvh") + " " + (d / "o.npy")), "far.bvh");
  for (const std::string ft : {"300", "1000000", "1e-12"}) {
    write_file_atomically(d / "ft.bvh", std::regex_replace(text, std::regex("Frame Time: [0-9.e-]+"), "Frame Time: " + ft));
    test::expect_one_line_error(cli("bvh-import " + (d / "ft.bvh") + " " + (d / "o.npy")), "Frame Time must be in");
  }
  for (const std::string units : {"1e308", "1e-300"})
    test::expect_one_line_error(cli("bvh-import " + (d / "walk.bvh") + " " + (d / "o.npy") + " --units " + units),
                                "metres per file unit is outside");
  // Features with NaN, or no frames: refused, nothing written.
  auto f = npy::load(test::reference_dir() + "/new_joint_vecs_012314.npy");
  f[3][7] = std::nan("");
  npy::save(d / "nan.npy", f);
  test::expect_one_line_error(cli("joints " + (d / "nan.npy") + " " + (d / "out.npy")), "nan.npy: the features hold NaN");
  npy::save(d / "empty.npy", torch::zeros({0, 263}));
  test::expect_one_line_error(cli("joints " + (d / "empty.npy") + " " + (d / "out.npy")), "empty.npy: the features have no frames");
  test::expect_one_line_error(cli("export " + (d / "empty.npy") + " " + (d / "o.json") + " --skeleton humanml3d"), "no frames");
  EXPECT_FALSE(fs::exists(d / "out.npy"));
  EXPECT_FALSE(fs::exists(d / "o.json"));
  // A continuation from a clip with NaN names the clip.
  test::expect_one_line_error(cli("generate \"a person jumps\" --from " + (d / "nan.npy") + " -o " + (d / "c.bvh")), "nan.npy");
}

TEST(CliInputs, PipesDevicesAndFifosAsInputsFailAtOnce) {
  test::TempDir d;
  ASSERT_EQ(::mkfifo((d / "fifo.pt").c_str(), 0600), 0);
  ASSERT_EQ(::mkfifo((d / "fifo.bvh").c_str(), 0600), 0);
  test::expect_one_line_error(cli("generate \"a person walks\" -m /dev/zero -o " + (d / "a.bvh")), "not a regular file");
  test::expect_one_line_error(cli("generate \"a person walks\" -m " + (d / "fifo.pt") + " -o " + (d / "a.bvh")), "not a regular file");
  test::expect_one_line_error(cli("generate \"a person walks\" --from " + (d / "fifo.bvh") + " -o " + (d / "a.bvh")), "not a regular file");
  test::expect_one_line_error(cli("bvh-import " + (d / "fifo.bvh") + " " + (d / "a.npy")), "not a regular file");
}

TEST(CliInputs, TimelinesAreFollowedAsWrittenOrRefused) {
  // Entries closer than one latent step, past the motion's end or past the longest motion.
  auto t = [](const std::string& spec) { return parse_timeline(spec); };
  EXPECT_EQ(test::error_message([&] { check_timeline(t("0:walk;0.2:jump;0.4:sit"), 0); }), "no error");
  EXPECT_NE(test::error_message([&] { check_timeline(t("0:walk;0.01:jump"), 0); }).find("less than 0.2 s"), std::string::npos);
  EXPECT_NE(test::error_message([&] { check_timeline(t("0:walk;30:jump"), 5); }).find("after the motion ends (--seconds 5)"),
            std::string::npos);
  EXPECT_NE(test::error_message([&] { check_timeline(t("0:walk;1e308:jump"), 0); }).find("after the longest motion"),
            std::string::npos);
  std::string many = "0:a person walks";
  for (int i = 1; i < 1000; ++i) many += ";" + std::to_string(i * 0.2) + ":a person jumps";
  EXPECT_NE(test::error_message([&] { check_timeline(t(many), 0); }).find("after the longest motion"), std::string::npos);
  // Through the CLI, before any motion is made.
  test::TempDir d;
  test::expect_one_line_error(cli("generate --timeline \"0:a person walks;0.01:a person jumps\" -o " + (d / "t.bvh")), "timeline entry 2");
  test::expect_one_line_error(cli("generate --timeline \"0:a person walks;30:a person jumps\" --seconds 5 -o " + (d / "t.bvh")),
                              "after the motion ends");
}

TEST(CliInputs, SeedsOutside32BitsAndOtherSilentDefaultsAreErrors) {
  test::TempDir d;
  const std::string out = " -o " + (d / "s.bvh");
  for (const std::string seed : {"4294967296", "-1", "18446744073709551616", "1e23", "0x10"})
    test::expect_one_line_error(cli("generate \"a person walks\" --seed " + seed + out), "--seed");
  test::expect_one_line_error(cli("generate \"a person walks\" --seconds 0" + out), "--seconds");
  test::expect_one_line_error(cli("generate \"a person walks\" --window 8" + out), "--window applies to streamed generation");
  const auto bvh = shipped_bvh(d);
  test::expect_one_line_error(cli("generate \"a person jumps\" --from " + bvh + " --at 1e308" + out), "past the end of the motion");
  test::expect_one_line_error(cli("generate \"a person jumps\" --from " + bvh + " --at -1" + out), "--at must be a time in seconds > 0");
  test::expect_one_line_error(cli("generate \"a person jumps\" --from " + bvh + " --at 0" + out), "--at must be a time in seconds > 0");
  test::expect_one_line_error(cli("eval-vq " + test::source_dir() + "/models/vq-tiny.pt " + test::real_prepared_dir() + " --limit -1"),
                              "--limit");
  EXPECT_FALSE(fs::exists(d / "s.bvh"));
  // The largest seed works.
  auto r = cli("generate \"a person walks\" --seconds 0.4 --seed 4294967295" + out);
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST(CliInputs, ModelFilesWithNonFiniteWeightsAndDatasetsWithNaNAreRefused) {
  test::TempDir d;
  auto m = load_t2m_model(test::source_dir() + "/models/t2m-tiny.pt");
  {
    torch::NoGradGuard g;
    m.transformer->parameters()[3].view(-1)[0] = std::nan("");
  }
  save_t2m_model(d / "nan.pt", m, nullptr, true);
  auto r = cli("generate \"a person walks\" -m " + (d / "nan.pt") + " -o " + (d / "x.bvh"));
  test::expect_one_line_error(r, "nan.pt: tensor '");
  EXPECT_NE(r.output.find("holds NaN or infinite values"), std::string::npos) << r.output;
  // One NaN feature in a dataset made every eval-vq number NaN; now the clip is named.
  fs::copy(test::real_prepared_dir(), d / "ds", fs::copy_options::recursive);
  const auto id = read_file(d / "ds/test.txt").substr(0, read_file(d / "ds/test.txt").find('\n'));
  auto f = npy::load(d / ("ds/new_joint_vecs/" + id + ".npy"));
  f[0][0] = std::nan("");
  npy::save(d / ("ds/new_joint_vecs/" + id + ".npy"), f);
  EXPECT_NE(test::error_message([&] { MotionDataset(d / "ds", "test"); }).find(id + ".npy: features hold NaN"), std::string::npos);
}

}  // namespace
}  // namespace mogo
