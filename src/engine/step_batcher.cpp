#include "engine/step_batcher.hpp"

#include <map>

namespace mogo {

std::vector<torch::Tensor> StepBatcher::run(const HCTInference& inference, const std::vector<HCTInference::Row>& rows) {
  Request me{&inference, &rows, {}, nullptr, false};
  std::unique_lock<std::mutex> lock(m_);
  queued_.push_back(&me);
  while (!me.done) {
    if (running_) {
      done_.wait(lock);  // a pass is running: this request rides in the next one, or was in it
      continue;
    }
    running_ = true;
    std::vector<Request*> batch;
    batch.swap(queued_);
    int64_t carried = 0;
    for (auto* r : batch) carried += static_cast<int64_t>(r->rows->size());
    lock.unlock();
    execute(batch);
    lock.lock();
    ++counts_.passes;
    counts_.rows += carried;
    counts_.largest = std::max(counts_.largest, carried);
    for (auto* r : batch) r->done = true;
    running_ = false;
    done_.notify_all();
  }
  if (me.error) std::rethrow_exception(me.error);
  return std::move(me.logits);
}

// One forward per model over the rows of all its requests; each request gets its rows' logits back.
void StepBatcher::execute(const std::vector<Request*>& batch) {
  std::map<const HCTInference*, std::vector<Request*>> by_model;
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

StepBatcher::Counts StepBatcher::counts() const {
  std::lock_guard<std::mutex> lock(m_);
  return counts_;
}

}  // namespace mogo
