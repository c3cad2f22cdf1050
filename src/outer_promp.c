/* ProMP's outer step (maml/outer.h): Adam steps on the clipped surrogate of the adapted
 * policies plus the KL penalty of the pre-update policy, every theta'_i recomputed from
 * S_i at each step (maml_learner_clipped_objective). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "maml/adam.h"
#include "maml/meta.h"

typedef struct {
  size_t n;
  double clip, kl_coef;
  int steps;
  maml_adam adam;       /* zeroed at every meta-iteration */
  double *g;            /* (n) the gradient at the current parameters */
  maml_real *theta_try; /* (n) the parameters being stepped */
} promp_state;

static void promp_destroy(void *state) {
  promp_state *s = state;
  if (!s) return;
  maml_adam_free(&s->adam);
  free(s->g), free(s->theta_try);
  free(s);
}

static maml_status promp_create(void **out, const maml_learner *l, const maml_meta_params *mp,
                                char *err, size_t err_sz) {
  size_t n = maml_learner_n_params(l);
  *out = NULL;
  promp_state *s = calloc(1, sizeof *s);
  if (!s) return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory for ProMP");
  maml_status st = maml_adam_init(&s->adam, n, mp->promp_lr, err, err_sz);
  if (st != MAML_OK) {
    promp_destroy(s);
    return st;
  }
  if (!(s->g = calloc(n ? n : 1, sizeof(double))) ||
      !(s->theta_try = calloc(n ? n : 1, sizeof(maml_real)))) {
    promp_destroy(s);
    return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory for ProMP (%zu parameters)", n);
  }
  s->n = n, s->clip = mp->promp_clip, s->kl_coef = mp->promp_kl_coef, s->steps = mp->promp_steps;
  *out = s;
  return MAML_OK;
}

static int all_finite(const double *x, size_t n) {
  double s = 0.0;
  for (size_t j = 0; j < n; j++) s += x[j] * 0.0;
  return s == 0.0;
}

static void promp_step(void *state, maml_learner *l, maml_real *theta, maml_step_stats *st) {
  promp_state *s = state;
  size_t n = s->n;
  const maml_real *theta_old = maml_learner_theta_old(l);
  const double *g0 = maml_learner_grad(l);
  memcpy(s->theta_try, theta_old, n * sizeof(maml_real));
  maml_adam_reset(&s->adam);
  for (int k = 0; k < s->steps; k++) {
    const double *g = g0; /* at theta_old: prepare's gradient */
    if (k > 0) {
      maml_learner_clipped_objective(l, s->theta_try, s->clip, s->kl_coef, NULL, NULL, NULL,
                                     s->g);
      if (!all_finite(s->g, n)) return;
      g = s->g;
    }
    maml_adam_step(&s->adam, g, s->theta_try);
    st->ls_tries = k + 1;
  }
  double surr, kl, step_dot = 0.0, s2 = 0.0;
  maml_learner_objective(l, s->theta_try, &surr, &kl);
  if (!isfinite(surr) || !isfinite(kl) || !maml_reals_finite(s->theta_try, n)) return;
  for (size_t j = 0; j < n; j++) {
    double d = (double)s->theta_try[j] - theta_old[j];
    step_dot += g0[j] * d, s2 += d * d;
  }
  st->outcome = MAML_STEP_ACCEPTED;
  st->surr_after = surr, st->kl = kl;
  st->expected = step_dot, st->step_norm = sqrt(s2);
  memcpy(theta, s->theta_try, n * sizeof(maml_real));
}

const maml_outer_optimizer maml_outer_promp = {"promp", promp_create, promp_destroy, promp_step,
                                               NULL};
