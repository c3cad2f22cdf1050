/* The meta-learner's test fixture, shared by test_meta.c, test_meta_alpha.c and
 * test_meta_fresh.c: a world, a 2 x 8 policy, a pool of 2 threads, a sampler and a learner;
 * support batches sampled with theta (and, fresh, one of their own for each later inner step,
 * sampled with theta^k), adaptation, query batches sampled with each theta'_i and prepare.
 * Also the finite-difference checks those programs share. Test code only (Criterion). */
#ifndef MAML_TESTS_META_FIXTURE_H
#define MAML_TESTS_META_FIXTURE_H

#include <stddef.h>

#include "maml/env.h"
#include "maml/episodes.h"
#include "maml/meta.h"
#include "maml/pool.h"
#include "maml/sampler.h"

enum { META_FIXTURE_MAX_TASKS = 4, META_FIXTURE_MAX_K = 3, META_FIXTURE_NV = 3 };

/* how the inner steps get their support batches: S^0 once (maml_learner_adapt), S^0 again at
 * every step (adapt_begin + adapt_next), or S^k sampled with theta^k at step k */
typedef enum { META_FIXTURE_REUSE, META_FIXTURE_SAME_AGAIN, META_FIXTURE_FRESH } meta_fixture_mode;

typedef struct {
  const char *family;
  int tasks, episodes, horizon;
  maml_activation act;
  meta_fixture_mode mode;
  double spread; /* learned step sizes: spread around alpha (0: all alpha) */
} meta_fixture_spec;

typedef struct {
  maml_env_world world;
  maml_policy policy;
  maml_pool *pool;
  maml_sampler *sampler;
  maml_learner *learner;
  int tasks, episodes, horizon, K, rows, steps_made;
  size_t n, np; /* policy parameters, meta-parameters (n plus the step sizes) */
  double goals[META_FIXTURE_MAX_TASKS * MAML_TASK_MAX];
  maml_task_batch sb[META_FIXTURE_MAX_K][META_FIXTURE_MAX_TASKS], qb[META_FIXTURE_MAX_TASKS];
  maml_real *sadv[META_FIXTURE_MAX_K][META_FIXTURE_MAX_TASKS], *qadv[META_FIXTURE_MAX_TASKS];
  /* support[k]: step k's batches (only support[0] unless fresh) */
  maml_batch support[META_FIXTURE_MAX_K][META_FIXTURE_MAX_TASKS], query[META_FIXTURE_MAX_TASKS];
  maml_real *theta; /* (np) theta, then the step sizes */
} meta_fixture;

/* the settings every test learner shares: K inner steps of alpha 0.1, TRPO's max_kl 0.01,
 * 10 CG iterations, no damping, a line search of 15 steps of 0.8 */
maml_meta_params meta_fixture_params(int K);

/* builds f for the learner mp; asserts that prepare's surrogate at theta_old is 0 */
void meta_fixture_make(meta_fixture *f, const meta_fixture_spec *spec, const maml_meta_params *mp);
void meta_fixture_free(meta_fixture *f);

/* normal numbers of the test stream `stream` */
void meta_fixture_random_vector(double *v, size_t n, unsigned stream);
/* ||a - b|| / max(||a||, ||b||), 0 when both are zero */
double meta_fixture_drel(const double *a, const double *b, size_t n);
double meta_fixture_ddot(const double *a, const double *b, size_t n);
/* at + a u + b v (u, v may be NULL) over the np meta-parameters */
void meta_fixture_shifted(const meta_fixture *f, const maml_real *at, double a, const double *u,
                          double b, const double *v, maml_real *out);

/* central differences (step 1e-6) of the learner's objective at `at`, every component; with
 * clip > 0 of ProMP's clipped objective (clip, KL coefficient eta) instead */
void meta_fixture_fd_gradient(const meta_fixture *f, const maml_real *at, double clip, double eta,
                              double *fd);
/* g is not near zero (norm > 1e-4) and agrees with fd to 1e-5 (relative) */
void meta_fixture_expect_gradient(const double *g, const double *fd, size_t n, const char *what);

/* random vectors v_k (streams 0, 1, 2; the step-size block scaled by step_scale) and their
 * curvature products A v_k, taken before any objective evaluation overwrites the caches */
typedef struct {
  double *v[META_FIXTURE_NV], *av[META_FIXTURE_NV];
} meta_fixture_products;
void meta_fixture_products_make(const meta_fixture *f, double step_scale, meta_fixture_products *p);
void meta_fixture_products_free(meta_fixture_products *p);
/* u^T A v of every pair against the KL's second differences at step h around theta */
void meta_fixture_expect_curvature(const meta_fixture *f, const meta_fixture_products *p, double h,
                                   const char *what);
/* v0^T A v1 = v1^T A v0, as the Hessian of the KL must be */
void meta_fixture_expect_symmetric(const meta_fixture *f, const meta_fixture_products *p,
                                   const char *what);

#endif
