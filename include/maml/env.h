/* The environment layer: task families, and instances that step them.
 *
 * A family (cheetah-vel, ant-dir, nav2d, ...) is a robot (its model, observation, shared
 * reward terms, termination) x a task kind (goal velocity, direction, position: the task's
 * reward term and distribution), with a horizon and the defaults of its preset. The
 * registry holds the built-in families and those registered at run time. A world is a family opened
 * for use: its MuJoCo model loaded once and shared read-only by every instance (MuJoCo's
 * rule for threads: one mjModel, one mjData per thread). An instance (maml_env) is one
 * simulation: reset with a task and a random stream, then stepped. A dynamics task kind
 * changes the physics instead: each instance then simulates its own copy of the model.
 *
 * Observations and actions are maml_real; rewards are double. In an oracle world the
 * task's numbers are appended to the observation.
 *
 * A family of one's own, from C, without touching envs/: fill a maml_env_robot (a built-in
 * one below, a copy of it changed, or one's own: its MJCF named by absolute path, its
 * observation parts, costs and termination, and maml/env_mujoco.h's reset, advance and
 * observe), take a task kind (a built-in one below, or one's own maml_env_task_kind), and
 * give both with a name, a distribution and a horizon to maml_env_register before opening
 * worlds; the family's name then works wherever a built-in one does (maml_env_find, the
 * config's env key, maml/train.h's trainer, maml/eval.h). tests/test_env_public.c does it
 * with this header and maml/env_mujoco.h alone. A family file (maml_env_use) does the same
 * without C. */
#ifndef MAML_ENV_H
#define MAML_ENV_H

#include <mujoco/mujoco.h>
#include <stddef.h>
#include <stdint.h>

#include "maml/error.h"
#include "maml/real.h"
#include "maml/rng.h"

/* numbers in a task (goal velocity: 1, goal position: 2; a dynamics task: one u per varied
 * parameter, 68 for the half-cheetah, 112 for the ant): the stride of task arrays */
#define MAML_TASK_MAX 128
#define MAML_PATH_MAX 4096

/* What a step reports beside the reward, for logs and the viewer. */
typedef struct {
  double forward_vel;  /* x velocity of the torso subtree's centre of mass (nav2d: 0) */
  double x, y;         /* torso centre of mass (nav2d: the point) */
  double ctrl_cost;    /* the control cost subtracted from the reward */
  double contact_cost; /* the contact cost subtracted (ant) */
  double goal_dist;    /* distance to the goal position (ant-goal, nav2d; else 0) */
  double heading_vel;  /* the body's velocity along the task's heading (goal heading; else 0) */
  int unstable;        /* the simulation diverged (non-finite state or MuJoCo warning) */
} maml_step_info;

typedef struct maml_env maml_env;
typedef struct maml_env_world maml_env_world;
typedef struct maml_env_family maml_env_family;

/* ---- robots -------------------------------------------------------------------------- */

/* What the viewer needs to know of a robot: where the camera starts and how big the goal
 * markers are drawn beside it. */
typedef struct {
  /* the camera that tracks the robot's body; the free camera's distance (0: the same) */
  double distance, elevation, lookat_z, free_distance;
  int top_down; /* 1: the camera looks at the origin from above (a planar robot) */
  /* the goal-velocity arrow: length per m/s, width, height over the body, offset to the
   * side; the robot's own velocity arrow arrow_gap lower */
  double arrow_scale, arrow_width, arrow_height, arrow_side, arrow_gap;
  double post_height, post_side; /* the post that moves at the goal velocity */
  double trail_width, trail_height;
  double goal_radius, goal_height; /* a goal position's disc and pole */
  /* the picture of a robot without a MuJoCo model (NULL otherwise): an MJCF scene whose
   * first mocap body is moved to the point, at height scene_z */
  const char *scene_xml;
  double scene_z;
  double shown_dt; /* seconds a step lasts on screen without a model's timestep */
} maml_env_view;

/* A named part of a MuJoCo robot's observation, read from the state after each reset and
 * step (the parts in the robot's order make the observation). */
typedef enum {
  MAML_OBS_END = 0,   /* the end of the list */
  MAML_OBS_QPOS,      /* qpos[skip:]: skip 1 leaves out the root's x, 2 its x and y */
  MAML_OBS_QVEL,      /* qvel */
  MAML_OBS_CFRC_EXT,  /* clip(cfrc_ext, -1, 1) of every body (6 a body) */
  MAML_OBS_BODY_XMAT, /* the robot's body's orientation (9) */
  MAML_OBS_BODY_COM,  /* the robot's body's subtree centre of mass (3) */
  /* mjData's arrays as they are (the humanoid's observation): cinert (10 a body), cvel (6 a
   * body), qfrc_actuator (nv), cfrc_ext unclipped (6 a body); the last two need forces 1 */
  MAML_OBS_CINERT,
  MAML_OBS_CVEL,
  MAML_OBS_QFRC_ACTUATOR,
  MAML_OBS_CFRC_EXT_RAW,
  MAML_OBS_QVEL_CLIP /* clip(qvel, -bound, bound) (rand_param_envs' hopper and walker: 10) */
} maml_env_obs_kind;

typedef struct {
  maml_env_obs_kind kind;
  int skip;     /* MAML_OBS_QPOS: the leading coordinates left out */
  double bound; /* MAML_OBS_QVEL_CLIP: the clip bound, > 0 */
} maml_env_obs_part;

#define MAML_OBS_MAX_PARTS 8
#define MAML_FRAME_SKIP_MAX 1000 /* the most simulation steps per action */

/* A robot: its model, the observation it builds, its reset noise, the reward terms every
 * task shares (control cost, contact cost, alive bonus), its termination rule and the
 * viewer's hints. Written once per robot: envs/half_cheetah.c, envs/ant.c, envs/point.c, or
 * anywhere with maml/env_mujoco.h (tests/test_env_public.c). */
typedef struct maml_env_robot {
  const char *name; /* "half-cheetah" */
  /* the MJCF model (NULL: no MuJoCo model, a robot of its own reset, advance, observe):
   * a path that starts with '/' is the file itself, loaded from there whatever assets
   * folder is named (maml_env_world_open's assets_dir, $MAML_ASSETS); any other is a path
   * inside the assets folder, found by maml_env_world_open's search. A family file's
   * robot has the first kind: its model = key made absolute from the file's folder. */
  const char *model_file;
  const char *body; /* the body whose motion counts ("torso"): info.x, y, forward_vel,
                       the BODY_ parts; needed with a model */
  const char *gait; /* the verb of its motion in texts: "run", "walk" */
  int obs_dim, act_dim;
  /* the model's sizes: the observation parts are checked against them at registration,
   * the model against them when a world opens (nbody < 0: any, unless the observation
   * has contact forces) */
  int nq, nv, nu, nbody;
  int ngeom; /* the model's geoms, for dynamics tasks (0: unknown, not checked) */
  double qpos_noise, qvel_noise; /* reset noise: N(0, s^2) per coordinate */
  /* 1: the reset noise is U(-s, s) per coordinate instead (gym's humanoid: 0.01;
   * rand_param_envs' hopper and walker: 0.005) */
  int uniform_noise;
  /* model steps per environment step (0 or 1: one, the original families; rand_param_envs'
   * robots: 4; the humanoid: 5) */
  int frame_skip;
  /* 1: the body's velocity (info.forward_vel, a heading's) is its subtree centre of mass's
   * displacement over the step divided by the step's duration (frame_skip x timestep), as
   * the humanoid benchmarks measure it; 0: its velocity at the end of the step (cvel) */
  int com_displacement;
  double ctrl_cost;    /* weight of sum(a^2) over the clipped action */
  double contact_cost; /* weight of sum(clip(cfrc_ext, -1, 1)^2) (0: none) */
  /* > 0: the contact cost is min(contact_cost * sum(cfrc_ext^2), contact_max), the forces
   * not clipped (gym's humanoid: 0.5e-6, capped at 10); 0: the clipped sum above */
  double contact_max;
  double alive_bonus;  /* added each step (0: none) */
  int height_index;    /* termination: qpos[height_index] outside [z_min, z_max] ends the */
  double z_min, z_max; /* episode (z_max <= z_min: never; instability always does) */
  /* the healthy rules of rand_param_envs' hopper and walker, strict as it writes them (each
   * 0: none): z_open 1 ends the episode unless z_min < qpos[height_index] < z_max (open
   * range; z_max may be HUGE_VAL); angle_max > 0 unless |qpos[angle_index]| < angle_max;
   * state_max > 0 unless |qpos[i]| < state_max for every i >= 2 and |qvel[j]| < state_max
   * for every j (its "state[2:]": the planar root's x and height left out) */
  int z_open;
  int angle_index;
  double angle_max;
  double state_max;
  /* forward_vel: 0 the x velocity of the body's subtree centre of mass after the step; 1 the
   * root's x displacement (qpos[0], a planar robot's x slide) over the step divided by its
   * duration, frame_skip x timestep (rand_param_envs' (posafter - posbefore) / dt); at reset
   * qvel[0] */
  int root_velocity;
  /* 1: cfrc_ext is computed each step, as a contact cost or a MAML_OBS_CFRC_EXT part needs
   * (maml_env_register refuses them without it), and qfrc_actuator at the new state */
  int forces;
  /* reset the state (the task is set; rng NULL: no noise); info.x, y and forward_vel */
  void (*reset)(maml_env *e, maml_rng *rng);
  /* simulate one step: info (x, y, forward_vel, costs, unstable), *done by the termination
   * rule; returns the shared reward terms (the alive bonus minus the costs) */
  double (*advance)(maml_env *e, const maml_real *action, int *done);
  /* the observation's obs_dim numbers: the parts below (maml_mj_observe, maml/env_mujoco.h)
   * or a robot's own function */
  void (*observe)(const maml_env *e, maml_real *obs);
  maml_env_obs_part obs_parts[MAML_OBS_MAX_PARTS]; /* up to the first MAML_OBS_END */
  maml_env_view view;
} maml_env_robot;

/* ---- task kinds ---------------------------------------------------------------------- */

/* the marker the viewer draws for a goal */
typedef enum {
  MAML_MARKER_VELOCITY,  /* an arrow of the goal velocity and a post moving at it */
  MAML_MARKER_DIRECTION, /* an arrow of unit length forward or backward */
  MAML_MARKER_POSITION,  /* a disc and pole at the goal, and the trail */
  MAML_MARKER_NONE,      /* nothing (a dynamics task: the goal is the usual forward run) */
  MAML_MARKER_HEADING    /* an arrow over the body along the heading angle task[0] */
} maml_env_marker;

/* A task's distribution and reward parameters, as a family sets them for its kind. */
typedef struct {
  double lo, hi;       /* goal velocity, goal position: U[lo, hi] per coordinate */
  double bonus;        /* added to the task's reward term each step (0: none) */
  double weight;       /* goal heading: the velocity term times this (0: 1) */
  int norm;            /* goal position: the reward's distance, 1 (L1) or 2 (Euclidean) */
  double reach_tol;    /* goal position: the episode ends when every coordinate is within
                          this of the goal (0: never) */
  const char *example; /* a --goal example for the syntax text (NULL: one made up) */
  /* dynamics: which parameter groups vary (MAML_DYN_* bits; the u range is [lo, hi]) */
  unsigned params;
} maml_env_task_dist;

/* the parameter groups of a dynamics task (envs/task_dynamics.c) */
#define MAML_DYN_MASS 1u     /* body_mass x 1.5^u, one u a body */
#define MAML_DYN_INERTIA 2u  /* body_inertia x 1.5^u, three a body */
#define MAML_DYN_FRICTION 4u /* geom_friction x 1.5^u, three a geom */
#define MAML_DYN_DAMPING 8u  /* dof_damping x 1.3^u, one a dof */
#define MAML_DYN_ALL 15u

/* A task kind, written once for every robot (envs/tasks.c): it samples, parses and
 * describes its tasks, adds its reward term, names its goal for the overlay and tells the
 * viewer which marker to draw. */
typedef struct maml_env_task_kind {
  const char *name; /* "goal-velocity" */
  int dim;          /* numbers in a task, at most MAML_TASK_MAX (0: family_dim gives them) */
  maml_env_marker marker;
  int discrete; /* finitely many tasks: goals repeat (per-goal reports) */
  /* a discrete kind's goals: writes them (task_dim numbers each, MAML_TASK_MAX apart) into
   * tasks, at most max, and returns their count (NULL: not discrete) */
  int (*goals)(const maml_env_family *f, double *tasks, int max);
  void (*sample)(const maml_env_family *f, maml_rng *rng, double *task);
  maml_status (*parse)(const maml_env_family *f, const char *text, double *task, char *err,
                       size_t err_sz);
  /* the distribution for `maml envs` and what --goal accepts */
  void (*describe)(const maml_env_family *f, char *desc, size_t desc_n, char *syntax,
                   size_t syntax_n);
  /* the goal for the overlay: "velocity 1.50 m/s" */
  void (*goal_text)(const double *task, char *buf, size_t n);
  void (*reset)(maml_env *e); /* info at the start of an episode (NULL: nothing) */
  /* the task's reward term after the robot's step (its bonus included); may end it */
  double (*reward)(maml_env *e, int *done);
  /* 0 when dist fits this kind, else a message naming what does not */
  int (*check)(const maml_env_task_dist *dist, char *why, size_t n);
  /* a kind whose size depends on the family (dim 0): the numbers of f's tasks, < 1 when the
   * robot lacks the sizes it needs (NULL: dim) */
  int (*family_dim)(const maml_env_family *f);
  /* a kind that changes the physics: set the instance's own model (e->model) from the
   * world's and the task in e->task, derived constants included (NULL: the reward only) */
  void (*apply)(maml_env *e);
  int no_goal_flag; /* --goal cannot name a task (too many numbers): a goals file or a seed */
  /* 0 when the robot gives what the reward term reads, else a message naming what it lacks
   * (NULL: every robot) */
  int (*robot_check)(const maml_env_robot *r, char *why, size_t n);
  /* a second line on the task for the viewer's overlay, after goal_text's: a dynamics
   * task's scale factors ("mass x0.42-3.1, ...") (NULL: none) */
  void (*goal_detail)(const maml_env_family *f, const double *task, char *buf, size_t n);
  /* the factor an oracle world (MAML_ORACLE_SCALED) multiplies the task's numbers by before
   * appending them, so that they weigh no more than the robot's own observation at a
   * fresh network's first layer (NULL: 1, the numbers as they are) */
  double (*oracle_scale)(const maml_env_family *f);
} maml_env_task_kind;

/* Helpers for a task kind's parse (what --goal and goals files give). Parse exactly count
 * comma-separated finite numbers from text into out, each in [lo, hi]; family and what
 * ("velocity", "position") name the goal in messages. MAML_ERR_FORMAT for text that is not
 * count numbers, MAML_ERR_ARG for a number outside [lo, hi]; out untouched on error. */
maml_status maml_task_parse_range(const char *family, const char *what, const char *text, int count,
                                  double lo, double hi, double *out, char *err, size_t err_sz);

/* Parse a direction: exactly -1 or 1 (errors as maml_task_parse_range's). */
maml_status maml_task_parse_direction(const char *family, const char *text, double *out, char *err,
                                      size_t err_sz);

/* ---- the built-in robots and task kinds ---------------------------------------------- */

/* The robots of the built-in families, to build other families from (as they are, or a
 * copy changed): the half-cheetah (half_cheetah.xml, 20 numbers observed, 6 actions), the
 * ant (ant.xml, 125 observed, 8 actions) and the point of nav2d (no model, 2 and 2). */
extern const maml_env_robot maml_robot_half_cheetah;
extern const maml_env_robot maml_robot_ant;
/* the humanoid (humanoid.xml, 376 observed, 17 actions, frame skip 5): envs/humanoid.c */
extern const maml_env_robot maml_robot_humanoid;
extern const maml_env_robot maml_robot_point;
/* rand_param_envs' planar hopper and walker (hopper.xml: 11 observed, 3 actions; walker2d.xml:
 * 17 and 6): frame skip 4, the root's x displacement as forward velocity, strict healthy
 * rules (envs/hopper.c, envs/walker2d.c) */
extern const maml_env_robot maml_robot_hopper;
extern const maml_env_robot maml_robot_walker2d;

/* The task kinds, for any robot with a body:
 * goal velocity: -|forward_vel - v| (+ bonus), v ~ U[lo, hi];
 * goal direction: d * forward_vel (+ bonus), d = -1 or 1 with probability 1/2 each;
 * goal position: minus the L1 or Euclidean (dist.norm) distance of the body's (x, y) to
 *   the goal (+ bonus), each coordinate ~ U[lo, hi], ending at the goal with reach_tol;
 * goal heading: the body's centre-of-mass velocity along (cos theta, sin theta), times
 *   dist.weight when it is not 0 (+ bonus), theta ~ U[lo, hi] radians ([0, 2 pi) when
 *   lo = hi = 0); a robot with a MuJoCo model;
 * dynamics: the forward velocity of a robot whose masses, inertias, frictions and
 *   dampings (dist.params) a task scales by 1.5^u or 1.3^u, u ~ U[lo, hi] each (the robot
 *   gives nbody, ngeom and nv). */
extern const maml_env_task_kind maml_task_goal_velocity;
extern const maml_env_task_kind maml_task_goal_direction;
extern const maml_env_task_kind maml_task_goal_position;
extern const maml_env_task_kind maml_task_goal_heading;
extern const maml_env_task_kind maml_task_dynamics;

/* ---- families ------------------------------------------------------------------------ */

/* A family's defaults for training and evaluation (0: the common default below). */
typedef struct {
  int tasks, episodes, iterations; /* maml train's tasks, episodes and iterations */
  int eval_episodes, eval_steps;   /* maml eval's and maml view's --episodes and --steps */
  double alpha; /* maml train's inner step size when the config does not set alpha (0: the
                   config's default, 0.1) */
} maml_env_preset;

#define MAML_ENV_TASKS 40
#define MAML_ENV_EPISODES 20
#define MAML_ENV_ITERATIONS 500
#define MAML_ENV_EVAL_EPISODES 20
#define MAML_ENV_EVAL_STEPS 3

/* A family: a robot, a task kind with its distribution, a horizon and a preset. The first
 * block is what a registrant gives; maml_env_register fills the second from it. */
struct maml_env_family {
  const char *name; /* "cheetah-vel" */
  const maml_env_robot *robot;
  const maml_env_task_kind *kind;
  maml_env_task_dist dist;
  int horizon;
  maml_env_preset preset;
  const char *note; /* where the definition comes from, for `maml envs` (NULL: none) */
  /* filled by maml_env_register */
  const char *model_file; /* the robot's */
  int obs_dim;            /* observation size without the task (the robot's) */
  int act_dim;
  int task_dim;            /* the kind's */
  const char *task_desc;   /* the distribution, for `maml envs`: "goal velocity ~ U[0, 2]" */
  const char *goal_syntax; /* what --goal accepts: "a velocity in [0, 2], e.g. 1.5" */
  /* the kind's sample and parse for this family: a clear message naming the value and the
   * allowed range on error */
  void (*sample_task)(maml_rng *rng, double *task);
  maml_status (*parse_task)(const char *text, double *task, char *err, size_t err_sz);
};

/* What an oracle world appends to the observation (maml_env_world_open's oracle): nothing,
 * the task's numbers as they are, or times the kind's oracle_scale (the same as RAW for a
 * kind without one). A run records it as its config's oracle_obs (maml/config.h); an
 * oracle run trained before that key existed reads as RAW, as it was trained. */
enum { MAML_ORACLE_NONE = 0, MAML_ORACLE_RAW = 1, MAML_ORACLE_SCALED = 2 };

struct maml_env_world {
  const maml_env_family *family;
  int oracle;                     /* MAML_ORACLE_*: the task appended to the observation */
  double oracle_scale;            /* the factor the appended task is multiplied by (1: RAW) */
  int obs_dim;                    /* family->obs_dim + (oracle ? task_dim : 0) */
  mjModel *model;                 /* NULL for nav2d */
  char model_path[MAML_PATH_MAX]; /* where the model was loaded from */
  char assets_dir[MAML_PATH_MAX]; /* the folder the user named (absolute), "" for the
                                     built-in search */
  uint64_t model_hash;            /* maml_hash of the model file (maml/hash.h) (0: nav2d) */
  int torso_body;                 /* body id of the robot's body ("torso"), or -1 */
  int init_key;                   /* keyframe "init" or -1: the reset state */
  mjtNum *init_state; /* that state: time, qpos, qvel, act, ctrl, mocap_pos, mocap_quat */
};

/* An instance's state lives in data (MuJoCo) or point (nav2d). Code that edits data's
 * state by hand (tests, the viewer) calls mj_forward(world->model, data) afterwards, as
 * MuJoCo requires before stepping: a step reuses the position and velocity stages that
 * the reset or the previous step computed (see maml/env_mujoco.h). */
struct maml_env {
  const maml_env_world *world;
  /* the model simulated: world->model, or the instance's own copy (mj_copyModel at init)
   * when the task kind changes the physics; NULL for nav2d */
  mjModel *model;
  double task[MAML_TASK_MAX];
  mjData *data;        /* NULL for nav2d */
  double point[2];     /* nav2d position */
  int t;               /* steps since reset */
  maml_step_info info; /* diagnostics of the last step */
  /* a robot with com_displacement: the body's x and y velocity over the last step (at reset:
   * the velocity then) */
  double com_vel[2];
  /* the simulation steps taken (a MuJoCo robot's frame_skip mj_step-equivalent steps per
   * step, maml_mj_robot_advance's) and the time they took, by MuJoCo's clock mjcb_time,
   * summed since init or since the caller last zeroed them; both stay 0 while mjcb_time is
   * NULL (its default) and for a robot of its own advance (benchmarks: maml/sampler.h's
   * maml_sampler_physics) */
  double physics_time;
  long physics_steps;
};

/* ---- families ------------------------------------------------------------------------ */

/* All families, the built-in ones first, then the registered ones in the order they came;
 * *count receives their number. */
const maml_env_family *const *maml_env_families(int *count);
/* The family called name, or NULL. */
const maml_env_family *maml_env_find(const char *name);
/* "cheetah-vel, cheetah-dir, ..." for error messages (every family registered so far). */
const char *maml_env_names(void);

#define MAML_ENV_MAX_FAMILIES 32

/* Add a family: its name (1 to 31 letters, digits, - _ .; not taken), robot, kind,
 * distribution (as the kind checks it), horizon >= 1 and preset (each >= 0) are copied, the
 * derived fields filled; f's strings and the robot and kind must outlive the registry.
 * Errors: MAML_ERR_ARG with a message naming the bad field (a NULL family, a name taken, a
 * full registry; a robot without its functions, whose observation parts do not fit its
 * nq, nv and nbody or do not make its obs_dim, whose height_index is outside qpos, or that
 * reads contact forces without forces 1). The model itself is checked when a world opens.
 * Not thread-safe: register before opening worlds or starting threads. */
maml_status maml_env_register(const maml_env_family *f, char *err, size_t err_sz);

/* Which defaults maml_env_preset_text describes. */
typedef enum {
  MAML_PRESET_TASKS,
  MAML_PRESET_EPISODES,
  MAML_PRESET_ITERATIONS,
  MAML_PRESET_HORIZON,
  MAML_PRESET_EVAL_EPISODES,
  MAML_PRESET_EVAL_STEPS
} maml_env_preset_field;

/* A family's value of field (its preset's, the common default where that is 0). */
int maml_env_preset_value(const maml_env_family *f, maml_env_preset_field field);

/* The values of field over the families, for --help: the most common one, then the
 * families that differ, "20; ant-dir, nav2d 40". Returns the length like snprintf. */
int maml_env_preset_text(maml_env_preset_field field, char *buf, size_t n);

/* The built-in robot called name ("hopper"), or NULL; the robots are those of the built-in
 * families (a family file's `robot =` names one). */
const maml_env_robot *maml_env_find_robot(const char *name);
/* "half-cheetah, ant, point, ..." (length like snprintf). */
int maml_env_robot_names(char *buf, size_t n);

/* The names of the families of a discrete kind (goals repeat), "cheetah-dir, ant-dir". */
int maml_env_discrete_names(char *buf, size_t n);

/* Parse a task as --goal writes it, without the family's range: a goal outside the
 * training distribution, to measure extrapolation (cheetah-vel's velocity 3). The kind's
 * syntax still holds (a direction is still -1 or 1). */
maml_status maml_env_parse_task_outside(const maml_env_family *f, const char *text, double *task,
                                        char *err, size_t err_sz);

/* 1 when the family's own parse refuses task (it lies outside the training distribution). */
int maml_env_task_outside(const maml_env_family *f, const double *task);

/* The goals of a family of a discrete kind (cheetah-dir's -1 and 1), task_dim numbers
 * each, MAML_TASK_MAX apart in tasks (room for max): their count; 0 for a family whose
 * goals do not repeat. */
int maml_env_goal_set(const maml_env_family *f, double *tasks, int max);

/* Write a task as the --goal syntax reads it ("1.5", "-1", "0.3,-0.2"): each number in
 * the shortest form that parses back to the same double. Returns the length of the full
 * text like snprintf (the text is cut when it is n or longer), -1 for bad arguments. */
int maml_env_format_task(const maml_env_family *f, const double *task, char *buf, size_t n);

/* ---- family files (envs/family_file.c) ------------------------------------------------ */

/* 1 when an --env value names a family file (it holds a '/' or ends in .ini), not a family. */
int maml_env_is_file(const char *v);

/* Make the family v names usable: a registered family's name is copied into name; a family
 * file is read, parsed, its model loaded once to check it, and its family registered under
 * its own name (again for the same file content: nothing to do; for a different content
 * under a name already registered: refused). *hash (may be NULL) receives the file's content
 * hash (0 for a name). Errors name the file, the line, the key, the bad value and what is
 * allowed: MAML_ERR_ARG, MAML_ERR_FORMAT (a malformed line, a model MuJoCo cannot load),
 * MAML_ERR_IO (a file that cannot be read). Not thread-safe (as maml_env_register). */
maml_status maml_env_use(const char *v, char *name, size_t name_n, uint64_t *hash, char *err,
                         size_t err_sz);

/* Read a family file whole (at most 1 MiB) into *text (malloc'd, the caller frees) and hash
 * its bytes (hash may be NULL). */
maml_status maml_env_file_read(const char *path, char **text, size_t *len, uint64_t *hash,
                               char *err, size_t err_sz);

/* Check family file text without reading any file or registering (for the fuzzer): its
 * lines, keys and duplicates, the task and its distribution, the preset, the observation
 * parts' names, the reward weights, the termination and the camera; not the name, the
 * robot or the model. Errors as maml_env_use's. */
maml_status maml_env_file_check(const char *text, size_t len, const char *origin, char *err,
                                size_t err_sz);

/* What two family file texts set differently, key by key (comments, white space and the
 * order of the lines aside): the number of keys that differ (given in one only, or with
 * other values), and the first few in buf, "goal_range: '0, 0.5' in A, '0, 0.7' in B;
 * bonus: not set in A, '1' in B; and 3 more" (a_name, b_name: A and B). -1 when a text
 * does not read as a family file (the reason in buf). */
int maml_env_file_diff(const char *a, size_t a_len, const char *a_name, const char *b, size_t b_len,
                       const char *b_name, char *buf, size_t n);

/* maml_env_file_diff of the files two registered families were read from (-1 when one is
 * not a family file's). */
int maml_env_family_diff(const char *a, const char *b, char *buf, size_t n);

/* Make the family of a run's copy of its family file usable in place of the file the run
 * recorded (recorded: its path, hash: its recorded content hash): the copy's bytes must
 * hash to hash (else MAML_ERR_ARG naming the copy and both hashes); they are parsed and
 * registered as maml_env_use does, paths in them relative to recorded's folder; from then
 * on maml_env_use(recorded) gives that family without reading recorded. When recorded
 * exists with other bytes, notice (may be NULL) receives a line naming the keys that
 * differ (else ""; again for the same run: nothing, ""). Not thread-safe. */
maml_status maml_env_use_copy(const char *copy, const char *recorded, uint64_t hash, char *name,
                              size_t name_n, char *notice, size_t notice_n, char *err,
                              size_t err_sz);

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

/* Open a family: find and load its model (a robot's model_file that starts with '/' is
 * that file, not searched for). oracle: a MAML_ORACLE_* mode (any other non-zero value
 * counts as RAW). The assets folder is searched in this order:
 * assets_dir (if not NULL), $MAML_ASSETS, else the built-in models: the source tree's
 * assets/ for a program of the build tree, PREFIX/share/maml/assets for a libmaml or a
 * program installed in PREFIX (found from the file's own location: libmaml.so's folder,
 * or the program's for a static libmaml; the prefix can be moved). A folder named by
 * the user (assets_dir, else a non-empty $MAML_ASSETS) is the only place looked at: when
 * it lacks the model that is an error, never a silent fall-back to the built-in models.
 * Errors: MAML_ERR_ARG unknown family (the message lists the names); MAML_ERR_IO model
 * file not found (the message lists every place tried); MAML_ERR_FORMAT the file does not
 * load (MuJoCo's own error text) or is a model of another robot (sizes other than the
 * robot's nq, nv, nu, nbody, or no body named robot->body). The world records the
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
