#include "model/model_file.hpp"

#include <cmath>

#include "common/archive.hpp"
#include "common/error.hpp"

namespace mogo {

Skeleton T2MModel::skeleton() const {
  require(!skeleton_json.empty(), "model has no skeleton (needed for joints and BVH)");
  return Skeleton::from_json(nlohmann::json::parse(skeleton_json), "model skeleton");
}

torch::Tensor T2MModel::normalise(const torch::Tensor& raw) const {
  return (raw - mean.to(raw.device())) / std.to(raw.device());
}

torch::Tensor T2MModel::denormalise(const torch::Tensor& x) const { return x * std.to(x.device()) + mean.to(x.device()); }

void save_t2m_model(const std::string& path, const T2MModel& m, torch::optim::Optimizer* optimizer, bool half) {
  torch::serialize::OutputArchive ar;
  nlohmann::json meta = {{"version", kT2MFormatVersion}, {"config", m.config},     {"train", m.train},
                         {"vq_config", m.vq_config},     {"step", m.step},         {"skeleton", m.skeleton_json},
                         {"train_meta", m.train_meta},   {"storage", half ? "float16" : "float32"}, {"fps", m.fps}};
  const auto& tok = m.tokenizer->serialized();
  ar.write("tokenizer", torch::from_blob(const_cast<char*>(tok.data()), {static_cast<int64_t>(tok.size())}, torch::kUInt8).clone());
  ar.write("mean", m.mean.to(torch::kCPU, torch::kFloat));
  ar.write("std", m.std.to(torch::kCPU, torch::kFloat));
  write_model(ar, *m.vq, nullptr, "vq", half);
  write_model(ar, *m.transformer, optimizer, "transformer", half);
  if (m.aligner) m.aligner->write(ar, meta, half);
  save_archive(path, ar, meta, "mogo-t2m");
}

namespace {

T2MModel load_checked(const std::string& path, torch::Device device) {
  torch::serialize::InputArchive ar;
  auto meta = load_archive(path, ar, "mogo-t2m", device);
  T2MModel m;
  try {
    int version = meta.at("version");
    require(version == kT2MFormatVersion, path + ": format version " + std::to_string(version) + ", this mogo reads " +
                                              std::to_string(kT2MFormatVersion));
    m.config = meta.at("config").get<T2MConfig>();
    m.train = meta.at("train").get<T2MTrainConfig>();
    m.vq_config = meta.at("vq_config").get<VQConfig>();
    m.step = meta.at("step");
    m.skeleton_json = meta.value("skeleton", "");
    m.fps = meta.value("fps", kHumanML3DFps);  // files written before it was stored: HumanML3D's
    m.train_meta = meta.value("train_meta", nlohmann::json::object());
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": bad 'meta' record: " + e.what());
  }
  require(std::isfinite(m.fps) && m.fps > 0, path + ": 'fps' must be a positive number, got " + std::to_string(m.fps));
  require(m.config.codebook_size == m.vq_config.codebook_size && m.config.num_quantizers == m.vq_config.num_quantizers,
          path + ": transformer expects " + std::to_string(m.config.num_quantizers) + " x " +
              std::to_string(m.config.codebook_size) + " codes, the RVQ-VAE has " + std::to_string(m.vq_config.num_quantizers) +
              " x " + std::to_string(m.vq_config.codebook_size));
  torch::Tensor tok;
  require(ar.try_read("tokenizer", tok) && tok.dtype() == torch::kUInt8 && tok.numel() > 0, path + ": missing tensor 'tokenizer'");
  tok = tok.to(torch::kCPU).contiguous();
  m.tokenizer = std::make_shared<Tokenizer>(std::string(static_cast<const char*>(tok.data_ptr()), tok.numel()));
  require(m.tokenizer->vocab_size() == m.config.text.vocab_size,
          path + ": tokenizer has " + std::to_string(m.tokenizer->vocab_size()) + " pieces, the text encoder expects " +
              std::to_string(m.config.text.vocab_size));
  const int64_t D = m.vq_config.input_dim;
  for (auto [name, t] : {std::pair<const char*, torch::Tensor*>{"mean", &m.mean}, {"std", &m.std}}) {
    require(ar.try_read(name, *t), path + ": missing tensor '" + name + "'");
    require(t->dim() == 1 && t->size(0) == D, path + ": tensor '" + std::string(name) + "' has shape " +
                                                   c10::str(t->sizes()) + ", expected [" + std::to_string(D) + "]");
    *t = t->to(torch::kCPU, torch::kFloat);
  }
  require((m.std > 0).all().item<bool>(), path + ": tensor 'std' has non-positive entries");
  m.vq = RVQVAE(m.vq_config);
  read_model(ar, *m.vq, path, "vq");
  m.transformer = HierarchicalCausalTransformer(m.config);
  read_model(ar, *m.transformer, path, "transformer");
  m.aligner = MeaningEncoder::load_from(ar, meta, path);
  m.vq->to(device);
  m.transformer->to(device);
  return m;
}

}  // namespace

T2MModel load_t2m_model(const std::string& path, torch::Device device) {
  try {
    return load_checked(path, device);
  } catch (const c10::Error& e) {  // a damaged record inside a readable archive
    throw Error(path + ": corrupt model file: " + e.what_without_backtrace());
  }
}

}  // namespace mogo
