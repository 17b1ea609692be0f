#include "common/log.hpp"

#include <cstdio>
#include <mutex>

namespace mogo {

namespace {

std::mutex& log_mutex() {
  static std::mutex m;
  return m;
}

LogCallback& callback() {
  static LogCallback cb;
  return cb;
}

}  // namespace

void set_log_callback(LogCallback cb) {
  std::lock_guard<std::mutex> lock(log_mutex());
  callback() = std::move(cb);
}

void log_message(LogLevel level, const std::string& message) {
  std::lock_guard<std::mutex> lock(log_mutex());
  if (callback()) {
    callback()(level, message);
    return;
  }
  const char* prefix = level == LogLevel::Warning ? "mogo: warning: " : level == LogLevel::Error ? "mogo: error: " : "";
  std::fprintf(stderr, "%s%s\n", prefix, message.c_str());
}

}  // namespace mogo
