#include "model/model_file.hpp"

#include <cmath>
#include <future>

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
  nlohmann::json meta = {{"config", m.config},          {"train", m.train},
                         {"vq_config", m.vq_config},     {"step", m.step},         {"skeleton", m.skeleton_json},
                         {"train_meta", m.train_meta},   {"storage", half ? "float16" : "float32"}, {"fps", m.fps}};
  m.tokenizer->write_to(ar);
  write_normalisation(ar, m.mean, m.std);
  write_model(ar, *m.vq, nullptr, "vq", half);
  write_model(ar, *m.transformer, optimizer, "transformer", half);
  if (m.aligner) m.aligner->write(ar, meta, half);
  if (m.transition_decoder) {
    write_model(ar, *m.transition_decoder, nullptr, "transition_decoder", half);
    meta["transition_decoder"] = {{"frames", m.transition_frames}};
  }
  save_archive(path, ar, meta, kT2MFile);
}

namespace {

T2MModel load_checked(const std::string& path, torch::Device device) {
  torch::serialize::InputArchive ar;
  auto meta = load_archive(path, ar, kT2MFile, device);
  T2MModel m;
  read_meta(path, [&] {
    m.config = meta.at("config").get<T2MConfig>();
    m.train = meta.at("train").get<T2MTrainConfig>();
    m.vq_config = meta.at("vq_config").get<VQConfig>();
    m.step = meta.at("step");
    m.skeleton_json = meta.value("skeleton", "");
    m.fps = meta.value("fps", kHumanML3DFps);  // files written before it was stored: HumanML3D's
    m.train_meta = meta.value("train_meta", nlohmann::json::object());
  });
  require(std::isfinite(m.fps) && m.fps > 0, path + ": 'fps' must be a positive number, got " + std::to_string(m.fps));
  require(m.config.codebook_size == m.vq_config.codebook_size && m.config.num_quantizers == m.vq_config.num_quantizers,
          path + ": transformer expects " + std::to_string(m.config.num_quantizers) + " x " +
              std::to_string(m.config.codebook_size) + " codes, the RVQ-VAE has " + std::to_string(m.vq_config.num_quantizers) +
              " x " + std::to_string(m.vq_config.codebook_size));
  // The transformer's modules are built (and randomly initialised, which LibTorch cannot skip) on a
  // second thread while this one reads the rest: ~50 ms less of the main command on two cores.
  auto transformer = std::async(std::launch::async, [config = m.config] { return HierarchicalCausalTransformer(config); });
  m.tokenizer = Tokenizer::read_from(ar, path);
  require(m.tokenizer->vocab_size() == m.config.text.vocab_size,
          path + ": tokenizer has " + std::to_string(m.tokenizer->vocab_size()) + " pieces, the text encoder expects " +
              std::to_string(m.config.text.vocab_size));
  read_normalisation(ar, path, m.vq_config.input_dim, m.mean, m.std);
  m.vq = RVQVAE(m.vq_config);
  read_model(ar, *m.vq, path, "vq");
  m.aligner = MeaningEncoder::load_from(ar, meta, path);
  if (meta.contains("transition_decoder")) {
    read_meta(path, [&] { m.transition_frames = meta.at("transition_decoder").at("frames").get<int64_t>(); });
    require(m.transition_frames >= 1 && m.transition_frames <= 1000,
            path + ": 'transition_decoder.frames' must be in [1, 1000], got " + std::to_string(m.transition_frames));
    m.transition_decoder = Decoder(m.vq_config);
    read_model(ar, *m.transition_decoder, path, "transition_decoder");
    m.transition_decoder->to(device);
    m.transition_decoder->eval();
  }
  m.transformer = transformer.get();
  read_model(ar, *m.transformer, path, "transformer");
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
