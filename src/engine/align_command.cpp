#include "engine/align_command.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>

#include <fcntl.h>
#include <pthread.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.hpp"

extern char** environ;

namespace mogo {

namespace {

struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() {
    if (pipe2(fd, O_CLOEXEC) != 0) throw Error(std::string("--align-cmd: pipe: ") + std::strerror(errno));
  }
  ~Pipe() {
    close_end(0);
    close_end(1);
  }
  void close_end(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
};

// Starts `sh -c command` in a process group of its own, stdin/stdout on the pipes.
pid_t spawn(const std::string& command, Pipe& in, Pipe& out) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&actions, in.fd[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out.fd[1], 1);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, "/bin/sh", &actions, &attr, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw Error(std::string("--align-cmd: cannot start /bin/sh: ") + std::strerror(rc));
  return pid;
}

// write() that turns a closed reader into EPIPE instead of a SIGPIPE for the whole process.
ssize_t write_no_sigpipe(int fd, const char* data, size_t n) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  const ssize_t w = ::write(fd, data, n);
  const int err = errno;
  if (w < 0 && err == EPIPE) {
    const timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) > 0) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = err;
  return w;
}

}  // namespace

std::string run_with_input(const std::string& command, const std::string& input, double timeout_seconds,
                           size_t max_output) {
  Pipe in, out;
  const pid_t pid = spawn(command, in, out);
  in.close_end(0);
  out.close_end(1);
  fcntl(in.fd[1], F_SETFL, O_NONBLOCK);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  std::string output;
  size_t written = 0;
  std::string failure;
  // A program that never reads its stdin must not block us: write and read as the pipes allow.
  while (out.fd[0] >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      failure = "timed out after " + std::to_string(timeout_seconds).substr(0, 5) + " s";
      break;
    }
    pollfd fds[2] = {{out.fd[0], POLLIN, 0}, {in.fd[1], POLLOUT, 0}};
    const int n = in.fd[1] >= 0 ? 2 : 1;
    if (poll(fds, n, static_cast<int>(std::min<int64_t>(left.count(), 1000))) < 0 && errno != EINTR) break;
    if (n == 2 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const ssize_t w = write_no_sigpipe(in.fd[1], input.data() + written, input.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if (w < 0 && errno != EAGAIN) written = input.size();  // the program closed its stdin
      if (written == input.size()) in.close_end(1);
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[4096];
      const ssize_t r = ::read(out.fd[0], buf, sizeof buf);
      if (r > 0) output.append(buf, static_cast<size_t>(r));
      if (r == 0) out.close_end(0);
      if (output.size() > max_output) {
        failure = "answered more than " + std::to_string(max_output) + " bytes";
        break;
      }
    }
  }
  // Output closed: the program still has until the deadline to exit.
  int status = 0;
  while (failure.empty()) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) break;
    if (std::chrono::steady_clock::now() >= deadline) failure = "did not exit within " + std::to_string(timeout_seconds).substr(0, 5) + " s";
    else usleep(5000);
  }
  if (!failure.empty()) {
    ::kill(-pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (!failure.empty()) throw Error("--align-cmd " + failure);
  if (WIFSIGNALED(status)) throw Error("--align-cmd was killed by signal " + std::to_string(WTERMSIG(status)));
  if (WEXITSTATUS(status) != 0) throw Error("--align-cmd exited with status " + std::to_string(WEXITSTATUS(status)));
  return output;
}

}  // namespace mogo
