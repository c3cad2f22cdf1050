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

enum { MAX_TASKS = 3, MAX_K = 3 };

typedef struct {
  maml_env_world world;
  maml_policy policy;
  maml_pool *pool;
  maml_sampler *sampler;
  maml_learner *learner;
  int tasks, K, rows;
  double goals[MAX_TASKS * MAML_TASK_MAX];
  maml_task_batch sb[MAX_K][MAX_TASKS], qb[MAX_TASKS];
  maml_real *sadv[MAX_K][MAX_TASKS], *qadv[MAX_TASKS];
  maml_batch support[MAX_K][MAX_TASKS], query[MAX_TASKS];
  maml_real *theta;
} fixture;

static maml_meta_params params(int K, maml_inner_loss loss) {
  return (maml_meta_params){.inner_steps = K,
                            .alpha = 0.1,
                            .inner_loss = loss,
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

/* sample side (the batches b, advantages adv, views v) of every task with thetas */
static void sample(fixture *f, const maml_real *const *thetas, uint32_t iteration, maml_phase ph,
                   maml_task_batch *b, maml_real **adv, maml_batch *v) {
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

static void adapted_thetas(const fixture *f, const maml_real **thetas) {
  for (int i = 0; i < f->tasks; i++) thetas[i] = maml_learner_adapted(f->learner, i);
}

/* fresh: S^k sampled with theta^k for every k; else (reuse) S^0 at every step, given once
 * (adapt) or K times (adapt_begin + adapt_next: same_again). Then Q and prepare. */
typedef enum { REUSE, SAME_AGAIN, FRESH } mode;

static void fixture_make(fixture *f, const char *family, int K, int tasks, int episodes,
                         int horizon, maml_inner_loss loss, mode m) {
  char err[1024];
  memset(f, 0, sizeof *f);
  f->tasks = tasks, f->K = K, f->rows = episodes * horizon;
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
  maml_meta_params mp = params(K, loss);
  cr_assert_eq(maml_learner_create(&f->learner, &f->policy, f->pool, tasks, f->rows, f->rows, &mp,
                                   err, sizeof err),
               MAML_OK, "%s", err);
  f->theta = calloc(f->policy.n_params, sizeof(maml_real));
  maml_rng rng;
  maml_rng_init(&rng, 5, 0, MAML_PHASE_INIT, 0, 0);
  maml_policy_init_params(&f->policy, f->theta, &rng);
  int A = f->world.family->act_dim, D = f->world.obs_dim;
  for (int i = 0; i < tasks; i++) {
    maml_rng_init(&rng, 5, 0, MAML_PHASE_TASKS, (uint32_t)i, 0);
    f->world.family->sample_task(&rng, f->goals + i * MAML_TASK_MAX);
    for (int k = 0; k < K; k++) {
      cr_assert_eq(maml_task_batch_alloc(&f->sb[k][i], episodes, horizon, D, A), MAML_OK);
      f->sadv[k][i] = calloc((size_t)f->rows, sizeof(maml_real));
    }
    cr_assert_eq(maml_task_batch_alloc(&f->qb[i], episodes, horizon, D, A), MAML_OK);
    f->qadv[i] = calloc((size_t)f->rows, sizeof(maml_real));
  }
  const maml_real *thetas[MAX_TASKS];
  for (int i = 0; i < tasks; i++) thetas[i] = f->theta;
  sample(f, thetas, 0, MAML_PHASE_SUPPORT, f->sb[0], f->sadv[0], f->support[0]);
  if (m == REUSE) {
    cr_assert_eq(maml_learner_adapt(f->learner, f->theta, f->support[0], err, sizeof err), MAML_OK,
                 "%s", err);
  } else {
    cr_assert_eq(maml_learner_adapt_begin(f->learner, f->theta, f->support[0], err, sizeof err),
                 MAML_OK, "%s", err);
    for (int k = 1; k < K; k++) {
      cr_assert_eq(maml_learner_adapt_steps(f->learner), k);
      adapted_thetas(f, thetas);
      const maml_batch *s = f->support[0];
      if (m == FRESH) {
        sample(f, thetas, (uint32_t)k, MAML_PHASE_TEST, f->sb[k], f->sadv[k], f->support[k]);
        s = f->support[k];
      }
      cr_assert_eq(maml_learner_adapt_next(f->learner, s, err, sizeof err), MAML_OK, "%s", err);
    }
  }
  cr_assert_eq(maml_learner_adapt_steps(f->learner), K);
  adapted_thetas(f, thetas);
  sample(f, thetas, 0, MAML_PHASE_QUERY, f->qb, f->qadv, f->query);
  cr_assert_eq(maml_learner_prepare(f->learner, f->query, NULL, err, sizeof err), MAML_OK, "%s",
               err);
}

static void fixture_free(fixture *f) {
  for (int i = 0; i < f->tasks; i++) {
    for (int k = 0; k < f->K; k++) maml_task_batch_free(&f->sb[k][i]), free(f->sadv[k][i]);
    maml_task_batch_free(&f->qb[i]), free(f->qadv[i]);
  }
  free(f->theta);
  maml_learner_destroy(f->learner);
  maml_sampler_destroy(f->sampler);
  maml_pool_destroy(f->pool);
  maml_env_world_close(&f->world);
}

static double ddot(const double *a, const double *b, size_t n) {
  double s = 0;
  for (size_t j = 0; j < n; j++) s += a[j] * b[j];
  return s;
}

static double drel(const double *a, const double *b, size_t n) {
  double d = 0, na = 0, nb = 0;
  for (size_t j = 0; j < n; j++)
    d += (a[j] - b[j]) * (a[j] - b[j]), na += a[j] * a[j], nb += b[j] * b[j];
  double s = fmax(sqrt(na), sqrt(nb));
  return s > 0 ? sqrt(d) / s : 0;
}

static void random_vector(double *v, size_t n, uint32_t stream) {
  maml_rng r;
  maml_rng_init(&r, 11, 0, MAML_PHASE_TEST, stream, 0);
  for (size_t j = 0; j < n; j++) v[j] = maml_rng_normal(&r);
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

/* theta + a u + b v */
static void shifted(const fixture *f, double a, const double *u, double b, const double *v,
                    maml_real *out) {
  for (size_t j = 0; j < f->policy.n_params; j++)
    out[j] = (maml_real)(f->theta[j] + a * (u ? u[j] : 0) + b * (v ? v[j] : 0));
}

static void check_fresh(const char *family, int K, maml_inner_loss loss, int tasks, int episodes,
                        int horizon, double fd_h) {
  if (sizeof(maml_real) != sizeof(double))
    cr_skip_test("finite differences of the meta-objective need the double build");
  fixture f, r;
  fixture_make(&f, family, K, tasks, episodes, horizon, loss, FRESH);
  fixture_make(&r, family, K, tasks, episodes, horizon, loss, REUSE);
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
  double dgr = drel(g, maml_learner_grad(r.learner), n);
  cr_assert(dgr > 1e-4, "%s K=%d: the meta-gradient is the reuse mode's (%g)", name, K, dgr);

  enum { NV = 3 };
  double *v[NV], *av[NV];
  for (int k = 0; k < NV; k++) {
    v[k] = malloc(n * sizeof(double)), av[k] = malloc(n * sizeof(double));
    random_vector(v[k], n, (uint32_t)k);
    maml_learner_curvature(f.learner, v[k], av[k]);
  }

  maml_real *th = malloc(n * sizeof *th);
  double eps = 1e-6;
  for (size_t j = 0; j < n; j++) {
    double lp, lm;
    memcpy(th, f.theta, n * sizeof *th);
    th[j] = f.theta[j] + eps;
    maml_learner_objective(f.learner, th, &lp, NULL);
    th[j] = f.theta[j] - eps;
    maml_learner_objective(f.learner, th, &lm, NULL);
    fd[j] = (lp - lm) / (2 * eps);
  }
  double gnorm = sqrt(ddot(g, g, n));
  cr_assert(gnorm > 1e-4, "%s K=%d: gradient is near zero (%g)", name, K, gnorm);
  double e = drel(g, fd, n);
  cr_expect(e < 1e-5, "%s %s K=%d: meta-gradient vs finite differences: rel. error %g", family,
            name, K, e);

  for (int a = 0; a < NV; a++)
    for (int b = a; b < NV; b++) {
      double k4[4];
      int s = 0;
      for (int sa = 1; sa >= -1; sa -= 2)
        for (int sb = 1; sb >= -1; sb -= 2) {
          shifted(&f, sa * fd_h, v[a], sb * fd_h, v[b], th);
          maml_learner_objective(f.learner, th, NULL, &k4[s++]);
        }
      double fd_uav = (k4[0] - k4[1] - k4[2] + k4[3]) / (4 * fd_h * fd_h);
      double uav = ddot(v[a], av[b], n);
      double scale = sqrt(ddot(v[a], av[a], n) * ddot(v[b], av[b], n));
      cr_assert(scale > 1e-6, "%s K=%d: curvature is near zero", name, K);
      cr_expect(fabs(uav - fd_uav) < 1e-5 * scale,
                "%s %s K=%d: v%d^T A v%d = %.10g, finite differences %.10g", family, name, K, a, b,
                uav, fd_uav);
    }
  for (int k = 0; k < NV; k++) free(v[k]), free(av[k]);
  free(th), free(g), free(fd), free(hand);
  fixture_free(&f), fixture_free(&r);
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
  fixture_make(&f, "nav2d", 2, 3, 4, 12, MAML_INNER_LVC, FRESH);
  fixture_make(&r, "nav2d", 2, 3, 4, 12, MAML_INNER_LVC, REUSE);
  size_t n = f.policy.n_params;
  double clip = 0.1, eta = 0.5, value, kl, clipped;
  double *u = malloc(n * sizeof *u), *g = malloc(n * sizeof *g), *gr = malloc(n * sizeof *gr);
  double *fd = malloc(n * sizeof *fd);
  maml_real *at = malloc(n * sizeof *at), *th = malloc(n * sizeof *th);
  random_vector(u, n, 7);
  shifted(&f, 0.05, u, 0, NULL, at);
  maml_learner_clipped_objective(f.learner, at, clip, eta, &value, &kl, &clipped, g);
  maml_learner_clipped_objective(r.learner, at, clip, eta, NULL, NULL, NULL, gr);
  cr_assert(clipped > 0.02 && clipped < 0.9, "%g of the rows clipped", clipped);
  cr_assert(kl > 1e-5, "KL %g", kl);
  double h = 1e-6;
  for (size_t j = 0; j < n; j++) {
    double up, down;
    memcpy(th, at, n * sizeof *th);
    th[j] = at[j] + h;
    maml_learner_clipped_objective(f.learner, th, clip, eta, &up, NULL, NULL, NULL);
    th[j] = at[j] - h;
    maml_learner_clipped_objective(f.learner, th, clip, eta, &down, NULL, NULL, NULL);
    fd[j] = (up - down) / (2 * h);
  }
  double gnorm = sqrt(ddot(g, g, n));
  cr_assert(gnorm > 1e-4, "gradient is near zero (%g)", gnorm);
  double e = drel(g, fd, n);
  cr_expect(e < 1e-5, "ProMP gradient vs finite differences: rel. error %g", e);
  double d = drel(g, gr, n);
  cr_assert(d > 1e-3, "the gradient is the reuse mode's (%g)", d);
  free(u), free(g), free(gr), free(fd), free(at), free(th);
  fixture_free(&f), fixture_free(&r);
}

/* S^0 given again at every step is the reuse mode bit for bit: theta'_i, the
 * meta-gradient, a curvature product and the objective at another theta (any build) */
Test(meta_fresh, the_same_batch_at_every_step_is_reuse) {
  for (int loss = 0; loss < MAML_INNER_COUNT; loss++)
    for (int K = 1; K <= 3; K++) {
      fixture a, b;
      fixture_make(&a, "nav2d", K, 2, 3, 10, (maml_inner_loss)loss, REUSE);
      fixture_make(&b, "nav2d", K, 2, 3, 10, (maml_inner_loss)loss, SAME_AGAIN);
      size_t n = a.policy.n_params;
      for (int i = 0; i < a.tasks; i++)
        cr_assert_eq(memcmp(maml_learner_adapted(a.learner, i), maml_learner_adapted(b.learner, i),
                            n * sizeof(maml_real)),
                     0, "loss %d K %d task %d: theta' differs", loss, K, i);
      cr_assert_eq(
          memcmp(maml_learner_grad(a.learner), maml_learner_grad(b.learner), n * sizeof(double)), 0,
          "loss %d K %d: the meta-gradient differs", loss, K);
      double *v = malloc(n * sizeof *v), *va = malloc(n * sizeof *va), *vb = malloc(n * sizeof *vb);
      random_vector(v, n, 4);
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
      fixture_free(&a), fixture_free(&b);
    }
}

/* adapt_next out of order, a batch too large, prepare before the last step: refused */
Test(meta_fresh, misuse_is_refused) {
  fixture f;
  fixture_make(&f, "nav2d", 2, 2, 3, 10, MAML_INNER_REINFORCE, FRESH);
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
  maml_batch big[MAX_TASKS];
  memcpy(big, f.support[1], sizeof big);
  big[1].n = f.rows + 1;
  cr_assert_eq(maml_learner_adapt_next(f.learner, big, err, sizeof err), MAML_ERR_ARG);
  cr_assert(strstr(err, "support batch 1 of inner step 1 has"), "%s", err);
  cr_assert_eq(maml_learner_adapt_next(f.learner, NULL, err, sizeof err), MAML_ERR_ARG);
  cr_assert_eq(maml_learner_adapt_next(f.learner, f.support[1], err, sizeof err), MAML_OK, "%s",
               err);
  cr_assert_eq(maml_learner_prepare(f.learner, f.query, NULL, err, sizeof err), MAML_OK, "%s", err);
  fixture_free(&f);
}
