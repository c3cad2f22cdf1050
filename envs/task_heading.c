/* The goal-heading task kind: run in a direction of the plane. A task is one angle theta
 * (radians, 0 along +x, pi/2 along +y) drawn from U[lo, hi]; a family that gives no range
 * (lo = hi = 0) draws from the full circle [0, 2 pi). The reward term is
 *   bonus + w v . (cos theta, sin theta)
 * with v the x and y velocity of the robot body's subtree centre of mass (the x of it is
 * forward_vel's, so theta = 0 rewards exactly what goal-direction's +1 does; a robot with
 * com_displacement measures it over the step) and w the family's weight (0: 1). It needs a
 * MuJoCo model: a robot without one (the point of nav2d) is refused. */
#include <math.h>
#include <stdio.h>

#include "envs/family.h"
#include "envs/mujoco_env.h"

#define TWO_PI 6.283185307179586
#define DEG_PER_RAD (180.0 / 3.14159265358979324)

/* the family's range: the full circle when it gives none */
static void range(const maml_env_task_dist *d, double *lo, double *hi) {
  int none = d->lo == 0.0 && d->hi == 0.0;
  *lo = none ? 0.0 : d->lo;
  *hi = none ? TWO_PI : d->hi;
}

static void heading_sample(const maml_env_family *f, maml_rng *rng, double *task) {
  double lo, hi;
  range(&f->dist, &lo, &hi);
  task[0] = maml_rng_uniform_range(rng, lo, hi);
}

static maml_status heading_parse(const maml_env_family *f, const char *text, double *task,
                                 char *err, size_t err_sz) {
  double lo, hi;
  range(&f->dist, &lo, &hi);
  return maml_task_parse_range(f->name, "heading (radians)", text, 1, lo, hi, task, err, err_sz);
}

static void heading_describe(const maml_env_family *f, char *desc, size_t desc_n, char *syntax,
                             size_t syntax_n) {
  double lo, hi;
  range(&f->dist, &lo, &hi);
  char made_up[40];
  double mid = 0.5 * (lo + hi);
  snprintf(made_up, sizeof made_up, "%.4g (%.0f deg)", mid, mid * DEG_PER_RAD);
  snprintf(desc, desc_n, "heading ~ U[%g, %g] rad", lo, hi);
  snprintf(syntax, syntax_n, "an angle in radians in [%g, %g] (0: +x, 1.5708: +y), e.g. %s", lo, hi,
           f->dist.example ? f->dist.example : made_up);
}

static void heading_goal_text(const double *task, char *buf, size_t n) {
  snprintf(buf, n, "heading %.2f rad (%.0f deg)", task[0], task[0] * DEG_PER_RAD);
}

/* the body's velocity along the heading, into info for the overlay */
static double along_heading(maml_env *e) {
  double v[2];
  maml_mj_planar_vel(e, v);
  const double theta = e->task[0];
  e->info.heading_vel = cos(theta) * v[0] + sin(theta) * v[1];
  return e->info.heading_vel;
}

static void heading_reset(maml_env *e) {
  along_heading(e);
}

static double heading_reward(maml_env *e, int *done) {
  (void)done;
  double r = along_heading(e);
  const double weight = e->world->family->dist.weight;
  if (weight != 0.0) r *= weight;
  double bonus = e->world->family->dist.bonus;
  return bonus != 0.0 ? r + bonus : r;
}

static int heading_check(const maml_env_task_dist *d, char *why, size_t n) {
  int none = d->lo == 0.0 && d->hi == 0.0;
  if ((none || (isfinite(d->lo) && isfinite(d->hi) && d->lo < d->hi)) && isfinite(d->bonus) &&
      isfinite(d->weight))
    return 0;
  snprintf(why, n,
           "the heading range [%g, %g], bonus %g and weight %g: expected finite numbers, lo < hi "
           "(or lo = hi = 0: the full circle [0, 2 pi))",
           d->lo, d->hi, d->bonus, d->weight);
  return 1;
}

static int heading_robot_check(const maml_env_robot *r, char *why, size_t n) {
  if (r->model_file && r->body) return 0;
  snprintf(why, n,
           "the task kind goal-heading needs the velocity of a body in a MuJoCo model: the "
           "robot %s has none (a point: use goal-position)",
           r->name ? r->name : "(unnamed)");
  return 1;
}

const maml_env_task_kind maml_task_goal_heading = {
    .name = "goal-heading",
    .dim = 1,
    .marker = MAML_MARKER_HEADING,
    .discrete = 0,
    .sample = heading_sample,
    .parse = heading_parse,
    .describe = heading_describe,
    .goal_text = heading_goal_text,
    .reward = heading_reward,
    .reset = heading_reset,
    .check = heading_check,
    .robot_check = heading_robot_check,
};
