#include "text/tokenizer.hpp"

#include <cctype>

#include "common/archive.hpp"
#include "common/error.hpp"
#include "common/log.hpp"

namespace mogo {

Tokenizer Tokenizer::train(const std::vector<std::string>& captions, int vocab_size) {
  std::vector<std::string> norm;
  for (const auto& c : captions) {
    auto n = normalise(c);
    if (!n.empty()) norm.push_back(n);
  }
  return Tokenizer(spm::train(norm, vocab_size));
}

Tokenizer::Tokenizer(std::string serialized) : serialized_(std::move(serialized)) {
  sp_ = std::make_shared<spm::Processor>(serialized_);
}

std::string Tokenizer::normalise(const std::string& text) {
  std::string out;
  bool space = false;
  for (unsigned char ch : text) {
    if (std::isspace(ch)) {
      space = true;
      continue;
    }
    bool punct = ch < 128 && std::ispunct(ch);
    if (punct) space = true;
    if (space && !out.empty()) out += ' ';
    space = punct;
    out += ch < 128 ? static_cast<char>(std::tolower(ch)) : static_cast<char>(ch);
  }
  return out;
}

std::vector<int64_t> Tokenizer::encode(const std::string& text, int64_t max_length, bool* truncated) const {
  require(max_length >= 2, "tokenizer: max_length must be at least 2");
  std::vector<int64_t> ids = {sp_->bos_id()};
  for (int id : sp_->encode(normalise(text))) ids.push_back(id);
  bool cut = static_cast<int64_t>(ids.size()) + 1 > max_length;
  if (cut) ids.resize(max_length - 1);
  ids.push_back(sp_->eos_id());
  if (truncated) *truncated = cut;
  return ids;
}

TokenizedBatch Tokenizer::encode_batch(const std::vector<std::string>& texts, int64_t max_length) const {
  std::vector<std::vector<int64_t>> all;
  TokenizedBatch b;
  int64_t L = 2;
  for (const auto& t : texts) {
    bool cut = false;
    all.push_back(encode(t, max_length, &cut));
    if (cut)
      log_warning("text of " + std::to_string(t.size()) + " bytes cut to " + std::to_string(max_length) + " tokens: \"" +
                  t.substr(0, 40) + "...\"");
    b.truncated.push_back(cut);
    L = std::max<int64_t>(L, all.back().size());
  }
  const int64_t B = static_cast<int64_t>(texts.size());
  b.ids = torch::full({B, L}, pad_id(), torch::kLong);
  b.mask = torch::zeros({B, L}, torch::kBool);
  for (int64_t i = 0; i < B; ++i) {
    auto n = static_cast<int64_t>(all[i].size());
    b.ids[i].narrow(0, 0, n).copy_(torch::tensor(all[i], torch::kLong));
    b.mask[i].narrow(0, 0, n).fill_(true);
  }
  return b;
}

int64_t Tokenizer::vocab_size() const { return sp_->vocab_size(); }
int64_t Tokenizer::pad_id() const { return sp_->pad_id(); }

void Tokenizer::write_to(torch::serialize::OutputArchive& ar) const { write_bytes(ar, "tokenizer", serialized_); }

std::shared_ptr<Tokenizer> Tokenizer::read_from(torch::serialize::InputArchive& ar, const std::string& path) {
  return std::make_shared<Tokenizer>(read_bytes(ar, "tokenizer", path));
}

}  // namespace mogo
