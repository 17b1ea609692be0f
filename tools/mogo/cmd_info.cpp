// `mogo info`: the build and runtime: version, threads, BLAS, devices.
#include <cstdio>

#include "commands.hpp"
#include "common/runtime.hpp"

namespace mogo::cli {

void register_info(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("info", "Show the runtime: threads, BLAS library, devices");
  cmd->callback([&g] {
    run_command(g, [&] {
      std::printf("mogo 0.1.0\n");
      std::printf("torch threads: %d\n", torch::get_num_threads());
      std::printf("BLAS: %s\n", blas_in_use().c_str());
      std::printf("CUDA available: %s\n", torch::cuda::is_available() ? "yes" : "no");
      std::printf("device: %s\n", pick_device(g.device).str().c_str());
    });
  });
}

}  // namespace mogo::cli
