// Tokenizer (SentencePiece through its shim) and text encoder.
#include "common/error.hpp"
#include "text/text_encoder.hpp"
#include "text/tokenizer.hpp"
#include "test_util.hpp"
#include "toy_captions.hpp"

using namespace mogo;

namespace {
const Tokenizer& tokenizer() { return *test::toy_tokenizer(); }
}  // namespace

TEST(Tokenizer, NormalisesCaseAndPunctuation) {
  EXPECT_EQ(Tokenizer::normalise("  A Person WALKS,  then   turns."), "a person walks , then turns .");
  EXPECT_EQ(Tokenizer::normalise(""), "");
  EXPECT_EQ(Tokenizer::normalise(" \t\n "), "");
}

TEST(Tokenizer, EncodesKnownAndUnknownWords) {
  const auto& t = tokenizer();
  EXPECT_GT(t.vocab_size(), 20);
  auto a = t.encode("A person walks happily.");
  auto b = t.encode("a person walks happily .");
  EXPECT_EQ(a, b);
  EXPECT_GE(a.size(), 4u);
  // Unknown words become pieces or <unk>, never an error: each word gives at least one piece
  // besides <s> and </s>.
  auto c = t.encode("the astronaut somersaults");
  EXPECT_GE(c.size(), 2u + 3u);
  // Non-ASCII text does not crash and is not dropped: six words, six pieces at least.
  auto d = t.encode("une personne marche \xC3\xA0 gauche \xF0\x9F\x98\x80");
  EXPECT_GE(d.size(), 2u + 6u);
}

TEST(Tokenizer, EmptyAndHugeText) {
  const auto& t = tokenizer();
  auto e = t.encode("");
  EXPECT_EQ(e.size(), 2u);  // <s> </s>
  EXPECT_EQ(t.encode("   \t ").size(), 2u);
  std::string huge;
  for (int i = 0; i < 5000; ++i) huge += "walks ";
  bool cut = false;
  auto h = t.encode(huge, 77, &cut);
  EXPECT_TRUE(cut);
  EXPECT_EQ(h.size(), 77u);
  auto batch = t.encode_batch({"a person walks", "", huge});
  EXPECT_EQ(batch.ids.size(0), 3);
  EXPECT_EQ(batch.ids.size(1), 77);
  EXPECT_TRUE(batch.truncated[2]);
  EXPECT_FALSE(batch.truncated[0]);
  EXPECT_EQ(batch.mask[1].sum().item<int64_t>(), 2);
}

TEST(Tokenizer, SerialisedModelRoundTrips) {
  Tokenizer copy(tokenizer().serialized());
  EXPECT_EQ(copy.encode("someone kicks quickly"), tokenizer().encode("someone kicks quickly"));
  EXPECT_THROW(Tokenizer("not a model"), Error);
}

TEST(TextEncoder, ShapesAndPaddingInvariance) {
  torch::manual_seed(0);
  TextEncoderConfig c;
  c.vocab_size = tokenizer().vocab_size();
  c.dim = 32;
  c.out_dim = 16;
  c.layers = 2;
  c.heads = 2;
  TextEncoder enc(c);
  enc->eval();
  auto b = tokenizer().encode_batch({"a person walks", "someone runs forward quickly, then turns left"});
  auto out = enc->forward(b.ids, b.mask);
  EXPECT_EQ(out.sequence.sizes(), torch::IntArrayRef({2, b.ids.size(1), 32}));
  EXPECT_EQ(out.pooled.sizes(), torch::IntArrayRef({2, 16}));
  // The pooled vector of a text does not depend on how much padding its batch adds.
  auto single = tokenizer().encode_batch({"a person walks"});
  auto alone = enc->forward(single.ids, single.mask).pooled[0];
  EXPECT_LT(test::max_abs_diff(alone, out.pooled[0]), 1e-4);
  auto too_long = torch::zeros({1, 100}, torch::kLong);
  EXPECT_THROW(enc->forward(too_long, torch::ones({1, 100}, torch::kBool)), Error);
}
