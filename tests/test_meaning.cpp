// Prompt alignment by meaning: the prompt's features (words, spelling, WordNet), the rewordings the
// meaning encoder trains on, what the shipped model's encoder reads in phrase rewrites, idioms,
// side words and actions it does not know, the CLI's refusal, and that train-align never reads an
// evaluator.
#include <sys/inotify.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <set>

#include "common/error.hpp"
#include "shipped_model.hpp"
#include "text/meaning_encoder.hpp"
#include "text/prompt_features.hpp"
#include "text/rewording.hpp"
#include "text/train_meaning.hpp"
#include "text/wordnet.hpp"
#include "test_util.hpp"

using namespace mogo;

namespace {

bool contains(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

MeaningReading read(const std::string& prompt) {
  const auto& a = test::shipped_generator().model().aligner;
  if (!a) throw Error("the shipped model has no meaning encoder");
  return a->read(prompt);
}

}  // namespace

TEST(PromptFeatures, WordsSpellingAndWordNetSenses) {
  EXPECT_EQ(prompt_words("Dog-tired, she's OFF!  -- 2x"), (std::vector<std::string>{"dog-tired", "she's", "off", "2x"}));
  EXPECT_EQ(edit_distance("hnad", "hand", 2), 1);  // a transposition is one edit
  EXPECT_EQ(edit_distance("forwrd", "forward", 2), 1);
  EXPECT_GT(edit_distance("walk", "dance", 2), 2);
  if (!wordnet::available()) GTEST_SKIP() << "WordNet (wordnet-base) is not installed";
  const PromptFeatures f({"hand", "right", "forward", "tired", "wave"});
  EXPECT_EQ(f.correct("hnad"), "hand");
  EXPECT_EQ(f.correct("rigth"), "right");
  EXPECT_EQ(f.correct("forwrd"), "forward");
  EXPECT_EQ(f.correct("walk"), "walk");    // a WordNet word is never corrected
  EXPECT_EQ(f.correct("wav"), "wav");      // under 4 letters: too short to tell
  std::vector<std::pair<std::string, std::string>> corrected;
  const auto x = f.extract("Worn out, he waves his rigth hand", &corrected);
  EXPECT_EQ(corrected, (std::vector<std::pair<std::string, std::string>>{{"rigth", "right"}}));
  EXPECT_TRUE(contains(x, "w:right") && contains(x, "b:right_hand") && contains(x, "l:wave"));
  EXPECT_TRUE(contains(x, "l:worn_out")) << "a WordNet collocation is read as one term";
  // Synonyms share senses: "tired" and "weary" meet in a synset, "sleepy" is similar to "tired".
  auto senses = [&](const std::string& w) {
    std::set<std::string> s;
    for (const auto& t : f.extract(w))
      if (t.rfind("s:", 0) == 0) s.insert(t);
    return s;
  };
  const auto tired = senses("tired");
  bool shared = false;
  for (const auto& s : senses("weary")) shared = shared || tired.count(s);
  EXPECT_TRUE(shared);
  // Glosses: what WordNet says the word is, for the world knowledge no pointer holds.
  const auto ballerina = f.extract("a ballerina");
  EXPECT_TRUE(contains(ballerina, "g:female") && contains(ballerina, "g:dancer"));
  EXPECT_TRUE(contains(f.extract("toddler"), "g:child"));
  EXPECT_TRUE(contains(f.extract("xyzzy"), "u:")) << "a word nobody taught is marked unknown";
  EXPECT_FALSE(contains(f.extract("walk"), "u:"));
  // WordNet held in memory (train-align) answers exactly as its files do.
  const std::string prompt = "Worn out, the ballerina tiptoes backwards, looks after the attorneys general and walks away";
  const auto from_files = f.extract(prompt);
  ASSERT_TRUE(wordnet::hold_in_memory());
  EXPECT_EQ(PromptFeatures({"hand", "right", "forward", "tired", "wave"}).extract(prompt), from_files);
  for (const char* feature : {"l:worn_out", "l:look_after", "l:attorney_general", "l:walk_away", "g:dancer"})
    EXPECT_TRUE(contains(from_files, feature)) << feature;
}

TEST(Rewording, ClipAttributesAndRewordingsOfThem) {
  const auto book = PhraseBook::load(test::source_dir() + "/data/align/phrases.json");
  auto attrs = [&](const std::string& content, const std::string& style, bool mirrored) {
    const auto a = clip_attributes(content, style, mirrored, book);
    return a.action + "/" + a.side + "/" + a.style;
  };
  EXPECT_EQ(attrs("raise-up-left-hand", "active", false), "raise-up/left/active");
  EXPECT_EQ(attrs("raise-up-left-hand", "active", true), "raise-up/right/active");  // a mirrored clip
  EXPECT_EQ(attrs("wave-both-hands", "feminine", true), "wave/both/feminine");
  EXPECT_EQ(attrs("walk-turn-right", "old", false), "walk-turn/right/elderly");      // styles of one meaning
  EXPECT_EQ(attrs("walk", "childish", false), "walk/none/youthful");
  EXPECT_EQ(attrs("walk-back", "normal", false), "walk-back/none/normal");
  std::mt19937_64 rng(3);
  std::set<std::string> distinct;
  for (int i = 0; i < 60; ++i) {
    const auto r = reword({"raise-up", "left", "elderly"}, book, rng);
    EXPECT_EQ(r.find("right"), std::string::npos) << r;
    distinct.insert(r);
  }
  EXPECT_GT(distinct.size(), 50u);
  // Settings ("in the park") come into some rewordings, at either end.
  EXPECT_TRUE(std::any_of(distinct.begin(), distinct.end(), [&](const std::string& r) {
    return std::any_of(book.settings.begin(), book.settings.end(), [&](const std::string& s) { return r.find(s) != std::string::npos; });
  }));
  // What the subject wears ("in a red jacket") comes into some rewordings, never after a pronoun.
  size_t worn = 0;
  for (int i = 0; i < 400; ++i) {
    const auto r = " " + reword({"walk", "none", "sad"}, book, rng);
    for (const auto& a : book.appearance) {
      if (r.find(" " + a) == std::string::npos) continue;
      ++worn;
      for (const char* pronoun : {" he ", " she ", " they "}) EXPECT_EQ(r.find(pronoun + a), std::string::npos) << r;
    }
  }
  EXPECT_GT(worn, 20u);
  EXPECT_THROW(reword({"teleport", "none", "normal"}, book, rng), Error);
  EXPECT_FALSE(unknown_request(book, rng).empty());
  EXPECT_TRUE(book.words().count("sidestep") && book.words().count("wearily"));
  // A style the labels merge into another teaches that one: youthful clips are reworded with the
  // childish entry's phrases too, and no rewording is asked for a style no clip is labelled with.
  EXPECT_FALSE(book.styles.count("childish"));
  const auto& youthful = book.styles.at("youthful");
  EXPECT_TRUE(contains(youthful.subjects, "a toddler") && contains(youthful.adverbs, "childishly"));
}

// A style below kStyleFloor is not taken: the same action and side in the neutral style are, and
// the guess is reported. An encoder whose style head answers fixed probabilities (zero weights).
TEST(MeaningAlign, StyleBelowTheFloorIsReadAsNeutral) {
  MeaningSchema s;
  s.actions = {"walk"};
  s.sides = {"none"};
  s.styles = {"happy", "normal", "sad"};
  for (int y = 0; y < 3; ++y) s.combos.push_back({0, 0, y, "a person walks " + s.styles[static_cast<size_t>(y)], 1});
  auto reading = [&](std::vector<double> p_style) {
    MeaningNet net(s);
    torch::NoGradGuard g;
    for (auto& p : net->parameters()) p.zero_();
    net->style->bias.copy_(torch::tensor(p_style).log());
    return MeaningEncoder(s, net).read("walk");
  };
  auto r = reading({0.45, 0.2, 0.35});
  EXPECT_EQ(r.style, "normal");
  EXPECT_EQ(r.caption, "a person walks normal");
  EXPECT_EQ(r.style_guess, "happy");
  EXPECT_NEAR(r.p_style_guess, 0.45, 1e-5);
  ASSERT_EQ(r.alternatives.size(), 2u);
  EXPECT_EQ(r.alternatives[0].first, "walk, none, happy");
  EXPECT_NEAR(r.alternatives[0].second, 0.45, 1e-5);  // probabilities of the combinations, as before
  r = reading({0.6, 0.1, 0.3});
  EXPECT_EQ(r.style, "happy");
  EXPECT_TRUE(r.style_guess.empty());
  EXPECT_FALSE(r.to_json().contains("style_unclear"));
}

TEST(MeaningAlign, ShippedModelReadsWholePrompts) {
  if (!wordnet::available()) GTEST_SKIP() << "WordNet (wordnet-base) is not installed";
  // Phrase rewrites: the action from "hurries ahead", the style from "sleepy" (neither a caption word).
  auto r = read("a sleepy guy hurries ahead");
  EXPECT_EQ(r.action + "/" + r.style, "run/exhausted");
  EXPECT_TRUE(r.servable);
  r = read("the soldier marches straight on, exhausted");
  EXPECT_EQ(r.action + "/" + r.style, "walk/exhausted");
  // Idioms and style phrases that are no single known word.
  r = read("running out of steam, he raises his left arm");
  EXPECT_EQ(r.action + "/" + r.side + "/" + r.style, "raise-up/left/exhausted");
  EXPECT_EQ(read("he raises his left arm, bone-weary").style, "exhausted");
  r = read("dog-tired, she walks on");
  EXPECT_EQ(r.action + "/" + r.style, "walk/exhausted");
  // World knowledge from a gloss: a linebacker is "a defensive football player".
  r = read("a linebacker runs ahead");
  EXPECT_EQ(r.action + "/" + r.style, "run/masculine");
  // A child is youthful: the phrase book's childish entry teaches the style it is merged into.
  r = read("a toddler raises both arms");
  EXPECT_EQ(r.action + "/" + r.side + "/" + r.style, "raise-up/both/youthful");
  r = read("an old man waves his right hand");
  EXPECT_EQ(r.action + "/" + r.side + "/" + r.style, "wave/right/elderly");
  EXPECT_TRUE(r.style_guess.empty());  // read with confidence: used
  // An idiom the phrase book lacks, read through WordNet ("shrinking violet": "shy person").
  r = read("a shrinking violet creeps forward");
  EXPECT_EQ(r.action + "/" + r.style, "walk/not-confident");
  // A style no more likely than not is not guessed: the neutral style, the guess reported (a trade
  // says nothing of the manner).
  r = read("the librarian walks ahead");
  EXPECT_EQ(r.action + "/" + r.style, "walk/normal");
  ASSERT_FALSE(r.style_guess.empty());
  EXPECT_LT(r.p_style_guess, kStyleFloor);
  ASSERT_FALSE(r.alternatives.empty());
  EXPECT_EQ(r.alternatives[0].first, "walk, none, " + r.style_guess);
  EXPECT_TRUE(r.to_json().contains("style_unclear"));
  // A colour that says what someone wears is no style; the idiom it comes from still is (the
  // phrase book holds neither of the first two: its appearance list teaches the difference).
  EXPECT_NE(read("a man in a blue hat walks ahead").style, "sad");
  EXPECT_NE(read("a man with a red scarf walks on").style, "angry");
  EXPECT_EQ(read("feeling blue, a man walks ahead").style, "sad");
  // Side words, with their number: "arms" stays both; misspelt sides are corrected and reported.
  EXPECT_EQ(read("both arms up").side, "both");
  r = read("wave with the lfet hand");
  EXPECT_EQ(r.action + "/" + r.side, "wave/left");
  EXPECT_EQ(r.corrected, (std::vector<std::pair<std::string, std::string>>{{"lfet", "left"}}));
  EXPECT_EQ(read("walk forward and turn right").side, "right");
  // Walking verbs of manner the captions never use are walks.
  for (const char* p : {"the old codger potters forward", "hopping mad, she stomps along", "a hulking brute lumbers forward"}) {
    r = read(p);
    EXPECT_EQ(r.action, "walk") << p;
    EXPECT_TRUE(r.servable) << p;
  }
  // Actions the data does not have: said to be so, with the nearest thing the model can do, also
  // when they go somewhere (an unknown or made-up verb with a direction).
  for (const char* p : {"does a backflip", "a person swims across the pool", "xyzzy plugh", "a man crawls forward",
                        "a man zorbles forward"}) {
    r = read(p);
    EXPECT_FALSE(r.servable) << p;
    EXPECT_FALSE(r.caption.empty()) << p;
  }
}

TEST(MeaningAlign, GeneratorAlignsToACaptionReportsAndRefusesWhenAsked) {
  if (!wordnet::available()) GTEST_SKIP() << "WordNet (wordnet-base) is not installed";
  Generator& g = test::shipped_generator();
  const auto a = g.aligner().align("a sleepy guy hurries ahead", {});
  EXPECT_EQ(a.method, "meaning");
  EXPECT_TRUE(g.aligner().is_training_caption(a.text)) << a.text;
  EXPECT_NE(a.summary().find("read as run"), std::string::npos) << a.summary();
  EXPECT_EQ(a.to_json()["meaning"]["style"], "exhausted");
  const auto unclear = g.aligner().align("the librarian walks ahead", {});
  EXPECT_NE(unclear.summary().find("no style read with confidence"), std::string::npos) << unclear.summary();
  // A training caption is left as typed.
  const std::string caption = g.aligner().captions().at(10);
  EXPECT_EQ(g.aligner().align(caption, {}).method, "builtin");
  // Unknown actions: reported by default, an Error naming the nearest when refusal is asked for.
  auto backflip = g.aligner().align("does a backflip", {});
  EXPECT_FALSE(backflip.servable());
  ASSERT_FALSE(backflip.warnings.empty());
  EXPECT_NE(backflip.warnings[0].find("the nearest it can do is"), std::string::npos);
  AlignOptions refuse;
  refuse.refuse_unservable = true;
  g.set_alignment(refuse);
  try {
    g.condition({"does a backflip"});
    ADD_FAILURE() << "an unknown action was not refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not trained on"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(g.condition({"a person waves the left hand"}));
  g.set_alignment({});
}

TEST(MeaningAlign, CliRefusesAnUnknownActionUnlessNearestIsGiven) {
  if (!wordnet::available()) GTEST_SKIP() << "WordNet (wordnet-base) is not installed";
  test::TempDir dir;
  auto r = test::run_cli("generate \"does a backflip\" --seconds 1 -o " + (dir / "a.json"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("the nearest it can do is"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "a.json"));
  r = test::run_cli("generate \"does a backflip\" --nearest --seconds 1 -o " + (dir / "b.json"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("warning: \"does a backflip\" asks for an action"), std::string::npos) << r.output;
  r = test::run_cli("align \"a sleepy guy hurries ahead\"");
  EXPECT_NE(r.output.find("aligned (meaning)"), std::string::npos) << r.output;
}

TEST(MeaningAlign, TrainAlignLearnsFromLabelsAndNeverReadsTheEvaluator) {
  if (!wordnet::available()) GTEST_SKIP() << "WordNet (wordnet-base) is not installed";
  test::TempDir dir;
  const std::string data = dir / "data";
  std::filesystem::create_directories(data + "/texts");
  struct Clip {
    std::string id, content, style, caption;
  };
  const std::vector<Clip> clips = {
      {"d_walk_normal_001", "walk", "normal", "a person walks forward ."},
      {"d_raise-up-left-hand_active_001", "raise-up-left-hand", "active", "a person raises the left hand energetically ."},
      {"Md_raise-up-left-hand_active_001", "", "", "a person raises the right hand energetically ."},  // mirrored
      {"d_wave-both-hands_elderly_001", "wave-both-hands", "elderly", "someone waves both hands like a senior ."}};
  std::ofstream split(data + "/train.txt"), labels(dir / "labels.tsv");
  labels << "id\tdataset\tcontent\tstyle\tsplit\n";
  for (const auto& c : clips) {
    split << c.id << "\n";
    std::ofstream(data + "/texts/" + c.id + ".txt") << c.caption << "##0.0#0.0\n";
    if (!c.content.empty()) labels << c.id << "\td\t" << c.content << "\t" << c.style << "\ttrain\n";
  }
  split.close();
  labels.close();
  // Watch the folder of the shipped evaluator while the encoder trains.
  const std::string models = test::source_dir() + "/models";
  const int fd = inotify_init1(IN_NONBLOCK);
  ASSERT_GE(fd, 0);
  ASSERT_GE(inotify_add_watch(fd, models.c_str(), IN_OPEN | IN_ACCESS), 0);
  MeaningTrainOptions o;
  o.data_dir = data;
  o.labels = dir / "labels.tsv";
  o.phrases = test::source_dir() + "/data/align/phrases.json";
  o.model = models + "/t2m-tiny.pt";
  o.out = dir / "aligned.pt";
  o.rewordings = 40;
  o.epochs = 12;
  o.batch = 16;
  const auto report = train_meaning(o);
  std::set<std::string> opened;
  alignas(inotify_event) char buf[1 << 14];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
    for (char* p = buf; p < buf + n;) {
      auto* e = reinterpret_cast<inotify_event*>(p);
      if (e->len > 0) opened.insert(e->name);
      p += sizeof(inotify_event) + e->len;
    }
  ::close(fd);
  EXPECT_TRUE(opened.count("t2m-tiny.pt")) << "the watch sees the model being read";
  EXPECT_FALSE(opened.count("evaluator.pt")) << "train-align read the evaluator";
  EXPECT_EQ(report.combos, 4);  // walk/none/normal, raise-up/left and right/active, wave/both/elderly
  EXPECT_GT(report.caption_accuracy, 0.99);
  const auto m = load_t2m_model(o.out);
  ASSERT_TRUE(m.aligner);
  const auto r = m.aligner->read("lift the right arm energetically");
  EXPECT_EQ(r.action + "/" + r.side + "/" + r.style, "raise-up/right/active");
  EXPECT_EQ(r.caption, "a person raises the right hand energetically .");
}
