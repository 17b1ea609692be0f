#include "real_data.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "data/prepare.hpp"
#include "test_util.hpp"

namespace mogo::test {

namespace fs = std::filesystem;

namespace {
const char* kTrain[] = {"dataset-1_walk_normal_001", "dataset-1_walk_happy_001", "dataset-1_bow_active_001",
                        "dataset-1_run_normal_001"};
const char* kVal[] = {"dataset-1_dash_normal_001"};
const char* kTest[] = {"dataset-1_kick_normal_001"};

// The clips are extracted once per archive version into a folder every test process shares
// (decompressing the archive takes seconds): extracted beside it under a private name, then
// renamed into place, so that concurrent test processes never see a half-extracted folder.
fs::path extracted_clips() {
  const fs::path archive = shared_dir() + "/data/bandai-mocap.tar.xz";
  const auto stamp = std::to_string(fs::file_size(archive)) + "-" +
                     std::to_string(fs::last_write_time(archive).time_since_epoch().count());
  const fs::path cache = fs::temp_directory_path() / ("mogo-real-clips-" + stamp);
  if (fs::exists(cache / "done")) return cache;
  const fs::path mine = fs::temp_directory_path() / ("mogo-real-clips-" + stamp + ".tmp." + std::to_string(::getpid()));
  fs::remove_all(mine);
  fs::create_directories(mine);
  std::string members;
  for (const auto& id : real_clip_ids())
    members += " bandai-mocap/bvh/" + id + ".bvh bandai-mocap/texts/" + id + ".txt";
  std::string cmd = "tar -xJf " + archive.string() + " -C " + mine.string() + members;
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("cannot extract test clips: " + cmd);
  std::ofstream(mine / "done") << "ok\n";
  std::error_code ec;
  fs::rename(mine, cache, ec);  // fails when another process got there first: use theirs
  fs::remove_all(mine, ec);
  return cache;
}

std::string make_clips() {
  fs::path root = fs::temp_directory_path() / ("mogo-real-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  fs::copy(extracted_clips() / "bandai-mocap", root / "bandai-mocap", fs::copy_options::recursive);
  fs::path dir = root / "bandai-mocap";
  auto write = [&](const char* name, auto& ids) {
    std::ofstream out(dir / name);
    for (auto* id : ids) out << id << "\n";
  };
  write("train.txt", kTrain);
  write("val.txt", kVal);
  write("test.txt", kTest);
  // Removed at exit (the process's temp folder).
  std::atexit([] { fs::remove_all(fs::temp_directory_path() / ("mogo-real-" + std::to_string(::getpid()))); });
  return dir.string();
}
}  // namespace

const std::vector<std::string>& real_clip_ids() {
  static std::vector<std::string> ids = [] {
    std::vector<std::string> v;
    for (auto* s : kTrain) v.push_back(s);
    for (auto* s : kVal) v.push_back(s);
    for (auto* s : kTest) v.push_back(s);
    return v;
  }();
  return ids;
}

const std::string& real_clips_dir() {
  static std::string dir = make_clips();
  return dir;
}

const std::string& real_prepared_dir() {
  static std::string dir = [] {
    PrepareOptions o;
    o.input_dir = real_clips_dir();
    o.output_dir = (fs::path(real_clips_dir()).parent_path() / "prepared").string();
    o.mapping_path = source_dir() + "/data/skeletons/bandai.json";
    o.progress = false;
    prepare_dataset(o);
    return o.output_dir;
  }();
  return dir;
}

}  // namespace mogo::test
