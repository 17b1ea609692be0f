#include "eval/protocol.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <random>
#include <set>

#include "common/error.hpp"
#include "eval/metrics.hpp"
#include "motion/npy.hpp"

namespace mogo {

namespace fs = std::filesystem;

MotionSet MotionSet::load(const std::string& dir, const std::vector<std::string>& ids, const std::string& name) {
  MotionSet s;
  s.name = name;
  for (const auto& id : ids) {
    auto path = fs::path(dir) / (id + ".npy");
    require(fs::exists(path), dir + ": no generated motion for test clip '" + id + "' (" + path.string() + ")");
    s.motions[id] = npy::load(path.string()).to(torch::kFloat);
    for (int k = 0;; ++k) {
      auto mm = fs::path(dir) / (id + "_mm" + std::to_string(k) + ".npy");
      if (!fs::exists(mm)) break;
      s.multimodal[id].push_back(npy::load(mm.string()).to(torch::kFloat));
    }
  }
  return s;
}

namespace {

// Groups of clips that share a meaning: clips are joined when any of their (normalised) captions
// coincide or their label keys do (a clip and its mirror, takes of one label). Union-find.
std::vector<size_t> meaning_groups(const MotionDataset& test) {
  const auto& clips = test.clips();
  std::vector<size_t> parent(clips.size());
  for (size_t i = 0; i < parent.size(); ++i) parent[i] = i;
  std::function<size_t(size_t)> find = [&](size_t i) { return parent[i] == i ? i : parent[i] = find(parent[i]); };
  std::map<std::string, size_t> first;
  auto join = [&](const std::string& key, size_t i) {
    auto [it, fresh] = first.emplace(key, i);
    if (!fresh) parent[find(i)] = find(it->second);
  };
  for (size_t i = 0; i < clips.size(); ++i) {
    join("id:" + label_key(clips[i].id), i);
    for (const auto& c : clips[i].captions) join("text:" + Tokenizer::normalise(c.text), i);
  }
  std::vector<size_t> group(clips.size());
  for (size_t i = 0; i < clips.size(); ++i) group[i] = find(i);
  return group;
}

// Splits shuffled clip indices into batches whose clips come from pairwise different meaning
// groups; the last incomplete batch is dropped (as the reference implementation does).
std::vector<std::vector<size_t>> distinct_batches(const std::vector<size_t>& group, int64_t batch, std::mt19937_64& rng) {
  std::vector<size_t> order(group.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<std::vector<size_t>> batches;
  std::vector<std::pair<std::vector<size_t>, std::set<size_t>>> open;
  for (size_t i : order) {
    bool placed = false;
    for (auto& [members, groups] : open) {
      if (groups.count(group[i])) continue;
      members.push_back(i);
      groups.insert(group[i]);
      placed = true;
      break;
    }
    if (!placed) open.push_back({{i}, {group[i]}});
    for (size_t b = 0; b < open.size(); ++b) {
      if (static_cast<int64_t>(open[b].first.size()) == batch) {
        batches.push_back(open[b].first);
        open.erase(open.begin() + b);
        break;
      }
    }
  }
  return batches;
}

}  // namespace

void require_fits(const EvaluatorBundle& ev, const MotionDataset& test) {
  require(test.dim() == ev.mean.size(0), "the test clips' features are " + std::to_string(test.dim()) + "-d, the evaluator expects " +
                                             std::to_string(ev.mean.size(0)) + " (a dataset of another skeleton?)");
}

ProtocolRow run_protocol(const EvaluatorBundle& ev, const MotionDataset& test, const MotionSet* gen,
                         const ProtocolOptions& o, torch::Device device) {
  require_fits(ev, test);
  const auto& clips = test.clips();
  // Embeddings that do not change across repetitions: real and generated motions.
  std::vector<torch::Tensor> real_raw, gen_raw;
  for (const auto& c : clips) {
    real_raw.push_back(test.denormalise(c.features));
    if (gen) {
      auto it = gen->motions.find(c.id);
      require(it != gen->motions.end(), gen->name + ": no generated motion for test clip '" + c.id + "'");
      gen_raw.push_back(it->second);
    }
  }
  auto real_emb = ev.motions(real_raw, device, o.max_frames);
  auto gen_emb = gen ? ev.motions(gen_raw, device, o.max_frames) : real_emb;
  torch::Tensor mm_emb;
  if (gen && !gen->multimodal.empty()) {
    std::vector<torch::Tensor> rows;
    for (const auto& [id, list] : gen->multimodal) {
      if (list.size() < 2) continue;
      rows.push_back(ev.motions(list, device, o.max_frames));
    }
    if (!rows.empty()) {
      int64_t K = rows[0].size(0);
      for (auto& r : rows) K = std::min(K, r.size(0));
      for (auto& r : rows) r = r.narrow(0, 0, K);
      mm_emb = torch::stack(rows, 0);  // [N,K,E]
    }
  }
  std::map<std::string, torch::Tensor> text_cache;
  auto text_emb = [&](const std::string& caption) {
    auto it = text_cache.find(caption);
    if (it != text_cache.end()) return it->second;
    auto e = ev.texts({caption}, device)[0];
    text_cache[caption] = e;
    return e;
  };

  std::map<std::string, std::vector<double>> values;
  const auto groups = meaning_groups(test);
  for (int64_t r = 0; r < o.repeats; ++r) {
    std::mt19937_64 rng(o.seed * 1000003ULL + static_cast<uint64_t>(r));
    auto batches = distinct_batches(groups, o.batch, rng);
    require(!batches.empty(), "evaluation: the test split has fewer than " + std::to_string(o.batch) +
                                  " clips with distinct captions");
    std::vector<double> top(3, 0.0);
    double mm = 0;
    for (const auto& b : batches) {
      std::vector<torch::Tensor> t, m;
      for (size_t i : b) {
        const auto& caps = clips[i].captions;
        require(!caps.empty(), "evaluation: test clip '" + clips[i].id + "' has no caption");
        t.push_back(text_emb(caps[std::uniform_int_distribution<size_t>(0, caps.size() - 1)(rng)].text));
        m.push_back(gen_emb[i]);
      }
      auto T = torch::stack(t), M = torch::stack(m);
      auto rp = metrics::r_precision(T, M, 3);
      for (int k = 0; k < 3; ++k) top[k] += rp[k];
      mm += metrics::mm_dist(T, M);
    }
    for (int k = 0; k < 3; ++k) values["top" + std::to_string(k + 1)].push_back(top[k] / batches.size());
    values["mm_dist"].push_back(mm / batches.size());
    if (gen) {
      values["fid"].push_back(metrics::fid(gen_emb, real_emb));
    } else {  // two random halves of the real test set
      std::vector<int64_t> idx(real_emb.size(0));
      for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int64_t>(i);
      std::shuffle(idx.begin(), idx.end(), rng);
      int64_t h = real_emb.size(0) / 2;
      auto a = real_emb.index_select(0, torch::tensor(std::vector<int64_t>(idx.begin(), idx.begin() + h)));
      auto c = real_emb.index_select(0, torch::tensor(std::vector<int64_t>(idx.begin() + h, idx.end())));
      values["fid"].push_back(metrics::fid(a, c));
    }
    values["diversity"].push_back(metrics::diversity(gen_emb, o.diversity_pairs, rng));
    if (mm_emb.defined()) values["multimodality"].push_back(metrics::multimodality(mm_emb, o.mm_pairs, rng));
  }
  ProtocolRow row;
  row.name = gen ? gen->name : "Real motion";
  for (const auto& [k, v] : values) {
    auto [mean, ci] = metrics::mean_confidence(v);
    row.metrics[k] = {mean, ci, true};
  }
  return row;
}

std::string protocol_table(const std::vector<ProtocolRow>& rows, int64_t batch) {
  const char* keys[] = {"top1", "top2", "top3", "fid", "mm_dist", "diversity", "multimodality"};
  const char* heads[] = {"R-prec top-1", "R-prec top-2", "R-prec top-3", "FID", "MM-Dist", "Diversity", "MultiModality"};
  std::string s;
  char buf[128];
  std::snprintf(buf, sizeof buf, "%-22s", "");
  s += buf;
  for (auto* h : heads) {
    std::snprintf(buf, sizeof buf, " %17s", h);
    s += buf;
  }
  s += "\n";
  for (const auto& r : rows) {
    std::snprintf(buf, sizeof buf, "%-22s", r.name.c_str());
    s += buf;
    for (auto* k : keys) {
      auto it = r.metrics.find(k);
      if (it == r.metrics.end() || !it->second.present) std::snprintf(buf, sizeof buf, " %17s", "-");
      else std::snprintf(buf, sizeof buf, " %9.3f +-%5.3f", it->second.mean, it->second.ci);
      s += buf;
    }
    s += "\n";
  }
  std::snprintf(buf, sizeof buf, "%-22s %9.3f        %9.3f        %9.3f\n", "Chance", std::min(1.0, 1.0 / batch),
                std::min(1.0, 2.0 / batch), std::min(1.0, 3.0 / batch));
  s += buf;
  return s;
}

nlohmann::json protocol_json(const std::vector<ProtocolRow>& rows, const ProtocolOptions& o) {
  nlohmann::json j = {{"repeats", o.repeats}, {"batch", o.batch}, {"diversity_pairs", o.diversity_pairs},
                      {"chance", {{"top1", 1.0 / o.batch}, {"top2", 2.0 / o.batch}, {"top3", 3.0 / o.batch}}}};
  for (const auto& r : rows) {
    nlohmann::json m;
    for (const auto& [k, v] : r.metrics) m[k] = {{"mean", v.mean}, {"ci95", v.ci}};
    j["rows"].push_back({{"name", r.name}, {"metrics", m}});
  }
  return j;
}

}  // namespace mogo
