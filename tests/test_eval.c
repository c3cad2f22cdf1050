/* Evaluation: deterministic whatever the thread count, steps really adapt, goals come from
 * a stream of their own, bad parameters are refused. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "maml/eval.h"

enum { GOALS = 6 };

typedef struct {
  int calls;
  double mean[8];
} heard;

static void hear(void *ctx, int step, double mean_return) {
  heard *h = ctx;
  cr_assert_eq(step, h->calls, "progress out of order");
  h->mean[h->calls++] = mean_return;
}

/* returns (steps + 1, GOALS) of a fixed policy on fixed goals; checks on the way that the
 * progress callback hears each step with the mean over the goals */
static void evaluate(int threads, int steps, double alpha, double *returns) {
  char err[1024];
  maml_env_world w;
  cr_assert_eq(maml_env_world_open(&w, "nav2d", 0, NULL, err, sizeof err), MAML_OK, "%s", err);
  maml_policy p;
  int hidden[2] = {16, 16};
  cr_assert_eq(maml_policy_init(&p, 2, 2, 2, hidden, MAML_ACT_RELU, 1.0, err, sizeof err), MAML_OK);
  maml_real *theta = calloc(p.n_params, sizeof *theta);
  maml_rng r;
  maml_rng_init(&r, 1, 0, MAML_PHASE_INIT, 0, 0);
  maml_policy_init_params(&p, theta, &r);
  double goals[GOALS * MAML_TASK_MAX];
  maml_eval_goals(w.family, 9, 0, GOALS, goals);
  maml_pool *pool;
  cr_assert_eq(maml_pool_create(&pool, threads, err, sizeof err), MAML_OK);
  heard h = {0};
  maml_eval_params ep = {.episodes = 20,
                         .steps = steps,
                         .horizon = 100,
                         .alpha = alpha,
                         .gamma = 0.99,
                         .gae_lambda = 1.0,
                         .seed = 9,
                         .progress = hear,
                         .progress_ctx = &h};
  cr_assert_eq(
      maml_evaluate(&w, &p, theta, GOALS, goals, &ep, pool, returns, NULL, err, sizeof err),
      MAML_OK, "%s", err);
  cr_assert_eq(h.calls, steps + 1);
  for (int k = 0; k <= steps; k++) {
    double s = 0;
    for (int i = 0; i < GOALS; i++) s += returns[k * GOALS + i];
    cr_assert_float_eq(h.mean[k], s / GOALS, 1e-9, "step %d: heard %g", k, h.mean[k]);
  }
  maml_pool_destroy(pool);
  free(theta);
  maml_env_world_close(&w);
}

Test(eval, same_numbers_with_one_and_two_threads) {
  double a[3 * GOALS], b[3 * GOALS];
  evaluate(1, 2, 0.5, a);
  evaluate(2, 2, 0.5, b);
  cr_assert_eq(memcmp(a, b, sizeof a), 0);
}

static double mean(const double *x) {
  double s = 0;
  for (int i = 0; i < GOALS; i++) s += x[i];
  return s / GOALS;
}

/* a random policy with a large step learns to head for the goal: each step is a real
 * policy-gradient step on fresh episodes, not the same numbers again */
Test(eval, adaptation_steps_improve_a_random_policy) {
  double r[3 * GOALS];
  evaluate(2, 2, 1.0, r);
  cr_assert(mean(r + GOALS) != mean(r), "step 1 repeats step 0");
  cr_expect(mean(r + 2 * GOALS) > mean(r) + 5, "returns after 0 and 2 steps: %g, %g", mean(r),
            mean(r + 2 * GOALS));
}

Test(eval, held_out_goals_have_their_own_stream) {
  maml_env_world w;
  char err[256];
  cr_assert_eq(maml_env_world_open(&w, "cheetah-vel", 0, NULL, err, sizeof err), MAML_OK, "%s",
               err);
  double a[4 * MAML_TASK_MAX], b[4 * MAML_TASK_MAX];
  maml_eval_goals(w.family, 1, 0, 4, a);
  maml_eval_goals(w.family, 1, 0, 4, b);
  cr_assert_eq(memcmp(a, b, sizeof a), 0);
  maml_eval_goals(w.family, 1, 1, 4, b); /* the sweep's goals differ */
  for (int i = 0; i < 4; i++) cr_assert_neq(a[i * MAML_TASK_MAX], b[i * MAML_TASK_MAX]);
  for (int i = 0; i < 4; i++) {
    maml_rng r;
    maml_rng_init(&r, 1, 0, MAML_PHASE_TASKS, (uint32_t)i, 0); /* training's first meta-batch */
    double t[MAML_TASK_MAX] = {0};
    w.family->sample_task(&r, t);
    cr_assert_neq(t[0], a[i * MAML_TASK_MAX]);
    cr_assert(a[i * MAML_TASK_MAX] >= 0 && a[i * MAML_TASK_MAX] <= 2);
  }
  maml_env_world_close(&w);
}

Test(eval, bad_parameters_are_refused) {
  char err[512];
  maml_env_world w;
  cr_assert_eq(maml_env_world_open(&w, "nav2d", 0, NULL, err, sizeof err), MAML_OK);
  maml_policy p;
  cr_assert_eq(maml_policy_init(&p, 2, 2, 0, NULL, MAML_ACT_RELU, 1.0, err, sizeof err), MAML_OK);
  maml_real theta[6] = {0};
  double goals[MAML_TASK_MAX] = {0.1, 0.1}, ret[2];
  maml_pool *pool;
  cr_assert_eq(maml_pool_create(&pool, 1, err, sizeof err), MAML_OK);
  maml_eval_params ep = {.episodes = 2,
                         .steps = 1,
                         .horizon = 101,
                         .alpha = 0.1,
                         .gamma = 0.99,
                         .gae_lambda = 1.0,
                         .seed = 1};
  cr_assert_eq(maml_evaluate(&w, &p, theta, 1, goals, &ep, pool, ret, NULL, err, sizeof err),
               MAML_ERR_ARG);
  cr_assert(strstr(err, "horizon"), "%s", err);
  maml_pool_destroy(pool);
  maml_env_world_close(&w);
}

static void count_progress(void *ctx, int step, double mean_return) {
  int *calls = ctx;
  cr_assert_eq(step, *calls, "progress out of order");
  cr_assert(mean_return < 0);
  (*calls)++;
}

/* the viewer's one-goal adaptation is maml_evaluate's on a list holding that goal, step
 * by step, and asking for one step more repeats the earlier ones exactly */
Test(eval, one_goal_adaptation_matches_the_evaluation) {
  char err[512];
  maml_env_world w;
  cr_assert_eq(maml_env_world_open(&w, "nav2d", 0, NULL, err, sizeof err), MAML_OK, "%s", err);
  maml_policy p;
  int hidden[1] = {8};
  cr_assert_eq(maml_policy_init(&p, 2, 2, 1, hidden, MAML_ACT_RELU, 1.0, err, sizeof err), MAML_OK);
  size_t n = p.n_params;
  maml_real *theta = calloc(n, sizeof *theta), *thetas = calloc(4 * n, sizeof *thetas),
            *more = calloc(5 * n, sizeof *more);
  maml_rng r;
  maml_rng_init(&r, 3, 0, MAML_PHASE_INIT, 0, 0);
  maml_policy_init_params(&p, theta, &r);
  double goal[MAML_TASK_MAX];
  maml_eval_goals_at(w.family, 5, 2, goal);
  double all[3 * MAML_TASK_MAX];
  maml_eval_goals(w.family, 5, 0, 3, all);
  cr_assert_eq(memcmp(goal, all + 2 * MAML_TASK_MAX, sizeof goal), 0);
  maml_pool *pool;
  cr_assert_eq(maml_pool_create(&pool, 2, err, sizeof err), MAML_OK);
  maml_eval_params ep = {.episodes = 8,
                         .steps = 3,
                         .horizon = 100,
                         .alpha = 0.5,
                         .gamma = 0.99,
                         .gae_lambda = 1.0,
                         .seed = 5};
  double ref[4], ret[4], ret_more[5];
  cr_assert_eq(maml_evaluate(&w, &p, theta, 1, goal, &ep, pool, ref, NULL, err, sizeof err),
               MAML_OK);
  int calls = 0;
  maml_eval_params counted = ep;
  counted.progress = count_progress, counted.progress_ctx = &calls;
  cr_assert_eq(maml_eval_adapt(&w, &p, theta, goal, &counted, pool, thetas, ret, err, sizeof err),
               MAML_OK, "%s", err);
  cr_assert_eq(calls, 4);
  cr_assert_eq(memcmp(ref, ret, sizeof ref), 0, "returns differ from maml_evaluate's");
  cr_assert_eq(memcmp(thetas, theta, n * sizeof *theta), 0, "step 0 is not theta");
  for (int k = 1; k <= 3; k++)
    cr_assert_neq(memcmp(thetas + (size_t)k * n, thetas + (size_t)(k - 1) * n, n * sizeof *theta),
                  0, "step %d changed nothing", k);
  ep.steps = 4;
  cr_assert_eq(maml_eval_adapt(&w, &p, theta, goal, &ep, pool, more, ret_more, err, sizeof err),
               MAML_OK);
  cr_assert_eq(memcmp(more, thetas, 4 * n * sizeof *theta), 0);
  cr_assert_eq(memcmp(ret_more, ret, sizeof ret), 0);
  maml_pool_destroy(pool);
  free(theta), free(thetas), free(more);
  maml_env_world_close(&w);
}

/* a small nav2d policy with hidden layers, initialised from seed 1 */
static maml_real *small_policy(maml_policy *p) {
  char err[256];
  int hidden[2] = {16, 16};
  cr_assert_eq(maml_policy_init(p, 2, 2, 2, hidden, MAML_ACT_RELU, 1.0, err, sizeof err), MAML_OK);
  maml_real *theta = calloc(p->n_params, sizeof *theta);
  maml_rng r;
  maml_rng_init(&r, 1, 0, MAML_PHASE_INIT, 0, 0);
  maml_policy_init_params(p, theta, &r);
  return theta;
}

static void count_nan(void *ctx, int step, double mean_return) {
  (void)step;
  *(int *)ctx += mean_return != mean_return;
}

/* Starting parameters holding a NaN: every goal diverges at step 0 and has no return (the
 * NaN actions end each episode after one step with a return near 0, which used to pass for
 * an excellent policy). */
Test(eval, non_finite_parameters_diverge_at_step_0) {
  char err[512];
  maml_env_world w;
  cr_assert_eq(maml_env_world_open(&w, "nav2d", 0, NULL, err, sizeof err), MAML_OK, "%s", err);
  maml_policy p;
  maml_real *theta = small_policy(&p);
  theta[3] = (maml_real)NAN;
  double goals[3 * MAML_TASK_MAX], ret[3 * 3];
  maml_eval_goals(w.family, 2, 0, 3, goals);
  maml_pool *pool;
  cr_assert_eq(maml_pool_create(&pool, 2, err, sizeof err), MAML_OK);
  int nan_means = 0, diverged[3] = {7, 7, 7};
  maml_eval_params ep = {.episodes = 4,
                         .steps = 2,
                         .horizon = 100,
                         .alpha = 0.1,
                         .gamma = 0.99,
                         .gae_lambda = 1.0,
                         .seed = 2,
                         .progress = count_nan,
                         .progress_ctx = &nan_means};
  cr_assert_eq(maml_evaluate(&w, &p, theta, 3, goals, &ep, pool, ret, diverged, err, sizeof err),
               MAML_OK, "%s", err);
  for (int i = 0; i < 3; i++) cr_assert_eq(diverged[i], 0, "goal %d: %d", i, diverged[i]);
  for (int k = 0; k < 9; k++) cr_assert(ret[k] != ret[k], "return %d is %g, not NaN", k, ret[k]);
  cr_assert_eq(nan_means, 3, "the progress heard %d NaN means of 3", nan_means);
  maml_pool_destroy(pool);
  free(theta);
  maml_env_world_close(&w);
}

/* A step size that blows the parameters up: the goals diverge at step 1, step 0 keeps its
 * numbers, and the later steps have none (NaN), in maml_evaluate and maml_eval_adapt. */
Test(eval, a_step_that_blows_up_diverges_there) {
  char err[512];
  maml_env_world w;
  cr_assert_eq(maml_env_world_open(&w, "nav2d", 0, NULL, err, sizeof err), MAML_OK, "%s", err);
  maml_policy p;
  maml_real *theta = small_policy(&p);
  enum { N = 3 };
  double goals[N * MAML_TASK_MAX], ret[3 * N], good[3 * N], one[3];
  maml_eval_goals(w.family, 2, 0, N, goals);
  maml_pool *pool;
  cr_assert_eq(maml_pool_create(&pool, 1, err, sizeof err), MAML_OK);
  int diverged[N];
  maml_eval_params ep = {.episodes = 4,
                         .steps = 2,
                         .horizon = 100,
                         .alpha = 1e-3,
                         .gamma = 0.99,
                         .gae_lambda = 1.0,
                         .seed = 2};
  cr_assert_eq(maml_evaluate(&w, &p, theta, N, goals, &ep, pool, good, diverged, err, sizeof err),
               MAML_OK, "%s", err);
  for (int i = 0; i < N; i++) cr_assert_eq(diverged[i], -1, "a small step diverged on goal %d", i);
  ep.alpha = 1e300; /* the parameters overflow in float and in double */
  cr_assert_eq(maml_evaluate(&w, &p, theta, N, goals, &ep, pool, ret, diverged, err, sizeof err),
               MAML_OK, "%s", err);
  for (int i = 0; i < N; i++) {
    cr_assert_eq(diverged[i], 1, "goal %d diverged at %d, not 1", i, diverged[i]);
    cr_assert_eq(ret[i], good[i], "step 0 changed");
    cr_assert(ret[N + i] != ret[N + i] && ret[2 * N + i] != ret[2 * N + i], "goal %d: %g %g", i,
              ret[N + i], ret[2 * N + i]);
  }
  maml_real *thetas = calloc(3 * p.n_params, sizeof *thetas);
  cr_assert_eq(maml_eval_adapt(&w, &p, theta, goals, &ep, pool, thetas, one, err, sizeof err),
               MAML_OK, "%s", err);
  cr_assert(one[0] == one[0] && one[1] != one[1] && one[2] != one[2], "%g %g %g", one[0], one[1],
            one[2]);
  free(thetas);
  maml_pool_destroy(pool);
  free(theta);
  maml_env_world_close(&w);
}
