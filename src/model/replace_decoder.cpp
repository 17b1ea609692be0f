#include "model/replace_decoder.hpp"

#include "common/error.hpp"
#include "common/log.hpp"

namespace mogo {

namespace {
// Largest difference between two modules' parameters and buffers, relative to the largest value
// (float16 storage keeps about 3 significant digits). Throws when the layouts differ.
double relative_difference(const torch::nn::Module& a, const torch::nn::Module& b, const std::string& what) {
  auto ta = a.parameters(), tb = b.parameters();
  for (auto& t : a.buffers()) ta.push_back(t);
  for (auto& t : b.buffers()) tb.push_back(t);
  require(ta.size() == tb.size(), what + ": different layouts");
  double worst = 0;
  for (size_t i = 0; i < ta.size(); ++i) {
    require(ta[i].sizes() == tb[i].sizes(), what + ": different shapes " + c10::str(ta[i].sizes()) + " vs " + c10::str(tb[i].sizes()));
    auto x = ta[i].detach().to(torch::kCPU, torch::kDouble), y = tb[i].detach().to(torch::kCPU, torch::kDouble);
    const double scale = std::max(x.abs().max().item<double>(), 1e-12);
    worst = std::max(worst, (x - y).abs().max().item<double>() / scale);
  }
  return worst;
}
}  // namespace

namespace {
void require_same_codes(const T2MModel& m, const VQCheckpoint& vq, const std::string& source) {
  constexpr double kTolerance = 2e-3;  // float16 rounding
  require(vq.config.input_dim == m.vq_config.input_dim && vq.config.code_dim == m.vq_config.code_dim &&
              vq.config.codebook_size == m.vq_config.codebook_size && vq.config.num_quantizers == m.vq_config.num_quantizers,
          source + ": its codes differ in shape from the model's RVQ-VAE");
  const double enc = relative_difference(*vq.model->encoder, *m.vq->encoder, source + " encoder");
  const double codes = relative_difference(*vq.model->quantizer, *m.vq->quantizer, source + " codebooks");
  require(enc <= kTolerance && codes <= kTolerance,
          source + ": its encoder or codebooks differ from the model's (relative " + number_text(std::max(enc, codes)) +
              "): it was not trained on this model's codes; train it with `mogo train-vq --decoder-from` on the model's tokenizer");
  require(torch::allclose(vq.mean.to(torch::kCPU), m.mean.to(torch::kCPU), 1e-3, 1e-5) &&
              torch::allclose(vq.std.to(torch::kCPU), m.std.to(torch::kCPU), 1e-3, 1e-5),
          source + ": its normalisation (mean/std) differs from the model's");
}

// The fields that shape a decoder: two decoders with equal ones have the same tensors and reach.
bool same_decoder_layout(const VQConfig& a, const VQConfig& b) {
  return a.decoder_lookahead == b.decoder_lookahead && a.width == b.width && a.depth == b.depth && a.dilation_growth == b.dilation_growth &&
         a.down_t == b.down_t;
}

nlohmann::json decoder_meta(const VQCheckpoint& vq, const std::string& source) {
  return {{"source", source},
          {"decoder_lookahead", vq.config.decoder_lookahead},
          {"foot_weight", vq.config.foot_weight},
          {"jerk_weight", vq.config.jerk_weight},
          {"root_weight", vq.config.root_weight},
          {"transition_share", vq.train.transition_share},
          {"transition_frames", vq.train.transition_frames},
          {"steps", vq.step}};
}
}  // namespace

void replace_decoder(T2MModel& m, const VQCheckpoint& vq, const std::string& source) {
  require_same_codes(m, vq, source);
  const auto device = m.mean.device();
  if (m.transition_decoder && !same_decoder_layout(vq.config, m.vq_config)) {
    log_warning(source + " is laid out otherwise than the model's transition decoder, which is dropped (install one of the new layout with "
                "set-decoder --transition)");
    m.transition_decoder = nullptr;
    m.transition_frames = 0;
    m.train_meta.erase("transition_decoder");
  }
  m.vq = vq.model;
  m.vq->to(device);
  m.vq->eval();
  m.vq_config = vq.config;
  m.train_meta["decoder"] = decoder_meta(vq, source);
}

void install_transition_decoder(T2MModel& m, const VQCheckpoint& vq, const std::string& source) {
  require_same_codes(m, vq, source);
  const auto& a = vq.config;
  const auto& b = m.vq_config;
  require(same_decoder_layout(a, b),
          source + ": its decoder (look-ahead " + std::to_string(a.decoder_lookahead) + ", width " + std::to_string(a.width) +
              ") is not laid out as the model's (look-ahead " + std::to_string(b.decoder_lookahead) + ", width " + std::to_string(b.width) +
              "): a transition decoder must have the model's decoder layout");
  require(vq.train.transition_share > 0, source + ": it was not trained on changes of text; train it with `mogo train-vq --transition-share`");
  m.transition_decoder = vq.model->decoder;
  m.transition_decoder->to(m.mean.device());
  m.transition_decoder->eval();
  m.transition_frames = vq.train.transition_frames;
  m.train_meta["transition_decoder"] = decoder_meta(vq, source);
}

}  // namespace mogo
