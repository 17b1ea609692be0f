// A combining lock: concurrent callers' items are processed in passes, each pass taking every item
// queued when it starts. No timer and no scheduler thread: the first caller to find no pass
// running runs one for everything queued, the others wait for their items; when the pass ends,
// one of the callers that queued meanwhile runs the next. (The continuous batching of the server's
// streams: engine/step_batcher.)
#pragma once
#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace mogo {

// Passes run, and the weight (e.g. rows) of the items they carried.
struct CombinerCounts {
  int64_t passes = 0, rows = 0, largest = 0;
};

template <class Item>
class Combiner {
 public:
  using Pass = std::function<void(const std::vector<Item*>&)>;

  // Returns once `item` has been through a pass: this caller's own, or another caller's (every
  // caller must pass the same `pass`). `pass` must not throw: it records failures in the items.
  void run(Item& item, const Pass& pass, int64_t weight = 1) {
    Entry me{&item, weight, false};
    std::unique_lock<std::mutex> lock(m_);
    queued_.push_back(&me);
    while (!me.done) {
      if (running_) {
        done_.wait(lock);  // a pass is running: this item rides in the next one, or was in it
        continue;
      }
      running_ = true;
      std::vector<Entry*> batch;
      batch.swap(queued_);
      std::vector<Item*> items;
      int64_t carried = 0;
      for (auto* e : batch) {
        items.push_back(e->item);
        carried += e->weight;
      }
      lock.unlock();
      pass(items);
      lock.lock();
      ++counts_.passes;
      counts_.rows += carried;
      counts_.largest = std::max(counts_.largest, carried);
      for (auto* e : batch) e->done = true;
      running_ = false;
      done_.notify_all();
    }
  }

  using Counts = CombinerCounts;
  Counts counts() const {
    std::lock_guard<std::mutex> lock(m_);
    return counts_;
  }

 private:
  struct Entry {
    Item* item;
    int64_t weight;
    bool done;
  };
  mutable std::mutex m_;
  std::condition_variable done_;
  std::vector<Entry*> queued_;
  bool running_ = false;
  Counts counts_;
};

}  // namespace mogo
