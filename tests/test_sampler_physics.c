/* maml_sampler_physics: the mj_step-equivalent steps the sampler's instances took and the
 * seconds they took, by MuJoCo's clock (mjcb_time), for bench_sampler's mj_step share. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "maml/sampler.h"

enum { TASKS = 3, EPISODES = 2, HORIZON = 20, THREADS = 2 };

static mjtNum test_clock(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

typedef struct {
  maml_env_world world;
  maml_policy policy;
  maml_real *theta;
  const maml_real *thetas[TASKS];
  double tasks[TASKS * MAML_TASK_MAX];
  maml_task_batch batches[TASKS];
  maml_pool *pool;
  maml_sampler *sampler;
} setup;

static void setup_make(setup *s, const char *family) {
  char err[1024];
  memset(s, 0, sizeof *s);
  cr_assert_eq(maml_env_world_open(&s->world, family, 0, NULL, err, sizeof err), MAML_OK, "%s",
               err);
  int hidden[1] = {8};
  cr_assert_eq(maml_policy_init(&s->policy, s->world.obs_dim, s->world.family->act_dim, 1, hidden,
                                MAML_ACT_RELU, 1.0, err, sizeof err),
               MAML_OK, "%s", err);
  s->theta = calloc(s->policy.n_params, sizeof *s->theta);
  maml_rng r;
  maml_rng_init(&r, 1, 0, MAML_PHASE_INIT, 0, 0);
  maml_policy_init_params(&s->policy, s->theta, &r);
  for (int i = 0; i < TASKS; i++) {
    s->thetas[i] = s->theta;
    s->world.family->sample_task(&r, s->tasks + i * MAML_TASK_MAX);
    cr_assert_eq(maml_task_batch_alloc(&s->batches[i], EPISODES, HORIZON, s->world.obs_dim,
                                       s->world.family->act_dim),
                 MAML_OK);
  }
  cr_assert_eq(maml_pool_create(&s->pool, THREADS, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(
      maml_sampler_create(&s->sampler, &s->world, &s->policy, s->pool, EPISODES, err, sizeof err),
      MAML_OK, "%s", err);
}

static void setup_free(setup *s) {
  maml_sampler_destroy(s->sampler);
  maml_pool_destroy(s->pool);
  for (int i = 0; i < TASKS; i++) maml_task_batch_free(&s->batches[i]);
  free(s->theta);
  maml_env_world_close(&s->world);
}

/* sample the batch (with MuJoCo's clock set or not); its environment steps */
static long run(setup *s, int clocked) {
  char err[1024];
  mjcb_time = clocked ? test_clock : NULL;
  maml_status st = maml_sampler_run(s->sampler, TASKS, s->tasks, s->thetas, 7, 0,
                                    MAML_PHASE_SUPPORT, s->batches, err, sizeof err);
  mjcb_time = NULL;
  cr_assert_eq(st, MAML_OK, "%s", err);
  long steps = 0;
  for (int i = 0; i < TASKS; i++)
    for (int e = 0; e < EPISODES; e++) steps += s->batches[i].length[e];
  return steps;
}

/* the rewards of the batch, copied */
static maml_real *rewards(const setup *s) {
  maml_real *r = malloc(sizeof *r * TASKS * EPISODES * HORIZON);
  for (int i = 0; i < TASKS; i++)
    memcpy(r + i * EPISODES * HORIZON, s->batches[i].reward, sizeof *r * EPISODES * HORIZON);
  return r;
}

/* frame skip k: k mj_steps a step, counted and timed only with the clock; zeroed by the
 * call; the clock changes nothing sampled */
static void check_family(const char *family, int frame_skip) {
  setup s;
  setup_make(&s, family);
  cr_assert_eq(s.world.family->robot->frame_skip > 1 ? s.world.family->robot->frame_skip : 1,
               frame_skip);
  double seconds = -1;
  long mj_steps = -1;

  long steps = run(&s, 0);
  cr_assert_gt(steps, 0);
  maml_sampler_physics(s.sampler, &seconds, &mj_steps);
  cr_assert_eq(mj_steps, 0, "%s: %ld mj_steps counted without the clock", family, mj_steps);
  cr_assert_eq(seconds, 0.0, "%s: %g s timed without the clock", family, seconds);
  maml_real *plain = rewards(&s);

  const double t0 = test_clock();
  steps = run(&s, 1);
  const double wall = test_clock() - t0;
  maml_sampler_physics(s.sampler, &seconds, &mj_steps);
  cr_assert_eq(mj_steps, steps * frame_skip, "%s: %ld mj_steps for %ld steps x frame skip %d",
               family, mj_steps, steps, frame_skip);
  cr_assert_gt(seconds, 0.0, "%s", family);
  cr_assert_leq(seconds, THREADS * wall, "%s: %g s of physics in %g s on %d threads", family,
                seconds, wall, THREADS);
  maml_real *clocked = rewards(&s);
  cr_assert_eq(memcmp(plain, clocked, sizeof *plain * TASKS * EPISODES * HORIZON), 0,
               "%s: the clock changed the batch", family);

  maml_sampler_physics(s.sampler, &seconds, &mj_steps); /* zeroed by the last call */
  cr_assert_eq(mj_steps, 0);
  cr_assert_eq(seconds, 0.0);
  free(plain), free(clocked);
  setup_free(&s);
}

Test(sampler_physics, counts_frame_skip_mj_steps) {
  check_family("cheetah-vel", 1);
  check_family("hopper-params", 4);
}

Test(sampler_physics, nav2d_has_none) {
  setup s;
  setup_make(&s, "nav2d");
  run(&s, 1);
  double seconds = -1;
  long mj_steps = -1;
  maml_sampler_physics(s.sampler, &seconds, &mj_steps);
  cr_assert_eq(mj_steps, 0);
  cr_assert_eq(seconds, 0.0);
  setup_free(&s);
}
