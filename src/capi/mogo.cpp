// The C API (include/mogo.h) over the C++ engine: handles are checked against a registry of live
// objects (so NULL and freed handles are reported, not dereferenced), every entry point catches
// everything, and errors are kept per thread for mogo_last_error().
#include "mogo.h"

#include <atomic>
#include <cstring>
#include <deque>
#include <optional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/runtime.hpp"
#include "engine/generator.hpp"
#include "engine/pacer.hpp"
#include "engine/timeline.hpp"
#include "engine/stream.hpp"
#include "export/motion_writer.hpp"

struct mogo_model {
  std::unique_ptr<mogo::Generator> generator;
  mogo::Skeleton skeleton;
};

struct mogo_rig {
  const mogo_model* model;
  mogo::Retargeter retargeter;
  std::string report;  // mogo_rig_report_json
};

// A final frame not yet handed out: the model's joints [J,3] and features [D]; on a rig, its pose.
struct PendingFrame {
  torch::Tensor joints, features, rig_joints, rig_rotations, rig_root;  // rig_*: [Jr,3], [Jr,4], [3] float
};

struct mogo_session {
  mogo_model* model;
  std::unique_ptr<mogo::MotionStream> stream;
  std::optional<mogo::Retargeter> rig;  // the session's own (its floor is fixed by the first frames)
  std::deque<PendingFrame> pending;
  int64_t next_index = 0;      // stream index of pending.front()
  int64_t returned = 0;        // frames handed out
  std::atomic<bool> cancel{false};
  std::optional<mogo::Pacer> pacer;  // realtime sessions
  std::string alignment_json;  // mogo_session_alignment_json's last answer
};

namespace {

thread_local std::string t_error;

std::mutex g_mutex;
std::unordered_set<const void*> g_live;  // models and sessions not yet freed

void remember(const void* h) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_live.insert(h);
}
void forget(const void* h) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_live.erase(h);
}
bool live(const void* h) {
  std::lock_guard<std::mutex> lock(g_mutex);
  return h && g_live.count(h) > 0;
}

struct ApiError {
  mogo_status status;
  std::string what;
};

void fail_if(bool bad, mogo_status status, const std::string& what) {
  if (bad) throw ApiError{status, what};
}

void check_handle(const void* h, const char* kind) {
  fail_if(!h, MOGO_ERR_BAD_HANDLE, std::string(kind) + " is NULL");
  fail_if(!live(h), MOGO_ERR_BAD_HANDLE, std::string(kind) + " was freed or never opened");
}

// Runs `body`, turning every exception into a status and this thread's last error.
template <class F>
mogo_status guarded(F&& body) {
  try {
    torch::NoGradGuard no_grad;  // per thread
    body();
    t_error.clear();
    return MOGO_OK;
  } catch (const ApiError& e) {
    t_error = e.what;
    return e.status;
  } catch (const mogo::Error& e) {
    t_error = e.what();
    return MOGO_ERR_INVALID_ARGUMENT;
  } catch (const std::exception& e) {
    t_error = e.what();
    return MOGO_ERR_RUNTIME;
  } catch (...) {
    t_error = "unknown error";
    return MOGO_ERR_RUNTIME;
  }
}

std::string text_arg(const char* text) {
  fail_if(!text, MOGO_ERR_INVALID_ARGUMENT, "text is NULL");
  return text;
}

mogo::StreamOptions stream_options(const mogo_session_params& p, double fps) {
  fail_if(!(p.seconds >= 0) || p.seconds > 1e7, MOGO_ERR_INVALID_ARGUMENT, "seconds must be in [0, 1e7]");
  mogo::StreamOptions o;
  o.sampling.seed = p.seed;
  o.sampling.temperature = p.temperature;
  o.sampling.top_k = p.top_k;
  o.sampling.guidance = p.guidance;
  o.max_frames = p.seconds > 0 ? mogo::frames_in(p.seconds, fps) : 0;
  o.stop_at_end = p.stop_at_end != 0;
  o.window = p.window;
  o.switch_context = p.switch_context;
  const auto problem = o.check();  // the engine's ranges, named as in mogo_session_params
  fail_if(!problem.field.empty(), MOGO_ERR_INVALID_ARGUMENT, problem.field + " " + problem.message);
  fail_if(p.realtime != 0 && p.realtime != 1, MOGO_ERR_INVALID_ARGUMENT, "realtime must be 0 or 1");
  fail_if(p.foot_lock != 0 && p.foot_lock != 1, MOGO_ERR_INVALID_ARGUMENT, "foot_lock must be 0 or 1");
  o.foot_lock = p.foot_lock != 0;
  mogo::PaceOptions pace;
  pace.lead_seconds = p.lead_seconds;
  const auto lead_problem = pace.check();
  fail_if(!lead_problem.empty(), MOGO_ERR_INVALID_ARGUMENT, "lead_seconds " + lead_problem);
  return o;
}

mogo_session* open_session(mogo_model* model, const char* text, const mogo_session_params& params, const torch::Tensor& prefix) {
  mogo_session* out = nullptr;
  guarded([&] {
    check_handle(model, "model");
    auto s = std::make_unique<mogo_session>();
    s->model = model;
    // A prompt with several actions ("walk, then wave") plays them in turn, as in the CLI.
    s->stream = mogo::open_prompt_stream(*model->generator, text_arg(text), params.seconds,
                                         stream_options(params, model->generator->fps()), prefix);
    if (params.realtime) s->pacer.emplace(params.lead_seconds, model->generator->fps());
    if (params.rig) {
      check_handle(params.rig, "rig");
      fail_if(params.rig->model != model, MOGO_ERR_INVALID_ARGUMENT, "the rig was loaded for another model");
      s->rig.emplace(params.rig->retargeter);
    }
    out = s.release();
    remember(out);
  });
  return out;
}

// Realtime sessions: waits until the next frame may be handed out. Cancellable.
void wait_until_due(mogo_session* s) {
  if (s->pacer) s->pacer->wait([s] { return !s->cancel.load(); });
  fail_if(s->cancel.exchange(false), MOGO_ERR_CANCELLED, "cancelled");
}

// Draws steps until a frame is pending or the stream is done. Cancellable between steps.
void fill(mogo_session* s) {
  while (s->pending.empty() && !s->stream->done()) {
    wait_until_due(s);
    auto chunk = s->stream->step();
    if (chunk.frames() == 0) continue;
    mogo::RigMotion m;
    if (s->rig) m = s->rig->apply(chunk.joints, s->stream->fps());
    for (int64_t i = 0; i < chunk.frames(); ++i) {
      PendingFrame f{chunk.joints[i].contiguous(), chunk.features[i].contiguous(), {}, {}, {}};
      if (s->rig) {
        f.rig_joints = m.positions[i].to(torch::kFloat).contiguous();
        f.rig_rotations = m.rotations[i].to(torch::kFloat).contiguous();
        f.rig_root = m.root_translation[i].to(torch::kFloat).contiguous();
      }
      s->pending.push_back(std::move(f));
    }
  }
}

mogo_session* session_arg(mogo_session* s) {
  check_handle(s, "session");
  return s;
}

}  // namespace

extern "C" {

mogo_model_params mogo_model_default_params(void) {
  mogo::AlignOptions a;
  return mogo_model_params{0, 0, 1, nullptr, a.timeout_seconds};
}

mogo_session_params mogo_session_default_params(void) {
  mogo::SamplingParams d;
  mogo::StreamOptions s;
  return mogo_session_params{d.seed, static_cast<float>(d.temperature), static_cast<int>(d.top_k),
                             static_cast<float>(d.guidance), 0.0f, 0, 0, static_cast<int>(s.switch_context), 0,
                             static_cast<float>(mogo::PaceOptions{}.lead_seconds), 1, nullptr};
}

mogo_model* mogo_model_load(const char* path, mogo_model_params params) {
  mogo_model* out = nullptr;
  auto status = guarded([&] {
    fail_if(params.n_threads < 0, MOGO_ERR_INVALID_ARGUMENT, "n_threads must be >= 0");
    fail_if(!(params.align_timeout > 0), MOGO_ERR_INVALID_ARGUMENT, "align_timeout must be > 0 seconds");
    mogo::configure_threads(params.n_threads);
    const std::string file = path && *path ? path : mogo::default_model_path();
    auto device = mogo::pick_device(params.use_gpu ? "auto" : "cpu");
    auto m = std::make_unique<mogo_model>();
    try {
      m->generator = std::make_unique<mogo::Generator>(mogo::Generator::load(file, device));
    } catch (const std::exception& e) {
      throw ApiError{MOGO_ERR_MODEL, e.what()};
    }
    mogo::AlignOptions align;
    align.enabled = params.align != 0;
    align.command = params.align_cmd ? params.align_cmd : "";
    align.timeout_seconds = params.align_timeout;
    m->generator->set_alignment(align);
    m->skeleton = m->generator->skeleton();
    out = m.release();
    remember(out);
  });
  return status == MOGO_OK ? out : nullptr;
}

void mogo_model_free(mogo_model* model) {
  if (!model || !live(model)) return;
  forget(model);
  delete model;
}

int mogo_model_n_joints(const mogo_model* model) { return live(model) ? static_cast<int>(model->skeleton.num_joints()) : -1; }

int mogo_model_n_features(const mogo_model* model) {
  return live(model) ? static_cast<int>(model->generator->model().feature_dim()) : -1;
}

const char* mogo_model_joint_name(const mogo_model* model, int joint) {
  if (!live(model) || joint < 0 || joint >= model->skeleton.num_joints()) return nullptr;
  return model->skeleton.joint_names[joint].c_str();
}

int mogo_model_joint_parent(const mogo_model* model, int joint) {
  if (!live(model) || joint < 0 || joint >= model->skeleton.num_joints()) return -1;
  return static_cast<int>(model->skeleton.parents[joint]);
}

double mogo_model_fps(const mogo_model* model) { return live(model) ? model->generator->fps() : -1.0; }

mogo_session* mogo_session_open(mogo_model* model, const char* text, mogo_session_params params) {
  return open_session(model, text, params, {});
}

mogo_session* mogo_session_open_from(mogo_model* model, const char* text, mogo_session_params params,
                                     const float* features, int64_t n_frames) {
  torch::Tensor prefix;
  if (guarded([&] {
        check_handle(model, "model");
        fail_if(!features, MOGO_ERR_INVALID_ARGUMENT, "features is NULL");
        fail_if(n_frames < 4 || n_frames > 10000000, MOGO_ERR_INVALID_ARGUMENT, "n_frames must be in [4, 1e7]");
        const int64_t D = model->generator->model().feature_dim();
        prefix = torch::from_blob(const_cast<float*>(features), {n_frames, D}, torch::kFloat).clone();
        fail_if(!torch::isfinite(prefix).all().item<bool>(), MOGO_ERR_INVALID_ARGUMENT, "features hold NaN or infinite values");
      }) != MOGO_OK)
    return nullptr;
  return open_session(model, text, params, prefix);
}

void mogo_session_free(mogo_session* session) {
  if (!session || !live(session)) return;
  forget(session);
  delete session;
}

mogo_status mogo_session_set_text(mogo_session* session, const char* text) {
  return guarded([&] { session_arg(session)->stream->set_text(text_arg(text)); });
}

int mogo_session_pull(mogo_session* session, float* joints, int max_frames, int64_t* first_frame) {
  int copied = 0;
  auto status = guarded([&] {
    auto* s = session_arg(session);
    fail_if(!joints, MOGO_ERR_INVALID_ARGUMENT, "joints buffer is NULL");
    fail_if(max_frames <= 0, MOGO_ERR_INVALID_ARGUMENT, "max_frames must be > 0");
    fill(s);
    if (first_frame) *first_frame = s->returned;
    const size_t per = static_cast<size_t>(s->rig ? s->rig->rig().num_joints() : s->model->skeleton.num_joints()) * 3;
    while (copied < max_frames && !s->pending.empty()) {
      if (s->pacer && copied > 0 && s->pacer->wait_seconds() > 0) break;  // realtime: only the frames due now
      if (copied == 0) wait_until_due(s);
      const auto& f = s->pending.front();
      std::memcpy(joints + per * static_cast<size_t>(copied), (s->rig ? f.rig_joints : f.joints).data_ptr<float>(), per * sizeof(float));
      s->pending.pop_front();
      ++copied;
      ++s->returned;
      if (s->pacer) s->pacer->handed_out(s->returned);
    }
  });
  return status == MOGO_OK ? copied : -static_cast<int>(status);
}

mogo_status mogo_session_run(mogo_session* session, double seconds, mogo_frame_callback callback, void* user_data) {
  return guarded([&] {
    auto* s = session_arg(session);
    fail_if(!callback, MOGO_ERR_INVALID_ARGUMENT, "callback is NULL");
    fail_if(!(seconds > 0) || seconds > 1e7, MOGO_ERR_INVALID_ARGUMENT, "seconds must be in (0, 1e7]");
    const int64_t until = s->returned + mogo::frames_in(seconds, s->stream->fps());
    while (s->returned < until) {
      fill(s);
      if (s->pending.empty()) break;  // the stream ended
      wait_until_due(s);
      auto& p = s->pending.front();
      mogo_frame frame{s->returned, static_cast<double>(s->returned) / s->stream->fps(), static_cast<int>(p.joints.size(0)), p.joints.data_ptr<float>(),
                       static_cast<int>(p.features.size(0)), p.features.data_ptr<float>(), 0, nullptr, nullptr, nullptr};
      if (s->rig) {
        frame.n_rig_joints = static_cast<int>(p.rig_joints.size(0));
        frame.rig_joints = p.rig_joints.data_ptr<float>();
        frame.rig_rotations = p.rig_rotations.data_ptr<float>();
        frame.rig_root = p.rig_root.data_ptr<float>();
      }
      const int stop = callback(&frame, user_data);
      s->pending.pop_front();
      ++s->returned;
      if (s->pacer) s->pacer->handed_out(s->returned);
      fail_if(stop != 0, MOGO_ERR_CANCELLED, "cancelled by the frame callback");
    }
  });
}

mogo_status mogo_session_cancel(mogo_session* session) {
  return guarded([&] { session_arg(session)->cancel = true; });
}

int mogo_session_done(const mogo_session* session) {
  if (guarded([&] { check_handle(session, "session"); }) != MOGO_OK) return -1;
  return session->pending.empty() && session->stream->done() ? 1 : 0;
}

int64_t mogo_session_frames(const mogo_session* session) { return live(session) ? session->returned : -1; }

const char* mogo_session_text(const mogo_session* session) {
  return live(session) ? session->stream->text().c_str() : nullptr;
}

const char* mogo_session_aligned_text(const mogo_session* session) {
  return live(session) ? session->stream->alignment().text.c_str() : nullptr;
}

const char* mogo_session_alignment_json(mogo_session* session) {
  if (!live(session)) return nullptr;
  session->alignment_json = session->stream->alignment().to_json().dump();
  return session->alignment_json.c_str();
}

int64_t mogo_session_cache_bytes(const mogo_session* session) { return live(session) ? session->stream->cache_bytes() : -1; }

mogo_status mogo_export(const mogo_model* model, const char* path, const float* joints, int64_t n_frames,
                        const char* rotation_order, int position_channels) {
  return guarded([&] {
    check_handle(model, "model");
    fail_if(!path || !*path, MOGO_ERR_INVALID_ARGUMENT, "path is NULL or empty");
    fail_if(!joints, MOGO_ERR_INVALID_ARGUMENT, "joints is NULL");
    fail_if(n_frames < 1 || n_frames > 10000000, MOGO_ERR_INVALID_ARGUMENT, "n_frames must be in [1, 1e7]");
    const int64_t J = model->skeleton.num_joints();
    auto t = torch::from_blob(const_cast<float*>(joints), {n_frames, J, 3}, torch::kFloat).clone();
    mogo::ExportOptions o;
    o.fps = model->generator->fps();
    if (rotation_order) o.rotation_order = rotation_order;
    o.position_channels = position_channels != 0;
    o.joints_npy = true;
    try {  // its own checks (format, finite, a body) are mogo::Error: MOGO_ERR_INVALID_ARGUMENT
      mogo::write_joints(path, t, model->skeleton, o);
    } catch (const mogo::IoError& e) {
      throw ApiError{MOGO_ERR_IO, e.what()};
    }
  });
}

mogo_rig* mogo_rig_load(const mogo_model* model, const char* path, const char* mapping_path) {
  mogo_rig* out = nullptr;
  auto status = guarded([&] {
    check_handle(model, "model");
    fail_if(!path || !*path, MOGO_ERR_INVALID_ARGUMENT, "path is NULL or empty");
    auto r = std::make_unique<mogo_rig>(
        mogo_rig{model, mogo::load_retargeter(path, model->skeleton, mapping_path ? mapping_path : ""), ""});
    r->report = r->retargeter.report().dump();
    out = r.release();
    remember(out);
  });
  return status == MOGO_OK ? out : nullptr;
}

void mogo_rig_free(mogo_rig* rig) {
  if (!rig || !live(rig)) return;
  forget(rig);
  delete rig;
}

int mogo_rig_n_joints(const mogo_rig* rig) { return live(rig) ? static_cast<int>(rig->retargeter.rig().num_joints()) : -1; }

const char* mogo_rig_joint_name(const mogo_rig* rig, int joint) {
  if (!live(rig) || joint < 0 || joint >= rig->retargeter.rig().num_joints()) return nullptr;
  return rig->retargeter.rig().names[joint].c_str();
}

int mogo_rig_joint_parent(const mogo_rig* rig, int joint) {
  if (!live(rig) || joint < 0 || joint >= rig->retargeter.rig().num_joints()) return -1;
  return static_cast<int>(rig->retargeter.rig().parents[joint]);
}

const char* mogo_rig_report_json(const mogo_rig* rig) { return live(rig) ? rig->report.c_str() : nullptr; }

mogo_status mogo_export_rig(const mogo_rig* rig, const char* path, const float* joints, int64_t n_frames) {
  return guarded([&] {
    check_handle(rig, "rig");
    fail_if(!path || !*path, MOGO_ERR_INVALID_ARGUMENT, "path is NULL or empty");
    fail_if(!joints, MOGO_ERR_INVALID_ARGUMENT, "joints is NULL");
    fail_if(n_frames < 1 || n_frames > 10000000, MOGO_ERR_INVALID_ARGUMENT, "n_frames must be in [1, 1e7]");
    const auto& skel = rig->model->skeleton;
    auto t = torch::from_blob(const_cast<float*>(joints), {n_frames, skel.num_joints(), 3}, torch::kFloat).clone();
    mogo::ExportOptions o;
    o.fps = rig->model->generator->fps();
    o.rig = std::make_shared<const mogo::Retargeter>(rig->retargeter);
    try {
      mogo::write_joints(path, t, skel, o);
    } catch (const mogo::IoError& e) {
      throw ApiError{MOGO_ERR_IO, e.what()};
    }
  });
}

const char* mogo_last_error(void) { return t_error.c_str(); }

void mogo_log_set(mogo_log_callback callback, void* user_data) {
  if (!callback) return mogo::set_log_callback({});
  mogo::set_log_callback([callback, user_data](mogo::LogLevel level, const std::string& message) {
    const mogo_log_level l = level == mogo::LogLevel::Info ? MOGO_LOG_INFO : level == mogo::LogLevel::Warning ? MOGO_LOG_WARN : MOGO_LOG_ERROR;
    callback(l, message.c_str(), user_data);
  });
}

const char* mogo_version(void) { return MOGO_VERSION; }

}  // extern "C"
