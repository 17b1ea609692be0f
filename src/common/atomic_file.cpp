#include "common/atomic_file.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.hpp"

namespace mogo {

namespace fs = std::filesystem;

namespace {

// "<target>.mogo-tmp.<pid>": the marker says mogo made it, the prefix which file it was for, the
// pid whether its writer may still be running. Nothing else is ever removed as a leftover.
constexpr const char* kTempMarker = ".mogo-tmp.";
constexpr const char* kOldMarker = ".mogo-old.";

std::string own_name(const fs::path& target, const char* marker) { return target.string() + marker + std::to_string(::getpid()); }

// The pid at the end of `name` when it is `<base><marker><digits>`, else -1.
long pid_suffix(const std::string& name, const std::string& base, const char* marker) {
  const std::string prefix = base + marker;
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return -1;
  const std::string digits = name.substr(prefix.size());
  if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::strtol(digits.c_str(), nullptr, 10);
}

// kill(pid, 0) fails with ESRCH once no process has that id: nobody is writing the file.
bool process_gone(long pid) { return pid != ::getpid() && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; }

// The file a path finally names, following symlinks (also dangling ones: the write creates the
// file the link points to, and the link stays a link).
fs::path resolve_symlinks(const std::string& path) {
  fs::path p(path);
  for (int hops = 0; fs::is_symlink(fs::symlink_status(p)); ++hops) {
    require(hops < 40, path + ": too many levels of symbolic links");
    fs::path next = fs::read_symlink(p);
    p = next.is_absolute() ? next : p.parent_path() / next;
  }
  return p;
}

// fsync so that the rename cannot be observed before the data reach the disk.
void sync_to_disk(const std::string& tmp, const std::string& path) {
  int fd = ::open(tmp.c_str(), O_RDONLY);
  bool ok = fd >= 0 && ::fsync(fd) == 0;
  std::string why = ok ? "" : std::strerror(errno);
  if (fd >= 0) ::close(fd);
  if (!ok) {
    std::remove(tmp.c_str());
    throw IoError(path + ": cannot flush the written data to disk (" + why + ")");
  }
}

// Devices and FIFOs are written where they are: a rename would replace /dev/null by a file.
void write_in_place(const std::string& path, const std::function<void(std::ostream&)>& write) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw IoError(path + ": cannot open for writing (" + std::strerror(errno) + ")");
  write(out);
  out.flush();
  if (!out) throw IoError(path + ": write failed (" + std::strerror(errno) + ")");
}

}  // namespace

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  // What the path finally names (through any links): a device or pipe is opened by the path
  // itself (/dev/stdout -> /proc/self/fd/1 -> "pipe:[...]" only opens that way).
  const auto st = fs::status(path);
  if (fs::exists(st) && !fs::is_regular_file(st)) {
    if (fs::is_character_file(st) || fs::is_fifo(st)) return write_in_place(path, write);
    throw IoError(path + (fs::is_directory(st) ? ": is a directory" : ": not a regular file, a device or a pipe; refusing to replace it"));
  }
  const fs::path target = resolve_symlinks(path);
  if (target.has_parent_path() && !fs::exists(target.parent_path())) fs::create_directories(target.parent_path());
  const std::string tmp = temporary_path(target.string());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw IoError(path + ": cannot open for writing (" + std::strerror(errno) + ")");
    try {
      write(out);
    } catch (...) {
      out.close();
      std::remove(tmp.c_str());
      throw;
    }
    out.close();
    if (!out) {
      std::string why = std::strerror(errno);
      std::remove(tmp.c_str());
      throw IoError(path + ": write failed (" + why + "; disk full?)");
    }
  }
  sync_to_disk(tmp, path);
  if (std::rename(tmp.c_str(), target.c_str()) != 0) {
    std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw IoError(path + ": cannot rename temporary file into place (" + why + ")");
  }
}

void write_file_atomically(const std::string& path, const std::string& content) {
  write_file_atomically(path, [&](std::ostream& out) { out.write(content.data(), content.size()); });
}

std::string read_file(const std::string& path) {
  // O_NONBLOCK: opening a FIFO that has no writer returns at once (it used to hang), and fstat
  // then refuses it; devices (/dev/zero) would read forever.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw IoError(path + ": cannot open for reading (" + std::strerror(errno) + ")");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw IoError(path + (S_ISDIR(st.st_mode) ? ": is a directory" : ": not a regular file (a pipe, FIFO or device); mogo reads files only"));
  }
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  const int err = errno;
  ::close(fd);
  if (got != bytes.size()) throw IoError(path + ": read failed (" + (got < bytes.size() ? std::string("the file shrank while read") : std::strerror(err)) + ")");
  return bytes;
}

std::string temporary_path(const std::string& target) { return own_name(target, kTempMarker); }
std::string set_aside_path(const std::string& target) { return own_name(target, kOldMarker); }

namespace {

// Removes "<base><marker><pid>" entries of `dir` whose process is gone; base "" = any base.
int sweep_temporaries(const fs::path& dir, const std::string& base) {
  int removed = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    long pid = -1;
    for (const char* marker : {kTempMarker, kOldMarker}) {
      const auto at = base.empty() ? name.rfind(marker) : base.size();
      if (pid < 0 && at != std::string::npos && at > 0) pid = pid_suffix(name, base.empty() ? name.substr(0, at) : base, marker);
    }
    if (pid <= 0 || e.is_symlink() || !(e.is_regular_file() || e.is_directory())) continue;
    if (process_gone(pid) && fs::remove_all(e.path(), ec) > 0) ++removed;
  }
  return removed;
}

}  // namespace

int remove_stale_temporaries(const std::string& target) {
  const fs::path t(target);
  return sweep_temporaries(t.has_parent_path() ? t.parent_path() : fs::path("."), t.filename().string());
}

int remove_stale_temporaries_in(const std::string& dir) { return sweep_temporaries(dir, ""); }

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return fs::equivalent(a, b, ec) && !ec;
}

void require_not_an_input(const std::string& output, const std::vector<std::string>& inputs) {
  for (const auto& in : inputs)
    if (!in.empty() && same_file(in, output))
      throw Error(output + ": is the input file " + in + " (the same file on disk); write the output elsewhere");
}

}  // namespace mogo
