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
  maml_adam adam;       /* carried over from one meta-iteration to the next */
  maml_adam before;     /* its moments before the current step (restored on a failure) */
  double *g;            /* (n) the gradient at the current parameters */
  maml_real *theta_try; /* (n) the parameters being stepped */
} promp_state;

static void promp_destroy(void *state) {
  promp_state *s = state;
  if (!s) return;
  maml_adam_free(&s->adam);
  maml_adam_free(&s->before);
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
  if (st == MAML_OK) st = maml_adam_init(&s->before, n, mp->promp_lr, err, err_sz);
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

static void adam_copy(maml_adam *to, const maml_adam *from) {
  memcpy(to->m, from->m, from->n * sizeof *to->m);
  memcpy(to->v, from->v, from->n * sizeof *to->v);
  to->t = from->t;
}

/* the steps on theta_try; 0 when a gradient or the result is not finite */
static int promp_steps(promp_state *s, maml_learner *l, maml_step_stats *st, double *surr,
                       double *kl) {
  size_t n = s->n;
  const double *g0 = maml_learner_grad(l);
  for (int k = 0; k < s->steps; k++) {
    const double *g = g0; /* at theta_old: prepare's gradient */
    if (k > 0) {
      maml_learner_clipped_objective(l, s->theta_try, s->clip, s->kl_coef, NULL, NULL, NULL, s->g);
      if (!all_finite(s->g, n)) return 0;
      g = s->g;
    }
    maml_adam_step(&s->adam, g, s->theta_try);
    st->ls_tries = k + 1;
  }
  maml_learner_objective(l, s->theta_try, surr, kl);
  return isfinite(*surr) && isfinite(*kl) && maml_reals_finite(s->theta_try, n);
}

static void promp_step(void *state, maml_learner *l, maml_real *theta, maml_step_stats *st) {
  promp_state *s = state;
  size_t n = s->n;
  const maml_real *theta_old = maml_learner_theta_old(l);
  const double *g0 = maml_learner_grad(l);
  memcpy(s->theta_try, theta_old, n * sizeof(maml_real));
  adam_copy(&s->before, &s->adam);
  double surr, kl, step_dot = 0.0, s2 = 0.0;
  if (!promp_steps(s, l, st, &surr, &kl)) {
    adam_copy(&s->adam, &s->before);
    return;
  }
  for (size_t j = 0; j < n; j++) {
    double d = (double)s->theta_try[j] - theta_old[j];
    step_dot += g0[j] * d, s2 += d * d;
  }
  st->outcome = MAML_STEP_ACCEPTED;
  st->surr_after = surr, st->kl = kl;
  st->expected = step_dot, st->step_norm = sqrt(s2);
  memcpy(theta, s->theta_try, n * sizeof(maml_real));
}

/* [t, m (n), v (n)] */
static size_t promp_save(const void *state, double *out) {
  const promp_state *s = state;
  if (out) {
    out[0] = (double)s->adam.t;
    memcpy(out + 1, s->adam.m, s->n * sizeof *out);
    memcpy(out + 1 + s->n, s->adam.v, s->n * sizeof *out);
  }
  return 1 + 2 * s->n;
}

static int promp_load(void *state, const double *in, size_t count) {
  promp_state *s = state;
  if (count != 1 + 2 * s->n || !(in[0] >= 0 && in[0] <= 9e15) || in[0] != floor(in[0])) return 0;
  s->adam.t = (long long)in[0];
  memcpy(s->adam.m, in + 1, s->n * sizeof *in);
  memcpy(s->adam.v, in + 1 + s->n, s->n * sizeof *in);
  return 1;
}

const maml_outer_optimizer maml_outer_promp = {"promp", promp_create, promp_destroy, promp_step,
                                               NULL,    promp_save,   promp_load};
