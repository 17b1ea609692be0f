// The JSON bodies `mogo serve` accepts, validated field by field: a wrong type, a number out of
// range, an unknown format or field, an empty text -> RequestError naming the field (HTTP 400).
#pragma once
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/generator.hpp"
#include "engine/pacer.hpp"
#include "transformer/sampler.hpp"

namespace mogo::serve {

struct RequestError : std::runtime_error {
  RequestError(std::string field_, const std::string& what) : std::runtime_error(what), field(std::move(field_)) {}
  std::string field;
};

constexpr size_t kMaxTextChars = 2000;

struct MotionRequest {
  std::string text;
  bool has_seconds = false;
  double seconds = 0;          // generate: (0, 120]; stream: 0 = until the client leaves (capped by the server)
  SamplingParams sampling;
  std::string format = "json";  // generate: json | bvh | npy | glb
  PaceOptions pace;             // stream: "pace" (default true) and "lead" (seconds)
  std::string rig;              // a rig the server holds, by name ("" = the model's own skeleton)
};

// POST /v1/rigs body: {"name": "[A-Za-z0-9_.-]{1,64}", "glb": "<base64 of a skinned .glb>"}.
struct RigUpload {
  std::string name, glb;  // glb: the decoded bytes
};
RigUpload parse_rig_upload(const std::string& body);
// Rig names: 1-64 of A-Z a-z 0-9 _ . - (they name files and URLs).
bool valid_rig_name(const std::string& name);

// JSON text of a reply: strings from requests may hold any bytes, so invalid UTF-8 is written as
// U+FFFD (nlohmann's default throws, and a throw there used to end the whole server).
std::string json_text(const nlohmann::json& j);
// The body of every error answer: {"error": message, "field": field}.
std::string error_json(const std::string& field, const std::string& message);

// POST /v1/generate (stream = false) and POST /v1/stream (stream = true) bodies.
MotionRequest parse_motion_request(const std::string& body, bool stream, double max_stream_seconds);
// POST /v1/export body: {"frames": [[[x,y,z] x joints] x T], "format": "bvh|glb|json"}.
struct ExportRequest {
  torch::Tensor joints;  // [T,J,3] double, finite
  std::string format = "bvh";
};
ExportRequest parse_export_request(const std::string& body, int64_t joints);

// POST /v1/stream/{id}/text body: {"text": "..."} -> the text.
std::string parse_text_request(const std::string& body);

}  // namespace mogo::serve
