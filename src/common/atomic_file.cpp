#include "common/atomic_file.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "common/error.hpp"

namespace mogo {

namespace fs = std::filesystem;

namespace {

constexpr const char* kTempMarker = ".tmp.";

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
    throw Error(path + ": cannot flush the written data to disk (" + why + ")");
  }
}

// Devices and FIFOs are written where they are: a rename would replace /dev/null by a file.
void write_in_place(const std::string& path, const std::function<void(std::ostream&)>& write) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error(path + ": cannot open for writing (" + std::strerror(errno) + ")");
  write(out);
  out.flush();
  if (!out) throw Error(path + ": write failed (" + std::strerror(errno) + ")");
}

}  // namespace

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  // What the path finally names (through any links): a device or pipe is opened by the path
  // itself (/dev/stdout -> /proc/self/fd/1 -> "pipe:[...]" only opens that way).
  const auto st = fs::status(path);
  if (fs::exists(st) && !fs::is_regular_file(st)) {
    if (fs::is_character_file(st) || fs::is_fifo(st)) return write_in_place(path, write);
    throw Error(path + (fs::is_directory(st) ? ": is a directory" : ": not a regular file, a device or a pipe; refusing to replace it"));
  }
  const fs::path target = resolve_symlinks(path);
  if (target.has_parent_path() && !fs::exists(target.parent_path())) fs::create_directories(target.parent_path());
  const std::string tmp = target.string() + kTempMarker + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(path + ": cannot open for writing (" + std::strerror(errno) + ")");
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
      throw Error(path + ": write failed (" + why + "; disk full?)");
    }
  }
  sync_to_disk(tmp, path);
  if (std::rename(tmp.c_str(), target.c_str()) != 0) {
    std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw Error(path + ": cannot rename temporary file into place (" + why + ")");
  }
}

void write_file_atomically(const std::string& path, const std::string& content) {
  write_file_atomically(path, [&](std::ostream& out) { out.write(content.data(), content.size()); });
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open for reading (" + std::strerror(errno) + ")");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error(path + ": read failed (" + std::strerror(errno) + ")");
  return ss.str();
}

int remove_stale_temporaries(const std::string& dir) {
  int removed = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    auto at = name.rfind(kTempMarker);
    if (at == std::string::npos || !(e.is_regular_file() || e.is_directory())) continue;
    const std::string pid_text = name.substr(at + std::strlen(kTempMarker));
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const long pid = std::strtol(pid_text.c_str(), nullptr, 10);
    // kill(pid, 0) fails with ESRCH once no process has that id: nobody is writing the file.
    if (pid != ::getpid() && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH && fs::remove_all(e.path(), ec) > 0) ++removed;
  }
  return removed;
}

}  // namespace mogo
