#include "motion/skeleton.hpp"

#include "common/archive.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"

namespace mogo {

namespace {

torch::Tensor directions(const std::vector<std::array<double, 3>>& rows) {
  auto t = torch::zeros({static_cast<int64_t>(rows.size()), 3}, torch::kDouble);
  for (size_t i = 0; i < rows.size(); ++i)
    for (int k = 0; k < 3; ++k) t[i][k] = rows[i][k];
  return t;
}

std::vector<int64_t> parents_from_chains(int64_t joints, const std::vector<std::vector<int64_t>>& chains) {
  std::vector<int64_t> parents(joints, -2);
  parents[0] = -1;
  for (const auto& chain : chains)
    for (size_t k = 1; k < chain.size(); ++k) parents[chain[k]] = chain[k - 1];
  return parents;
}

}  // namespace

int64_t Skeleton::index_of(const std::string& joint) const {
  for (int64_t i = 0; i < num_joints(); ++i)
    if (joint_names[i] == joint) return i;
  throw Error("skeleton '" + name + "' has no joint named '" + joint + "'");
}

torch::Tensor Skeleton::offsets_from_pose(const torch::Tensor& pose) const {
  auto p = pose.to(torch::kDouble);
  auto out = raw_offsets.clone();
  for (int64_t i = 1; i < num_joints(); ++i) out[i] = raw_offsets[i] * (p[i] - p[parents[i]]).norm();
  return out;
}

Skeleton Skeleton::humanml3d() {
  Skeleton s;
  s.name = "humanml3d";
  s.joint_names = {"pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2", "left_ankle",
                   "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar", "right_collar", "head",
                   "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist"};
  s.chains = {{0, 2, 5, 8, 11}, {0, 1, 4, 7, 10}, {0, 3, 6, 9, 12, 15}, {9, 14, 17, 19, 21}, {9, 13, 16, 18, 20}};
  s.raw_offsets = directions({{0, 0, 0}, {1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, -1, 0}, {0, 1, 0},
                              {0, -1, 0}, {0, -1, 0}, {0, 1, 0}, {0, 0, 1}, {0, 0, 1}, {0, 1, 0}, {1, 0, 0},
                              {-1, 0, 0}, {0, 0, 1}, {0, -1, 0}, {0, -1, 0}, {0, -1, 0}, {0, -1, 0}, {0, -1, 0},
                              {0, -1, 0}});
  s.face_joints = {2, 1, 17, 16};
  s.feet_left = {7, 10};
  s.feet_right = {8, 11};
  s.leg_joints = {5, 8};
  s.foot_velocity_threshold = 0.002;
  s.humanml3d_facing_quirk = true;
  s.parents = parents_from_chains(s.num_joints(), s.chains);
  return s;
}

Skeleton Skeleton::kit() {
  Skeleton s;
  s.name = "kit";
  s.joint_names = {"root", "BP", "BT", "BLN", "BUN", "LS", "LE", "LW", "RS", "RE", "RW",
                   "LH", "LK", "LA", "LMrot", "LF", "RH", "RK", "RA", "RMrot", "RF"};
  s.chains = {{0, 11, 12, 13, 14, 15}, {0, 16, 17, 18, 19, 20}, {0, 1, 2, 3, 4}, {3, 5, 6, 7}, {3, 8, 9, 10}};
  s.raw_offsets = directions({{0, 0, 0}, {0, 1, 0}, {0, 1, 0}, {0, 1, 0}, {0, 1, 0}, {1, 0, 0}, {0, -1, 0},
                              {0, -1, 0}, {-1, 0, 0}, {0, -1, 0}, {0, -1, 0}, {1, 0, 0}, {0, -1, 0}, {0, -1, 0},
                              {0, 0, 1}, {0, 0, 1}, {-1, 0, 0}, {0, -1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, 1}});
  s.face_joints = {11, 16, 5, 8};
  s.feet_left = {19, 20};
  s.feet_right = {14, 15};
  s.leg_joints = {17, 18};
  s.foot_velocity_threshold = 0.05;
  s.humanml3d_facing_quirk = true;
  s.parents = parents_from_chains(s.num_joints(), s.chains);
  return s;
}

void Skeleton::validate(const std::string& source) const {
  const int64_t J = num_joints();
  require(J >= 5, source + ": a skeleton needs at least 5 joints, found " + std::to_string(J));
  require(raw_offsets.defined() && raw_offsets.sizes() == torch::IntArrayRef({J, 3}),
          source + ": raw_offsets must be [" + std::to_string(J) + ",3]");
  auto in_range = [&](int64_t i, const std::string& field) {
    require(i >= 0 && i < J, source + ": " + field + " index " + std::to_string(i) + " out of range [0," +
                                 std::to_string(J) + ")");
  };
  for (auto i : face_joints) in_range(i, "face_joints");
  for (auto i : feet_left) in_range(i, "feet_left");
  for (auto i : feet_right) in_range(i, "feet_right");
  for (auto i : leg_joints) in_range(i, "leg_joints");
  std::vector<int> seen(J, 0);
  seen[0] = 1;
  for (const auto& chain : chains) {
    require(chain.size() >= 2, source + ": every chain needs at least 2 joints");
    for (auto i : chain) in_range(i, "chains");
    require(seen[chain[0]] > 0, source + ": chain starting at joint " + std::to_string(chain[0]) +
                                    " starts before that joint is reached from the root");
    for (size_t k = 1; k < chain.size(); ++k) {
      require(seen[chain[k]] == 0, source + ": joint " + joint_names[chain[k]] + " appears in two chains");
      seen[chain[k]] = 1;
      double n = raw_offsets[chain[k]].norm().item<double>();
      require(std::abs(n - 1.0) < 1e-6, source + ": raw_offsets of joint " + joint_names[chain[k]] +
                                             " must be a unit vector, has length " + std::to_string(n));
    }
  }
  for (int64_t i = 0; i < J; ++i) require(seen[i] > 0, source + ": joint " + joint_names[i] + " is in no chain");
  if (target_offsets.defined())
    require(target_offsets.sizes() == torch::IntArrayRef({J, 3}), source + ": target_offsets must be [J,3]");
}

namespace {

// Joint indices, as nested arrays of integers. A number past int64's range parses as a double,
// and converting that to an integer is undefined behaviour (found by fuzzing): refuse it first.
void require_integers(const nlohmann::json& v, const std::string& where) {
  if (v.is_array()) {
    for (const auto& e : v) require_integers(e, where);
    return;
  }
  require(v.is_number_integer(), where + ": joint indices must be integers, found " + v.dump());
}

template <class T>
T indices(const nlohmann::json& j, const char* key, const std::string& source) {
  require_integers(j.at(key), source + ": '" + key + "'");
  return j.at(key).get<T>();
}

}  // namespace

Skeleton Skeleton::from_json(const nlohmann::json& j, const std::string& source) {
  try {
    Skeleton s;
    s.name = j.value("name", "custom");
    s.joint_names = j.at("joints").get<std::vector<std::string>>();
    s.chains = indices<std::vector<std::vector<int64_t>>>(j, "chains", source);
    s.raw_offsets = directions(j.at("raw_offsets").get<std::vector<std::array<double, 3>>>());
    if (j.contains("target_offsets"))
      s.target_offsets = directions(j.at("target_offsets").get<std::vector<std::array<double, 3>>>());
    s.face_joints = indices<std::array<int64_t, 4>>(j, "face_joints", source);
    s.feet_left = indices<std::array<int64_t, 2>>(j, "feet_left", source);
    s.feet_right = indices<std::array<int64_t, 2>>(j, "feet_right", source);
    s.leg_joints = indices<std::array<int64_t, 2>>(j, "leg_joints", source);
    s.foot_velocity_threshold = j.value("foot_velocity_threshold", 0.002);
    s.humanml3d_facing_quirk = j.value("humanml3d_facing_quirk", false);
    require(static_cast<int64_t>(s.raw_offsets.size(0)) == s.num_joints(),
            source + ": raw_offsets has " + std::to_string(s.raw_offsets.size(0)) + " rows, expected one per joint (" +
                std::to_string(s.num_joints()) + ")");
    for (const auto& chain : s.chains)
      for (auto i : chain)
        require(i >= 0 && i < s.num_joints(), source + ": chain index " + std::to_string(i) + " out of range");
    s.parents = parents_from_chains(s.num_joints(), s.chains);
    s.validate(source);
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw Error(source + ": invalid skeleton description: " + e.what());
  }
}

Skeleton Skeleton::load(const std::string& path) {
  return from_json(load_json_file(path), path);
}

std::optional<Skeleton> Skeleton::builtin(const std::string& name) {
  if (name == "humanml3d") return humanml3d();
  if (name == "kit") return kit();
  return std::nullopt;
}

Skeleton Skeleton::named(const std::string& name_or_path) {
  auto s = builtin(name_or_path);
  return s ? *s : load(name_or_path);
}

nlohmann::json Skeleton::to_json() const {
  auto rows = [](const torch::Tensor& t) {
    std::vector<std::array<double, 3>> out(t.size(0));
    auto a = t.to(torch::kDouble).contiguous();
    for (int64_t i = 0; i < t.size(0); ++i)
      for (int k = 0; k < 3; ++k) out[i][k] = a[i][k].item<double>();
    return out;
  };
  nlohmann::json j = {{"name", name},
                      {"joints", joint_names},
                      {"chains", chains},
                      {"raw_offsets", rows(raw_offsets)},
                      {"face_joints", face_joints},
                      {"feet_left", feet_left},
                      {"feet_right", feet_right},
                      {"leg_joints", leg_joints},
                      {"foot_velocity_threshold", foot_velocity_threshold},
                      {"humanml3d_facing_quirk", humanml3d_facing_quirk}};
  if (target_offsets.defined()) j["target_offsets"] = rows(target_offsets);
  return j;
}

}  // namespace mogo
