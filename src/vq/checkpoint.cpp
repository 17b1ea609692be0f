#include "vq/checkpoint.hpp"

#include <cstdio>
#include <filesystem>
#include <unistd.h>

#include "common/error.hpp"

namespace mogo {

void save_vq_checkpoint(const std::string& path, const VQCheckpoint& ck, torch::optim::Optimizer* optimizer) {
  torch::serialize::OutputArchive ar;
  nlohmann::json meta = {{"format", "mogo-rvqvae"}, {"version", 1}, {"config", ck.config.to_json()},
                         {"train", ck.train.to_json()}, {"step", ck.step}, {"skeleton", ck.skeleton_json}};
  ar.write("meta", c10::IValue(meta.dump()));
  ar.write("mean", ck.mean.to(torch::kCPU));
  ar.write("std", ck.std.to(torch::kCPU));
  torch::serialize::OutputArchive model_ar;
  ck.model->save(model_ar);
  ar.write("model", model_ar);
  if (optimizer) {
    torch::serialize::OutputArchive opt_ar;
    optimizer->save(opt_ar);
    ar.write("optimizer", opt_ar);
  }
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  ar.save_to(tmp);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(path + ": cannot move checkpoint into place");
  }
}

VQCheckpoint load_vq_checkpoint(const std::string& path, torch::Device device) {
  require(std::filesystem::exists(path), path + ": no such model file");
  torch::serialize::InputArchive ar;
  try {
    ar.load_from(path, device);
  } catch (const c10::Error& e) {
    throw Error(path + ": not a mogo model file (cannot read archive)");
  }
  VQCheckpoint ck;
  c10::IValue meta_v;
  require(ar.try_read("meta", meta_v) && meta_v.isString(), path + ": not a mogo RVQ-VAE file (no 'meta' record)");
  auto meta = nlohmann::json::parse(meta_v.toStringRef());
  require(meta.value("format", "") == "mogo-rvqvae", path + ": format is '" + meta.value("format", "") + "', expected 'mogo-rvqvae'");
  ck.config = VQConfig::from_json(meta.at("config"));
  ck.train = VQTrainConfig::from_json(meta.at("train"));
  ck.step = meta.at("step");
  ck.skeleton_json = meta.value("skeleton", "");
  ar.read("mean", ck.mean);
  ar.read("std", ck.std);
  ck.model = RVQVAE(ck.config);
  torch::serialize::InputArchive model_ar;
  require(ar.try_read("model", model_ar), path + ": no model weights");
  ck.model->load(model_ar);
  ck.model->to(device);
  return ck;
}

void load_vq_optimizer(const std::string& path, torch::optim::Optimizer& optimizer) {
  torch::serialize::InputArchive ar;
  ar.load_from(path);
  torch::serialize::InputArchive opt_ar;
  require(ar.try_read("optimizer", opt_ar), path + ": no optimizer state (a model file, not a training checkpoint)");
  optimizer.load(opt_ar);
}

}  // namespace mogo
