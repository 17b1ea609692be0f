#include "data/prepare.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <set>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/progress.hpp"
#include "data/split.hpp"
#include "data/text_file.hpp"
#include "motion/features.hpp"
#include "motion/npy.hpp"
#include "motion/skeletal_animation.hpp"

namespace mogo {

namespace fs = std::filesystem;

nlohmann::json PrepareSummary::to_json() const {
  nlohmann::json skips = nlohmann::json::array();
  for (auto& [id, why] : skipped) skips.push_back({{"id", id}, {"reason", why}});
  return {{"clips", clips}, {"frames", frames}, {"hours", static_cast<double>(frames) / fps / 3600.0}, {"fps", fps}, {"seconds", seconds}, {"skipped", skips},
          {"warnings", warnings}, {"mapping", mapping}};
}

std::pair<torch::Tensor, torch::Tensor> mean_std(const torch::Tensor& features, int64_t joints) {
  auto f = features.to(torch::kDouble);
  auto mean = f.mean(0);
  auto std = f.std(0);
  FeatureLayout L(joints);
  for (Slice1D s : {L.root_rot_velocity(), L.root_linear_velocity(), L.root_height(), L.ric(), L.rot6d(),
                    L.local_velocity(), L.foot_contacts()}) {
    auto part = std.slice(0, s.begin, s.end());
    part.fill_(part.mean().item<double>());
  }
  std.clamp_min_(1e-6);
  return {mean.to(torch::kFloat), std.to(torch::kFloat)};
}

namespace {

struct ClipResult {
  torch::Tensor joints;    // [T,J,3] normalised positions
  torch::Tensor features;  // [T-1,D]
};

ClipResult process(const torch::Tensor& joints, const Skeleton& s) {
  auto r = extract_features(joints, s);
  return {r.global_positions.index({torch::indexing::Slice(0, r.features.size(0))}).to(torch::kFloat), r.features};
}

}  // namespace

namespace {

// The splits' ids: duplicates within a split dropped, clips listed in several splits reported
// (a test clip that is also trained on makes every metric optimistic).
std::map<std::string, std::vector<std::string>> read_splits(const PrepareOptions& o, std::vector<std::string>& warnings) {
  const fs::path in(o.input_dir);
  std::map<std::string, std::vector<std::string>> splits;
  std::map<std::string, std::string> first_split;
  for (const char* name : {"train", "val", "test"}) {
    auto listed = read_split((in / (std::string(name) + ".txt")).string());
    std::vector<std::string> ids;
    std::set<std::string> seen;
    for (const auto& id : listed) {
      if (!seen.insert(id).second) {
        warnings.push_back(std::string(name) + ".txt lists '" + id + "' more than once (kept once)");
        continue;
      }
      auto [it, fresh] = first_split.emplace(id, name);
      if (!fresh) warnings.push_back("'" + id + "' is in both " + it->second + ".txt and " + name + ".txt (metrics on " + name + " would be optimistic)");
      ids.push_back(id);
    }
    if (o.limit > 0 && static_cast<int64_t>(ids.size()) > o.limit) ids.resize(o.limit);
    splits[name] = ids;
  }
  require(!splits["train"].empty(), o.input_dir + ": train.txt lists no clips");
  return splits;
}

// The joint mapping: the given file, or the shipped one that fits the first readable training clip.
bvh::Mapping mapping_for(const PrepareOptions& o, const std::vector<std::string>& train) {
  if (!o.mapping_path.empty()) return bvh::Mapping::load(o.mapping_path);
  std::string first_failure;
  for (const auto& id : train) {
    const std::string path = (fs::path(o.input_dir) / "bvh" / (id + ".bvh")).string();
    try {
      return bvh::Mapping::detect(bvh::load(path), path);
    } catch (const Error& e) {
      if (first_failure.empty()) first_failure = e.what();
    }
  }
  throw Error(o.input_dir + ": no training clip could be read; the first: " + first_failure);
}

// The output is built in a sibling folder and moved into place at the end: a failed or killed
// run leaves no half-built dataset, and an existing one stays until the new one is complete.
void check_output_folder(const PrepareOptions& o) {
  const fs::path in = fs::weakly_canonical(o.input_dir), out = fs::weakly_canonical(o.output_dir);
  require(in != out, o.output_dir + ": the output folder is the input folder; prepare writes a new dataset beside it");
  const bool inside = std::mismatch(in.begin(), in.end(), out.begin(), out.end()).first == in.end();
  require(!inside, o.output_dir + ": the output folder is inside the input folder");
  if (fs::exists(out))
    require(fs::is_directory(out) && (fs::is_empty(out) || fs::exists(out / "prepare_report.json")),
            o.output_dir + ": exists and is not a prepared dataset; refusing to replace it");
}

// The finished folder takes the old one's place in one step: renameat2(RENAME_EXCHANGE) swaps the
// two names atomically, so at every instant the destination holds a whole dataset (the old one or
// the new one); the old one, now under the work name, is removed after.
void move_into_place(const fs::path& work, const fs::path& out) {
  if (!fs::exists(out)) return fs::rename(work, out);
  if (::renameat2(AT_FDCWD, work.c_str(), AT_FDCWD, out.c_str(), RENAME_EXCHANGE) != 0)
    throw Error(out.string() + ": cannot swap the new dataset into place (" + std::strerror(errno) + ")");
  fs::remove_all(work);
}

PrepareSummary prepare_into(const PrepareOptions& o, const fs::path& out);

}  // namespace

PrepareSummary prepare_dataset(const PrepareOptions& o) {
  const fs::path out = fs::weakly_canonical(o.output_dir);
  check_output_folder(o);
  if (out.has_parent_path()) fs::create_directories(out.parent_path());
  remove_stale_temporaries(out.string());  // what killed runs into this folder left (nothing else)
  const fs::path work = temporary_path(out.string());
  try {
    auto s = prepare_into(o, work);
    move_into_place(work, out);
    return s;
  } catch (...) {
    std::error_code ec;
    fs::remove_all(work, ec);
    throw;
  }
}

namespace {

PrepareSummary prepare_into(const PrepareOptions& o, const fs::path& out) {
  auto t0 = std::chrono::steady_clock::now();
  const fs::path in(o.input_dir);
  require(fs::is_directory(in / "bvh"), o.input_dir + ": no bvh/ folder");
  require(fs::is_directory(in / "texts"), o.input_dir + ": no texts/ folder");
  require_frame_rate(o.fps, "--fps");
  require(o.min_frames >= 2, "--min-frames must be >= 2, got " + std::to_string(o.min_frames));
  require(o.limit >= 0, "--limit must be >= 0 (0: all), got " + std::to_string(o.limit));
  std::vector<std::string> warnings;
  auto splits = read_splits(o, warnings);
  for (const auto& w : warnings) log_warning(o.input_dir + ": " + w);
  bvh::Mapping mapping = mapping_for(o, splits["train"]);
  Skeleton skel = mapping.skeleton;
  auto mirror_of = mirror_map(skel);
  for (const char* sub : {"new_joints", "new_joint_vecs", "texts"}) fs::create_directories(out / sub);

  // Target body: the first training clip that loads, as HumanML3D takes one example body.
  std::string first_failure;
  for (const auto& id : splits["train"]) {
    try {
      auto j = bvh::load_joints((in / "bvh" / (id + ".bvh")).string(), mapping, o.fps);
      skel.target_offsets = skel.offsets_from_pose(j[0]);
      break;
    } catch (const Error& e) {
      if (first_failure.empty()) first_failure = e.what();
    }
  }
  require(skel.target_offsets.defined(), o.input_dir + ": no training clip could be read; the first: " + first_failure);
  write_file_atomically((out / "skeleton.json").string(), skel.to_json().dump(2) + "\n");

  PrepareSummary sum;
  sum.fps = o.fps;
  std::vector<torch::Tensor> train_features;
  int64_t total = 0;
  for (auto& [_, ids] : splits) total += ids.size();
  ProgressBar bar("prepare", total, o.progress);
  int64_t done = 0;
  for (auto& [split, ids] : splits) {
    std::vector<std::string> kept;
    for (const auto& id : ids) {
      bar.update(++done, id);
      try {
        require(id.find('/') == std::string::npos && id != ".." && id != ".", "clip id contains a path separator");
        auto captions = load_captions((in / "texts" / (id + ".txt")).string());
        require(!captions.empty(), id + ": no captions");
        auto joints = bvh::load_joints((in / "bvh" / (id + ".bvh")).string(), mapping, o.fps);
        require(joints.size(0) >= o.min_frames, "only " + std::to_string(joints.size(0)) + " frames at " +
                                                   std::to_string(static_cast<int>(o.fps)) + " fps (min " +
                                                   std::to_string(o.min_frames) + ")");
        std::vector<std::pair<std::string, ClipResult>> outputs;
        outputs.reserve(2);
        outputs.emplace_back(id, process(joints, skel));
        if (o.mirror) outputs.emplace_back("M" + id, process(mirror_joints(joints, mirror_of), skel));
        for (auto& [oid, r] : outputs) {
          require(torch::isfinite(r.features).all().item<bool>(), "features contain NaN/inf");
          npy::save((out / "new_joints" / (oid + ".npy")).string(), r.joints);
          npy::save((out / "new_joint_vecs" / (oid + ".npy")).string(), r.features);
          auto caps = captions;
          if (oid != id)
            for (auto& c : caps) c.text = swap_left_right(c.text);
          write_file_atomically((out / "texts" / (oid + ".txt")).string(), format_captions(caps));
          if (split == "train") train_features.push_back(r.features);
          kept.push_back(oid);
          sum.clips += 1;
          sum.frames += r.features.size(0);
        }
      } catch (const std::exception& e) {
        sum.skipped.push_back({id, e.what()});
      }
    }
    write_split((out / (split + ".txt")).string(), kept);
  }
  bar.finish();
  require(!train_features.empty(), o.input_dir + ": no training clip could be prepared; the first: " +
                                       (sum.skipped.empty() ? std::string("none listed") : sum.skipped.front().first + ": " + sum.skipped.front().second));
  sum.warnings = warnings;
  sum.mapping = mapping.name;
  auto [mean, std] = mean_std(torch::cat(train_features, 0), skel.num_joints());
  npy::save((out / "Mean.npy").string(), mean);
  npy::save((out / "Std.npy").string(), std);
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  write_file_atomically((out / "prepare_report.json").string(), sum.to_json().dump(2) + "\n");
  return sum;
}

}  // namespace

}  // namespace mogo
