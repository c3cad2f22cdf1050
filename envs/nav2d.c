/* 2D navigation (tasks.md), pure C: a point starts at (0, 0) and moves by the action,
 * r = -||p - g|| after the move, and the episode ends when both coordinates are within 0.01
 * of the goal. Observation: p. The action follows the rule of every family: clipped to
 * [-1, 1] per coordinate, then mapped linearly onto the move range [-0.1, 0.1], so a move
 * is 0.1 * clip(a, -1, 1). (The paper's code wrapped its point environment the same way,
 * with rllab's normalize(); clipping the raw action to [-0.1, 0.1] instead makes the
 * initial std of 1 ten times wider relative to the range, and the policy never gets
 * precise enough to stop on the goal.) */
#include <math.h>

#include "envs/family.h"

#define NAV_STEP_MAX 0.1
#define NAV_GOAL_MAX 0.5
#define NAV_GOAL_TOL 0.01

static void nav_sample(maml_rng *rng, double *task) {
  task[0] = maml_rng_uniform_range(rng, -NAV_GOAL_MAX, NAV_GOAL_MAX);
  task[1] = maml_rng_uniform_range(rng, -NAV_GOAL_MAX, NAV_GOAL_MAX);
}

static maml_status nav_parse(const char *text, double *task, char *err, size_t err_sz) {
  return maml_task_parse_range("nav2d", "position", text, 2, -NAV_GOAL_MAX, NAV_GOAL_MAX, task, err,
                               err_sz);
}

static void nav_reset(maml_env *e, maml_rng *rng) {
  (void)rng;
  e->point[0] = 0.0;
  e->point[1] = 0.0;
  double dx = -e->task[0], dy = -e->task[1];
  e->info.goal_dist = sqrt(dx * dx + dy * dy);
}

static void nav_observe(const maml_env *e, maml_real *obs) {
  obs[0] = (maml_real)e->point[0];
  obs[1] = (maml_real)e->point[1];
}

static void nav_step(maml_env *e, const maml_real *action, double *reward, int *done) {
  int bad = 0;
  for (int i = 0; i < 2; i++) {
    double a = (double)action[i];
    if (!isfinite(a)) {
      bad = 1;
      if (isnan(a)) a = 0.0;
    }
    e->point[i] += NAV_STEP_MAX * maml_clip(a, -1.0, 1.0);
  }
  double dx = e->point[0] - e->task[0], dy = e->point[1] - e->task[1];
  double dist = sqrt(dx * dx + dy * dy);
  e->info.x = e->point[0];
  e->info.y = e->point[1];
  e->info.goal_dist = dist;
  e->info.unstable = bad;
  *reward = -dist;
  *done = bad || (fabs(dx) < NAV_GOAL_TOL && fabs(dy) < NAV_GOAL_TOL);
}

const maml_env_family maml_family_nav2d = {
    .name = "nav2d",
    .robot = "point",
    .model_file = NULL,
    .obs_dim = 2,
    .act_dim = 2,
    .task_dim = 2,
    .horizon = 100,
    .task_desc = "goal position ~ U[-0.5, 0.5]^2",
    .goal_syntax = "x,y each in [-0.5, 0.5], e.g. 0.3,-0.2",
    .sample_task = nav_sample,
    .parse_task = nav_parse,
    .reset = nav_reset,
    .step = nav_step,
    .observe = nav_observe,
    .check_model = NULL,
};
