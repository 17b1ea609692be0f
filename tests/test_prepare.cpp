// `mogo prepare` on real clips: the HumanML3D layout, sane feature statistics, mirroring.
#include <filesystem>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "data/prepare.hpp"
#include "data/split.hpp"
#include "data/text_file.hpp"
#include "motion/npy.hpp"
#include "motion/skeleton.hpp"
#include "real_data.hpp"
#include "test_util.hpp"

using namespace mogo;
namespace fs = std::filesystem;

TEST(Prepare, WritesTheHumanML3DLayout) {
  const auto& dir = test::real_prepared_dir();
  for (const char* f : {"Mean.npy", "Std.npy", "train.txt", "val.txt", "test.txt", "skeleton.json", "prepare_report.json"})
    EXPECT_TRUE(fs::exists(fs::path(dir) / f)) << f;
  auto train = read_split(dir + "/train.txt");
  EXPECT_EQ(train.size(), 8u);  // 4 clips + mirrored copies
  EXPECT_EQ(read_split(dir + "/test.txt").size(), 2u);
  for (const auto& id : train) {
    EXPECT_TRUE(fs::exists(dir + "/new_joint_vecs/" + id + ".npy")) << id;
    EXPECT_TRUE(fs::exists(dir + "/new_joints/" + id + ".npy")) << id;
    EXPECT_TRUE(fs::exists(dir + "/texts/" + id + ".txt")) << id;
  }
  auto mean = npy::load(dir + "/Mean.npy");
  auto std = npy::load(dir + "/Std.npy");
  EXPECT_EQ(mean.sizes(), torch::IntArrayRef({251}));
  EXPECT_EQ(std.sizes(), torch::IntArrayRef({251}));
  EXPECT_TRUE((std > 0).all().item<bool>());
  auto skel = Skeleton::load(dir + "/skeleton.json");
  EXPECT_EQ(skel.num_joints(), 21);
  EXPECT_TRUE(skel.target_offsets.defined());
}

TEST(Prepare, FeatureStatisticsAreSane) {
  const auto& dir = test::real_prepared_dir();
  auto skel = Skeleton::load(dir + "/skeleton.json");
  auto L = skel.layout();
  // Hips height from the target body: sum of the leg bones' vertical extent, roughly.
  double leg = skel.target_offsets[14].norm().item<double>() + skel.target_offsets[15].norm().item<double>();
  for (const auto& id : read_split(dir + "/train.txt")) {
    auto f = npy::load(dir + "/new_joint_vecs/" + id + ".npy");
    EXPECT_TRUE(torch::isfinite(f).all().item<bool>()) << id;
    double root_y = f.select(1, L.root_height().begin).mean().item<double>();
    EXPECT_GT(root_y, 0.6 * leg) << id;  // root height ~ hips height
    EXPECT_LT(root_y, 1.3 * leg) << id;
    auto contacts = f.slice(1, L.foot_contacts().begin, L.foot_contacts().end());
    if (id.find("walk") != std::string::npos) {
      double frac = contacts.mean().item<double>();
      EXPECT_GT(frac, 0.2) << id;  // feet touch the ground while walking
      EXPECT_LT(frac, 0.95) << id; // ... and lift off
    }
  }
}

TEST(Prepare, MirroredClipsSwapLeftAndRight) {
  const auto& dir = test::real_prepared_dir();
  auto a = npy::load(dir + "/new_joints/dataset-1_walk_normal_001.npy");
  auto b = npy::load(dir + "/new_joints/Mdataset-1_walk_normal_001.npy");
  ASSERT_EQ(a.sizes(), b.sizes());
  // Mirrored: the left toe (16) of the copy tracks the right toe (20) of the original, x negated
  // (both are normalised to face +Z at frame 0, so the mirror is exact up to the facing).
  auto ya = a.select(1, 20).select(1, 1);
  auto yb = b.select(1, 16).select(1, 1);
  EXPECT_LT((ya - yb).abs().max().item<double>(), 0.02);
  EXPECT_EQ(swap_left_right("Left foot, then right."), "Right foot, then left.");
}

TEST(Prepare, CliReportsSummaryAndBadInput) {
  test::TempDir out;
  auto r = test::run_cli("prepare " + test::real_clips_dir() + " " + (out / "p") + " --limit 1 --no-mirror");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("prepared 3 clips"), std::string::npos) << r.output;
  test::TempDir empty;
  auto bad = test::run_cli("prepare " + empty.path.string() + " " + (out / "q"));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("no bvh/ folder"), std::string::npos) << bad.output;
}

namespace {
std::string prepare_error(const PrepareOptions& o) {
  try {
    prepare_dataset(o);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

PrepareOptions quiet_prepare(const std::string& in, const std::string& out) {
  PrepareOptions o;
  o.input_dir = in;
  o.output_dir = out;
  o.progress = false;
  o.limit = 1;
  return o;
}
}  // namespace

TEST(Prepare, NeverWritesIntoItsInputOrAForeignFolder) {
  test::TempDir d;
  fs::copy(test::real_clips_dir(), d.path / "in", fs::copy_options::recursive);
  const std::string in = d / "in", lists = read_file(d / "in/train.txt");
  EXPECT_NE(prepare_error(quiet_prepare(in, in)).find("the output folder is the input folder"), std::string::npos);
  EXPECT_NE(prepare_error(quiet_prepare(in, in + "/sub")).find("inside the input folder"), std::string::npos);
  fs::create_directories(d.path / "home");
  write_file_atomically(d / "home/notes.txt", "mine");
  EXPECT_NE(prepare_error(quiet_prepare(in, d / "home")).find("exists and is not a prepared dataset"), std::string::npos);
  EXPECT_EQ(read_file(d / "in/train.txt"), lists);
  EXPECT_EQ(read_file(d / "home/notes.txt"), "mine");
  // A prepared dataset is replaced as a whole, in one step (the two folders' names swapped).
  prepare_dataset(quiet_prepare(in, d / "out"));
  write_file_atomically(d / "out/marker", "old");
  prepare_dataset(quiet_prepare(in, d / "out"));
  EXPECT_FALSE(fs::exists(d / "out/marker"));
  EXPECT_TRUE(fs::exists(d / "out/prepare_report.json"));
  EXPECT_EQ(test::list_dir(d.path.string()), (std::vector<std::string>{"home", "in", "out"}));
  // A bare relative output name: a killed run's leftovers beside it are found too.
  const auto cwd = fs::current_path();
  fs::current_path(d.path);
  write_file_atomically("rel.mogo-tmp.4194305/x", "left by a killed run");
  prepare_dataset(quiet_prepare(in, "rel"));
  fs::current_path(cwd);
  EXPECT_FALSE(fs::exists(d / "rel.mogo-tmp.4194305"));
  EXPECT_TRUE(fs::exists(d / "rel/prepare_report.json"));
}

TEST(Prepare, WhenEveryClipFailsTheReasonIsShownAndNothingIsLeft) {
  test::TempDir d;
  fs::copy(test::real_clips_dir(), d.path / "in", fs::copy_options::recursive);
  for (const auto& e : fs::directory_iterator(d.path / "in/bvh")) write_file_atomically(e.path().string(), "HIERARCHY\nROOT");
  auto e = prepare_error(quiet_prepare(d / "in", d / "out"));
  EXPECT_NE(e.find("no training clip could be read; the first: "), std::string::npos) << e;
  EXPECT_NE(e.find(".bvh"), std::string::npos) << e;  // the clip and the parser's reason
  EXPECT_EQ(test::list_dir(d.path.string()), std::vector<std::string>{"in"});
}

TEST(Prepare, DuplicateIdsAndSplitOverlapAreReported) {
  test::TempDir d;
  fs::copy(test::real_clips_dir(), d.path / "in", fs::copy_options::recursive);
  const auto train = read_split(d / "in/train.txt");
  write_split(d / "in/train.txt", {train[0], train[0], train[1]});
  write_split(d / "in/test.txt", {train[1]});
  write_file_atomically(d / "out.mogo-tmp.4194305/junk", "a killed run's folder");
  write_file_atomically(d / "results.tmp.2024/data.csv", "a user's folder that only looks like a temporary");
  write_file_atomically(d / "notes.tmp.31337", "a user's file");
  auto o = quiet_prepare(d / "in", d / "out");
  o.limit = 0;
  auto s = prepare_dataset(o);
  ASSERT_EQ(s.warnings.size(), 2u);
  EXPECT_NE(s.warnings[0].find("train.txt lists '" + train[0] + "' more than once"), std::string::npos) << s.warnings[0];
  EXPECT_NE(s.warnings[1].find("'" + train[1] + "' is in both train.txt and test.txt"), std::string::npos) << s.warnings[1];
  EXPECT_EQ(read_split(d / "out/train.txt").size(), 4u);  // 2 clips + mirrors
  EXPECT_FALSE(fs::exists(d / "out.mogo-tmp.4194305"));
  EXPECT_EQ(read_file(d / "results.tmp.2024/data.csv"), "a user's folder that only looks like a temporary");
  EXPECT_EQ(read_file(d / "notes.tmp.31337"), "a user's file");
  EXPECT_EQ(s.mapping.find("bandai.json") != std::string::npos, true) << s.mapping;
}
