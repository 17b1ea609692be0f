// Process-wide runtime settings: LibTorch's thread count, the compute device, verbosity.
#pragma once
#include <string>
#include <vector>

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

// Where mogo's installed files are found: the directory of the binary holding this code (the
// mogo program, or libmogo.so), then `relative` paths tried from it in order. Returns the first
// that exists, or "" when none does (running from the build tree).
std::string installed_file(const std::vector<std::string>& relative);

void set_verbose(bool verbose);
bool verbose();

}  // namespace mogo
