// Waiting in tests: every wait has a deadline, and the caller says what it waited for.
//   ASSERT_TRUE(test::wait_until([&] { return seen >= 10; }, 60)) << "10 frames within 60 s";
// Polls the condition every few milliseconds (a condition the test cannot be told about, such as
// another process's file); never sleeps a fixed time in place of waiting for an event.
#pragma once
#include <chrono>
#include <thread>

namespace mogo::test {

template <class Condition>
bool wait_until(Condition done, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace mogo::test
