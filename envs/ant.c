/* Ant families (tasks.md): ant-vel, ant-dir, ant-goal.
 * Observation (125): qpos (15), qvel (14), clip(cfrc_ext, -1, 1) of all 14 bodies (84),
 * torso xmat (9), torso COM (3).
 * Costs: ctrl = 0.005 * sum(a^2) (clipped normalised action), contact = 0.0005 *
 * sum(clip(cfrc_ext, -1, 1)^2), survive bonus +0.05.
 * Termination: the simulation went unstable (a non-finite state included), or torso z
 * outside [0.2, 1.0]. */
#include <math.h>

#include "envs/family.h"
#include "envs/mujoco_env.h"

#define ANT_NQ 15
#define ANT_NV 14
#define ANT_NU 8
#define ANT_NBODY 14
#define ANT_OBS (ANT_NQ + ANT_NV + 6 * ANT_NBODY + 9 + 3)
#define ANT_CTRL_COST 0.005
#define ANT_CONTACT_COST 0.0005
#define ANT_SURVIVE 0.05
#define ANT_Z_MIN 0.2
#define ANT_Z_MAX 1.0
#define ANT_VEL_MAX 3.0
#define ANT_VEL_BONUS 1.0
#define ANT_GOAL_MAX 3.0
#define ANT_GOAL_BONUS 4.0

static maml_status ant_check(const maml_env_family *f, const mjModel *m, char *err,
                                 size_t err_sz) {
  return maml_mj_check_sizes(m, f->name, ANT_NQ, ANT_NV, ANT_NU, ANT_NBODY, err, err_sz);
}

static void ant_reset(maml_env *e, maml_rng *rng) {
  maml_mj_reset(e, rng, 1);
  const mjtNum *com = maml_mj_torso_com(e);
  e->info.forward_vel = maml_mj_forward_vel(e);
  e->info.x = com[0];
  e->info.y = com[1];
  if (e->world->family->task_dim == 2)  // ant-goal
    e->info.goal_dist = hypot(com[0] - e->task[0], com[1] - e->task[1]);
}

static void ant_observe(const maml_env *e, maml_real *obs) {
  const mjData *d = e->data;
  const mjtNum *com = maml_mj_torso_com(e);
  const mjtNum *xmat = d->xmat + 9 * e->world->torso_body;
  int k = 0;
  for (int i = 0; i < ANT_NQ; i++) obs[k++] = (maml_real)d->qpos[i];
  for (int i = 0; i < ANT_NV; i++) obs[k++] = (maml_real)d->qvel[i];
  for (int i = 0; i < 6 * ANT_NBODY; i++) obs[k++] = (maml_real)maml_clip(d->cfrc_ext[i], -1, 1);
  for (int i = 0; i < 9; i++) obs[k++] = (maml_real)xmat[i];
  for (int i = 0; i < 3; i++) obs[k++] = (maml_real)com[i];
}

/* simulate one step; writes the diagnostics and returns the survive bonus minus the
 * control and contact costs, the part of the reward common to the three tasks */
static double ant_advance(maml_env *e, const maml_real *action, int *done) {
  const mjData *d = e->data;
  int bad;
  double sumsq = maml_mj_set_action(e, action, &bad);
  int unstable = maml_mj_advance(e, 1) | bad;

  double contact = 0.0;
  for (int i = 0; i < 6 * ANT_NBODY; i++) {
    double f = maml_clip(d->cfrc_ext[i], -1, 1);
    contact += f * f;
  }
  const mjtNum *com = maml_mj_torso_com(e);
  e->info.forward_vel = maml_mj_forward_vel(e);
  e->info.x = com[0];
  e->info.y = com[1];
  e->info.ctrl_cost = ANT_CTRL_COST * sumsq;
  e->info.contact_cost = ANT_CONTACT_COST * contact;
  e->info.goal_dist = 0.0;
  e->info.unstable = unstable;

  double z = d->qpos[2];  // the torso's height (free joint at the torso's origin)
  *done = unstable || !(z >= ANT_Z_MIN && z <= ANT_Z_MAX);
  return ANT_SURVIVE - e->info.ctrl_cost - e->info.contact_cost;
}

/* ---- ant-vel -------------------------------------------------------------------------- */

static void vel_sample(maml_rng *rng, double *task) {
  task[0] = maml_rng_uniform_range(rng, 0.0, ANT_VEL_MAX);
}

static maml_status vel_parse(const char *text, double *task, char *err, size_t err_sz) {
  return maml_task_parse_range("ant-vel", "velocity", text, 1, 0.0, ANT_VEL_MAX, task, err, err_sz);
}

static void vel_step(maml_env *e, const maml_real *action, double *reward, int *done) {
  double common = ant_advance(e, action, done);
  *reward = -fabs(e->info.forward_vel - e->task[0]) + ANT_VEL_BONUS + common;
}

const maml_env_family maml_family_ant_vel = {
    .name = "ant-vel",
    .robot = "ant",
    .model_file = "ant.xml",
    .obs_dim = ANT_OBS,
    .act_dim = ANT_NU,
    .task_dim = 1,
    .horizon = 200,
    .task_desc = "goal velocity ~ U[0, 3]",
    .goal_syntax = "a velocity in [0, 3], e.g. 1.5",
    .sample_task = vel_sample,
    .parse_task = vel_parse,
    .reset = ant_reset,
    .step = vel_step,
    .observe = ant_observe,
    .check_model = ant_check,
};

/* ---- ant-dir -------------------------------------------------------------------------- */

static void dir_sample(maml_rng *rng, double *task) {
  task[0] = maml_task_sample_direction(rng);
}

static maml_status dir_parse(const char *text, double *task, char *err, size_t err_sz) {
  return maml_task_parse_direction("ant-dir", text, task, err, err_sz);
}

static void dir_step(maml_env *e, const maml_real *action, double *reward, int *done) {
  double common = ant_advance(e, action, done);
  *reward = e->task[0] * e->info.forward_vel + common;
}

const maml_env_family maml_family_ant_dir = {
    .name = "ant-dir",
    .robot = "ant",
    .model_file = "ant.xml",
    .obs_dim = ANT_OBS,
    .act_dim = ANT_NU,
    .task_dim = 1,
    .horizon = 200,
    .task_desc = "direction -1 or +1, probability 1/2 each",
    .goal_syntax = "-1 (walk backward) or 1 (walk forward)",
    .sample_task = dir_sample,
    .parse_task = dir_parse,
    .reset = ant_reset,
    .step = dir_step,
    .observe = ant_observe,
    .check_model = ant_check,
};

/* ---- ant-goal ------------------------------------------------------------------------- */

static void goal_sample(maml_rng *rng, double *task) {
  task[0] = maml_rng_uniform_range(rng, -ANT_GOAL_MAX, ANT_GOAL_MAX);
  task[1] = maml_rng_uniform_range(rng, -ANT_GOAL_MAX, ANT_GOAL_MAX);
}

static maml_status goal_parse(const char *text, double *task, char *err, size_t err_sz) {
  return maml_task_parse_range("ant-goal", "position", text, 2, -ANT_GOAL_MAX, ANT_GOAL_MAX, task,
                               err, err_sz);
}

/* reward: L1 distance of the torso COM to the goal; info.goal_dist: Euclidean distance */
static void goal_step(maml_env *e, const maml_real *action, double *reward, int *done) {
  double common = ant_advance(e, action, done);
  double dx = e->info.x - e->task[0], dy = e->info.y - e->task[1];
  e->info.goal_dist = sqrt(dx * dx + dy * dy);
  *reward = -(fabs(dx) + fabs(dy)) + ANT_GOAL_BONUS + common;
}

const maml_env_family maml_family_ant_goal = {
    .name = "ant-goal",
    .robot = "ant",
    .model_file = "ant.xml",
    .obs_dim = ANT_OBS,
    .act_dim = ANT_NU,
    .task_dim = 2,
    .horizon = 200,
    .task_desc = "goal position ~ U[-3, 3]^2",
    .goal_syntax = "x,y each in [-3, 3], e.g. 0.3,-0.2",
    .sample_task = goal_sample,
    .parse_task = goal_parse,
    .reset = ant_reset,
    .step = goal_step,
    .observe = ant_observe,
    .check_model = ant_check,
};
