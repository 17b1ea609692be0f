#include "vq/checkpoint.hpp"

#include "common/archive.hpp"
#include "common/error.hpp"

namespace mogo {

void save_vq_checkpoint(const std::string& path, const VQCheckpoint& ck, torch::optim::Optimizer* optimizer) {
  torch::serialize::OutputArchive ar;
  nlohmann::json meta = {{"config", ck.config}, {"train", ck.train}, {"step", ck.step},
                         {"skeleton", ck.skeleton_json}, {"preset", ck.preset}, {"data_fingerprint", ck.data_fingerprint}};
  write_normalisation(ar, ck.mean, ck.std);
  write_model(ar, *ck.model, optimizer);
  save_archive(path, ar, meta, kVQFile);
}

VQCheckpoint load_vq_checkpoint(const std::string& path, torch::Device device) {
  torch::serialize::InputArchive ar;
  auto meta = load_archive(path, ar, kVQFile, device);
  VQCheckpoint ck;
  read_meta(path, [&] {
    ck.config = meta.at("config").get<VQConfig>();
    ck.train = meta.at("train").get<VQTrainConfig>();
    ck.step = meta.at("step");
    ck.skeleton_json = meta.value("skeleton", "");
    ck.preset = meta.value("preset", "");
    ck.data_fingerprint = meta.value("data_fingerprint", "");
  });
  read_normalisation(ar, path, ck.config.input_dim, ck.mean, ck.std);
  ck.model = RVQVAE(ck.config);
  read_model(ar, *ck.model, path);
  ck.model->to(device);
  return ck;
}

}  // namespace mogo
