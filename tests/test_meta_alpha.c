/* Learned inner step sizes (Meta-SGD): the meta-gradient of phi = [theta; a] and the
 * curvature product through K = 1 and K = 2 inner steps against central finite
 * differences of the learner's objective, ProMP's clipped-objective gradient likewise,
 * with both inner objectives and both step-size layouts; layer mode is param mode summed
 * per tensor; equal step sizes give the fixed-alpha learner's theta'_i and theta block.
 * Batches are real nav2d and cheetah-vel rollouts, as in test_meta.c. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "maml/episodes.h"
#include "maml/eval.h"
#include "maml/meta.h"
#include "maml/sampler.h"

enum { MAX_TASKS = 3, MAX_K = 2 };

/* 1: fixture_make gives inner step k >= 1 a support batch of its own, sampled with theta^k
 * (maml_learner_adapt_begin / adapt_next, inner_support = fresh) */
static int fresh_steps;

typedef struct {
  maml_env_world world;
  maml_policy policy;
  maml_pool *pool;
  maml_sampler *sampler;
  maml_learner *learner;
  int tasks;
  size_t n, np; /* policy parameters, meta-parameters */
  double goals[MAX_TASKS * MAML_TASK_MAX];
  maml_task_batch sb[MAX_TASKS], qb[MAX_TASKS];
  maml_real *sadv[MAX_TASKS], *qadv[MAX_TASKS];
  maml_batch support[MAX_TASKS], query[MAX_TASKS];
  maml_task_batch fb[MAX_K][MAX_TASKS]; /* fresh_steps: step k's batches (k >= 1) */
  maml_real *fadv[MAX_K][MAX_TASKS];
  maml_batch fresh[MAX_K][MAX_TASKS];
  int K, fresh_made;
  maml_real *phi; /* (np) theta, then the step sizes */
} fixture;

static void advantages(const maml_task_batch *b, maml_real *adv) {
  maml_discounted_returns(b->reward, b->mask, b->episodes, b->horizon, 0.99, adv);
  maml_standardize(adv, b->mask, b->episodes * b->horizon);
}

static maml_meta_params params(int K, maml_inner_loss loss, maml_learn_alpha mode) {
  return (maml_meta_params){.inner_steps = K,
                            .alpha = 0.1,
                            .learn_alpha = mode,
                            .inner_loss = loss,
                            .max_kl = 0.01,
                            .cg_iters = 10,
                            .ls_backtrack = 0.8,
                            .ls_steps = 15};
}

/* step sizes spread around alpha (spread 0: all alpha) */
static void spread_step_sizes(fixture *f, double alpha, double spread) {
  maml_rng r;
  maml_rng_init(&r, 3, 0, MAML_PHASE_TEST, 99, 0);
  for (size_t i = f->n; i < f->np; i++)
    f->phi[i] = (maml_real)(alpha * (1 + spread * (maml_rng_uniform(&r) - 0.5)));
}

/* world, policy, batches, learner; adapt at phi (step sizes spread by spread) and prepare */
static void fixture_make(fixture *f, const char *family, int tasks, int episodes, int horizon,
                         const maml_meta_params *mp, double spread) {
  char err[1024];
  memset(f, 0, sizeof *f);
  f->tasks = tasks;
  cr_assert_eq(maml_env_world_open(&f->world, family, 0, NULL, err, sizeof err), MAML_OK, "%s",
               err);
  int hidden[2] = {8, 8};
  cr_assert_eq(maml_policy_init(&f->policy, f->world.obs_dim, f->world.family->act_dim, 2, hidden,
                                MAML_ACT_TANH, 1.0, err, sizeof err),
               MAML_OK, "%s", err);
  cr_assert_eq(maml_pool_create(&f->pool, 2, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(
      maml_sampler_create(&f->sampler, &f->world, &f->policy, f->pool, episodes, err, sizeof err),
      MAML_OK, "%s", err);
  int rows = episodes * horizon;
  cr_assert_eq(
      maml_learner_create(&f->learner, &f->policy, f->pool, tasks, rows, rows, mp, err, sizeof err),
      MAML_OK, "%s", err);
  f->n = f->policy.n_params;
  f->np = maml_learner_n_params(f->learner);
  cr_assert_eq(f->np, f->n + maml_step_size_count(&f->policy, mp->learn_alpha));
  f->phi = calloc(f->np, sizeof(maml_real));
  maml_rng rng;
  maml_rng_init(&rng, 5, 0, MAML_PHASE_INIT, 0, 0);
  maml_policy_init_params(&f->policy, f->phi, &rng);
  spread_step_sizes(f, mp->alpha, spread);
  const maml_real *thetas[MAX_TASKS];
  for (int i = 0; i < tasks; i++) {
    maml_rng_init(&rng, 5, 0, MAML_PHASE_TASKS, (uint32_t)i, 0);
    f->world.family->sample_task(&rng, f->goals + i * MAML_TASK_MAX);
    maml_task_batch *b[2] = {&f->sb[i], &f->qb[i]};
    maml_real **adv[2] = {&f->sadv[i], &f->qadv[i]};
    maml_batch *v[2] = {&f->support[i], &f->query[i]};
    for (int s = 0; s < 2; s++) {
      cr_assert_eq(maml_task_batch_alloc(b[s], episodes, horizon, f->world.obs_dim,
                                         f->world.family->act_dim),
                   MAML_OK);
      *adv[s] = calloc((size_t)rows, sizeof(maml_real));
      *v[s] = (maml_batch){
          .n = rows, .obs = b[s]->obs, .act = b[s]->act, .adv = *adv[s], .mask = b[s]->mask};
    }
    thetas[i] = f->phi;
  }
  cr_assert_eq(maml_sampler_run(f->sampler, tasks, f->goals, thetas, 5, 0, MAML_PHASE_SUPPORT,
                                f->sb, err, sizeof err),
               MAML_OK, "%s", err);
  for (int i = 0; i < tasks; i++) advantages(&f->sb[i], f->sadv[i]);
  f->K = mp->inner_steps;
  if (fresh_steps && f->K >= 2) {
    f->fresh_made = 1;
    cr_assert_eq(maml_learner_adapt_begin(f->learner, f->phi, f->support, err, sizeof err), MAML_OK,
                 "%s", err);
    for (int k = 1; k < f->K; k++) {
      for (int i = 0; i < tasks; i++) {
        thetas[i] = maml_learner_adapted(f->learner, i);
        cr_assert_eq(maml_task_batch_alloc(&f->fb[k][i], episodes, horizon, f->world.obs_dim,
                                           f->world.family->act_dim),
                     MAML_OK);
        f->fadv[k][i] = calloc((size_t)rows, sizeof(maml_real));
      }
      cr_assert_eq(maml_sampler_run(f->sampler, tasks, f->goals, thetas, 5, (uint32_t)k,
                                    MAML_PHASE_TEST, f->fb[k], err, sizeof err),
                   MAML_OK, "%s", err);
      for (int i = 0; i < tasks; i++) {
        advantages(&f->fb[k][i], f->fadv[k][i]);
        f->fresh[k][i] = (maml_batch){.n = rows,
                                      .obs = f->fb[k][i].obs,
                                      .act = f->fb[k][i].act,
                                      .adv = f->fadv[k][i],
                                      .mask = f->fb[k][i].mask};
      }
      cr_assert_eq(maml_learner_adapt_next(f->learner, f->fresh[k], err, sizeof err), MAML_OK, "%s",
                   err);
    }
  } else {
    cr_assert_eq(maml_learner_adapt(f->learner, f->phi, f->support, err, sizeof err), MAML_OK, "%s",
                 err);
  }
  for (int i = 0; i < tasks; i++) thetas[i] = maml_learner_adapted(f->learner, i);
  cr_assert_eq(maml_sampler_run(f->sampler, tasks, f->goals, thetas, 5, 0, MAML_PHASE_QUERY, f->qb,
                                err, sizeof err),
               MAML_OK, "%s", err);
  for (int i = 0; i < tasks; i++) advantages(&f->qb[i], f->qadv[i]);
  cr_assert_eq(maml_learner_prepare(f->learner, f->query, NULL, err, sizeof err), MAML_OK, "%s",
               err);
}

static void fixture_free(fixture *f) {
  for (int i = 0; i < f->tasks; i++) {
    maml_task_batch_free(&f->sb[i]), maml_task_batch_free(&f->qb[i]);
    free(f->sadv[i]), free(f->qadv[i]);
    for (int k = 1; f->fresh_made && k < f->K; k++)
      maml_task_batch_free(&f->fb[k][i]), free(f->fadv[k][i]);
  }
  free(f->phi);
  maml_learner_destroy(f->learner);
  maml_sampler_destroy(f->sampler);
  maml_pool_destroy(f->pool);
  maml_env_world_close(&f->world);
}

static void random_vector(double *v, size_t n, uint32_t stream) {
  maml_rng r;
  maml_rng_init(&r, 11, 0, MAML_PHASE_TEST, stream, 0);
  for (size_t j = 0; j < n; j++) v[j] = maml_rng_normal(&r);
}

/* phi + a u + b v; the step-size block of u and v scaled by alpha (their size) */
static void shifted(const fixture *f, const maml_real *at, double a, const double *u, double b,
                    const double *v, maml_real *out) {
  for (size_t j = 0; j < f->np; j++)
    out[j] = (maml_real)(at[j] + a * (u ? u[j] : 0) + b * (v ? v[j] : 0));
}

static double drel(const double *a, const double *b, size_t n) {
  double d = 0, na = 0, nb = 0;
  for (size_t j = 0; j < n; j++)
    d += (a[j] - b[j]) * (a[j] - b[j]), na += a[j] * a[j], nb += b[j] * b[j];
  double s = fmax(sqrt(na), sqrt(nb));
  return s > 0 ? sqrt(d) / s : 0;
}

static double ddot(const double *a, const double *b, size_t n) {
  double s = 0;
  for (size_t j = 0; j < n; j++) s += a[j] * b[j];
  return s;
}

/* central differences of L (or, clip > 0, ProMP's objective) at phi `at`, every component */
static void fd_gradient(fixture *f, const maml_real *at, double clip, double eta, double *fd) {
  maml_real *th = malloc(f->np * sizeof *th);
  double h = 1e-6;
  for (size_t j = 0; j < f->np; j++) {
    double up, down;
    memcpy(th, at, f->np * sizeof *th);
    th[j] = (maml_real)(at[j] + h);
    if (clip > 0)
      maml_learner_clipped_objective(f->learner, th, clip, eta, &up, NULL, NULL, NULL);
    else
      maml_learner_objective(f->learner, th, &up, NULL);
    th[j] = (maml_real)(at[j] - h);
    if (clip > 0)
      maml_learner_clipped_objective(f->learner, th, clip, eta, &down, NULL, NULL, NULL);
    else
      maml_learner_objective(f->learner, th, &down, NULL);
    fd[j] = (up - down) / (2 * h);
  }
  free(th);
}

/* the step-size block is not zero and is a real part of the gradient */
static void expect_step_size_block(const fixture *f, const double *g, const char *what) {
  double ga = sqrt(ddot(g + f->n, g + f->n, f->np - f->n));
  double gt = sqrt(ddot(g, g, f->n));
  cr_assert(ga > 1e-4 * gt && ga > 1e-6, "%s: the step sizes' gradient is near zero (%g, theta %g)",
            what, ga, gt);
}

static void check_meta(const char *family, int K, maml_inner_loss loss, maml_learn_alpha mode,
                       int tasks, int episodes, int horizon) {
  if (sizeof(maml_real) != sizeof(double))
    cr_skip_test("finite differences of the meta-objective need the double build");
  fixture f;
  maml_meta_params mp = params(K, loss, mode);
  fixture_make(&f, family, tasks, episodes, horizon, &mp, 0.6);
  size_t np = f.np;
  char what[128];
  snprintf(what, sizeof what, "%s K=%d %s %s", family, K, maml_inner_loss_name(loss),
           maml_learn_alpha_name(mode));
  double *g = malloc(np * sizeof *g), *fd = malloc(np * sizeof *fd);
  memcpy(g, maml_learner_grad(f.learner), np * sizeof *g);

  enum { NV = 3 };
  double *v[NV], *av[NV];
  for (int k = 0; k < NV; k++) {
    v[k] = malloc(np * sizeof(double)), av[k] = malloc(np * sizeof(double));
    random_vector(v[k], np, (uint32_t)k);
    for (size_t j = f.n; j < np; j++) v[k][j] *= mp.alpha; /* the step sizes' scale */
    maml_learner_curvature(f.learner, v[k], av[k]);
  }

  fd_gradient(&f, f.phi, 0, 0, fd);
  cr_assert(sqrt(ddot(g, g, np)) > 1e-4, "%s: gradient is near zero", what);
  expect_step_size_block(&f, g, what);
  double e = drel(g, fd, np);
  cr_expect(e < 1e-5, "%s: meta-gradient vs finite differences: rel. error %g", what, e);
  double ea = drel(g + f.n, fd + f.n, np - f.n);
  cr_expect(ea < 1e-5, "%s: the step sizes' block vs finite differences: rel. error %g", what, ea);

  /* u^T A v from the KL's second differences, for every pair */
  maml_real *th = malloc(np * sizeof *th);
  double h = 1e-4;
  for (int a = 0; a < NV; a++)
    for (int b = a; b < NV; b++) {
      double k4[4];
      int s = 0;
      for (int sa = 1; sa >= -1; sa -= 2)
        for (int sb = 1; sb >= -1; sb -= 2) {
          shifted(&f, f.phi, sa * h, v[a], sb * h, v[b], th);
          maml_learner_objective(f.learner, th, NULL, &k4[s++]);
        }
      double fd_uav = (k4[0] - k4[1] - k4[2] + k4[3]) / (4 * h * h);
      double uav = ddot(v[a], av[b], np);
      double scale = sqrt(ddot(v[a], av[a], np) * ddot(v[b], av[b], np));
      cr_assert(scale > 1e-6, "%s: curvature is near zero", what);
      cr_expect(fabs(uav - fd_uav) < 1e-5 * scale,
                "%s: v%d^T A v%d = %.10g, finite differences %.10g", what, a, b, uav, fd_uav);
    }
  double sym = fabs(ddot(v[0], av[1], np) - ddot(v[1], av[0], np));
  cr_expect(sym < 1e-9 * sqrt(ddot(v[0], av[0], np) * ddot(v[1], av[1], np)), "%s: A not symmetric",
            what);
  for (int k = 0; k < NV; k++) free(v[k]), free(av[k]);
  free(th), free(g), free(fd);
  fixture_free(&f);
}

#define META_TEST(name, family, K, loss, mode, tasks, episodes, horizon) \
  Test(meta_alpha, name) {                                               \
    check_meta(family, K, loss, mode, tasks, episodes, horizon);         \
  }

META_TEST(nav2d_reinforce_k1_param, "nav2d", 1, MAML_INNER_REINFORCE, MAML_ALPHA_PARAM, 3, 4, 12)
META_TEST(nav2d_reinforce_k1_layer, "nav2d", 1, MAML_INNER_REINFORCE, MAML_ALPHA_LAYER, 3, 4, 12)
META_TEST(nav2d_reinforce_k2_param, "nav2d", 2, MAML_INNER_REINFORCE, MAML_ALPHA_PARAM, 3, 4, 12)
META_TEST(nav2d_reinforce_k2_layer, "nav2d", 2, MAML_INNER_REINFORCE, MAML_ALPHA_LAYER, 3, 4, 12)
META_TEST(nav2d_lvc_k1_param, "nav2d", 1, MAML_INNER_LVC, MAML_ALPHA_PARAM, 3, 4, 12)
META_TEST(nav2d_lvc_k1_layer, "nav2d", 1, MAML_INNER_LVC, MAML_ALPHA_LAYER, 3, 4, 12)
META_TEST(nav2d_lvc_k2_param, "nav2d", 2, MAML_INNER_LVC, MAML_ALPHA_PARAM, 3, 4, 12)
META_TEST(nav2d_lvc_k2_layer, "nav2d", 2, MAML_INNER_LVC, MAML_ALPHA_LAYER, 3, 4, 12)
META_TEST(cheetah_reinforce_k2_layer, "cheetah-vel", 2, MAML_INNER_REINFORCE, MAML_ALPHA_LAYER, 2,
          2, 10)
META_TEST(cheetah_lvc_k1_param, "cheetah-vel", 1, MAML_INNER_LVC, MAML_ALPHA_PARAM, 2, 2, 10)

/* ProMP's objective (clipped surrogate and KL penalty) at a phi away from phi_old: its
 * gradient in both blocks against central differences of its value. */
static void check_promp(const char *family, int K, maml_inner_loss loss, maml_learn_alpha mode) {
  if (sizeof(maml_real) != sizeof(double))
    cr_skip_test("finite differences of the meta-objective need the double build");
  fixture f;
  maml_meta_params mp = params(K, loss, mode);
  fixture_make(&f, family, 3, 4, 12, &mp, 0.6);
  size_t np = f.np;
  char what[128];
  snprintf(what, sizeof what, "ProMP %s K=%d %s %s", family, K, maml_inner_loss_name(loss),
           maml_learn_alpha_name(mode));
  double *u = malloc(np * sizeof *u), *g = malloc(np * sizeof *g), *fd = malloc(np * sizeof *fd);
  maml_real *at = malloc(np * sizeof *at);
  random_vector(u, np, 7);
  for (size_t j = f.n; j < np; j++) u[j] *= mp.alpha;
  shifted(&f, f.phi, 0.05, u, 0, NULL, at);
  double value, kl, clipped;
  maml_learner_clipped_objective(f.learner, at, 0.1, 0.5, &value, &kl, &clipped, g);
  cr_assert(clipped > 0.01, "%s: nothing clipped (%g)", what, clipped);
  cr_assert(kl > 1e-6, "%s: KL %g", what, kl);
  fd_gradient(&f, at, 0.1, 0.5, fd);
  expect_step_size_block(&f, g, what);
  double e = drel(g, fd, np);
  cr_expect(e < 1e-5, "%s: gradient vs finite differences: rel. error %g", what, e);
  double ea = drel(g + f.n, fd + f.n, np - f.n);
  cr_expect(ea < 1e-5, "%s: the step sizes' block vs finite differences: rel. error %g", what, ea);
  free(u), free(g), free(fd), free(at);
  fixture_free(&f);
}

Test(meta_alpha, promp_lvc_k1_param) {
  check_promp("nav2d", 1, MAML_INNER_LVC, MAML_ALPHA_PARAM);
}
Test(meta_alpha, promp_lvc_k2_layer) {
  check_promp("nav2d", 2, MAML_INNER_LVC, MAML_ALPHA_LAYER);
}
Test(meta_alpha, promp_reinforce_k1_layer) {
  check_promp("nav2d", 1, MAML_INNER_REINFORCE, MAML_ALPHA_LAYER);
}
Test(meta_alpha, promp_reinforce_k2_param) {
  check_promp("nav2d", 2, MAML_INNER_REINFORCE, MAML_ALPHA_PARAM);
}

/* With every step size alpha: theta'_i and the theta block of the gradient are the fixed
 * learner's; layer mode's step-size block is param mode's summed over each tensor. Any
 * build. first_order: the same in first-order mode. */
static void check_equal_step_sizes(int first_order) {
  fixture fix, par, lay;
  maml_meta_params mf = params(2, MAML_INNER_LVC, MAML_ALPHA_FIXED);
  maml_meta_params mpar = params(2, MAML_INNER_LVC, MAML_ALPHA_PARAM);
  maml_meta_params mlay = params(2, MAML_INNER_LVC, MAML_ALPHA_LAYER);
  mf.first_order = mpar.first_order = mlay.first_order = first_order;
  fixture_make(&fix, "nav2d", 2, 3, 10, &mf, 0);
  fixture_make(&par, "nav2d", 2, 3, 10, &mpar, 0);
  fixture_make(&lay, "nav2d", 2, 3, 10, &mlay, 0);
  size_t n = fix.n;
  cr_assert_eq(fix.np, n);
  cr_assert_eq(lay.np, n + 2 * (size_t)fix.policy.n_layers + 1);
  double tol = sizeof(maml_real) == sizeof(double) ? 1e-12 : 1e-5;
  for (int i = 0; i < fix.tasks; i++) {
    const maml_real *a = maml_learner_adapted(fix.learner, i);
    const maml_real *b = maml_learner_adapted(par.learner, i);
    const maml_real *c = maml_learner_adapted(lay.learner, i);
    for (size_t j = 0; j < n; j++)
      cr_assert(fabs(a[j] - b[j]) <= tol * (1 + fabs(a[j])) &&
                    fabs(a[j] - c[j]) <= tol * (1 + fabs(a[j])),
                "theta'_%d[%zu]: fixed %g, param %g, layer %g", i, j, a[j], b[j], c[j]);
  }
  const double *gf = maml_learner_grad(fix.learner), *gp = maml_learner_grad(par.learner);
  const double *gl = maml_learner_grad(lay.learner);
  cr_assert(drel(gf, gp, n) < 1e3 * tol && drel(gf, gl, n) < 1e3 * tol,
            "theta block: param %g, layer %g from the fixed learner's", drel(gf, gp, n),
            drel(gf, gl, n));
  int *idx = malloc(n * sizeof *idx);
  maml_step_size_index(&lay.policy, MAML_ALPHA_LAYER, idx);
  double sums[MAML_STEP_SIZE_TENSORS_MAX] = {0};
  for (size_t j = 0; j < n; j++) sums[idx[j]] += gp[n + j];
  size_t m = lay.np - n;
  double e = drel(sums, gl + n, m);
  cr_assert(e < 1e3 * tol, "layer block != param block summed per tensor (rel. error %g)", e);
  cr_assert(sqrt(ddot(gl + n, gl + n, m)) > 1e-6, "layer block is zero");
  free(idx);
  fixture_free(&fix), fixture_free(&par), fixture_free(&lay);
}

Test(meta_alpha, equal_step_sizes_are_the_fixed_alpha) {
  check_equal_step_sizes(0);
}
Test(meta_alpha, equal_step_sizes_are_the_fixed_alpha_first_order) {
  check_equal_step_sizes(1);
}

/* First-order mode with one step: the step sizes' gradient is -mean_i g_i (.) u_i, g_i the
 * inner gradient at theta on S_i and u_i the surrogate's at theta'_i, computed here. */
Test(meta_alpha, first_order_step_size_block_by_hand) {
  fixture f;
  maml_meta_params mp = params(1, MAML_INNER_REINFORCE, MAML_ALPHA_PARAM);
  mp.first_order = 1;
  fixture_make(&f, "nav2d", 2, 3, 10, &mp, 0.6);
  size_t n = f.n;
  int rows = 30;
  maml_policy_cache c;
  cr_assert_eq(maml_policy_cache_alloc(&c, &f.policy, rows), MAML_OK);
  maml_real *gi = malloc(n * sizeof *gi), *ui = malloc(n * sizeof *ui);
  maml_real *logp = malloc((size_t)rows * sizeof *logp);
  double *expect = calloc(n, sizeof *expect);
  for (int i = 0; i < f.tasks; i++) {
    maml_policy_forward(&f.policy, f.phi, f.support[i].obs, f.support[i].n, &c);
    maml_inner_loss_grad(&f.policy, f.phi, &f.support[i], &c, gi);
    const maml_real *ad = maml_learner_adapted(f.learner, i);
    for (size_t j = 0; j < n; j++)
      cr_assert_eq(ad[j], (maml_real)(f.phi[j] - (double)f.phi[n + j] * gi[j]), "theta'[%zu]", j);
    maml_batch q = f.query[i];
    maml_policy_forward(&f.policy, ad, q.obs, q.n, &c);
    maml_policy_log_prob(&f.policy, ad, c.mu, q.act, q.n, logp);
    q.logp_old = logp;
    maml_surrogate_grad(&f.policy, ad, &q, &c, ui);
    for (size_t j = 0; j < n; j++) expect[j] -= (double)gi[j] * ui[j] / f.tasks;
  }
  const double *g = maml_learner_grad(f.learner);
  double e = drel(expect, g + n, n);
  cr_assert(e < (sizeof(maml_real) == sizeof(double) ? 1e-12 : 1e-5), "rel. error %g", e);
  cr_assert(sqrt(ddot(expect, expect, n)) > 1e-6, "the block by hand is zero");
  free(gi), free(ui), free(logp), free(expect);
  maml_policy_cache_free(&c);
  fixture_free(&f);
}

Test(meta_alpha, bad_modes_are_refused) {
  maml_env_world world;
  maml_policy p;
  maml_pool *pool;
  maml_learner *l = NULL;
  char err[512];
  cr_assert_eq(maml_env_world_open(&world, "nav2d", 0, NULL, err, sizeof err), MAML_OK);
  int hidden[1] = {4};
  cr_assert_eq(maml_policy_init(&p, world.obs_dim, world.family->act_dim, 1, hidden, MAML_ACT_TANH,
                                1.0, err, sizeof err),
               MAML_OK);
  cr_assert_eq(maml_pool_create(&pool, 1, err, sizeof err), MAML_OK);
  maml_meta_params mp = params(1, MAML_INNER_REINFORCE, (maml_learn_alpha)7);
  cr_assert_eq(maml_learner_create(&l, &p, pool, 2, 10, 10, &mp, err, sizeof err), MAML_ERR_ARG);
  cr_assert(strstr(err, "learn_alpha 7") && strstr(err, "layer"), "%s", err);
  mp = params(0, MAML_INNER_REINFORCE, MAML_ALPHA_LAYER);
  cr_assert_eq(maml_learner_create(&l, &p, pool, 2, 10, 10, &mp, err, sizeof err), MAML_ERR_ARG);
  cr_assert(strstr(err, "inner_steps >= 1"), "%s", err);
  cr_assert_null(l);
  maml_pool_destroy(pool);
  maml_env_world_close(&world);
}

/* Evaluation with step sizes (eval.h): every one 0.125 (exact in float) gives the fixed
 * alpha 0.125's parameters bit for bit after 1 and 2 steps (a, then a / 2); log_std's at 0
 * leave log_std where it was while the rest take alpha's first step. Any build. */
Test(meta_alpha, eval_adapts_with_the_step_sizes) {
  maml_env_world world;
  maml_policy p;
  maml_pool *pool;
  char err[512];
  cr_assert_eq(maml_env_world_open(&world, "nav2d", 0, NULL, err, sizeof err), MAML_OK);
  int hidden[2] = {8, 8};
  cr_assert_eq(maml_policy_init(&p, world.obs_dim, world.family->act_dim, 2, hidden, MAML_ACT_TANH,
                                1.0, err, sizeof err),
               MAML_OK);
  cr_assert_eq(maml_pool_create(&pool, 1, err, sizeof err), MAML_OK);
  size_t n = p.n_params;
  maml_real *theta = malloc(n * sizeof *theta), *a = malloc(n * sizeof *a);
  maml_real *tf = malloc(3 * n * sizeof *tf), *ta = malloc(3 * n * sizeof *ta);
  maml_real *tb = malloc(3 * n * sizeof *tb);
  double rf[3], ra[3], rb[3], goal[MAML_TASK_MAX];
  maml_rng rng;
  maml_rng_init(&rng, 4, 0, MAML_PHASE_INIT, 0, 0);
  maml_policy_init_params(&p, theta, &rng);
  maml_eval_goals_at(world.family, 3, 0, goal);
  maml_eval_params ep = {.episodes = 3,
                         .steps = 2,
                         .horizon = 10,
                         .alpha = 0.125,
                         .gamma = 0.99,
                         .gae_lambda = 1.0,
                         .seed = 3};
  cr_assert_eq(maml_eval_adapt(&world, &p, theta, goal, &ep, pool, tf, rf, err, sizeof err),
               MAML_OK, "%s", err);
  for (size_t j = 0; j < n; j++) a[j] = (maml_real)0.125;
  maml_eval_params el = ep;
  el.alpha = 7; /* unused: the step sizes replace it */
  el.step_sizes = a;
  cr_assert_eq(maml_eval_adapt(&world, &p, theta, goal, &el, pool, ta, ra, err, sizeof err),
               MAML_OK, "%s", err);
  cr_assert_eq(memcmp(ta, tf, 3 * n * sizeof *ta), 0, "equal step sizes are not alpha's steps");
  cr_assert_eq(memcmp(ra, rf, sizeof ra), 0);
  for (int d = 0; d < p.act_dim; d++) a[p.log_std_off + (size_t)d] = 0;
  cr_assert_eq(maml_eval_adapt(&world, &p, theta, goal, &el, pool, tb, rb, err, sizeof err),
               MAML_OK, "%s", err);
  for (size_t j = 0; j < n; j++) {
    maml_real want = j >= p.log_std_off ? theta[j] : tf[n + j];
    cr_assert_eq(tb[n + j], want, "parameter %zu after one step: %g, expected %g", j, tb[n + j],
                 want);
  }
  cr_assert_neq(memcmp(tb + n, tf + n, n * sizeof *tb), 0, "log_std did not move with alpha");
  free(theta), free(a), free(tf), free(ta), free(tb);
  maml_pool_destroy(pool);
  maml_env_world_close(&world);
}

/* The layout of step_size.h on a 2-3-2 network (19 parameters: W_0 6, b_0 3, W_1 6, b_1 2,
 * log_std 2) written out by hand, names, counts, and the summary's median. */
Test(meta_alpha, step_size_layout_and_summary) {
  maml_policy p;
  char err[256];
  int hidden[1] = {3};
  cr_assert_eq(maml_policy_init(&p, 2, 2, 1, hidden, MAML_ACT_RELU, 1.0, err, sizeof err), MAML_OK);
  cr_assert_eq(p.n_params, 19u);
  cr_assert_eq(maml_step_size_count(&p, MAML_ALPHA_FIXED), 0u);
  cr_assert_eq(maml_step_size_count(&p, MAML_ALPHA_PARAM), 19u);
  cr_assert_eq(maml_step_size_count(&p, MAML_ALPHA_LAYER), 5u);
  cr_assert_str_eq(maml_learn_alpha_name(MAML_ALPHA_LAYER), "layer");
  cr_assert_null(maml_learn_alpha_name((maml_learn_alpha)3));
  const int want[19] = {0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 4, 4};
  int idx[19];
  maml_step_size_index(&p, MAML_ALPHA_LAYER, idx);
  cr_assert_eq(memcmp(idx, want, sizeof want), 0, "layer index");
  maml_real a[5] = {1, 2, 3, 4, 5}, out[19];
  maml_step_size_expand(&p, MAML_ALPHA_LAYER, a, out);
  for (int j = 0; j < 19; j++) cr_assert_eq(out[j], (maml_real)(want[j] + 1), "expand %d", j);
  maml_step_size_index(&p, MAML_ALPHA_PARAM, idx);
  for (int j = 0; j < 19; j++) cr_assert_eq(idx[j], j);
  double scratch[5], lo, mid, hi;
  maml_real b[4] = {0.5, -1, 3, 0.25};
  maml_step_size_summary(b, 4, scratch, &lo, &mid, &hi);
  cr_assert(lo == -1 && mid == 0.375 && hi == 3, "%g %g %g", lo, mid, hi);
  maml_step_size_summary(b, 3, scratch, &lo, &mid, &hi);
  cr_assert(lo == -1 && mid == 0.5 && hi == 3, "%g %g %g", lo, mid, hi);
}

/* With a support batch of its own at every inner step (inner_support = fresh): the same
 * checks, both blocks against finite differences. */
Test(meta_alpha, fresh_reinforce_k2_param) {
  fresh_steps = 1;
  check_meta("nav2d", 2, MAML_INNER_REINFORCE, MAML_ALPHA_PARAM, 3, 4, 12);
}
Test(meta_alpha, fresh_lvc_k2_layer) {
  fresh_steps = 1;
  check_meta("nav2d", 2, MAML_INNER_LVC, MAML_ALPHA_LAYER, 3, 4, 12);
}
Test(meta_alpha, fresh_promp_lvc_k2_param) {
  fresh_steps = 1;
  check_promp("nav2d", 2, MAML_INNER_LVC, MAML_ALPHA_PARAM);
}
