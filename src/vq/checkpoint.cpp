#include "vq/checkpoint.hpp"

#include "common/archive.hpp"
#include "common/error.hpp"

namespace mogo {

void save_vq_checkpoint(const std::string& path, const VQCheckpoint& ck, torch::optim::Optimizer* optimizer) {
  torch::serialize::OutputArchive ar;
  nlohmann::json meta = {{"version", 1}, {"config", ck.config}, {"train", ck.train}, {"step", ck.step},
                         {"skeleton", ck.skeleton_json}};
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
  save_archive(path, ar, meta, "mogo-rvqvae");
}

VQCheckpoint load_vq_checkpoint(const std::string& path, torch::Device device) {
  torch::serialize::InputArchive ar;
  auto meta = load_archive(path, ar, "mogo-rvqvae", device);
  VQCheckpoint ck;
  ck.config = meta.at("config").get<VQConfig>();
  ck.train = meta.at("train").get<VQTrainConfig>();
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

}  // namespace mogo
