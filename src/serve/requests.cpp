#include "serve/requests.hpp"

#include "common/error.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>

namespace mogo::serve {

namespace {

using nlohmann::json;

json parse_object(const std::string& body, const std::set<std::string>& known) {
  json j;
  try {
    j = json::parse(body);
  } catch (const json::exception& e) {
    const std::string what = e.what();
    if (what.find("UTF-8") != std::string::npos) throw RequestError("body", "the body holds invalid UTF-8 (JSON text must be UTF-8)");
    throw RequestError("body", "the body is not valid JSON: " + what);
  }
  if (!j.is_object()) throw RequestError("body", "the body must be a JSON object");
  for (auto& [k, v] : j.items())
    if (!known.count(k)) throw RequestError(k, "unknown field '" + k + "'");
  return j;
}

std::string text_field(const json& j) {
  if (!j.contains("text")) throw RequestError("text", "'text' is required");
  if (!j["text"].is_string()) throw RequestError("text", "'text' must be a string");
  auto t = j["text"].get<std::string>();
  if (t.find_first_not_of(" \t\r\n\f\v") == std::string::npos) throw RequestError("text", "'text' is empty: describe a motion");
  if (t.size() > kMaxTextChars) throw RequestError("text", "'text' is longer than " + std::to_string(kMaxTextChars) + " characters");
  return t;
}

double number(const json& j, const std::string& k, double lo, double hi, bool lo_open = false) {
  if (!j[k].is_number()) throw RequestError(k, "'" + k + "' must be a number");
  const double v = j[k].get<double>();
  if (!std::isfinite(v) || v > hi || v < lo || (lo_open && v == lo))
    throw RequestError(k, "'" + k + "' must be in " + (lo_open ? "(" : "[") + number_text(lo) + ", " + number_text(hi) + "]");
  return v;
}

int64_t integer(const json& j, const std::string& k, double lo, double hi) {
  if (!j[k].is_number_integer()) throw RequestError(k, "'" + k + "' must be an integer");
  return static_cast<int64_t>(number(j, k, lo, hi));
}

}  // namespace

std::string json_text(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string error_json(const std::string& field, const std::string& message) {
  return json_text({{"error", message}, {"field", field}});
}

MotionRequest parse_motion_request(const std::string& body, bool stream, double max_stream_seconds) {
  auto j = parse_object(body, {"text", "seconds", "seed", "top_k", "temperature", "guidance", "format", "pace", "lead", "rig"});
  MotionRequest r;
  r.text = text_field(j);
  if (j.contains("rig")) {
    if (!j["rig"].is_string() || !valid_rig_name(j["rig"].get<std::string>()))
      throw RequestError("rig", "'rig' must be the name of a rig the server holds (1-64 of A-Z a-z 0-9 _ . -)");
    r.rig = j["rig"].get<std::string>();
  }
  if (j.contains("seconds")) {
    r.has_seconds = true;
    r.seconds = stream ? number(j, "seconds", 0, max_stream_seconds) : number(j, "seconds", 0, kMaxSeconds, true);
    // A stream of 0 s runs until the client leaves; any other length is at least one latent step
    // (0.01 s used to round to 0 frames, which meant "no limit").
    if (r.seconds > 0 && r.seconds < kMinSeconds)
      throw RequestError("seconds", "'seconds' must be 0 (until the client leaves) or at least " + number_text(kMinSeconds));
  }
  // Types here; ranges in the engine (SamplingParams::check), reported for the field.
  if (j.contains("seed")) {
    if (!j["seed"].is_number_unsigned()) throw RequestError("seed", "'seed' must be an integer in [0, " + std::to_string(kMaxSeed) + "]");
    r.sampling.seed = j["seed"].get<uint64_t>();
  }
  if (j.contains("top_k")) r.sampling.top_k = integer(j, "top_k", -9e18, 9e18);
  if (j.contains("temperature")) r.sampling.temperature = number(j, "temperature", -1e308, 1e308);
  if (j.contains("guidance")) r.sampling.guidance = number(j, "guidance", -1e308, 1e308);
  if (const auto p = r.sampling.check(); !p.field.empty()) throw RequestError(p.field, "'" + p.field + "' " + p.message);
  for (const char* field : {"pace", "lead"})
    if (!stream && j.contains(field)) throw RequestError(field, std::string("'") + field + "' applies to /v1/stream only");
  if (j.contains("pace")) {
    if (!j["pace"].is_boolean()) throw RequestError("pace", "'pace' must be true (real time, the default) or false (as fast as possible)");
    r.pace.enabled = j["pace"].get<bool>();
  }
  if (j.contains("lead")) r.pace.lead_seconds = number(j, "lead", 0, PaceOptions::kMaxLead);
  if (j.contains("format")) {
    if (stream) throw RequestError("format", "'format' applies to /v1/generate only (streams send JSON events)");
    if (!j["format"].is_string()) throw RequestError("format", "'format' must be a string");
    r.format = j["format"].get<std::string>();
    if (r.format != "json" && r.format != "bvh" && r.format != "npy" && r.format != "glb")
      throw RequestError("format", "unknown format '" + r.format + "' (json, bvh, npy, glb)");
  }
  return r;
}

bool valid_rig_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (unsigned char c : name)
    if (!std::isalnum(c) && c != '_' && c != '.' && c != '-') return false;
  return name != "." && name != "..";
}

namespace {

// Standard base64 (RFC 4648, padding optional); throws RequestError on any other character.
std::string base64_decode(const std::string& in, const std::string& field) {
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(in.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const auto v = alphabet.find(c);
    if (v == std::string::npos) throw RequestError(field, "'" + field + "' must be base64");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

}  // namespace

RigUpload parse_rig_upload(const std::string& body) {
  auto j = parse_object(body, {"name", "glb"});
  RigUpload r;
  if (!j.contains("name") || !j["name"].is_string() || !valid_rig_name(j["name"].get<std::string>()))
    throw RequestError("name", "'name' must be 1-64 of A-Z a-z 0-9 _ . -");
  r.name = j["name"].get<std::string>();
  if (!j.contains("glb") || !j["glb"].is_string() || j["glb"].get<std::string>().empty())
    throw RequestError("glb", "'glb' must hold a skinned .glb file, base64-encoded");
  r.glb = base64_decode(j["glb"].get<std::string>(), "glb");
  if (r.glb.size() < 12 || r.glb.compare(0, 4, "glTF") != 0) throw RequestError("glb", "'glb' is not a binary glTF file (no 'glTF' header)");
  return r;
}

std::string parse_text_request(const std::string& body) { return text_field(parse_object(body, {"text"})); }

ExportRequest parse_export_request(const std::string& body, int64_t joints) {
  auto j = parse_object(body, {"frames", "format"});
  ExportRequest r;
  if (j.contains("format")) {
    if (!j["format"].is_string()) throw RequestError("format", "'format' must be a string");
    r.format = j["format"].get<std::string>();
  }
  if (r.format != "bvh" && r.format != "glb" && r.format != "json") throw RequestError("format", "unknown format '" + r.format + "' (bvh, glb, json)");
  if (!j.contains("frames") || !j["frames"].is_array() || j["frames"].empty())
    throw RequestError("frames", "'frames' must be a non-empty array of frames");
  const auto& f = j["frames"];
  r.joints = torch::empty({static_cast<int64_t>(f.size()), joints, 3}, torch::kDouble);
  auto acc = r.joints.accessor<double, 3>();
  for (size_t t = 0; t < f.size(); ++t) {
    if (!f[t].is_array() || static_cast<int64_t>(f[t].size()) != joints)
      throw RequestError("frames", "frame " + std::to_string(t) + " must hold " + std::to_string(joints) + " joints");
    for (int64_t k = 0; k < joints; ++k) {
      const auto& p = f[t][k];
      if (!p.is_array() || p.size() != 3 || !p[0].is_number() || !p[1].is_number() || !p[2].is_number())
        throw RequestError("frames", "frame " + std::to_string(t) + ", joint " + std::to_string(k) + " must be [x, y, z]");
      for (int d = 0; d < 3; ++d) acc[t][k][d] = p[d].get<double>();
    }
  }
  if (!torch::isfinite(r.joints).all().item<bool>()) throw RequestError("frames", "'frames' hold non-finite numbers");
  return r;
}

}  // namespace mogo::serve
