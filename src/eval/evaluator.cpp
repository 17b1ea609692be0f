#include "eval/evaluator.hpp"

#include <cmath>
#include <cstdio>

#include "common/archive.hpp"
#include "common/error.hpp"

namespace mogo {

EvaluatorImpl::EvaluatorImpl(const TextEncoderConfig& t, const MotionEncoderConfig& m) {
  require(t.out_dim == m.out_dim, "evaluator: text and motion embeddings must have the same size");
  text = register_module("text", TextEncoder(t));
  motion = register_module("motion", MotionEncoder(m));
  log_scale = register_parameter("log_scale", torch::full({}, std::log(1 / 0.07)));
}

torch::Tensor EvaluatorImpl::embed_text(const torch::Tensor& ids, const torch::Tensor& mask) {
  return torch::nn::functional::normalize(text(ids, mask).pooled, torch::nn::functional::NormalizeFuncOptions().dim(1));
}

torch::Tensor EvaluatorImpl::embed_motion(const torch::Tensor& x, const torch::Tensor& lengths) {
  return torch::nn::functional::normalize(motion(x, lengths), torch::nn::functional::NormalizeFuncOptions().dim(1));
}

torch::Tensor EvaluatorBundle::texts(const std::vector<std::string>& captions, torch::Device device) const {
  torch::NoGradGuard g;
  Evaluator m = model;  // a holder copy shares the module; embedding does not change it
  m->eval();
  std::vector<torch::Tensor> out;
  for (size_t i = 0; i < captions.size(); i += 256) {
    std::vector<std::string> chunk(captions.begin() + i, captions.begin() + std::min(captions.size(), i + 256));
    auto b = tokenizer->encode_batch(chunk, text_cfg.max_length);
    out.push_back(m->embed_text(b.ids.to(device), b.mask.to(device)).to(torch::kCPU));
  }
  return torch::cat(out, 0);
}

torch::Tensor EvaluatorBundle::motions(const std::vector<torch::Tensor>& raw, torch::Device device, int64_t max_frames) const {
  torch::NoGradGuard g;
  Evaluator m = model;
  m->eval();
  std::vector<torch::Tensor> out;
  for (size_t i = 0; i < raw.size(); i += 64) {
    size_t n = std::min(raw.size(), i + 64) - i;
    int64_t T = 1;
    for (size_t k = 0; k < n; ++k) T = std::max(T, std::min(max_frames, raw[i + k].size(0)));
    auto x = torch::zeros({static_cast<int64_t>(n), T, mean.size(0)});
    auto lengths = torch::zeros({static_cast<int64_t>(n)}, torch::kLong);
    for (size_t k = 0; k < n; ++k) {
      const auto& f = raw[i + k];
      require(f.dim() == 2 && f.size(1) == mean.size(0),
              "evaluator: motion features must be [T," + std::to_string(mean.size(0)) + "], got " + c10::str(f.sizes()));
      int64_t len = std::min(max_frames, f.size(0));
      x[k].narrow(0, 0, len).copy_((f.narrow(0, 0, len).to(torch::kFloat) - mean) / std);
      lengths[k] = len;
    }
    out.push_back(m->embed_motion(x.to(device), lengths.to(device)).to(torch::kCPU));
  }
  return torch::cat(out, 0);
}

void save_evaluator(const std::string& path, const EvaluatorBundle& b, torch::optim::Optimizer* optimizer) {
  torch::serialize::OutputArchive ar;
  nlohmann::json meta = {{"text", b.text_cfg}, {"motion", b.motion_cfg}, {"step", b.step}, {"train", b.train_meta}};
  b.tokenizer->write_to(ar);
  write_normalisation(ar, b.mean, b.std);
  write_model(ar, *b.model, optimizer);
  save_archive(path, ar, meta, kEvaluatorFile);
}

EvaluatorBundle load_evaluator(const std::string& path, torch::Device device) {
  torch::serialize::InputArchive ar;
  auto meta = load_archive(path, ar, kEvaluatorFile, device);
  EvaluatorBundle b;
  read_meta(path, [&] {
    b.text_cfg = meta.at("text").get<TextEncoderConfig>();
    b.motion_cfg = meta.at("motion").get<MotionEncoderConfig>();
    b.step = meta.at("step");
    b.train_meta = meta.value("train", nlohmann::json::object());
  });
  b.tokenizer = Tokenizer::read_from(ar, path);
  read_normalisation(ar, path, b.motion_cfg.input_dim, b.mean, b.std);
  b.model = Evaluator(b.text_cfg, b.motion_cfg);
  read_model(ar, *b.model, path);
  b.model->to(device);
  return b;
}

std::string label_key(const std::string& id_in) {
  // A mirrored copy ("M" + id) shares its original's caption unless that names a side: group them.
  std::string id = id_in;
  if (id.size() > 1 && id[0] == 'M' && (std::isdigit(static_cast<unsigned char>(id[1])) || std::islower(static_cast<unsigned char>(id[1]))))
    id = id.substr(1);
  size_t us = id.rfind('_');
  if (us == std::string::npos || us + 1 >= id.size()) return id;
  for (size_t i = us + 1; i < id.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(id[i]))) return id;
  return id.substr(0, us);
}

}  // namespace mogo
