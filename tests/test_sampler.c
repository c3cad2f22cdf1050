/* The sampler: batches bit-identical across thread counts, different for different seeds,
 * consistent with the policy that sampled them, and packed to their valid rows with the
 * same losses. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "maml/sampler.h"

enum { TASKS = 5, EPISODES = 4 };

typedef struct {
  maml_env_world world;
  maml_policy policy;
  maml_real *theta[TASKS];
  double tasks[TASKS * MAML_TASK_MAX];
  maml_task_batch batches[TASKS];
  int horizon;
} setup;

static void setup_make(setup *s, const char *family, int horizon) {
  char err[1024];
  cr_assert_eq(maml_env_world_open(&s->world, family, 0, NULL, err, sizeof err), MAML_OK, "%s",
               err);
  int hidden[2] = {16, 16};
  cr_assert_eq(maml_policy_init(&s->policy, s->world.obs_dim, s->world.family->act_dim, 2, hidden,
                                MAML_ACT_RELU, 1.0, err, sizeof err),
               MAML_OK, "%s", err);
  s->horizon = horizon;
  maml_rng r;
  maml_rng_init(&r, 1, 0, MAML_PHASE_TASKS, 0, 0);
  for (int i = 0; i < TASKS; i++) {
    s->theta[i] = calloc(s->policy.n_params, sizeof(maml_real));
    maml_rng init;
    maml_rng_init(&init, 1, 0, MAML_PHASE_INIT, (uint32_t)i, 0); /* a different policy per task */
    maml_policy_init_params(&s->policy, s->theta[i], &init);
    s->world.family->sample_task(&r, s->tasks + i * MAML_TASK_MAX);
    cr_assert_eq(maml_task_batch_alloc(&s->batches[i], EPISODES, horizon, s->world.obs_dim,
                                       s->world.family->act_dim),
                 MAML_OK);
  }
}

static void setup_free(setup *s) {
  for (int i = 0; i < TASKS; i++) free(s->theta[i]), maml_task_batch_free(&s->batches[i]);
  maml_env_world_close(&s->world);
}

static void run(setup *s, int threads, uint64_t seed) {
  char err[1024];
  maml_pool *pool;
  maml_sampler *sampler;
  cr_assert_eq(maml_pool_create(&pool, threads, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(
      maml_sampler_create(&sampler, &s->world, &s->policy, pool, EPISODES, err, sizeof err),
      MAML_OK, "%s", err);
  const maml_real *thetas[TASKS];
  for (int i = 0; i < TASKS; i++) thetas[i] = s->theta[i];
  cr_assert_eq(maml_sampler_run(sampler, TASKS, s->tasks, thetas, seed, 3, MAML_PHASE_SUPPORT,
                                s->batches, err, sizeof err),
               MAML_OK, "%s", err);
  maml_sampler_destroy(sampler);
  maml_pool_destroy(pool);
}

static size_t batch_bytes(const maml_task_batch *b) {
  return (size_t)((char *)(b->length + b->episodes) - (char *)b->block);
}

/* a copy of every batch's bytes */
static char *snapshot(const setup *s) {
  size_t n = batch_bytes(&s->batches[0]);
  char *copy = malloc(n * TASKS);
  for (int i = 0; i < TASKS; i++) memcpy(copy + i * n, s->batches[i].block, n);
  return copy;
}

static void check_thread_independence(const char *family, int horizon) {
  setup s;
  setup_make(&s, family, horizon);
  run(&s, 1, 7);
  char *one = snapshot(&s);
  size_t n = batch_bytes(&s.batches[0]) * TASKS;
  int counts[] = {2, 4};
  for (int k = 0; k < 2; k++) {
    run(&s, counts[k], 7);
    char *many = snapshot(&s);
    cr_assert(memcmp(one, many, n) == 0, "%s: batch with %d threads differs from 1 thread", family,
              counts[k]);
    free(many);
  }
  run(&s, 2, 8);
  char *other = snapshot(&s);
  cr_assert(memcmp(one, other, n) != 0, "%s: seeds 7 and 8 gave the same batch", family);
  free(one), free(other);
  setup_free(&s);
}

Test(sampler, nav2d_is_bit_identical_for_1_2_4_threads) {
  check_thread_independence("nav2d", 100);
}

Test(sampler, cheetah_is_bit_identical_for_1_2_4_threads) {
  check_thread_independence("cheetah-vel", 50);
}

Test(sampler, ant_is_bit_identical_for_1_2_4_threads) {
  check_thread_independence("ant-vel", 30);
}

/* masks, lengths and zero padding agree with each other, and the actions are the policy's:
 * (act - mu) / std under the task's sampling parameters is standard normal */
Test(sampler, batch_is_consistent_with_its_policy) {
  setup s;
  setup_make(&s, "nav2d", 100);
  run(&s, 2, 11);
  const maml_policy *p = &s.policy;
  maml_policy_cache c;
  cr_assert_eq(maml_policy_cache_alloc(&c, p, s.horizon), MAML_OK);
  const int A = p->act_dim;
  double sum = 0, sumsq = 0;
  long count = 0;
  for (int i = 0; i < TASKS; i++) {
    const maml_task_batch *b = &s.batches[i];
    int dim = s.world.family->task_dim;
    cr_assert(memcmp(b->task, s.tasks + i * MAML_TASK_MAX, (size_t)dim * sizeof *b->task) == 0);
    for (int k = dim; k < MAML_TASK_MAX; k++) cr_assert(b->task[k] == 0, "task slot %d not 0", k);
    for (int e = 0; e < EPISODES; e++) {
      int len = b->length[e];
      cr_assert(len >= 1 && len <= s.horizon);
      const maml_real *obs = b->obs + (size_t)e * s.horizon * b->obs_dim;
      const maml_real *act = b->act + (size_t)e * s.horizon * A;
      maml_policy_forward(p, s.theta[i], obs, len, &c);
      for (int t = 0; t < s.horizon; t++) {
        size_t row = (size_t)e * s.horizon + t;
        cr_assert_eq(b->mask[row], t < len ? 1 : 0);
        if (t < len) {
          for (int d = 0; d < A; d++) {
            double z = (act[t * A + d] - c.mu[t * A + d]) / exp(s.theta[i][p->log_std_off + d]);
            sum += z, sumsq += z * z, count++;
          }
        } else {
          cr_assert(b->reward[row] == 0 && b->act[row * A] == 0);
        }
      }
      /* nav2d starts at the origin */
      cr_assert(obs[0] == 0 && obs[1] == 0);
    }
  }
  /* a wrong theta or std would shift these by more than four standard errors */
  cr_assert_gt(count, 1000);
  double mean = sum / count, var = sumsq / count - mean * mean;
  cr_assert_lt(fabs(mean), 4 / sqrt((double)count), "mean %g over %ld", mean, count);
  cr_assert_lt(fabs(var - 1), 4 * sqrt(2.0 / count), "variance %g over %ld", var, count);
  maml_policy_cache_free(&c);
  setup_free(&s);
}

/* A hopper with a random policy falls within a few dozen of its 200 steps: packing its
 * batch keeps the valid rows, in order, and the inner loss and its gradient of the whole
 * batch (to rounding: the sums run over other blocks of rows) and of the Hessian product. */
Test(sampler, packed_batch_keeps_the_losses_of_the_whole_batch) {
  setup s;
  setup_make(&s, "hopper-params", 200);
  run(&s, 1, 5);
  const maml_policy *p = &s.policy;
  maml_task_batch *b = &s.batches[0];
  size_t rows = (size_t)EPISODES * s.horizon, D = (size_t)b->obs_dim;
  size_t n = p->n_params;
  maml_real *adv = malloc(rows * sizeof *adv), *obs = malloc(rows * D * sizeof *obs);
  maml_real *g_full = malloc(n * sizeof *g_full), *g_packed = malloc(n * sizeof *g_packed);
  maml_real *v = malloc(n * sizeof *v), *h_full = malloc(n * sizeof *h_full);
  maml_real *h_packed = malloc(n * sizeof *h_packed);
  for (size_t r = 0; r < rows; r++) adv[r] = b->mask[r] * (maml_real)sin(0.7 * (double)r);
  for (size_t k = 0; k < n; k++) v[k] = (maml_real)cos(0.3 * (double)k);
  memcpy(obs, b->obs, rows * D * sizeof *obs);
  int valid = 0;
  for (int e = 0; e < EPISODES; e++) valid += b->length[e];
  cr_assert_lt(valid, (int)rows / 2, "the hopper did not fall: %d of %zu rows valid", valid, rows);

  maml_policy_cache c;
  maml_policy_work w;
  cr_assert_eq(maml_policy_cache_alloc(&c, p, (int)rows), MAML_OK);
  cr_assert_eq(maml_policy_work_alloc(&w, p, (int)rows), MAML_OK);
  maml_batch full = {.n = (int)rows, .obs = b->obs, .act = b->act, .adv = adv, .mask = b->mask};
  maml_policy_forward(p, s.theta[0], full.obs, full.n, &c);
  double l_full = maml_inner_loss_grad(p, s.theta[0], &full, &c, g_full);
  maml_inner_loss_hvp(p, s.theta[0], &full, &c, &w, v, h_full);

  maml_batch packed = maml_task_batch_pack(b, adv);
  cr_assert_eq(packed.n, valid);
  cr_assert(packed.mask == NULL && packed.logp_old == NULL && packed.adv == adv);
  size_t next = 0;
  for (int e = 0; e < EPISODES; e++)
    for (int t = 0; t < b->length[e]; t++, next++)
      cr_assert(
          !memcmp(packed.obs + next * D, obs + ((size_t)e * s.horizon + t) * D, D * sizeof *obs),
          "packed row %zu is not step %d of episode %d", next, t, e);
  maml_policy_forward(p, s.theta[0], packed.obs, packed.n, &c);
  double l_packed = maml_inner_loss_grad(p, s.theta[0], &packed, &c, g_packed);
  maml_inner_loss_hvp(p, s.theta[0], &packed, &c, &w, v, h_packed);

  double tol = sizeof(maml_real) == 4 ? 1e-4 : 1e-10, gmax = 0, hmax = 0, dg = 0, dh = 0;
  for (size_t k = 0; k < n; k++) {
    gmax = fmax(gmax, fabs(g_full[k])), hmax = fmax(hmax, fabs(h_full[k]));
    dg = fmax(dg, fabs(g_full[k] - g_packed[k])), dh = fmax(dh, fabs(h_full[k] - h_packed[k]));
  }
  cr_assert_gt(gmax, 0);
  cr_assert_gt(hmax, 0);
  cr_assert_leq(fabs(l_full - l_packed), tol * fmax(1, fabs(l_full)), "loss %g against %g",
                l_packed, l_full);
  cr_assert_leq(dg, tol * gmax, "gradient off by %g (largest %g)", dg, gmax);
  cr_assert_leq(dh, tol * hmax, "Hessian product off by %g (largest %g)", dh, hmax);
  maml_policy_cache_free(&c), maml_policy_work_free(&w);
  free(adv), free(obs), free(g_full), free(g_packed), free(v), free(h_full), free(h_packed);
  setup_free(&s);
}

Test(sampler, mismatched_policy_is_refused) {
  char err[1024];
  maml_env_world world;
  cr_assert_eq(maml_env_world_open(&world, "nav2d", 0, NULL, err, sizeof err), MAML_OK, "%s", err);
  maml_policy p;
  cr_assert_eq(maml_policy_init(&p, 5, 2, 0, NULL, MAML_ACT_RELU, 1.0, err, sizeof err), MAML_OK);
  maml_pool *pool;
  maml_sampler *sampler;
  cr_assert_eq(maml_pool_create(&pool, 1, err, sizeof err), MAML_OK);
  cr_assert_eq(maml_sampler_create(&sampler, &world, &p, pool, 4, err, sizeof err), MAML_ERR_ARG);
  cr_assert(strstr(err, "nav2d") != NULL, "message: %s", err);
  maml_pool_destroy(pool);
  maml_env_world_close(&world);
}
