#include "vq/config.hpp"

#include "vq/transition_windows.hpp"

#include "common/error.hpp"
#include "train/plan.hpp"

namespace mogo {

VQConfig VQConfig::preset(const std::string& name, int64_t input_dim) {
  VQConfig c;
  c.input_dim = input_dim;
  c.decoder_lookahead = 1;  // streams can decode incrementally (live steering)
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
  throw Error("unknown RVQ-VAE preset '" + name + "' (expected paper, tiny or micro)");
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
  throw Error("unknown training preset '" + name + "' (expected paper, tiny or micro)");
}

}  // namespace mogo

namespace mogo {

void VQTrainConfig::validate() const {
  require_positive("--steps", steps);
  require_positive("--batch", batch_size);
  require_positive("--window", window);
  require(window % 4 == 0, "--window must be a multiple of 4 (the temporal down-sampling), got " + std::to_string(window));
  require_learning_rate("--lr", lr);
  require(warmup_steps >= 0, "--warmup must be >= 0, got " + std::to_string(warmup_steps));
  require_positive("--checkpoint-every", checkpoint_every);
  require_positive("--log-every", log_every);
  require(transition_share >= 0 && transition_share < 1, "--transition-share must be in [0, 1), got " + std::to_string(transition_share));
  mogo::transition_target(transition_target);  // throws naming the text unless fade or offset
}

}  // namespace mogo
