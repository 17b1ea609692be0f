#include "eval/foot_report.hpp"

#include <cstdio>

#include "animation/foot_lock.hpp"
#include "motion/features.hpp"

namespace mogo {

FootRow foot_row(const std::string& name, const std::vector<torch::Tensor>& raw, const Skeleton& skel, bool lock) {
  FootRow r;
  r.name = name;
  r.has_locked = lock;
  const auto c = skel.layout().foot_contacts();
  int64_t on = 0, all = 0;
  for (const auto& f : raw) {
    auto features = f.to(torch::kCPU, torch::kFloat);
    auto joints = recover_from_ric(features, skel.num_joints());
    auto labels = features.narrow(1, c.begin, c.size);
    r.as_made += foot_metrics(joints, labels, skel);
    if (lock) r.locked += foot_metrics(lock_feet(joints, features, skel), labels, skel);
    on += (labels > 0.5).sum().item<int64_t>();
    all += labels.numel();
  }
  r.contact_share = all ? static_cast<double>(on) / static_cast<double>(all) : 0.0;
  return r;
}

namespace {
std::string line(const std::string& name, const FootMetrics& m, double contact_share) {
  char buf[300];
  std::snprintf(buf, sizeof buf, "%-44s %7.1f%% %9.3f %9.1f %8.1f%% %9.1f %8.1f%% %8.1f%%\n", name.c_str(), 100 * m.skating_ratio(),
                m.sliding_speed(), 1000 * m.penetration_depth(), 100 * m.penetration_ratio(), 1000 * m.floating_height(),
                100 * m.floating_ratio(), 100 * contact_share);
  return buf;
}

}  // namespace

FootRow real_foot_row(const MotionDataset& test, const Skeleton& skel) {
  std::vector<torch::Tensor> raw;
  for (const auto& c : test.clips()) raw.push_back(test.denormalise(c.features));
  return foot_row("Real motion", raw, skel, false);
}

FootRow generated_foot_row(const MotionSet& set, const Skeleton& skel) {
  std::vector<torch::Tensor> raw;
  for (const auto& [id, f] : set.motions) raw.push_back(f);
  return foot_row(set.name, raw, skel, true);
}

std::string foot_table(const std::vector<FootRow>& rows) {
  std::string out =
      "feet (contact frames: skating = faster than 0.1 m/s; floating = lowest foot joint over 5 cm while a contact is on)\n"
      "                                             skating  slide m/s  below mm  >1cm under  height mm  floating  contacts\n";
  for (const auto& r : rows) {
    out += line(r.name, r.as_made, r.contact_share);
    if (r.has_locked) out += line(r.name + ", foot locking", r.locked, r.contact_share);
  }
  return out;
}

nlohmann::json foot_json(const std::vector<FootRow>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : rows) {
    nlohmann::json j = {{"name", r.name}, {"as_made", foot_metrics_json(r.as_made)}, {"contact_share", r.contact_share}};
    if (r.has_locked) j["foot_locking"] = foot_metrics_json(r.locked);
    out.push_back(j);
  }
  return out;
}

}  // namespace mogo
