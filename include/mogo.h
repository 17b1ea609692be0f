/* mogo: text to 3D human motion, streamed frame by frame. The C API of libmogo.
 *
 *   mogo_model*   a loaded text-to-motion model (read-only once loaded; share it between threads)
 *   mogo_session* one stream of motion under a text that may change at any time; one thread at a
 *                 time per session (two sessions may run on two threads at once)
 *
 * Conventions: functions returning a pointer return NULL on failure; functions returning
 * mogo_status return MOGO_OK (0) or an error code; after any failure mogo_last_error() says what
 * went wrong (per thread). No C++ exception crosses this API. Frames are 20 per second; joint
 * positions are in metres, Y up, the character facing +Z at frame 0. The library writes nothing
 * to stderr by itself but through the log callback (mogo_log_set; default: a line on stderr).
 *
 * Ownership: handles (mogo_model*, mogo_session*) are the caller's, freed with their *_free
 * function. Every const char* returned is owned by the library; each function says how long it
 * stays valid. Buffers passed in stay the caller's; the library copies what it keeps.
 *
 * Minimal use (see examples/simple.c):
 *   mogo_model* m = mogo_model_load(NULL, mogo_model_default_params());
 *   mogo_session* s = mogo_session_open(m, "a person waves", mogo_session_default_params());
 *   int J = mogo_model_n_joints(m);                         (21 for the shipped model)
 *   float* joints = malloc(sizeof(float) * 64 * J * 3); int64_t first;
 *   int n = mogo_session_pull(s, joints, 64, &first);      (n frames of J x 3 floats)
 *   mogo_session_free(s); mogo_model_free(m); free(joints);
 */
#ifndef MOGO_H
#define MOGO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define MOGO_API __attribute__((visibility("default")))
#else
#define MOGO_API
#endif

/* The version of this header; mogo_version() gives the library's ("MAJOR.MINOR.PATCH"). 0.2: rigs
 * (mogo_rig_*, mogo_session_params.rig, the rig fields of mogo_frame); recompile against it. */
#define MOGO_VERSION_MAJOR 0
#define MOGO_VERSION_MINOR 2
#define MOGO_VERSION_PATCH 0

typedef struct mogo_model mogo_model;
typedef struct mogo_session mogo_session;
typedef struct mogo_rig mogo_rig;

typedef enum {
  MOGO_OK = 0,
  MOGO_ERR_INVALID_ARGUMENT = 1, /* a bad parameter or buffer, an empty text, motion that is no body */
  MOGO_ERR_MODEL = 2,            /* model file missing, corrupt or of another format */
  MOGO_ERR_CANCELLED = 3,        /* mogo_session_cancel, or a callback that returned non-zero */
  MOGO_ERR_RUNTIME = 4,          /* anything else (out of memory, device errors) */
  MOGO_ERR_BAD_HANDLE = 5,       /* a NULL handle, or one already freed (or never opened) */
  MOGO_ERR_IO = 6                /* a file could not be written (disk full, no permission, a directory) */
} mogo_status;

/* ---- log ------------------------------------------------------------------------------------ */

typedef enum { MOGO_LOG_INFO = 0, MOGO_LOG_WARN = 1, MOGO_LOG_ERROR = 2 } mogo_log_level;
/* message: one line without a newline, valid during the call only. May be called from any thread
 * that runs library code. */
typedef void (*mogo_log_callback)(mogo_log_level level, const char* message, void* user_data);
/* Sends the library's messages (warnings about prompts, clamped lengths, ...) to `callback` for
 * the whole process; NULL restores the default (a line on stderr). */
MOGO_API void mogo_log_set(mogo_log_callback callback, void* user_data);

/* ---- model ---------------------------------------------------------------------------------- */

typedef struct {
  int n_threads; /* CPU threads for the whole process (0: all cores; more than the cores is an error) */
  int use_gpu;   /* 1: run on CUDA when this build and machine have it (default 0) */
  int align;     /* prompt alignment (default 1): unknown words mapped to the model's vocabulary (no
                    blending with the nearest training captions: it cost accuracy, docs/prompts.md);
                    0: texts as given */
  const char* align_cmd;  /* NULL, or a program that rewrites each prompt first (sh -c; see
                             docs/prompts.md); copied at load. On failure the built-in alignment runs */
  double align_timeout;   /* seconds align_cmd may take (default 30) */
} mogo_model_params;

MOGO_API mogo_model_params mogo_model_default_params(void);

/* path: a mogo-t2m model file; NULL or "" loads the default model ($MOGO_MODEL, else the one
 * shipped with mogo). */
MOGO_API mogo_model* mogo_model_load(const char* path, mogo_model_params params);
MOGO_API void mogo_model_free(mogo_model* model); /* NULL is ignored */

MOGO_API int mogo_model_n_joints(const mogo_model* model);          /* -1 on a bad handle */
MOGO_API int mogo_model_n_features(const mogo_model* model);        /* per-frame feature size */
/* Owned by the model, valid until mogo_model_free; NULL if out of range or on a bad handle. */
MOGO_API const char* mogo_model_joint_name(const mogo_model* model, int joint);
MOGO_API int mogo_model_joint_parent(const mogo_model* model, int joint);        /* -1 for the root */
MOGO_API double mogo_model_fps(const mogo_model* model);                         /* 20 */

/* ---- session -------------------------------------------------------------------------------- */

typedef struct {
  uint64_t seed;     /* 0 .. 4294967295 (the generator takes 32 bits; larger: MOGO_ERR_INVALID_ARGUMENT) */
  float temperature; /* sampling temperature (0: greedy) */
  int top_k;         /* sample among the k most likely codes (0: all) */
  float guidance;    /* classifier-free guidance scale (1: off) */
  float seconds;     /* > 0: the stream ends after this much motion; 0: it never ends by itself */
  int stop_at_end;   /* 1: end when the model ends the motion (after a change of text too) */
  int window;        /* key/value cache window in latent steps (0: the model's training length) */
  int switch_context; /* at a change of text, latent steps of the old action the model keeps
                         seeing (-1: the whole window; default: see mogo_session_default_params) */
  int realtime;       /* 1: pull and run hand frames out in real time, at most lead_seconds of
                         motion ahead of a player that started at the first frame handed out (they
                         wait; mogo_session_cancel interrupts), so a set_text shows in the motion
                         about lead_seconds after the frame being played. 0 (default): at once */
  float lead_seconds; /* realtime: seconds of motion ahead of playback, [0, 60] (default 0.2) */
  int foot_lock;      /* 1 (default): planted feet stay put (contact-aware locking, two-bone IK);
                         0: the joints as the model made them */
  const mogo_rig* rig; /* NULL (default): the model's skeleton. A rig (mogo_rig_load; it must
                          outlive the session): mogo_session_pull hands out the rig's joints
                          (mogo_rig_n_joints x 3, its units, world), and each mogo_frame of
                          mogo_session_run carries the rig's pose besides the model's joints */
} mogo_session_params;

MOGO_API mogo_session_params mogo_session_default_params(void);

/* Opens a stream of motion for `text`. The model must outlive the session. */
MOGO_API mogo_session* mogo_session_open(mogo_model* model, const char* text, mogo_session_params params);
/* Continues a given motion: `features` holds n_frames x mogo_model_n_features() raw HumanML3D
 * features (e.g. read from a clip); the stream first returns them, then their continuation. */
MOGO_API mogo_session* mogo_session_open_from(mogo_model* model, const char* text, mogo_session_params params,
                                              const float* features, int64_t n_frames);
MOGO_API void mogo_session_free(mogo_session* session); /* NULL is ignored; not while a call on it runs */

/* The new text conditions every latent step drawn from now on (4 frames a step). */
MOGO_API mogo_status mogo_session_set_text(mogo_session* session, const char* text);

/* Pull: generates until at least one frame is final, then copies up to max_frames frames into
 * `joints` (max_frames x n_joints x 3 floats) and the index of the first into *first_frame (may
 * be NULL). Returns the number of frames copied; 0 once the stream has ended and every frame
 * was returned; -status on failure. Frames not copied are kept for the next pull. */
MOGO_API int mogo_session_pull(mogo_session* session, float* joints, int max_frames, int64_t* first_frame);

/* Callback: one call per final frame; joints (n_joints x 3) and features are valid during the
 * call only. Return non-zero to stop (run then returns MOGO_ERR_CANCELLED). */
typedef struct {
  int64_t index;         /* frame number in the stream */
  double time;           /* index / fps, seconds */
  int n_joints;
  const float* joints;
  int n_features;
  const float* features;
  int n_rig_joints;          /* 0 without a rig */
  const float* rig_joints;   /* n_rig_joints x 3: world positions, the rig's units */
  const float* rig_rotations; /* n_rig_joints x 4: local rotations (w, x, y, z) from the rig's rest pose */
  const float* rig_root;     /* 3: the root joint's translation in the frame above it */
} mogo_frame;
typedef int (*mogo_frame_callback)(const mogo_frame* frame, void* user_data);

/* Generates `seconds` more of motion (or until the stream ends) and passes each frame to
 * `callback`. */
MOGO_API mogo_status mogo_session_run(mogo_session* session, double seconds, mogo_frame_callback callback, void* user_data);

/* Asks a pull or run in progress on another thread to stop at its next step (it returns
 * MOGO_ERR_CANCELLED); without one in progress, the next pull or run is cancelled. */
MOGO_API mogo_status mogo_session_cancel(mogo_session* session);

/* 1 when every frame was returned, 0 while more will come, -1 on a bad handle (mogo_last_error). */
MOGO_API int mogo_session_done(const mogo_session* session);
MOGO_API int64_t mogo_session_frames(const mogo_session* session);       /* frames returned so far; -1 on a bad handle */
/* The current text; owned by the session, valid until the next mogo_session_set_text or
 * mogo_session_free; NULL on a bad handle. */
MOGO_API const char* mogo_session_text(const mogo_session* session);
/* What the text encoder got for the current text after prompt alignment (the text itself when
 * alignment is off); valid until the next mogo_session_set_text or mogo_session_free. */
MOGO_API const char* mogo_session_aligned_text(const mogo_session* session);
/* The whole alignment report as JSON: prompt, text, method, replaced, dropped, warnings,
 * nearest_distance, nearest_captions, blend; same lifetime as mogo_session_aligned_text. */
MOGO_API const char* mogo_session_alignment_json(mogo_session* session);
MOGO_API int64_t mogo_session_cache_bytes(const mogo_session* session);  /* key/value cache size */

/* ---- export ----------------------------------------------------------------------------------- */

/* Writes n_frames x n_joints x 3 joint positions (metres, as pulled from a session) to `path`, the
 * format chosen by its extension: .bvh (rotation channels solved from the joints), .glb / .gltf
 * (glTF 2.0 with a skinned body), .json, .npy; the same writers as the mogo CLI and server.
 * rotation_order: BVH Euler order ("ZXY" when NULL); position_channels: 1 = BVH positions on
 * every joint. The file is written atomically. */
MOGO_API mogo_status mogo_export(const mogo_model* model, const char* path, const float* joints, int64_t n_frames,
                                 const char* rotation_order, int position_channels);

/* ---- the user's own character ------------------------------------------------------------------ */

/* Loads a character rig to put this model's motion on (docs/retarget.md): a BVH file or a skinned
 * glTF/GLB. Its joints are matched to the model's by their names (Mixamo, CMU, Unreal, Unity,
 * Blender, ...), or by mapping_path, a JSON file {"joints": {"<model joint>": "<rig joint>"}}
 * (NULL: by names). NULL on failure (mogo_last_error names the problem). */
MOGO_API mogo_rig* mogo_rig_load(const mogo_model* model, const char* path, const char* mapping_path);
MOGO_API void mogo_rig_free(mogo_rig* rig); /* NULL is ignored; not while a session uses it */
MOGO_API int mogo_rig_n_joints(const mogo_rig* rig);                        /* -1 on a bad handle */
MOGO_API const char* mogo_rig_joint_name(const mogo_rig* rig, int joint);   /* NULL when out of range */
MOGO_API int mogo_rig_joint_parent(const mogo_rig* rig, int joint);         /* -1 for the root */
/* What was mapped: {"convention", "scale", "mapped": {rig joint: model joint}, "unmapped": [...],
 * "unused": [...]}; owned by the rig. */
MOGO_API const char* mogo_rig_report_json(const mogo_rig* rig);
/* Writes n_frames x mogo_model_n_joints x 3 model joint positions (as pulled from a session
 * without a rig) onto the rig: .bvh (a BVH rig), .glb/.gltf (a glTF rig: its mesh and skin with
 * this animation), .json, .npy. Atomic. */
MOGO_API mogo_status mogo_export_rig(const mogo_rig* rig, const char* path, const float* joints, int64_t n_frames);

/* ---- errors and version --------------------------------------------------------------------- */

/* This thread's last failure ("" if none); owned by the library, valid until this thread's next
 * call into it. */
MOGO_API const char* mogo_last_error(void);
/* "MAJOR.MINOR.PATCH" of the library (static storage). */
MOGO_API const char* mogo_version(void);

#ifdef __cplusplus
}
#endif

#endif /* MOGO_H */
