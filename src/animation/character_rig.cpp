#include "animation/character_rig.hpp"

#include <cctype>
#include <cmath>
#include <filesystem>
#include <functional>

#include <tiny_gltf.h>

#include "common/error.hpp"
#include "motion/quaternion.hpp"

namespace mogo {

namespace {

namespace tg = tinygltf;
using Mat4 = torch::Tensor;  // [4,4] double, column vectors

std::string lower_extension(const std::string& path) {
  auto e = std::filesystem::path(path).extension().string();
  for (auto& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e;
}

torch::Tensor vec3(const double* v) { return torch::tensor({v[0], v[1], v[2]}, torch::kDouble); }

// A node's local matrix from its TRS or its matrix.
Mat4 node_matrix(const tg::Node& n) {
  if (n.matrix.size() == 16) return torch::tensor(n.matrix, torch::kDouble).reshape({4, 4}).t().contiguous();  // column-major
  auto m = torch::eye(4, torch::kDouble);
  auto q = n.rotation.size() == 4 ? torch::tensor({n.rotation[3], n.rotation[0], n.rotation[1], n.rotation[2]}, torch::kDouble)
                                  : torch::tensor({1.0, 0.0, 0.0, 0.0}, torch::kDouble);
  auto s = n.scale.size() == 3 ? torch::tensor(n.scale, torch::kDouble) : torch::ones({3}, torch::kDouble);
  m.narrow(0, 0, 3).narrow(1, 0, 3).copy_(rot::quat_to_matrix(rot::qnormalize(q)) * s.unsqueeze(0));
  if (n.translation.size() == 3) m.narrow(0, 0, 3).select(1, 3).copy_(torch::tensor(n.translation, torch::kDouble));
  return m;
}

// Splits a matrix into translation, one scale and a rotation; a shear or an uneven scale is an error.
struct Similarity {
  torch::Tensor translation, rotation;
  double scale;
};
Similarity decompose(const Mat4& m, const std::string& what) {
  auto A = m.narrow(0, 0, 3).narrow(1, 0, 3);
  auto norms = A.norm(2, 0);
  const double s = norms.mean().item<double>();
  require(s > 0 && (norms - s).abs().max().item<double>() <= 1e-3 * s,
          what + " has an uneven scale (" + c10::str(norms) + "); rigs need the same scale on every axis");
  auto R = A / s;
  require(torch::allclose(torch::matmul(R, R.t()), torch::eye(3, torch::kDouble), 1e-3, 1e-3) && torch::linalg_det(R).item<double>() > 0,
          what + " is sheared or mirrored; rigs need rotations, translations and one scale");
  return {m.narrow(0, 0, 3).select(1, 3).clone(), rot::matrix_to_quat(R), s};
}

// Fills the world rest pose from the local one and what is above the root.
void place_rest_pose(CharacterRig& r) {
  const int64_t J = r.num_joints();
  r.rest_position = rig_world_positions(r, r.rest_translation[0].unsqueeze(0), r.rest_rotation.unsqueeze(0))[0];
  std::vector<torch::Tensor> W(J);
  for (int64_t j = 0; j < J; ++j)
    W[j] = rot::qmul(r.parents[j] < 0 ? r.above_rotation : W[r.parents[j]], r.rest_rotation[j]);
  r.rest_world_rotation = torch::stack(W);
}

CharacterRig rig_from_gltf(const std::string& path) {
  tg::Model m;
  tg::TinyGLTF loader;
  std::string err, warn;
  const bool ok = lower_extension(path) == ".glb" ? loader.LoadBinaryFromFile(&m, &err, &warn, path)
                                                   : loader.LoadASCIIFromFile(&m, &err, &warn, path);
  require(ok, path + ": not a readable glTF file: " + (err.empty() ? warn : err));
  require(!m.skins.empty() && !m.skins[0].joints.empty(), path + ": the glTF file has no skin (a skinned character is needed as a rig)");
  const auto& skin = m.skins[0];
  const int N = static_cast<int>(m.nodes.size());
  std::vector<int> node_parent(N, -1), joint_of(N, -1);
  for (int i = 0; i < N; ++i)
    for (int c : m.nodes[i].children) {
      require(c >= 0 && c < N && node_parent[c] < 0, path + ": node " + std::to_string(c) + " has a bad or second parent");
      node_parent[c] = i;
    }
  for (int j : skin.joints) {
    require(j >= 0 && j < N, path + ": the skin names node " + std::to_string(j) + ", which does not exist");
    joint_of[j] = 0;
  }
  std::vector<int> roots;
  for (int j : skin.joints)
    if (node_parent[j] < 0 || joint_of[node_parent[j]] < 0) roots.push_back(j);
  require(roots.size() == 1, path + ": the skin's joints form " + std::to_string(roots.size()) + " trees; a rig needs one root joint");
  for (int j : skin.joints) {
    // Every non-root joint hangs directly under another joint.
    require(j == roots[0] || joint_of[node_parent[j]] >= 0,
            path + ": joint '" + m.nodes[j].name + "' hangs under a node that is not a joint");
  }

  CharacterRig r;
  r.path = path;
  r.format = "gltf";
  std::vector<torch::Tensor> trans, rots, tips;
  std::function<void(int, int64_t)> add = [&](int node, int64_t parent) {
    const auto& n = m.nodes[node];
    const std::string name = n.name.empty() ? "node" + std::to_string(node) : n.name;
    const auto local = decompose(node_matrix(n), path + ": joint '" + name + "'");
    require(std::abs(local.scale - 1.0) <= 1e-3, path + ": joint '" + name + "' is scaled by " + c10::str(local.scale) +
                                                     "; put a rig's scale on a node above its joints");
    const int64_t self = r.num_joints();
    joint_of[node] = static_cast<int>(self);
    r.names.push_back(name);
    r.parents.push_back(parent);
    r.gltf_nodes.push_back(node);
    trans.push_back(local.translation);
    rots.push_back(local.rotation);
    for (int c : n.children)
      if (joint_of[c] >= 0) add(c, self);
  };
  add(roots[0], -1);
  require(r.num_joints() == static_cast<int64_t>(skin.joints.size()), path + ": the skin lists a node twice");
  // Above the root: the product of its ancestors' matrices.
  auto above = torch::eye(4, torch::kDouble);
  for (int a = node_parent[roots[0]]; a >= 0; a = node_parent[a]) above = torch::matmul(node_matrix(m.nodes[a]), above);
  const auto sim = decompose(above, path + ": the nodes above the skeleton");
  r.above_translation = sim.translation;
  r.above_rotation = sim.rotation;
  r.above_scale = sim.scale;
  r.rest_translation = torch::stack(trans);
  r.rest_rotation = torch::stack(rots);
  place_rest_pose(r);
  // Tips: a joint's non-joint child nodes (e.g. end bones that are not in the skin).
  r.rest_tip = torch::full({r.num_joints(), 3}, std::nan(""), torch::kDouble);
  for (int64_t j = 0; j < r.num_joints(); ++j)
    for (int c : m.nodes[r.gltf_nodes[j]].children)
      if (joint_of[c] < 0) {
        const auto t = decompose(node_matrix(m.nodes[c]), path + ": node '" + m.nodes[c].name + "'").translation;
        r.rest_tip[j] = r.rest_position[j] + r.above_scale * rot::qrot(r.rest_world_rotation[j], t);
      }
  r.gltf = std::make_shared<const tg::Model>(std::move(m));
  return r;
}

}  // namespace

int64_t CharacterRig::index_of(const std::string& name) const {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int64_t>(i);
  return -1;
}

std::vector<std::vector<int64_t>> CharacterRig::children() const {
  std::vector<std::vector<int64_t>> c(names.size());
  for (size_t j = 1; j < names.size(); ++j) c[parents[j]].push_back(static_cast<int64_t>(j));
  return c;
}

CharacterRig rig_from_bvh(const bvh::Bvh& b, const std::string& path) {
  require(!b.joints.empty(), path + ": the BVH file has no joints");
  CharacterRig r;
  r.path = path;
  r.format = "bvh";
  r.bvh = b;
  r.bvh.motion = torch::Tensor();  // the rig's own take is not needed: results write their own
  r.bvh.frames = 0;
  std::vector<torch::Tensor> trans;
  for (const auto& j : b.joints) {
    r.names.push_back(j.name);
    r.parents.push_back(j.parent);
    trans.push_back(vec3(j.offset));
  }
  const int64_t J = r.num_joints();
  r.rest_translation = torch::stack(trans);
  r.rest_rotation = rot::qidentity({J}, torch::kDouble);
  r.above_rotation = rot::qidentity({}, torch::kDouble);
  r.above_translation = torch::zeros({3}, torch::kDouble);
  place_rest_pose(r);
  r.rest_tip = torch::full({J, 3}, std::nan(""), torch::kDouble);
  for (int64_t j = 0; j < J; ++j)
    if (b.joints[j].has_end_site) r.rest_tip[j] = r.rest_position[j] + vec3(b.joints[j].end_site);
  return r;
}

CharacterRig load_rig(const std::string& path) {
  std::error_code ec;
  require(std::filesystem::is_regular_file(path, ec), path + ": no such rig file");
  const auto e = lower_extension(path);
  if (e == ".bvh") return rig_from_bvh(bvh::load(path), path);
  if (e == ".glb" || e == ".gltf") return rig_from_gltf(path);
  throw Error(path + ": unknown rig format '" + e + "' (expected .bvh, .glb or .gltf)");
}

torch::Tensor rig_world_positions(const CharacterRig& r, const torch::Tensor& root_translation, const torch::Tensor& rotations) {
  const int64_t J = r.num_joints(), T = rotations.size(0);
  std::vector<torch::Tensor> W(J), P(J);
  for (int64_t j = 0; j < J; ++j) {
    const auto q = rotations.select(1, j).to(torch::kDouble);
    if (r.parents[j] < 0) {
      W[j] = rot::qmul(r.above_rotation.expand({T, 4}), q);
      P[j] = r.above_translation + r.above_scale * rot::qrot(r.above_rotation.expand({T, 4}), root_translation.to(torch::kDouble));
    } else {
      W[j] = rot::qmul(W[r.parents[j]], q);
      P[j] = P[r.parents[j]] + r.above_scale * rot::qrot(W[r.parents[j]], r.rest_translation[j].expand({T, 3}));
    }
  }
  return torch::stack(P, 1);
}

}  // namespace mogo
