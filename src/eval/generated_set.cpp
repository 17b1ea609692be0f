#include "eval/generated_set.hpp"

#include <fstream>
#include <random>

#include "common/error.hpp"
#include "common/log.hpp"

namespace mogo {

std::map<std::string, std::string> read_prompts(const std::string& path) {
  std::ifstream in(path);
  require(in.good(), path + ": cannot read the prompts file");
  std::map<std::string, std::string> prompts;
  int line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    const std::string where = path + ":" + std::to_string(line_no);
    require(tab != std::string::npos && tab > 0, where + ": expected \"<clip id><TAB><prompt>\"");
    const std::string prompt = line.substr(tab + 1);
    require(prompt.find_first_not_of(" \t") != std::string::npos, where + ": the prompt is empty");
    require(prompts.emplace(line.substr(0, tab), prompt).second, where + ": a second prompt for clip " + line.substr(0, tab));
  }
  require(!prompts.empty(), path + ": no prompts");
  return prompts;
}

MotionSet generate_motion_set(Generator& g, const MotionDataset& test, const GeneratedSetOptions& o, const std::string& name) {
  std::mt19937_64 rng(o.gen.sampling.seed);
  std::vector<std::string> texts, ids;
  std::vector<int64_t> frames;
  for (const auto& c : test.clips()) {
    if (c.captions.empty()) continue;
    const std::string caption = c.captions[std::uniform_int_distribution<size_t>(0, c.captions.size() - 1)(rng)].text;
    if (o.prompts.empty()) {
      texts.push_back(caption);
    } else {
      auto p = o.prompts.find(c.id);
      require(p != o.prompts.end(), "--prompts has no prompt for clip " + c.id);
      texts.push_back(p->second);
    }
    frames.push_back(std::min(o.max_frames, c.features.size(0)));
    ids.push_back(c.id);
  }
  MotionSet s;
  s.name = name;
  log_info("eval: generating " + std::to_string(texts.size()) + " motions for '" + name + "'");
  auto motions = g.generate(texts, o.gen, frames);
  for (size_t i = 0; i < ids.size(); ++i) s.motions[ids[i]] = motions[i].features;
  // MultiModality: the first mm_texts clips (in shuffled order), mm_samples generations each.
  std::vector<size_t> order(ids.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  order.resize(std::min<size_t>(order.size(), static_cast<size_t>(std::max<int64_t>(0, o.mm_texts))));
  if (o.mm_samples >= 2 && !order.empty()) {
    std::vector<std::string> mm_texts;
    std::vector<int64_t> mm_frames;
    for (size_t i : order)
      for (int64_t k = 0; k < o.mm_samples; ++k) {
        mm_texts.push_back(texts[i]);
        mm_frames.push_back(frames[i]);
      }
    log_info("eval: generating " + std::to_string(mm_texts.size()) + " motions for MultiModality");
    GenerateOptions mo = o.gen;
    mo.sampling.seed = o.gen.sampling.seed + 7919;
    auto mm = g.generate(mm_texts, mo, mm_frames);
    for (size_t j = 0; j < order.size(); ++j)
      for (int64_t k = 0; k < o.mm_samples; ++k) s.multimodal[ids[order[j]]].push_back(mm[j * o.mm_samples + k].features);
  }
  return s;
}

MotionSet reconstruct_motion_set(Generator& g, const MotionDataset& test, const std::string& name, int64_t layers) {
  torch::NoGradGuard ng;
  MotionSet s;
  s.name = name;
  auto& m = g.model();
  for (const auto& c : test.clips()) {
    auto x = m.normalise(test.denormalise(c.features)).unsqueeze(0).to(g.device());
    auto tokens = m.vq->encode(x).squeeze(0);
    s.motions[c.id] = g.decode(tokens, layers, c.features.size(0));
  }
  return s;
}

}  // namespace mogo
