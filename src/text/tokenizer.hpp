// Caption tokenizer: text normalisation (lower case, punctuation split off) + SentencePiece
// unigram model trained on the training captions. Unknown words fall back to pieces (or <unk>),
// never an error; non-ASCII text is accepted.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "text/sentencepiece.hpp"

namespace mogo {

struct TokenizedBatch {
  torch::Tensor ids;       // [B,L] int64, padded with pad_id; starts with <s>, ends with </s>
  torch::Tensor mask;      // [B,L] bool, true at real tokens
  std::vector<bool> truncated;  // per text: was cut to max_length
};

class Tokenizer {
 public:
  static constexpr int64_t kDefaultMaxLength = 77;  // CLIP's context length

  // Trains on captions (normalised first).
  static Tokenizer train(const std::vector<std::string>& captions, int vocab_size);
  explicit Tokenizer(std::string serialized_model);

  // Lower-cases ASCII letters, separates punctuation from words, collapses whitespace.
  static std::string normalise(const std::string& text);

  // ids of one text: <s> pieces... </s>, cut to max_length (keeping </s>); sets *truncated.
  std::vector<int64_t> encode(const std::string& text, int64_t max_length = kDefaultMaxLength,
                              bool* truncated = nullptr) const;
  // Texts longer than max_length are cut, with a warning through the log callback.
  TokenizedBatch encode_batch(const std::vector<std::string>& texts, int64_t max_length = kDefaultMaxLength) const;

  int64_t vocab_size() const;
  int64_t pad_id() const;
  const std::string& serialized() const { return serialized_; }
  // The "tokenizer" record of a model file (the t2m model's, the evaluator's), and back.
  void write_to(torch::serialize::OutputArchive& ar) const;
  static std::shared_ptr<Tokenizer> read_from(torch::serialize::InputArchive& ar, const std::string& path);

 private:
  std::string serialized_;
  std::shared_ptr<spm::Processor> sp_;
};

}  // namespace mogo
