/* The learner with a support batch of its own at every inner step (maml_learner_adapt_begin,
 * maml_learner_adapt_next: what the paper's code does for K >= 2). With distinct batches
 * S^0 .. S^{K-1} (S^k sampled with theta^k), K = 2 and 3, REINFORCE and LVC: theta'_i is
 * the hand-made adaptation on those batches (LVC's ratio of step k to theta^k), the
 * meta-gradient and the curvature agree with central finite differences of
 * maml_learner_objective (which re-adapts from the same batches), and they differ from the
 * reuse mode's; so does ProMP's gradient against differences of its objective. Giving S^0
 * again at every step is the reuse mode, bit for bit. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "maml/episodes.h"
#include "maml/meta.h"
#include "maml/sampler.h"
#include "meta_fixture.h"

typedef meta_fixture fixture;

/* fresh: S^k sampled with theta^k for every k; else (reuse) S^0 at every step, given once
 * (adapt) or K times (adapt_begin + adapt_next: same_again). Then Q and prepare. */
static void fixture_make(fixture *f, const char *family, int K, int tasks, int episodes,
                         int horizon, maml_inner_loss loss, meta_fixture_mode m) {
  meta_fixture_spec s = {family, tasks, episodes, horizon, MAML_ACT_TANH, m, 0};
  maml_meta_params mp = meta_fixture_params(K);
  mp.inner_loss = loss;
  meta_fixture_make(f, &s, &mp);
}

/* theta^K of task i by hand: step k on S^k, LVC's denominator pi_theta^k on S^k at the
 * sampling theta^k (REINFORCE's loss reads no denominator) */
static void steps_by_hand(const fixture *f, int i, maml_inner_loss loss, maml_real *out) {
  const maml_policy *p = &f->policy;
  size_t n = p->n_params;
  maml_policy_cache c;
  cr_assert_eq(maml_policy_cache_alloc(&c, p, f->rows), MAML_OK);
  maml_real *g = malloc(n * sizeof *g), *logp0 = malloc((size_t)f->rows * sizeof *logp0);
  memcpy(out, f->theta, n * sizeof *out);
  for (int k = 0; k < f->K; k++) {
    maml_batch b = f->support[k][i];
    maml_policy_forward(p, out, b.obs, b.n, &c);
    if (loss == MAML_INNER_LVC) {
      maml_policy_log_prob(p, out, c.mu, b.act, b.n, logp0);
      b.logp_old = logp0;
      maml_lvc_loss_grad(p, out, &b, &c, g);
    } else {
      maml_inner_loss_grad(p, out, &b, &c, g);
    }
    for (size_t j = 0; j < n; j++) out[j] = (maml_real)(out[j] - 0.1 * g[j]);
  }
  free(g), free(logp0);
  maml_policy_cache_free(&c);
}

static void check_fresh(const char *family, int K, maml_inner_loss loss, int tasks, int episodes,
                        int horizon, double fd_h) {
  if (sizeof(maml_real) != sizeof(double))
    cr_skip_test("finite differences of the meta-objective need the double build");
  fixture f, r;
  fixture_make(&f, family, K, tasks, episodes, horizon, loss, META_FIXTURE_FRESH);
  fixture_make(&r, family, K, tasks, episodes, horizon, loss, META_FIXTURE_REUSE);
  size_t n = f.policy.n_params;
  const char *name = maml_inner_loss_name(loss);

  /* the batches differ, theta'_i is the adaptation on them, and not the reuse mode's */
  maml_real *hand = malloc(n * sizeof *hand);
  for (int i = 0; i < tasks; i++) {
    for (int k = 1; k < K; k++)
      cr_assert_neq(memcmp(f.sb[k][i].act, f.sb[0][i].act, (size_t)f.rows * sizeof(maml_real)), 0,
                    "task %d: S^%d is S^0", i, k);
    steps_by_hand(&f, i, loss, hand);
    const maml_real *ad = maml_learner_adapted(f.learner, i);
    double dh = 0, dr = 0;
    for (size_t j = 0; j < n; j++)
      dh = fmax(dh, fabs(hand[j] - ad[j])),
      dr = fmax(dr, fabs(ad[j] - maml_learner_adapted(r.learner, i)[j]));
    cr_assert(dh < 1e-12, "%s K=%d task %d: theta' differs from the steps by hand by %g", name, K,
              i, dh);
    cr_assert(dr > 1e-6, "%s K=%d task %d: theta' is the reuse mode's", name, K, i);
  }

  double *g = malloc(n * sizeof *g), *fd = malloc(n * sizeof *fd);
  memcpy(g, maml_learner_grad(f.learner), n * sizeof *g);
  double dgr = meta_fixture_drel(g, maml_learner_grad(r.learner), n);
  cr_assert(dgr > 1e-4, "%s K=%d: the meta-gradient is the reuse mode's (%g)", name, K, dgr);

  meta_fixture_products pr;
  meta_fixture_products_make(&f, 1, &pr);
  char what[64];
  snprintf(what, sizeof what, "%s %s K=%d", family, name, K);
  meta_fixture_fd_gradient(&f, f.theta, 0, 0, fd);
  meta_fixture_expect_gradient(g, fd, n, what);
  meta_fixture_expect_curvature(&f, &pr, fd_h, what);
  meta_fixture_products_free(&pr);
  free(g), free(fd), free(hand);
  meta_fixture_free(&f), meta_fixture_free(&r);
}

Test(meta_fresh, reinforce_two_steps_match_finite_differences) {
  check_fresh("nav2d", 2, MAML_INNER_REINFORCE, 3, 4, 12, 1e-4);
}
Test(meta_fresh, reinforce_three_steps_match_finite_differences) {
  check_fresh("nav2d", 3, MAML_INNER_REINFORCE, 2, 4, 12, 1e-4);
}
Test(meta_fresh, lvc_two_steps_match_finite_differences) {
  check_fresh("nav2d", 2, MAML_INNER_LVC, 3, 4, 12, 3e-5);
}
Test(meta_fresh, lvc_three_steps_match_finite_differences) {
  check_fresh("nav2d", 3, MAML_INNER_LVC, 2, 4, 12, 3e-5);
}
Test(meta_fresh, lvc_cheetah_two_steps_match_finite_differences) {
  check_fresh("cheetah-vel", 2, MAML_INNER_LVC, 2, 3, 10, 3e-5);
}

/* ProMP's objective through fresh LVC steps: its gradient against central differences of
 * its value (each re-adapting from the same S^0 .. S^{K-1}), away from theta_old so that
 * rows are clipped and the KL penalty on S^0 counts; and not the reuse mode's */
Test(meta_fresh, promp_gradient_matches_finite_differences) {
  if (sizeof(maml_real) != sizeof(double))
    cr_skip_test("finite differences of the meta-objective need the double build");
  fixture f, r;
  fixture_make(&f, "nav2d", 2, 3, 4, 12, MAML_INNER_LVC, META_FIXTURE_FRESH);
  fixture_make(&r, "nav2d", 2, 3, 4, 12, MAML_INNER_LVC, META_FIXTURE_REUSE);
  size_t n = f.policy.n_params;
  double clip = 0.1, eta = 0.5, value, kl, clipped;
  double *u = malloc(n * sizeof *u), *g = malloc(n * sizeof *g), *gr = malloc(n * sizeof *gr);
  double *fd = malloc(n * sizeof *fd);
  maml_real *at = malloc(n * sizeof *at);
  meta_fixture_random_vector(u, n, 7);
  meta_fixture_shifted(&f, f.theta, 0.05, u, 0, NULL, at);
  maml_learner_clipped_objective(f.learner, at, clip, eta, &value, &kl, &clipped, g);
  maml_learner_clipped_objective(r.learner, at, clip, eta, NULL, NULL, NULL, gr);
  cr_assert(clipped > 0.02 && clipped < 0.9, "%g of the rows clipped", clipped);
  cr_assert(kl > 1e-5, "KL %g", kl);
  meta_fixture_fd_gradient(&f, at, clip, eta, fd);
  meta_fixture_expect_gradient(g, fd, n, "ProMP");
  double d = meta_fixture_drel(g, gr, n);
  cr_assert(d > 1e-3, "the gradient is the reuse mode's (%g)", d);
  free(u), free(g), free(gr), free(fd), free(at);
  meta_fixture_free(&f), meta_fixture_free(&r);
}

/* S^0 given again at every step is the reuse mode bit for bit: theta'_i, the
 * meta-gradient, a curvature product and the objective at another theta (any build) */
Test(meta_fresh, the_same_batch_at_every_step_is_reuse) {
  for (int loss = 0; loss < MAML_INNER_COUNT; loss++)
    for (int K = 1; K <= 3; K++) {
      fixture a, b;
      fixture_make(&a, "nav2d", K, 2, 3, 10, (maml_inner_loss)loss, META_FIXTURE_REUSE);
      fixture_make(&b, "nav2d", K, 2, 3, 10, (maml_inner_loss)loss, META_FIXTURE_SAME_AGAIN);
      size_t n = a.policy.n_params;
      for (int i = 0; i < a.tasks; i++)
        cr_assert_eq(memcmp(maml_learner_adapted(a.learner, i), maml_learner_adapted(b.learner, i),
                            n * sizeof(maml_real)),
                     0, "loss %d K %d task %d: theta' differs", loss, K, i);
      cr_assert_eq(
          memcmp(maml_learner_grad(a.learner), maml_learner_grad(b.learner), n * sizeof(double)), 0,
          "loss %d K %d: the meta-gradient differs", loss, K);
      double *v = malloc(n * sizeof *v), *va = malloc(n * sizeof *va), *vb = malloc(n * sizeof *vb);
      meta_fixture_random_vector(v, n, 4);
      maml_learner_curvature(a.learner, v, va);
      maml_learner_curvature(b.learner, v, vb);
      cr_assert_eq(memcmp(va, vb, n * sizeof *va), 0, "loss %d K %d: curvature differs", loss, K);
      maml_real *th = malloc(n * sizeof *th);
      for (size_t j = 0; j < n; j++) th[j] = (maml_real)(a.theta[j] + 1e-2 * v[j]);
      double sa, ka, sb, kb;
      maml_learner_objective(a.learner, th, &sa, &ka);
      maml_learner_objective(b.learner, th, &sb, &kb);
      cr_assert(sa == sb && ka == kb, "loss %d K %d: objective %g/%g vs %g/%g", loss, K, sa, ka, sb,
                kb);
      cr_assert(ka > 0, "loss %d K %d: no KL away from theta_old", loss, K);
      free(v), free(va), free(vb), free(th);
      meta_fixture_free(&a), meta_fixture_free(&b);
    }
}

/* adapt_next out of order, a batch too large, prepare before the last step: refused */
Test(meta_fresh, misuse_is_refused) {
  fixture f;
  fixture_make(&f, "nav2d", 2, 2, 3, 10, MAML_INNER_REINFORCE, META_FIXTURE_FRESH);
  char err[256];
  cr_assert_eq(maml_learner_adapt_next(f.learner, f.support[1], err, sizeof err), MAML_ERR_ARG);
  cr_assert(strstr(err, "after 2 of the 2 inner steps"), "%s", err);
  cr_assert_eq(maml_learner_adapt_begin(f.learner, f.theta, f.support[0], err, sizeof err),
               MAML_OK);
  cr_assert_eq(maml_learner_adapt_steps(f.learner), 1);
  cr_assert_eq(maml_learner_prepare(f.learner, f.query, NULL, err, sizeof err), MAML_ERR_ARG);
  cr_assert(strstr(err, "after 1 of the 2 inner steps"), "%s", err);
  double surr = 0, kl = 0;
  maml_learner_objective(f.learner, f.theta, &surr, &kl);
  cr_assert(isnan(surr) && isnan(kl), "an objective before the last step: %g %g", surr, kl);
  maml_batch big[META_FIXTURE_MAX_TASKS];
  memcpy(big, f.support[1], sizeof big);
  big[1].n = f.rows + 1;
  cr_assert_eq(maml_learner_adapt_next(f.learner, big, err, sizeof err), MAML_ERR_ARG);
  cr_assert(strstr(err, "support batch 1 of inner step 1 has"), "%s", err);
  cr_assert_eq(maml_learner_adapt_next(f.learner, NULL, err, sizeof err), MAML_ERR_ARG);
  cr_assert_eq(maml_learner_adapt_next(f.learner, f.support[1], err, sizeof err), MAML_OK, "%s",
               err);
  cr_assert_eq(maml_learner_prepare(f.learner, f.query, NULL, err, sizeof err), MAML_OK, "%s", err);
  meta_fixture_free(&f);
}
