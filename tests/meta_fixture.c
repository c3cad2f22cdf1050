/* The meta-learner's shared test fixture and finite-difference checks (meta_fixture.h). */
#include "meta_fixture.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

maml_meta_params meta_fixture_params(int K) {
  return (maml_meta_params){.inner_steps = K,
                            .alpha = 0.1,
                            .max_kl = 0.01,
                            .cg_iters = 10,
                            .cg_damping = 0.0,
                            .ls_backtrack = 0.8,
                            .ls_steps = 15};
}

static void advantages(const maml_task_batch *b, maml_real *adv) {
  maml_discounted_returns(b->reward, b->mask, b->episodes, b->horizon, 0.99, adv);
  maml_standardize(adv, b->mask, b->episodes * b->horizon);
}

/* samples b (advantages adv, views v) of every task with thetas */
static void sample(meta_fixture *f, const maml_real *const *thetas, uint32_t iteration,
                   maml_phase ph, maml_task_batch *b, maml_real **adv, maml_batch *v) {
  char err[256];
  cr_assert_eq(maml_sampler_run(f->sampler, f->tasks, f->goals, thetas, 5, iteration, ph, b, err,
                                sizeof err),
               MAML_OK, "%s", err);
  for (int i = 0; i < f->tasks; i++) {
    advantages(&b[i], adv[i]);
    v[i] = (maml_batch){
        .n = f->rows, .obs = b[i].obs, .act = b[i].act, .adv = adv[i], .mask = b[i].mask};
  }
}

static void adapted_thetas(const meta_fixture *f, const maml_real **thetas) {
  for (int i = 0; i < f->tasks; i++) thetas[i] = maml_learner_adapted(f->learner, i);
}

/* world, policy, pool, sampler, learner; theta and the step sizes (spread around alpha) */
static void open_learner(meta_fixture *f, const meta_fixture_spec *s, const maml_meta_params *mp) {
  char err[1024];
  cr_assert_eq(maml_env_world_open(&f->world, s->family, 0, NULL, err, sizeof err), MAML_OK, "%s",
               err);
  int hidden[2] = {8, 8};
  cr_assert_eq(maml_policy_init(&f->policy, f->world.obs_dim, f->world.family->act_dim, 2, hidden,
                                s->act, 1.0, err, sizeof err),
               MAML_OK, "%s", err);
  cr_assert_eq(maml_pool_create(&f->pool, 2, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(maml_sampler_create(&f->sampler, &f->world, &f->policy, f->pool, s->episodes, err,
                                   sizeof err),
               MAML_OK, "%s", err);
  cr_assert_eq(maml_learner_create(&f->learner, &f->policy, f->pool, s->tasks, f->rows, f->rows, mp,
                                   err, sizeof err),
               MAML_OK, "%s", err);
  f->n = f->policy.n_params;
  f->np = maml_learner_n_params(f->learner);
  cr_assert_eq(f->np, f->n + maml_step_size_count(&f->policy, mp->learn_alpha));
  f->theta = calloc(f->np, sizeof(maml_real));
  maml_rng rng;
  maml_rng_init(&rng, 5, 0, MAML_PHASE_INIT, 0, 0);
  maml_policy_init_params(&f->policy, f->theta, &rng);
  maml_rng_init(&rng, 3, 0, MAML_PHASE_TEST, 99, 0);
  for (size_t j = f->n; j < f->np; j++)
    f->theta[j] = (maml_real)(mp->alpha * (1 + s->spread * (maml_rng_uniform(&rng) - 0.5)));
}

/* the tasks' goals and their batches */
static void alloc_batches(meta_fixture *f) {
  int A = f->world.family->act_dim, D = f->world.obs_dim;
  maml_rng rng;
  for (int i = 0; i < f->tasks; i++) {
    maml_rng_init(&rng, 5, 0, MAML_PHASE_TASKS, (uint32_t)i, 0);
    f->world.family->sample_task(&rng, f->goals + i * MAML_TASK_MAX);
    for (int k = 0; k < f->steps_made; k++) {
      cr_assert_eq(maml_task_batch_alloc(&f->sb[k][i], f->episodes, f->horizon, D, A), MAML_OK);
      f->sadv[k][i] = calloc((size_t)f->rows, sizeof(maml_real));
    }
    cr_assert_eq(maml_task_batch_alloc(&f->qb[i], f->episodes, f->horizon, D, A), MAML_OK);
    f->qadv[i] = calloc((size_t)f->rows, sizeof(maml_real));
  }
}

void meta_fixture_make(meta_fixture *f, const meta_fixture_spec *s, const maml_meta_params *mp) {
  char err[1024];
  memset(f, 0, sizeof *f);
  f->tasks = s->tasks, f->episodes = s->episodes, f->horizon = s->horizon;
  f->K = mp->inner_steps, f->rows = s->episodes * s->horizon;
  f->steps_made = f->K > 1 ? f->K : 1;
  cr_assert(f->tasks <= META_FIXTURE_MAX_TASKS && f->K <= META_FIXTURE_MAX_K);
  open_learner(f, s, mp);
  alloc_batches(f);
  const maml_real *thetas[META_FIXTURE_MAX_TASKS];
  for (int i = 0; i < f->tasks; i++) thetas[i] = f->theta;
  sample(f, thetas, 0, MAML_PHASE_SUPPORT, f->sb[0], f->sadv[0], f->support[0]);
  if (s->mode == META_FIXTURE_REUSE) {
    cr_assert_eq(maml_learner_adapt(f->learner, f->theta, f->support[0], err, sizeof err), MAML_OK,
                 "%s", err);
  } else {
    cr_assert_eq(maml_learner_adapt_begin(f->learner, f->theta, f->support[0], err, sizeof err),
                 MAML_OK, "%s", err);
    for (int k = 1; k < f->K; k++) {
      cr_assert_eq(maml_learner_adapt_steps(f->learner), k);
      adapted_thetas(f, thetas);
      const maml_batch *b = f->support[0];
      if (s->mode == META_FIXTURE_FRESH) {
        sample(f, thetas, (uint32_t)k, MAML_PHASE_TEST, f->sb[k], f->sadv[k], f->support[k]);
        b = f->support[k];
      }
      cr_assert_eq(maml_learner_adapt_next(f->learner, b, err, sizeof err), MAML_OK, "%s", err);
    }
  }
  cr_assert_eq(maml_learner_adapt_steps(f->learner), f->K);
  adapted_thetas(f, thetas);
  sample(f, thetas, 0, MAML_PHASE_QUERY, f->qb, f->qadv, f->query);
  double surr;
  cr_assert_eq(maml_learner_prepare(f->learner, f->query, &surr, err, sizeof err), MAML_OK, "%s",
               err);
  cr_assert(fabs(surr) < 1e-5, "at theta_old the ratio is 1 and advantages have mean 0: %g", surr);
}

void meta_fixture_free(meta_fixture *f) {
  for (int i = 0; i < f->tasks; i++) {
    for (int k = 0; k < f->steps_made; k++) maml_task_batch_free(&f->sb[k][i]), free(f->sadv[k][i]);
    maml_task_batch_free(&f->qb[i]), free(f->qadv[i]);
  }
  free(f->theta);
  maml_learner_destroy(f->learner);
  maml_sampler_destroy(f->sampler);
  maml_pool_destroy(f->pool);
  maml_env_world_close(&f->world);
}

void meta_fixture_random_vector(double *v, size_t n, unsigned stream) {
  maml_rng r;
  maml_rng_init(&r, 11, 0, MAML_PHASE_TEST, (uint32_t)stream, 0);
  for (size_t j = 0; j < n; j++) v[j] = maml_rng_normal(&r);
}

double meta_fixture_drel(const double *a, const double *b, size_t n) {
  double d = 0, na = 0, nb = 0;
  for (size_t j = 0; j < n; j++)
    d += (a[j] - b[j]) * (a[j] - b[j]), na += a[j] * a[j], nb += b[j] * b[j];
  double s = fmax(sqrt(na), sqrt(nb));
  return s > 0 ? sqrt(d) / s : 0;
}

double meta_fixture_ddot(const double *a, const double *b, size_t n) {
  double s = 0;
  for (size_t j = 0; j < n; j++) s += a[j] * b[j];
  return s;
}

void meta_fixture_shifted(const meta_fixture *f, const maml_real *at, double a, const double *u,
                          double b, const double *v, maml_real *out) {
  for (size_t j = 0; j < f->np; j++)
    out[j] = (maml_real)(at[j] + a * (u ? u[j] : 0) + b * (v ? v[j] : 0));
}

static double objective(const meta_fixture *f, const maml_real *th, double clip, double eta) {
  double value;
  if (clip > 0)
    maml_learner_clipped_objective(f->learner, th, clip, eta, &value, NULL, NULL, NULL);
  else
    maml_learner_objective(f->learner, th, &value, NULL);
  return value;
}

void meta_fixture_fd_gradient(const meta_fixture *f, const maml_real *at, double clip, double eta,
                              double *fd) {
  maml_real *th = malloc(f->np * sizeof *th);
  double h = 1e-6;
  for (size_t j = 0; j < f->np; j++) {
    memcpy(th, at, f->np * sizeof *th);
    th[j] = (maml_real)(at[j] + h);
    double up = objective(f, th, clip, eta);
    th[j] = (maml_real)(at[j] - h);
    double down = objective(f, th, clip, eta);
    fd[j] = (up - down) / (2 * h);
  }
  free(th);
}

void meta_fixture_expect_gradient(const double *g, const double *fd, size_t n, const char *what) {
  double gnorm = sqrt(meta_fixture_ddot(g, g, n));
  cr_assert(gnorm > 1e-4, "%s: gradient is near zero (%g)", what, gnorm);
  double e = meta_fixture_drel(g, fd, n);
  cr_expect(e < 1e-5, "%s: meta-gradient vs finite differences: rel. error %g", what, e);
}

void meta_fixture_products_make(const meta_fixture *f, double step_scale,
                                meta_fixture_products *p) {
  for (int k = 0; k < META_FIXTURE_NV; k++) {
    p->v[k] = malloc(f->np * sizeof(double)), p->av[k] = malloc(f->np * sizeof(double));
    meta_fixture_random_vector(p->v[k], f->np, (unsigned)k);
    for (size_t j = f->n; j < f->np; j++) p->v[k][j] *= step_scale;
    maml_learner_curvature(f->learner, p->v[k], p->av[k]);
  }
}

void meta_fixture_products_free(meta_fixture_products *p) {
  for (int k = 0; k < META_FIXTURE_NV; k++) free(p->v[k]), free(p->av[k]);
}

/* u^T A v from the KL's four-point second differences */
static double fd_product(const meta_fixture *f, const double *u, const double *v, double h,
                         maml_real *th) {
  double k4[4];
  int s = 0;
  for (int sa = 1; sa >= -1; sa -= 2)
    for (int sb = 1; sb >= -1; sb -= 2) {
      meta_fixture_shifted(f, f->theta, sa * h, u, sb * h, v, th);
      maml_learner_objective(f->learner, th, NULL, &k4[s++]);
    }
  return (k4[0] - k4[1] - k4[2] + k4[3]) / (4 * h * h);
}

void meta_fixture_expect_curvature(const meta_fixture *f, const meta_fixture_products *p, double h,
                                   const char *what) {
  size_t np = f->np;
  maml_real *th = malloc(np * sizeof *th);
  for (int a = 0; a < META_FIXTURE_NV; a++)
    for (int b = a; b < META_FIXTURE_NV; b++) {
      double fd_uav = fd_product(f, p->v[a], p->v[b], h, th);
      double uav = meta_fixture_ddot(p->v[a], p->av[b], np);
      double scale =
          sqrt(meta_fixture_ddot(p->v[a], p->av[a], np) * meta_fixture_ddot(p->v[b], p->av[b], np));
      cr_assert(scale > 1e-6, "%s: curvature is near zero", what);
      cr_expect(fabs(uav - fd_uav) < 1e-5 * scale,
                "%s: v%d^T A v%d = %.10g, finite differences %.10g", what, a, b, uav, fd_uav);
    }
  free(th);
}

void meta_fixture_expect_symmetric(const meta_fixture *f, const meta_fixture_products *p,
                                   const char *what) {
  size_t np = f->np;
  double sym =
      fabs(meta_fixture_ddot(p->v[0], p->av[1], np) - meta_fixture_ddot(p->v[1], p->av[0], np));
  cr_expect(sym < 1e-9 * sqrt(meta_fixture_ddot(p->v[0], p->av[0], np) *
                              meta_fixture_ddot(p->v[1], p->av[1], np)),
            "%s: A not symmetric", what);
}
