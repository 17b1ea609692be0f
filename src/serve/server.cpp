#include "serve/server.hpp"

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <random>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "animation/foot_lock.hpp"
#include "engine/pacer.hpp"
#include "engine/prompt_split.hpp"
#include "engine/timeline.hpp"
#include "engine/stream.hpp"
#include "export/gltf.hpp"
#include "export/motion_writer.hpp"
#include "motion/bvh.hpp"
#include "motion/npy.hpp"
#include "serve/connection_pool.hpp"
#include "serve/gate.hpp"
#include "serve/requests.hpp"

namespace mogo::serve {

using nlohmann::json;

// (Named, not anonymous, namespace: MotionServer::Impl holds these, and in a unity build this file
// is not the main file, where GCC warns about anonymous types in such members.)
namespace detail {

// At most `slots` generations run; at most `waiting` more wait. A Ticket is a place in that
// bounded line; it becomes a slot with enter() and gives everything back when destroyed.
class SlotPool {
 public:
  SlotPool(int slots, int waiting) : slots_(slots), waiting_(waiting) {}

  class Ticket {
   public:
    explicit Ticket(SlotPool& p) : pool_(p) {}
    ~Ticket() { pool_.release(entered_); }
    // Waits for a slot; false when `give_up` says so first (client gone, shutdown).
    bool enter(const std::function<bool()>& give_up) {
      std::unique_lock<std::mutex> lock(pool_.m_);
      while (pool_.running_ >= pool_.slots_) {
        if (give_up()) return false;
        pool_.cv_.wait_for(lock, std::chrono::milliseconds(50));
      }
      ++pool_.running_;
      --pool_.queued_;
      entered_ = true;
      return true;
    }

   private:
    SlotPool& pool_;
    bool entered_ = false;
  };

  // A ticket, or nothing when the line is full.
  std::unique_ptr<Ticket> reserve() {
    std::lock_guard<std::mutex> lock(m_);
    if (queued_ + running_ >= slots_ + waiting_) return nullptr;
    ++queued_;
    return std::make_unique<Ticket>(*this);
  }
  int busy() const {
    std::lock_guard<std::mutex> lock(m_);
    return queued_ + running_;
  }

 private:
  void release(bool entered) {
    {
      std::lock_guard<std::mutex> lock(m_);
      if (entered) --running_;
      else --queued_;
    }
    cv_.notify_all();
  }
  const int slots_, waiting_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  int running_ = 0, queued_ = 0;
};

// A running stream, as far as another request can reach it: a text to switch to, a cancel flag.
struct StreamControl {
  std::mutex m;
  std::optional<std::string> next_text;
  std::string text;
  int64_t frames = 0;
};

}  // namespace detail

namespace {

using detail::SlotPool;
using detail::StreamControl;

// Every error answer: {"error", "field"} as serve::error_json writes it.
void reply_error(httplib::Response& res, int status, const std::string& field, const std::string& message) {
  res.status = status;
  res.set_content(error_json(field, message) + "\n", "application/json");
}

void reply_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(json_text(body) + "\n", "application/json");
}

std::string sse(const std::string& event, const json& data) { return "event: " + event + "\ndata: " + json_text(data) + "\n\n"; }

// The text of an error status that cpp-httplib answers by itself (before any handler ran).
std::string status_text(int status, size_t max_body) {
  switch (status) {
    case 400: return "malformed request: the request line or a header cannot be parsed, or a header is longer than 8 KB";
    case 404: return "no such endpoint or file";
    case 413: return "the body is larger than " + std::to_string(max_body) + " bytes";
    case 414: return "the URL is longer than 8 KB";
    case 416: return "the requested range cannot be served";
    default: return "the request cannot be served (HTTP " + std::to_string(status) + ")";
  }
}

GateRequest gate_request(const httplib::Request& req) {
  GateRequest g;
  g.method = req.method;
  g.path = req.path;
  g.has_origin = req.has_header("Origin");
  g.origin = req.get_header_value("Origin");
  g.has_host = req.has_header("Host");
  g.host = req.get_header_value("Host");
  g.authorization = req.get_header_value("Authorization");
  g.content_type = req.get_header_value("Content-Type");
  g.has_content_length = req.has_header("Content-Length");
  g.content_length = req.get_header_value("Content-Length");
  g.transfer_encoding = req.get_header_value("Transfer-Encoding");
  return g;
}

int64_t parameters(const torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

}  // namespace

struct MotionServer::Impl {
  Impl(Generator& g, ServerOptions o) : gen(g), opt(std::move(o)), pool(opt.parallel, opt.queue) {
    gen.warm_up();  // the first request does not wait for the word map or the packed weights
    for (const auto& [name, file] : opt.rigs) {
      require(valid_rig_name(name), "serve: rig name '" + name + "' must be 1-64 of A-Z a-z 0-9 _ . -");
      rigs[name] = std::make_shared<const Retargeter>(load_retargeter(file, gen.skeleton()));
      log_info("serve: " + retarget_summary(*rigs[name]));
    }
  }
  ~Impl() {
    std::error_code ec;
    if (!upload_dir.empty()) std::filesystem::remove_all(upload_dir, ec);
  }

  Generator& gen;
  ServerOptions opt;
  SlotPool pool;
  StepBatcher batcher;  // continuous batching of the running streams' steps
  httplib::Server http;
  int bound_port = -1;
  std::atomic<bool> stopping{false};
  std::mutex streams_m;
  std::map<std::string, std::shared_ptr<StreamControl>> streams;
  std::mt19937_64 ids{std::random_device{}()};
  std::mutex rigs_m;
  std::map<std::string, std::shared_ptr<const Retargeter>> rigs;
  int uploaded_rigs = 0;
  std::string upload_dir;  // uploaded GLBs, removed with the server

  std::shared_ptr<const Retargeter> rig_named(const std::string& name);
  void add_rig(const httplib::Request& req, httplib::Response& res);

  void routes();
  void generate(const httplib::Request& req, httplib::Response& res);
  void stream(const httplib::Request& req, httplib::Response& res);
  void change_text(const httplib::Request& req, httplib::Response& res);
  void export_frames(const httplib::Request& req, httplib::Response& res);
  json model_card();
  std::string new_stream_id() {
    std::lock_guard<std::mutex> lock(streams_m);
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(ids()));
    return buf;
  }
};

std::shared_ptr<const Retargeter> MotionServer::Impl::rig_named(const std::string& name) {
  std::lock_guard<std::mutex> lock(rigs_m);
  const auto it = rigs.find(name);
  if (it != rigs.end()) return it->second;
  std::string held;
  for (const auto& [n, r] : rigs) held += (held.empty() ? "" : ", ") + n;
  throw RequestError("rig", "unknown rig '" + name + "' (this server holds: " + (held.empty() ? "none" : held) +
                                "; start it with --rig NAME=FILE, or POST /v1/rigs)");
}

void MotionServer::Impl::add_rig(const httplib::Request& req, httplib::Response& res) {
  const auto up = parse_rig_upload(req.body);
  std::string path;
  {
    std::lock_guard<std::mutex> lock(rigs_m);
    if (rigs.count(up.name)) throw RequestError("name", "a rig named '" + up.name + "' exists; choose another name");
    if (uploaded_rigs >= opt.max_uploaded_rigs)
      throw RequestError("name", "the server holds " + std::to_string(opt.max_uploaded_rigs) + " uploaded rigs already");
    if (upload_dir.empty()) {
      upload_dir = (std::filesystem::temp_directory_path() / ("mogo-rigs-" + new_stream_id())).string();
      std::filesystem::create_directories(upload_dir);
    }
    path = upload_dir + "/" + std::to_string(uploaded_rigs++) + ".glb";
  }
  write_file_atomically(path, up.glb);
  std::shared_ptr<const Retargeter> r;
  try {
    r = std::make_shared<const Retargeter>(load_retargeter(path, gen.skeleton()));
  } catch (const Error& e) {
    throw RequestError("glb", e.what());
  }
  {
    std::lock_guard<std::mutex> lock(rigs_m);
    if (rigs.count(up.name)) throw RequestError("name", "a rig named '" + up.name + "' exists; choose another name");
    rigs[up.name] = r;
  }
  auto rep = r->report();
  rep["rig"] = up.name;
  rep["joints"] = r->rig().names;
  rep["parents"] = r->rig().parents;
  reply_json(res, 200, rep);
}

json MotionServer::Impl::model_card() {
  const auto& m = gen.model();
  const auto skel = gen.skeleton();
  std::error_code ec;
  const auto bytes = opt.model_file.empty() ? 0 : static_cast<int64_t>(std::filesystem::file_size(opt.model_file, ec));
  return {{"name", opt.model_name},
          {"file_bytes", ec ? 0 : bytes},
          {"parameters", {{"transformer", parameters(*m.transformer)}, {"rvq_vae", parameters(*m.vq)}}},
          {"fps", gen.fps()},
          {"feature_dim", m.feature_dim()},
          {"skeleton", {{"name", skel.name}, {"joints", skel.joint_names}, {"parents", skel.parents}}},
          {"units", "metres, Y up, facing +Z at frame 0"},
          {"rigs", [this] {
             std::lock_guard<std::mutex> lock(rigs_m);
             json names = json::array();
             for (const auto& [n, r] : rigs) names.push_back(n);
             return names;
           }()},
          {"max_generate_seconds", 120},
          {"max_stream_seconds", opt.max_stream_seconds},
          {"training_steps", m.step},
          {"licence", "CC BY-NC 4.0, inherited from the training data (Bandai Namco Research Motion datasets): "
                      "non-commercial use only, with attribution"}};
}

void MotionServer::Impl::generate(const httplib::Request& req, httplib::Response& res) {
  auto r = parse_motion_request(req.body, false, opt.max_stream_seconds);
  auto ticket = pool.reserve();
  if (!ticket) {
    res.set_header("Retry-After", "2");
    return reply_error(res, 503, "", "the server is busy: every generation slot and queue place is taken");
  }
  if (!ticket->enter([&] { return stopping.load(); })) return reply_error(res, 503, "", "the server is shutting down");
  GenerateOptions go;
  go.seconds = r.has_seconds ? r.seconds : 0;
  go.sampling = r.sampling;
  const auto rig = r.rig.empty() ? nullptr : rig_named(r.rig);
  if (rig) {
    try {
      require_rig_output("motion." + r.format, rig->rig());
    } catch (const Error& e) {
      throw RequestError("format", e.what());
    }
  }
  // A prompt with several actions ("walk, then wave") plays them in turn, as in the CLI.
  const auto timeline = prompt_timeline(gen, r.text, go.seconds);
  auto motion = timeline.size() > 1 ? generate_timeline(gen, timeline, go) : gen.generate({r.text}, go)[0];
  const auto skel = gen.skeleton();
  auto joints = gen.joints(motion.features);
  if (opt.foot_lock) joints = lock_feet(joints, motion.features, skel);
  res.set_header("X-Mogo-Aligned-Text", motion.alignment.text);
  if (rig) {
    const auto m = Retargeter(*rig).apply(joints, gen.fps());
    static const std::map<std::string, std::string> types = {
        {"bvh", "text/plain"}, {"npy", "application/octet-stream"}, {"glb", "model/gltf-binary"}};
    if (r.format != "json") return res.set_content(rig_motion_bytes(m, rig->rig(), r.format), types.at(r.format));
    auto body = rig_motion_json(m, rig->rig());
    const auto pose = rig_pose_json(m);
    body["rotations"] = pose["rotations"];
    body["root"] = pose["root"];
    body["alignment"] = motion.alignment.to_json();
    return reply_json(res, 200, body);
  }
  if (r.format == "bvh") return res.set_content(bvh::write(joints, skel, bvh::WriteOptions{gen.fps()}), "text/plain");
  if (r.format == "npy") return res.set_content(npy::serialize(joints), "application/octet-stream");
  if (r.format == "glb") return res.set_content(gltf_binary(solve_animation(joints, skel, gen.fps())), "model/gltf-binary");
  auto body = motion_json(joints, skel, gen.fps());
  body["alignment"] = motion.alignment.to_json();
  reply_json(res, 200, body);
}

void MotionServer::Impl::stream(const httplib::Request& req, httplib::Response& res) {
  auto r = parse_motion_request(req.body, true, opt.max_stream_seconds);
  std::shared_ptr<SlotPool::Ticket> ticket = pool.reserve();
  if (!ticket) {
    res.set_header("Retry-After", "2");
    return reply_error(res, 503, "", "the server is busy: every generation slot and queue place is taken");
  }
  const auto id = new_stream_id();
  auto control = std::make_shared<StreamControl>();
  control->text = r.text;
  {
    std::lock_guard<std::mutex> lock(streams_m);
    streams[id] = control;
  }
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Stream-Id", id);
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, r, id, control, ticket](size_t, httplib::DataSink& sink) {
        auto send = [&](const std::string& s) { return sink.write(s.data(), s.size()); };
        const auto skel = gen.skeleton();
        std::optional<Retargeter> rig;  // the stream's own: its floor is fixed by the first frames
        json start = {{"id", id}, {"fps", gen.fps()}, {"text", r.text}, {"joints", skel.joint_names}, {"parents", skel.parents}};
        if (!r.rig.empty()) {
          rig.emplace(*rig_named(r.rig));
          start["rig"] = r.rig;
          start["joints"] = rig->rig().names;
          start["parents"] = rig->rig().parents;
        }
        if (!send(sse("start", start))) return false;
        auto gone = [&] { return stopping.load() || !sink.is_writable(); };
        if (!ticket->enter(gone)) return false;
        StreamOptions so;
        so.sampling = r.sampling;
        // seconds > 0: that long; 0: until the client leaves (capped); absent: until the model ends it.
        so.max_frames = frames_in(r.has_seconds && r.seconds > 0 ? r.seconds : opt.max_stream_seconds, gen.fps());
        so.stop_at_end = !r.has_seconds;
        so.foot_lock = opt.foot_lock;
        so.batcher = &batcher;  // every running stream's next step in one pass
        torch::NoGradGuard no_grad;
        // A prompt with several actions ("walk, then wave") plays them in turn, as in the CLI.
        const auto stream = open_prompt_stream(gen, r.text, r.has_seconds ? r.seconds : 0.0, so);
        MotionStream& s = *stream;
        if (!send(sse("aligned", s.alignment().to_json()))) return false;
        int64_t changes = s.text_changes();
        // Paced: at most `lead` seconds of motion ahead of the client's playback, so that a change
        // of text shows within about that much of the frame being played.
        std::optional<Pacer> pacer;
        if (r.pace.enabled) pacer.emplace(r.pace.lead_seconds, gen.fps());
        while (!s.done() && !stopping) {
          if (!sink.is_writable()) return false;  // the client left: its generation stops here
          if (pacer && !pacer->wait([&] { return !gone(); })) {
            if (stopping) break;
            return false;
          }
          {
            std::lock_guard<std::mutex> lock(control->m);
            if (control->next_text) {
              s.set_text(*control->next_text);
              control->next_text.reset();
            }
          }
          auto chunk = s.step();
          if (s.text_changes() != changes) {  // a client's change, or the prompt's next action
            changes = s.text_changes();
            {
              std::lock_guard<std::mutex> lock(control->m);
              control->text = s.text();
            }
            auto a = s.alignment().to_json();
            a["from_step"] = s.text_from_step();  // the first latent step drawn under the new text
            if (!send(sse("aligned", a))) return false;
          }
          if (chunk.frames() == 0) continue;
          const bool sent = hand_out(chunk, pacer ? &*pacer : nullptr, s.downsample(), [&] { return !gone(); }, [&](const MotionChunk& c) {
            {
              std::lock_guard<std::mutex> lock(control->m);
              control->frames = c.first_frame + c.frames();
            }
            if (!rig) return send(sse("frames", {{"t0", c.first_frame}, {"text", s.text()}, {"joints", joints_json(c.joints)}}));
            const auto m = rig->apply(c.joints, gen.fps());
            auto event = rig_pose_json(m);
            event["t0"] = c.first_frame;
            event["text"] = s.text();
            return send(sse("frames", event));
          });
          if (!sent) {
            if (stopping) break;
            return false;
          }
        }
        send(sse("done", {{"frames", s.frames_emitted()}, {"reason", stopping ? "shutdown" : "end"}}));
        sink.done();
        return true;
      },
      [this, id](bool) {
        std::lock_guard<std::mutex> lock(streams_m);
        streams.erase(id);
      });
}

void MotionServer::Impl::change_text(const httplib::Request& req, httplib::Response& res) {
  const std::string id = req.matches[1];
  const auto text = parse_text_request(req.body);
  std::shared_ptr<StreamControl> c;
  {
    std::lock_guard<std::mutex> lock(streams_m);
    auto it = streams.find(id);
    if (it != streams.end()) c = it->second;
  }
  if (!c) return reply_error(res, 404, "id", "no running stream '" + id + "'");
  std::lock_guard<std::mutex> lock(c->m);
  c->next_text = text;
  reply_json(res, 200, {{"id", id}, {"text", text}, {"frames_sent", c->frames}});
}

void MotionServer::Impl::export_frames(const httplib::Request& req, httplib::Response& res) {
  const auto skel = gen.skeleton();
  const auto r = parse_export_request(req.body, skel.num_joints());
  try {
    if (r.format == "bvh") return res.set_content(bvh::write(r.joints, skel, bvh::WriteOptions{gen.fps()}), "text/plain");
    if (r.format == "glb") return res.set_content(gltf_binary(solve_animation(r.joints, skel, gen.fps())), "model/gltf-binary");
  } catch (const Error& e) {
    throw RequestError("frames", std::string("'frames' cannot be exported: ") + e.what());
  }
  reply_json(res, 200, motion_json(r.joints, skel, gen.fps()));
}

void MotionServer::Impl::routes() {
  // Every handler's errors become JSON: RequestError -> 400 naming the field, mogo::Error -> 400,
  // anything else -> 500 with no internal text (the details go to the log only).
  auto guarded = [](auto handler) {
    return [handler](const httplib::Request& req, httplib::Response& res) {
      try {
        handler(req, res);
      } catch (const RequestError& e) {
        reply_error(res, 400, e.field, e.what());
      } catch (const Error& e) {
        reply_error(res, 400, "", e.what());
      } catch (const std::exception& e) {
        log_warning(std::string("serve: ") + req.method + " " + req.path + ": " + e.what());
        reply_error(res, 500, "", "internal error (the server log has the details)");
      }
    };
  };
  http.Get("/health", guarded([this](const httplib::Request&, httplib::Response& res) {
    reply_json(res, 200, {{"status", stopping ? "stopping" : "ok"}, {"busy", pool.busy()}});
  }));
  http.Get("/v1/model", guarded([this](const httplib::Request&, httplib::Response& res) { reply_json(res, 200, model_card()); }));
  http.Post("/v1/generate", guarded([this](const httplib::Request& q, httplib::Response& s) { generate(q, s); }));
  http.Post("/v1/stream", guarded([this](const httplib::Request& q, httplib::Response& s) { stream(q, s); }));
  http.Post(R"(/v1/stream/([0-9a-f]+)/text)", guarded([this](const httplib::Request& q, httplib::Response& s) { change_text(q, s); }));
  http.Post("/v1/export", guarded([this](const httplib::Request& q, httplib::Response& s) { export_frames(q, s); }));
  http.Post("/v1/rigs", guarded([this](const httplib::Request& q, httplib::Response& s) { add_rig(q, s); }));
  const auto web = opt.web_dir.empty() ? std::string(MOGO_SOURCE_DIR) + "/web" : opt.web_dir;
  // Static files from the bundled web folder only (httplib refuses paths that climb out of it).
  require(http.set_mount_point("/", web + "/public"), "serve: no web page at " + web + "/public");
  http.set_mount_point("/vendor/three", web + "/node_modules/three");
  // Method, origin, key, content type and length are checked before any body is read.
  GateOptions gate{opt.api_key, is_loopback_host(opt.host), opt.max_body_bytes};
  http.set_pre_routing_handler([gate](const httplib::Request& req, httplib::Response& res) {
    const auto v = check_request(gate_request(req), gate);
    if (v.pass()) return httplib::Server::HandlerResponse::Unhandled;
    if (!v.allow.empty()) res.set_header("Allow", v.allow);
    if (v.status == 401) res.set_header("WWW-Authenticate", "Bearer");
    reply_error(res, v.status, v.field, v.message);
    return httplib::Server::HandlerResponse::Handled;
  });
  http.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    log_warning("serve: " + req.method + " " + req.path + ": " + what);
    reply_error(res, 500, "", "internal error (the server log has the details)");
  });
  http.set_error_handler([max = opt.max_body_bytes](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) reply_error(res, res.status, res.status == 404 ? "path" : "request", status_text(res.status, max));
  });
  http.set_payload_max_length(opt.max_body_bytes);
  http.set_read_timeout(opt.timeout_seconds, 0);
  http.set_write_timeout(opt.timeout_seconds, 0);
  // One request per connection: a request refused before its body was read leaves that body
  // unread, and it must not be taken for the next request.
  http.set_keep_alive_max_count(1);
  const size_t min_threads = static_cast<size_t>(opt.parallel + opt.queue + 4);
  const size_t max_threads = static_cast<size_t>(std::max(opt.max_connections, opt.parallel + opt.queue + 4));
  http.new_task_queue = [min_threads, max_threads] { return new ConnectionPool(min_threads, max_threads); };
}

MotionServer::MotionServer(Generator& generator, ServerOptions options)
    : impl_(std::make_unique<Impl>(generator, std::move(options))) {
  require(impl_->opt.parallel >= 1 && impl_->opt.parallel <= 64, "--parallel must be in [1, 64]");
  require(impl_->opt.queue >= 0 && impl_->opt.queue <= 1024, "--queue must be in [0, 1024]");
  require(impl_->opt.port >= 0 && impl_->opt.port <= 65535, "--port must be in [0, 65535]");
  require(impl_->opt.max_stream_seconds > 0 && impl_->opt.max_stream_seconds <= 86400, "--max-seconds must be in (0, 86400]");
  require(impl_->opt.max_connections >= 1 && impl_->opt.max_connections <= 4096, "--max-connections must be in [1, 4096]");
  // Anyone who can reach a non-loopback address could drive the server (and its CPU): a key, or
  // a deliberate --insecure.
  require(is_loopback_host(impl_->opt.host) || !impl_->opt.api_key.empty() || impl_->opt.insecure,
          "serve: --host " + impl_->opt.host + " is reachable from other machines; give --api-key (or --api-key-file), "
          "or --insecure to serve without one");
  impl_->routes();
}

MotionServer::~MotionServer() { stop(); }

int MotionServer::bind() {
  auto& o = impl_->opt;
  impl_->bound_port = o.port == 0 ? impl_->http.bind_to_any_port(o.host) : (impl_->http.bind_to_port(o.host, o.port) ? o.port : -1);
  require(impl_->bound_port > 0, "serve: cannot listen on " + o.host + ":" + std::to_string(o.port) + " (in use, or not an address of this machine)");
  return impl_->bound_port;
}

void MotionServer::run() { impl_->http.listen_after_bind(); }

void MotionServer::stop() {
  impl_->stopping = true;
  // Streams notice `stopping` between steps and end with a "done" event; then the listener closes.
  for (int i = 0; i < 100 && impl_->pool.busy() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  impl_->http.stop();
}

int MotionServer::port() const { return impl_->bound_port; }
CombinerCounts MotionServer::steps_batched() const { return impl_->batcher.counts(); }
CombinerCounts MotionServer::decodes_batched() const { return impl_->batcher.decode_counts(); }

int MotionServer::busy() const { return impl_->pool.busy(); }

}  // namespace mogo::serve
