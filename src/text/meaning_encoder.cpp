#include "text/meaning_encoder.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "common/archive.hpp"
#include "common/error.hpp"
#include "text/lexicon.hpp"

namespace mogo {

nlohmann::json MeaningSchema::to_json() const {
  nlohmann::json combos_json = nlohmann::json::array();
  for (const auto& c : combos) combos_json.push_back({c.action, c.side, c.style, c.caption, c.clips});
  return {{"actions", actions}, {"sides", sides},       {"styles", styles}, {"combos", combos_json},
          {"features", features}, {"words", words},     {"dim", dim},       {"hidden", hidden}};
}

MeaningSchema MeaningSchema::from_json(const nlohmann::json& j, const std::string& source) {
  MeaningSchema s;
  try {
    s.actions = j.at("actions").get<std::vector<std::string>>();
    s.sides = j.at("sides").get<std::vector<std::string>>();
    s.styles = j.at("styles").get<std::vector<std::string>>();
    s.features = j.at("features").get<std::vector<std::string>>();
    s.words = j.at("words").get<std::vector<std::string>>();
    s.dim = j.at("dim");
    s.hidden = j.at("hidden");
    for (const auto& c : j.at("combos")) s.combos.push_back({c.at(0), c.at(1), c.at(2), c.at(3), c.at(4)});
  } catch (const nlohmann::json::exception& e) {
    throw Error(source + ": bad aligner schema: " + e.what());
  }
  require(!s.actions.empty() && !s.sides.empty() && !s.styles.empty() && !s.combos.empty() && !s.features.empty(),
          source + ": the aligner schema is empty");
  for (const auto& c : s.combos)
    require(c.action >= 0 && c.action < static_cast<int>(s.actions.size()) && c.side >= 0 &&
                c.side < static_cast<int>(s.sides.size()) && c.style >= 0 && c.style < static_cast<int>(s.styles.size()),
            source + ": an aligner combination names a class out of range");
  return s;
}

std::string MeaningSchema::describe(const Combo& c) const {
  return actions[c.action] + ", " + sides[c.side] + ", " + styles[c.style];
}

MeaningNetImpl::MeaningNetImpl(const MeaningSchema& s) {
  const auto V = static_cast<int64_t>(s.features.size()) + 1;  // row 0: padding (a prompt with no known feature)
  bag = register_module("bag", torch::nn::EmbeddingBag(
                                   torch::nn::EmbeddingBagOptions(V, s.dim).mode(torch::kMean).padding_idx(0)));
  trunk = register_module("trunk", torch::nn::Sequential(torch::nn::LayerNorm(torch::nn::LayerNormOptions({s.dim})),
                                                         torch::nn::Linear(s.dim, s.hidden), torch::nn::GELU(),
                                                         torch::nn::Dropout(0.1)));
  action = register_module("action", torch::nn::Linear(s.hidden, static_cast<int64_t>(s.actions.size()) + 1));
  side = register_module("side", torch::nn::Linear(s.hidden, static_cast<int64_t>(s.sides.size())));
  style = register_module("style", torch::nn::Linear(s.hidden, static_cast<int64_t>(s.styles.size())));
}

MeaningNetImpl::Logits MeaningNetImpl::forward(const torch::Tensor& ids, const torch::Tensor& offsets) {
  auto h = trunk->forward(bag(ids, offsets));
  return {action(h), side(h), style(h)};
}

nlohmann::json MeaningReading::to_json() const {
  nlohmann::json j = {{"action", action},   {"side", side},       {"style", style},       {"p_action", p_action},
                      {"p_side", p_side},   {"p_style", p_style}, {"p_none", p_none},     {"servable", servable},
                      {"caption", caption}};
  j["alternatives"] = nlohmann::json::array();
  for (const auto& [c, p] : alternatives) j["alternatives"].push_back({{"combination", c}, {"p", p}});
  j["corrected"] = nlohmann::json::object();
  for (const auto& [from, to] : corrected) j["corrected"][from] = to;
  j["evidence"] = nlohmann::json::object();
  for (const auto& [word, attribute] : evidence) j["evidence"][word] = attribute;
  if (!style_guess.empty()) j["style_unclear"] = {{"guess", style_guess}, {"p", p_style_guess}};
  return j;
}

MeaningEncoder::MeaningEncoder(MeaningSchema schema, MeaningNet net)
    : schema_(std::move(schema)),
      net_(std::move(net)),
      features_(std::make_shared<PromptFeatures>(std::set<std::string>(schema_.words.begin(), schema_.words.end()))) {
  for (size_t i = 0; i < schema_.features.size(); ++i) index_[schema_.features[i]] = static_cast<int64_t>(i) + 1;
  net_->eval();
}

std::pair<torch::Tensor, torch::Tensor> MeaningEncoder::batch(const std::vector<std::vector<std::string>>& prompts) const {
  std::vector<int64_t> ids, offsets;
  for (const auto& p : prompts) {
    offsets.push_back(static_cast<int64_t>(ids.size()));
    const size_t before = ids.size();
    for (const auto& f : p)
      if (auto it = index_.find(f); it != index_.end()) ids.push_back(it->second);
    if (ids.size() == before) ids.push_back(0);
  }
  return {torch::tensor(ids, torch::kLong), torch::tensor(offsets, torch::kLong)};
}

namespace {

std::vector<double> to_vector(const torch::Tensor& t) {
  auto c = t.to(torch::kCPU, torch::kDouble).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

}  // namespace

size_t MeaningEncoder::unclear_style_to_neutral(const std::vector<size_t>& order, const std::vector<double>& log_p_style,
                                                MeaningReading& r) const {
  const auto& best = schema_.combos[order[0]];
  const double p = std::exp(log_p_style[best.style]);
  const auto neutral = std::find(schema_.styles.begin(), schema_.styles.end(), kNeutralStyle);
  if (p >= kStyleFloor || neutral == schema_.styles.end()) return 0;
  const int n = static_cast<int>(neutral - schema_.styles.begin());
  for (size_t k = 0; k < order.size(); ++k) {
    const auto& c = schema_.combos[order[k]];
    if (c.action != best.action || c.side != best.side || c.style != n) continue;
    if (k > 0) {
      r.style_guess = schema_.styles[best.style];
      r.p_style_guess = p;
    }
    return k;
  }
  return 0;
}

MeaningReading MeaningEncoder::read(const std::string& prompt) const {
  MeaningReading r;
  // The prompt, then the prompt without each content word (for the evidence); corrections are cached.
  std::vector<std::vector<std::string>> variants = {features_->extract(prompt, &r.corrected)};
  auto words = prompt_words(prompt);
  for (auto& w : words) w = features_->correct(w);
  std::vector<size_t> left_out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (is_function_word(words[i])) continue;
    std::string rest;
    for (size_t k = 0; k < words.size(); ++k)
      if (k != i) rest += words[k] + " ";
    variants.push_back(features_->extract(rest));
    left_out.push_back(i);
  }
  torch::NoGradGuard g;
  auto [ids, offsets] = batch(variants);
  const auto device = net_->action->weight.device();
  auto logits = net_.ptr()->forward(ids.to(device), offsets.to(device));
  auto la = torch::log_softmax(logits.action.to(torch::kFloat), -1), ls = torch::log_softmax(logits.side.to(torch::kFloat), -1),
       ly = torch::log_softmax(logits.style.to(torch::kFloat), -1);
  const auto pa = to_vector(la[0]), ps = to_vector(ls[0]), py = to_vector(ly[0]);
  // The known combinations by joint log probability.
  std::vector<double> score;
  for (const auto& c : schema_.combos) score.push_back(pa[c.action] + ps[c.side] + py[c.style]);
  std::vector<size_t> order(score.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] > score[b]; });
  // Joint probabilities relative to the likeliest combination's, and their sum.
  const double top = score[order[0]];
  double total = 0;
  for (double& s : score) {
    s -= top;
    total += std::exp(s);
  }
  const auto chosen = order.begin() + static_cast<std::ptrdiff_t>(unclear_style_to_neutral(order, py, r));
  std::rotate(order.begin(), chosen, chosen + 1);  // the one read as first, the rest in order
  const auto& best = schema_.combos[order[0]];
  r.action = schema_.actions[best.action];
  r.side = schema_.sides[best.side];
  r.style = schema_.styles[best.style];
  r.p_action = std::exp(pa[best.action]);
  r.p_side = std::exp(ps[best.side]);
  r.p_style = std::exp(py[best.style]);
  r.p_none = std::exp(pa.back());
  r.servable = pa.back() < *std::max_element(pa.begin(), pa.end() - 1);
  r.caption = best.caption;
  for (size_t k = 1; k < std::min<size_t>(4, order.size()); ++k)
    r.alternatives.push_back({schema_.describe(schema_.combos[order[k]]), std::exp(score[order[k]]) / total});
  // Evidence: the word whose absence costs each chosen attribute most (at least 0.1 nats).
  const std::pair<const torch::Tensor*, std::pair<int, std::string>> heads[] = {
      {&la, {best.action, r.action + " (action)"}}, {&ls, {best.side, r.side + " (side)"}}, {&ly, {best.style, r.style + " (style)"}}};
  for (const auto& [lp, what] : heads) {
    if (lp == &ly && !r.style_guess.empty()) continue;  // no word made the neutral style
    const auto column = to_vector(lp->select(1, what.first));
    size_t arg = 0;
    double drop = 0.1;
    for (size_t v = 1; v < column.size(); ++v)
      if (column[0] - column[v] > drop) {
        drop = column[0] - column[v];
        arg = v;
      }
    if (arg > 0) r.evidence.push_back({words[left_out[arg - 1]], what.second});
  }
  return r;
}

void MeaningEncoder::write(torch::serialize::OutputArchive& ar, nlohmann::json& meta, bool half) const {
  meta["aligner"] = schema_.to_json();
  write_model(ar, *net_, nullptr, "aligner", half);
}

std::shared_ptr<MeaningEncoder> MeaningEncoder::load_from(torch::serialize::InputArchive& ar, const nlohmann::json& meta,
                                                     const std::string& path) {
  if (!meta.contains("aligner")) return nullptr;
  auto schema = MeaningSchema::from_json(meta["aligner"], path);
  MeaningNet net(schema);
  read_model(ar, *net, path, "aligner");
  return std::make_shared<MeaningEncoder>(std::move(schema), net);
}

}  // namespace mogo
