#include "vq/config.hpp"

#include "common/error.hpp"

namespace mogo {

VQConfig VQConfig::preset(const std::string& name, int64_t input_dim) {
  VQConfig c;
  c.input_dim = input_dim;
  if (name == "paper") return c;  // MoMask's sizes (DESIGN.md), until Mogo's own are confirmed
  if (name == "tiny") {
    c.width = 256;
    c.code_dim = 128;
    c.codebook_size = 512;
    c.num_quantizers = 6;
    return c;
  }
  if (name == "micro") {  // for tests: seconds to train
    c.width = 32;
    c.code_dim = 16;
    c.codebook_size = 32;
    c.num_quantizers = 3;
    return c;
  }
  throw Error("unknown RVQ-VAE preset '" + name + "' (expected paper or tiny)");
}

VQTrainConfig VQTrainConfig::preset(const std::string& name) {
  VQTrainConfig t;
  if (name == "paper") return t;
  if (name == "tiny") {
    t.batch_size = 64;
    t.window = 64;
    t.steps = 5000;
    t.warmup_steps = 300;
    t.lr = 5e-4;
    t.checkpoint_every = 250;
    t.log_every = 50;
    return t;
  }
  if (name == "micro") {
    t.batch_size = 8;
    t.window = 16;
    t.steps = 16;
    t.warmup_steps = 4;
    t.lr = 1e-3;
    t.checkpoint_every = 4;
    t.log_every = 2;
    return t;
  }
  throw Error("unknown training preset '" + name + "' (expected paper or tiny)");
}

nlohmann::json VQConfig::to_json() const {
  return {{"input_dim", input_dim}, {"width", width}, {"code_dim", code_dim}, {"codebook_size", codebook_size},
          {"num_quantizers", num_quantizers}, {"down_t", down_t}, {"depth", depth}, {"dilation_growth", dilation_growth},
          {"ema_decay", ema_decay}, {"quantize_dropout_prob", quantize_dropout_prob}, {"commit_beta", commit_beta},
          {"vel_weight", vel_weight}};
}

VQConfig VQConfig::from_json(const nlohmann::json& j) {
  VQConfig c;
  c.input_dim = j.at("input_dim");
  c.width = j.at("width");
  c.code_dim = j.at("code_dim");
  c.codebook_size = j.at("codebook_size");
  c.num_quantizers = j.at("num_quantizers");
  c.down_t = j.at("down_t");
  c.depth = j.at("depth");
  c.dilation_growth = j.at("dilation_growth");
  c.ema_decay = j.at("ema_decay");
  c.quantize_dropout_prob = j.at("quantize_dropout_prob");
  c.commit_beta = j.at("commit_beta");
  c.vel_weight = j.at("vel_weight");
  return c;
}

nlohmann::json VQTrainConfig::to_json() const {
  return {{"batch_size", batch_size}, {"window", window}, {"steps", steps}, {"warmup_steps", warmup_steps},
          {"lr", lr}, {"weight_decay", weight_decay}, {"checkpoint_every", checkpoint_every},
          {"log_every", log_every}, {"seed", seed}};
}

VQTrainConfig VQTrainConfig::from_json(const nlohmann::json& j) {
  VQTrainConfig t;
  t.batch_size = j.at("batch_size");
  t.window = j.at("window");
  t.steps = j.at("steps");
  t.warmup_steps = j.at("warmup_steps");
  t.lr = j.at("lr");
  t.weight_decay = j.at("weight_decay");
  t.checkpoint_every = j.at("checkpoint_every");
  t.log_every = j.at("log_every");
  t.seed = j.at("seed");
  return t;
}

}  // namespace mogo
