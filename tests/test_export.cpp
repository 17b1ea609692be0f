// Animation-grade export: rotation-only BVH and glTF whose forward kinematics reproduce the
// joints (mogo's own BVH parser and three.js's BVHLoader / GLTFLoader), on real clips turned to 8
// headings and mirrored; continuous Euler channels; the CLI's flags.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>

#include "common/atomic_file.hpp"
#include "export/gltf.hpp"
#include "export/motion_writer.hpp"
#include "motion/bvh.hpp"
#include "motion/features.hpp"
#include "motion/npy.hpp"
#include "motion/quaternion.hpp"
#include "motion/skeletal_animation.hpp"
#include "real_data.hpp"
#include "common/error.hpp"
#include "test_util.hpp"

using namespace mogo;

namespace {

constexpr double kMillimetre = 1e-3;

// Turns a motion about Y by `degrees`.
torch::Tensor turned(const torch::Tensor& joints, double degrees) {
  const double a = degrees * M_PI / 180.0;
  auto q = torch::tensor({std::cos(a / 2), 0.0, std::sin(a / 2), 0.0}, torch::kDouble).expand({joints.size(0), joints.size(1), 4});
  return rot::qrot(q, joints.to(torch::kDouble));
}

struct Case {
  std::string name;
  torch::Tensor joints;  // [T,J,3] metres
  Skeleton skel;
};

// The real clips: the HumanML3D sample (22 joints) and Bandai clips prepared by `mogo prepare`
// (21 joints), each at 8 headings and mirrored.
std::vector<Case> real_cases(int64_t max_frames = 120) {
  std::vector<Case> base;
  auto h3d = npy::load(test::reference_dir() + "/new_joints_012314.npy").to(torch::kDouble);
  base.push_back({"humanml3d-012314", h3d.narrow(0, 0, std::min(max_frames, h3d.size(0))), Skeleton::humanml3d()});
  auto skel = Skeleton::load(test::real_prepared_dir() + "/skeleton.json");
  for (const auto& id : {"dataset-1_walk_normal_001", "dataset-1_bow_active_001", "dataset-1_run_normal_001"}) {
    auto f = npy::load(test::real_prepared_dir() + "/new_joint_vecs/" + std::string(id) + ".npy");
    auto j = recover_from_ric(f, skel.num_joints()).to(torch::kDouble);
    base.push_back({id, j.narrow(0, 0, std::min(max_frames, j.size(0))), skel});
  }
  std::vector<Case> out;
  for (const auto& c : base) {
    auto mirrored = mirror_joints(c.joints, mirror_map(c.skel));
    for (int h = 0; h < 8; ++h) {
      out.push_back({c.name + "@" + std::to_string(45 * h), turned(c.joints, 45 * h), c.skel});
      out.push_back({c.name + "@" + std::to_string(45 * h) + "-mirrored", turned(mirrored, 45 * h), c.skel});
    }
  }
  return out;
}

// Largest change of any rotation channel between consecutive frames (degrees).
double largest_rotation_step(const bvh::Bvh& b) {
  double worst = 0;
  for (const auto& j : b.joints)
    for (size_t k = 0; k < j.channels.size(); ++k) {
      if (j.channels[k] < bvh::Channel::Xrotation) continue;
      auto col = b.motion.select(1, j.channel_start + static_cast<int64_t>(k));
      worst = std::max(worst, (col.narrow(0, 1, col.size(0) - 1) - col.narrow(0, 0, col.size(0) - 1)).abs().max().item<double>());
    }
  return worst;
}

// A web tool's {"names", "frames"} as [T,J,3] in the skeleton's joint order.
torch::Tensor frames_of(const nlohmann::json& j, const Skeleton& s) {
  const auto& frames = j.at("frames");
  const auto names = j.at("names").get<std::vector<std::string>>();
  const int64_t T = static_cast<int64_t>(frames.size()), J = s.num_joints();
  auto out = torch::empty({T, J, 3}, torch::kDouble);
  for (int64_t k = 0; k < J; ++k) {
    const auto at = std::find(names.begin(), names.end(), s.joint_names[k]);
    EXPECT_NE(at, names.end()) << s.joint_names[k];
    const auto col = at - names.begin();
    for (int64_t t = 0; t < T; ++t)
      for (int d = 0; d < 3; ++d) out[t][k][d] = frames[t][col][d].get<double>();
  }
  return out;
}

// Joints of a parsed BVH in skeleton order, metres.
torch::Tensor bvh_joints(const bvh::Bvh& b, const Skeleton& s) {
  auto g = bvh::global_positions(b) / 100.0;
  std::vector<int64_t> idx;
  for (const auto& n : s.joint_names) idx.push_back(b.index_of(n));
  return g.index_select(1, torch::tensor(idx, torch::kLong));
}

}  // namespace

TEST(Euler, BothTripletsGiveTheSameRotationInEveryOrder) {
  auto angles = torch::tensor({{30.0, 50.0, -70.0}, {-120.0, 10.0, 160.0}}, torch::kDouble);
  auto other = torch::stack({angles.select(1, 0) + 180.0, 180.0 - angles.select(1, 1), angles.select(1, 2) + 180.0}, 1);
  for (const std::string order : {"XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX"}) {
    auto q1 = rot::euler_to_quat(angles, order), q2 = rot::euler_to_quat(other, order);
    EXPECT_LT((q1 * q2).sum(-1).abs().sub(1.0).abs().max().item<double>(), 1e-9) << order;
  }
}

TEST(Euler, UnwrappingKeepsRotationsAndRemovesJumps) {
  // A joint spinning about Y for two turns while tilting: raw angles wrap at +-180.
  const int64_t T = 200;
  auto t = torch::arange(T, torch::kDouble);
  auto axis_angle = [&](double x, double y, double z, const torch::Tensor& a) {
    return rot::quat_from_axis_angle(torch::tensor({x, y, z}, torch::kDouble).expand({T, 3}), a);
  };
  auto q = rot::qmul(axis_angle(0, 1, 0, t * (4 * M_PI / T)), axis_angle(1, 0, 0, torch::sin(t * 0.1) * 1.2));
  for (const std::string order : {"ZXY", "XYZ", "ZYX"}) {
    auto raw = rot::matrix_to_euler(rot::quat_to_matrix(q), order);
    auto smooth = rot::unwrap_euler(raw);
    auto step = (smooth.narrow(0, 1, T - 1) - smooth.narrow(0, 0, T - 1)).abs().max().item<double>();
    // ZXY never nears gimbal lock on this motion; XYZ and ZYX pass through it (fast but bounded).
    EXPECT_LT(step, order == "ZXY" ? 30.0 : 180.0) << order;
    auto back = rot::euler_to_quat(smooth, order);
    EXPECT_LT((back * q).sum(-1).abs().sub(1.0).abs().max().item<double>(), 1e-9) << order;
  }
}

TEST(ExportReal, RotationOnlyBvhReproducesEveryJointAtEightHeadingsAndMirrored) {
  test::TempDir dir;
  double worst_fk = 0, worst_bvh = 0, worst_step = 0;
  for (const auto& c : real_cases()) {
    auto anim = solve_animation(c.joints, c.skel);
    worst_fk = std::max(worst_fk, test::max_abs_diff(forward_kinematics(anim), c.joints));
    const auto path = dir / "m.bvh";
    bvh::save(path, c.joints, c.skel);
    auto b = bvh::load(path);
    for (const auto& j : b.joints) ASSERT_EQ(j.channels.size(), j.parent < 0 ? 6u : 3u) << c.name << " " << j.name;
    const double err = test::max_abs_diff(bvh_joints(b, c.skel), c.joints);
    EXPECT_LT(err, kMillimetre) << c.name;
    worst_bvh = std::max(worst_bvh, err);
    const double step = largest_rotation_step(b);
    EXPECT_LE(step, 180.0) << c.name;
    worst_step = std::max(worst_step, step);
  }
  std::printf("    64 motions: FK max error %.4f mm, BVH re-import %.4f mm, largest Euler step %.1f deg\n", worst_fk * 1000,
              worst_bvh * 1000, worst_step);
}

TEST(ExportReal, ThreeJsPlaysTheRotationOnlyBvhAndTheGlbOntoTheJoints) {
  if (!test::threejs_available()) GTEST_SKIP() << "three.js not installed (scripts/setup.sh)";
  test::TempDir dir;
  const auto cases = real_cases(60);
  std::vector<std::string> bvhs, glbs;
  for (size_t i = 0; i < cases.size(); ++i) {
    bvhs.push_back(dir / ("m" + std::to_string(i) + ".bvh"));
    glbs.push_back(dir / ("m" + std::to_string(i) + ".glb"));
    bvh::save(bvhs.back(), cases[i].joints, cases[i].skel);
    save_gltf(glbs.back(), cases[i].joints, cases[i].skel);
  }
  // One node process per format plays every file.
  const auto b = test::run_web_tool_lines("bvh_positions.mjs", bvhs);
  const auto g = test::run_web_tool_lines("gltf_positions.mjs", glbs);
  ASSERT_EQ(b.size(), cases.size()) << b.front().dump().substr(0, 400);
  ASSERT_EQ(g.size(), cases.size()) << g.front().dump().substr(0, 400);
  double worst_bvh = 0, worst_glb = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    ASSERT_FALSE(b[i].contains("error")) << c.name << ": " << b[i].dump();
    ASSERT_FALSE(g[i].contains("error")) << c.name << ": " << g[i].dump();
    const double eb = test::max_abs_diff(frames_of(b[i], c.skel) / 100.0, c.joints);
    EXPECT_LT(eb, kMillimetre) << c.name;
    worst_bvh = std::max(worst_bvh, eb);
    EXPECT_TRUE(g[i]["skinned"].get<bool>());
    EXPECT_EQ(g[i]["vertices"].get<int64_t>(), 8 * (c.skel.num_joints() - 1));
    const double eg = test::max_abs_diff(frames_of(g[i], c.skel), c.joints);
    EXPECT_LT(eg, kMillimetre) << c.name;
    worst_glb = std::max(worst_glb, eg);
  }
  std::printf("    three.js, 64 motions: BVHLoader max error %.4f mm, GLTFLoader max error %.4f mm\n", worst_bvh * 1000, worst_glb * 1000);
}

TEST(Export, GltfWithSeparateBinAndPositionChannelsAndRotationOrder) {
  test::TempDir dir;
  auto joints = npy::load(test::reference_dir() + "/new_joints_012314.npy").narrow(0, 0, 30);
  const auto skel = Skeleton::humanml3d();
  ExportOptions o;
  write_joints(dir / "m.gltf", joints, skel, o);
  auto j = nlohmann::json::parse(read_file(dir / "m.gltf"));
  // The buffer file is named after its content: "m.<crc32>.bin".
  const std::string bin = j["buffers"][0]["uri"];
  EXPECT_TRUE(std::regex_match(bin, std::regex(R"(m\.[0-9a-f]{8}\.bin)"))) << bin;
  ASSERT_TRUE(std::filesystem::exists(dir / bin));
  EXPECT_EQ(j["buffers"][0]["byteLength"].get<int64_t>(), static_cast<int64_t>(std::filesystem::file_size(dir / bin)));
  // Writing another motion over it: a kill between the two renames used to leave the old .gltf
  // beside the new .bin (same size, loaded silently). Now the new .bin never takes the old one's
  // name, and the old one goes once the new .gltf is in place.
  write_joints(dir / "m.gltf", joints.flip(0).contiguous(), skel, o);
  const std::string bin2 = nlohmann::json::parse(read_file(dir / "m.gltf"))["buffers"][0]["uri"];
  EXPECT_NE(bin2, bin);
  EXPECT_FALSE(std::filesystem::exists(dir / bin));
  EXPECT_TRUE(std::filesystem::exists(dir / bin2));
  EXPECT_EQ(j["animations"][0]["channels"].size(), 23u);  // 22 rotations + the root's translation
  EXPECT_EQ(j["skins"][0]["joints"].size(), 22u);

  o.position_channels = true;
  o.rotation_order = "XYZ";
  write_joints(dir / "p.bvh", joints, skel, o);
  auto b = bvh::load(dir / "p.bvh");
  for (const auto& jt : b.joints) {
    ASSERT_EQ(jt.channels.size(), 6u);
    EXPECT_EQ(jt.channels[3], bvh::Channel::Xrotation);
    EXPECT_EQ(jt.channels[5], bvh::Channel::Zrotation);
  }
  EXPECT_LT(test::max_abs_diff(bvh_joints(b, skel), joints.to(torch::kDouble)), kMillimetre);
  o.rotation_order = "XXY";
  EXPECT_THROW(write_joints(dir / "bad.bvh", joints, skel, o), Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "bad.bvh"));
}

TEST(Export, GeneratedMotionExportsToEveryFormatFromTheCli) {
  test::TempDir dir;
  for (const std::string ext : {".glb", ".gltf", ".bvh"}) {
    auto r = test::run_cli("--threads 1 generate \"a person waves\" --seconds 2 -o " + (dir / ("w" + ext)));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(std::filesystem::exists(dir / ("w" + ext)));
  }
  ASSERT_EQ(test::run_cli("--threads 1 generate \"a person waves\" --seconds 2 --joints -o " + (dir / "j.npy")).exit_code, 0);
  auto r = test::run_cli("export " + (dir / "j.npy") + " " + (dir / "x.bvh") + " --skeleton " + test::real_prepared_dir() +
                         "/skeleton.json --rotation-order YXZ --position-channels");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto b = bvh::load(dir / "x.bvh");
  EXPECT_EQ(b.joints[1].channels.size(), 6u);
  EXPECT_EQ(b.joints[1].channels[3], bvh::Channel::Yrotation);
  auto bad = test::run_cli("export " + (dir / "j.npy") + " " + (dir / "x.fbx") + " --skeleton humanml3d");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("unknown output format"), std::string::npos) << bad.output;
}
