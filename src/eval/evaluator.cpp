#include "eval/evaluator.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <unistd.h>

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
  nlohmann::json meta = {{"format", "mogo-evaluator"}, {"version", 1}, {"text", b.text_cfg.to_json()},
                         {"motion", b.motion_cfg.to_json()}, {"step", b.step}, {"train", b.train_meta}};
  ar.write("meta", c10::IValue(meta.dump()));
  const auto& tok = b.tokenizer->serialized();
  ar.write("tokenizer", torch::from_blob(const_cast<char*>(tok.data()), {static_cast<int64_t>(tok.size())}, torch::kUInt8).clone());
  ar.write("mean", b.mean);
  ar.write("std", b.std);
  torch::serialize::OutputArchive model_ar;
  b.model->save(model_ar);
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
    throw Error(path + ": cannot move evaluator file into place");
  }
}

EvaluatorBundle load_evaluator(const std::string& path, torch::Device device) {
  require(std::filesystem::exists(path), path + ": no such evaluator file");
  torch::serialize::InputArchive ar;
  try {
    ar.load_from(path, device);
  } catch (const c10::Error&) {
    throw Error(path + ": not a mogo evaluator file (cannot read archive)");
  }
  c10::IValue meta_v;
  require(ar.try_read("meta", meta_v) && meta_v.isString(), path + ": not a mogo evaluator file (no 'meta' record)");
  auto meta = nlohmann::json::parse(meta_v.toStringRef());
  require(meta.value("format", "") == "mogo-evaluator", path + ": format is '" + meta.value("format", "") + "', expected 'mogo-evaluator'");
  EvaluatorBundle b;
  b.text_cfg = TextEncoderConfig::from_json(meta.at("text"));
  b.motion_cfg = MotionEncoderConfig::from_json(meta.at("motion"));
  b.step = meta.at("step");
  b.train_meta = meta.value("train", nlohmann::json::object());
  torch::Tensor tok;
  ar.read("tokenizer", tok);
  tok = tok.to(torch::kCPU).contiguous();
  b.tokenizer = std::make_shared<Tokenizer>(std::string(static_cast<const char*>(tok.data_ptr()), tok.numel()));
  ar.read("mean", b.mean);
  ar.read("std", b.std);
  b.mean = b.mean.to(torch::kCPU);
  b.std = b.std.to(torch::kCPU);
  b.model = Evaluator(b.text_cfg, b.motion_cfg);
  torch::serialize::InputArchive model_ar;
  require(ar.try_read("model", model_ar), path + ": no model weights");
  b.model->load(model_ar);
  b.model->to(device);
  return b;
}

void load_evaluator_optimizer(const std::string& path, torch::optim::Optimizer& optimizer) {
  torch::serialize::InputArchive ar;
  ar.load_from(path);
  torch::serialize::InputArchive opt_ar;
  require(ar.try_read("optimizer", opt_ar), path + ": no optimizer state");
  optimizer.load(opt_ar);
}

std::string label_key(const std::string& id) {
  size_t us = id.rfind('_');
  if (us == std::string::npos || us + 1 >= id.size()) return id;
  for (size_t i = us + 1; i < id.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(id[i]))) return id;
  return id.substr(0, us);
}

}  // namespace mogo
