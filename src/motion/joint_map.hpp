// Which joint of the user's rig each joint of the model's skeleton drives. Chosen from joint
// names by the naming conventions in data/rigs/joint-names.json (Mixamo, CMU, Unreal mannequin,
// Unity humanoid, Blender metarig/rigify, Bandai, HumanML3D; case, namespace and DEF- prefix
// ignored), or given as JSON: {"joints": {"<model joint>": "<rig joint>", ...}}.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "motion/skeleton.hpp"

namespace mogo {

struct JointMap {
  std::string convention;      // the rig's naming convention, or "--mapping"
  std::vector<int64_t> rig_of;  // per model joint: the rig joint it drives, -1 for none
};

// Lower case, without a namespace ("mixamorig:Hips", "Armature|Hips") or a "DEF-" prefix.
std::string normalise_joint_name(const std::string& name);

// Detects both sides' conventions; the rig must name at least the hips and both legs (hip, knee,
// ankle). Errors list what the closest convention misses and point to --mapping.
JointMap detect_joint_map(const Skeleton& model, const std::vector<std::string>& rig_names, const std::string& rig_source);

// From JSON; model joints it does not list are mapped by detection when the rig's names allow.
JointMap joint_map_from_json(const nlohmann::json& j, const Skeleton& model, const std::vector<std::string>& rig_names,
                             const std::string& source);
JointMap load_joint_map(const std::string& path, const Skeleton& model, const std::vector<std::string>& rig_names);

}  // namespace mogo
