#include "transformer/token_dataset.hpp"

#include <algorithm>
#include <filesystem>
#include <string_view>

#include "common/archive.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "motion/transition.hpp"

namespace mogo {

std::string weights_fingerprint(const torch::nn::Module& m) {
  // Hash of the raw bytes of every tensor (not of sums: parallel reductions differ with the thread count).
  size_t h = 0;
  auto mix = [&h](const std::string& key, const torch::Tensor& t) {
    auto c = t.detach().to(torch::kCPU).contiguous();
    std::string_view bytes(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size());
    h = h * 1000003u ^ std::hash<std::string>{}(key) ^ (std::hash<std::string_view>{}(bytes) << 1);
  };
  for (const auto& p : m.named_parameters()) mix(p.key(), p.value());
  for (const auto& b : m.named_buffers()) mix(b.key(), b.value());
  return std::to_string(h);
}

TokenDataset TokenDataset::encode(const MotionDataset& data, RVQVAE& vq, int64_t offsets, torch::Device device) {
  torch::NoGradGuard g;
  vq->eval();
  TokenDataset out;
  const int64_t down = vq->cfg.downsample();
  for (const auto& c : data.clips()) {
    std::vector<std::string> caps;
    for (const auto& cap : c.captions) caps.push_back(cap.text);
    if (caps.empty()) continue;
    for (int64_t o = 0; o < std::max<int64_t>(1, offsets); ++o) {
      if (c.features.size(0) - o < 2 * down) break;
      auto x = c.features.narrow(0, o, c.features.size(0) - o).unsqueeze(0).to(device);
      out.clips_.push_back({c.id, vq->encode(x).squeeze(0).to(torch::kCPU), caps});
    }
  }
  require(!out.clips_.empty(), data.dir() + ": no captioned clip long enough to tokenise");
  out.index_lengths();
  return out;
}

std::optional<TokenDataset> TokenDataset::load(const std::string& path, const nlohmann::json& key) {
  if (!std::filesystem::exists(path)) return std::nullopt;
  try {
    torch::serialize::InputArchive ar;
    auto meta = load_archive(path, ar, kTokenCacheFile);
    if (meta.at("key") != key) return std::nullopt;
    TokenDataset out;
    torch::Tensor flat, lengths;
    ar.read("tokens", flat);
    ar.read("lengths", lengths);
    auto ids = meta.at("ids").get<std::vector<std::string>>();
    auto caps = meta.at("captions").get<std::vector<std::vector<std::string>>>();
    // Absent in caches of whole clips: no context, every sequence ends.
    auto contexts = meta.value("contexts", std::vector<int64_t>(ids.size(), 0));
    auto ends = meta.value("ends", std::vector<bool>(ids.size(), true));
    int64_t at = 0;
    for (size_t i = 0; i < ids.size(); ++i) {
      int64_t n = lengths[i].item<int64_t>();
      out.clips_.push_back({ids[i], flat.narrow(1, at, n).to(torch::kLong), caps[i], contexts.at(i), ends.at(i)});
      at += n;
    }
    out.index_lengths();
    return out;
  } catch (const std::exception& e) {
    log_warning(path + ": token cache unreadable, rebuilding (" + e.what() + ")");
    return std::nullopt;
  }
}

void TokenDataset::save(const std::string& path, const nlohmann::json& key) const {
  std::vector<torch::Tensor> parts;
  std::vector<int64_t> lengths, contexts;
  std::vector<bool> ends;
  nlohmann::json ids = nlohmann::json::array(), caps = nlohmann::json::array();
  for (const auto& c : clips_) {
    parts.push_back(c.tokens.to(torch::kShort));
    lengths.push_back(c.tokens.size(1));
    contexts.push_back(c.context);
    ends.push_back(c.ends);
    ids.push_back(c.id);
    caps.push_back(c.captions);
  }
  torch::serialize::OutputArchive ar;
  ar.write("tokens", torch::cat(parts, 1));
  ar.write("lengths", torch::tensor(lengths, torch::kLong));
  save_archive(path, ar, {{"key", key}, {"ids", ids}, {"captions", caps}, {"contexts", contexts}, {"ends", ends}}, kTokenCacheFile);
}

TokenDataset TokenDataset::cached(const std::string& path, const MotionDataset& data, RVQVAE& vq, int64_t offsets,
                                  torch::Device device) {
  const nlohmann::json key = {{"vq", weights_fingerprint(*vq)}, {"clips", data.clips().size()},
                              {"frames", data.total_frames()}, {"offsets", offsets}};
  if (auto hit = load(path, key)) return std::move(*hit);
  log_info("tokenising " + std::to_string(data.clips().size()) + " clips of " + data.dir() + " with the RVQ-VAE...");
  auto out = encode(data, vq, offsets, device);
  out.save(path, key);
  return out;
}

namespace {
// The frames of a joined sequence: A's last 4k frames before a, A cross-faded into B over F
// frames (weight of B rising linearly), then B up to its end or the length limit. Raw HumanML3D
// features are per-frame local quantities (velocities, root-relative positions), so the root
// keeps moving on without a jump; the blend is the classic cross-fade transition.
struct Join {
  torch::Tensor features;  // [T,D], T a multiple of the down-sampling
  int64_t context = 0;     // steps of A alone
  bool ends = false;       // B runs to its end
};

std::optional<Join> join_clips(const MotionClip& a, const MotionClip& b, int64_t k, const JoinPlan& plan, int64_t down,
                               std::mt19937_64& rng) {
  const int64_t F = plan.blend_frames, ctx = k * down;
  const int64_t Ta = a.features.size(0), Tb = b.features.size(0);
  if (Ta < ctx + F || Tb < F + 2 * down) return std::nullopt;
  const int64_t cut = std::uniform_int_distribution<int64_t>(ctx, Ta - F)(rng);        // A's frame where the blend starts
  const bool from_start = std::uniform_int_distribution<int>(0, 1)(rng) == 0;          // B's beginning, or mid-way
  const int64_t b0 = from_start ? 0 : std::uniform_int_distribution<int64_t>(0, Tb - F - 2 * down)(rng);
  auto blend = cross_fade(a.features.narrow(0, cut, F), b.features.narrow(0, b0, F), FadeShape::linear);
  const int64_t room = plan.max_steps * down - ctx - F;                                  // frames left for B after the blend
  const int64_t rest = std::min(Tb - b0 - F, room);
  int64_t T = (ctx + F + rest) / down * down;
  Join j;
  j.features = torch::cat({a.features.narrow(0, cut - ctx, ctx), blend, b.features.narrow(0, b0 + F, rest)}, 0).narrow(0, 0, T);
  j.context = k;
  j.ends = rest == Tb - b0 - F;  // (less the last < 4 frames, as whole clips are tokenised)
  return j;
}
}  // namespace

TokenDataset TokenDataset::joined(const std::string& path, const MotionDataset& data, RVQVAE& vq, const JoinPlan& plan,
                                  torch::Device device) {
  const nlohmann::json key = {{"vq", weights_fingerprint(*vq)}, {"clips", data.clips().size()}, {"frames", data.total_frames()},
                              {"sequences", plan.sequences}, {"max_context", plan.max_context}, {"blend", plan.blend_frames},
                              {"max_steps", plan.max_steps}, {"seed", plan.seed}};
  if (auto hit = load(path, key)) return std::move(*hit);
  std::vector<const MotionClip*> captioned;
  for (const auto& c : data.clips())
    if (!c.captions.empty()) captioned.push_back(&c);
  require(captioned.size() >= 2, data.dir() + ": joining clips needs at least two captioned clips");
  log_info("joining " + std::to_string(plan.sequences) + " pairs of clips of " + data.dir() + " and tokenising them...");
  torch::NoGradGuard g;
  vq->eval();
  std::mt19937_64 rng(plan.seed);
  std::uniform_int_distribution<size_t> pick(0, captioned.size() - 1);
  std::uniform_int_distribution<int64_t> context(1, plan.max_context);
  const int64_t down = vq->cfg.downsample();
  TokenDataset out;
  for (int64_t tries = 0; static_cast<int64_t>(out.clips_.size()) < plan.sequences && tries < 20 * plan.sequences; ++tries) {
    const MotionClip& a = *captioned[pick(rng)];
    const MotionClip& b = *captioned[pick(rng)];
    if (&a == &b) continue;
    auto j = join_clips(a, b, context(rng), plan, down, rng);
    if (!j) continue;
    std::vector<std::string> caps;
    for (const auto& cap : b.captions) caps.push_back(cap.text);
    auto tokens = vq->encode(j->features.unsqueeze(0).to(device)).squeeze(0).to(torch::kCPU);
    out.clips_.push_back({a.id + ">" + b.id, tokens, caps, j->context, j->ends});
  }
  require(!out.clips_.empty(), data.dir() + ": no two clips long enough to join");
  out.index_lengths();
  out.save(path, key);
  return out;
}

void TokenDataset::append(const TokenDataset& other) {
  clips_.insert(clips_.end(), other.clips_.begin(), other.clips_.end());
  index_lengths();
}

int64_t TokenDataset::total_steps() const {
  int64_t n = 0;
  for (const auto& c : clips_) n += c.tokens.size(1);
  return n;
}

T2MBatch TokenDataset::collate(const std::vector<std::pair<const TokenClip*, int64_t>>& crops, int64_t max_steps,
                               int64_t end_token, std::vector<std::string> captions) const {
  const int64_t B = static_cast<int64_t>(crops.size()), Q = crops[0].first->tokens.size(0);
  int64_t S = 0;
  for (const auto& [c, start] : crops) S = std::max(S, std::min(max_steps, c->tokens.size(1) - start));
  T2MBatch b;
  b.tokens = torch::zeros({B, Q, S}, torch::kLong);
  b.targets = torch::full({B, Q, S + 1}, -1, torch::kLong);
  for (int64_t i = 0; i < B; ++i) {
    const auto& [c, start] = crops[i];
    const int64_t n = std::min(max_steps, c->tokens.size(1) - start);
    auto t = c->tokens.narrow(1, start, n);
    b.tokens[i].narrow(1, 0, n).copy_(t);
    b.targets[i].narrow(1, 0, n).copy_(t);  // position p (< n) predicts step p
    // A joined sequence's leading steps are the other clip's: given, never predicted.
    const int64_t given = std::clamp<int64_t>(c->context - start, 0, n);
    b.targets[i].narrow(1, 0, given).fill_(-1);
    if (c->ends && start + n == c->tokens.size(1)) b.targets[i][0][n] = end_token;  // the clip ends here
    b.valid += n - given;
  }
  b.captions = std::move(captions);
  return b;
}

T2MBatch TokenDataset::sample(int64_t B, int64_t max_steps, int64_t end_token, std::mt19937_64& rng) const {
  // Length buckets: the batch's clips come from a window of 4B clips of similar length around a
  // uniformly drawn one, so padding (wasted compute) stays small while every clip stays likely.
  const int64_t N = static_cast<int64_t>(by_length_.size()), W = std::min<int64_t>(N, 4 * B);
  const int64_t anchor = std::uniform_int_distribution<int64_t>(0, N - 1)(rng);
  const int64_t first = std::clamp<int64_t>(anchor - W / 2, 0, N - W);
  std::uniform_int_distribution<int64_t> pick(first, first + W - 1);
  std::vector<std::pair<const TokenClip*, int64_t>> crops;
  std::vector<std::string> captions;
  for (int64_t i = 0; i < B; ++i) {
    const auto& c = clips_[by_length_[pick(rng)]];
    int64_t extra = c.tokens.size(1) - max_steps;
    crops.push_back({&c, extra > 0 ? std::uniform_int_distribution<int64_t>(0, extra)(rng) : 0});
    captions.push_back(c.captions[std::uniform_int_distribution<size_t>(0, c.captions.size() - 1)(rng)]);
  }
  return collate(crops, max_steps, end_token, std::move(captions));
}

void TokenDataset::index_lengths() {
  by_length_.resize(clips_.size());
  for (size_t i = 0; i < clips_.size(); ++i) by_length_[i] = i;
  std::stable_sort(by_length_.begin(), by_length_.end(),
                   [this](size_t a, size_t b) { return clips_[a].tokens.size(1) < clips_[b].tokens.size(1); });
}

T2MBatch TokenDataset::slice(size_t first, int64_t B, int64_t max_steps, int64_t end_token) const {
  std::vector<std::pair<const TokenClip*, int64_t>> crops;
  std::vector<std::string> captions;
  for (size_t i = first; i < clips_.size() && static_cast<int64_t>(crops.size()) < B; ++i) {
    crops.push_back({&clips_[i], 0});
    captions.push_back(clips_[i].captions[0]);
  }
  return collate(crops, max_steps, end_token, std::move(captions));
}

}  // namespace mogo
