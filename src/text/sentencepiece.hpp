// SentencePiece (Debian's libsentencepiece) behind a shim in its own link-map namespace: see
// text/sentencepiece_shim/shim.cpp for why it cannot be linked directly next to LibTorch.
#pragma once
#include <memory>
#include <string>
#include <vector>

namespace mogo::spm {

// Trains a unigram model on `sentences` with at most `vocab_size` pieces (fewer if the corpus
// is small); returns the serialised model (the bytes of a .model file).
std::string train(const std::vector<std::string>& sentences, int vocab_size);

class Processor {
 public:
  explicit Processor(const std::string& serialized_model);
  ~Processor();
  Processor(const Processor&) = delete;
  Processor& operator=(const Processor&) = delete;

  std::vector<int> encode(const std::string& text) const;
  std::string piece(int id) const;
  int vocab_size() const;
  int unk_id() const;
  int bos_id() const;
  int eos_id() const;
  int pad_id() const;

 private:
  void* handle_;
};

}  // namespace mogo::spm
