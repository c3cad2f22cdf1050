/* The environment layer: task families, and instances that step them.
 *
 * A family (cheetah-vel, ant-dir, nav2d, ...) is a constant description: sizes, horizon,
 * the task distribution, and the functions that simulate it. A world is a family opened
 * for use: its MuJoCo model loaded once and shared read-only by every instance (MuJoCo's
 * rule for threads: one mjModel, one mjData per thread). An instance (maml_env) is one
 * simulation: reset with a task and a random stream, then stepped.
 *
 * Observations and actions are maml_real; rewards are double. In an oracle world the
 * task's numbers are appended to the observation. */
#ifndef MAML_ENV_H
#define MAML_ENV_H

#include <mujoco/mujoco.h>
#include <stddef.h>
#include <stdint.h>

#include "maml/error.h"
#include "maml/real.h"
#include "maml/rng.h"

#define MAML_TASK_MAX 2 /* numbers in a task (goal velocity: 1, goal position: 2) */
#define MAML_PATH_MAX 4096

/* What a step reports beside the reward, for logs and the viewer. */
typedef struct {
  double forward_vel;  /* x velocity of the torso subtree's centre of mass (nav2d: 0) */
  double x, y;         /* torso centre of mass (nav2d: the point) */
  double ctrl_cost;    /* the control cost subtracted from the reward */
  double contact_cost; /* the contact cost subtracted (ant) */
  double goal_dist;    /* distance to the goal position (ant-goal, nav2d; else 0) */
  int unstable;        /* the simulation diverged (non-finite state or MuJoCo warning) */
} maml_step_info;

typedef struct maml_env maml_env;
typedef struct maml_env_world maml_env_world;

typedef struct maml_env_family {
  const char *name;       /* "cheetah-vel" */
  const char *robot;      /* "half-cheetah", "ant", "point" */
  const char *model_file; /* MJCF file name in the assets folder; NULL for nav2d */
  int obs_dim;            /* observation size without the task */
  int act_dim;
  int task_dim;
  int horizon;
  const char *task_desc;   /* the distribution, for `maml envs`: "goal velocity ~ U[0, 2]" */
  const char *goal_syntax; /* what --goal accepts: "a velocity in [0, 2], e.g. 1.5" */
  void (*sample_task)(maml_rng *rng, double *task);
  /* parse a --goal text; a clear message naming the value and the allowed range on error */
  maml_status (*parse_task)(const char *text, double *task, char *err, size_t err_sz);
  /* per-instance simulation */
  void (*reset)(maml_env *e, maml_rng *rng); /* state set from the model's initial state */
  void (*step)(maml_env *e, const maml_real *action, double *reward, int *done);
  void (*observe)(const maml_env *e, maml_real *obs); /* the family's obs_dim numbers */
  /* check that a loaded model has the sizes the observation is built from (NULL for
   * nav2d); a message naming the sizes found on mismatch */
  maml_status (*check_model)(const struct maml_env_family *f, const mjModel *m, char *err,
                             size_t err_sz);
} maml_env_family;

struct maml_env_world {
  const maml_env_family *family;
  int oracle;                     /* task appended to the observation */
  int obs_dim;                    /* family->obs_dim + (oracle ? task_dim : 0) */
  mjModel *model;                 /* NULL for nav2d */
  char model_path[MAML_PATH_MAX]; /* where the model was loaded from */
  char assets_dir[MAML_PATH_MAX]; /* the folder the user named (absolute), "" for the
                                     built-in search */
  uint64_t model_hash;            /* maml_hash of the model file (maml/hash.h) (0: nav2d) */
  int torso_body;                 /* body id of "torso" (MuJoCo families) */
  int init_key;                   /* keyframe "init" or -1: the reset state */
  mjtNum *init_state; /* that state: time, qpos, qvel, act, ctrl, mocap_pos, mocap_quat */
};

/* An instance's state lives in data (MuJoCo) or point (nav2d). Code that edits data's
 * state by hand (tests, the viewer) calls mj_forward(world->model, data) afterwards, as
 * MuJoCo requires before stepping: a step reuses the position and velocity stages that
 * the reset or the previous step computed (see envs/mujoco_env.h). */
struct maml_env {
  const maml_env_world *world;
  double task[MAML_TASK_MAX];
  mjData *data;        /* NULL for nav2d */
  double point[2];     /* nav2d position */
  int t;               /* steps since reset */
  maml_step_info info; /* diagnostics of the last step */
};

/* ---- families ------------------------------------------------------------------------ */

/* All families, in a fixed order; *count receives their number. */
const maml_env_family *const *maml_env_families(int *count);
/* The family called name, or NULL. */
const maml_env_family *maml_env_find(const char *name);
/* "cheetah-vel, cheetah-dir, ..." for error messages. */
const char *maml_env_names(void);
/* Write a task as the --goal syntax reads it ("1.5", "-1", "0.3,-0.2"): each number in
 * the shortest form that parses back to the same double. Returns the length of the full
 * text like snprintf (the text is cut when it is n or longer), -1 for bad arguments. */
int maml_env_format_task(const maml_env_family *f, const double *task, char *buf, size_t n);

/* ---- model files --------------------------------------------------------------------- */

/* A family's model file as the search below finds it. */
typedef struct {
  char path[MAML_PATH_MAX];   /* the file; "" for nav2d (no model) */
  char folder[MAML_PATH_MAX]; /* the folder the user named, absolute; "" for the built-in
                                 search */
  uint64_t hash;              /* of the file's bytes (0 for nav2d) */
} maml_env_model;

/* A hash as the 16 lowercase hexadecimal digits a config records (buf: 17 bytes). */
void maml_env_format_hash(uint64_t hash, char buf[17]);

/* Find a family's model file (the search of maml_env_world_open) and hash its bytes,
 * without loading it. Errors as maml_env_world_open's; MAML_ERR_IO also for a path that is
 * not a regular file or cannot be read. */
maml_status maml_env_model_find(const char *family, const char *assets_dir, maml_env_model *m,
                                char *err, size_t err_sz);

/* ---- worlds -------------------------------------------------------------------------- */

/* Open a family: find and load its model. The assets folder is searched in this order:
 * assets_dir (if not NULL), $MAML_ASSETS, the source tree's assets/ (MAML_SOURCE_ASSETS,
 * set at build time), the installed share folder (MAML_INSTALL_ASSETS). A folder named by
 * the user (assets_dir, else a non-empty $MAML_ASSETS) is the only place looked at: when
 * it lacks the model that is an error, never a silent fall-back to the built-in models.
 * Errors: MAML_ERR_ARG unknown family (the message lists the names); MAML_ERR_IO model
 * file not found (the message lists every place tried); MAML_ERR_FORMAT the file does not
 * load (MuJoCo's own error text) or is a model of another robot. The world records the
 * file's path, the folder named (assets_dir) and the hash of the bytes it loaded. Not
 * thread-safe (MuJoCo's XML parser keeps global state): open worlds before starting
 * threads. */
maml_status maml_env_world_open(maml_env_world *w, const char *family, int oracle,
                                const char *assets_dir, char *err, size_t err_sz);
void maml_env_world_close(maml_env_world *w); /* NULL-safe; the world's instances first */

/* ---- instances ----------------------------------------------------------------------- */

/* An instance of an open world (its own mjData), left in the initial state without
 * noise. The world must outlive it. */
maml_status maml_env_init(maml_env *e, const maml_env_world *w, char *err, size_t err_sz);
void maml_env_free(maml_env *e); /* NULL-safe */

/* Start an episode of task (task_dim numbers) with reset noise from rng (NULL: no noise,
 * the model's initial state exactly); writes the first observation (world->obs_dim
 * numbers; obs may be NULL). Allocates nothing. */
void maml_env_reset(maml_env *e, const double *task, maml_rng *rng, maml_real *obs);

/* Apply an action (act_dim numbers, unbounded: clipped by the environment), advance one
 * step, write the next observation (obs may be NULL). *done is 1 when the episode
 * terminated (not when it reaches the horizon: the caller counts steps). e->info holds the
 * step's diagnostics. When the simulation goes unstable (a MuJoCo warning or a non-finite
 * state) the step ends the episode with info.unstable = 1 and the instance back in its
 * initial state, so that the observation and reward stay finite; a non-finite action
 * component (NaN counts as 0, +-inf as +-1) also ends it with info.unstable = 1.
 * Allocates nothing. */
void maml_env_step(maml_env *e, const maml_real *action, maml_real *obs, double *reward, int *done);

#endif
