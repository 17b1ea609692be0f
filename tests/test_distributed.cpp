// Data-parallel training over c10d (loopback, processes of 1 thread): 2 processes compute what 1
// process computes on the same global batch, for each trainer; a rank that dies or hangs ends the
// others with an error; a 2-process checkpoint resumes on 1 process.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <csignal>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "eval/evaluator.hpp"
#include "model/model_file.hpp"
#include "real_data.hpp"
#include "test_util.hpp"
#include "train/distributed.hpp"
#include "vq/checkpoint.hpp"
#include "wait.hpp"

namespace mogo {
namespace {

double max_param_diff(torch::nn::Module& a, torch::nn::Module& b) {
  auto pb = b.named_parameters();
  double worst = 0;
  for (const auto& p : a.named_parameters()) worst = std::max(worst, test::max_abs_diff(p.value(), pb[p.key()]));
  auto bb = b.named_buffers();
  for (const auto& p : a.named_buffers()) worst = std::max(worst, test::max_abs_diff(p.value(), bb[p.key()]));
  return worst;
}

// Runs `args` on one process and through `mogo launch --nproc 2`; returns the two output folders.
std::pair<std::string, std::string> one_and_two(const test::TempDir& d, const std::string& command, const std::string& args) {
  const std::string one = d / "one", two = d / "two";
  auto r1 = test::run_cli("--threads 1 " + command + " " + test::real_prepared_dir() + " " + one + " " + args);
  EXPECT_EQ(r1.exit_code, 0) << r1.output;
  auto r2 = test::run_cli("launch --nproc 2 -- --threads 1 " + command + " " + test::real_prepared_dir() + " " + two + " " + args);
  EXPECT_EQ(r2.exit_code, 0) << r2.output;
  EXPECT_NE(r2.output.find("rank 1 of 2 (gloo)"), std::string::npos) << r2.output;
  return {one, two};
}

// The loss column of a train_log.csv, per logged step.
std::vector<double> logged_losses(const std::string& csv) {
  std::vector<double> v;
  std::istringstream in(read_file(csv));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) v.push_back(std::stod(line.substr(line.find(',', line.find(',') + 1) + 1)));
  return v;
}

TEST(Distributed, TwoProcessesTrainTheVqLikeOne) {
  // One step: weights, EMA codebooks and their statistics agree to float precision.
  test::TempDir d;
  auto [one, two] = one_and_two(d, "train-vq", "--preset micro --steps 1 -q");
  auto a = load_vq_checkpoint(one + "/model.pt"), b = load_vq_checkpoint(two + "/model.pt");
  EXPECT_LT(max_param_diff(*a.model, *b.model), 1e-5);
  // Longer runs stay together: a code assignment at a near-tie can go either way under float
  // rounding (a batch of 4 convolves in another order than a batch of 8) and re-seed a code, as
  // in any data-parallel VQ training, so the losses are compared, not the codebooks.
  test::TempDir e;
  auto [one6, two6] = one_and_two(e, "train-vq", "--preset micro --steps 6 --log-every 1 -q");
  auto la = logged_losses(one6 + "/train_log.csv"), lb = logged_losses(two6 + "/train_log.csv");
  ASSERT_EQ(la.size(), 6u);
  ASSERT_EQ(lb.size(), 6u);
  for (size_t i = 0; i < la.size(); ++i) EXPECT_NEAR(la[i], lb[i], 0.01 * la[i]) << "step " << i + 1;
}

TEST(Distributed, TwoProcessesTrainTheTransformerLikeOne) {
  test::TempDir d;
  const std::string vq = d / "vq";
  ASSERT_EQ(test::run_cli("--threads 1 train-vq " + test::real_prepared_dir() + " " + vq + " --preset micro --steps 4 -q").exit_code, 0);
  auto [one, two] = one_and_two(d, "train-t2m", "--vq " + vq + "/model.pt --preset micro --steps 6 --batch 4 -q");
  auto a = load_t2m_model(one + "/model.pt"), b = load_t2m_model(two + "/model.pt");
  EXPECT_LT(max_param_diff(*a.transformer, *b.transformer), 1e-4);
  // The logs show the whole batch's loss on both.
  EXPECT_EQ(read_file(one + "/val_log.csv"), read_file(two + "/val_log.csv"));
}

TEST(Distributed, TwoProcessesTrainTheEvaluatorOnTheGlobalBatch) {
  test::TempDir d;
  auto [one, two] = one_and_two(d, "train-eval", "--steps 6 --batch 4 --dim 32 --vocab 64 --dropout 0 -q");
  auto a = load_evaluator(one + "/evaluator.pt"), b = load_evaluator(two + "/evaluator.pt");
  EXPECT_LT(max_param_diff(*a.model, *b.model), 1e-4);
}

TEST(Distributed, ATwoProcessCheckpointResumesOnOneProcess) {
  test::TempDir d;
  const std::string data = test::real_prepared_dir(), vq = d / "vq";
  ASSERT_EQ(test::run_cli("--threads 1 train-vq " + data + " " + vq + " --preset micro --steps 4 -q").exit_code, 0);
  const std::string args = " --vq " + vq + "/model.pt --preset micro --steps 6 --batch 4 --checkpoint-every 2 -q";
  ASSERT_EQ(test::run_cli("--threads 1 train-t2m " + data + " " + (d / "whole") + args).exit_code, 0);
  auto r = test::run_cli("launch --nproc 2 -- --threads 1 train-t2m " + data + " " + (d / "split") + args + " --stop-after 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run_cli("--threads 1 train-t2m " + data + " " + (d / "split") + " --vq " + vq + "/model.pt --resume -q");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto a = load_t2m_model(d / "whole/model.pt"), b = load_t2m_model(d / "split/model.pt");
  EXPECT_EQ(b.step, 6);
  EXPECT_LT(max_param_diff(*a.transformer, *b.transformer), 1e-4);
}

size_t lines_in(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

// A TCP port the OS says is free now (bound to port 0, then let go), for a rendezvous.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t n = sizeof a;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n) == 0;
  ::close(fd);
  return ok ? ntohs(a.sin_port) : 0;
}

// Rank 0 and rank 1 of a slow run, started by hand as a cluster launcher would.
struct TwoRanks {
  pid_t pid[2];
  std::string log[2];
  TwoRanks(const test::TempDir& d, int timeout_s) {
    const int port = free_port();
    for (int r = 0; r < 2; ++r) {
      log[r] = d / ("rank" + std::to_string(r) + ".log");
      pid[r] = ::fork();
      if (pid[r] == 0) {
        ::setenv("RANK", std::to_string(r).c_str(), 1);
        ::setenv("WORLD_SIZE", "2", 1);
        ::setenv("MASTER_ADDR", "127.0.0.1", 1);
        ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
        ::setenv("MOGO_DIST_TIMEOUT", std::to_string(timeout_s).c_str(), 1);
        std::string cmd = "exec " + std::string(MOGO_CLI_PATH) + " --threads 1 train-vq " + test::real_prepared_dir() + " " + (d / "out") +
                          " --preset micro --steps 1000 -q --step-delay-ms 100 > " + log[r] + " 2>&1";
        ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
      }
    }
    // Both ranks are training once rank 0 logged a step (each step all-reduces with rank 1).
    const auto train_log = d / "out/train_log.csv";
    training = test::wait_until([&] { return std::filesystem::exists(train_log) && lines_in(read_file(train_log)) >= 2; },
                                300);
  }
  bool training = false;
  // Exit code of rank r, or -1 if it did not end within `seconds`.
  int wait_exit(int r, int seconds) {
    for (int i = 0; i < seconds * 10; ++i) {
      int status = 0;
      if (::waitpid(pid[r], &status, WNOHANG) == pid[r]) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return -1;
  }
  ~TwoRanks() {
    for (pid_t p : pid) {
      ::kill(p, SIGKILL);
      ::waitpid(p, nullptr, 0);
    }
  }
};

TEST(Distributed, ARankThatDiesEndsTheOtherWithAnError) {
  test::TempDir d;
  TwoRanks ranks(d, 60);
  ASSERT_TRUE(ranks.training) << "the two ranks did not start training within 300 s";
  ::kill(ranks.pid[1], SIGKILL);
  EXPECT_EQ(ranks.wait_exit(0, 30), 1);
  const std::string out = read_file(ranks.log[0]);
  EXPECT_NE(out.find("failed (a rank died, hangs or cannot be reached): "), std::string::npos) << out;
}

TEST(Distributed, ARankThatHangsEndsTheOtherAfterTheTimeout) {
  test::TempDir d;
  TwoRanks ranks(d, 4);
  ASSERT_TRUE(ranks.training) << "the two ranks did not start training within 300 s";
  ::kill(ranks.pid[1], SIGSTOP);
  EXPECT_EQ(ranks.wait_exit(0, 30), 1);
  const std::string out = read_file(ranks.log[0]);
  EXPECT_NE(out.find("mogo: error: distributed training:"), std::string::npos) << out;
}

TEST(Distributed, LaunchStopsTheOthersWhenOneRankFails) {
  test::TempDir d;
  // Rank 1's data folder does not exist; rank 0 would wait for it at the rendezvous forever.
  auto r = test::run_cli("launch --nproc 2 -- --threads 1 train-vq " + (d / "missing") + " " + (d / "out") + " --preset micro -q");
  test::expect_one_line_error(r, "launch: rank ");
}

TEST(Distributed, ConfigurationFromTheEnvironment) {
  ::setenv("WORLD_SIZE", "4", 1);
  ::setenv("RANK", "3", 1);
  ::setenv("MASTER_PORT", "1234", 1);
  auto c = DistributedConfig::from_environment();
  EXPECT_EQ(c.world_size, 4);
  EXPECT_EQ(c.rank, 3);
  EXPECT_EQ(c.local_rank, 3);
  EXPECT_EQ(c.master_port, 1234);
  ::setenv("RANK", "4", 1);
  EXPECT_THROW(DistributedConfig::from_environment(), Error);
  ::setenv("RANK", "x", 1);
  EXPECT_THROW(DistributedConfig::from_environment(), Error);
  for (const char* v : {"WORLD_SIZE", "RANK", "MASTER_PORT"}) ::unsetenv(v);
  EXPECT_EQ(DistributedConfig::from_environment().world_size, 1);
  // One process: shards are the whole batch, collectives do nothing.
  Distributed one(DistributedConfig{});
  EXPECT_EQ(one.shard(7, "b").size, 7);
  auto t = torch::ones({3});
  EXPECT_TRUE(torch::equal(one.all_gather(t), t));
}

}  // namespace
}  // namespace mogo
