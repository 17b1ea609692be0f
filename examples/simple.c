/* Streams 5 seconds of "a person waves" from the default model and prints the root trajectory.
 * Strict C99 (built with -std=c99 -pedantic -Werror).
 *   cc -std=c99 simple.c $(pkg-config --cflags --libs mogo) -o simple && ./simple [model.pt] */
#include <stdio.h>
#include <stdlib.h>

#include "mogo.h"

/* The library's warnings, prefixed, on stderr (stdout carries the trajectory). */
static void on_log(mogo_log_level level, const char* message, void* user_data) {
  (void)user_data;
  fprintf(stderr, "mogo %s: %s\n", level == MOGO_LOG_ERROR ? "error" : level == MOGO_LOG_WARN ? "warning" : "info", message);
}

int main(int argc, char** argv) {
  /* A program built against one header may run against another library: compare the majors. */
  if (atoi(mogo_version()) != MOGO_VERSION_MAJOR) {
    fprintf(stderr, "built for mogo %d.%d.%d, running with %s\n", MOGO_VERSION_MAJOR, MOGO_VERSION_MINOR, MOGO_VERSION_PATCH,
            mogo_version());
    return 1;
  }
  mogo_log_set(on_log, NULL);
  mogo_model* model = mogo_model_load(argc > 1 ? argv[1] : NULL, mogo_model_default_params());
  if (!model) {
    fprintf(stderr, "cannot load the model: %s\n", mogo_last_error());
    return 1;
  }
  mogo_session_params params = mogo_session_default_params();
  params.seconds = 5.0f; /* the stream ends after 5 s of motion */
  mogo_session* session = mogo_session_open(model, "a person waves", params);
  if (!session) {
    fprintf(stderr, "cannot open a session: %s\n", mogo_last_error());
    mogo_model_free(model);
    return 1;
  }
  const int n_joints = mogo_model_n_joints(model);
  float* joints = malloc(sizeof(float) * 16 * (size_t)n_joints * 3);
  int status = 0;
  printf("frame time_s root_x root_y root_z\n");
  for (;;) {
    int64_t first = 0;
    int n = mogo_session_pull(session, joints, 16, &first);
    if (n < 0) {
      fprintf(stderr, "generation failed: %s\n", mogo_last_error());
      status = 1;
      break;
    }
    if (n == 0) break; /* the stream has ended */
    for (int i = 0; i < n; ++i) {
      const float* root = joints + (size_t)i * n_joints * 3; /* joint 0 is the root */
      printf("%lld %.2f %.4f %.4f %.4f\n", (long long)(first + i), (first + i) / mogo_model_fps(model), root[0], root[1],
             root[2]);
    }
  }
  free(joints);
  mogo_session_free(session);
  mogo_model_free(model);
  return status;
}
