// Process-wide runtime settings: LibTorch's thread count, the compute device, verbosity.
#pragma once
#include <string>

#include <torch/torch.h>

namespace mogo {

// Sets LibTorch's intra-op thread count: n > 0 as given, n <= 0 means all cores.
// LibTorch from Debian defaults to 1 thread, so every program calls this once at start.
int configure_threads(int n);

// The BLAS library loaded into this process (e.g. "OpenBLAS (pthread)"), read from the mapped
// shared objects: LibTorch silently falls back to reference BLAS when OpenBLAS is missing.
std::string blas_in_use();

// "auto" -> CUDA when available else CPU; "cpu"; "cuda" / "cuda:N" (error if unavailable).
torch::Device pick_device(const std::string& name);

void set_verbose(bool verbose);
bool verbose();

}  // namespace mogo
