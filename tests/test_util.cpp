#include "test_util.hpp"

#include <array>
#include <cstdio>
#include <sys/wait.h>

namespace mogo::test {

CommandResult run_cli(const std::string& args) {
  std::string cmd = std::string(MOGO_CLI_PATH) + " " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  CommandResult r{-1, ""};
  if (!pipe) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace mogo::test
