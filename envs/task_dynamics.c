/* The dynamics task kind: a task changes the physics, not the reward. Facts from the
 * benchmarks of meta-RL papers (docs/tasks.md, "Dynamics-parameter tasks", read from
 * rand_param_envs, dennisl88/rand_param_envs, hopper_rand_params.py and base.py):
 * - each body mass, body inertia and geom friction is multiplied by 1.5^u, each dof damping
 *   by 1.3^u, u ~ U(-3, 3) drawn independently per element (x0.30..3.4 and x0.46..2.2);
 * - the reward is the robot's usual forward run: v_x + alive bonus - control cost;
 * - under MuJoCo 2.x the derived constants (body_subtreemass, dof_invweight0,
 *   actuator_acc0...) go stale when masses, inertias or damping are written: mj_setConst.
 * A task holds one u per varied element, in the order mass (nbody), inertia (3 nbody),
 * friction (3 ngeom), damping (nv), of the groups the family's dist.params names; the
 * u range is [dist.lo, dist.hi]. The forward velocity is the robot's info.forward_vel: x of
 * the torso subtree's centre of mass (this project's v_x, as for cheetah-vel) for the
 * half-cheetah and the ant, rand_param_envs' root x difference over dt for the hopper and
 * walker (robot->root_velocity). */
#include <math.h>
#include <stdio.h>

#include "envs/family.h"

#define DYN_MASS_BASE 1.5
#define DYN_DAMPING_BASE 1.3

/* the elements of each group for robot r, in the task's order (0: group not varied) */
static void group_sizes(const maml_env_family *f, int size[4]) {
  const maml_env_robot *r = f->robot;
  const unsigned p = f->dist.params;
  size[0] = p & MAML_DYN_MASS ? r->nbody : 0;
  size[1] = p & MAML_DYN_INERTIA ? 3 * r->nbody : 0;
  size[2] = p & MAML_DYN_FRICTION ? 3 * r->ngeom : 0;
  size[3] = p & MAML_DYN_DAMPING ? r->nv : 0;
}

static int dyn_dim(const maml_env_family *f) {
  const maml_env_robot *r = f->robot;
  const unsigned p = f->dist.params;
  if (((p & (MAML_DYN_MASS | MAML_DYN_INERTIA)) && r->nbody < 1) ||
      ((p & MAML_DYN_FRICTION) && r->ngeom < 1) || !r->model_file)
    return 0;
  int size[4];
  group_sizes(f, size);
  return size[0] + size[1] + size[2] + size[3];
}

static void dyn_sample(const maml_env_family *f, maml_rng *rng, double *task) {
  for (int i = 0; i < f->task_dim; i++)
    task[i] = maml_rng_uniform_range(rng, f->dist.lo, f->dist.hi);
}

/* the name of a task's element i, "body_mass[3]", for messages */
static void element_name(const maml_env_family *f, int i, char *buf, size_t n) {
  static const char *const names[4] = {"body_mass", "body_inertia", "geom_friction", "dof_damping"};
  int size[4];
  group_sizes(f, size);
  int g = 0;
  while (g < 3 && i >= size[g]) i -= size[g++];
  snprintf(buf, n, "%s[%d]", names[g], i);
}

static maml_status dyn_parse(const maml_env_family *f, const char *text, double *task, char *err,
                             size_t err_sz) {
  double u[MAML_TASK_MAX];
  maml_status s =
      maml_task_parse_range(f->name, "u", text, f->task_dim, -HUGE_VAL, HUGE_VAL, u, err, err_sz);
  if (s != MAML_OK) return s;
  for (int i = 0; i < f->task_dim; i++)
    if (!(u[i] >= f->dist.lo && u[i] <= f->dist.hi)) {
      char what[40];
      element_name(f, i, what, sizeof what);
      return maml_fail(err, err_sz, MAML_ERR_ARG,
                       "%s task: u number %d (%s) is %g, outside the allowed range [%g, %g]",
                       f->name, i + 1, what, u[i], f->dist.lo, f->dist.hi);
    }
  for (int i = 0; i < f->task_dim; i++) task[i] = u[i];
  return MAML_OK;
}

static void dyn_describe(const maml_env_family *f, char *desc, size_t desc_n, char *syntax,
                         size_t syntax_n) {
  const unsigned p = f->dist.params;
  char groups[160];
  snprintf(groups, sizeof groups, "%s%s%s%s%s", p & MAML_DYN_MASS ? " mass" : "",
           p & MAML_DYN_INERTIA ? " inertia" : "", p & MAML_DYN_FRICTION ? " friction" : "",
           p & (MAML_DYN_MASS | MAML_DYN_INERTIA | MAML_DYN_FRICTION) ? " x 1.5^u" : "",
           p & MAML_DYN_DAMPING ? ", damping x 1.3^u" : "");
  snprintf(desc, desc_n, "%d dynamics u ~ U[%g, %g]:%s", dyn_dim(f), f->dist.lo, f->dist.hi,
           groups);
  snprintf(syntax, syntax_n, "%d u values in [%g, %g], one goals-file line (not --goal)",
           dyn_dim(f), f->dist.lo, f->dist.hi);
}

static void dyn_goal_text(const double *task, char *buf, size_t n) {
  snprintf(buf, n, "dynamics u %.2f, %.2f, ...", task[0], task[1]);
}

/* per varied group, the least and greatest factor its elements are scaled by, the world
 * body's mass and inertia left out (always 0, nothing to scale):
 * "mass x0.42-3.1, inertia x0.33-2.9, friction x0.31-3.2, damping x0.48-2.0" */
static void dyn_goal_detail(const maml_env_family *f, const double *task, char *buf, size_t n) {
  static const char *const names[4] = {"mass", "inertia", "friction", "damping"};
  int size[4], at = 0, len = 0;
  group_sizes(f, size);
  buf[0] = '\0';
  for (int g = 0; g < 4; g++) {
    if (size[g] == 0) continue;
    const double base = g == 3 ? DYN_DAMPING_BASE : DYN_MASS_BASE;
    const int first = g == 0 ? 1 : g == 1 ? 3 : 0; /* past the world body */
    double lo = INFINITY, hi = -INFINITY;
    for (int i = at + first; i < at + size[g]; i++) lo = fmin(lo, task[i]), hi = fmax(hi, task[i]);
    at += size[g];
    if (lo <= hi && (size_t)len < n)
      len += snprintf(buf + len, n - (size_t)len, "%s%s x%.2g-%.2g", len ? ", " : "", names[g],
                      pow(base, lo), pow(base, hi));
  }
}

/* 1 / (max(|lo|, |hi|) sqrt(n)) for n numbers: each appended number within
 * [-1/sqrt(n), 1/sqrt(n)], the block's squared norm a third on average under U(lo, hi) =
 * U(-h, h) whatever n. The raw u (hopper-params: 41 numbers of U(-3, 3), squared norm 123
 * on average against a few for the hopper's own 11) slowed the oracle's learning fourfold
 * (docs/results.md, hopper-params). */
static double dyn_oracle_scale(const maml_env_family *f) {
  const double h = fmax(fabs(f->dist.lo), fabs(f->dist.hi));
  return h > 0 && f->task_dim > 0 ? 1.0 / (h * sqrt((double)f->task_dim)) : 1.0;
}

static double dyn_reward(maml_env *e, int *done) {
  (void)done;
  double bonus = e->world->family->dist.bonus;
  return bonus != 0.0 ? e->info.forward_vel + bonus : e->info.forward_vel;
}

static int dyn_check(const maml_env_task_dist *d, char *why, size_t n) {
  if (isfinite(d->lo) && isfinite(d->hi) && d->lo <= d->hi && isfinite(d->bonus) &&
      d->params >= 1 && d->params <= MAML_DYN_ALL)
    return 0;
  snprintf(why, n,
           "the u range [%g, %g], bonus %g, params %u: expected finite numbers, lo <= hi, params "
           "1 to %u (mass 1, inertia 2, friction 4, damping 8)",
           d->lo, d->hi, d->bonus, d->params, MAML_DYN_ALL);
  return 1;
}

/* x[i] = base[i] * b^u[i] for n elements; returns the u's used */
static int scale(mjtNum *x, const mjtNum *base, int n, double b, const double *u) {
  for (int i = 0; i < n; i++) x[i] = base[i] * pow(b, u[i]);
  return n;
}

static void dyn_apply(maml_env *e) {
  const mjModel *w = e->world->model;
  mjModel *m = e->model;
  const unsigned p = e->world->family->dist.params;
  const double *u = e->task;
  if (p & MAML_DYN_MASS) u += scale(m->body_mass, w->body_mass, m->nbody, DYN_MASS_BASE, u);
  if (p & MAML_DYN_INERTIA)
    u += scale(m->body_inertia, w->body_inertia, 3 * m->nbody, DYN_MASS_BASE, u);
  if (p & MAML_DYN_FRICTION)
    u += scale(m->geom_friction, w->geom_friction, 3 * m->ngeom, DYN_MASS_BASE, u);
  if (p & MAML_DYN_DAMPING) scale(m->dof_damping, w->dof_damping, m->nv, DYN_DAMPING_BASE, u);
  mj_setConst(m, e->data); /* subtree masses, inverse weights, actuator_acc0, ... */
}

const maml_env_task_kind maml_task_dynamics = {
    .name = "dynamics",
    .dim = 0,
    .marker = MAML_MARKER_NONE,
    .discrete = 0,
    .sample = dyn_sample,
    .parse = dyn_parse,
    .describe = dyn_describe,
    .goal_text = dyn_goal_text,
    .reset = NULL,
    .reward = dyn_reward,
    .check = dyn_check,
    .family_dim = dyn_dim,
    .apply = dyn_apply,
    .no_goal_flag = 1,
    .goal_detail = dyn_goal_detail,
    .oracle_scale = dyn_oracle_scale,
};
