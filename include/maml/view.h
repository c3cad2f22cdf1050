/* The viewer: watch a policy adapt to a held-out goal (built with MAML_VIEWER only).
 *
 * The scene is MuJoCo's own (mjv/mjr) drawn through a GLFW window; a robot without a
 * MuJoCo model (nav2d's point) is shown in the scene its view hints give (maml/env.h). The
 * goal is drawn in the scene in the marker colour below: a disc and pole at a goal
 * position, an arrow over the robot for a goal velocity or direction (and, for a goal
 * velocity, a post on the floor that moves at that velocity). A text overlay names the
 * family, the goal, the adaptation step shown, the forward velocity or the distance to
 * the goal, the episode's return so far and the frame rate.
 *
 * What is shown: first the policy as it is (0 steps) on the goal, while a worker thread
 * runs the evaluation protocol of eval.h on that goal (maml_eval_adapt: same streams and
 * numbers as `maml eval --goal G --seed S`); when the first episode ends, the policy after
 * K steps. Each shown episode draws its reset noise and action noise from the stream
 * (seed, goal index, MAML_PHASE_VIEW, step shown, episode number).
 *
 * Two ways to run: a window (keys and mouse, real time times `speed`), or a recording
 * (record set): the same frames rendered off screen into a hidden window's offscreen
 * buffer and written as PNG files or piped into ffmpeg. Frame 0 of a recording shows the
 * first state; every later frame advances the simulation by speed / fps seconds. */
#ifndef MAML_VIEW_H
#define MAML_VIEW_H

#include "maml/env.h"
#include "maml/eval.h"
#include "maml/policy.h"
#include "maml/pool.h"

#define MAML_VIEW_MAX_STEPS 20 /* adaptation steps the viewer can show */

/* The goal marker's colour (drawn emissive, so that it keeps this colour on screen). */
#define MAML_VIEW_MARKER_R 0.95f
#define MAML_VIEW_MARKER_G 0.10f
#define MAML_VIEW_MARKER_B 0.85f

typedef struct {
  const char *policy_label; /* for the overlay: "runs/x/best.ckpt", "random" */
  int oracle;               /* the task is in the observation: no adaptation */
  maml_eval_params ep;      /* the adaptation: episodes, steps K, horizon, alpha, seed */
  int goal_given;           /* 1: goal holds the goal; 0: held-out goal goal_index */
  double goal[MAML_TASK_MAX];
  int goal_index;     /* index in the evaluation's held-out goal stream */
  int mean_actions;   /* 1: act with the mean; 0: sample (what adaptation sees) */
  double speed;       /* simulated seconds per wall (or video) second */
  int width, height;  /* window or frame size in pixels */
  const char *record; /* NULL: a window; "DIR/": PNG frames; "x.mp4": ffmpeg */
  int fps;            /* frames per second of a recording */
  /* stop after any of these (0: no limit); a recording needs one */
  long frames;
  double seconds;             /* of video (recording) or wall time (window) */
  int episodes;               /* episodes ended */
  const char *screenshot;     /* write the last frame shown here as PNG (may be NULL) */
  const char *screenshot_dir; /* where the s key writes (NULL: the current folder) */
  int show_help;              /* start with the key list on screen */
  int hide_overlay;           /* start without the text overlay (O toggles it) */
} maml_view_params;

typedef struct {
  long frames;                    /* frames rendered (and written, when recording) */
  int episodes;                   /* episodes ended */
  int steps_adapted;              /* adaptation steps computed */
  char screenshot[MAML_PATH_MAX]; /* the last screenshot written, or "" */
} maml_view_result;

/* 1 when an X11 or Wayland display is named in the environment (DISPLAY or
 * WAYLAND_DISPLAY), which GLFW needs even to render off screen. */
int maml_view_have_display(void);

/* Show (or record) policy theta on world's family. pool runs the adaptation's rollouts
 * (the viewer uses it from one worker thread of its own). Returns when the window is
 * closed (Esc) or a limit is reached. Errors: MAML_ERR_ARG bad parameters or no display
 * (the message says how to record instead); MAML_ERR_IO the window, OpenGL context,
 * PNG files or ffmpeg failed (the message says which); MAML_ERR_NOMEM. */
maml_status maml_view_run(const maml_env_world *world, const maml_policy *p, const maml_real *theta,
                          const maml_view_params *vp, maml_pool *pool, maml_view_result *result,
                          char *err, size_t err_sz);

/* Write an RGB image (rows top-down, 3 bytes a pixel) as a PNG file. MAML_ERR_IO with the
 * path and the reason. */
maml_status maml_view_write_png(const char *path, const unsigned char *rgb, int width, int height,
                                char *err, size_t err_sz);

/* The directory on PATH holding an executable called name, written into dir; 0 if none. */
int maml_view_find_program(const char *name, char *dir, size_t dir_sz);

#endif
