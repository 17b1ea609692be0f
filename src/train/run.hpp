// The set-up every trainer shares (train-vq, train-t2m, train-eval): the output folder's
// checkpoint and final file, the fresh-run and resume checks (plan, data), the device, the AdamW
// optimiser with its state, and the training loop's options. Each trainer keeps only its model,
// data and loss.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "train/plan.hpp"
#include "train/train_loop.hpp"

namespace mogo {

// What every trainer's command line gives besides its plan.
struct RunOptions {
  std::string data_dir;
  std::string out_dir;          // checkpoint.pt, the final model file, train_log.csv
  PlanRequest request;          // the plan keys given explicitly ("preset" included): --resume checks them
  bool resume = false;
  std::string device = "auto";
  int64_t stop_after = 0;       // > 0: stop (after checkpointing) once this step is reached
  bool quiet = false;
  int64_t step_delay_ms = 0;    // testing: sleep after each step (to interrupt a run mid-way)
  int64_t kill_after_step = 0;  // testing: SIGKILL itself after this step (TrainLoopOptions)
};

// The optimiser's settings, kept in each trainer's plan (so that a resumed run uses the same):
// AdamW's second-moment decay and weight decay, and the floor of the cosine learning-rate decay as
// a fraction of the peak.
struct OptimiserSettings {
  double beta2 = 0.99;
  double weight_decay = 0.0;
  double lr_floor = 0.1;
};

class TrainRun {
 public:
  // Picks the device (this rank's), checks that a fresh run overwrites no checkpoint and removes
  // temporaries a killed run left. final_name: the finished model's file in out_dir.
  TrainRun(const RunOptions& options, const std::string& final_name);

  bool resumed() const { return resumed_; }
  torch::Device device() const { return device_; }
  const std::string& checkpoint() const { return checkpoint_; }
  const std::string& final_path() const { return final_path_; }

  // A resumed run: the checkpoint's stored plan must agree with what the command line asked for,
  // and its data fingerprint with the dataset's (Errors naming the differences).
  void check_resume(const nlohmann::json& stored_plan, const std::string& stored_fingerprint) const;
  // Creates the output folder (once the inputs have been read).
  void create_output() const;
  // AdamW over `params` (beta1 0.9), its state read from the checkpoint when resumed.
  std::unique_ptr<torch::optim::AdamW> optimiser(const std::vector<torch::Tensor>& params, double lr,
                                                 const OptimiserSettings& s) const;
  // The loop's options: warm-up then cosine decay to s.lr_floor x lr, the log in out_dir, and the
  // run's stop/quiet/testing options.
  TrainLoopOptions loop(const std::string& name, int64_t steps, int64_t warmup_steps, double lr, const OptimiserSettings& s,
                        int64_t log_every, int64_t checkpoint_every, const std::string& items_name) const;

 private:
  RunOptions o_;
  torch::Device device_;
  std::string checkpoint_, final_path_;
  bool resumed_ = false;
};

}  // namespace mogo
