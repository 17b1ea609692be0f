// A bare TCP connection to `mogo serve` over loopback, for bytes no HTTP client library would send
// (invalid UTF-8 in a path, a Content-Length of 1e20, a request that never ends). The tests and
// the soak benchmark (bench/bench_soak.cpp) use it.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace mogo::serve {

struct RawConnection {
  explicit RawConnection(int port) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected = fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawConnection() {
    if (fd >= 0) ::close(fd);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  // False once the server closed the connection (or never accepted it).
  bool send(const std::string& bytes) { return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()); }
  // Everything the server sends until it closes the connection, or until `seconds` pass.
  std::string read_all(double seconds) {
    timeval tv{static_cast<time_t>(seconds), static_cast<suseconds_t>((seconds - static_cast<time_t>(seconds)) * 1e6)};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string got;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) got.append(buf, static_cast<size_t>(n));
    return got;
  }
  int fd = -1;
  bool connected = false;
};

// One request on a new connection; the answer as sent, "" when none came within `seconds`.
inline std::string raw_request(int port, const std::string& bytes, double seconds = 20) {
  RawConnection c(port);
  if (!c.connected) return "";
  c.send(bytes);
  return c.read_all(seconds);
}

// The status code of a raw answer ("HTTP/1.1 404 Not Found" -> 404), 0 for none.
inline int status_of(const std::string& answer) { return answer.rfind("HTTP/1.1 ", 0) == 0 ? std::atoi(answer.c_str() + 9) : 0; }

}  // namespace mogo::serve
