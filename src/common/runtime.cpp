#include "common/runtime.hpp"

#include <dlfcn.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>
#include <vector>

#include "common/error.hpp"

namespace mogo {

namespace {
bool g_verbose = false;
}

int configure_threads(int n) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  require(n >= 0, "--threads must be >= 0 (0: all cores), got " + std::to_string(n));
  // More threads than cores only makes LibTorch's and OpenBLAS's pools fight (a 1-s job took minutes).
  require(n <= cores, "--threads " + std::to_string(n) + " is more than this machine's " + std::to_string(cores) +
                          " cores; use 1.." + std::to_string(cores) + " (0: all)");
  if (n == 0) n = cores;
  torch::set_num_threads(n);
  // OpenBLAS keeps a thread pool of its own (all cores by default) whose idle threads spin in
  // sched_yield: two such processes on a 2-core machine thrash. Give it the same count.
  using SetThreads = void (*)(int);
  if (auto* f = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) f(n);
  return n;
}

std::string installed_file(const std::vector<std::string>& relative) {
  Dl_info info{};
  if (!dladdr(reinterpret_cast<void*>(&installed_file), &info) || !info.dli_fname) return "";
  std::error_code ec;
  const auto dir = std::filesystem::canonical(info.dli_fname, ec).parent_path();
  if (ec) return "";
  for (const auto& r : relative)
    if (std::filesystem::exists(dir / r, ec)) return (dir / r).lexically_normal().string();
  return "";
}

std::string blas_in_use() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  std::string found;
  while (std::getline(maps, line)) {
    if (line.find("openblas") != std::string::npos) {
      std::string kind = line.find("pthread") != std::string::npos ? "pthread"
                         : line.find("openmp") != std::string::npos ? "openmp" : "serial";
      return "OpenBLAS (" + kind + ") " + line.substr(line.find('/'));
    }
    if (line.find("libmkl") != std::string::npos) return "MKL " + line.substr(line.find('/'));
    if (found.empty() && line.find("libblas.so") != std::string::npos)
      found = "reference BLAS (slow: install libopenblas0-pthread) " + line.substr(line.find('/'));
  }
  return found.empty() ? "unknown (no BLAS library mapped)" : found;
}

torch::Device pick_device(const std::string& name) {
  if (name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  if (name == "cpu") return torch::Device(torch::kCPU);
  if (name.rfind("cuda", 0) == 0) {
    require(torch::cuda::is_available(), "device '" + name + "' requested but CUDA is not available in this build/machine");
    return torch::Device(name);
  }
  throw Error("unknown device '" + name + "' (expected auto, cpu, cuda or cuda:N)");
}

void prefer_large_pages(size_t bytes, bool one_arena) {
  constexpr size_t kHugePage = size_t(2) << 20, kBlock = size_t(1) << 20;
  if (one_arena) mallopt(M_ARENA_MAX, 1);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest; also stops the threshold from moving
  mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
  // Grow the heap by `bytes` at once (the first block that does not fit in its free top makes
  // malloc extend it by the block plus the top pad), then ask for large pages on the new part.
  mallopt(M_TOP_PAD, static_cast<int>(std::min<size_t>(bytes, std::numeric_limits<int>::max())));
  const auto before = reinterpret_cast<uintptr_t>(sbrk(0));
  std::vector<void*> blocks;
  while (reinterpret_cast<uintptr_t>(sbrk(0)) == before && blocks.size() < bytes / kBlock + 1) blocks.push_back(std::malloc(kBlock));
  const auto after = reinterpret_cast<uintptr_t>(sbrk(0));
  // From the lowest block on: the heap's free top before the growth is served first.
  uintptr_t first = after;
  for (void* b : blocks) {
    if (b) first = std::min(first, reinterpret_cast<uintptr_t>(b));
    std::free(b);
  }
  mallopt(M_TOP_PAD, 128 << 10);  // glibc's default again for later growth
  const uintptr_t lo = (first + kHugePage - 1) & ~(kHugePage - 1), hi = after & ~(kHugePage - 1);
  if (after > before && hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
}

void set_verbose(bool v) { g_verbose = v; }
bool verbose() { return g_verbose; }

double seconds_since_process_start() {
  // /proc/self/stat field 22: start time in clock ticks since boot; /proc/uptime: seconds since boot.
  std::ifstream stat("/proc/self/stat"), uptime("/proc/uptime");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string f;
  for (int i = 3; i <= 22 && fields >> f; ++i) {}
  double up = 0;
  uptime >> up;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return ticks > 0 && !f.empty() ? std::max(0.0, up - std::stod(f) / ticks) : 0.0;
}

StageClock::StageClock() : last_(std::chrono::steady_clock::now()), startup_(seconds_since_process_start()) {}

void StageClock::mark(const std::string& stage) {
  const auto now = std::chrono::steady_clock::now();
  stages_.emplace_back(stage, std::chrono::duration<double>(now - last_).count());
  last_ = now;
}

std::string StageClock::summary() const {
  char buf[64];
  std::snprintf(buf, sizeof buf, "start-up %.2f s", startup_);
  std::string s = buf;
  double total = startup_;
  for (const auto& [name, seconds] : stages_) {
    std::snprintf(buf, sizeof buf, ", %s %.2f s", name.c_str(), seconds);
    s += buf;
    total += seconds;
  }
  std::snprintf(buf, sizeof buf, "; total %.2f s", total);
  return s + buf;
}

}  // namespace mogo
