// Client side of `mogo serve`'s streams, for C++ programs (the tests and the load benchmark use
// it): a POST whose response body arrives piece by piece, and a parser that turns those pieces
// into server-sent events.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace mogo::serve {

// POSTs a JSON body; `receive` gets the response body as it arrives (return false to hang up).
inline httplib::Result post_streaming(httplib::Client& client, const std::string& path, const std::string& body,
                                      std::function<bool(const char*, size_t)> receive) {
  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.body = body;
  req.set_header("Content-Type", "application/json");
  req.content_receiver = [receive = std::move(receive)](const char* data, size_t n, uint64_t, uint64_t) { return receive(data, n); };
  return client.send(req);
}

struct SseEvent {
  std::string name;
  nlohmann::json data;
};

// Feeds on body pieces; returns the events completed by each piece ("event: X\ndata: {json}\n\n").
class SseParser {
 public:
  std::vector<SseEvent> feed(const char* data, size_t n) {
    buffer_.append(data, n);
    std::vector<SseEvent> out;
    for (size_t end; (end = buffer_.find("\n\n")) != std::string::npos; buffer_.erase(0, end + 2)) {
      const auto block = buffer_.substr(0, end);
      const auto nl = block.find('\n');
      if (block.rfind("event: ", 0) != 0 || nl == std::string::npos || block.compare(nl + 1, 6, "data: ") != 0)
        throw std::runtime_error("malformed server-sent event: " + block.substr(0, 80));
      out.push_back({block.substr(7, nl - 7), nlohmann::json::parse(block.substr(nl + 7))});
    }
    return out;
  }
  bool empty() const { return buffer_.empty(); }

 private:
  std::string buffer_;
};

}  // namespace mogo::serve
