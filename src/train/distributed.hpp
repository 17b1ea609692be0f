// Data-parallel training over LibTorch's c10d: Gloo between CPU processes, NCCL between GPUs when
// the LibTorch build has CUDA. Ranks meet through a c10d::TCPStore and follow torchrun's
// conventions (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), so any launcher that sets
// them works: `mogo launch`, torchrun, srun. docs/distributed.md.
//
// Every rank draws the same global batch (the samplers are seeded by the step) and trains on its
// own shard; gradients are then reduced so that W processes compute what one process computes on
// the whole batch.
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace mogo {

struct DistributedConfig {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  // A collective that waits longer than this (a rank died or hangs) ends the run with an Error.
  std::chrono::milliseconds timeout{std::chrono::seconds(300)};

  // From torchrun's environment variables (and MOGO_DIST_TIMEOUT, seconds); one process when
  // WORLD_SIZE is unset. Throws Error naming a malformed variable.
  static DistributedConfig from_environment();
};

class Distributed {
 public:
  explicit Distributed(const DistributedConfig& c);
  ~Distributed();

  int rank() const { return config_.rank; }
  int world_size() const { return config_.world_size; }
  bool is_root() const { return config_.rank == 0; }
  bool active() const { return config_.world_size > 1; }

  // This rank's rows [begin, begin + size) of a global batch of n rows; n must divide evenly.
  struct Shard {
    int64_t begin, size;
  };
  Shard shard(int64_t n, const std::string& what) const;
  torch::Tensor shard_of(const torch::Tensor& global, const std::string& what) const;

  // Sums (or averages) every parameter's gradient over the ranks, in flat buckets of ~25 MB.
  enum class Reduce { sum, mean };
  void reduce_gradients(const std::vector<torch::Tensor>& params, Reduce how);
  // In-place sum over the ranks.
  void all_reduce_sum(std::vector<torch::Tensor>& tensors);
  void all_reduce_sum(std::vector<double>& values);
  // Every rank's tensor (same shape everywhere), concatenated along dim 0 in rank order. The
  // result carries no gradient; with_grad_at_own_rows puts `t` itself (with its graph) in place of
  // this rank's rows, so a loss over the global batch differentiates into the local part.
  torch::Tensor all_gather(const torch::Tensor& t, bool with_grad_at_own_rows = false);
  void barrier();

  // The device this rank trains on: a CUDA device without an index becomes cuda:LOCAL_RANK, so
  // that `mogo launch --nproc N -- ... --device cuda` puts one rank on each GPU.
  torch::Device device_for_rank(torch::Device d) const;

  // Bytes all-reduced so far (gradients and statistics): the cost per step in docs/distributed.md.
  int64_t bytes_reduced() const { return bytes_reduced_; }

 private:
  struct Group;
  DistributedConfig config_;
  std::unique_ptr<Group> group_;
  int64_t bytes_reduced_ = 0;
};

// The process's one communicator, made from the environment on first use.
Distributed& distributed();

}  // namespace mogo
