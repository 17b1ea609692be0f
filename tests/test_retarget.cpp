// Retargeting onto users' rigs (docs/retarget.md): rigs the tests build (other names, bone
// lengths, A-pose rest, extra finger/twist/spine joints, cm/inch/m, a root above the hips), the
// CMU sample's rig, and a skinned GLB with rotated rest frames under a scaled armature.
#include <cmath>
#include <functional>

#include <tiny_gltf.h>

#include "animation/character_rig.hpp"
#include "animation/foot_lock.hpp"
#include "motion/joint_map.hpp"
#include "animation/retarget.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "export/gltf.hpp"
#include "export/motion_writer.hpp"
#include "motion/bvh.hpp"
#include "motion/quaternion.hpp"
#include "shipped_model.hpp"
#include "test_util.hpp"

using namespace mogo;

namespace {

// A human in T-pose facing +Z (left = +X), metres, by body part; `parent` by part.
struct Part {
  std::string key, parent;
  std::array<double, 3> at;
};
std::vector<Part> human() {
  std::vector<Part> p = {{"root", "", {0, 0, 0}},          {"hips", "root", {0, 0.95, 0}},     {"spine", "hips", {0, 1.05, -0.01}},
                         {"spine_mid", "spine", {0, 1.16, -0.01}}, {"chest", "spine_mid", {0, 1.28, 0}}, {"neck", "chest", {0, 1.47, 0}},
                         {"head", "neck", {0, 1.56, 0.02}}};
  for (int s : {1, -1}) {
    const std::string L = s > 0 ? "l" : "r";
    const double x = s;
    auto add = [&](const std::string& key, const std::string& parent, double a, double b, double c) {
      p.push_back({key + "_" + L, parent.empty() ? "chest" : parent + "_" + L, {x * a, b, c}});
    };
    add("collar", "", 0.04, 1.42, 0);
    add("arm", "collar", 0.17, 1.42, 0);
    add("twist", "arm", 0.30, 1.42, 0);
    add("fore", "arm", 0.44, 1.42, 0);
    add("hand", "fore", 0.70, 1.42, 0);
    add("finger1", "hand", 0.79, 1.42, 0.02);
    add("finger2", "finger1", 0.83, 1.42, 0.02);
    p.push_back({"thigh_" + L, "hips", {x * 0.09, 0.90, 0}});
    add("shin", "thigh", 0.09, 0.50, 0.01);
    add("foot", "shin", 0.09, 0.08, -0.01);
    add("toe", "foot", 0.09, 0.02, 0.12);
  }
  return p;
}

struct RigStyle {
  std::map<std::string, std::string> names;  // part -> joint name; parts not listed are left out
  double units_per_metre = 1.0;
  bool a_pose = false;
  double leg_scale = 1.0, arm_scale = 1.0;
  std::string rotation_order = "ZXY";
};

std::map<std::string, std::string> mixamo_names() {
  std::map<std::string, std::string> n = {{"hips", "mixamorig:Hips"}, {"spine", "mixamorig:Spine"}, {"spine_mid", "mixamorig:Spine1"},
                                          {"chest", "mixamorig:Spine2"}, {"neck", "mixamorig:Neck"}, {"head", "mixamorig:Head"}};
  for (auto [L, Side] : {std::pair{"l", "Left"}, std::pair{"r", "Right"}}) {
    const std::string s = std::string("_") + L, pre = std::string("mixamorig:") + Side;
    n["collar" + s] = pre + "Shoulder";
    n["arm" + s] = pre + "Arm";
    n["fore" + s] = pre + "ForeArm";
    n["hand" + s] = pre + "Hand";
    n["finger1" + s] = pre + "HandIndex1";
    n["finger2" + s] = pre + "HandIndex2";
    n["thigh" + s] = pre + "UpLeg";
    n["shin" + s] = pre + "Leg";
    n["foot" + s] = pre + "Foot";
    n["toe" + s] = pre + "ToeBase";
  }
  return n;
}

std::map<std::string, std::string> unreal_names() {
  std::map<std::string, std::string> n = {{"root", "root"},       {"hips", "pelvis"},   {"spine", "spine_01"}, {"spine_mid", "spine_02"},
                                          {"chest", "spine_03"}, {"neck", "neck_01"}, {"head", "head"}};
  for (const std::string L : {"l", "r"}) {
    const std::string s = "_" + L;
    for (auto [part, name] : std::map<std::string, std::string>{{"collar", "clavicle"}, {"arm", "upperarm"}, {"twist", "upperarm_twist_01"},
                                                                {"fore", "lowerarm"}, {"hand", "hand"}, {"finger1", "index_01"},
                                                                {"thigh", "thigh"}, {"shin", "calf"}, {"foot", "foot"}, {"toe", "ball"}})
      n[part + s] = name + s;
  }
  return n;
}

// The BVH text of a rig: joints as named (parts left out are skipped, their children hanging from
// the nearest kept ancestor), each leaf with an End Site, the pose and proportions as asked.
std::string rig_bvh(const RigStyle& st) {
  auto parts = human();
  std::map<std::string, std::array<double, 3>> at;
  std::map<std::string, std::string> parent;
  for (const auto& p : parts) at[p.key] = p.at, parent[p.key] = p.parent;
  auto below = [&](const std::string& key, const std::string& ancestor) {
    for (std::string k = key; !k.empty(); k = parent[k])
      if (k == ancestor) return true;
    return false;
  };
  // Proportions: scale each limb about its first joint; A-pose: arms turned 40 degrees down.
  for (auto& p : parts)
    for (const std::string L : {"l", "r"}) {
      auto scale_from = [&](const std::string& top, double f) {
        if (p.key != top && below(p.key, top))
          for (int d = 0; d < 3; ++d) at[p.key][d] = at[top][d] + f * (at[p.key][d] - at[top][d]);
      };
      scale_from("thigh_" + L, st.leg_scale);
      scale_from("arm_" + L, st.arm_scale);
    }
  for (auto& p : parts)  // the body rises with longer legs (hip to sole: 0.90 m)
    if (p.key != "root") at[p.key][1] += (st.leg_scale - 1.0) * 0.90;
  if (st.a_pose)
    for (auto& p : parts)
      for (const std::string L : {"l", "r"})
        if (p.key != "arm_" + L && below(p.key, "arm_" + L)) {
          const double a = 40.0 * M_PI / 180.0 * (L == "l" ? -1 : 1);
          const auto o = at["arm_" + L];
          const double dx = at[p.key][0] - o[0], dy = at[p.key][1] - o[1];
          at[p.key][0] = o[0] + std::cos(a) * dx - std::sin(a) * dy;
          at[p.key][1] = o[1] + std::sin(a) * dx + std::cos(a) * dy;
        }
  std::map<std::string, std::vector<std::string>> kids;
  std::string root;
  auto kept_parent = [&](std::string k) {
    for (k = parent[k]; !k.empty() && !st.names.count(k); k = parent[k]) {}
    return k;
  };
  for (const auto& p : parts) {
    if (!st.names.count(p.key)) continue;
    const auto kp = kept_parent(p.key);
    if (kp.empty()) root = p.key;
    else kids[kp].push_back(p.key);
  }
  std::ostringstream out;
  out << "HIERARCHY\n";
  out.setf(std::ios::fixed);
  out.precision(6);
  const double u = st.units_per_metre;
  std::function<void(const std::string&, const std::string&, int)> write = [&](const std::string& k, const std::string& from, int depth) {
    const std::string ind(2 * depth, ' ');
    out << ind << (from.empty() ? "ROOT " : "JOINT ") << st.names.at(k) << "\n" << ind << "{\n" << ind << "  OFFSET";
    for (int d = 0; d < 3; ++d) out << " " << (at[k][d] - (from.empty() ? 0.0 : at[from][d])) * u;
    out << "\n" << ind << "  CHANNELS " << (from.empty() ? "6 Xposition Yposition Zposition " : "3 ");
    for (char c : st.rotation_order) out << c << "rotation ";
    out << "\n";
    for (const auto& c : kids[k]) write(c, k, depth + 1);
    if (kids[k].empty()) {
      const bool toe = k.rfind("toe", 0) == 0;
      out << ind << "  End Site\n" << ind << "  {\n" << ind << "    OFFSET 0 " << (toe ? -0.02 * u : 0.05 * u) << " " << (toe ? 0.08 * u : 0.0)
          << "\n" << ind << "  }\n";
    }
    out << ind << "}\n";
  };
  write(root, "", 0);
  out << "MOTION\nFrames: 1\nFrame Time: 0.05\n";
  const int channels = 6 + 3 * (static_cast<int>(st.names.size()) - 1);
  for (int c = 0; c < channels; ++c) out << (c ? " " : "") << (c == 1 ? at[root][1] * u : 0.0);
  out << "\n";
  return out.str();
}

// The shipped model's walk (its skeleton, feet locked), made once.
struct Walk {
  Skeleton skel;
  torch::Tensor joints;
};
const Walk& walk() {
  static Walk w = [] {
    auto& gen = test::shipped_generator();
    GenerateOptions o;
    o.seconds = 4;
    o.sampling.seed = 3;
    auto f = gen.generate({"a person walks forward"}, o)[0].features;
    return Walk{gen.skeleton(), lock_feet(gen.joints(f), f, gen.skeleton()).to(torch::kDouble)};
  }();
  return w;
}

double degrees_between(const torch::Tensor& a, const torch::Tensor& b) {  // [T,3] each -> max over T
  auto c = (a * b).sum(-1) / (a.norm(2, -1) * b.norm(2, -1));
  return (torch::acos(c.clamp(-1, 1)) * 180.0 / M_PI).max().item<double>();
}

// Mapped bones whose direction the model fixes alone (one mapped joint below): they must point
// where the model's bones point. Returns the largest angle, naming the worst bone in `worst`.
// `fitted`: the bones of branch points (fitted as a whole) and feet (matched by pitch) instead.
double worst_bone(const RigMotion& m, const Retargeter& r, const Walk& w, std::string* worst, bool fitted = false) {
  const auto& map = r.map().rig_of;
  const auto& s = w.skel;
  double largest = 0;
  for (int64_t b = 1; b < s.num_joints(); ++b) {
    const int64_t a = s.parents[b];
    if (map[a] < 0 || map[b] < 0) continue;
    int64_t siblings = 0;
    for (int64_t k = 1; k < s.num_joints(); ++k) siblings += s.parents[k] == a && map[k] >= 0;
    // Branch points (hips, chest) are fitted as a whole; feet keep their pitch from flat.
    const bool is_fitted = siblings != 1 || b == s.feet_left[1] || b == s.feet_right[1];
    if (is_fitted != fitted) continue;
    const double deg = degrees_between(m.positions.select(1, map[b]) - m.positions.select(1, map[a]),
                                       w.joints.select(1, b) - w.joints.select(1, a));
    if (deg > largest) {
      largest = deg;
      *worst = s.joint_names[a] + "->" + s.joint_names[b];
    }
  }
  return largest;
}

// Where the walk plants its feet, the toes' lowest points (their End Sites, posed) stand on
// y = 0: a low quantile over frames of the lower toe tip's height.
double planted_toe_height(const RigMotion& m, const CharacterRig& rig, int64_t ltoe, int64_t rtoe) {
  std::vector<torch::Tensor> W(rig.num_joints());  // world rotations
  for (int64_t j = 0; j < rig.num_joints(); ++j)
    W[j] = rot::qmul(rig.parents[j] < 0 ? rig.above_rotation.expand({m.frames(), 4}) : W[rig.parents[j]], m.rotations.select(1, j));
  auto tip = [&](int64_t toe) {  // the turn from rest applied to the rest tip offset
    auto turn = rot::qmul(W[toe], rot::qinv(rig.rest_world_rotation[toe]).expand({m.frames(), 4}));
    auto offset = torch::nan_to_num(rig.rest_tip[toe] - rig.rest_position[toe], 0.0);  // no tip: the toe joint
    return m.positions.select(1, toe) + rot::qrot(turn, offset.expand({m.frames(), 3}));
  };
  return torch::quantile(torch::minimum(tip(ltoe).select(1, 1), tip(rtoe).select(1, 1)), 0.1).item<double>();
}

// Height of a joint over the leg's length (hip-knee-ankle), median over frames.
double hips_over_leg(const torch::Tensor& P, int64_t hips, int64_t hip, int64_t knee, int64_t ankle) {
  auto leg = (P.select(1, knee) - P.select(1, hip)).norm(2, -1) + (P.select(1, ankle) - P.select(1, knee)).norm(2, -1);
  return (P.select(1, hips).select(1, 1) / leg).median().item<double>();
}

// Everything the issue asks of one rig; returns the motion on it.
RigMotion check_rig(const std::string& bvh_text, const std::string& what, double units_per_metre) {
  test::TempDir dir("mogo-retarget");
  write_file_atomically(dir / "rig.bvh", bvh_text);
  const auto& w = walk();
  auto rig = load_rig(dir / "rig.bvh");
  auto map = detect_joint_map(w.skel, rig.names, rig.path);
  Retargeter r(rig, w.skel, map);
  const auto m = r.apply(w.joints, 20.0);
  // The file: the rig's hierarchy and offsets, and BVH forward kinematics gives our positions.
  ExportOptions o;
  o.rig = std::make_shared<Retargeter>(Retargeter(rig, w.skel, map));
  write_joints(dir / "out.bvh", w.joints, w.skel, o);
  const auto out = bvh::load(dir / "out.bvh");
  EXPECT_EQ(out.joints.size(), rig.bvh.joints.size()) << what;
  for (size_t j = 0; j < out.joints.size() && j < rig.bvh.joints.size(); ++j) {
    EXPECT_EQ(out.joints[j].name, rig.bvh.joints[j].name) << what;
    EXPECT_EQ(out.joints[j].parent, rig.bvh.joints[j].parent) << what;
    for (int d = 0; d < 3; ++d) EXPECT_NEAR(out.joints[j].offset[d], rig.bvh.joints[j].offset[d], 1e-6) << what;
    EXPECT_EQ(out.joints[j].has_end_site, rig.bvh.joints[j].has_end_site) << what;
  }
  EXPECT_LT(test::max_abs_diff(bvh::global_positions(out), m.positions), 1e-3 * units_per_metre) << what;
  // Bones point where the model's do: every one when aimed alone; with planted feet pinned, the
  // legs bend a little more (two-bone IK in double support) and only they may.
  std::string worst;
  const auto aimed = Retargeter(rig, w.skel, map, RetargetOptions{false}).apply(w.joints, 20.0);
  EXPECT_LE(worst_bone(aimed, r, w, &worst), 2.0) << what << ": " << worst;
  EXPECT_LE(worst_bone(m, r, w, &worst), 5.0) << what << ": " << worst;
  const double fitted = worst_bone(m, r, w, &worst, true);
  std::cout << what << ": branch-point and foot bones within " << fitted << " degrees (worst " << worst << ")\n";
  EXPECT_LE(fitted, 20.0) << what << ": " << worst;  // the rigs' pelvis and foot shapes differ from the model's
  // Feet: where the model's ankle is planted the rig's stays put (its proportions would make it
  // slide: compared with the motion without planting), and the lowest ankle stands at the rig's
  // ankle height over its sole, the sole on y = 0.
  const auto& s = w.skel;
  Retargeter loose(rig, w.skel, map, RetargetOptions{false});
  const auto unplanted = loose.apply(w.joints, 20.0);
  for (auto feet : {s.feet_left, s.feet_right}) {
    auto model = w.joints.select(1, feet[0]);
    auto step = [](const torch::Tensor& p) {  // horizontal movement into each frame [T-1]
      auto d = p.narrow(0, 1, p.size(0) - 1) - p.narrow(0, 0, p.size(0) - 1);
      return torch::hypot(d.select(1, 0), d.select(1, 2));
    };
    auto planted = (step(model) < 0.2 / 20) & (model.narrow(0, 1, model.size(0) - 1).select(1, 1) <
                                              torch::quantile(model.select(1, 1), 0.1) + 0.05);
    EXPECT_GT(planted.sum().item<int64_t>(), 10) << what;
    const double slide = step(m.positions.select(1, map.rig_of[feet[0]])).masked_select(planted).mean().item<double>();
    const double before = step(unplanted.positions.select(1, map.rig_of[feet[0]])).masked_select(planted).mean().item<double>();
    const double model_slide = step(model).masked_select(planted).mean().item<double>() * r.scale();
    std::cout << what << ": planted ankle slides " << slide << " per frame (without planting " << before << ", the model's scaled "
              << model_slide << ")\n";
    EXPECT_LE(slide, 0.5 * before + 0.5e-3 * units_per_metre) << what;
  }
  EXPECT_NEAR(planted_toe_height(m, rig, map.rig_of[s.feet_left[1]], map.rig_of[s.feet_right[1]]), 0.0, 0.01 * units_per_metre) << what;
  // Height in proportion to the legs: the hip joint's height over the leg's length.
  const int64_t ak = s.feet_left[0], kn = s.parents[ak], hp = s.parents[kn];
  const double model_ratio = hips_over_leg(w.joints, hp, hp, kn, ak);
  const double rig_ratio = hips_over_leg(m.positions, map.rig_of[hp], map.rig_of[hp], map.rig_of[kn], map.rig_of[ak]);
  EXPECT_NEAR(rig_ratio, model_ratio, 0.05 * model_ratio) << what;  // the soles differ a little
  return m;
}

}  // namespace

TEST(Retarget, MixamoNamesInCentimetresWithFingersAndASplitSpine) {
  RigStyle st;
  st.names = mixamo_names();
  st.units_per_metre = 100;
  check_rig(rig_bvh(st), "mixamo cm", 100);
}

TEST(Retarget, UnrealNamesAPoseInInchesWithARootAndTwistBones) {
  RigStyle st;
  st.names = unreal_names();
  st.units_per_metre = 39.3700787;
  st.a_pose = true;
  st.rotation_order = "XYZ";
  check_rig(rig_bvh(st), "unreal inches", 39.37);
}

TEST(Retarget, OtherProportionsInMetres) {
  RigStyle st;
  st.names = mixamo_names();
  st.leg_scale = 1.2;
  st.arm_scale = 0.85;
  check_rig(rig_bvh(st), "long legs m", 1.0);
}

namespace {

// Everything three.js's BVHLoader sees of a retargeted BVH: joint names and offsets as the rig's,
// and world positions as ours.
void expect_threejs_bvh(const std::string& path, const CharacterRig& rig, const RigMotion& m, double tolerance) {
  const auto b = test::run_web_tool("bvh_positions.mjs", path);
  ASSERT_FALSE(b.contains("error")) << b.dump();
  ASSERT_EQ(b.at("names").get<std::vector<std::string>>(), rig.names);
  auto three = torch::zeros({m.frames(), rig.num_joints(), 3}, torch::kDouble);
  const auto& f = b.at("frames");
  ASSERT_EQ(static_cast<int64_t>(f.size()), m.frames());
  for (int64_t t = 0; t < m.frames(); ++t)
    for (int64_t j = 0; j < rig.num_joints(); ++j)
      for (int d = 0; d < 3; ++d) three[t][j][d] = f[t][j][d].get<double>();
  EXPECT_LT(test::max_abs_diff(three, m.positions), tolerance);
}

}  // namespace

TEST(Retarget, CmuSampleRigLoadsInThreeJsStandingOnTheFloor) {
  const std::string cmu = test::shared_dir() + "/data/cmu-sample/131_03.bvh";
  const auto& w = walk();
  auto r = load_retargeter(cmu, w.skel);
  EXPECT_EQ(r.map().convention, "cmu 3ds max");
  const auto& rig = r.rig();
  const auto m = Retargeter(r).apply(w.joints, 20.0);
  test::TempDir dir("mogo-retarget");
  ExportOptions o;
  o.rig = std::make_shared<Retargeter>(r);
  write_joints(dir / "walk.bvh", w.joints, w.skel, o);
  // The file holds the rig's joints, offsets and End Sites.
  const auto out = bvh::load(dir / "walk.bvh");
  ASSERT_EQ(out.joints.size(), rig.bvh.joints.size());
  for (size_t j = 0; j < out.joints.size(); ++j) {
    EXPECT_EQ(out.joints[j].name, rig.bvh.joints[j].name);
    for (int d = 0; d < 3; ++d) EXPECT_NEAR(out.joints[j].offset[d], rig.bvh.joints[j].offset[d], 1e-6);
    EXPECT_EQ(out.joints[j].has_end_site, rig.bvh.joints[j].has_end_site);
  }
  // Standing on the floor at the rig's height: the toes' lowest rest point (End Site) touches
  // y = 0 where the walk plants them, and the head stands as high above it as in the rig's rest
  // pose (less the walk's bend: within 8%).
  const int64_t head = rig.index_of("Head"), ltoe = rig.index_of("LeftToe"), rtoe = rig.index_of("RightToe");
  const double rest_floor = std::min(rig.rest_tip[ltoe][1].item<double>(), rig.rest_tip[rtoe][1].item<double>());
  const double rest_height = rig.rest_position[head][1].item<double>() - rest_floor;
  EXPECT_NEAR(planted_toe_height(m, rig, ltoe, rtoe), 0.0, 0.01 * rest_height);
  EXPECT_NEAR(m.positions.select(1, head).select(1, 1).median().item<double>() / rest_height, 1.0, 0.08);
  if (!test::threejs_available()) GTEST_SKIP() << "three.js not installed (scripts/setup.sh)";
  expect_threejs_bvh(dir / "walk.bvh", rig, m, 1e-3);
}

namespace {

namespace tg = tinygltf;

// bandai name -> Mixamo name (the shipped model's skeleton onto a Mixamo-named rig).
std::string mixamo_name_of(const std::string& bandai) {
  static const std::map<std::string, std::string> names = {
      {"Hips", "Hips"}, {"Spine", "Spine"}, {"Chest", "Spine2"}, {"Neck", "Neck"}, {"Head", "Head"},
      {"Shoulder_L", "LeftShoulder"}, {"UpperArm_L", "LeftArm"}, {"LowerArm_L", "LeftForeArm"}, {"Hand_L", "LeftHand"},
      {"Shoulder_R", "RightShoulder"}, {"UpperArm_R", "RightArm"}, {"LowerArm_R", "RightForeArm"}, {"Hand_R", "RightHand"},
      {"UpperLeg_L", "LeftUpLeg"}, {"LowerLeg_L", "LeftLeg"}, {"Foot_L", "LeftFoot"}, {"Toes_L", "LeftToeBase"},
      {"UpperLeg_R", "RightUpLeg"}, {"LowerLeg_R", "RightLeg"}, {"Foot_R", "RightFoot"}, {"Toes_R", "RightToeBase"}};
  return "mixamorig:" + names.at(bandai);
}

torch::Tensor mat4(const torch::Tensor& q, const torch::Tensor& t, double s = 1.0) {  // [4,4] of s*R(q) | t
  auto m = torch::eye(4, torch::kDouble);
  m.narrow(0, 0, 3).narrow(1, 0, 3).copy_(rot::quat_to_matrix(q) * s);
  m.narrow(0, 0, 3).select(1, 3).copy_(t);
  return m;
}

// A skinned GLB rig: mogo's own box figure of the walk's first frame, its joints renamed to
// Mixamo's, each turned by a random rest rotation (bones along other axes than their parents'),
// in centimetres under an "Armature" node at 0.01 scale, turned 90 degrees about Y and moved.
void write_glb_rig(const std::string& path, const std::string& scratch) {
  const auto& w = walk();
  save_gltf(scratch, w.joints.narrow(0, 0, 2), w.skel, 20.0, true);
  tg::Model m;
  tg::TinyGLTF io;
  std::string err, warn;
  ASSERT_TRUE(io.LoadBinaryFromFile(&m, &err, &warn, scratch)) << err;
  const int64_t J = w.skel.num_joints();
  // Rest world positions (metres) of the figure's joints, from its rest translations.
  std::vector<torch::Tensor> P(J);
  for (int64_t j = 0; j < J; ++j) {
    auto t = torch::tensor(m.nodes[j].translation, torch::kDouble);
    P[j] = j == 0 ? t : P[w.skel.parents[j]] + t;
  }
  const auto arm_q = rot::quat_from_axis_angle(torch::tensor({0.0, 1.0, 0.0}, torch::kDouble), torch::tensor(M_PI / 2, torch::kDouble));
  const auto arm_t = torch::tensor({0.5, 0.0, -0.3}, torch::kDouble);
  const double arm_s = 0.01;
  const auto arm = mat4(arm_q, arm_t, arm_s);
  torch::manual_seed(7);
  std::vector<torch::Tensor> G(J), p(J);  // armature-space rotations and positions (cm)
  std::vector<float> ibm;
  for (int64_t j = 0; j < J; ++j) {
    p[j] = rot::qrot(rot::qinv(arm_q), P[j] - arm_t) / arm_s;
    auto q = rot::qnormalize(torch::randn({4}, torch::kDouble));
    const int64_t parent = w.skel.parents[j];
    G[j] = parent < 0 ? q : rot::qmul(G[parent], q);
    auto t = parent < 0 ? p[j] : rot::qrot(rot::qinv(G[parent]), p[j] - p[parent]);
    auto& n = m.nodes[j];
    n.name = mixamo_name_of(w.skel.joint_names[j]);
    n.translation = {t[0].item<double>(), t[1].item<double>(), t[2].item<double>()};
    n.rotation = {q[1].item<double>(), q[2].item<double>(), q[3].item<double>(), q[0].item<double>()};
    auto inv = torch::inverse(torch::matmul(arm, mat4(G[j], p[j]))).t().contiguous();  // column-major
    for (int k = 0; k < 16; ++k) ibm.push_back(static_cast<float>(inv.view({-1})[k].item<double>()));
  }
  // The inverse bind matrices in place (same accessor, same size).
  const auto& acc = m.accessors[m.skins[0].inverseBindMatrices];
  const auto& view = m.bufferViews[acc.bufferView];
  std::memcpy(m.buffers[view.buffer].data.data() + view.byteOffset + acc.byteOffset, ibm.data(), ibm.size() * sizeof(float));
  tg::Node armature;
  armature.name = "Armature";
  armature.scale = {arm_s, arm_s, arm_s};
  armature.rotation = {arm_q[1].item<double>(), arm_q[2].item<double>(), arm_q[3].item<double>(), arm_q[0].item<double>()};
  armature.translation = {0.5, 0.0, -0.3};
  armature.children = {0};
  m.nodes.push_back(armature);
  m.scenes[0].nodes = {static_cast<int>(m.nodes.size()) - 1, static_cast<int>(J)};
  std::ostringstream out;
  ASSERT_TRUE(io.WriteGltfSceneToStream(&m, out, false, true));
  write_file_atomically(path, out.str());
}

}  // namespace

TEST(Retarget, GlbRigInGlbOutWithItsMeshSkinAndOneAnimation) {
  test::TempDir dir("mogo-retarget");
  write_glb_rig(dir / "rig.glb", dir / "figure.glb");
  const auto& w = walk();
  auto r = load_retargeter(dir / "rig.glb", w.skel);
  EXPECT_EQ(r.map().convention, "mixamo / cmu");
  EXPECT_NEAR(r.rig().above_scale, 0.01, 1e-9);
  const auto m = Retargeter(r).apply(w.joints, 20.0);
  std::string worst;
  EXPECT_LE(worst_bone(Retargeter(r.rig(), w.skel, r.map(), RetargetOptions{false}).apply(w.joints, 20.0), r, w, &worst), 2.0) << worst;
  EXPECT_LE(worst_bone(m, r, w, &worst), 5.0) << worst;  // planted feet bend the legs a little (IK)
  EXPECT_NEAR(planted_toe_height(m, r.rig(), r.map().rig_of[w.skel.feet_left[1]], r.map().rig_of[w.skel.feet_right[1]]), 0.0, 0.015);
  ExportOptions o;
  o.rig = std::make_shared<Retargeter>(r);
  write_joints(dir / "walk.glb", w.joints, w.skel, o);
  tg::Model in, out;
  tg::TinyGLTF io;
  std::string err, warn;
  ASSERT_TRUE(io.LoadBinaryFromFile(&in, &err, &warn, dir / "rig.glb")) << err;
  ASSERT_TRUE(io.LoadBinaryFromFile(&out, &err, &warn, dir / "walk.glb")) << err;
  EXPECT_EQ(out.meshes.size(), in.meshes.size());
  ASSERT_EQ(out.skins.size(), 1u);
  EXPECT_EQ(out.skins[0].joints, in.skins[0].joints);
  ASSERT_EQ(out.animations.size(), 1u);
  EXPECT_EQ(out.animations[0].channels.size(), static_cast<size_t>(r.rig().num_joints() + 1));
  // A BVH result from a glTF rig is refused, naming the file.
  EXPECT_NE(test::error_message([&] { write_joints(dir / "walk.bvh", w.joints, w.skel, o); }).find("needs a BVH rig"), std::string::npos);
  if (!test::threejs_available()) GTEST_SKIP() << "three.js not installed (scripts/setup.sh)";
  const auto g = test::run_web_tool("gltf_positions.mjs", dir / "walk.glb");
  ASSERT_FALSE(g.contains("error")) << g.dump();
  EXPECT_EQ(g.at("meshes").get<int>(), 1);
  const auto names = g.at("names").get<std::vector<std::string>>();
  const auto& frames = g.at("frames");
  ASSERT_EQ(static_cast<int64_t>(frames.size()), m.frames());
  double largest = 0;
  auto three_name = [](std::string n) {  // three.js's PropertyBinding.sanitizeNodeName
    n.erase(std::remove_if(n.begin(), n.end(), [](char c) { return c == '[' || c == ']' || c == '.' || c == ':' || c == '/'; }), n.end());
    std::replace(n.begin(), n.end(), ' ', '_');
    return n;
  };
  for (size_t b = 0; b < names.size(); ++b) {
    int64_t j = -1;
    for (int64_t k = 0; k < r.rig().num_joints(); ++k)
      if (three_name(r.rig().names[k]) == names[b]) j = k;
    ASSERT_GE(j, 0) << names[b];
    for (int64_t t = 0; t < m.frames(); ++t)
      for (int d = 0; d < 3; ++d) largest = std::max(largest, std::abs(frames[t][b][d].get<double>() - m.positions[t][j][d].item<double>()));
  }
  EXPECT_LT(largest, 1e-3);  // metres: three.js plays the file as we posed it
}

TEST(Retarget, MappingJsonNamesJointsDetectionCannotAndErrorsNameTheProblem) {
  test::TempDir dir("mogo-retarget");
  const auto& w = walk();
  // A rig whose names no convention knows: detection says what it misses and points to --mapping.
  RigStyle st;
  for (const auto& [part, name] : mixamo_names()) st.names[part] = "bone_" + part;
  write_file_atomically(dir / "odd.bvh", rig_bvh(st));
  const auto msg = test::error_message([&] { load_retargeter(dir / "odd.bvh", w.skel); });
  EXPECT_NE(msg.find("cannot tell the rig's joints"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--mapping"), std::string::npos) << msg;
  // The same rig with a mapping: every model joint named.
  nlohmann::json joints;
  const std::map<std::string, std::string> part_of = {
      {"Hips", "hips"}, {"Spine", "spine"}, {"Chest", "chest"}, {"Neck", "neck"}, {"Head", "head"},
      {"Shoulder_L", "collar_l"}, {"UpperArm_L", "arm_l"}, {"LowerArm_L", "fore_l"}, {"Hand_L", "hand_l"},
      {"Shoulder_R", "collar_r"}, {"UpperArm_R", "arm_r"}, {"LowerArm_R", "fore_r"}, {"Hand_R", "hand_r"},
      {"UpperLeg_L", "thigh_l"}, {"LowerLeg_L", "shin_l"}, {"Foot_L", "foot_l"}, {"Toes_L", "toe_l"},
      {"UpperLeg_R", "thigh_r"}, {"LowerLeg_R", "shin_r"}, {"Foot_R", "foot_r"}, {"Toes_R", "toe_r"}};
  for (const auto& [model, part] : part_of) joints[model] = "bone_" + part;
  write_file_atomically(dir / "map.json", nlohmann::json{{"joints", joints}}.dump());
  auto r = load_retargeter(dir / "odd.bvh", w.skel, dir / "map.json");
  EXPECT_EQ(r.map().convention, "--mapping");
  std::string worst;
  EXPECT_LE(worst_bone(Retargeter(r).apply(w.joints, 20.0), r, w, &worst), 2.0) << worst;
  const auto report = r.report();
  EXPECT_EQ(report.at("mapped").size(), 21u);
  EXPECT_EQ(report.at("unmapped").get<std::vector<std::string>>(), (std::vector<std::string>{"bone_spine_mid", "bone_finger1_l", "bone_finger2_l", "bone_finger1_r", "bone_finger2_r"}));
  // Mistakes in a mapping name the joint.
  write_file_atomically(dir / "bad.json", R"({"joints": {"Hips": "no_such_bone"}})");
  EXPECT_NE(test::error_message([&] { load_retargeter(dir / "odd.bvh", w.skel, dir / "bad.json"); }).find("no joint 'no_such_bone'"), std::string::npos);
  write_file_atomically(dir / "bad2.json", R"({"joints": {"Pelvis": "bone_hips"}})");
  EXPECT_NE(test::error_message([&] { load_retargeter(dir / "odd.bvh", w.skel, dir / "bad2.json"); }).find("'Pelvis' is not a joint"), std::string::npos);
  // Rig files that are not rigs.
  write_file_atomically(dir / "empty.glb", "glTF");
  EXPECT_NE(test::error_message([&] { load_rig(dir / "empty.glb"); }).find("not a readable glTF"), std::string::npos);
  EXPECT_NE(test::error_message([&] { load_rig(dir / "rig.fbx"); }).find("no such rig file"), std::string::npos);
  write_file_atomically(dir / "rig.fbx", "x");
  EXPECT_NE(test::error_message([&] { load_rig(dir / "rig.fbx"); }).find("expected .bvh, .glb or .gltf"), std::string::npos);
}

TEST(Retarget, CliWritesOnTheRigStreamsItsRotationsAndRefusesAMismatch) {
  test::TempDir dir("mogo-retarget");
  const std::string cmu = test::shared_dir() + "/data/cmu-sample/131_03.bvh";
  auto r = test::run_cli("generate \"a person walks forward\" --seconds 2 --rig " + cmu + " -o " + (dir / "w.bvh"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("drives 21 of its 31 joints"), std::string::npos) << r.output;
  EXPECT_EQ(bvh::load(dir / "w.bvh").joints.size(), 31u);
  // A timeline, and a continuation of that file, on the rig too.
  r = test::run_cli("generate --timeline \"0:a person walks forward;1:a person runs forward\" --seconds 2 --rig " + cmu + " -o " + (dir / "t.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(read_file(dir / "t.json")).at("joints").size(), 31u);
  r = test::run_cli("generate \"a person walks forward\" --seconds 1 --from " + (dir / "w.bvh") + " --rig " + cmu + " -o " + (dir / "c.bvh"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(bvh::load(dir / "c.bvh").joints.size(), 31u);
  r = test::run_cli("generate \"a person walks forward\" --seconds 1 --rig " + cmu + " -o " + (dir / "w.glb"));
  test::expect_one_line_error(r, "a glTF result needs a glTF rig");
  EXPECT_FALSE(std::filesystem::exists(dir / "w.glb"));
  r = test::run_cli("generate \"a person walks forward\" --seconds 1 --stream --rig " + cmu);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto at = r.output.find("\n{\"frame\"");
  ASSERT_NE(at, std::string::npos) << r.output;
  const auto first = nlohmann::json::parse(r.output.substr(at + 1, r.output.find('\n', at + 1) - at - 1));
  EXPECT_EQ(first.at("joints").size(), 31u);
  EXPECT_EQ(first.at("rotations").size(), 31u);
  EXPECT_EQ(first.at("root").size(), 3u);
}

TEST(Retarget, ARigWithoutToesOrNeckStillWalksOnTheFloor) {
  RigStyle st;
  st.names = mixamo_names();
  for (const char* part : {"toe_l", "toe_r", "neck"}) st.names.erase(part);
  test::TempDir dir("mogo-retarget");
  write_file_atomically(dir / "rig.bvh", rig_bvh(st));
  const auto& w = walk();
  auto r = load_retargeter(dir / "rig.bvh", w.skel);
  EXPECT_EQ(r.report().at("unused"), nlohmann::json::array({"Neck", "Toes_L", "Toes_R"}));
  const auto m = Retargeter(r).apply(w.joints, 20.0);
  std::string worst;
  EXPECT_LE(worst_bone(Retargeter(r.rig(), w.skel, r.map(), RetargetOptions{false}).apply(w.joints, 20.0), r, w, &worst), 2.0) << worst;
  EXPECT_LE(worst_bone(m, r, w, &worst), 5.0) << worst;  // planted feet bend the legs a little (IK)
  // The feet's lowest points are the ankles themselves now (their End Sites point up): on the
  // floor where planted.
  const auto& s = w.skel;
  auto ankle = [&](int64_t model) { return m.positions.select(1, r.map().rig_of[model]).select(1, 1); };
  EXPECT_NEAR(torch::quantile(torch::minimum(ankle(s.feet_left[0]), ankle(s.feet_right[0])), 0.1).item<double>(), 0.0, 0.01);
}

TEST(Retarget, NamingConventionsAreRecognisedWhateverTheCaseAndPrefix) {
  const auto& skel = walk().skel;
  auto convention_of = [&](const std::vector<std::string>& names) { return detect_joint_map(skel, names, "rig").convention; };
  EXPECT_EQ(convention_of({"Hips", "Spine", "Chest", "UpperChest", "Neck", "Head", "LeftUpperLeg", "LeftLowerLeg", "LeftFoot", "LeftToes",
                           "RightUpperLeg", "RightLowerLeg", "RightFoot", "RightToes", "LeftUpperArm", "LeftLowerArm", "LeftHand"}),
            "unity humanoid");
  EXPECT_EQ(convention_of({"DEF-spine", "DEF-spine.001", "DEF-spine.003", "DEF-thigh.L", "DEF-shin.L", "DEF-foot.L", "DEF-thigh.R",
                           "DEF-shin.R", "DEF-foot.R", "DEF-upper_arm.L.001"}),
            "blender metarig / rigify");
  EXPECT_EQ(convention_of({"Armature|PELVIS", "THIGH_L", "CALF_L", "FOOT_L", "THIGH_R", "CALF_R", "FOOT_R", "SPINE_01"}), "unreal mannequin");
  EXPECT_EQ(convention_of({"mixamorig1:Hips", "mixamorig1:LeftUpLeg", "mixamorig1:LeftLeg", "mixamorig1:LeftFoot", "mixamorig1:RightUpLeg",
                           "mixamorig1:RightLeg", "mixamorig1:RightFoot"}),
            "mixamo / cmu");
  // Which joint: the preferred name when a convention lists several (Unity's chest is UpperChest).
  const auto m = detect_joint_map(skel, {"Hips", "Spine", "Chest", "UpperChest", "LeftUpperLeg", "LeftLowerLeg", "LeftFoot",
                                         "RightUpperLeg", "RightLowerLeg", "RightFoot"}, "rig");
  EXPECT_EQ(m.rig_of[skel.index_of("Chest")], 3);
  EXPECT_EQ(normalise_joint_name("Armature|DEF-Thigh.L"), "thigh.l");
}
