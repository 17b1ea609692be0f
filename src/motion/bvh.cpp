#include "motion/bvh.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "common/archive.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/runtime.hpp"
#include "motion/quaternion.hpp"
#include "motion/rig.hpp"
#include "motion/skeletal_animation.hpp"

namespace mogo::bvh {

namespace {

// Whitespace tokenizer that remembers line numbers for error messages.
class Tokens {
 public:
  Tokens(const std::string& text, std::string source) : text_(text), source_(std::move(source)) {}

  bool at_end() {
    skip_space();
    return pos_ >= text_.size();
  }
  std::string next(const char* expected) {
    skip_space();
    if (pos_ >= text_.size()) fail(std::string("unexpected end of file, expected ") + expected);
    size_t start = pos_;
    while (pos_ < text_.size() && !isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  void expect(const std::string& word) {
    std::string t = next(word.c_str());
    if (t != word) fail("expected '" + word + "', found '" + t + "'");
  }
  double number(const char* what) {
    std::string t = next(what);
    char* end = nullptr;
    double v = std::strtod(t.c_str(), &end);
    if (end == t.c_str() || *end != '\0' || !std::isfinite(v)) fail(std::string("expected a number (") + what + "), found '" + t + "'");
    return v;
  }
  long integer(const char* what, long lo, long hi) {
    std::string t = next(what);
    char* end = nullptr;
    long v = std::strtol(t.c_str(), &end, 10);
    if (end == t.c_str() || *end != '\0') fail(std::string("expected an integer (") + what + "), found '" + t + "'");
    if (v < lo || v > hi) fail(std::string(what) + " " + t + " out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return v;
  }
  // Rest of the current line (for names with spaces).
  std::string rest_of_line() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
    size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != '\n' && text_[pos_] != '\r') ++pos_;
    std::string s = text_.substr(start, pos_ - start);
    while (!s.empty() && isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    return s;
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(source_ + ":" + std::to_string(line_) + ": " + what);
  }
  size_t line() const { return line_; }

 private:
  void skip_space() {
    while (pos_ < text_.size() && isspace(static_cast<unsigned char>(text_[pos_]))) {
      if (text_[pos_] == '\n') ++line_;
      ++pos_;
    }
  }
  const std::string& text_;
  std::string source_;
  size_t pos_ = 0;
  size_t line_ = 1;
};

Channel channel_from(const std::string& name, Tokens& tk) {
  static const std::pair<const char*, Channel> names[] = {
      {"Xposition", Channel::Xposition}, {"Yposition", Channel::Yposition}, {"Zposition", Channel::Zposition},
      {"Xrotation", Channel::Xrotation}, {"Yrotation", Channel::Yrotation}, {"Zrotation", Channel::Zrotation}};
  for (auto& [n, c] : names)
    if (name == n) return c;
  tk.fail("unknown channel name '" + name + "' (expected X/Y/Z position or rotation)");
}

bool is_rotation(Channel c) { return c == Channel::Xrotation || c == Channel::Yrotation || c == Channel::Zrotation; }
char axis_of(Channel c) {
  switch (c) {
    case Channel::Xposition: case Channel::Xrotation: return 'X';
    case Channel::Yposition: case Channel::Yrotation: return 'Y';
    default: return 'Z';
  }
}

constexpr int kMaxJoints = 1024;
constexpr int kMaxDepth = 256;

void parse_joint(Tokens& tk, Bvh& b, int parent, int depth, int& channel_count) {
  if (depth > kMaxDepth) tk.fail("hierarchy nested deeper than " + std::to_string(kMaxDepth));
  if (static_cast<int>(b.joints.size()) >= kMaxJoints) tk.fail("more than " + std::to_string(kMaxJoints) + " joints");
  Joint j;
  j.name = tk.rest_of_line();
  if (j.name.empty()) tk.fail("joint without a name");
  if (b.index_of(j.name) >= 0) tk.fail("duplicate joint name '" + j.name + "'");
  j.parent = parent;
  tk.expect("{");
  tk.expect("OFFSET");
  for (double& o : j.offset) o = tk.number("OFFSET value");
  std::string word = tk.next("CHANNELS, JOINT, End or }");
  if (word == "CHANNELS") {
    long n = tk.integer("channel count", 0, 6);
    for (long k = 0; k < n; ++k) j.channels.push_back(channel_from(tk.next("channel name"), tk));
    j.channel_start = channel_count;
    channel_count += static_cast<int>(n);
    word = tk.next("JOINT, End or }");
  } else if (parent < 0) {
    tk.fail("ROOT needs CHANNELS");
  }
  int self = static_cast<int>(b.joints.size());
  b.joints.push_back(j);
  while (word != "}") {
    if (word == "JOINT") {
      parse_joint(tk, b, self, depth + 1, channel_count);
    } else if (word == "End") {
      tk.expect("Site");
      tk.expect("{");
      tk.expect("OFFSET");
      b.joints[self].has_end_site = true;
      for (double& o : b.joints[self].end_site) o = tk.number("End Site OFFSET value");
      tk.expect("}");
    } else {
      tk.fail("expected JOINT, End Site or '}', found '" + word + "'");
    }
    word = tk.next("JOINT, End or }");
  }
}

}  // namespace

int Bvh::index_of(const std::string& name) const {
  for (size_t i = 0; i < joints.size(); ++i)
    if (joints[i].name == name) return static_cast<int>(i);
  return -1;
}

Bvh parse(const std::string& text, const std::string& source) {
  Tokens tk(text, source);
  Bvh b;
  tk.expect("HIERARCHY");
  tk.expect("ROOT");
  int channel_count = 0;
  parse_joint(tk, b, -1, 0, channel_count);
  tk.expect("MOTION");
  tk.expect("Frames:");
  b.frames = tk.integer("frame count", 0, 10'000'000);
  tk.expect("Frame");
  tk.expect("Time:");
  b.frame_time = tk.number("frame time");
  // 0.1 to 1000 frames a second, as for every other frame rate mogo takes (require_frame_rate).
  if (!(b.frame_time >= 1.0 / kMaxFps && b.frame_time <= 1.0 / kMinFps))
    tk.fail("Frame Time must be in [0.001, 10] s (0.1 to 1000 fps), found " + c10::str(b.frame_time));
  if (channel_count == 0) tk.fail("no channels in the hierarchy");
  if (static_cast<double>(b.frames) * channel_count > 2e9) tk.fail("motion table too large");
  b.motion = torch::empty({b.frames, channel_count}, torch::kDouble);
  auto acc = b.motion.accessor<double, 2>();
  for (int64_t f = 0; f < b.frames; ++f) {
    for (int c = 0; c < channel_count; ++c) {
      if (tk.at_end())
        tk.fail("truncated motion: frame " + std::to_string(f + 1) + " of " + std::to_string(b.frames) + " has " +
                std::to_string(c) + " of " + std::to_string(channel_count) + " values");
      acc[f][c] = tk.number("channel value");
    }
  }
  if (!tk.at_end()) tk.fail("more motion values than Frames x channels (" + std::to_string(b.frames) + " x " + std::to_string(channel_count) + ")");
  return b;
}

Bvh load(const std::string& path) { return parse(read_file(path), path); }

torch::Tensor global_positions(const Bvh& b) {
  const int64_t F = b.frames, J = static_cast<int64_t>(b.joints.size());
  auto opts = torch::TensorOptions().dtype(torch::kDouble);
  std::vector<torch::Tensor> rot(J), pos(J);
  for (int64_t j = 0; j < J; ++j) {
    const Joint& jt = b.joints[j];
    auto t = torch::tensor({jt.offset[0], jt.offset[1], jt.offset[2]}, opts).expand({F, 3}).clone();
    std::string order;
    std::vector<int64_t> rot_cols;
    for (size_t k = 0; k < jt.channels.size(); ++k) {
      Channel c = jt.channels[k];
      int64_t col = jt.channel_start + static_cast<int64_t>(k);
      if (is_rotation(c)) {
        order += axis_of(c);
        rot_cols.push_back(col);
      } else {
        t.select(1, axis_of(c) - 'X').copy_(b.motion.select(1, col));
      }
    }
    // Rotations compose in channel order (intrinsic): R = R_c1 R_c2 R_c3.
    const torch::Tensor q = order.empty() ? rot::qidentity({F}, opts)
                                          : rot::axes_to_quat(b.motion.index_select(1, torch::tensor(rot_cols, torch::kLong)), order);
    if (jt.parent < 0) {
      rot[j] = q;
      pos[j] = t;
    } else {
      rot[j] = rot::qmul(rot[jt.parent], q);
      pos[j] = pos[jt.parent] + rot::qrot(rot[jt.parent], t);
    }
  }
  return torch::stack(pos, 1);
}

torch::Tensor resample(const torch::Tensor& x, double src_fps, double dst_fps) {
  const int64_t T = x.size(0);
  if (T < 2 || std::abs(src_fps - dst_fps) < 1e-9) return x;
  double duration = (T - 1) / src_fps;
  int64_t T2 = static_cast<int64_t>(std::floor(duration * dst_fps + 1e-9)) + 1;
  auto t = torch::arange(T2, torch::kDouble) * (src_fps / dst_fps);  // source frame index
  auto i0 = torch::clamp(t.floor().to(torch::kLong), 0, T - 1);
  auto i1 = torch::clamp(i0 + 1, 0, T - 1);
  auto w = (t - i0.to(torch::kDouble));
  std::vector<int64_t> shape(x.dim(), 1);
  shape[0] = T2;
  w = w.view(shape).to(x.scalar_type());
  return x.index_select(0, i0) * (1 - w) + x.index_select(0, i1) * w;
}

Mapping Mapping::from_json(const nlohmann::json& j, const std::string& source) {
  try {
    Mapping m;
    const auto& sk = j.at("skeleton");
    if (sk.is_string()) {
      std::string n = sk.get<std::string>();
      auto builtin = Skeleton::builtin(n);
      if (!builtin) throw Error(source + ": unknown built-in skeleton '" + n + "' (humanml3d, kit, or a description object)");
      m.skeleton = *builtin;
    } else {
      m.skeleton = Skeleton::from_json(sk, source);
    }
    m.source_names = m.skeleton.joint_names;
    if (j.contains("joints")) {
      for (auto& [k, v] : j.at("joints").items()) {
        int64_t idx = -1;
        for (int64_t i = 0; i < m.skeleton.num_joints(); ++i)
          if (m.skeleton.joint_names[i] == k) idx = i;
        require(idx >= 0, source + ": 'joints' maps '" + k + "', which is not a joint of skeleton '" + m.skeleton.name + "'");
        m.source_names[idx] = v.get<std::string>();
      }
    }
    m.name = source;
    if (j.contains("scale")) {
      const auto& sc = j.at("scale");
      if (!sc.is_string()) m.scale = sc.get<double>();
      else if (sc.get<std::string>() != "auto") m.scale = rig::unit_scale(sc.get<std::string>(), source + ": 'scale'");
      require(std::isfinite(m.scale) && m.scale >= 0, source + ": 'scale' must be \"auto\", a unit or a positive number");
    }
    std::string up = j.value("up", "y");
    require(up == "y" || up == "z", source + ": 'up' must be \"y\" or \"z\", found \"" + up + "\"");
    m.z_up = up == "z";
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw Error(source + ": invalid joint mapping: " + e.what());
  }
}

Mapping Mapping::load(const std::string& path) {
  return from_json(load_json_file(path), path);
}

int find_joint(const Bvh& b, const std::string& name) {
  if (int i = b.index_of(name); i >= 0) return i;
  auto bare = [](const std::string& n) { return n.substr(n.rfind(':') == std::string::npos ? 0 : n.rfind(':') + 1); };
  for (size_t i = 0; i < b.joints.size(); ++i)
    if (bare(b.joints[i].name) == bare(name)) return static_cast<int>(i);
  return -1;
}

bool Mapping::fits(const Bvh& b, std::string* missing) const {
  for (const auto& n : source_names)
    if (find_joint(b, n) < 0) {
      if (missing) *missing = n;
      return false;
    }
  return true;
}

std::string shipped_mappings_dir() {
  auto installed = installed_file({"../share/mogo/skeletons"});
  return installed.empty() ? std::string(MOGO_SOURCE_DIR) + "/data/skeletons" : installed;
}

Mapping Mapping::detect(const Bvh& b, const std::string& source, const std::string& skeleton) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(shipped_mappings_dir()))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::string tried;
  for (const auto& f : files) {
    Mapping m = load(f.string());
    if (!skeleton.empty() && m.skeleton.name != skeleton) continue;
    std::string missing;
    if (m.fits(b, &missing)) return m;
    tried += (tried.empty() ? "" : ", ") + f.stem().string() + " (no '" + missing + "')";
  }
  throw Error(source + ": no shipped joint mapping fits this skeleton" + (skeleton.empty() ? "" : " for '" + skeleton + "'") +
              " [" + tried + "]; write one (see data/skeletons/) and pass --mapping");
}

torch::Tensor joints_from_bvh(const Bvh& b, const Mapping& m, double fps, const std::string& source) {
  require_frame_rate(fps, "output frame rate (--fps)");
  require(b.frames >= 2, source + ": needs at least 2 frames, has " + std::to_string(b.frames));
  std::vector<int64_t> idx;
  for (const auto& name : m.source_names) {
    int i = find_joint(b, name);
    require(i >= 0, source + ": joint '" + name + "' required by skeleton '" + m.skeleton.name + "' is missing from the file");
    idx.push_back(i);
  }
  auto all = global_positions(b);
  auto joints = all.index_select(1, torch::tensor(idx, torch::kLong));
  if (m.z_up) {  // (x, y, z) Z-up -> (x, z, -y) Y-up
    joints = torch::stack({joints.select(2, 0), joints.select(2, 2), -joints.select(2, 1)}, 2);
  }
  require(torch::isfinite(joints).all().item<bool>(), source + ": joint positions hold NaN or infinite values");
  const double seconds = static_cast<double>(b.frames - 1) * b.frame_time;
  require(seconds <= kMaxClipSeconds, source + ": the clip lasts " + c10::str(seconds) + " s (" + std::to_string(b.frames) +
                                          " frames of " + c10::str(b.frame_time) + " s); at most 1 hour");
  const double scale = m.scale > 0 ? m.scale : rig::detect_unit(joints, m.skeleton).metres_per_unit;
  joints = rig::spread_zero_length_bones(joints * scale, m.skeleton);
  require_positions_in_range(joints, source);
  return resample(joints, 1.0 / b.frame_time, fps);
}

torch::Tensor load_joints(const std::string& path, const Mapping& m, double fps) {
  return joints_from_bvh(load(path), m, fps, path);
}

std::string rotation_order(const Joint& j) {
  std::string order;
  for (Channel c : j.channels)
    if (is_rotation(c)) order += axis_of(c);
  return order;
}

namespace {

const char* channel_name(Channel c) {
  static const char* names[] = {"Xposition", "Yposition", "Zposition", "Xrotation", "Yrotation", "Zrotation"};
  return names[static_cast<int>(c)];
}

void write_joint(std::ostringstream& out, const Bvh& b, int j, const std::vector<std::vector<int>>& children, int depth) {
  const std::string ind(2 * depth, ' ');
  const Joint& jt = b.joints[j];
  char buf[160];
  out << ind << (jt.parent < 0 ? "ROOT " : "JOINT ") << jt.name << "\n" << ind << "{\n";
  std::snprintf(buf, sizeof buf, "%s  OFFSET %.6f %.6f %.6f\n", ind.c_str(), jt.offset[0], jt.offset[1], jt.offset[2]);
  out << buf << ind << "  CHANNELS " << jt.channels.size();
  for (Channel c : jt.channels) out << " " << channel_name(c);
  out << "\n";
  for (int c : children[j]) write_joint(out, b, c, children, depth + 1);
  if (jt.has_end_site) {
    std::snprintf(buf, sizeof buf, "%s  End Site\n%s  {\n%s    OFFSET %.6f %.6f %.6f\n%s  }\n", ind.c_str(), ind.c_str(), ind.c_str(),
                  jt.end_site[0], jt.end_site[1], jt.end_site[2], ind.c_str());
    out << buf;
  }
  out << ind << "}\n";
}

}  // namespace

std::string to_text(const Bvh& b) {
  require(!b.joints.empty() && b.joints[0].parent < 0, "BVH: no root joint to write");
  std::vector<std::vector<int>> children(b.joints.size());
  for (size_t j = 1; j < b.joints.size(); ++j) children[b.joints[j].parent].push_back(static_cast<int>(j));
  std::ostringstream out;
  out << "HIERARCHY\n";
  write_joint(out, b, 0, children, 0);
  char buf[64];
  std::snprintf(buf, sizeof buf, "Frame Time: %.8f\n", b.frame_time);
  out << "MOTION\nFrames: " << b.frames << "\n" << buf;
  auto table = b.motion.to(torch::kDouble).contiguous();
  auto acc = table.accessor<double, 2>();
  std::string line;
  for (int64_t t = 0; t < b.frames; ++t) {
    line.clear();
    for (int64_t c = 0; c < table.size(1); ++c) {
      std::snprintf(buf, sizeof buf, c ? " %.6f" : "%.6f", acc[t][c]);
      line += buf;
    }
    out << line << "\n";
  }
  return out.str();
}

void set_motion(Bvh& b, const torch::Tensor& translations, const torch::Tensor& rotations, double fps) {
  const int64_t J = static_cast<int64_t>(b.joints.size()), T = rotations.size(0);
  require(translations.dim() == 3 && rotations.dim() == 3 && translations.size(1) == J && rotations.size(1) == J &&
              translations.size(0) == T,
          "BVH: the motion must be [T," + std::to_string(J) + ",3] translations and [T," + std::to_string(J) + ",4] rotations");
  std::vector<torch::Tensor> cols;
  int start = 0;
  for (int64_t j = 0; j < J; ++j) {
    Joint& jt = b.joints[j];
    const std::string order = rotation_order(jt);
    require(order.empty() || order.size() == 3, "BVH joint '" + jt.name + "' has " + std::to_string(order.size()) +
                                                    " rotation channels; an animated joint needs all three axes");
    torch::Tensor euler;
    if (!order.empty())
      euler = rot::unwrap_euler(rot::matrix_to_euler(rot::quat_to_matrix(rotations.select(1, j).to(torch::kDouble)), order));
    int r = 0;
    for (Channel c : jt.channels)
      cols.push_back(is_rotation(c) ? euler.select(1, r++) : translations.select(1, j).select(1, axis_of(c) - 'X').to(torch::kDouble));
    jt.channel_start = start;
    start += static_cast<int>(jt.channels.size());
  }
  b.frames = T;
  b.frame_time = 1.0 / fps;
  b.motion = cols.empty() ? torch::zeros({T, 0}, torch::kDouble) : torch::stack(cols, 1);
}

std::string write(const torch::Tensor& joints, const Skeleton& s, const WriteOptions& o) {
  rot::matrix_to_euler(torch::eye(3, torch::kDouble), o.rotation_order);  // validates the order
  const auto a = solve_animation(joints, s, o.fps);
  const auto children = children_of(s);
  // The skeleton as a BVH hierarchy (depth first), centimetres; a leaf gets a short End Site along
  // its rest direction, so that tools draw the last bone.
  Bvh b;
  std::vector<int64_t> order;  // skeleton joint of each BVH joint
  std::function<void(int64_t, int)> add = [&](int64_t j, int parent) {
    Joint jt;
    jt.name = s.joint_names[j];
    jt.parent = parent;
    for (int d = 0; d < 3; ++d) jt.offset[d] = a.offsets[j][d].item<double>() * 100.0;
    if (j == 0 || o.position_channels) jt.channels = {Channel::Xposition, Channel::Yposition, Channel::Zposition};
    for (char axis : o.rotation_order) jt.channels.push_back(static_cast<Channel>(static_cast<int>(Channel::Xrotation) + (axis - 'X')));
    if (children[j].empty()) {
      jt.has_end_site = true;
      auto tip = a.offsets[j] / a.offsets[j].norm().clamp_min(1e-9) * 5.0;
      for (int d = 0; d < 3; ++d) jt.end_site[d] = tip[d].item<double>();
    }
    const int self = static_cast<int>(b.joints.size());
    b.joints.push_back(jt);
    order.push_back(j);
    for (int64_t c : children[j]) add(c, self);
  };
  add(0, -1);
  // Translations (cm) for the position channels: the root's position, a joint's offset from its
  // parent in the parent's frame; rotations: the solved local ones.
  auto G = global_rotations(a);
  auto p = joints.to(torch::kDouble);
  std::vector<torch::Tensor> trans, rots;
  for (int64_t j : order) {
    trans.push_back(j == 0 ? a.root_positions * 100.0
                           : rot::qrot(rot::qinv(G.select(1, s.parents[j])), p.select(1, j) - p.select(1, s.parents[j])) * 100.0);
    rots.push_back(a.rotations.select(1, j));
  }
  set_motion(b, torch::stack(trans, 1), torch::stack(rots, 1), o.fps);
  return to_text(b);
}

void save(const std::string& path, const torch::Tensor& joints, const Skeleton& skel, const WriteOptions& o) {
  write_file_atomically(path, write(joints, skel, o));
}

}  // namespace mogo::bvh
