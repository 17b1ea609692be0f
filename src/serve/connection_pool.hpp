// The worker threads of `mogo serve`'s HTTP connections. cpp-httplib gives each connection a worker
// for as long as it lasts, reading headers included, and its own pool has a fixed size: a few
// clients that send one byte a second (slowloris) took every worker and /health stopped answering.
// This pool starts a thread whenever a connection arrives and none is idle, up to `max_threads`
// (then connections wait in line); threads that stay idle for a while end, down to `min_threads`.
#pragma once
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include <httplib.h>

namespace mogo::serve {

class ConnectionPool : public httplib::TaskQueue {
 public:
  ConnectionPool(size_t min_threads, size_t max_threads);
  ~ConnectionPool() override;
  void enqueue(std::function<void()> job) override;
  // Runs the connections already accepted to their end, then joins every thread.
  void shutdown() override;
  size_t threads() const;

 private:
  void start_thread();  // with m_ held
  void work();
  const size_t min_, max_;
  mutable std::mutex m_;
  std::condition_variable cv_, done_;
  std::deque<std::function<void()>> jobs_;
  size_t live_ = 0, idle_ = 0;
  bool stop_ = false;
};

}  // namespace mogo::serve
