// What a request must be before `mogo serve` reads its body: decided from the request line and the
// headers alone, so that nothing is read, allocated or waited for on behalf of a request that will
// be refused. In order:
//   405  a method the path does not take (Allow lists the ones it does);
//   403  a cross-site request: an Origin other than the server's own, or, on a server that listens
//        on loopback without a key, a Host that is not a loopback name (DNS rebinding);
//   401  a /v1/ request without `Authorization: Bearer <key>` when the server has a key;
//   415  a POST body that is not application/json (HTML forms and text/plain "simple requests",
//        the kind any web page can send without asking, are refused);
//   411/400/413  a POST without a Content-Length, with one that is not a decimal number, or with
//        one over the body limit.
// docs/server.md ("Access control") and docs/reliability.md ("The server") say why.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace mogo::serve {

// A request as far as the gate looks at it.
struct GateRequest {
  std::string method, path;
  // Header lookup: the value of a header (case-insensitive name), and whether it is there.
  std::string origin, host, authorization, content_type, content_length, transfer_encoding;
  bool has_origin = false, has_host = false, has_content_length = false;
};

struct GateVerdict {
  int status = 0;          // 0: let it through
  std::string field;       // what the error is about ("method", "Origin", ...)
  std::string message;
  std::string allow;       // for 405: the methods the path takes
  bool pass() const { return status == 0; }
};

struct GateOptions {
  std::string api_key;          // "" = none
  bool loopback_only = true;    // the server listens on a loopback address
  size_t max_body_bytes = 16 << 20;
};

// The methods `path` takes ("GET, HEAD" or "POST"), "" for paths of the static web viewer.
std::string allowed_methods(const std::string& path);

GateVerdict check_request(const GateRequest& r, const GateOptions& o);

// Whether `host` (an address or a name, without port) is a loopback one: 127.0.0.0/8, ::1,
// localhost.
bool is_loopback_host(const std::string& host);

// Compares in time independent of where the strings differ (API keys).
bool constant_time_equal(const std::string& a, const std::string& b);

}  // namespace mogo::serve
