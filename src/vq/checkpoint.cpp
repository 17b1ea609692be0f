#include "vq/checkpoint.hpp"

#include "common/archive.hpp"
#include "common/error.hpp"

namespace mogo {

void save_vq_checkpoint(const std::string& path, const VQCheckpoint& ck, torch::optim::Optimizer* optimizer) {
  torch::serialize::OutputArchive ar;
  nlohmann::json meta = {{"version", 1}, {"config", ck.config}, {"train", ck.train}, {"step", ck.step},
                         {"skeleton", ck.skeleton_json}, {"preset", ck.preset}, {"data_fingerprint", ck.data_fingerprint}};
  ar.write("mean", ck.mean.to(torch::kCPU));
  ar.write("std", ck.std.to(torch::kCPU));
  write_model(ar, *ck.model, optimizer);
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
  ck.preset = meta.value("preset", "");
  ck.data_fingerprint = meta.value("data_fingerprint", "");
  ar.read("mean", ck.mean);
  ar.read("std", ck.std);
  ck.model = RVQVAE(ck.config);
  read_model(ar, *ck.model, path);
  ck.model->to(device);
  return ck;
}

}  // namespace mogo
