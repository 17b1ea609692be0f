#include "test_util.hpp"

#include <csignal>
#include <sys/resource.h>
#include <unistd.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace mogo::test {

FileSizeLimit::FileSizeLimit(size_t bytes) {
  rlimit r{};
  ::getrlimit(RLIMIT_FSIZE, &r);
  old_soft = r.rlim_cur;
  std::signal(SIGXFSZ, SIG_IGN);
  r.rlim_cur = bytes;
  ::setrlimit(RLIMIT_FSIZE, &r);
}

FileSizeLimit::~FileSizeLimit() {
  rlimit r{};
  ::getrlimit(RLIMIT_FSIZE, &r);
  r.rlim_cur = old_soft;
  ::setrlimit(RLIMIT_FSIZE, &r);
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

double resident_mb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

CommandResult run_cli(const std::string& args, const std::string& shell_prefix) {
  // Every CLI run has a deadline: a hang ends as exit code 124 (timeout's), not as a stalled suite.
  std::string cmd = shell_prefix + kDeadline + std::string(MOGO_CLI_PATH) + " " + args + " 2>&1";
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

void expect_one_line_error(const CommandResult& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code, 1) << r.output;
  const std::string last = r.output.substr(r.output.rfind('\n', r.output.size() - 2) + 1);
  EXPECT_EQ(last.rfind("mogo: error: ", 0), 0u) << r.output;
  EXPECT_EQ(std::count(last.begin(), last.end(), '\n'), 1) << r.output;
  EXPECT_NE(last.find(needle), std::string::npos) << "expected '" << needle << "' in: " << r.output;
}

nlohmann::json check_bvh_with_threejs(const std::string& bvh_path, std::string* output) {
  return run_web_tool("check_bvh.mjs", bvh_path, output);
}

nlohmann::json run_web_tool(const std::string& script, const std::string& file, std::string* output) {
  if (!threejs_available()) return nlohmann::json::object();
  auto lines = run_web_tool_lines(script, {file}, output);
  return lines.empty() ? nlohmann::json{{"error", "no output"}} : lines.front();
}

std::vector<nlohmann::json> run_web_tool_lines(const std::string& script, const std::vector<std::string>& files, std::string* output) {
  std::string cmd = kDeadline + "node " + source_dir() + "/web/tools/" + script;
  for (const auto& f : files) cmd += " " + f;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  std::string out;
  std::array<char, 1 << 16> buf{};
  size_t n;
  while (p && (n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = p ? pclose(p) : -1;
  if (output) *output = out;
  if (status != 0) return {{{"error", out}}};
  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  try {
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  } catch (const nlohmann::json::exception& e) {
    return {{{"error", std::string(e.what()) + ": " + out.substr(0, 400)}}};
  }
  return lines;
}

}  // namespace mogo::test
