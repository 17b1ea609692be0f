#include <cstdio>
#include <cstdlib>

#include "commands.hpp"
#include "common/error.hpp"
#include "common/runtime.hpp"

namespace mogo::cli {

namespace {

// Whether a message starts by naming a file ("dir/x.bvh: ..."), as mogo's own errors do.
bool names_a_file(const std::string& message) {
  const auto colon = message.find(": ");
  if (colon == std::string::npos) return false;
  const std::string head = message.substr(0, colon);
  return head.find(' ') == std::string::npos && head.find_first_of("/.") != std::string::npos;
}

// The README's error contract: one line on stderr, naming the file concerned.
[[noreturn]] void fail(std::string message, const std::string& subject) {
  for (auto& c : message)
    if (c == '\n' || c == '\r') c = ' ';
  if (!subject.empty() && !names_a_file(message) && message.find(subject) == std::string::npos) message = subject + ": " + message;
  std::fprintf(stderr, "mogo: error: %s\n", message.c_str());
  std::exit(1);
}

}  // namespace

void exit_done() {
  std::fflush(nullptr);
  std::_Exit(0);
}

StageClock& command_clock() {
  static StageClock clock;  // made on first use: at the start of run_command
  return clock;
}

void run_command(const GlobalOptions& g, const std::function<void()>& body, const std::string& subject) {
  try {
    command_clock();
    mogo::set_verbose(g.verbose);
    int n = mogo::configure_threads(g.threads);
    command_clock().mark("threads");
    if (g.verbose) {
      std::fprintf(stderr, "mogo: %d thread%s, BLAS: %s\n", n, n == 1 ? "" : "s", mogo::blas_in_use().c_str());
    }
    body();
  } catch (const mogo::Error& e) {
    fail(e.what(), subject);
  } catch (const c10::Error& e) {
    // LibTorch's message without its C++ backtrace, first line only.
    std::string m = e.what_without_backtrace();
    fail(m.substr(0, m.find('\n')), subject);
  } catch (const std::exception& e) {
    fail(e.what(), subject);
  }
}

std::string parse_error_line(const CLI::App& app, int argc, char** argv, const CLI::ParseError& e) {
  // The first word that is not a global option (or its value) names the command.
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--threads" || a == "--device") {
      ++i;
      continue;
    }
    if (a.empty() || a[0] == '-') continue;
    std::string known;
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->check_name(a)) return e.what();
      known += (known.empty() ? "" : ", ") + sub->get_name();
    }
    return "unknown command '" + a + "' (commands: " + known + ")";
  }
  return e.what();
}

}  // namespace mogo::cli
