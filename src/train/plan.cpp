#include "train/plan.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <zlib.h>

#include "common/atomic_file.hpp"
#include "common/error.hpp"

namespace mogo {

namespace fs = std::filesystem;

void check_resume_plan(const nlohmann::json& stored, const PlanRequest& request, const std::string& checkpoint) {
  std::string conflicts;
  for (const auto& [key, value] : request.given.items()) {
    if (!stored.contains(key) || stored[key] == value) continue;
    // Numbers compare by value: 2e-4 given on the command line equals the stored 0.0002.
    if (value.is_number() && stored[key].is_number() && value.get<double>() == stored[key].get<double>()) continue;
    conflicts += (conflicts.empty() ? "" : ", ") + key + " " + value.dump() + " (checkpoint: " + stored[key].dump() + ")";
  }
  if (!conflicts.empty())
    throw Error(checkpoint + ": --resume continues the checkpoint's plan, but the command line asks for " + conflicts +
                "; drop these flags, or start a new run in another folder");
}

std::string data_fingerprint(const std::string& data_dir) {
  uLong crc = crc32(0L, Z_NULL, 0);
  for (const char* name : {"train.txt", "val.txt", "test.txt", "Mean.npy", "Std.npy"}) {
    const fs::path p = fs::path(data_dir) / name;
    if (!fs::exists(p)) continue;
    const std::string bytes = read_file(p.string());
    crc = crc32(crc, reinterpret_cast<const Bytef*>(name), static_cast<uInt>(std::char_traits<char>::length(name)));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size()));
  }
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08lx", static_cast<unsigned long>(crc));
  return hex;
}

void check_same_data(const std::string& stored_fingerprint, const std::string& data_dir, const std::string& checkpoint) {
  if (stored_fingerprint.empty()) return;  // checkpoints written before fingerprints existed
  require(stored_fingerprint == data_fingerprint(data_dir),
          checkpoint + ": --resume on other data: " + data_dir +
              " is not the dataset this run started on (its split lists or statistics differ)");
}

void check_fresh_output(const std::string& checkpoint, bool resume) {
  require(resume || !fs::exists(checkpoint),
          checkpoint + ": a training checkpoint is already there; pass --resume to continue it, or choose another folder");
}

namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

void require_positive(const std::string& flag, double value) {
  require(std::isfinite(value) && value > 0, flag + " must be a positive number, got " + number(value));
}

void require_learning_rate(const std::string& flag, double lr) {
  // Above 1 no Adam run of this kind stays finite; inf or NaN would be written into the model.
  require(std::isfinite(lr) && lr > 0 && lr <= 1, flag + " must be in (0, 1], got " + number(lr));
}

}  // namespace mogo
