#include "train/run.hpp"

#include <filesystem>

#include "common/archive.hpp"
#include "common/atomic_file.hpp"
#include "common/runtime.hpp"
#include "train/distributed.hpp"
#include "train/optim.hpp"

namespace mogo {

namespace fs = std::filesystem;

TrainRun::TrainRun(const RunOptions& options, const std::string& final_name)
    : o_(options), device_(distributed().device_for_rank(pick_device(options.device))) {
  checkpoint_ = (fs::path(o_.out_dir) / "checkpoint.pt").string();
  final_path_ = (fs::path(o_.out_dir) / final_name).string();
  check_fresh_output(checkpoint_, o_.resume);
  if (fs::exists(o_.out_dir)) remove_stale_temporaries_in(o_.out_dir);
  resumed_ = o_.resume && fs::exists(checkpoint_);
}

void TrainRun::check_resume(const nlohmann::json& stored_plan, const std::string& stored_fingerprint) const {
  check_resume_plan(stored_plan, o_.request, checkpoint_);
  check_same_data(stored_fingerprint, o_.data_dir, checkpoint_);
}

void TrainRun::create_output() const { fs::create_directories(o_.out_dir); }

std::unique_ptr<torch::optim::AdamW> TrainRun::optimiser(const std::vector<torch::Tensor>& params, double lr,
                                                         const OptimiserSettings& s) const {
  auto opt = std::make_unique<torch::optim::AdamW>(params, torch::optim::AdamWOptions(lr).betas({0.9, s.beta2}).weight_decay(s.weight_decay));
  if (resumed_) load_optimizer_state(checkpoint_, *opt);
  return opt;
}

TrainLoopOptions TrainRun::loop(const std::string& name, int64_t steps, int64_t warmup_steps, double lr, const OptimiserSettings& s,
                                int64_t log_every, int64_t checkpoint_every, const std::string& items_name) const {
  auto lo = loop_options(name, o_.out_dir, {steps, warmup_steps, lr, s.lr_floor}, log_every, checkpoint_every, items_name);
  lo.stop_after = o_.stop_after;
  lo.quiet = o_.quiet;
  lo.step_delay_ms = o_.step_delay_ms;
  lo.kill_after_step = o_.kill_after_step;
  return lo;
}

}  // namespace mogo
