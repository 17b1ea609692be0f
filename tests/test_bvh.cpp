// BVH parsing, forward kinematics, resampling, export/re-import, malformed input, three.js load.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "common/error.hpp"
#include "motion/bvh.hpp"
#include "motion/features.hpp"
#include "real_data.hpp"
#include "test_util.hpp"

using namespace mogo;
using test::max_abs_diff;

namespace {

// Root at (1,2,3) rotated 90 degrees about Z; Spine 10 units up; Arm 5 units along +X from Spine,
// Arm's own rotation 90 about Y (channel order X then Y).
const char* kSmall = R"(HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Spine
  {
    OFFSET 0 10 0
    CHANNELS 3 Xrotation Yrotation Zrotation
    JOINT Arm
    {
      OFFSET 5 0 0
      CHANNELS 3 Xrotation Yrotation Zrotation
      End Site
      {
        OFFSET 0 4 0
      }
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.0333333
1 2 3 90 0 0 0 0 0 0 0 0
1 2 3 0 0 0 0 0 90 0 90 0
)";

void expect_parse_error(const std::string& text, const std::string& needle) {
  try {
    bvh::parse(text, "bad.bvh");
    FAIL() << "expected error with '" << needle << "'";
  } catch (const Error& e) {
    std::string w = e.what();
    EXPECT_NE(w.find(needle), std::string::npos) << w;
    EXPECT_NE(w.find("bad.bvh:"), std::string::npos) << w;
  }
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  s.replace(s.find(from), from.size(), to);
  return s;
}

}  // namespace

TEST(Bvh, ParsesHierarchyAndChannels) {
  auto b = bvh::parse(kSmall, "small.bvh");
  ASSERT_EQ(b.joints.size(), 3u);
  EXPECT_EQ(b.joints[1].name, "Spine");
  EXPECT_EQ(b.joints[2].parent, 1);
  EXPECT_TRUE(b.joints[2].has_end_site);
  EXPECT_EQ(b.frames, 2);
  EXPECT_NEAR(b.frame_time, 0.0333333, 1e-9);
  EXPECT_EQ(b.num_channels(), 12);
  EXPECT_EQ(b.joints[1].channel_start, 6);
}

TEST(Bvh, ForwardKinematicsGivesKnownPositions) {
  auto p = bvh::global_positions(bvh::parse(kSmall, "small.bvh"));  // [2,3,3]
  // Frame 0: Rz(90) takes (0,10,0) to (-10,0,0) and (5,0,0) to (0,5,0).
  EXPECT_LT(max_abs_diff(p[0][0], torch::tensor({1.0, 2.0, 3.0}, torch::kDouble)), 1e-9);
  EXPECT_LT(max_abs_diff(p[0][1], torch::tensor({-9.0, 2.0, 3.0}, torch::kDouble)), 1e-9);
  EXPECT_LT(max_abs_diff(p[0][2], torch::tensor({-9.0, 7.0, 3.0}, torch::kDouble)), 1e-9);
  // Frame 1: Spine rotates Rz(90) (its X,Y,Z channels = 0,0,90): Arm offset (5,0,0) -> (0,5,0).
  EXPECT_LT(max_abs_diff(p[1][1], torch::tensor({1.0, 12.0, 3.0}, torch::kDouble)), 1e-9);
  EXPECT_LT(max_abs_diff(p[1][2], torch::tensor({1.0, 17.0, 3.0}, torch::kDouble)), 1e-9);
}

TEST(Bvh, ChannelOrderMatters) {
  // Rx(90) then Ry(90) (intrinsic) vs Ry(90) then Rx(90) move the child differently.
  std::string xy = replace(replace(kSmall, "1 2 3 90 0 0 0 0 0 0 0 0", "0 0 0 0 0 0 90 90 0 0 0 0"),
                           "1 2 3 0 0 0 0 0 90 0 90 0", "0 0 0 0 0 0 90 90 0 0 0 0");
  std::string yx = replace(xy, "CHANNELS 3 Xrotation Yrotation Zrotation\n    JOINT Arm",
                           "CHANNELS 3 Yrotation Xrotation Zrotation\n    JOINT Arm");
  auto a = bvh::global_positions(bvh::parse(xy, "xy"));
  auto b = bvh::global_positions(bvh::parse(yx, "yx"));
  // Rx(90) Ry(90) (5,0,0): Ry takes it to (0,0,-5); Rx takes that to (0,5,0).
  EXPECT_LT(max_abs_diff(a[0][2] - a[0][1], torch::tensor({0.0, 5.0, 0.0}, torch::kDouble)), 1e-9);
  // Ry(90) Rx(90) (5,0,0): Rx keeps it; Ry takes it to (0,0,-5).
  EXPECT_LT(max_abs_diff(b[0][2] - b[0][1], torch::tensor({0.0, 0.0, -5.0}, torch::kDouble)), 1e-9);
}

TEST(Bvh, ResamplesToTwentyFps) {
  auto x = torch::arange(31, torch::kDouble).view({31, 1});  // 1 s at 30 fps, value = frame index
  auto y = bvh::resample(x, 30.0, 20.0);
  ASSERT_EQ(y.size(0), 21);
  EXPECT_NEAR(y[1][0].item<double>(), 1.5, 1e-12);
  EXPECT_NEAR(y[20][0].item<double>(), 30.0, 1e-12);
  auto z = bvh::resample(torch::arange(121, torch::kDouble).view({121, 1}), 120.0, 20.0);
  ASSERT_EQ(z.size(0), 21);
  EXPECT_NEAR(z[3][0].item<double>(), 18.0, 1e-12);
}

TEST(Bvh, MalformedFilesNameLineAndProblem) {
  expect_parse_error(replace(kSmall, "Xrotation Yrotation Zrotation\n    JOINT", "Xrotation Wrotation Zrotation\n    JOINT"),
                     "unknown channel name 'Wrotation'");
  expect_parse_error(replace(kSmall, "1 2 3 0 0 0 0 0 90 0 90 0\n", "1 2 3 0 0 0 0 0 90 0 90\n"), "truncated motion");
  expect_parse_error(replace(kSmall, "1 2 3 90", "1 2 x 90"), "expected a number");
  expect_parse_error(replace(kSmall, "Frames: 2", "Frames: two"), "expected an integer");
  expect_parse_error(replace(kSmall, "CHANNELS 3 Xrotation Yrotation Zrotation\n    JOINT Arm", "CHANNELS 7 Xrotation Yrotation Zrotation\n    JOINT Arm"), "out of range");
  expect_parse_error(std::string(kSmall).substr(0, 300), "unexpected end of file");
  expect_parse_error("HIERARCHY\nROOT Hips\n{\n  OFFSET 0 0 0\n  CHANNELS 2 Xposition Yposition\n  JOINT A\n  {\n    OFFSET 1 2\n", "expected OFFSET value");
  expect_parse_error(replace(kSmall, "1 2 3 0 0 0 0 0 90 0 90 0\n", "1 2 3 0 0 0 0 0 90 0 90 0 7\n"), "more motion values");
  expect_parse_error(replace(kSmall, "Frame Time: 0.0333333", "Frame Time: 0"), "Frame Time must be in [0.001, 10] s");
  expect_parse_error(replace(kSmall, "Frame Time: 0.0333333", "Frame Time: 300"), "found 300");
  expect_parse_error(replace(kSmall, "Frame Time: 0.0333333", "Frame Time: 1e-12"), "found 1e-12");
  // The line number points at the offending line (line 7: the first JOINT's CHANNELS).
  expect_parse_error(replace(kSmall, "CHANNELS 3 Xrotation Yrotation Zrotation\n    JOINT Arm", "CHANNELS 3 Xrotation Yrotation Qrotation\n    JOINT Arm"), "bad.bvh:9:");
}

TEST(Bvh, FuzzNeverCrashes) {
  std::mt19937 rng(7);
  const std::string good = kSmall;
  int errors = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string s = good;
    switch (i % 4) {
      case 0: s.resize(rng() % s.size()); break;
      case 1: for (int k = 0; k < 3; ++k) s[rng() % s.size()] = static_cast<char>(rng() % 128); break;
      case 2: s.erase(rng() % s.size(), 1 + rng() % 20); break;
      default: s.insert(rng() % s.size(), std::string(1 + rng() % 5, "{}0-9 \nJOINT"[rng() % 13])); break;
    }
    try {
      auto b = bvh::parse(s, "fuzz");
      if (b.frames > 0) bvh::global_positions(b);
    } catch (const Error&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 500);
}

TEST(Bvh, MappingNamesAMissingJoint) {
  auto m = bvh::Mapping::load(test::source_dir() + "/data/skeletons/cmu-motionbuilder.json");
  EXPECT_EQ(m.skeleton.num_joints(), 22);
  EXPECT_EQ(m.source_names[1], "LeftUpLeg");
  auto b = bvh::parse(kSmall, "small.bvh");
  try {
    bvh::joints_from_bvh(b, m, 20.0, "small.bvh");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'LeftUpLeg'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos);
  }
}

TEST(BvhReal, LoadsRealClipsInMetresAtTwentyFps) {
  auto m = bvh::Mapping::load(test::source_dir() + "/data/skeletons/bandai.json");
  auto path = test::real_clips_dir() + "/bvh/dataset-1_walk_normal_001.bvh";
  auto b = bvh::load(path);
  EXPECT_NEAR(b.frame_time, 1.0 / 30, 1e-4);
  auto j = bvh::load_joints(path, m);
  EXPECT_EQ(j.size(1), 21);
  EXPECT_EQ(j.size(0), static_cast<int64_t>(std::floor((b.frames - 1) * b.frame_time * 20 + 1e-6)) + 1);
  double hips = j.select(1, 0).select(1, 1).mean().item<double>();
  EXPECT_GT(hips, 0.7);  // centimetres detected and converted: hips ~0.9 m
  EXPECT_LT(hips, 1.2);
  double head_above_hips = (j.select(1, 4).select(1, 1) - j.select(1, 0).select(1, 1)).mean().item<double>();
  EXPECT_GT(head_above_hips, 0.3);
  // Walking forward after normalisation means +Z velocity.
  auto f = extract_features(j, m.skeleton).features;
  EXPECT_GT(f.select(1, 2).mean().item<double>(), 0.03);
}

namespace {
// A real clip (raw BVH joints resampled to 20 fps) exported as BVH; returns the joints written.
torch::Tensor export_real_clip(const std::string& id, const std::string& path, bool position_channels = true) {
  auto m = bvh::Mapping::load(test::source_dir() + "/data/skeletons/bandai.json");
  auto j = bvh::load_joints(test::real_clips_dir() + "/bvh/" + id + ".bvh", m);
  bvh::WriteOptions o;
  o.position_channels = position_channels;
  bvh::save(path, j, m.skeleton, o);
  return j;
}
}  // namespace

TEST(BvhReal, ExportReimportsWithinOneMillimetre) {
  test::TempDir dir;
  // With position channels the re-import is exact; rotations alone come within a few mm here,
  // since resampling 30 -> 20 fps interpolates positions and bends the rig's rigidity slightly.
  auto j = export_real_clip("dataset-1_run_normal_001", dir / "out.bvh");
  export_real_clip("dataset-1_run_normal_001", dir / "rot.bvh", false);
  auto same = bvh::Mapping::load(test::source_dir() + "/data/skeletons/bandai.json");
  same.scale = 0.01;
  auto back = bvh::load_joints(dir / "out.bvh", same, 20.0);
  ASSERT_EQ(back.sizes(), j.sizes());
  double err = max_abs_diff(back, j);
  double rot_err = max_abs_diff(bvh::load_joints(dir / "rot.bvh", same, 20.0), j);
  std::printf("    re-import max error %.4f mm (position channels), %.4f mm (rotations only)\n", err * 1000, rot_err * 1000);
  EXPECT_LT(err, 1e-3);
  EXPECT_LT(rot_err, 10e-3);
  // The hierarchy holds exactly the skeleton's joints (End Sites are not joints).
  auto b = bvh::load(dir / "out.bvh");
  EXPECT_EQ(b.joints.size(), 21u);
}

TEST(BvhReal, ExportLoadsInThreeJs) {
  if (!test::threejs_available()) GTEST_SKIP() << "three.js not installed (scripts/setup.sh)";
  test::TempDir dir;
  auto j = export_real_clip("dataset-1_bow_active_001", dir / "out.bvh");
  auto r = test::check_bvh_with_threejs(dir / "out.bvh");
  ASSERT_FALSE(r.contains("error")) << r["error"];
  EXPECT_EQ(r["bones"].get<int>(), 21 + 5);  // 21 joints + one End Site bone per leaf
  EXPECT_EQ(r["frames"].get<int64_t>(), j.size(0));
  EXPECT_EQ(r["root"], "Hips");
}
