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
#include "meta_fixture.h"

/* 1: fixture_make gives inner step k >= 1 a support batch of its own, sampled with theta^k
 * (maml_learner_adapt_begin / adapt_next, inner_support = fresh) */
static int fresh_steps;

typedef meta_fixture fixture; /* theta holds phi = [theta; a] */

/* the fixture at phi with the step sizes spread around alpha by spread */
static void fixture_make(fixture *f, const char *family, int tasks, int episodes, int horizon,
                         const maml_meta_params *mp, double spread) {
  meta_fixture_mode m =
      fresh_steps && mp->inner_steps >= 2 ? META_FIXTURE_FRESH : META_FIXTURE_REUSE;
  meta_fixture_spec s = {family, tasks, episodes, horizon, MAML_ACT_TANH, m, spread};
  meta_fixture_make(f, &s, mp);
}

static maml_meta_params params(int K, maml_inner_loss loss, maml_learn_alpha mode) {
  maml_meta_params mp = meta_fixture_params(K);
  mp.learn_alpha = mode, mp.inner_loss = loss;
  return mp;
}

/* the step-size block is not zero and is a real part of the gradient */
static void expect_step_size_block(const fixture *f, const double *g, const char *what) {
  double ga = sqrt(meta_fixture_ddot(g + f->n, g + f->n, f->np - f->n));
  double gt = sqrt(meta_fixture_ddot(g, g, f->n));
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

  meta_fixture_products pr;
  meta_fixture_products_make(&f, mp.alpha, &pr); /* the step sizes' scale */
  meta_fixture_fd_gradient(&f, f.theta, 0, 0, fd);
  expect_step_size_block(&f, g, what);
  meta_fixture_expect_gradient(g, fd, np, what);
  double ea = meta_fixture_drel(g + f.n, fd + f.n, np - f.n);
  cr_expect(ea < 1e-5, "%s: the step sizes' block vs finite differences: rel. error %g", what, ea);
  meta_fixture_expect_curvature(&f, &pr, 1e-4, what);
  meta_fixture_expect_symmetric(&f, &pr, what);
  meta_fixture_products_free(&pr);
  free(g), free(fd);
  meta_fixture_free(&f);
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
  meta_fixture_random_vector(u, np, 7);
  for (size_t j = f.n; j < np; j++) u[j] *= mp.alpha;
  meta_fixture_shifted(&f, f.theta, 0.05, u, 0, NULL, at);
  double value, kl, clipped;
  maml_learner_clipped_objective(f.learner, at, 0.1, 0.5, &value, &kl, &clipped, g);
  cr_assert(clipped > 0.01, "%s: nothing clipped (%g)", what, clipped);
  cr_assert(kl > 1e-6, "%s: KL %g", what, kl);
  meta_fixture_fd_gradient(&f, at, 0.1, 0.5, fd);
  expect_step_size_block(&f, g, what);
  double e = meta_fixture_drel(g, fd, np);
  cr_expect(e < 1e-5, "%s: gradient vs finite differences: rel. error %g", what, e);
  double ea = meta_fixture_drel(g + f.n, fd + f.n, np - f.n);
  cr_expect(ea < 1e-5, "%s: the step sizes' block vs finite differences: rel. error %g", what, ea);
  free(u), free(g), free(fd), free(at);
  meta_fixture_free(&f);
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
  cr_assert(meta_fixture_drel(gf, gp, n) < 1e3 * tol && meta_fixture_drel(gf, gl, n) < 1e3 * tol,
            "theta block: param %g, layer %g from the fixed learner's",
            meta_fixture_drel(gf, gp, n), meta_fixture_drel(gf, gl, n));
  int *idx = malloc(n * sizeof *idx);
  maml_step_size_index(&lay.policy, MAML_ALPHA_LAYER, idx);
  double sums[MAML_STEP_SIZE_TENSORS_MAX] = {0};
  for (size_t j = 0; j < n; j++) sums[idx[j]] += gp[n + j];
  size_t m = lay.np - n;
  double e = meta_fixture_drel(sums, gl + n, m);
  cr_assert(e < 1e3 * tol, "layer block != param block summed per tensor (rel. error %g)", e);
  cr_assert(sqrt(meta_fixture_ddot(gl + n, gl + n, m)) > 1e-6, "layer block is zero");
  free(idx);
  meta_fixture_free(&fix), meta_fixture_free(&par), meta_fixture_free(&lay);
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
    maml_policy_forward(&f.policy, f.theta, f.support[0][i].obs, f.support[0][i].n, &c);
    maml_inner_loss_grad(&f.policy, f.theta, &f.support[0][i], &c, gi);
    const maml_real *ad = maml_learner_adapted(f.learner, i);
    for (size_t j = 0; j < n; j++)
      cr_assert_eq(ad[j], (maml_real)(f.theta[j] - (double)f.theta[n + j] * gi[j]), "theta'[%zu]",
                   j);
    maml_batch q = f.query[i];
    maml_policy_forward(&f.policy, ad, q.obs, q.n, &c);
    maml_policy_log_prob(&f.policy, ad, c.mu, q.act, q.n, logp);
    q.logp_old = logp;
    maml_surrogate_grad(&f.policy, ad, &q, &c, ui);
    for (size_t j = 0; j < n; j++) expect[j] -= (double)gi[j] * ui[j] / f.tasks;
  }
  const double *g = maml_learner_grad(f.learner);
  double e = meta_fixture_drel(expect, g + n, n);
  cr_assert(e < (sizeof(maml_real) == sizeof(double) ? 1e-12 : 1e-5), "rel. error %g", e);
  cr_assert(sqrt(meta_fixture_ddot(expect, expect, n)) > 1e-6, "the block by hand is zero");
  free(gi), free(ui), free(logp), free(expect);
  maml_policy_cache_free(&c);
  meta_fixture_free(&f);
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
