#include "export/gltf.hpp"

#include <cstring>
#include <filesystem>
#include <cstdio>
#include <regex>
#include <sstream>

#include <zlib.h>

#include <nlohmann/json.hpp>
#include <tiny_gltf.h>

#include "common/atomic_file.hpp"
#include "common/error.hpp"

namespace mogo {

namespace {

namespace tg = tinygltf;

// Appends a typed array to buffer 0 as a new buffer view (4-byte aligned); returns the view.
template <class T>
int add_view(tg::Model& m, const std::vector<T>& data, int target = 0) {
  auto& bytes = m.buffers[0].data;
  while (bytes.size() % 4) bytes.push_back(0);
  tg::BufferView v;
  v.buffer = 0;
  v.byteOffset = bytes.size();
  v.byteLength = data.size() * sizeof(T);
  v.target = target;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  bytes.insert(bytes.end(), p, p + v.byteLength);
  m.bufferViews.push_back(v);
  return static_cast<int>(m.bufferViews.size()) - 1;
}

int add_accessor(tg::Model& m, int view, int component, size_t count, int type, std::vector<double> min = {},
                 std::vector<double> max = {}) {
  tg::Accessor a;
  a.bufferView = view;
  a.componentType = component;
  a.count = count;
  a.type = type;
  a.minValues = std::move(min);
  a.maxValues = std::move(max);
  m.accessors.push_back(a);
  return static_cast<int>(m.accessors.size()) - 1;
}

// Per-component min and max of `n`-vectors (required on POSITION and animation inputs).
std::pair<std::vector<double>, std::vector<double>> bounds(const std::vector<float>& v, int n) {
  std::vector<double> lo(n, 1e300), hi(n, -1e300);
  for (size_t i = 0; i < v.size(); ++i) {
    lo[i % n] = std::min(lo[i % n], static_cast<double>(v[i]));
    hi[i % n] = std::max(hi[i % n], static_cast<double>(v[i]));
  }
  return {lo, hi};
}

std::vector<float> floats(const torch::Tensor& t) {
  auto c = t.to(torch::kFloat).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// Shared key times of an animation of T frames: an input accessor.
int add_key_times(tg::Model& m, int64_t T, double fps) {
  std::vector<float> times(T);
  for (int64_t t = 0; t < T; ++t) times[t] = static_cast<float>(t / fps);
  return add_accessor(m, add_view(m, times), TINYGLTF_COMPONENT_TYPE_FLOAT, T, TINYGLTF_TYPE_SCALAR, {0.0}, {static_cast<double>(times.back())});
}

void add_channel(tg::Model& m, tg::Animation& anim, int input, int node, const std::string& path, const std::vector<float>& values,
                 int type, int64_t T) {
  tg::AnimationSampler sampler;
  sampler.input = input;
  sampler.output = add_accessor(m, add_view(m, values), TINYGLTF_COMPONENT_TYPE_FLOAT, T, type);
  sampler.interpolation = "LINEAR";
  anim.samplers.push_back(sampler);
  tg::AnimationChannel ch;
  ch.sampler = static_cast<int>(anim.samplers.size()) - 1;
  ch.target_node = node;
  ch.target_path = path;
  anim.channels.push_back(ch);
}

// Rotations [T,4] (w,x,y,z) as glTF's (x,y,z,w), signs kept continuous so that interpolation
// takes the short way.
void add_rotation_channel(tg::Model& m, tg::Animation& anim, int input, int node, const torch::Tensor& rotations) {
  auto q = rotations.to(torch::kDouble).clone();
  const int64_t T = q.size(0);
  if (T > 1) {  // frame t flips when the product of the sign changes up to it is negative
    auto turns = torch::where((q.narrow(0, 1, T - 1) * q.narrow(0, 0, T - 1)).sum(-1) < 0, -1.0, 1.0);
    q.narrow(0, 1, T - 1).mul_(torch::cumprod(turns, 0).unsqueeze(1));
  }
  add_channel(m, anim, input, node, "rotation", floats(torch::cat({q.narrow(1, 1, 3), q.narrow(1, 0, 1)}, 1)), TINYGLTF_TYPE_VEC4, T);
}

// Rest pose: every rotation identity, so a joint's rest position is the sum of its chain's offsets.
torch::Tensor rest_positions(const SkeletalAnimation& a) {
  auto rest = torch::zeros({a.skeleton.num_joints(), 3}, torch::kDouble);
  for (int64_t j : parents_first(a.skeleton))
    if (j > 0) rest[j] = rest[a.skeleton.parents[j]] + a.offsets[j].to(torch::kDouble);
  return rest;
}

// A box around each bone (parent -> child) in the rest pose, skinned to the parent joint.
void add_body(tg::Model& m, const SkeletalAnimation& a, const torch::Tensor& rest) {
  std::vector<float> positions;
  std::vector<uint16_t> joints;
  std::vector<float> weights;
  std::vector<uint32_t> indices;
  const auto& s = a.skeleton;
  for (int64_t j = 1; j < s.num_joints(); ++j) {
    const int64_t p = s.parents[j];
    auto from = rest[p], to = rest[j];
    auto axis = to - from;
    const double length = axis.norm().item<double>();
    if (length < 1e-6) continue;
    axis = axis / length;
    // Two directions across the bone.
    auto helper = std::abs(axis[1].item<double>()) < 0.9 ? torch::tensor({0.0, 1.0, 0.0}, torch::kDouble)
                                                          : torch::tensor({1.0, 0.0, 0.0}, torch::kDouble);
    auto u = torch::cross(axis, helper, 0);
    u = u / u.norm();
    auto v = torch::cross(axis, u, 0);
    const double half = std::clamp(0.12 * length, 0.012, 0.05);
    const auto base = static_cast<uint32_t>(positions.size() / 3);
    for (int end = 0; end < 2; ++end)
      for (int k = 0; k < 4; ++k) {
        const double su = (k == 0 || k == 3) ? -half : half, sv = k < 2 ? -half : half;
        auto c = (end ? to : from) + u * su + v * sv;
        for (int d = 0; d < 3; ++d) positions.push_back(static_cast<float>(c[d].item<double>()));
        joints.insert(joints.end(), {static_cast<uint16_t>(p), 0, 0, 0});
        weights.insert(weights.end(), {1.0f, 0.0f, 0.0f, 0.0f});
      }
    // 6 faces x 2 triangles over corners 0-3 (at the parent) and 4-7 (at the child).
    const uint32_t faces[12][3] = {{0, 1, 2}, {0, 2, 3}, {4, 6, 5}, {4, 7, 6}, {0, 4, 5}, {0, 5, 1},
                                   {1, 5, 6}, {1, 6, 2}, {2, 6, 7}, {2, 7, 3}, {3, 7, 4}, {3, 4, 0}};
    for (const auto& f : faces)
      for (uint32_t i : f) indices.push_back(base + i);
  }
  auto [lo, hi] = bounds(positions, 3);
  tg::Primitive prim;
  prim.mode = TINYGLTF_MODE_TRIANGLES;
  prim.attributes["POSITION"] = add_accessor(m, add_view(m, positions, TINYGLTF_TARGET_ARRAY_BUFFER), TINYGLTF_COMPONENT_TYPE_FLOAT,
                                             positions.size() / 3, TINYGLTF_TYPE_VEC3, lo, hi);
  prim.attributes["JOINTS_0"] = add_accessor(m, add_view(m, joints, TINYGLTF_TARGET_ARRAY_BUFFER),
                                             TINYGLTF_COMPONENT_TYPE_UNSIGNED_SHORT, joints.size() / 4, TINYGLTF_TYPE_VEC4);
  prim.attributes["WEIGHTS_0"] = add_accessor(m, add_view(m, weights, TINYGLTF_TARGET_ARRAY_BUFFER), TINYGLTF_COMPONENT_TYPE_FLOAT,
                                              weights.size() / 4, TINYGLTF_TYPE_VEC4);
  prim.indices = add_accessor(m, add_view(m, indices, TINYGLTF_TARGET_ELEMENT_ARRAY_BUFFER), TINYGLTF_COMPONENT_TYPE_UNSIGNED_INT,
                              indices.size(), TINYGLTF_TYPE_SCALAR);
  tg::Material mat;
  mat.name = "body";
  mat.pbrMetallicRoughness.baseColorFactor = {0.55, 0.62, 0.75, 1.0};
  mat.pbrMetallicRoughness.metallicFactor = 0.0;
  mat.pbrMetallicRoughness.roughnessFactor = 0.8;
  m.materials.push_back(mat);
  prim.material = 0;
  tg::Mesh mesh;
  mesh.name = "body";
  mesh.primitives.push_back(prim);
  m.meshes.push_back(mesh);
}

tg::Model build_model(const SkeletalAnimation& a) {
  const auto& s = a.skeleton;
  const int64_t J = s.num_joints(), T = a.frames();
  tg::Model m;
  m.asset.version = "2.0";
  m.asset.generator = "mogo";
  m.buffers.resize(1);
  const auto children = children_of(s);
  const auto rest = rest_positions(a);
  // Nodes 0..J-1: the joints (their rest translation; rotations come from the animation).
  for (int64_t j = 0; j < J; ++j) {
    tg::Node n;
    n.name = s.joint_names[j];
    auto t = j == 0 ? a.root_positions[0] : a.offsets[j];
    n.translation = {t[0].item<double>(), t[1].item<double>(), t[2].item<double>()};
    for (auto c : children[j]) n.children.push_back(static_cast<int>(c));
    m.nodes.push_back(n);
  }
  add_body(m, a, rest);
  // The skinned mesh node, and the skin: inverse bind matrices undo each joint's rest translation.
  std::vector<float> ibm;
  for (int64_t j = 0; j < J; ++j) {
    float mat[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};  // column-major
    for (int d = 0; d < 3; ++d) mat[12 + d] = static_cast<float>(-rest[j][d].item<double>());
    ibm.insert(ibm.end(), mat, mat + 16);
  }
  tg::Skin skin;
  skin.name = s.name;
  skin.skeleton = 0;
  for (int64_t j = 0; j < J; ++j) skin.joints.push_back(static_cast<int>(j));
  skin.inverseBindMatrices = add_accessor(m, add_view(m, ibm), TINYGLTF_COMPONENT_TYPE_FLOAT, J, TINYGLTF_TYPE_MAT4);
  m.skins.push_back(skin);
  tg::Node body;
  body.name = "body";
  body.mesh = 0;
  body.skin = 0;
  m.nodes.push_back(body);

  // Animation: a rotation sampler per joint, the root's translation.
  tg::Animation anim;
  anim.name = "motion";
  const int input = add_key_times(m, T, a.fps);
  for (int64_t j = 0; j < J; ++j) add_rotation_channel(m, anim, input, static_cast<int>(j), a.rotations.select(1, j));
  add_channel(m, anim, input, 0, "translation", floats(a.root_positions), TINYGLTF_TYPE_VEC3, T);
  m.animations.push_back(anim);
  tg::Scene scene;
  scene.name = "motion";
  scene.nodes = {0, static_cast<int>(J)};
  m.scenes.push_back(scene);
  m.defaultScene = 0;
  return m;
}

std::string serialize(const tg::Model& m, bool binary) {
  tg::TinyGLTF writer;
  std::ostringstream out;
  require(writer.WriteGltfSceneToStream(&m, out, /*prettyPrint=*/!binary, binary), "glTF: tinygltf could not serialise the scene");
  return out.str();
}

// The buffer file an existing .gltf written by mogo names ("<stem>.<8 hex digits>.bin"), or "".
std::string buffer_file_of(const std::string& gltf_path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(gltf_path, ec)) return "";
  try {
    const auto j = nlohmann::json::parse(read_file(gltf_path));
    const std::string uri = j.at("buffers").at(0).at("uri").get<std::string>();
    const std::string stem = std::filesystem::path(gltf_path).stem().string();
    static const std::regex own(R"([0-9a-f]{8}\.bin)");
    if (uri.size() > stem.size() + 1 && uri.compare(0, stem.size() + 1, stem + ".") == 0 && std::regex_match(uri.substr(stem.size() + 1), own))
      return uri;
  } catch (const std::exception&) {
  }
  return "";
}

}  // namespace

std::string gltf_binary(const SkeletalAnimation& a) { return serialize(build_model(a), true); }

namespace {

// Writes a model as .glb, or as .gltf JSON with its buffer beside it, atomically.
void write_model(const std::string& path, const tg::Model& model, bool binary) {
  std::filesystem::path p(path);
  if (binary) {
    write_file_atomically(path, serialize(model, true));
    return;
  }
  // .gltf: the JSON names its buffer file beside it, "<stem>.<crc32>.bin" (not a data URI). The
  // name carries the content: the new .bin never replaces the one the old .gltf reads, so a kill
  // between the two writes leaves the old pair whole (and an unused new .bin), never an old .gltf
  // beside a new .bin of the same size. The old pair's .bin is removed once the new .gltf is in place.
  const auto& bytes = model.buffers[0].data;
  char crc[16];
  std::snprintf(crc, sizeof crc, "%08lx", ::crc32(0L, bytes.data(), static_cast<uInt>(bytes.size())));
  const std::string bin = p.stem().string() + "." + crc + ".bin";
  const std::string old_bin = buffer_file_of(path);
  auto json = nlohmann::json::parse(serialize(model, false));
  json["buffers"][0]["uri"] = bin;
  write_file_atomically((p.parent_path() / bin).string(), std::string(bytes.begin(), bytes.end()));
  write_file_atomically(path, json.dump(2) + "\n");
  if (!old_bin.empty() && old_bin != bin) std::filesystem::remove(p.parent_path() / old_bin);
}


}  // namespace

void save_gltf(const std::string& path, const torch::Tensor& joints, const Skeleton& skel, double fps, bool binary) {
  write_model(path, build_model(solve_animation(joints, skel, fps)), binary);
}

namespace {

tg::Model rig_model(const CharacterRig& rig, const RigMotion& motion) {
  require(rig.format == "gltf" && rig.gltf, "a glTF result needs a glTF rig; '" + rig.path + "' is " + rig.format);
  tg::Model m = *rig.gltf;  // the file as read when the rig was loaded
  if (m.buffers.empty()) m.buffers.resize(1);
  // One animation, this one. An animated node must carry TRS, not a matrix.
  m.animations.clear();
  const int64_t T = motion.frames();
  for (int64_t j = 0; j < rig.num_joints(); ++j) {
    auto& n = m.nodes[rig.gltf_nodes[j]];
    if (n.matrix.empty()) continue;
    n.matrix.clear();
    const auto t = rig.rest_translation[j], q = rig.rest_rotation[j];
    n.translation = {t[0].item<double>(), t[1].item<double>(), t[2].item<double>()};
    n.rotation = {q[1].item<double>(), q[2].item<double>(), q[3].item<double>(), q[0].item<double>()};
  }
  tg::Animation anim;
  anim.name = "mogo";
  const int input = add_key_times(m, T, motion.fps);
  for (int64_t j = 0; j < rig.num_joints(); ++j) add_rotation_channel(m, anim, input, rig.gltf_nodes[j], motion.rotations.select(1, j));
  add_channel(m, anim, input, rig.gltf_nodes[0], "translation", floats(motion.root_translation), TINYGLTF_TYPE_VEC3, T);
  m.animations.push_back(anim);
  return m;
}

}  // namespace

std::string rig_gltf_binary(const CharacterRig& rig, const RigMotion& motion) { return serialize(rig_model(rig, motion), true); }

void save_rig_gltf(const std::string& path, const CharacterRig& rig, const RigMotion& motion, bool binary) {
  write_model(path, rig_model(rig, motion), binary);
}

}  // namespace mogo
