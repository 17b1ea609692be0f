// The C API through libmogo.so alone: normal use, and misuse (NULL and freed handles, bad model
// files, bad parameters, cancellation, two sessions on two threads at once).
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>

#include "mogo.h"
#include "../wait.hpp"

namespace {

mogo_model* load_default() {
  mogo_model_params p = mogo_model_default_params();
  p.n_threads = 1;
  mogo_model* m = mogo_model_load(nullptr, p);
  EXPECT_NE(m, nullptr) << mogo_last_error();
  return m;
}

mogo_session_params params(float seconds, uint64_t seed = 7) {
  mogo_session_params p = mogo_session_default_params();
  p.seconds = seconds;
  p.seed = seed;
  return p;
}

// Every frame of a session, pulled in small batches: [frames * joints * 3].
std::vector<float> pull_all(mogo_session* s, int n_joints) {
  std::vector<float> all, buf(5 * n_joints * 3);
  for (;;) {
    int64_t first = -1;
    int n = mogo_session_pull(s, buf.data(), 5, &first);
    EXPECT_GE(n, 0) << mogo_last_error();
    if (n <= 0) break;
    EXPECT_EQ(first * n_joints * 3, static_cast<int64_t>(all.size()));
    all.insert(all.end(), buf.begin(), buf.begin() + n * n_joints * 3);
  }
  return all;
}

// Runs an endless session on another thread, cancels it once 10 frames came, returns the run's status.
mogo_status run_until_cancelled(mogo_session* s, std::atomic<int>* seen_out = nullptr) {
  std::atomic<int> local{0};
  std::atomic<int>& seen = seen_out ? *seen_out : local;
  mogo_status result = MOGO_OK;
  std::thread worker([&] {
    result = mogo_session_run(
        s, 1e6, [](const mogo_frame* f, void* u) { static_cast<std::atomic<int>*>(u)->store(static_cast<int>(f->index) + 1); return 0; },
        &seen);
  });
  const bool running = mogo::test::wait_until([&] { return seen.load() >= 10; }, 300);
  EXPECT_EQ(mogo_session_cancel(s), MOGO_OK);
  worker.join();
  EXPECT_TRUE(running) << "no 10 frames within 300 s";
  return result;
}

}  // namespace

TEST(CApi, DefaultsAndModelInfo) {
  mogo_model* m = load_default();
  ASSERT_NE(m, nullptr);
  EXPECT_GT(mogo_model_n_joints(m), 1);
  EXPECT_EQ(mogo_model_n_features(m), 12 * mogo_model_n_joints(m) - 1);
  EXPECT_EQ(mogo_model_joint_parent(m, 0), -1);
  EXPECT_NE(mogo_model_joint_name(m, 0), nullptr);
  EXPECT_EQ(mogo_model_joint_name(m, 999), nullptr);
  EXPECT_DOUBLE_EQ(mogo_model_fps(m), 20.0);
  EXPECT_STRNE(mogo_version(), "");
  mogo_model_params mp = mogo_model_default_params();
  EXPECT_EQ(mp.align, 1);
  EXPECT_EQ(mp.align_cmd, nullptr);
  EXPECT_GT(mp.align_timeout, 0);
  mogo_session_params p = mogo_session_default_params();
  EXPECT_GT(p.guidance, 1.0f);
  EXPECT_EQ(p.seconds, 0.0f);
  mogo_model_free(m);
}

TEST(CApi, FixedLengthStreamEndsWithEveryFrame) {
  mogo_model* m = load_default();
  mogo_session* s = mogo_session_open(m, "a person waves", params(2.0f));
  ASSERT_NE(s, nullptr) << mogo_last_error();
  const int J = mogo_model_n_joints(m);
  auto all = pull_all(s, J);
  EXPECT_EQ(all.size(), static_cast<size_t>(40 * J * 3));
  for (float v : all) ASSERT_TRUE(std::isfinite(v));
  EXPECT_EQ(mogo_session_done(s), 1);
  EXPECT_EQ(mogo_session_frames(s), 40);
  float buf[64 * 3];
  EXPECT_EQ(mogo_session_pull(s, buf, 1, nullptr), 0);  // ended: nothing more, no error
  mogo_session_free(s);
  mogo_model_free(m);
}

TEST(CApi, NullHandlesAreErrorsNotCrashes) {
  float buf[64 * 3];
  EXPECT_EQ(mogo_session_open(nullptr, "a person waves", params(1)), nullptr);
  EXPECT_NE(std::string(mogo_last_error()).find("model is NULL"), std::string::npos) << mogo_last_error();
  EXPECT_EQ(mogo_session_pull(nullptr, buf, 1, nullptr), -MOGO_ERR_BAD_HANDLE);
  EXPECT_NE(std::string(mogo_last_error()).find("session is NULL"), std::string::npos);
  EXPECT_EQ(mogo_session_set_text(nullptr, "x"), MOGO_ERR_BAD_HANDLE);
  EXPECT_EQ(mogo_session_cancel(nullptr), MOGO_ERR_BAD_HANDLE);
  EXPECT_EQ(mogo_session_run(nullptr, 1.0, [](const mogo_frame*, void*) { return 0; }, nullptr), MOGO_ERR_BAD_HANDLE);
  EXPECT_EQ(mogo_model_n_joints(nullptr), -1);
  EXPECT_EQ(mogo_session_frames(nullptr), -1);
  EXPECT_EQ(mogo_session_done(nullptr), -1);
  EXPECT_EQ(mogo_session_text(nullptr), nullptr);
  EXPECT_EQ(mogo_session_aligned_text(nullptr), nullptr);
  EXPECT_EQ(mogo_session_alignment_json(nullptr), nullptr);
  mogo_session_free(nullptr);
  mogo_model_free(nullptr);

  mogo_model* m = load_default();
  EXPECT_EQ(mogo_session_open(m, nullptr, params(1)), nullptr);
  EXPECT_NE(std::string(mogo_last_error()).find("text is NULL"), std::string::npos);
  EXPECT_EQ(mogo_session_open(m, "   ", params(1)), nullptr);
  EXPECT_NE(std::string(mogo_last_error()).find("empty"), std::string::npos) << mogo_last_error();
  mogo_session* s = mogo_session_open(m, "a person waves", params(1));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(mogo_session_pull(s, nullptr, 1, nullptr), -MOGO_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mogo_session_pull(s, buf, 0, nullptr), -MOGO_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mogo_session_run(s, 1.0, nullptr, nullptr), MOGO_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mogo_session_set_text(s, ""), MOGO_ERR_INVALID_ARGUMENT);
  mogo_session_free(s);
  mogo_model_free(m);
}

TEST(CApi, FreedHandlesAreReported) {
  mogo_model* m = load_default();
  mogo_session* s = mogo_session_open(m, "a person waves", params(1));
  ASSERT_NE(s, nullptr);
  mogo_session_free(s);
  float buf[64 * 3];
  EXPECT_EQ(mogo_session_pull(s, buf, 1, nullptr), -MOGO_ERR_BAD_HANDLE);
  EXPECT_NE(std::string(mogo_last_error()).find("freed"), std::string::npos) << mogo_last_error();
  EXPECT_EQ(mogo_session_set_text(s, "a person jumps"), MOGO_ERR_BAD_HANDLE);
  EXPECT_EQ(mogo_session_done(s), -1);  // not "still running": a bad handle
  EXPECT_NE(std::string(mogo_last_error()).find("freed"), std::string::npos) << mogo_last_error();
  mogo_session_free(s);  // a second free is ignored
  mogo_model_free(m);
  EXPECT_EQ(mogo_session_open(m, "a person waves", params(1)), nullptr);
  EXPECT_NE(std::string(mogo_last_error()).find("freed"), std::string::npos);
  mogo_model_free(m);
}

TEST(CApi, BadModelFilesAndParameters) {
  mogo_model_params p = mogo_model_default_params();
  p.n_threads = 1;
  EXPECT_EQ(mogo_model_load("/nonexistent/model.pt", p), nullptr);
  EXPECT_NE(std::string(mogo_last_error()).find("/nonexistent/model.pt"), std::string::npos) << mogo_last_error();
  const std::string junk = testing::TempDir() + "/junk_model.pt";
  std::ofstream(junk) << "this is not a model";
  EXPECT_EQ(mogo_model_load(junk.c_str(), p), nullptr);
  EXPECT_NE(std::string(mogo_last_error()).find("junk_model.pt"), std::string::npos) << mogo_last_error();
  p.n_threads = -3;
  EXPECT_EQ(mogo_model_load(nullptr, p), nullptr);
  p.n_threads = 1;
  p.align_timeout = 0;
  EXPECT_EQ(mogo_model_load(nullptr, p), nullptr);
  EXPECT_NE(std::string(mogo_last_error()).find("align_timeout"), std::string::npos) << mogo_last_error();
  // Alignment off: the text encoder gets the text as given.
  p = mogo_model_default_params();
  p.n_threads = 1;
  p.align = 0;
  mogo_model* raw = mogo_model_load(nullptr, p);
  ASSERT_NE(raw, nullptr) << mogo_last_error();
  mogo_session* rs = mogo_session_open(raw, "an individual strolls", params(1));
  ASSERT_NE(rs, nullptr) << mogo_last_error();
  EXPECT_STREQ(mogo_session_aligned_text(rs), "an individual strolls");
  mogo_session_free(rs);
  mogo_model_free(raw);

  mogo_model* m = load_default();
  mogo_session_params bad = params(1);
  bad.temperature = -1;
  EXPECT_EQ(mogo_session_open(m, "a person waves", bad), nullptr);
  EXPECT_NE(std::string(mogo_last_error()).find("temperature"), std::string::npos);
  bad = params(1);
  bad.seconds = NAN;
  EXPECT_EQ(mogo_session_open(m, "a person waves", bad), nullptr);
  bad = params(1, 4294967296ull);  // 2^32 used to be seed 0
  EXPECT_EQ(mogo_session_open(m, "a person waves", bad), nullptr);
  EXPECT_NE(std::string(mogo_last_error()).find("seed"), std::string::npos) << mogo_last_error();
  mogo_model_free(m);
}

TEST(CApi, ExportsPulledFramesWithTheSameWriters) {
  mogo_model* m = load_default();
  mogo_session* s = mogo_session_open(m, "a person waves", params(2.0f));
  const int J = mogo_model_n_joints(m);
  auto frames = pull_all(s, J);
  const int64_t n = static_cast<int64_t>(frames.size()) / (J * 3);
  const std::string dir = testing::TempDir();
  for (const char* ext : {".bvh", ".glb", ".gltf", ".json", ".npy"}) {
    const std::string path = dir + "/capi_export" + ext;
    ASSERT_EQ(mogo_export(m, path.c_str(), frames.data(), n, nullptr, 0), MOGO_OK) << ext << ": " << mogo_last_error();
    std::ifstream in(path, std::ios::binary);
    std::string head(4, '\0');
    in.read(&head[0], 4);
    const std::string e = ext;
    if (e == ".bvh" || e == ".glb") {
      EXPECT_EQ(head, e == ".bvh" ? "HIER" : "glTF");
    }
  }
  EXPECT_EQ(mogo_export(m, (dir + "/x.fbx").c_str(), frames.data(), n, nullptr, 0), MOGO_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mogo_last_error()).find("unknown output format"), std::string::npos) << mogo_last_error();
  EXPECT_EQ(mogo_export(m, (dir + "/x.bvh").c_str(), frames.data(), n, "XXZ", 0), MOGO_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mogo_export(m, (dir + "/x.bvh").c_str(), nullptr, n, nullptr, 0), MOGO_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mogo_export(nullptr, (dir + "/x.bvh").c_str(), frames.data(), n, nullptr, 0), MOGO_ERR_BAD_HANDLE);
  mogo_session_free(s);
  mogo_model_free(m);
}

TEST(CApi, TwoSessionsOnTwoThreadsMatchRunningThemAlone) {
  mogo_model* m = load_default();
  const int J = mogo_model_n_joints(m);
  auto run = [&](const char* text, uint64_t seed) {
    mogo_session* s = mogo_session_open(m, text, params(3.0f, seed));
    EXPECT_NE(s, nullptr);
    auto frames = pull_all(s, J);
    mogo_session_free(s);
    return frames;
  };
  const auto alone_a = run("a person waves", 1), alone_b = run("a person jumps", 2);
  std::vector<float> a, b;
  std::thread ta([&] { a = run("a person waves", 1); });
  std::thread tb([&] { b = run("a person jumps", 2); });
  ta.join();
  tb.join();
  EXPECT_EQ(a, alone_a);
  EXPECT_EQ(b, alone_b);
  EXPECT_NE(a, b);
  mogo_model_free(m);
}

TEST(CApi, CancelFromAnotherThreadAndFromTheCallback) {
  mogo_model* m = load_default();
  mogo_session* s = mogo_session_open(m, "a person walks forward", params(0.0f));  // never ends by itself
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(run_until_cancelled(s), MOGO_ERR_CANCELLED);
  // The session stays usable after a cancel; a callback can stop a run too.
  int calls = 0;
  EXPECT_EQ(mogo_session_run(s, 10.0, [](const mogo_frame*, void* u) { return ++*static_cast<int*>(u) == 3 ? 1 : 0; }, &calls),
            MOGO_ERR_CANCELLED);
  EXPECT_EQ(calls, 3);
  mogo_session_free(s);
  mogo_model_free(m);
}

TEST(CApi, SetTextAndContinueGivenFeatures) {
  mogo_model* m = load_default();
  const int D = mogo_model_n_features(m);
  mogo_session* s = mogo_session_open(m, "a person walks forward", params(0.0f));
  ASSERT_NE(s, nullptr);
  struct Collected {
    std::vector<float> features;
    int frames = 0;
  } got;
  auto collect = [](const mogo_frame* f, void* u) {
    auto* c = static_cast<Collected*>(u);
    c->features.insert(c->features.end(), f->features, f->features + f->n_features);
    ++c->frames;
    return 0;
  };
  ASSERT_EQ(mogo_session_run(s, 2.0, collect, &got), MOGO_OK) << mogo_last_error();
  EXPECT_EQ(got.frames, 40);
  EXPECT_STREQ(mogo_session_aligned_text(s), "a person walks forward");
  ASSERT_EQ(mogo_session_set_text(s, "an individual strolls"), MOGO_OK);
  EXPECT_STREQ(mogo_session_text(s), "an individual strolls");
  // Read by the shipped model's meaning encoder as walking, and aligned to a caption of it.
  EXPECT_NE(std::string(mogo_session_aligned_text(s)).find("walk"), std::string::npos) << mogo_session_aligned_text(s);
  EXPECT_NE(std::string(mogo_session_alignment_json(s)).find("\"action\":\"walk\""), std::string::npos)
      << mogo_session_alignment_json(s);
  ASSERT_EQ(mogo_session_run(s, 1.0, collect, &got), MOGO_OK);
  EXPECT_EQ(mogo_session_frames(s), 60);
  EXPECT_GT(mogo_session_cache_bytes(s), 0);
  mogo_session_free(s);

  // Continue those 3 s: the given frames come back first, unchanged, then 1 s more.
  mogo_session* c = mogo_session_open_from(m, "a person sits down", params(1.0f), got.features.data(), 60);
  ASSERT_NE(c, nullptr) << mogo_last_error();
  Collected cont;
  ASSERT_EQ(mogo_session_run(c, 100.0, collect, &cont), MOGO_OK) << mogo_last_error();
  EXPECT_EQ(cont.frames, 80);
  for (int i = 0; i < 60 * D; ++i) ASSERT_EQ(cont.features[i], got.features[i]) << i;
  EXPECT_EQ(mogo_session_open_from(m, "a person sits down", params(1.0f), got.features.data(), 2), nullptr);
  EXPECT_EQ(mogo_session_open_from(m, "a person sits down", params(1.0f), nullptr, 60), nullptr);
  mogo_session_free(c);
  mogo_model_free(m);
}

TEST(CApi, APromptWithSeveralActionsPlaysThemInTurn) {
  mogo_model* m = load_default();
  ASSERT_NE(m, nullptr) << mogo_last_error();
  // 6 s shared by two actions: the second takes over at 3 s.
  mogo_session* s = mogo_session_open(m, "a person walks forward, then waves the right hand", params(6.0f));
  ASSERT_NE(s, nullptr) << mogo_last_error();
  EXPECT_STREQ(mogo_session_aligned_text(s), "a person walks forward");
  int frames = 0;
  auto count = [](const mogo_frame*, void* u) {
    ++*static_cast<int*>(u);
    return 0;
  };
  ASSERT_EQ(mogo_session_run(s, 100.0, count, &frames), MOGO_OK) << mogo_last_error();
  EXPECT_EQ(frames, 120);
  EXPECT_STREQ(mogo_session_aligned_text(s), "a person waves the right hand");
  mogo_session_free(s);
  mogo_model_free(m);
}

TEST(CApi, LogCallbackVersionMacrosAndIoErrors) {
  // The version macros of the header are the library's version.
  EXPECT_EQ(std::string(mogo_version()), std::to_string(MOGO_VERSION_MAJOR) + "." + std::to_string(MOGO_VERSION_MINOR) + "." +
                                             std::to_string(MOGO_VERSION_PATCH));
  // The library's warnings reach the callback (here: a prompt asking for nothing the model knows).
  struct Seen {
    std::vector<std::pair<mogo_log_level, std::string>> lines;
  } seen;
  mogo_log_set([](mogo_log_level level, const char* message, void* user) { static_cast<Seen*>(user)->lines.emplace_back(level, message); },
               &seen);
  mogo_model* m = load_default();
  mogo_session* s = mogo_session_open(m, "xyzzy plugh", params(1));
  ASSERT_NE(s, nullptr) << mogo_last_error();
  mogo_session_free(s);
  mogo_log_set(nullptr, nullptr);  // back to stderr
  ASSERT_FALSE(seen.lines.empty());
  EXPECT_EQ(seen.lines.front().first, MOGO_LOG_WARN);
  EXPECT_NE(seen.lines.front().second.find("asks for an action this model was not trained on"), std::string::npos) << seen.lines.front().second;
  // A file that cannot be written is an I/O error, not a bad argument.
  const int J = mogo_model_n_joints(m);
  std::vector<float> frames(static_cast<size_t>(4 * J * 3), 0.f);
  for (int t = 0; t < 4; ++t)
    for (int j = 0; j < J; ++j) frames[static_cast<size_t>((t * J + j) * 3 + 1)] = 0.1f * static_cast<float>(j);
  const std::string dir = testing::TempDir() + "/capi_io_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir + "/taken.json");
  EXPECT_EQ(mogo_export(m, (dir + "/taken.json").c_str(), frames.data(), 4, nullptr, 0), MOGO_ERR_IO) << mogo_last_error();
  EXPECT_EQ(mogo_export(m, (dir + "/fine.json").c_str(), frames.data(), 4, nullptr, 0), MOGO_OK) << mogo_last_error();
  std::filesystem::remove_all(dir);
  mogo_model_free(m);
}

TEST(CApi, RealtimeSessionsHandFramesOutAtPlaybackPaceAndCancelInterruptsTheWait) {
  mogo_model* m = load_default();
  mogo_session_params bad = params(1);
  bad.realtime = 2;
  EXPECT_EQ(mogo_session_open(m, "a person waves", bad), nullptr);
  EXPECT_NE(std::string(mogo_last_error()).find("realtime"), std::string::npos) << mogo_last_error();
  bad = params(1);
  bad.realtime = 1;
  bad.lead_seconds = -1;
  EXPECT_EQ(mogo_session_open(m, "a person waves", bad), nullptr);
  EXPECT_NE(std::string(mogo_last_error()).find("lead_seconds"), std::string::npos) << mogo_last_error();
  EXPECT_EQ(mogo_session_default_params().realtime, 0);
  EXPECT_EQ(mogo_session_default_params().foot_lock, 1);
  bad = params(1);
  bad.foot_lock = 5;
  EXPECT_EQ(mogo_session_open(m, "a person waves", bad), nullptr);
  EXPECT_NE(std::string(mogo_last_error()).find("foot_lock"), std::string::npos) << mogo_last_error();

  // A player pulling as fast as it can gets no more than the lead (plus one step) past the time
  // since its first frame; a busy machine can only make it later.
  mogo_session_params p = params(2.0f);
  p.realtime = 1;
  p.lead_seconds = 0.2f;
  mogo_session* s = mogo_session_open(m, "a person walks forward", p);
  ASSERT_NE(s, nullptr) << mogo_last_error();
  const int J = mogo_model_n_joints(m);
  std::vector<float> buf(64 * J * 3);
  auto now = [] { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); };
  double first = -1, worst = -1e9;
  int64_t got = 0;
  for (int n; (n = mogo_session_pull(s, buf.data(), 64, nullptr)) > 0;) {
    if (first < 0) first = now();
    got += n;
    worst = std::max(worst, static_cast<double>(got) / 20.0 - (now() - first));
  }
  EXPECT_EQ(got, 40);
  EXPECT_LE(worst, 0.2 + 0.2 + 0.1);  // lead + a step, + 0.1 s for a descheduled player on a busy machine
  EXPECT_GE(now() - first, 2.0 - 0.2 - 0.25);
  mogo_session_free(s);

  // An endless realtime run, cancelled while it waits for the player: it returns promptly.
  p = params(0.0f);
  p.realtime = 1;
  s = mogo_session_open(m, "a person walks forward", p);
  ASSERT_NE(s, nullptr) << mogo_last_error();
  std::atomic<int> seen{0};
  EXPECT_EQ(run_until_cancelled(s, &seen), MOGO_ERR_CANCELLED);
  EXPECT_LT(seen.load(), 20 * 60);  // paced: nowhere near a minute of motion in that time
  mogo_session_free(s);
  mogo_model_free(m);
}

TEST(CApi, RigsTakeTheMotionOntoTheUsersSkeleton) {
  mogo_model* m = load_default();
  const std::string cmu = std::string(MOGO_SOURCE_DIR) + "/../shared/data/cmu-sample/131_03.bvh";
  mogo_rig* rig = mogo_rig_load(m, cmu.c_str(), nullptr);
  ASSERT_NE(rig, nullptr) << mogo_last_error();
  const int R = mogo_rig_n_joints(rig);
  EXPECT_EQ(R, 31);
  EXPECT_STREQ(mogo_rig_joint_name(rig, 0), "Hips");
  EXPECT_EQ(mogo_rig_joint_parent(rig, 0), -1);
  EXPECT_EQ(mogo_rig_joint_name(rig, R), nullptr);
  EXPECT_NE(std::string(mogo_rig_report_json(rig)).find("\"convention\":\"cmu 3ds max\""), std::string::npos) << mogo_rig_report_json(rig);
  // Pull hands out the rig's joints; run adds the rig's pose to each frame.
  mogo_session_params p = params(1.0f);
  p.rig = rig;
  mogo_session* s = mogo_session_open(m, "a person walks forward", p);
  ASSERT_NE(s, nullptr) << mogo_last_error();
  auto frames = pull_all(s, R);
  EXPECT_EQ(frames.size(), static_cast<size_t>(20 * R * 3));
  mogo_session_free(s);
  s = mogo_session_open(m, "a person walks forward", p);
  struct Seen {
    int frames = 0, rig_joints = 0;
    double rotation_norm = 0;
  } seen;
  ASSERT_EQ(mogo_session_run(
                s, 1.0,
                [](const mogo_frame* f, void* u) {
                  auto* v = static_cast<Seen*>(u);
                  ++v->frames;
                  v->rig_joints = f->n_rig_joints;
                  const float* q = f->rig_rotations + 4 * 5;
                  v->rotation_norm = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
                  return 0;
                },
                &seen),
            MOGO_OK)
      << mogo_last_error();
  EXPECT_EQ(seen.frames, 20);
  EXPECT_EQ(seen.rig_joints, R);
  EXPECT_NEAR(seen.rotation_norm, 1.0, 1e-4);
  mogo_session_free(s);
  // Export of the model's joints onto the rig.
  s = mogo_session_open(m, "a person walks forward", params(1.0f));
  const int J = mogo_model_n_joints(m);
  auto model_frames = pull_all(s, J);
  const std::string out = testing::TempDir() + "/capi_rig.bvh";
  ASSERT_EQ(mogo_export_rig(rig, out.c_str(), model_frames.data(), static_cast<int64_t>(model_frames.size()) / (J * 3)), MOGO_OK)
      << mogo_last_error();
  std::ifstream in(out);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("JOINT LHipJoint"), std::string::npos);
  EXPECT_EQ(mogo_export_rig(rig, (testing::TempDir() + "/capi_rig.glb").c_str(), model_frames.data(), 1), MOGO_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mogo_last_error()).find("needs a glTF rig"), std::string::npos);
  // Bad rigs and handles.
  EXPECT_EQ(mogo_rig_load(m, "/no/such/rig.bvh", nullptr), nullptr);
  EXPECT_NE(std::string(mogo_last_error()).find("no such rig file"), std::string::npos);
  EXPECT_EQ(mogo_rig_load(nullptr, cmu.c_str(), nullptr), nullptr);
  mogo_session_free(s);
  mogo_rig_free(rig);
  EXPECT_EQ(mogo_rig_n_joints(rig), -1);
  p.rig = rig;  // freed
  EXPECT_EQ(mogo_session_open(m, "a person walks", p), nullptr);
  EXPECT_NE(std::string(mogo_last_error()).find("rig was freed"), std::string::npos) << mogo_last_error();
  mogo_model_free(m);
}
