// The library's one output channel for messages: a callback (default: a line on stderr) that a
// server, game or test can redirect. Nothing in src/ writes to stderr directly.
#pragma once
#include <functional>
#include <string>

namespace mogo {

enum class LogLevel { Info, Warning, Error };

using LogCallback = std::function<void(LogLevel, const std::string& message)>;

// Replaces the callback for the whole process; an empty callback restores the default.
void set_log_callback(LogCallback cb);

void log_message(LogLevel level, const std::string& message);
inline void log_info(const std::string& m) { log_message(LogLevel::Info, m); }
inline void log_warning(const std::string& m) { log_message(LogLevel::Warning, m); }

}  // namespace mogo
