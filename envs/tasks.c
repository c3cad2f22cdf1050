/* The task kinds, written once for every robot: goal velocity, goal direction (forward or
 * backward) and goal position. Each samples, parses and describes its tasks, adds its
 * reward term after the robot's step and names its goal for the viewer. */
#include <math.h>
#include <stdio.h>

#include "envs/family.h"

/* the family's example, or the one given */
static const char *example(const maml_env_family *f, const char *made_up) {
  return f->dist.example ? f->dist.example : made_up;
}

static int check_range(const maml_env_task_dist *d, char *why, size_t n) {
  if (isfinite(d->lo) && isfinite(d->hi) && d->lo < d->hi && isfinite(d->bonus)) return 0;
  snprintf(why, n, "the goal range [%g, %g] and bonus %g: expected finite numbers, lo < hi", d->lo,
           d->hi, d->bonus);
  return 1;
}

/* ---- goal velocity: reward -|v_x - v*| ------------------------------------------------- */

static void vel_sample(const maml_env_family *f, maml_rng *rng, double *task) {
  task[0] = maml_rng_uniform_range(rng, f->dist.lo, f->dist.hi);
}

static maml_status vel_parse(const maml_env_family *f, const char *text, double *task, char *err,
                             size_t err_sz) {
  return maml_task_parse_range(f->name, "velocity", text, 1, f->dist.lo, f->dist.hi, task, err,
                               err_sz);
}

static void vel_describe(const maml_env_family *f, char *desc, size_t desc_n, char *syntax,
                         size_t syntax_n) {
  char made_up[40];
  snprintf(made_up, sizeof made_up, "%g", 0.5 * (f->dist.lo + f->dist.hi));
  snprintf(desc, desc_n, "goal velocity ~ U[%g, %g]", f->dist.lo, f->dist.hi);
  snprintf(syntax, syntax_n, "a velocity in [%g, %g], e.g. %s", f->dist.lo, f->dist.hi,
           example(f, made_up));
}

static void vel_goal_text(const double *task, char *buf, size_t n) {
  snprintf(buf, n, "velocity %.2f m/s", task[0]);
}

static double vel_reward(maml_env *e, int *done) {
  (void)done;
  double r = -fabs(e->info.forward_vel - e->task[0]);
  double bonus = e->world->family->dist.bonus;
  return bonus != 0.0 ? r + bonus : r;
}

const maml_env_task_kind maml_task_goal_velocity = {
    .name = "goal-velocity",
    .dim = 1,
    .marker = MAML_MARKER_VELOCITY,
    .discrete = 0,
    .sample = vel_sample,
    .parse = vel_parse,
    .describe = vel_describe,
    .goal_text = vel_goal_text,
    .reset = NULL,
    .reward = vel_reward,
    .check = check_range,
};

/* ---- goal direction: reward d * v_x, d = -1 or +1 -------------------------------------- */

static void dir_sample(const maml_env_family *f, maml_rng *rng, double *task) {
  (void)f;
  task[0] = maml_task_sample_direction(rng);
}

static maml_status dir_parse(const maml_env_family *f, const char *text, double *task, char *err,
                             size_t err_sz) {
  return maml_task_parse_direction(f->name, text, task, err, err_sz);
}

static void dir_describe(const maml_env_family *f, char *desc, size_t desc_n, char *syntax,
                         size_t syntax_n) {
  const char *gait = f->robot->gait ? f->robot->gait : "move";
  snprintf(desc, desc_n, "direction -1 or +1, probability 1/2 each");
  snprintf(syntax, syntax_n, "-1 (%s backward) or 1 (%s forward)", gait, gait);
}

static void dir_goal_text(const double *task, char *buf, size_t n) {
  snprintf(buf, n, "direction %s", task[0] > 0 ? "+1 (forward)" : "-1 (backward)");
}

static double dir_reward(maml_env *e, int *done) {
  (void)done;
  double r = e->task[0] * e->info.forward_vel;
  double bonus = e->world->family->dist.bonus;
  return bonus != 0.0 ? r + bonus : r;
}

static int dir_check(const maml_env_task_dist *d, char *why, size_t n) {
  if (isfinite(d->bonus)) return 0;
  snprintf(why, n, "the bonus %g: expected a finite number", d->bonus);
  return 1;
}

static int dir_goals(const maml_env_family *f, double *tasks, int max) {
  (void)f;
  if (max >= 1) tasks[0] = -1.0;
  if (max >= 2) tasks[MAML_TASK_MAX] = 1.0;
  return 2;
}

const maml_env_task_kind maml_task_goal_direction = {
    .name = "goal-direction",
    .dim = 1,
    .marker = MAML_MARKER_DIRECTION,
    .discrete = 1,
    .goals = dir_goals,
    .sample = dir_sample,
    .parse = dir_parse,
    .describe = dir_describe,
    .goal_text = dir_goal_text,
    .reset = NULL,
    .reward = dir_reward,
    .check = dir_check,
};

/* ---- goal position: reward -distance(body, goal) in the plane -------------------------- */

static void pos_sample(const maml_env_family *f, maml_rng *rng, double *task) {
  task[0] = maml_rng_uniform_range(rng, f->dist.lo, f->dist.hi);
  task[1] = maml_rng_uniform_range(rng, f->dist.lo, f->dist.hi);
}

static maml_status pos_parse(const maml_env_family *f, const char *text, double *task, char *err,
                             size_t err_sz) {
  return maml_task_parse_range(f->name, "position", text, 2, f->dist.lo, f->dist.hi, task, err,
                               err_sz);
}

static void pos_describe(const maml_env_family *f, char *desc, size_t desc_n, char *syntax,
                         size_t syntax_n) {
  char made_up[80];
  double mid = 0.5 * (f->dist.lo + f->dist.hi);
  snprintf(made_up, sizeof made_up, "%g,%g", mid, mid);
  snprintf(desc, desc_n, "goal position ~ U[%g, %g]^2", f->dist.lo, f->dist.hi);
  snprintf(syntax, syntax_n, "x,y each in [%g, %g], e.g. %s", f->dist.lo, f->dist.hi,
           example(f, made_up));
}

static void pos_goal_text(const double *task, char *buf, size_t n) {
  snprintf(buf, n, "position (%.2f, %.2f)", task[0], task[1]);
}

static void pos_reset(maml_env *e) {
  double dx = e->info.x - e->task[0], dy = e->info.y - e->task[1];
  e->info.goal_dist = sqrt(dx * dx + dy * dy);
}

/* info.goal_dist: the Euclidean distance; the reward's is the family's norm */
static double pos_reward(maml_env *e, int *done) {
  const maml_env_task_dist *d = &e->world->family->dist;
  double dx = e->info.x - e->task[0], dy = e->info.y - e->task[1];
  double dist = sqrt(dx * dx + dy * dy);
  e->info.goal_dist = dist;
  if (d->reach_tol > 0 && fabs(dx) < d->reach_tol && fabs(dy) < d->reach_tol) *done = 1;
  double r = d->norm == 1 ? -(fabs(dx) + fabs(dy)) : -dist;
  return d->bonus != 0.0 ? r + d->bonus : r;
}

static int pos_check(const maml_env_task_dist *d, char *why, size_t n) {
  if (check_range(d, why, n)) return 1;
  if ((d->norm == 1 || d->norm == 2) && isfinite(d->reach_tol) && d->reach_tol >= 0) return 0;
  snprintf(why, n, "norm %d, reach_tol %g: expected norm 1 or 2 and a tolerance >= 0", d->norm,
           d->reach_tol);
  return 1;
}

const maml_env_task_kind maml_task_goal_position = {
    .name = "goal-position",
    .dim = 2,
    .marker = MAML_MARKER_POSITION,
    .discrete = 0,
    .sample = pos_sample,
    .parse = pos_parse,
    .describe = pos_describe,
    .goal_text = pos_goal_text,
    .reset = pos_reset,
    .reward = pos_reward,
    .check = pos_check,
};
