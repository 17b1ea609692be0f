// Runs an external program on a prompt: /bin/sh -c COMMAND with `input` on stdin, its stdout
// collected, killed (with its process group) after `timeout_seconds`. Throws Error naming the
// reason: cannot start, timeout, non-zero exit, output over `max_output` bytes.
#pragma once
#include <string>

namespace mogo {

std::string run_with_input(const std::string& command, const std::string& input, double timeout_seconds,
                           size_t max_output = 64 * 1024);

}  // namespace mogo
