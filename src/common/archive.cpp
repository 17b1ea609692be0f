#include "common/archive.hpp"

#include <cstdio>
#include <filesystem>
#include <unistd.h>

#include "common/atomic_file.hpp"
#include "common/error.hpp"

namespace mogo {

void save_archive(const std::string& path, torch::serialize::OutputArchive& ar, nlohmann::json meta,
                  const std::string& format) {
  meta["format"] = format;
  ar.write("meta", c10::IValue(meta.dump()));
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  ar.save_to(tmp);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(path + ": cannot move the written file into place");
  }
}

nlohmann::json load_archive(const std::string& path, torch::serialize::InputArchive& ar, const std::string& format,
                            torch::Device device) {
  require(std::filesystem::exists(path), path + ": no such file");
  try {
    ar.load_from(path, device);
  } catch (const c10::Error&) {
    throw Error(path + ": not a mogo " + format + " file (cannot read the archive)");
  }
  c10::IValue meta_v;
  require(ar.try_read("meta", meta_v) && meta_v.isString(), path + ": not a mogo " + format + " file (no 'meta' record)");
  nlohmann::json meta;
  try {
    meta = nlohmann::json::parse(meta_v.toStringRef());
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": corrupt 'meta' record: " + e.what());
  }
  require(meta.value("format", "") == format,
          path + ": format is '" + meta.value("format", "") + "', expected '" + format + "'");
  return meta;
}

void write_model(torch::serialize::OutputArchive& ar, const torch::nn::Module& model, torch::optim::Optimizer* optimizer) {
  torch::serialize::OutputArchive model_ar;
  model.save(model_ar);
  ar.write("model", model_ar);
  if (optimizer) {
    torch::serialize::OutputArchive opt_ar;
    optimizer->save(opt_ar);
    ar.write("optimizer", opt_ar);
  }
}

void read_model(torch::serialize::InputArchive& ar, torch::nn::Module& model, const std::string& path) {
  torch::serialize::InputArchive model_ar;
  require(ar.try_read("model", model_ar), path + ": no model weights");
  model.load(model_ar);
}

void load_optimizer_state(const std::string& path, torch::optim::Optimizer& optimizer) {
  torch::serialize::InputArchive ar;
  ar.load_from(path);
  torch::serialize::InputArchive opt_ar;
  require(ar.try_read("optimizer", opt_ar), path + ": no optimizer state (a model file, not a training checkpoint)");
  optimizer.load(opt_ar);
}

nlohmann::json load_json_file(const std::string& path) {
  try {
    return nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": not valid JSON: " + e.what());
  }
}

}  // namespace mogo
