#include "serve/connection_pool.hpp"

#include <chrono>
#include <system_error>

namespace mogo::serve {

namespace {
constexpr auto kIdleExit = std::chrono::seconds(30);  // an extra thread idle this long ends
}

ConnectionPool::ConnectionPool(size_t min_threads, size_t max_threads) : min_(min_threads), max_(std::max(min_threads, max_threads)) {
  std::lock_guard<std::mutex> lock(m_);
  for (size_t i = 0; i < min_; ++i) start_thread();
}

ConnectionPool::~ConnectionPool() { shutdown(); }

void ConnectionPool::enqueue(std::function<void()> job) {
  std::lock_guard<std::mutex> lock(m_);
  jobs_.push_back(std::move(job));
  // A connection that finds no idle worker gets a new one: a slow client never delays the next.
  if (idle_ < jobs_.size() && live_ < max_) start_thread();
  cv_.notify_one();
}

// Threads are detached: one that ends lets go of its stack at once (an unjoined one would keep it
// for the life of the server). shutdown() waits for the count of live threads to reach zero.
void ConnectionPool::start_thread() {
  try {
    std::thread([this] { work(); }).detach();
    ++live_;
  } catch (const std::system_error&) {
    // Out of threads (ulimit): the connection waits for a running one instead.
  }
}

void ConnectionPool::work() {
  std::unique_lock<std::mutex> lock(m_);
  for (;;) {
    ++idle_;
    const bool woke = cv_.wait_for(lock, kIdleExit, [this] { return stop_ || !jobs_.empty(); });
    --idle_;
    if (jobs_.empty()) {
      if (stop_ || (!woke && live_ > min_)) break;
      continue;
    }
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
  --live_;
  // Notifies once this thread is past everything that touches the pool: shutdown() may then return
  // and the pool be destroyed.
  std::notify_all_at_thread_exit(done_, std::move(lock));
}

void ConnectionPool::shutdown() {
  std::unique_lock<std::mutex> lock(m_);
  stop_ = true;
  cv_.notify_all();
  done_.wait(lock, [this] { return live_ == 0; });
}

size_t ConnectionPool::threads() const {
  std::lock_guard<std::mutex> lock(m_);
  return live_;
}

}  // namespace mogo::serve
