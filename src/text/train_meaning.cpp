#include "text/train_meaning.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "common/error.hpp"
#include "common/log.hpp"
#include "data/split.hpp"
#include "data/text_file.hpp"
#include "model/model_file.hpp"
#include "text/meaning_encoder.hpp"
#include "text/rewording.hpp"
#include "text/tokenizer.hpp"
#include "text/wordnet.hpp"
#include "train/optim.hpp"
#include "train/train_loop.hpp"

namespace mogo {

namespace fs = std::filesystem;

namespace {

// id -> (content, style) from a tsv whose header names the columns id, content and style.
std::map<std::string, std::pair<std::string, std::string>> read_labels(const std::string& path) {
  std::ifstream in(path);
  require(in.good(), path + ": cannot read the labels file");
  std::string line;
  require(static_cast<bool>(std::getline(in, line)), path + ": the labels file is empty");
  auto cells = [](const std::string& l) {
    std::vector<std::string> c;
    std::stringstream s(l);
    for (std::string x; std::getline(s, x, '\t');) c.push_back(x);
    return c;
  };
  const auto header = cells(line);
  auto column = [&](const std::string& name) {
    const auto it = std::find(header.begin(), header.end(), name);
    require(it != header.end(), path + ": the header has no '" + name + "' column");
    return static_cast<size_t>(it - header.begin());
  };
  const size_t id = column("id"), content = column("content"), style = column("style");
  std::map<std::string, std::pair<std::string, std::string>> out;
  for (int n = 2; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    const auto c = cells(line);
    require(c.size() > std::max({id, content, style}), path + ":" + std::to_string(n) + ": too few columns");
    out[c[id]] = {c[content], c[style]};
  }
  return out;
}

struct Example {
  std::string text;
  int action, side, style;  // action == actions.size(): none
  bool caption = false, held_out = false;
};

template <typename T>
int index_of(const std::vector<T>& v, const T& x) {
  return static_cast<int>(std::find(v.begin(), v.end(), x) - v.begin());
}

// The known combinations, their most frequent caption, and the caption examples.
MeaningSchema schema_from_clips(const MeaningTrainOptions& o, const PhraseBook& book, std::vector<Example>& examples,
                                std::map<ClipAttributes, int>& combo_of) {
  const auto labels = read_labels(o.labels);
  std::map<ClipAttributes, std::map<std::string, int>> captions;
  std::vector<std::pair<ClipAttributes, std::string>> caption_list;
  for (const auto& id : read_split((fs::path(o.data_dir) / "train.txt").string())) {
    const bool mirrored = id.size() > 1 && id[0] == 'M' && labels.count(id.substr(1)) && !labels.count(id);
    const auto it = labels.find(mirrored ? id.substr(1) : id);
    require(it != labels.end(), o.labels + ": no labels for the training clip " + id);
    const auto a = clip_attributes(it->second.first, it->second.second, mirrored, book);
    for (const auto& c : load_captions((fs::path(o.data_dir) / "texts" / (id + ".txt")).string())) {
      const std::string text = Tokenizer::normalise(c.text);
      ++captions[a][text];
      caption_list.push_back({a, text});
    }
  }
  MeaningSchema s;
  s.dim = o.dim;
  s.hidden = o.hidden;
  s.sides = {"none", "left", "right", "both"};
  std::set<std::string> actions, styles;
  for (const auto& [a, _] : captions) {
    actions.insert(a.action);
    styles.insert(a.style);
    require(std::find(s.sides.begin(), s.sides.end(), a.side) != s.sides.end(), "train-align: unknown side " + a.side);
  }
  s.actions.assign(actions.begin(), actions.end());
  s.styles.assign(styles.begin(), styles.end());
  for (const auto& [a, counts] : captions) {
    // The most frequent caption (ties: the first in order): what the generator saw most for it.
    const auto best = std::max_element(counts.begin(), counts.end(),
                                       [](const auto& x, const auto& y) { return x.second < y.second; });
    int clips = 0;
    for (const auto& [_, n] : counts) clips += n;
    combo_of[a] = static_cast<int>(s.combos.size());
    s.combos.push_back({index_of(s.actions, a.action), index_of(s.sides, a.side), index_of(s.styles, a.style), best->first, clips});
  }
  for (const auto& [a, text] : caption_list)
    examples.push_back({text, index_of(s.actions, a.action), index_of(s.sides, a.side), index_of(s.styles, a.style), true});
  return s;
}

}  // namespace

MeaningTrainReport train_meaning(const MeaningTrainOptions& o) {
  require(o.rewordings >= 1 && o.epochs >= 1 && o.batch >= 1 && o.lr > 0, "train-align: counts and lr must be positive");
  // Rewording inflects through WordNet, and the feature pass looks up every distinct 1-4-word term
  // of every example: hundreds of thousands of lookups.
  wordnet::hold_in_memory();
  const PhraseBook book = PhraseBook::load(o.phrases);
  T2MModel m = load_t2m_model(o.model);
  std::vector<Example> examples;
  std::map<ClipAttributes, int> combo_of;
  MeaningSchema schema = schema_from_clips(o, book, examples, combo_of);
  const int none = static_cast<int>(schema.actions.size());
  std::mt19937_64 rng(o.seed);
  // Rewordings of every combination (one in 20 held out), and requests for actions the data lacks.
  // A combination gets rewordings in proportion to the square root of its clips (half to twice
  // --rewordings): people ask more often for what the data has more of, but rare ones stay learnt.
  std::vector<int> clips;
  for (const auto& c : schema.combos) clips.push_back(c.clips);
  std::nth_element(clips.begin(), clips.begin() + static_cast<long>(clips.size() / 2), clips.end());
  const double median = std::max(1, clips[clips.size() / 2]);
  for (const auto& [a, c] : combo_of)
    for (int64_t i = 0, n = static_cast<int64_t>(static_cast<double>(o.rewordings) *
                                                  std::clamp(std::sqrt(schema.combos[c].clips / median), 0.5, 2.0));
         i < n; ++i) {
      const auto& combo = schema.combos[c];
      examples.push_back({reword(a, book, rng), combo.action, combo.side, combo.style, false, i % 20 == 19});
    }
  const size_t unknown = examples.size() / 10;
  for (size_t i = 0; i < unknown; ++i) examples.push_back({unknown_request(book, rng), none, 0, 0, false, i % 20 == 19});
  // Spelling vocabulary: the words of the captions and the phrase book; features seen at least twice.
  std::set<std::string> words = book.words();
  for (const auto& e : examples)
    if (e.caption)
      for (const auto& w : prompt_words(e.text)) words.insert(w);
  schema.words.assign(words.begin(), words.end());
  const PromptFeatures extractor(words);
  std::vector<std::vector<std::string>> features;
  std::map<std::string, int> count;
  const auto feature_start = std::chrono::steady_clock::now();
  for (const auto& e : examples) {
    features.push_back(extractor.extract(e.text));
    for (const auto& f : features.back()) ++count[f];
  }
  log_info("train-align: features of every example in " +
           std::to_string(std::chrono::duration<double>(std::chrono::steady_clock::now() - feature_start).count()) + " s");
  for (const auto& [f, n] : count)
    if (n >= 2) schema.features.push_back(f);
  log_info("train-align: " + std::to_string(examples.size()) + " examples (" + std::to_string(schema.combos.size()) +
           " known combinations of " + std::to_string(schema.actions.size()) + " actions, " +
           std::to_string(schema.styles.size()) + " styles), " + std::to_string(schema.features.size()) + " features");

  torch::manual_seed(static_cast<int64_t>(o.seed));
  MeaningNet net(schema);
  MeaningEncoder encoder(schema, net);
  torch::optim::AdamW opt(net->parameters(), torch::optim::AdamWOptions(o.lr).weight_decay(1e-4));
  std::vector<size_t> train_rows, held_rows, caption_rows;
  for (size_t i = 0; i < examples.size(); ++i) {
    (examples[i].held_out ? held_rows : train_rows).push_back(i);
    if (examples[i].caption) caption_rows.push_back(i);
  }
  auto labels_of = [&](const std::vector<size_t>& rows, int Example::*field) {
    std::vector<int64_t> v;
    for (size_t r : rows) v.push_back(examples[r].*field);
    return torch::tensor(v, torch::kLong);
  };
  // Fraction of rows with all three attributes right (an unknown request: its action right).
  auto accuracy = [&](const std::vector<size_t>& rows) {
    torch::NoGradGuard g;
    net->eval();
    std::vector<std::vector<std::string>> f;
    for (size_t r : rows) f.push_back(features[r]);
    auto [ids, offsets] = encoder.batch(f);
    auto l = net->forward(ids, offsets);
    auto a = labels_of(rows, &Example::action);
    auto right = (l.action.argmax(1) == a) &
                 ((a == none) | ((l.side.argmax(1) == labels_of(rows, &Example::side)) &
                                 (l.style.argmax(1) == labels_of(rows, &Example::style))));
    return right.to(torch::kDouble).mean().item<double>();
  };
  const int64_t steps_per_epoch = (static_cast<int64_t>(train_rows.size()) + o.batch - 1) / o.batch;
  const LRSchedule schedule{o.epochs * steps_per_epoch, 0, o.lr, 0.0};  // cosine decay to 0, no warm-up
  std::bernoulli_distribution keep(0.85);  // feature dropout: no single cue is relied on
  for (int64_t epoch = 0; epoch < o.epochs; ++epoch) {
    std::shuffle(train_rows.begin(), train_rows.end(), rng);
    net->train();
    double total = 0;
    for (int64_t s = 0; s < steps_per_epoch; ++s) {
      const auto first = train_rows.begin() + s * o.batch;
      const std::vector<size_t> rows(first, std::min(first + o.batch, train_rows.end()));
      std::vector<std::vector<std::string>> f;
      for (size_t r : rows) {
        f.emplace_back();
        for (const auto& x : features[r])
          if (keep(rng)) f.back().push_back(x);
      }
      set_learning_rate(opt, schedule.at(epoch * steps_per_epoch + s));
      auto [ids, offsets] = encoder.batch(f);
      auto l = net->forward(ids, offsets);
      auto a = labels_of(rows, &Example::action);
      // Side and style of an unknown request are not learnt from it.
      auto known = (a != none).to(torch::kFloat);
      namespace F = torch::nn::functional;
      auto none_reduced = F::CrossEntropyFuncOptions().reduction(torch::kNone);
      auto loss = F::cross_entropy(l.action, a) +
                  ((F::cross_entropy(l.side, labels_of(rows, &Example::side), none_reduced) +
                    F::cross_entropy(l.style, labels_of(rows, &Example::style), none_reduced)) * known).sum() /
                      known.sum().clamp_min(1);
      opt.zero_grad();
      loss.backward();
      opt.step();
      total += loss.item<double>();
    }
    log_info("train-align: epoch " + std::to_string(epoch + 1) + "/" + std::to_string(o.epochs) + ", loss " +
             std::to_string(total / static_cast<double>(steps_per_epoch)) + ", held-out accuracy " +
             std::to_string(accuracy(held_rows)));
  }
  net->eval();
  MeaningTrainReport report;
  report.examples = static_cast<int64_t>(examples.size());
  report.features = static_cast<int64_t>(schema.features.size());
  report.combos = static_cast<int64_t>(schema.combos.size());
  report.held_out_accuracy = accuracy(held_rows);
  report.caption_accuracy = accuracy(caption_rows);
  m.aligner = std::make_shared<MeaningEncoder>(std::move(encoder));
  m.train_meta["aligner"] = {{"phrases", o.phrases}, {"labels", o.labels}, {"rewordings", o.rewordings},
                             {"epochs", o.epochs},   {"seed", o.seed},     {"held_out_accuracy", report.held_out_accuracy},
                             {"caption_accuracy", report.caption_accuracy}};
  save_t2m_model(o.out, m, nullptr, o.half);
  return report;
}

}  // namespace mogo
