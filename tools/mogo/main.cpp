// mogo: text to 3D human motion. One program, one subcommand per job.
#include <cstdio>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "common/error.hpp"
#include "common/runtime.hpp"

namespace {

// `mogo serve` runs many threads for as long as it is up: they keep malloc's arenas.
bool serving(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "serve") return true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  // Loading a model is mostly page faults on fresh memory; 2 MB pages make them 512x fewer.
  mogo::prefer_large_pages(size_t(512) << 20, !serving(argc, argv));
  CLI::App app{"mogo: text to 3D human motion (Mogo, RQ hierarchical causal transformer)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "mogo 0.1.0");
  mogo::cli::GlobalOptions global;
  app.add_option("--threads", global.threads, "LibTorch threads (default: all cores)");
  app.add_flag("-v,--verbose", global.verbose, "Print details (BLAS in use, timings)");
  app.add_option("--device", global.device, "Compute device: auto, cpu, cuda, cuda:N")->capture_default_str();

  mogo::cli::register_all(app, global);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // The README's contract: one line, exit code 1 (CLI11 would print two lines and exit 104-114).
    std::fprintf(stderr, "mogo: error: %s (see mogo --help)\n", mogo::cli::parse_error_line(app, argc, argv, e).c_str());
    return 1;
  }
  return 0;
}
