/* Half-cheetah families (tasks.md): cheetah-vel and cheetah-dir.
 * Observation (20): qpos[1:] (root x left out), qvel, torso COM.
 * Reward: -|v_x - v*| or d * v_x, minus 0.05 * sum(a^2); never terminates (except when the
 * simulation goes unstable). */
#include <math.h>

#include "envs/family.h"
#include "envs/mujoco_env.h"

#define CHEETAH_NQ 9
#define CHEETAH_NV 9
#define CHEETAH_NU 6
#define CHEETAH_OBS (CHEETAH_NQ - 1 + CHEETAH_NV + 3)
#define CHEETAH_CTRL_COST 0.05
#define CHEETAH_VEL_MAX 2.0

static maml_status cheetah_check(const maml_env_family *f, const mjModel *m, char *err,
                                 size_t err_sz) {
  return maml_mj_check_sizes(m, f->name, CHEETAH_NQ, CHEETAH_NV, CHEETAH_NU, -1, err, err_sz);
}

static void cheetah_reset(maml_env *e, maml_rng *rng) {
  maml_mj_reset(e, rng, 0);
  const mjtNum *com = maml_mj_torso_com(e);
  e->info.forward_vel = maml_mj_forward_vel(e);
  e->info.x = com[0];
  e->info.y = com[1];
}

static void cheetah_observe(const maml_env *e, maml_real *obs) {
  const mjData *d = e->data;
  const mjtNum *com = maml_mj_torso_com(e);
  int k = 0;
  for (int i = 1; i < CHEETAH_NQ; i++) obs[k++] = (maml_real)d->qpos[i];
  for (int i = 0; i < CHEETAH_NV; i++) obs[k++] = (maml_real)d->qvel[i];
  for (int i = 0; i < 3; i++) obs[k++] = (maml_real)com[i];
}

/* simulate one step; writes the diagnostics and returns the forward velocity */
static double cheetah_advance(maml_env *e, const maml_real *action, int *done) {
  int bad;
  double sumsq = maml_mj_set_action(e, action, &bad);
  int unstable = maml_mj_advance(e, 0) | bad;
  const mjtNum *com = maml_mj_torso_com(e);
  double v = maml_mj_forward_vel(e);
  e->info.forward_vel = v;
  e->info.x = com[0];
  e->info.y = com[1];
  e->info.ctrl_cost = CHEETAH_CTRL_COST * sumsq;
  e->info.contact_cost = 0.0;
  e->info.goal_dist = 0.0;
  e->info.unstable = unstable;
  *done = unstable;
  return v;
}

/* ---- cheetah-vel ---------------------------------------------------------------------- */

static void vel_sample(maml_rng *rng, double *task) {
  task[0] = maml_rng_uniform_range(rng, 0.0, CHEETAH_VEL_MAX);
}

static maml_status vel_parse(const char *text, double *task, char *err, size_t err_sz) {
  return maml_task_parse_range("cheetah-vel", "velocity", text, 1, 0.0, CHEETAH_VEL_MAX, task, err,
                               err_sz);
}

static void vel_step(maml_env *e, const maml_real *action, double *reward, int *done) {
  double v = cheetah_advance(e, action, done);
  *reward = -fabs(v - e->task[0]) - e->info.ctrl_cost;
}

const maml_env_family maml_family_cheetah_vel = {
    .name = "cheetah-vel",
    .robot = "half-cheetah",
    .model_file = "half_cheetah.xml",
    .obs_dim = CHEETAH_OBS,
    .act_dim = CHEETAH_NU,
    .task_dim = 1,
    .horizon = 200,
    .task_desc = "goal velocity ~ U[0, 2]",
    .goal_syntax = "a velocity in [0, 2], e.g. 1.5",
    .sample_task = vel_sample,
    .parse_task = vel_parse,
    .reset = cheetah_reset,
    .step = vel_step,
    .observe = cheetah_observe,
    .check_model = cheetah_check,
};

/* ---- cheetah-dir ---------------------------------------------------------------------- */

static void dir_sample(maml_rng *rng, double *task) {
  task[0] = maml_task_sample_direction(rng);
}

static maml_status dir_parse(const char *text, double *task, char *err, size_t err_sz) {
  return maml_task_parse_direction("cheetah-dir", text, task, err, err_sz);
}

static void dir_step(maml_env *e, const maml_real *action, double *reward, int *done) {
  double v = cheetah_advance(e, action, done);
  *reward = e->task[0] * v - e->info.ctrl_cost;
}

const maml_env_family maml_family_cheetah_dir = {
    .name = "cheetah-dir",
    .robot = "half-cheetah",
    .model_file = "half_cheetah.xml",
    .obs_dim = CHEETAH_OBS,
    .act_dim = CHEETAH_NU,
    .task_dim = 1,
    .horizon = 200,
    .task_desc = "direction -1 or +1, probability 1/2 each",
    .goal_syntax = "-1 (run backward) or 1 (run forward)",
    .sample_task = dir_sample,
    .parse_task = dir_parse,
    .reset = cheetah_reset,
    .step = dir_step,
    .observe = cheetah_observe,
    .check_model = cheetah_check,
};
