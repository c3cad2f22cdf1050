/* The meta-learner: the meta-gradient and the curvature product of the full meta-objective
 * (through K = 1 and K = 2 inner steps) against central finite differences of that
 * objective, first-order mode against J = I, and the TRPO step's guarantees. Batches are
 * real rollouts of nav2d and cheetah-vel, sampled with theta and then with each theta'_i. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "maml/episodes.h"
#include "maml/meta.h"
#include "maml/sampler.h"
#include "meta_fixture.h"

typedef meta_fixture fixture;

/* the fixture adapted once on S (maml_learner_adapt) with the learner mp */
static void fixture_make(fixture *f, const char *family, int tasks, int episodes, int horizon,
                         maml_activation act, const maml_meta_params *mp) {
  meta_fixture_spec s = {family, tasks, episodes, horizon, act, META_FIXTURE_REUSE, 0};
  meta_fixture_make(f, &s, mp);
}

static maml_meta_params params(int K, int first_order) {
  maml_meta_params mp = meta_fixture_params(K);
  mp.first_order = first_order;
  return mp;
}

/* The gradient and the curvature of the whole meta-objective against finite differences
 * of maml_learner_objective (which re-adapts from S_i at every theta). The curvature is
 * checked on tanh networks only: second differences of a ReLU network jump wherever a
 * perturbation moves a unit across its kink (nav2d's first step sits exactly on the kinks:
 * every episode starts at the origin and biases start at 0), while the R-operator gives the
 * Hessian between kinks, which is what TRPO needs. */
static void check_against_finite_differences_of(const char *family, int K, maml_activation act,
                                                int tasks, int episodes, int horizon,
                                                maml_inner_loss loss, double fd_h) {
  if (sizeof(maml_real) != sizeof(double))
    cr_skip_test("finite differences of the meta-objective need the double build");
  fixture f;
  maml_meta_params mp = params(K, 0);
  mp.inner_loss = loss;
  fixture_make(&f, family, tasks, episodes, horizon, act, &mp);
  size_t n = f.n;
  char what[64];
  snprintf(what, sizeof what, "%s K=%d", family, K);
  double *g = malloc(n * sizeof *g), *fd = malloc(n * sizeof *fd);
  memcpy(g, maml_learner_grad(f.learner), n * sizeof *g);
  /* curvature products first: the objective evaluations below overwrite the caches */
  meta_fixture_products pr;
  meta_fixture_products_make(&f, 1, &pr);
  meta_fixture_fd_gradient(&f, f.theta, 0, 0, fd); /* every component */
  meta_fixture_expect_gradient(g, fd, n, what);
  if (act == MAML_ACT_TANH) meta_fixture_expect_curvature(&f, &pr, fd_h, what);
  meta_fixture_expect_symmetric(&f, &pr, what);
  meta_fixture_products_free(&pr);
  free(g), free(fd);
  meta_fixture_free(&f);
}

static void check_against_finite_differences(const char *family, int K, maml_activation act,
                                             int tasks, int episodes, int horizon) {
  check_against_finite_differences_of(family, K, act, tasks, episodes, horizon,
                                      MAML_INNER_REINFORCE, 1e-4);
}

Test(meta, nav2d_one_inner_step_matches_finite_differences) {
  check_against_finite_differences("nav2d", 1, MAML_ACT_TANH, 3, 5, 15);
}
Test(meta, nav2d_two_inner_steps_match_finite_differences) {
  check_against_finite_differences("nav2d", 2, MAML_ACT_TANH, 3, 5, 15);
}
Test(meta, cheetah_one_inner_step_matches_finite_differences) {
  check_against_finite_differences("cheetah-vel", 1, MAML_ACT_TANH, 2, 3, 10);
}
Test(meta, cheetah_two_inner_steps_match_finite_differences) {
  check_against_finite_differences("cheetah-vel", 2, MAML_ACT_TANH, 2, 3, 10);
}
Test(meta, no_inner_step_matches_finite_differences) {
  check_against_finite_differences("nav2d", 0, MAML_ACT_TANH, 3, 5, 15);
}
/* the paper's network is ReLU: its meta-gradient (cheetah states are never on a kink) */
Test(meta, cheetah_relu_gradient_matches_finite_differences) {
  check_against_finite_differences("cheetah-vel", 2, MAML_ACT_RELU, 2, 3, 10);
}

/* First-order mode is exactly J = I: its gradient is the mean of the surrogate gradients at
 * each theta'_i, its curvature the mean Fisher product there; and it differs from the exact
 * second-order gradient. */
Test(meta, first_order_is_identity_jacobian) {
  fixture f, s;
  maml_meta_params fo = params(1, 1), so = params(1, 0);
  fo.cg_damping = so.cg_damping = 1e-3;
  fixture_make(&f, "nav2d", 3, 4, 12, MAML_ACT_TANH, &fo);
  fixture_make(&s, "nav2d", 3, 4, 12, MAML_ACT_TANH, &so);
  size_t n = f.policy.n_params;
  maml_policy_cache c;
  maml_policy_work w;
  cr_assert_eq(maml_policy_cache_alloc(&c, &f.policy, 4 * 12), MAML_OK);
  cr_assert_eq(maml_policy_work_alloc(&w, &f.policy, 4 * 12), MAML_OK);
  maml_real *gi = malloc(n * sizeof *gi), *logp = malloc(48 * sizeof *logp);
  double *expect_g = calloc(n, sizeof(double)), *expect_av = calloc(n, sizeof(double));
  double *v = malloc(n * sizeof(double)), *av = malloc(n * sizeof(double));
  maml_real *vr = malloc(n * sizeof *vr);
  meta_fixture_random_vector(v, n, 9);
  for (size_t j = 0; j < n; j++) vr[j] = (maml_real)v[j];

  for (int i = 0; i < f.tasks; i++) {
    const maml_real *ad = maml_learner_adapted(f.learner, i);
    maml_batch q = f.query[i];
    maml_policy_forward(&f.policy, ad, q.obs, q.n, &c);
    maml_policy_log_prob(&f.policy, ad, c.mu, q.act, q.n, logp);
    q.logp_old = logp;
    maml_surrogate_grad(&f.policy, ad, &q, &c, gi);
    for (size_t j = 0; j < n; j++) expect_g[j] += gi[j];
    maml_policy_fvp(&f.policy, ad, &c, q.mask, &w, vr, gi);
    for (size_t j = 0; j < n; j++) expect_av[j] += gi[j];
  }
  for (size_t j = 0; j < n; j++) {
    expect_g[j] *= 1.0 / f.tasks;
    expect_av[j] = expect_av[j] * (1.0 / f.tasks) + fo.cg_damping * v[j];
  }
  maml_learner_curvature(f.learner, v, av);
  cr_assert_eq(memcmp(expect_g, maml_learner_grad(f.learner), n * sizeof(double)), 0,
               "first-order gradient != mean surrogate gradient at theta'_i");
  cr_assert_eq(memcmp(expect_av, av, n * sizeof(double)), 0,
               "first-order curvature != mean Fisher product at theta'_i");
  double d = meta_fixture_drel(maml_learner_grad(f.learner), maml_learner_grad(s.learner), n);
  cr_assert(d > 1e-4, "second-order gradient equals the first-order one (%g): J unused?", d);

  free(gi), free(logp), free(expect_g), free(expect_av), free(v), free(av), free(vr);
  maml_policy_cache_free(&c), maml_policy_work_free(&w);
  meta_fixture_free(&f), meta_fixture_free(&s);
}

/* The step keeps its promises: an accepted step lowers the surrogate within the KL bound
 * (checked by re-evaluating the objective at the new theta), and reports it. */
Test(meta, step_lowers_surrogate_within_kl_bound) {
  fixture f;
  maml_meta_params mp = params(1, 0);
  mp.cg_damping = 1e-5;
  fixture_make(&f, "nav2d", 4, 6, 20, MAML_ACT_RELU, &mp);
  size_t n = f.policy.n_params;
  maml_real *theta = malloc(n * sizeof *theta);
  memcpy(theta, f.theta, n * sizeof *theta);
  maml_step_stats st;
  char err[256];
  cr_assert_eq(maml_learner_step(f.learner, theta, &st, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(st.outcome, MAML_STEP_ACCEPTED, "outcome %d", st.outcome);
  cr_assert(st.surr_after < st.surr_before);
  cr_assert(st.kl > 0 && st.kl <= mp.max_kl, "kl %g", st.kl);
  cr_assert(st.cg_iters >= 1 && st.ls_tries >= 1 && st.flops > 0);
  cr_assert(st.expected < 0, "the full step must point downhill (g.s = %g)", st.expected);
  cr_assert(memcmp(theta, f.theta, n * sizeof *theta) != 0, "theta unchanged");
  double surr, kl;
  maml_learner_objective(f.learner, theta, &surr, &kl);
  cr_assert_eq(surr, st.surr_after);
  cr_assert_eq(kl, st.kl);
  free(theta);
  meta_fixture_free(&f);
}

/* A NaN in a query batch never reaches theta. */
Test(meta, nonfinite_batch_is_rejected) {
  fixture f;
  maml_meta_params mp = params(1, 0);
  fixture_make(&f, "nav2d", 2, 3, 10, MAML_ACT_RELU, &mp);
  size_t n = f.policy.n_params;
  f.qadv[1][4] = NAN;
  char err[256];
  cr_assert_eq(maml_learner_prepare(f.learner, f.query, NULL, err, sizeof err), MAML_OK);
  maml_real *theta = malloc(n * sizeof *theta);
  memcpy(theta, f.theta, n * sizeof *theta);
  maml_step_stats st;
  cr_assert_eq(maml_learner_step(f.learner, theta, &st, err, sizeof err), MAML_OK);
  cr_assert_eq(st.outcome, MAML_STEP_NONFINITE);
  cr_assert_eq(memcmp(theta, f.theta, n * sizeof *theta), 0, "theta was touched");
  free(theta);
  meta_fixture_free(&f);
}

Test(meta, bad_parameters_are_refused) {
  maml_policy p;
  char err[256];
  int hidden[1] = {4};
  cr_assert_eq(maml_policy_init(&p, 2, 2, 1, hidden, MAML_ACT_RELU, 1.0, err, sizeof err), MAML_OK);
  maml_pool *pool;
  cr_assert_eq(maml_pool_create(&pool, 1, err, sizeof err), MAML_OK);
  maml_learner *l;
  maml_meta_params mp = params(1, 0);
  mp.max_kl = 0;
  cr_assert_eq(maml_learner_create(&l, &p, pool, 2, 10, 10, &mp, err, sizeof err), MAML_ERR_ARG);
  cr_assert(strstr(err, "max_kl"), "%s", err);
  mp = params(1, 0);
  mp.ls_backtrack = 1.0;
  cr_assert_eq(maml_learner_create(&l, &p, pool, 2, 10, 10, &mp, err, sizeof err), MAML_ERR_ARG);
  cr_assert(strstr(err, "ls_backtrack"), "%s", err);
  maml_pool_destroy(pool);
}

/* ---- the LVC inner loss ------------------------------------------------------------------ */

/* The LVC meta-gradient and curvature against finite differences of the objective through
 * LVC inner steps (pi_theta0 on S held at the theta that sampled it), K = 1 and 2. The
 * curvature's second differences take a smaller step than REINFORCE's: their truncation
 * error (which scales as h^2: 9 times more at 3e-4 than at 1e-4) was 4e-5 of the product
 * on cheetah-vel with K = 2 at h = 1e-4. */
Test(meta, lvc_nav2d_one_inner_step_matches_finite_differences) {
  check_against_finite_differences_of("nav2d", 1, MAML_ACT_TANH, 3, 5, 15, MAML_INNER_LVC, 3e-5);
}
Test(meta, lvc_nav2d_two_inner_steps_match_finite_differences) {
  check_against_finite_differences_of("nav2d", 2, MAML_ACT_TANH, 3, 5, 15, MAML_INNER_LVC, 3e-5);
}
Test(meta, lvc_cheetah_one_inner_step_matches_finite_differences) {
  check_against_finite_differences_of("cheetah-vel", 1, MAML_ACT_TANH, 2, 3, 10, MAML_INNER_LVC,
                                      3e-5);
}
Test(meta, lvc_cheetah_two_inner_steps_match_finite_differences) {
  check_against_finite_differences_of("cheetah-vel", 2, MAML_ACT_TANH, 2, 3, 10, MAML_INNER_LVC,
                                      3e-5);
}
Test(meta, lvc_cheetah_relu_gradient_matches_finite_differences) {
  check_against_finite_differences_of("cheetah-vel", 2, MAML_ACT_RELU, 2, 3, 10, MAML_INNER_LVC,
                                      3e-5);
}

/* theta^K by hand from start: K LVC steps on S with pi_theta (the fixture's theta, which
 * sampled S) held as the denominator; mu0 (may be NULL) receives mu on S at theta */
static void lvc_steps_from(const fixture *f, int task, int K, double alpha, const maml_real *start,
                           maml_real *out, maml_real *mu0) {
  const maml_policy *p = &f->policy;
  size_t n = p->n_params;
  int rows = f->support[0][task].n;
  maml_policy_cache c;
  cr_assert_eq(maml_policy_cache_alloc(&c, p, rows), MAML_OK);
  maml_real *g = malloc(n * sizeof *g), *logp0 = malloc((size_t)rows * sizeof *logp0);
  maml_batch b = f->support[0][task];
  maml_policy_forward(p, f->theta, b.obs, b.n, &c);
  maml_policy_log_prob(p, f->theta, c.mu, b.act, b.n, logp0);
  if (mu0) memcpy(mu0, c.mu, (size_t)rows * p->act_dim * sizeof *mu0);
  b.logp_old = logp0;
  memcpy(out, start, n * sizeof *out);
  for (int k = 0; k < K; k++) {
    maml_policy_forward(p, out, b.obs, b.n, &c);
    maml_lvc_loss_grad(p, out, &b, &c, g);
    for (size_t j = 0; j < n; j++) out[j] = (maml_real)(out[j] - alpha * g[j]);
  }
  free(g), free(logp0);
  maml_policy_cache_free(&c);
}

/* With K = 1, LVC adapts to exactly REINFORCE's theta'_i (the gradients agree at theta0) but
 * its meta-gradient differs (the outer-product term of its Hessian); with K = 2 theta'_i
 * differs (r != 1 at theta^1) and is the hand-made LVC adaptation, bit for bit. */
Test(meta, lvc_adapts_like_reinforce_at_theta0_and_differs_after) {
  for (int K = 1; K <= 2; K++) {
    fixture r, v;
    maml_meta_params mr = params(K, 0), mv = params(K, 0);
    mv.inner_loss = MAML_INNER_LVC;
    fixture_make(&r, "nav2d", 3, 4, 12, MAML_ACT_TANH, &mr);
    fixture_make(&v, "nav2d", 3, 4, 12, MAML_ACT_TANH, &mv);
    size_t n = r.policy.n_params;
    maml_real *hand = malloc(n * sizeof *hand);
    for (int i = 0; i < r.tasks; i++) {
      const maml_real *ar = maml_learner_adapted(r.learner, i);
      const maml_real *av = maml_learner_adapted(v.learner, i);
      int same = memcmp(ar, av, n * sizeof *ar) == 0;
      if (K == 1)
        cr_assert(same, "task %d: LVC's theta' differs from REINFORCE's with K = 1", i);
      else
        cr_assert(!same, "task %d: LVC's theta' equals REINFORCE's with K = 2", i);
      lvc_steps_from(&v, i, K, mv.alpha, v.theta, hand, NULL);
      cr_assert_eq(memcmp(hand, av, n * sizeof *av), 0, "task %d, K = %d: theta' is not LVC's", i,
                   K);
    }
    double d = meta_fixture_drel(maml_learner_grad(r.learner), maml_learner_grad(v.learner), n);
    cr_assert(d > 1e-3, "K = %d: LVC's meta-gradient equals REINFORCE's (%g)", K, d);
    free(hand);
    meta_fixture_free(&r), meta_fixture_free(&v);
  }
}

/* First-order LVC keeps J = I: the gradient is the mean surrogate gradient at theta'_i,
 * the same as first-order REINFORCE's with K = 1. */
Test(meta, lvc_first_order_is_reinforce_first_order_with_one_step) {
  fixture r, v;
  maml_meta_params mr = params(1, 1), mv = params(1, 1);
  mv.inner_loss = MAML_INNER_LVC;
  fixture_make(&r, "nav2d", 3, 4, 12, MAML_ACT_TANH, &mr);
  fixture_make(&v, "nav2d", 3, 4, 12, MAML_ACT_TANH, &mv);
  size_t n = r.policy.n_params;
  cr_assert_eq(
      memcmp(maml_learner_grad(r.learner), maml_learner_grad(v.learner), n * sizeof(double)), 0);
  meta_fixture_free(&r), meta_fixture_free(&v);
}

Test(meta, unknown_inner_loss_is_refused) {
  maml_policy p;
  char err[256];
  cr_assert_eq(maml_policy_init(&p, 2, 2, 0, NULL, MAML_ACT_RELU, 1.0, err, sizeof err), MAML_OK);
  maml_pool *pool;
  cr_assert_eq(maml_pool_create(&pool, 1, err, sizeof err), MAML_OK);
  maml_learner *l;
  maml_meta_params mp = params(1, 0);
  mp.inner_loss = (maml_inner_loss)7;
  cr_assert_eq(maml_learner_create(&l, &p, pool, 2, 10, 10, &mp, err, sizeof err), MAML_ERR_ARG);
  cr_assert(strstr(err, "inner_loss 7") && strstr(err, "lvc"), "%s", err);
  cr_assert_str_eq(maml_inner_loss_name(MAML_INNER_LVC), "lvc");
  cr_assert_str_eq(maml_inner_loss_name(MAML_INNER_REINFORCE), "reinforce");
  cr_assert_null(maml_inner_loss_name((maml_inner_loss)2));
  maml_pool_destroy(pool);
}

/* ---- a caller's inner objective (maml_meta_params.inner) -------------------------------- */

/* 2 x REINFORCE's loss: with alpha / 2 it must adapt and differentiate exactly like
 * REINFORCE with alpha (scaling by 2 is exact in binary floating point) */
static double twice_grad(const maml_policy *p, const maml_real *theta, const maml_batch *b,
                         maml_policy_cache *c, maml_real *grad) {
  double v = maml_inner_loss_grad(p, theta, b, c, grad);
  for (size_t j = 0; grad && j < p->n_params; j++) grad[j] *= 2;
  return 2 * v;
}
static void twice_hvp(const maml_policy *p, const maml_real *theta, const maml_batch *b,
                      const maml_policy_cache *c, maml_policy_work *w, const maml_real *v,
                      maml_real *out) {
  maml_inner_loss_hvp(p, theta, b, c, w, v, out);
  for (size_t j = 0; j < p->n_params; j++) out[j] *= 2;
}

Test(meta, a_callers_inner_objective_replaces_the_built_in_one) {
  static const maml_inner_objective twice = {"twice", twice_grad, twice_hvp, 0};
  for (int K = 1; K <= 2; K++) {
    fixture r, c;
    maml_meta_params mr = params(K, 0), mc = params(K, 0);
    mc.alpha = mr.alpha / 2;
    mc.inner = &twice;
    mc.inner_loss = MAML_INNER_LVC; /* not used: inner takes its place */
    fixture_make(&r, "nav2d", 3, 4, 12, MAML_ACT_TANH, &mr);
    fixture_make(&c, "nav2d", 3, 4, 12, MAML_ACT_TANH, &mc);
    size_t n = r.policy.n_params;
    for (int i = 0; i < r.tasks; i++)
      cr_assert_eq(memcmp(maml_learner_adapted(r.learner, i), maml_learner_adapted(c.learner, i),
                          n * sizeof(maml_real)),
                   0, "K = %d, task %d: theta' differs", K, i);
    cr_assert_eq(
        memcmp(maml_learner_grad(r.learner), maml_learner_grad(c.learner), n * sizeof(double)), 0,
        "K = %d: the meta-gradient differs", K);
    meta_fixture_free(&r), meta_fixture_free(&c);
  }
  maml_policy p;
  char err[256];
  cr_assert_eq(maml_policy_init(&p, 2, 2, 0, NULL, MAML_ACT_RELU, 1.0, err, sizeof err), MAML_OK);
  maml_pool *pool;
  cr_assert_eq(maml_pool_create(&pool, 1, err, sizeof err), MAML_OK);
  maml_learner *l;
  static const maml_inner_objective half = {"half", twice_grad, NULL, 0};
  maml_meta_params mp = params(1, 0);
  mp.inner = &half;
  cr_assert_eq(maml_learner_create(&l, &p, pool, 2, 10, 10, &mp, err, sizeof err), MAML_ERR_ARG);
  cr_assert(strstr(err, "'half'"), "%s", err);
  maml_pool_destroy(pool);
}

/* ---- ProMP's outer objective (maml_learner_clipped_objective) and step ------------------ */

/* log pi(a|s) of every row of b at theta, and mu (both allocated by the caller) */
static void log_pi_rows(const maml_policy *p, const maml_real *theta, const maml_batch *b,
                        maml_real *logp, maml_real *mu) {
  maml_policy_cache c;
  cr_assert_eq(maml_policy_cache_alloc(&c, p, b->n), MAML_OK);
  maml_policy_forward(p, theta, b->obs, b->n, &c);
  maml_policy_log_prob(p, theta, c.mu, b->act, b->n, logp);
  memcpy(mu, c.mu, (size_t)b->n * p->act_dim * sizeof *mu);
  maml_policy_cache_free(&c);
}

/* ProMP's objective at theta, by hand: for each task theta'_i by LVC steps from theta, the
 * clipped ratio to pi at the adapted theta_old on Q, and the closed-form Gaussian KL from
 * pi_theta_old to pi_theta on S; *clipped the fraction of query rows clipped away */
static double promp_objective_by_hand(const fixture *f, const maml_real *theta, int K, double alpha,
                                      double eps, double eta, double *clipped) {
  const maml_policy *p = &f->policy;
  size_t n = p->n_params;
  int A = p->act_dim, rows = f->episodes * f->horizon;
  maml_real *ad = malloc(n * sizeof *ad), *ad_old = malloc(n * sizeof *ad_old);
  maml_real *lp = malloc((size_t)rows * sizeof *lp), *lp_old = malloc((size_t)rows * sizeof *lp);
  maml_real *mu = malloc((size_t)rows * A * sizeof *mu),
            *mu0 = malloc((size_t)rows * A * sizeof *mu);
  double total = 0.0, n_clip = 0.0, n_rows = 0.0;
  const maml_real *ls_old = f->theta + p->log_std_off, *ls = theta + p->log_std_off;
  for (int i = 0; i < f->tasks; i++) {
    lvc_steps_from(f, i, K, alpha, f->theta, ad_old, mu0);
    lvc_steps_from(f, i, K, alpha, theta, ad, NULL);
    const maml_batch *q = &f->query[i];
    log_pi_rows(p, ad_old, q, lp_old, mu);
    log_pi_rows(p, ad, q, lp, mu);
    double sum = 0.0, count = 0.0;
    for (int r = 0; r < q->n; r++) {
      if (q->mask[r] == 0) continue;
      double ratio = exp((double)lp[r] - lp_old[r]), a = q->adv[r];
      double rc = fmin(fmax(ratio, 1 - eps), 1 + eps);
      if (rc * a < ratio * a) n_clip += 1;
      sum += fmin(ratio * a, rc * a), count += 1;
    }
    n_rows += count;
    total += -sum / count;
    const maml_batch *s = &f->support[0][i];
    log_pi_rows(p, theta, s, lp, mu);
    double kl = 0.0, sc = 0.0;
    for (int r = 0; r < s->n; r++) {
      if (s->mask[r] == 0) continue;
      for (int d = 0; d < A; d++) {
        double vo = exp(2.0 * ls_old[d]), vn = exp(2.0 * ls[d]);
        double dm = (double)mu0[(size_t)r * A + d] - mu[(size_t)r * A + d];
        kl += (double)ls[d] - ls_old[d] + (vo + dm * dm) / (2 * vn) - 0.5;
      }
      sc += 1;
    }
    total += eta * kl / sc;
  }
  if (clipped) *clipped = n_clip / n_rows;
  free(ad), free(ad_old), free(lp), free(lp_old), free(mu), free(mu0);
  return total / f->tasks;
}

/* ProMP's gradient through K LVC inner steps at a theta away from theta_old (ratios off 1,
 * some rows clipped, a non-zero KL) against central differences of the objective computed
 * by hand; its value is the hand-made one; the KL penalty's gradient matters. */
static void check_promp_gradient(const char *family, int K, int tasks, int episodes, int horizon,
                                 maml_activation act) {
  if (sizeof(maml_real) != sizeof(double))
    cr_skip_test("finite differences of the meta-objective need the double build");
  fixture f;
  maml_meta_params mp = params(K, 0);
  mp.inner_loss = MAML_INNER_LVC;
  fixture_make(&f, family, tasks, episodes, horizon, act, &mp);
  size_t n = f.policy.n_params;
  double eps = 0.1, eta = 0.5;
  double *u = malloc(n * sizeof *u), *g = malloc(n * sizeof *g), *g0 = malloc(n * sizeof *g0);
  double *fd = malloc(n * sizeof *fd);
  maml_real *at = malloc(n * sizeof *at), *th = malloc(n * sizeof *th);
  meta_fixture_random_vector(u, n, 7);
  meta_fixture_shifted(&f, f.theta, 0.05, u, 0, NULL, at);
  double value, kl, clipped, hand_clipped;
  maml_learner_clipped_objective(f.learner, at, eps, eta, &value, &kl, &clipped, g);
  double hand = promp_objective_by_hand(&f, at, K, mp.alpha, eps, eta, &hand_clipped);
  cr_assert(fabs(value - hand) < 1e-10 * (1 + fabs(hand)), "%s K=%d: value %.15g, by hand %.15g",
            family, K, value, hand);
  cr_assert(fabs(clipped - hand_clipped) < 1e-12, "clipped %g, by hand %g", clipped, hand_clipped);
  cr_assert(clipped > 0.02 && clipped < 0.9, "%s K=%d: %g of the rows clipped", family, K, clipped);
  cr_assert(kl > 1e-5, "%s K=%d: KL %g", family, K, kl);
  double h = 1e-6;
  for (size_t j = 0; j < n; j++) {
    memcpy(th, at, n * sizeof *th);
    th[j] = at[j] + h;
    double up = promp_objective_by_hand(&f, th, K, mp.alpha, eps, eta, NULL);
    th[j] = at[j] - h;
    double down = promp_objective_by_hand(&f, th, K, mp.alpha, eps, eta, NULL);
    fd[j] = (up - down) / (2 * h);
  }
  char what[64];
  snprintf(what, sizeof what, "ProMP %s K=%d", family, K);
  meta_fixture_expect_gradient(g, fd, n, what);
  maml_learner_clipped_objective(f.learner, at, eps, 0.0, NULL, NULL, NULL, g0);
  cr_assert(meta_fixture_drel(g, g0, n) > 1e-3, "%s K=%d: the KL penalty's gradient is missing",
            family, K);
  free(u), free(g), free(g0), free(fd), free(at), free(th);
  meta_fixture_free(&f);
}

Test(meta, promp_nav2d_one_inner_step_matches_finite_differences) {
  check_promp_gradient("nav2d", 1, 3, 5, 15, MAML_ACT_TANH);
}
Test(meta, promp_nav2d_two_inner_steps_match_finite_differences) {
  check_promp_gradient("nav2d", 2, 3, 5, 15, MAML_ACT_TANH);
}
Test(meta, promp_cheetah_one_inner_step_matches_finite_differences) {
  check_promp_gradient("cheetah-vel", 1, 2, 3, 10, MAML_ACT_TANH);
}
/* the paper's network is ReLU (cheetah states are never on a kink) */
Test(meta, promp_cheetah_relu_gradient_matches_finite_differences) {
  check_promp_gradient("cheetah-vel", 1, 2, 3, 10, MAML_ACT_RELU);
}

/* At theta_old the ratios are 1 (nothing clipped) and the KL and its gradient are 0: the
 * objective is prepare's surrogate and, without the penalty, its gradient prepare's, bit
 * for bit (the reason ProMP's first Adam step reuses it). */
Test(meta, promp_objective_at_theta_old_is_prepares) {
  fixture f;
  maml_meta_params mp = params(1, 0);
  mp.inner_loss = MAML_INNER_LVC;
  fixture_make(&f, "nav2d", 3, 4, 12, MAML_ACT_TANH, &mp);
  size_t n = f.policy.n_params;
  double *g = malloc(n * sizeof *g), *g1 = malloc(n * sizeof *g1), value, kl, clipped, surr;
  maml_learner_objective(f.learner, f.theta, &surr, NULL);
  maml_learner_clipped_objective(f.learner, f.theta, 0.3, 0.0, &value, &kl, &clipped, g);
  cr_assert(value == surr && kl == 0 && clipped == 0, "%.17g vs %.17g, kl %g, clipped %g", value,
            surr, kl, clipped);
  cr_assert_eq(memcmp(g, maml_learner_grad(f.learner), n * sizeof *g), 0);
  maml_learner_clipped_objective(f.learner, f.theta, 0.3, 5e-4, NULL, &kl, NULL, g1);
  cr_assert(fabs(kl) < 1e-12 && meta_fixture_drel(g, g1, n) < 1e-12, "kl %g", kl);
  free(g), free(g1);
  meta_fixture_free(&f);
}

/* adam.h's update, written out again for the replica below */
static void adam_by_hand(double *m, double *v, int t, double lr, const double *g, maml_real *x,
                         size_t n) {
  double lr_t = lr * sqrt(1 - pow(0.999, t)) / (1 - pow(0.9, t));
  for (size_t j = 0; j < n; j++) {
    m[j] = 0.9 * m[j] + 0.1 * g[j];
    v[j] = 0.999 * v[j] + 0.001 * g[j] * g[j];
    x[j] = (maml_real)(x[j] - lr_t * m[j] / (sqrt(v[j]) + 1e-8));
  }
}

/* The ProMP step is promp_steps Adam steps from fresh moments: the first on prepare's
 * gradient, each next on the objective's gradient where the last one left theta; stats
 * as documented. Replayed from the public pieces on the same learner. */
Test(meta, promp_step_is_adam_on_the_clipped_objective) {
  fixture f;
  maml_meta_params mp = params(1, 0);
  mp.inner_loss = MAML_INNER_LVC;
  mp.outer = MAML_OUTER_PROMP;
  mp.promp_clip = 0.3, mp.promp_kl_coef = 0.01, mp.promp_steps = 4, mp.promp_lr = 0.01;
  fixture_make(&f, "nav2d", 3, 4, 12, MAML_ACT_TANH, &mp);
  size_t n = f.policy.n_params;
  char err[256];
  maml_real *theta = malloc(n * sizeof *theta), *x = malloc(n * sizeof *x);
  memcpy(theta, f.theta, n * sizeof *theta);
  maml_step_stats st;
  cr_assert_eq(maml_learner_step(f.learner, theta, &st, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(st.outcome, MAML_STEP_ACCEPTED);
  cr_assert(st.ls_tries == 4 && st.cg_iters == 0 && st.step_norm > 0 && st.expected < 0,
            "tries %d, cg %d, |s| %g, expected %g", st.ls_tries, st.cg_iters, st.step_norm,
            st.expected);
  cr_assert_null(maml_learner_direction(f.learner));
  double *m = calloc(n, sizeof *m), *v = calloc(n, sizeof *v), *g = malloc(n * sizeof *g);
  memcpy(g, maml_learner_grad(f.learner), n * sizeof *g);
  memcpy(x, f.theta, n * sizeof *x);
  for (int t = 1; t <= 4; t++) {
    if (t > 1) maml_learner_clipped_objective(f.learner, x, 0.3, 0.01, NULL, NULL, NULL, g);
    adam_by_hand(m, v, t, 0.01, g, x, n);
  }
  double d = 0, s2 = 0;
  for (size_t j = 0; j < n; j++)
    d = fmax(d, fabs((double)x[j] - theta[j])),
    s2 += ((double)x[j] - f.theta[j]) * (x[j] - f.theta[j]);
  cr_assert(d < 1e-6 * 0.01, "the step differs from the replica by %g", d);
  cr_assert(fabs(sqrt(s2) - st.step_norm) < 1e-6 * st.step_norm);
  double surr, kl;
  maml_learner_objective(f.learner, theta, &surr, &kl);
  cr_assert(surr == st.surr_after && kl == st.kl && surr < st.surr_before, "%g %g %g", surr,
            st.surr_after, st.surr_before);
  /* the state carried to the next meta-iteration: Adam's step count and moments */
  size_t count = maml_learner_outer_state(f.learner, NULL);
  cr_assert_eq(count, 1 + 2 * n);
  double *state = malloc(count * sizeof *state);
  maml_learner_outer_state(f.learner, state);
  cr_assert(state[0] == 4, "t %g", state[0]);
  cr_assert(fabs(state[1] - m[0]) <= 1e-4 * fabs(m[0]) && fabs(state[1 + n] - v[0]) <= 1e-4 * v[0],
            "m %g (replica %g), v %g (replica %g)", state[1], m[0], state[1 + n], v[0]);
  cr_assert_eq(maml_learner_set_outer_state(f.learner, state, count - 1, err, sizeof err),
               MAML_ERR_FORMAT);
  cr_assert(strstr(err, "promp") && strstr(err, "keeps"), "%s", err);
  state[0] = 2.5; /* not a step count */
  cr_assert_eq(maml_learner_set_outer_state(f.learner, state, count, err, sizeof err),
               MAML_ERR_FORMAT);
  free(state);
  free(theta), free(x), free(m), free(v), free(g);
  meta_fixture_free(&f);
}

Test(meta, bad_promp_parameters_are_refused) {
  maml_policy p;
  char err[256];
  cr_assert_eq(maml_policy_init(&p, 2, 2, 0, NULL, MAML_ACT_RELU, 1.0, err, sizeof err), MAML_OK);
  maml_pool *pool;
  cr_assert_eq(maml_pool_create(&pool, 1, err, sizeof err), MAML_OK);
  maml_learner *l;
  maml_meta_params good = params(1, 0);
  good.outer = MAML_OUTER_PROMP;
  good.promp_clip = 0.3, good.promp_kl_coef = 5e-4, good.promp_steps = 5, good.promp_lr = 1e-3;
  cr_assert_eq(maml_learner_create(&l, &p, pool, 2, 10, 10, &good, err, sizeof err), MAML_OK, "%s",
               err);
  maml_learner_destroy(l);
  struct {
    maml_meta_params mp;
    const char *word;
  } bad[5];
  for (int i = 0; i < 5; i++) bad[i].mp = good;
  bad[0].mp.promp_clip = 0, bad[0].word = "promp_clip";
  bad[1].mp.promp_kl_coef = -1, bad[1].word = "promp_kl_coef";
  bad[2].mp.promp_steps = 0, bad[2].word = "promp_steps";
  bad[3].mp.promp_lr = NAN, bad[3].word = "promp_lr";
  bad[4].mp.outer = (maml_outer_kind)9, bad[4].word = "outer 9";
  for (int i = 0; i < 5; i++) {
    cr_assert_eq(maml_learner_create(&l, &p, pool, 2, 10, 10, &bad[i].mp, err, sizeof err),
                 MAML_ERR_ARG, "%s", bad[i].word);
    cr_assert(strstr(err, bad[i].word), "%s: %s", bad[i].word, err);
  }
  /* TRPO reads none of them */
  maml_meta_params trpo = params(1, 0);
  trpo.promp_clip = -1;
  cr_assert_eq(maml_learner_create(&l, &p, pool, 2, 10, 10, &trpo, err, sizeof err), MAML_OK);
  maml_learner_destroy(l);
  cr_assert_str_eq(maml_outer_name(MAML_OUTER_TRPO), "trpo");
  cr_assert_str_eq(maml_outer_name(MAML_OUTER_PROMP), "promp");
  cr_assert_null(maml_outer_name((maml_outer_kind)2));
  maml_pool_destroy(pool);
}

/* A ProMP step whose later gradient is not finite (a learning rate that throws theta to
 * 1e300) leaves theta and Adam's state as they were. */
Test(meta, promp_nonfinite_step_leaves_theta_and_adam_untouched) {
  fixture f;
  maml_meta_params mp = params(1, 0);
  mp.inner_loss = MAML_INNER_LVC;
  mp.outer = MAML_OUTER_PROMP;
  mp.promp_clip = 0.3, mp.promp_kl_coef = 5e-4, mp.promp_steps = 3, mp.promp_lr = 1e300;
  fixture_make(&f, "nav2d", 2, 3, 10, MAML_ACT_TANH, &mp);
  size_t n = f.policy.n_params;
  char err[256];
  maml_real *theta = malloc(n * sizeof *theta);
  memcpy(theta, f.theta, n * sizeof *theta);
  maml_step_stats st;
  cr_assert_eq(maml_learner_step(f.learner, theta, &st, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(st.outcome, MAML_STEP_NONFINITE);
  cr_assert_eq(memcmp(theta, f.theta, n * sizeof *theta), 0, "theta was touched");
  size_t count = maml_learner_outer_state(f.learner, NULL);
  double *state = malloc(count * sizeof *state), zero = 0;
  maml_learner_outer_state(f.learner, state);
  for (size_t j = 0; j < count; j++)
    cr_assert_eq(memcmp(&state[j], &zero, sizeof zero), 0, "state %zu is %g", j, state[j]);
  free(theta), free(state);
  meta_fixture_free(&f);
}
