// mogo: text to 3D human motion. One program, one subcommand per job.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "common/error.hpp"
#include "common/runtime.hpp"

int main(int argc, char** argv) {
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
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}
