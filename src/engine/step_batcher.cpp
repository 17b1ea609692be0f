#include "engine/step_batcher.hpp"

#include <map>

namespace mogo {

std::vector<torch::Tensor> StepBatcher::run(const HCTInference& inference, const std::vector<HCTInference::Row>& rows) {
  Step me{&inference, &rows, {}, nullptr};
  steps_.run(me, run_steps, static_cast<int64_t>(rows.size()));
  if (me.error) std::rethrow_exception(me.error);
  return std::move(me.logits);
}

void StepBatcher::decode(const DecoderInference& decoder, std::vector<DecoderInference::Job*>& jobs) {
  Decode me{&decoder, &jobs, nullptr};
  decodes_.run(me, run_decodes, static_cast<int64_t>(jobs.size()));
  if (me.error) std::rethrow_exception(me.error);
}

// One forward per model over the rows of all its requests; each request gets its rows' logits back.
void StepBatcher::run_steps(const std::vector<Step*>& batch) {
  std::map<const HCTInference*, std::vector<Step*>> by_model;
  for (auto* r : batch) by_model[r->inference].push_back(r);
  for (auto& [inference, requests] : by_model) {
    std::vector<HCTInference::Row> rows;
    for (auto* r : requests) rows.insert(rows.end(), r->rows->begin(), r->rows->end());
    try {
      auto logits = inference->forward(rows);
      int64_t first = 0;
      for (auto* r : requests) {
        const auto n = static_cast<int64_t>(r->rows->size());
        for (const auto& l : logits) r->logits.push_back(l.narrow(0, first, n));
        first += n;
      }
    } catch (...) {
      for (auto* r : requests) r->error = std::current_exception();
    }
  }
}

// One push per decoder over the jobs of all its requests.
void StepBatcher::run_decodes(const std::vector<Decode*>& batch) {
  std::map<const DecoderInference*, std::vector<Decode*>> by_decoder;
  for (auto* r : batch) by_decoder[r->decoder].push_back(r);
  for (auto& [decoder, requests] : by_decoder) {
    std::vector<DecoderInference::Job*> jobs;
    for (auto* r : requests) jobs.insert(jobs.end(), r->jobs->begin(), r->jobs->end());
    try {
      decoder->push(jobs);
    } catch (...) {
      for (auto* r : requests) r->error = std::current_exception();
    }
  }
}

}  // namespace mogo
