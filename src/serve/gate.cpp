#include "serve/gate.hpp"

#include <algorithm>
#include <cctype>
#include <regex>

namespace mogo::serve {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// "host:port", "[v6]:port", "host" -> the host part.
std::string host_part(const std::string& host_header) {
  if (starts_with(host_header, "[")) {
    const auto end = host_header.find(']');
    return end == std::string::npos ? host_header : host_header.substr(1, end - 1);
  }
  const auto colon = host_header.find(':');
  return colon == std::string::npos ? host_header : host_header.substr(0, colon);
}

GateVerdict refuse(int status, std::string field, std::string message) { return {status, std::move(field), std::move(message), ""}; }

bool is_api(const std::string& path) { return starts_with(path, "/v1/"); }

}  // namespace

std::string allowed_methods(const std::string& path) {
  static const std::regex post_paths(R"(/v1/(generate|stream|export|rigs|stream/[0-9a-f]+/text))");
  if (path == "/health" || path == "/v1/model") return "GET, HEAD";
  if (std::regex_match(path, post_paths)) return "POST";
  if (is_api(path)) return "";  // no such endpoint
  return "GET, HEAD";           // the web viewer's files
}

bool is_loopback_host(const std::string& host) {
  const auto h = lower(host);
  if (h == "localhost" || h == "::1" || h == "0:0:0:0:0:0:0:1") return true;
  static const std::regex v4(R"(127\.\d{1,3}\.\d{1,3}\.\d{1,3})");
  return std::regex_match(h, v4);
}

bool constant_time_equal(const std::string& a, const std::string& b) {
  if (a.size() != b.size() || b.empty()) return false;  // the length is no secret worth hiding
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

GateVerdict check_request(const GateRequest& r, const GateOptions& o) {
  const std::string allow = allowed_methods(r.path);
  if (allow.empty()) return refuse(404, "path", "no such endpoint: " + r.path);
  const bool allowed = r.method == "POST" ? allow == "POST" : (r.method == "GET" || r.method == "HEAD") && allow != "POST";
  if (!allowed) {
    auto v = refuse(405, "method", r.method + " is not allowed on " + r.path + " (allowed: " + allow + ")");
    v.allow = allow;
    return v;
  }
  // Cross-site requests: a browser names the page's origin; only the viewer's own may call.
  if (r.has_origin && (!r.has_host || lower(r.origin) != "http://" + lower(r.host)))
    return refuse(403, "Origin", "cross-origin requests are refused (Origin " + r.origin + "); open the viewer from this server");
  // DNS rebinding: a loopback server without a key answers loopback names only.
  if (o.loopback_only && o.api_key.empty() && r.has_host && !is_loopback_host(host_part(r.host)))
    return refuse(403, "Host", "this server listens on loopback and answers loopback names only (Host " + r.host +
                                   "); start it with --api-key to serve other names");
  if (!o.api_key.empty() && is_api(r.path)) {
    const std::string scheme = "bearer ";
    const bool bearer = lower(r.authorization.substr(0, scheme.size())) == scheme;
    if (!bearer || !constant_time_equal(r.authorization.substr(scheme.size()), o.api_key))
      return refuse(401, "Authorization", "this server needs 'Authorization: Bearer <key>' (mogo serve --api-key)");
  }
  if (r.method != "POST") return {};
  const auto type = lower(r.content_type.substr(0, r.content_type.find(';')));
  if (type.find_first_not_of(' ') == std::string::npos || type.substr(type.find_first_not_of(' ')).rfind("application/json", 0) != 0)
    return refuse(415, "Content-Type", "the body must be JSON sent with 'Content-Type: application/json' (got '" + r.content_type + "')");
  if (!r.has_content_length) {
    if (lower(r.transfer_encoding) == "chunked") return {};  // httplib holds it to the body limit as it reads
    return refuse(411, "Content-Length", "a POST needs a Content-Length header");
  }
  const auto& n = r.content_length;
  if (n.empty() || n.size() > 19 || n.find_first_not_of("0123456789") != std::string::npos)
    return refuse(400, "Content-Length", "Content-Length must be a decimal number of bytes (got '" + n + "')");
  if (std::stoull(n) > o.max_body_bytes)
    return refuse(413, "body", "the body is " + n + " bytes; the limit is " + std::to_string(o.max_body_bytes) + " bytes");
  return {};
}

}  // namespace mogo::serve
