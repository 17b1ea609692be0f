#include <cstdio>
#include <cstdlib>

#include "commands.hpp"
#include "common/error.hpp"
#include "common/runtime.hpp"

namespace mogo::cli {

void run_command(const GlobalOptions& g, const std::function<void()>& body) {
  try {
    mogo::set_verbose(g.verbose);
    int n = mogo::configure_threads(g.threads);
    if (g.verbose) {
      std::fprintf(stderr, "mogo: %d threads, BLAS: %s\n", n, mogo::blas_in_use().c_str());
    }
    body();
  } catch (const mogo::Error& e) {
    std::fprintf(stderr, "mogo: error: %s\n", e.what());
    std::exit(1);
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "mogo: error (torch): %s\n", e.what_without_backtrace());
    std::exit(1);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mogo: error: %s\n", e.what());
    std::exit(1);
  }
}

}  // namespace mogo::cli
