#include "train/distributed.hpp"

#include <cstdlib>

#ifdef MOGO_WITH_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#ifdef MOGO_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "common/error.hpp"
#include "common/log.hpp"

namespace mogo {

namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  require(*end == '\0' && n >= 0 && n < (1 << 30), std::string(name) + "='" + v + "' is not a non-negative integer");
  return static_cast<int>(n);
}

constexpr int64_t kBucketBytes = 25 << 20;  // as PyTorch's DistributedDataParallel

}  // namespace

DistributedConfig DistributedConfig::from_environment() {
  DistributedConfig c;
  c.world_size = std::max(1, env_int("WORLD_SIZE", 1));
  c.rank = env_int("RANK", 0);
  c.local_rank = env_int("LOCAL_RANK", c.rank);
  if (const char* a = std::getenv("MASTER_ADDR"); a && *a) c.master_addr = a;
  c.master_port = env_int("MASTER_PORT", c.master_port);
  c.timeout = std::chrono::seconds(env_int("MOGO_DIST_TIMEOUT", 300));
  require(c.rank < c.world_size, "RANK=" + std::to_string(c.rank) + " is not below WORLD_SIZE=" + std::to_string(c.world_size));
  require(c.master_port > 0 && c.master_port < 65536, "MASTER_PORT=" + std::to_string(c.master_port) + " is not a port");
  return c;
}

struct Distributed::Group {
  c10::intrusive_ptr<c10d::ProcessGroup> pg;
  torch::Device device = torch::kCPU;  // where the small tensors of a collective live (NCCL: the GPU)
  void wait(c10::intrusive_ptr<c10d::Work> work, std::chrono::milliseconds timeout, const char* what) {
    try {
      work->wait(timeout);
    } catch (const std::exception& e) {
      std::string m = e.what();
      throw Error(std::string("distributed training: ") + what + " failed (a rank died, hangs or cannot be reached): " +
                  m.substr(0, m.find('\n')));
    }
  }
};

Distributed::Distributed(const DistributedConfig& c) : config_(c) {
  if (!active()) return;
#ifdef MOGO_WITH_GLOO
  c10d::TCPStoreOptions so;
  so.port = static_cast<uint16_t>(c.master_port);
  so.isServer = c.rank == 0;
  so.numWorkers = c.world_size;
  so.waitWorkers = true;
  so.timeout = c.timeout;
  c10::intrusive_ptr<c10d::Store> store;
  try {
    store = c10::make_intrusive<c10d::TCPStore>(c.master_addr, so);
  } catch (const std::exception& e) {
    std::string m = e.what();
    throw Error("distributed training: rank " + std::to_string(c.rank) + " cannot meet the others at " + c.master_addr + ":" +
                std::to_string(c.master_port) + ": " + m.substr(0, m.find('\n')));
  }
  group_ = std::make_unique<Group>();
#ifdef MOGO_WITH_NCCL
  if (torch::cuda::is_available()) {
    auto opts = c10d::ProcessGroupNCCL::Options::create();
    opts->timeout = c.timeout;
    group_->pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, c.rank, c.world_size, opts);
    group_->device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(c.local_rank));
  }
#endif
  if (!group_->pg) {
    auto opts = c10d::ProcessGroupGloo::Options::create();
    opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(c.master_addr));
    opts->timeout = c.timeout;
    group_->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, c.rank, c.world_size, opts);
  }
  log_info("distributed training: rank " + std::to_string(c.rank) + " of " + std::to_string(c.world_size) + " (" +
           group_->pg->getBackendName() + ")");
#else
  throw Error("distributed training: WORLD_SIZE=" + std::to_string(c.world_size) +
              " but this mogo was built without c10d's Gloo (install libgloo-dev and rebuild)");
#endif
}

Distributed::~Distributed() = default;

Distributed::Shard Distributed::shard(int64_t n, const std::string& what) const {
  require(n % world_size() == 0, what + ": the global batch of " + std::to_string(n) + " does not split evenly over " +
                                     std::to_string(world_size()) + " processes");
  const int64_t size = n / world_size();
  return {rank() * size, size};
}

torch::Tensor Distributed::shard_of(const torch::Tensor& global, const std::string& what) const {
  if (!active()) return global;
  const auto s = shard(global.size(0), what);
  return global.narrow(0, s.begin, s.size);
}

void Distributed::all_reduce_sum(std::vector<torch::Tensor>& tensors) {
  if (!active() || tensors.empty()) return;
  for (const auto& t : tensors) bytes_reduced_ += t.numel() * static_cast<int64_t>(t.element_size());
  group_->wait(group_->pg->allreduce(tensors), config_.timeout, "all-reduce");
}

void Distributed::all_reduce_sum(std::vector<double>& values) {
  if (!active() || values.empty()) return;
  std::vector<torch::Tensor> t = {torch::tensor(values, torch::kDouble).to(group_->device)};
  all_reduce_sum(t);
  auto sums = t[0].to(torch::kCPU);
  for (size_t i = 0; i < values.size(); ++i) values[i] = sums[static_cast<int64_t>(i)].item<double>();
}

void Distributed::reduce_gradients(const std::vector<torch::Tensor>& params, Reduce how) {
  if (!active()) return;
  // Gradients in flat buckets of ~25 MB: one collective per bucket, then copied back.
  std::vector<torch::Tensor> bucket;
  int64_t bytes = 0;
  auto flush = [&] {
    if (bucket.empty()) return;
    std::vector<torch::Tensor> flat = {torch::cat(bucket)};
    all_reduce_sum(flat);
    if (how == Reduce::mean) flat[0].div_(world_size());
    int64_t at = 0;
    for (auto& g : bucket) {
      g.copy_(flat[0].narrow(0, at, g.numel()));
      at += g.numel();
    }
    bucket.clear();
    bytes = 0;
  };
  for (const auto& p : params) {
    if (!p.grad().defined()) continue;
    bucket.push_back(p.grad().view({-1}));
    bytes += p.grad().numel() * static_cast<int64_t>(p.grad().element_size());
    if (bytes >= kBucketBytes) flush();
  }
  flush();
}

torch::Tensor Distributed::all_gather(const torch::Tensor& t, bool with_grad_at_own_rows) {
  if (!active()) return t;
  auto local = t.detach().contiguous();
  std::vector<std::vector<torch::Tensor>> out(1);
  for (int r = 0; r < world_size(); ++r) out[0].push_back(torch::empty_like(local));
  std::vector<torch::Tensor> in = {local};
  group_->wait(group_->pg->allgather(out, in), config_.timeout, "all-gather");
  if (with_grad_at_own_rows) out[0][rank()] = t;
  return torch::cat(out[0], 0);
}

void Distributed::barrier() {
  if (!active()) return;
  std::vector<torch::Tensor> token = {torch::zeros({1}, group_->device)};
  all_reduce_sum(token);
}

torch::Device Distributed::device_for_rank(torch::Device d) const {
  if (!active() || !d.is_cuda() || d.has_index()) return d;
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(config_.local_rank));
}

Distributed& distributed() {
  static Distributed d(DistributedConfig::from_environment());
  return d;
}

}  // namespace mogo
