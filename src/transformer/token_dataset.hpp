// A prepared dataset as RVQ-VAE tokens: every clip of a split encoded once by the frozen RVQ-VAE
// (from several frame offsets, as augmentation), cached on disk, and sampled into teacher-forcing
// batches for the hierarchical causal transformer.
#pragma once
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "data/motion_dataset.hpp"
#include "motion/transition.hpp"
#include "vq/rvqvae.hpp"

namespace mogo {

struct TokenClip {
  std::string id;
  torch::Tensor tokens;               // [Q,S] int64
  std::vector<std::string> captions;
  int64_t context = 0;                // leading steps given as context only (no loss on them)
  bool ends = true;                   // the motion ends after the last step (END is a target)
};

// Sequences that change text part-way (live steering): see TokenDataset::joined.
struct JoinPlan {
  int64_t sequences = 0;      // how many
  int64_t max_context = 4;    // steps of the first clip given as context: 1..max_context
  int64_t blend_frames = kJoinFadeFrames;  // cross-fade from the first clip into the second
  int64_t max_steps = 49;     // longest sequence (the transformer's training length)
  uint64_t seed = 1234;
};

struct T2MBatch {
  torch::Tensor tokens;    // [B,Q,S] input steps (padding: 0)
  torch::Tensor targets;   // [B,Q,S+1] position p's target = step p's token, END on the base layer
                           // after the last step of a whole clip, -1 = ignored
  std::vector<std::string> captions;
  int64_t valid = 0;       // number of base-layer targets
};

class TokenDataset {
 public:
  // Encodes `data` (normalised with the RVQ-VAE's statistics) from frame offsets 0..offsets-1.
  static TokenDataset encode(const MotionDataset& data, RVQVAE& vq, int64_t offsets, torch::Device device);
  // Loads `cache_path` when it holds tokens of the same clips and RVQ-VAE (fingerprint), else
  // encodes and writes it.
  static TokenDataset cached(const std::string& cache_path, const MotionDataset& data, RVQVAE& vq, int64_t offsets,
                             torch::Device device);
  // Text changes, as a stream sees them after one: the last k steps of clip A (context), then A
  // cross-faded into clip B (from B's start or from a random point of it) over plan.blend_frames
  // frames, then B, under B's caption; tokenised as one motion by the frozen RVQ-VAE. Cached at
  // cache_path like `cached`.
  static TokenDataset joined(const std::string& cache_path, const MotionDataset& data, RVQVAE& vq, const JoinPlan& plan,
                             torch::Device device);
  // Adds other's sequences to this set (sampled alike).
  void append(const TokenDataset& other);

  const std::vector<TokenClip>& clips() const { return clips_; }
  int64_t total_steps() const;

  // B random clips of similar length (length buckets), random caption each; clips longer than max_steps are cropped at random (no
  // END target then). END = the base layer's end token.
  T2MBatch sample(int64_t B, int64_t max_steps, int64_t end_token, std::mt19937_64& rng) const;
  // Clips [first, first+B) whole (first caption), for validation.
  T2MBatch slice(size_t first, int64_t B, int64_t max_steps, int64_t end_token) const;

 private:
  T2MBatch collate(const std::vector<std::pair<const TokenClip*, int64_t>>& crops, int64_t max_steps, int64_t end_token,
                   std::vector<std::string> captions) const;
  void index_lengths();
  void save(const std::string& path, const nlohmann::json& key) const;
  static std::optional<TokenDataset> load(const std::string& path, const nlohmann::json& key);
  std::vector<TokenClip> clips_;
  std::vector<size_t> by_length_;  // clip indices sorted by number of steps
};

// A fingerprint of a module's weights (a hash of every tensor's bytes), to tell caches apart.
std::string weights_fingerprint(const torch::nn::Module& m);

}  // namespace mogo
