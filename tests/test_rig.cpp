// Third-party rigs: the shipped mappings are chosen from the joint names, units are read off the
// body's stature, zero-length bones are spread, and the real CMU sample imports to a person of
// plausible height with finite features that round-trip through `joints`.
#include <filesystem>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "motion/bvh.hpp"
#include "motion/features.hpp"
#include "motion/npy.hpp"
#include "motion/rig.hpp"
#include "real_data.hpp"
#include "test_util.hpp"

namespace mogo {
namespace {

std::string cmu_dir() { return test::shared_dir() + "/data/cmu-sample"; }
torch::Tensor reference_joints() { return npy::load(test::reference_dir() + "/new_joints_012314.npy").to(torch::kDouble); }

// HumanML3D features -> joints must give back the joints they were computed from.
double round_trip_error_m(const torch::Tensor& joints, const Skeleton& skel) {
  auto r = extract_features(joints, skel);
  auto back = recover_from_ric(r.features, skel.num_joints());
  const int64_t T = r.features.size(0);
  return test::max_abs_diff(back, r.global_positions.narrow(0, 0, T));
}

TEST(Rig, CmuSampleImportsAsAPlausiblePersonWithFiniteFeatures) {
  for (const char* file : {"131_03.bvh", "scaled_131_03.bvh"}) {
    const std::string path = cmu_dir() + "/" + file;
    const auto b = bvh::load(path);
    const auto m = bvh::Mapping::detect(b, path);
    EXPECT_EQ(std::filesystem::path(m.name).stem(), "cmu-3dsmax") << file;
    const auto joints = bvh::joints_from_bvh(b, m, 20.0, path);
    const double h = rig::stature(joints, m.skeleton);
    EXPECT_GT(h, 1.5) << file;
    EXPECT_LT(h, 1.9) << file;
    auto f = extract_features(joints, m.skeleton).features;
    EXPECT_TRUE(torch::isfinite(f).all().item<bool>()) << file;
    EXPECT_LT(round_trip_error_m(joints, m.skeleton), 1e-3) << file;
  }
}

TEST(Rig, ZeroLengthBonesTakeTheirDirectionFromTheNextSegment) {
  auto s = Skeleton::humanml3d();
  auto j = reference_joints().narrow(0, 0, 10).clone();
  const int64_t pelvis = 0, spine1 = s.index_of("spine1"), spine2 = s.index_of("spine2");
  const int64_t collar = s.index_of("left_collar"), spine3 = s.index_of("spine3"), shoulder = s.index_of("left_shoulder");
  j.select(1, spine1).copy_(j.select(1, pelvis));  // CMU's lowerback sits on the hips
  j.select(1, collar).copy_(j.select(1, spine3));  // ... and its collars on the neck base
  EXPECT_THROW(extract_features(j, s), Error);      // a zero vector has no direction
  int64_t moved = 0;
  auto fixed = rig::spread_zero_length_bones(j, s, &moved);
  EXPECT_EQ(moved, 2);
  EXPECT_LT(test::max_abs_diff(fixed.select(1, spine1), (j.select(1, pelvis) + j.select(1, spine2)) / 2), 1e-9);
  EXPECT_LT(test::max_abs_diff(fixed.select(1, collar), (j.select(1, spine3) + j.select(1, shoulder)) / 2), 1e-9);
  EXPECT_TRUE(torch::isfinite(extract_features(fixed, s).features).all().item<bool>());
  // Nothing moves in a skeleton without zero-length bones.
  EXPECT_TRUE(torch::equal(rig::spread_zero_length_bones(reference_joints(), s, &moved), reference_joints()));
  EXPECT_EQ(moved, 0);
}

TEST(Rig, UnitsAreReadOffTheStature) {
  auto s = Skeleton::humanml3d();
  auto j = reference_joints();
  EXPECT_NEAR(rig::stature(j, s), 1.6, 0.15);
  for (auto [unit, metres] : {std::pair<const char*, double>{"m", 1.0}, {"cm", 0.01}, {"mm", 0.001}, {"inch", 0.0254}, {"cmu", 0.056444}}) {
    auto d = rig::detect_unit(j / metres, s);
    EXPECT_EQ(d.name, unit);
    EXPECT_EQ(d.metres_per_unit, metres);
    EXPECT_EQ(rig::unit_scale(unit, "--units"), metres);
  }
  EXPECT_EQ(rig::unit_scale("0.5", "--units"), 0.5);
  for (const char* bad : {"furlong", "", "-1", "0", "inf", "1x"}) EXPECT_THROW(rig::unit_scale(bad, "--units"), Error) << bad;
}

// Each shipped mapping onto the HumanML3D body is recognised from a file with its joint names:
// the reference motion written as BVH (centimetres) under the rig's names.
TEST(Rig, TheShippedMappingIsChosenFromTheJointNames) {
  auto joints = reference_joints().to(torch::kFloat);
  int checked = 0;
  for (const auto& e : std::filesystem::directory_iterator(bvh::shipped_mappings_dir())) {
    auto m = bvh::Mapping::load(e.path().string());
    if (m.skeleton.name != "humanml3d") continue;
    Skeleton renamed = m.skeleton;
    renamed.joint_names = m.source_names;
    const auto b = bvh::parse(bvh::write(joints, renamed, {}), "renamed.bvh");
    const auto found = bvh::Mapping::detect(b, "renamed.bvh");
    EXPECT_EQ(found.name, m.name);
    auto back = bvh::joints_from_bvh(b, found, 20.0, "renamed.bvh");
    EXPECT_LT(test::max_abs_diff(back, joints), 1e-3) << m.name;
    ++checked;
  }
  EXPECT_GE(checked, 3);  // CMU 3dsMax, CMU MotionBuilder, Mixamo
  // The Bandai rig, from a real clip; a namespace prefix on the file's joints does not matter.
  const auto real = test::real_clips_dir() + "/bvh/" + test::real_clip_ids()[0] + ".bvh";
  EXPECT_EQ(std::filesystem::path(bvh::Mapping::detect(bvh::load(real), real).name).stem(), "bandai");
  auto text = read_file(real);
  for (std::string joint : {"Hips", "Spine", "Chest"}) {
    auto at = text.find("JOINT " + joint + "\n");
    if (at == std::string::npos) at = text.find("ROOT " + joint + "\n");
    if (at != std::string::npos) text.insert(text.find(' ', at) + 1, "rig:");
  }
  EXPECT_EQ(std::filesystem::path(bvh::Mapping::detect(bvh::parse(text, "prefixed.bvh"), "prefixed.bvh").name).stem(), "bandai");
}

TEST(Rig, AnUnknownRigNamesWhatEachMappingMisses) {
  const char* text = "HIERARCHY\nROOT Root\n{\n OFFSET 0 0 0\n CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation\n"
                     " End Site\n {\n  OFFSET 0 1 0\n }\n}\nMOTION\nFrames: 2\nFrame Time: 0.05\n0 0 0 0 0 0\n0 0 0 0 0 0\n";
  try {
    bvh::Mapping::detect(bvh::parse(text, "odd.bvh"), "odd.bvh");
    FAIL();
  } catch (const Error& e) {
    std::string w = e.what();
    EXPECT_NE(w.find("odd.bvh: no shipped joint mapping fits"), std::string::npos) << w;
    EXPECT_NE(w.find("mixamo (no 'mixamorig:Hips')"), std::string::npos) << w;
    EXPECT_NE(w.find("--mapping"), std::string::npos) << w;
  }
}

TEST(Rig, CliImportsCmuWithoutAMappingAndHonoursUnits) {
  test::TempDir d;
  auto r = test::run_cli("bvh-import " + cmu_dir() + "/131_03.bvh " + (d / "f.npy") + " --features");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("mapping cmu-3dsmax, stature 1.6"), std::string::npos) << r.output;
  auto f = npy::load(d / "f.npy");
  EXPECT_EQ(f.size(1), 263);
  EXPECT_TRUE(torch::isfinite(f).all().item<bool>());
  auto back = test::run_cli("joints " + (d / "f.npy") + " " + (d / "j.npy"));
  EXPECT_EQ(back.exit_code, 0) << back.output;
  auto cm = test::run_cli("bvh-import " + cmu_dir() + "/131_03.bvh " + (d / "j.npy") + " --units cm");
  EXPECT_NE(cm.output.find("stature 0.29 m"), std::string::npos) << cm.output;  // the 25-cm person of a wrong unit
  auto bad = test::run_cli("bvh-import " + cmu_dir() + "/131_03.bvh " + (d / "j.npy") + " --units furlong");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("--units: unknown unit 'furlong'"), std::string::npos) << bad.output;
}

}  // namespace
}  // namespace mogo
