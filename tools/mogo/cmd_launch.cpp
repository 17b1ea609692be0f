// `mogo launch --nproc N -- <command>`: data-parallel training on one machine. Starts N copies of
// mogo with torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT); when
// one fails, stops the others and reports which (docs/distributed.md).
#include <arpa/inet.h>
#include <csignal>
#include <cstdio>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>

#include "commands.hpp"
#include "common/error.hpp"

namespace mogo::cli {

namespace {

// A port no one listens on now: bind to port 0 and read what the kernel chose.
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  require(fd >= 0, "launch: cannot open a socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  ::close(fd);
  require(ok, "launch: cannot find a free port (give --master-port)");
  return ntohs(a.sin_port);
}

pid_t start_rank(int rank, int nproc, int port, const std::vector<std::string>& args) {
  pid_t pid = ::fork();
  require(pid >= 0, "launch: cannot start a process");
  if (pid > 0) return pid;
  ::setenv("RANK", std::to_string(rank).c_str(), 1);
  ::setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
  ::setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
  ::setenv("MASTER_ADDR", "127.0.0.1", 1);
  ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
  std::vector<std::string> argv_s = {"/proc/self/exe"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv("/proc/self/exe", argv.data());
  std::perror("mogo launch: exec");
  ::_exit(127);
}

}  // namespace

void register_launch(CLI::App& app, GlobalOptions& g) {
  struct Opts {
    int nproc = 2, port = 0;
    std::vector<std::string> args;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("launch", "Data-parallel training on this machine: N processes of a training command (c10d, Gloo)");
  cmd->add_option("--nproc", o->nproc, "processes (ranks)")->capture_default_str()->check(CLI::Range(1, 256));
  cmd->add_option("--master-port", o->port, "rendezvous port on 127.0.0.1 (default: a free one)")->check(CLI::Range(0, 65535));
  cmd->add_option("command", o->args, "after --: the mogo command each rank runs, e.g. -- --threads 1 train-t2m data out --vq vq.pt")
      ->required();
  cmd->callback([&g, o] {
    run_command(g, [&] {
      const int port = o->port ? o->port : free_port();
      std::map<pid_t, int> ranks;
      for (int r = 0; r < o->nproc; ++r) ranks[start_rank(r, o->nproc, port, o->args)] = r;
      int failed_rank = -1, failed_status = 0;
      while (!ranks.empty()) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, 0);
        if (pid < 0) break;
        const int rank = ranks[pid];
        ranks.erase(pid);
        const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (!ok && failed_rank < 0) {
          failed_rank = rank;
          failed_status = status;
          for (auto& [other, _] : ranks) ::kill(other, SIGTERM);  // the others would wait for it until their timeout
        }
      }
      if (failed_rank >= 0)
        throw Error("launch: rank " + std::to_string(failed_rank) +
                    (WIFSIGNALED(failed_status) ? " was killed by signal " + std::to_string(WTERMSIG(failed_status))
                                                : " exited with code " + std::to_string(WEXITSTATUS(failed_status))) +
                    "; the other ranks were stopped (--resume continues from the last checkpoint)");
    });
  });
}

}  // namespace mogo::cli
