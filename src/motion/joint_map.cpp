#include "motion/joint_map.hpp"

#include <algorithm>
#include <map>

#include "common/archive.hpp"
#include "common/error.hpp"
#include "common/runtime.hpp"

namespace mogo {

namespace {

struct Conventions {
  std::vector<std::string> parts, required;
  // name -> part -> candidate names (normalised), in file order
  std::vector<std::pair<std::string, std::map<std::string, std::vector<std::string>>>> list;
};

const Conventions& conventions() {
  static const Conventions c = [] {
    auto installed = installed_file({"../share/mogo/rigs/joint-names.json"});
    const std::string path = installed.empty() ? std::string(MOGO_SOURCE_DIR) + "/data/rigs/joint-names.json" : installed;
    const auto j = load_json_file(path);
    Conventions c;
    c.parts = j.at("parts").get<std::vector<std::string>>();
    c.required = j.at("required").get<std::vector<std::string>>();
    for (const auto& [name, table] : j.at("conventions").items()) {
      std::map<std::string, std::vector<std::string>> parts;
      for (const auto& [part, names] : table.items())
        for (const auto& n : names) parts[part].push_back(normalise_joint_name(n.get<std::string>()));
      c.list.emplace_back(name, std::move(parts));
    }
    return c;
  }();
  return c;
}

// Per body part: the index in `names` under the convention, -1 where it names none.
std::map<std::string, int64_t> parts_in(const std::map<std::string, std::vector<std::string>>& convention,
                                        const std::vector<std::string>& names) {
  std::map<std::string, int64_t> found;
  for (const auto& [part, candidates] : convention) {
    found[part] = -1;
    for (const auto& cand : candidates) {
      for (size_t i = 0; i < names.size() && found[part] < 0; ++i)
        if (normalise_joint_name(names[i]) == cand) found[part] = static_cast<int64_t>(i);
      if (found[part] >= 0) break;
    }
  }
  return found;
}

struct Best {
  std::string name;
  std::map<std::string, int64_t> parts;
  int count = -1;
};

// The convention naming the most parts of `names` (the first on ties).
Best best_convention(const std::vector<std::string>& names) {
  Best best;
  for (const auto& [name, table] : conventions().list) {
    auto parts = parts_in(table, names);
    int count = 0;
    for (const auto& [p, i] : parts) count += i >= 0;
    if (count > best.count) best = {name, parts, count};
  }
  return best;
}

std::vector<std::string> missing_required(const Best& b) {
  std::vector<std::string> missing;
  for (const auto& p : conventions().required)
    if (b.parts.at(p) < 0) missing.push_back(p);
  return missing;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

std::string normalise_joint_name(const std::string& name) {
  std::string n = name.substr(name.find_last_of(":|") == std::string::npos ? 0 : name.find_last_of(":|") + 1);
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (n.rfind("def-", 0) == 0 || n.rfind("def_", 0) == 0) n = n.substr(4);
  return n;
}

JointMap detect_joint_map(const Skeleton& model, const std::vector<std::string>& rig_names, const std::string& rig_source) {
  const auto model_side = best_convention(model.joint_names);
  require(missing_required(model_side).empty(), "skeleton '" + model.name + "': its joint names follow no known convention (" +
                                                    joined(missing_required(model_side)) + " not found); give --mapping");
  const auto rig_side = best_convention(rig_names);
  const auto missing = missing_required(rig_side);
  require(missing.empty(), rig_source + ": cannot tell the rig's joints from their names: the closest convention ('" + rig_side.name +
                               "') finds no " + joined(missing) + "; give --mapping JSON {\"joints\": {\"<model joint>\": \"<rig joint>\"}}");
  JointMap m{rig_side.name, std::vector<int64_t>(model.num_joints(), -1)};
  for (const auto& [part, i] : model_side.parts)
    if (i >= 0) m.rig_of[i] = rig_side.parts.at(part);
  return m;
}

JointMap joint_map_from_json(const nlohmann::json& j, const Skeleton& model, const std::vector<std::string>& rig_names,
                             const std::string& source) {
  require(j.is_object() && j.contains("joints") && j.at("joints").is_object(),
          source + ": a rig mapping is {\"joints\": {\"<model joint>\": \"<rig joint>\", ...}}");
  JointMap m{"--mapping", std::vector<int64_t>(model.num_joints(), -1)};
  try {
    m = detect_joint_map(model, rig_names, source);
    m.convention = "--mapping + " + m.convention;
  } catch (const Error&) {
    // The mapping may name every joint itself.
  }
  for (const auto& [model_joint, rig_joint] : j.at("joints").items()) {
    const auto k = std::find(model.joint_names.begin(), model.joint_names.end(), model_joint);
    require(k != model.joint_names.end(), source + ": '" + model_joint + "' is not a joint of the model's skeleton '" + model.name + "' (" +
                                              joined(model.joint_names) + ")");
    require(rig_joint.is_string() || rig_joint.is_null(), source + ": joint '" + model_joint + "' must map to a rig joint name or null");
    int64_t r = -1;
    if (rig_joint.is_string()) {
      const auto name = rig_joint.get<std::string>();
      for (size_t i = 0; i < rig_names.size() && r < 0; ++i)
        if (rig_names[i] == name || normalise_joint_name(rig_names[i]) == normalise_joint_name(name)) r = static_cast<int64_t>(i);
      require(r >= 0, source + ": the rig has no joint '" + name + "' (for '" + model_joint + "')");
    }
    m.rig_of[k - model.joint_names.begin()] = r;
  }
  return m;
}

JointMap load_joint_map(const std::string& path, const Skeleton& model, const std::vector<std::string>& rig_names) {
  return joint_map_from_json(load_json_file(path), model, rig_names, path);
}

}  // namespace mogo
