/* Private to src/view/: the parts of the viewer.
 *   show.c    what is shown: the goal, the adaptation worker thread, the episode on screen
 *   scene.c   the picture: a model-less robot's scene, goal markers, trail, default camera
 *   output.c  PNG files, the ffmpeg pipe, finding programs on PATH
 *   view.c    the window or the offscreen buffer, the overlay, keys and mouse, the loop
 * Only show.c's worker thread runs beside the main thread; it touches nothing but its job
 * fields until it sets `finished`. */
#ifndef MAML_VIEW_INTERNAL_H
#define MAML_VIEW_INTERNAL_H

#include <mujoco/mujoco.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/types.h>

#include "maml/view.h"

/* ---- show.c ---------------------------------------------------------------------------- */

typedef struct {
  /* fixed for the session */
  const maml_env_world *world;
  const maml_policy *p;
  const maml_real *theta0;
  maml_eval_params ep; /* ep.steps: K, the step the policy is shown after by default */
  maml_pool *pool;
  int oracle, mean_actions;
  int blocking; /* 1: wait for the adaptation where a display needs it (recording) */
  double dt;    /* simulated seconds per environment step */

  /* the goal */
  int goal_index;
  int goal_given; /* the goal came from --goal, not from the held-out stream */
  double goal[MAML_TASK_MAX];
  int generation; /* bumped by every new goal */

  /* adaptation results the display may use */
  maml_real *thetas; /* (MAML_VIEW_MAX_STEPS + 1, n_params) after 0..avail steps */
  double *returns;   /* (MAML_VIEW_MAX_STEPS + 1) each step's batch mean return */
  int avail;         /* thetas[0..avail] are valid */
  int n_returns;     /* returns[0..n_returns) are known */
  int target;        /* steps wanted */
  maml_status error; /* the last adaptation's failure, with its message */
  char err[1024];

  /* the worker: reads job_* and writes job_*, then sets finished */
  pthread_t thread;
  int running;
  atomic_int finished;
  atomic_int progress; /* steps whose batch is sampled in the running job */
  int job_steps, job_generation;
  double job_goal[MAML_TASK_MAX];
  maml_real *job_thetas;
  double *job_returns;
  maml_status job_status;
  char job_err[1024];

  /* the episode on screen */
  int k;          /* it runs the policy after k steps */
  int want_k;     /* the step asked for; shown from the next episode it is ready for */
  int switch_now; /* start a new episode as soon as want_k is ready */
  int auto_post;  /* after this goal's first episode, show K steps */
  maml_env env;
  maml_policy_cache cache;
  maml_rng rng;
  maml_real *obs, *act;
  int t, episode;       /* step in the episode; episodes started for this goal */
  int over;             /* the episode has ended (still on screen) */
  double ret, last_ret; /* return so far; return of the last finished episode (NAN: none) */
  int last_k;           /* the step the last finished episode was run with */
  int ended;            /* episodes ended in the session */
  double x0;            /* torso x at the reset (the pace marker starts there) */
  double (*trail)[2];   /* (horizon + 1) positions of this episode */
  int n_trail;
} view_show;

maml_status view_show_init(view_show *s, const maml_env_world *world, const maml_policy *p,
                           const maml_real *theta0, const maml_view_params *vp, maml_pool *pool,
                           char *err, size_t err_sz);
void view_show_free(view_show *s); /* waits for a running adaptation */
/* A new goal: given (task numbers) or, with goal NULL, held-out goal `index`. Starts its
 * adaptation and shows the policy before it. */
void view_show_set_goal(view_show *s, const double *goal, int index);
/* Show the policy after k steps (adapting further when needed). */
void view_show_request(view_show *s, int k);
/* Collect a finished adaptation, start the next one, switch policy when asked and ready.
 * Call once a frame. */
void view_show_poll(view_show *s);
/* Block until no adaptation runs. */
void view_show_wait(view_show *s);
/* Start the episode over (same step shown). */
void view_show_restart(view_show *s);
/* One environment step; 1 when it ended the episode, which stays on screen until
 * view_show_next starts the next one (with the step asked for, once it is ready). */
int view_show_step(view_show *s);
void view_show_next(view_show *s);
/* The environment steps per second shown in real time. */
double view_show_rate(const view_show *s);

/* ---- scene.c --------------------------------------------------------------------------- */

/* The scene of a robot without a MuJoCo model (its view.scene_xml: for the point a floor,
 * the agent a mocap body, the goal region's outline). */
maml_status view_scene_model(const maml_env_robot *r, mjModel **out, char *err, size_t err_sz);
/* Set d (of m) to the state on screen: the scene's agent (its first mocap body) at the
 * episode's point; the MuJoCo
 * families' data is the episode's own. */
void view_sync_scene(const mjModel *m, mjData *d, const view_show *s);
/* Append the goal markers, velocity arrows and trail to the scene. */
void view_add_markers(mjvScene *scn, const view_show *s, const mjData *d, int body);
/* The camera's starting pose for the family's robot (its view hints): tracking the body, or
 * free over a top-down arena. */
void view_default_camera(mjvCamera *cam, const maml_env_family *f, int body, int track);

/* ---- output.c -------------------------------------------------------------------------- */

typedef struct {
  int width, height, fps;
  char dir[MAML_PATH_MAX]; /* PNG frames go here ("" for a video) */
  pid_t ffmpeg;            /* the encoder, or 0 */
  FILE *pipe;              /* its standard input */
  long written;
} view_recorder;

/* DIR/ (or an existing folder) for PNG frames; a file name ending .mp4, .mkv, .webm,
 * .mov, .avi or .gif for ffmpeg (which must be on PATH). */
maml_status view_recorder_open(view_recorder *r, const char *target, int width, int height, int fps,
                               char *err, size_t err_sz);
/* Write one frame, rows top-down. */
maml_status view_recorder_write(view_recorder *r, const unsigned char *rgb, char *err,
                                size_t err_sz);
/* Finish: close the pipe and wait for ffmpeg (its failure is an error). NULL-safe. */
maml_status view_recorder_close(view_recorder *r, char *err, size_t err_sz);

#endif
