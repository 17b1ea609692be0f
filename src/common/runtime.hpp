// Process-wide runtime settings: LibTorch's thread count, the compute device, verbosity.
#pragma once
#include <chrono>
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

// For programs, not the library (it changes how malloc serves the whole process): the next
// `bytes` of malloc's heap are backed by 2 MB pages where the kernel allows it (transparent huge
// pages in madvise mode), big blocks come from that heap rather than mmap, and freed memory stays
// for reuse. Loading the default model touches ~200 MB of fresh memory: at 4 KB a page that was
// ~45,000 page faults, 0.3 s of the main command on a virtual machine (docs/benchmarks.md).
// one_arena: every thread allocates from that heap (the model loader's second thread included);
// for short commands, not for a server's many threads. Does nothing where the heap cannot grow.
void prefer_large_pages(size_t bytes, bool one_arena);

void set_verbose(bool verbose);
bool verbose();

// Seconds since this process started (the kernel's start time, 10 ms resolution): called first
// thing in main(), the time spent loading shared objects and in their static set-up (LibTorch's).
double seconds_since_process_start();

// Wall time of a command's stages, for -v: mark("model") after each stage; summary() gives
// "start-up 0.61 s, model 0.28 s, ...; total 1.20 s" from the process's start.
class StageClock {
 public:
  StageClock();
  void mark(const std::string& stage);
  std::string summary() const;

 private:
  std::chrono::steady_clock::time_point last_;
  double startup_;
  std::vector<std::pair<std::string, double>> stages_;
};

}  // namespace mogo
