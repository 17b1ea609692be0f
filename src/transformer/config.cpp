#include "transformer/config.hpp"

#include "common/error.hpp"
#include "train/plan.hpp"

namespace mogo {

T2MConfig T2MConfig::preset(const std::string& name, int64_t codebook_size, int64_t num_quantizers) {
  T2MConfig c;
  c.codebook_size = codebook_size;
  c.num_quantizers = num_quantizers;
  c.text.dim = 512;
  c.text.layers = 4;
  c.text.heads = 8;
  if (name == "paper") {  // ~GPT-2 medium widths, as T2M-GPT / MoMask's transformers
    c.text.out_dim = c.dim;
    return c;
  }
  if (name == "tiny") {
    c.dim = 256;
    c.heads = 4;
    c.base_layers = 4;
    c.residual_layers = 1;
    c.text = TextEncoderConfig{};
    c.text.dim = 128;
    c.text.layers = 2;
    c.text.heads = 4;
    c.text.out_dim = c.dim;
    return c;
  }
  if (name == "micro") {  // tests: seconds to train
    c.dim = 32;
    c.heads = 2;
    c.base_layers = 2;
    c.residual_layers = 1;
    c.dropout = 0.0;
    c.text = TextEncoderConfig{};
    c.text.dim = 32;
    c.text.layers = 1;
    c.text.heads = 2;
    c.text.dropout = 0.0;
    c.text.out_dim = c.dim;
    return c;
  }
  throw Error("unknown text-to-motion preset '" + name + "' (expected paper, tiny or micro)");
}

T2MTrainConfig T2MTrainConfig::preset(const std::string& name) {
  T2MTrainConfig t;
  // Paraphrase augmentation is opt-in: at 0.5 it cost the tiny model 0.09 R-precision top-3 on the
  // captions and gained nothing on reworded prompts once they are aligned (docs/prompts.md).
  if (name == "paper") return t;
  if (name == "tiny") {
    t.batch_size = 64;
    t.steps = 2500;
    t.warmup_steps = 100;
    t.lr = 6e-4;
    t.checkpoint_every = 100;
    t.log_every = 25;
    t.join_share = 0.25;
    return t;
  }
  if (name == "micro") {
    t.batch_size = 8;
    t.steps = 20;
    t.warmup_steps = 2;
    t.lr = 3e-3;
    t.crop_offsets = 1;
    t.checkpoint_every = 5;
    t.log_every = 5;
    t.vocab_size = 64;
    t.paraphrase = 0.5;  // the tests exercise the augmentation
    t.join_share = 0.25;
    return t;
  }
  throw Error("unknown training preset '" + name + "' (expected paper, tiny or micro)");
}

}  // namespace mogo

namespace mogo {

void T2MTrainConfig::validate() const {
  require_positive("--steps", steps);
  require_positive("--batch", batch_size);
  require_learning_rate("--lr", lr);
  require(warmup_steps >= 0, "--warmup must be >= 0, got " + std::to_string(warmup_steps));
  require_positive("--checkpoint-every", checkpoint_every);
  require_positive("--log-every", log_every);
  require_positive("grad_clip", grad_clip);
  require_positive("crop_offsets", crop_offsets);
  require(paraphrase >= 0 && paraphrase <= 1, "--paraphrase must be in [0, 1], got " + std::to_string(paraphrase));
  require(join_share >= 0 && join_share <= 1, "--join-share must be in [0, 1], got " + std::to_string(join_share));
  require(join_context >= 1 && join_context <= 16, "--join-context must be in 1..16, got " + std::to_string(join_context));
}

}  // namespace mogo
