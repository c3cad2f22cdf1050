/* MAML-TRPO's outer step (maml/outer.h): CG on the curvature through the inner steps, the
 * step scaled to the KL bound, a backtracking line search that re-adapts every task. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "maml/cg.h"
#include "maml/meta.h"

typedef struct {
  size_t n;
  double max_kl, ls_backtrack;
  int cg_iters, ls_steps;
  double *x, *step;     /* (n) CG solution, full step */
  maml_real *theta_try; /* (n) line-search candidate */
  maml_cg_work cg;
} trpo_state;

static void trpo_destroy(void *state) {
  trpo_state *s = state;
  if (!s) return;
  free(s->x), free(s->step), free(s->theta_try);
  maml_cg_work_free(&s->cg);
  free(s);
}

static maml_status trpo_create(void **out, const maml_learner *l, const maml_meta_params *mp,
                               char *err, size_t err_sz) {
  size_t n = maml_learner_n_params(l);
  trpo_state *s = calloc(1, sizeof *s);
  int ok = s && (s->x = calloc(n, sizeof(double))) && (s->step = calloc(n, sizeof(double))) &&
           (s->theta_try = calloc(n ? n : 1, sizeof(maml_real))) &&
           maml_cg_work_alloc(&s->cg, (int)n) == MAML_OK;
  if (!ok) {
    trpo_destroy(s);
    *out = NULL;
    return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory for TRPO (%zu parameters)", n);
  }
  s->n = n, s->max_kl = mp->max_kl, s->ls_backtrack = mp->ls_backtrack;
  s->cg_iters = mp->cg_iters, s->ls_steps = mp->ls_steps;
  *out = s;
  return MAML_OK;
}

static int all_finite(const double *x, size_t n) {
  double s = 0.0;
  for (size_t j = 0; j < n; j++) s += x[j] * 0.0;
  return s == 0.0;
}

static double dot(const double *a, const double *b, size_t n) {
  double s = 0.0;
  for (size_t j = 0; j < n; j++) s += a[j] * b[j];
  return s;
}

static void curvature_op(void *ctx, const double *v, double *out) {
  maml_learner_curvature(ctx, v, out);
}

static void trpo_step(void *state, maml_learner *l, maml_real *theta, maml_step_stats *st) {
  trpo_state *s = state;
  size_t n = s->n;
  const double *grad = maml_learner_grad(l);
  const maml_real *theta_old = maml_learner_theta_old(l);
  st->cg_iters = maml_cg(curvature_op, l, grad, s->x, s->cg_iters, 1e-10, &s->cg);
  if (st->cg_iters < 0 || !all_finite(s->x, n)) return;
  /* x^T A x = x^T (g - r) with CG's residual r = g - A x: no extra curvature product */
  double xax = dot(s->x, grad, n) - dot(s->x, s->cg.r, n);
  if (!(xax > 0) || !isfinite(xax)) return;
  double scale = sqrt(2.0 * s->max_kl / xax);
  for (size_t j = 0; j < n; j++) s->step[j] = -scale * s->x[j];
  st->expected = dot(grad, s->step, n);

  st->outcome = MAML_STEP_NO_IMPROVEMENT;
  double frac = 1.0;
  for (int tries = 0; tries < s->ls_steps; tries++, frac *= s->ls_backtrack) {
    for (size_t j = 0; j < n; j++) s->theta_try[j] = (maml_real)(theta_old[j] + frac * s->step[j]);
    double surr, kl;
    maml_learner_objective(l, s->theta_try, &surr, &kl);
    st->ls_tries = tries + 1;
    if (!isfinite(surr) || !isfinite(kl)) continue;
    if (surr < st->surr_before && kl <= s->max_kl) {
      st->outcome = MAML_STEP_ACCEPTED;
      st->surr_after = surr, st->kl = kl;
      double s2 = 0.0;
      for (size_t j = 0; j < n; j++) {
        double d = (double)s->theta_try[j] - theta_old[j];
        s2 += d * d;
      }
      st->step_norm = sqrt(s2);
      memcpy(theta, s->theta_try, n * sizeof(maml_real));
      break;
    }
  }
}

static const double *trpo_direction(const void *state) {
  return ((const trpo_state *)state)->x;
}

const maml_outer_optimizer maml_outer_trpo = {"trpo",         trpo_create, trpo_destroy, trpo_step,
                                              trpo_direction, NULL,        NULL};
