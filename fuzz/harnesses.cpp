#include "fuzz/harnesses.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

#include <torch/torch.h>

#include "common/archive.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/zip_check.hpp"
#include "data/text_file.hpp"
#include "motion/bvh.hpp"
#include "motion/npy.hpp"
#include "motion/skeleton.hpp"
#include "serve/gate.hpp"
#include "serve/requests.hpp"

namespace mogo::fuzz {

namespace {

// Runs a parser: accepted, or refused with mogo::Error; anything else propagates.
template <class F>
bool accepts(F&& parse) {
  try {
    parse();
    return true;
  } catch (const Error&) {
    return false;
  }
}

std::string read_seed(const std::string& relative) { return read_file(std::string(MOGO_SOURCE_DIR) + "/" + relative); }

bool run_npy(std::string_view in) {
  return accepts([&] { npy::parse(std::string(in), "fuzz.npy"); });
}
std::vector<std::string> npy_seeds() {
  return {npy::serialize(torch::arange(12, torch::kFloat).reshape({4, 3})), npy::serialize(torch::zeros({2, 2, 3}, torch::kDouble))};
}

constexpr const char* kBvh = R"(HIERARCHY
ROOT Hips
{
  OFFSET 0 90 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Spine
  {
    OFFSET 0 10 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 10 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.05
0 90 0 0 0 0 0 0 0
1 90 0 10 0 0 5 0 0
)";

bool run_bvh(std::string_view in) {
  return accepts([&] {
    auto b = bvh::parse(std::string(in), "fuzz.bvh");
    if (b.frames > 0 && b.frames * b.num_channels() < 100000) bvh::global_positions(b);
  });
}
std::vector<std::string> bvh_seeds() { return {kBvh}; }

bool run_captions(std::string_view in) {
  return accepts([&] { parse_captions(std::string(in), "fuzz.txt"); });
}
std::vector<std::string> caption_seeds() {
  return {"a person walks forward.#a/DET person/NOUN walk/VERB forward/ADV#0.0#0.0\nsomeone waves#someone/PRON wave/VERB#1.5#3.0\n",
          "a man jumps##0#0\n"};
}

// JSON joint mappings and skeleton descriptions (the same parser path as --mapping files).
bool run_mapping(std::string_view in) {
  return accepts([&] {
    auto j = parse_json(std::string(in), "fuzz.json");
    if (j.is_object() && j.contains("skeleton")) bvh::Mapping::from_json(j, "fuzz.json");
    else Skeleton::from_json(j, "fuzz.json");
  });
}
std::vector<std::string> mapping_seeds() {
  return {read_seed("data/skeletons/cmu-3dsmax.json"), read_seed("data/skeletons/bandai.json"), Skeleton::humanml3d().to_json().dump()};
}

// Model files: the zip directory, then every record's checksum. Only a file that passes reaches
// LibTorch's reader, which trusts the container's structure.
bool run_model_file(std::string_view in) {
  return accepts([&] { verify_zip_checksums(in, "fuzz.pt"); });
}
std::vector<std::string> model_file_seeds() {
  torch::serialize::OutputArchive ar;
  ar.write("weights", torch::arange(16, torch::kFloat));
  ar.write("meta", c10::IValue(std::string("{\"format\":\"mogo-fuzz\"}")));
  std::string bytes;
  ar.save_to([&bytes](const void* data, size_t n) {
    bytes.append(static_cast<const char*>(data), n);
    return n;
  });
  return {bytes};
}

// `mogo serve`'s request handling short of the socket: an HTTP request's line and headers through
// the gate (with and without a key), then its JSON body through the endpoint's parser, and every
// refusal rendered as the JSON the server sends (invalid UTF-8 in a path once threw there).
serve::GateRequest split_request(std::string_view in, std::string& body) {
  serve::GateRequest g;
  const std::string text(in);
  const auto head_end = text.find("\r\n\r\n");
  body = head_end == std::string::npos ? "" : text.substr(head_end + 4);
  std::istringstream head(text.substr(0, head_end));
  std::string line;
  std::getline(head, line);
  std::istringstream first(line);
  first >> g.method >> g.path;
  while (std::getline(head, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon), value = line.substr(std::min(line.size(), colon + 2));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!value.empty() && value.back() == '\r') value.pop_back();
    if (name == "origin") g.has_origin = true, g.origin = value;
    if (name == "host") g.has_host = true, g.host = value;
    if (name == "authorization") g.authorization = value;
    if (name == "content-type") g.content_type = value;
    if (name == "content-length") g.has_content_length = true, g.content_length = value;
    if (name == "transfer-encoding") g.transfer_encoding = value;
  }
  return g;
}

bool run_server_request(std::string_view in) {
  std::string body;
  const auto r = split_request(in, body);
  bool accepted = false;
  for (const std::string key : {"", "k3y"}) {
    const auto v = serve::check_request(r, {key, true, 1 << 20});
    if (!v.pass()) {
      serve::error_json(v.field, v.message);
      continue;
    }
    try {
      if (r.path == "/v1/generate" || r.path == "/v1/stream") serve::parse_motion_request(body, r.path == "/v1/stream", 600);
      else if (r.path == "/v1/export") serve::parse_export_request(body, 21);
      else if (r.method == "POST") serve::parse_text_request(body);
      accepted = true;
    } catch (const serve::RequestError& e) {
      serve::error_json(e.field, e.what());
    }
  }
  return accepted;
}
std::vector<std::string> server_request_seeds() {
  const std::string head = "POST /v1/generate HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\n";
  const std::string text = R"({"text": "a person walks", "seconds": 2, "seed": 3, "top_k": 5, "temperature": 0.8, "guidance": 4, "format": "bvh"})";
  std::string frame = "[";
  for (int j = 0; j < 21; ++j) frame += std::string(j ? "," : "") + "[0," + std::to_string(0.1 * j) + ",0]";
  frame += "]";
  return {head + "Content-Length: " + std::to_string(text.size()) + "\r\n\r\n" + text,
          "POST /v1/stream/0123abcd/text HTTP/1.1\r\nHost: localhost\r\nOrigin: http://localhost\r\nContent-Type: application/json\r\n"
          "Content-Length: 22\r\n\r\n{\"text\": \"a person jumps\"}",
          "POST /v1/export HTTP/1.1\r\nHost: [::1]:9\r\nAuthorization: Bearer k3y\r\nContent-Type: application/json\r\n"
          "Transfer-Encoding: chunked\r\n\r\n{\"frames\": [" + frame + "," + frame + "], \"format\": \"glb\"}",
          "GET /v1/model HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"};
}

}  // namespace

const std::vector<Harness>& harnesses() {
  static const std::vector<Harness> all = {{"npy", run_npy, npy_seeds},
                                           {"bvh", run_bvh, bvh_seeds},
                                           {"captions", run_captions, caption_seeds},
                                           {"mapping", run_mapping, mapping_seeds},
                                           {"model-file", run_model_file, model_file_seeds},
                                           {"server-request", run_server_request, server_request_seeds}};
  return all;
}

const Harness& harness(const std::string& name) {
  std::string names;
  for (const auto& h : harnesses()) {
    if (name == h.name) return h;
    names += std::string(names.empty() ? "" : ", ") + h.name;
  }
  throw Error("unknown fuzz target '" + name + "' (targets: " + names + ")");
}

void mutate(std::string& s, std::mt19937_64& rng, const std::vector<std::string>& seeds) {
  auto pick = [&](size_t n) { return n == 0 ? size_t{0} : static_cast<size_t>(rng() % n); };
  static const char* kInteresting[] = {"0", "-1", "65535", "4294967295", "1e308", "nan", "-inf", "\xff\xff\xff\xff", "{", "}", "\n", "#", ":"};
  switch (rng() % 8) {
    case 0:  // flip bits
      for (int k = 0, n = 1 + static_cast<int>(rng() % 4); k < n && !s.empty(); ++k) s[pick(s.size())] ^= static_cast<char>(1u << (rng() % 8));
      break;
    case 1:  // random bytes
      for (int k = 0, n = 1 + static_cast<int>(rng() % 4); k < n && !s.empty(); ++k) s[pick(s.size())] = static_cast<char>(rng());
      break;
    case 2:  // insert an interesting token
      s.insert(pick(s.size() + 1), kInteresting[pick(std::size(kInteresting))]);
      break;
    case 3:  // erase a run
      if (!s.empty()) {
        size_t at = pick(s.size());
        s.erase(at, 1 + pick(std::min<size_t>(64, s.size() - at)));
      }
      break;
    case 4:  // duplicate a run
      if (!s.empty()) {
        size_t at = pick(s.size()), n = 1 + pick(std::min<size_t>(64, s.size() - at));
        s.insert(pick(s.size() + 1), s.substr(at, n));
      }
      break;
    case 5:  // truncate
      s.resize(pick(s.size() + 1));
      break;
    case 6:  // overwrite a little-endian field with a boundary value
      if (s.size() >= 4) {
        static const uint32_t kBoundary[] = {0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFF};
        uint32_t v = kBoundary[pick(std::size(kBoundary))];
        size_t at = pick(s.size() - 3);
        for (int b = 0; b < 4; ++b) s[at + b] = static_cast<char>((v >> (8 * b)) & 0xFF);
      }
      break;
    default:  // splice in part of a seed
      if (!seeds.empty()) {
        const auto& other = seeds[pick(seeds.size())];
        size_t at = pick(other.size() + 1);
        s.insert(pick(s.size() + 1), other.substr(at, pick(other.size() - at + 1)));
      }
  }
}

Report run_mutations(const Harness& h, int64_t iterations, uint64_t seed) {
  const auto seeds = h.seeds();
  std::mt19937_64 rng(seed);
  Report r;
  for (int64_t i = 0; i < iterations; ++i) {
    std::string input = seeds[i % seeds.size()];
    if (i >= static_cast<int64_t>(seeds.size()))
      for (int m = 0, n = 1 + static_cast<int>(rng() % 6); m < n; ++m) mutate(input, rng, seeds);
    (h.run(input) ? r.accepted : r.refused)++;
    ++r.inputs;
  }
  return r;
}

}  // namespace mogo::fuzz
