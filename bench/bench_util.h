/* Small helpers shared by the benchmark programs: timing, lists, and the raw MuJoCo and
 * sampler rates. */
#ifndef MAML_BENCH_UTIL_H
#define MAML_BENCH_UTIL_H

#include <mujoco/mujoco.h>
#include <stdlib.h>
#include <time.h>

#include "envs/env.h"
#include "maml/pool.h"
#include "maml/sampler.h"

/* monotonic seconds */
static inline double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Parse a comma-separated list of integers in [lo, hi] ("100,100") into out (at most max).
 * Returns how many were read, or -1 on malformed text or a value out of range. */
static inline int bench_parse_ints(const char *text, int *out, int max, long lo, long hi) {
  int n = 0;
  const char *p = text;
  while (*p) {
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p || v < lo || v > hi || n == max || (*end && *end != ',')) return -1;
    out[n++] = (int)v;
    p = *end == ',' ? end + 1 : end;
  }
  return n;
}

typedef struct {
  const maml_env_world *world;
  mjData **data;
  int steps;
} bench_raw_job;

static inline void bench_raw_steps(void *ctx, int item, int worker) {
  (void)worker;
  bench_raw_job *j = ctx;
  const mjModel *m = j->world->model;
  mjData *d = j->data[item];
  for (int i = 0; i < j->steps; i++) mj_step(m, d);
}

/* Aggregate mj_step rate (steps per second) of a MuJoCo world's model with `threads`
 * threads of pool, each stepping its own mjData with zero control: the sampler's limit. */
static inline double bench_raw_rate(const maml_env_world *w, maml_pool *pool, int threads,
                                    int steps) {
  mjData *data[256];
  for (int i = 0; i < threads; i++) {
    data[i] = mj_makeData(w->model);
    if (w->init_key >= 0) mj_resetDataKeyframe(w->model, data[i], w->init_key);
    mj_forward(w->model, data[i]);
  }
  bench_raw_job j = {w, data, steps / 10};
  maml_pool_run(pool, threads, bench_raw_steps, &j); /* warm up */
  j.steps = steps;
  double t0 = bench_now();
  maml_pool_run(pool, threads, bench_raw_steps, &j);
  double t = bench_now() - t0;
  for (int i = 0; i < threads; i++) mj_deleteData(data[i]);
  return (double)steps * threads / t;
}

/* Sampler steps per second: one warm-up run (pages touched), then one timed run of the
 * batches' tasks; every step of every episode counted. */
static inline double bench_sampler_rate(maml_sampler *sampler, int tasks, const double *goals,
                                        const maml_real *const *thetas, maml_task_batch *batches) {
  char err[1024];
  if (maml_sampler_run(sampler, tasks, goals, thetas, 1, 0, MAML_PHASE_TEST, batches, err,
                       sizeof err) != MAML_OK)
    return 0;
  double t0 = bench_now();
  maml_sampler_run(sampler, tasks, goals, thetas, 1, 1, MAML_PHASE_TEST, batches, err, sizeof err);
  double t = bench_now() - t0;
  long steps = 0;
  for (int i = 0; i < tasks; i++)
    for (int e = 0; e < batches[i].episodes; e++) steps += batches[i].length[e];
  return steps / t;
}

#endif
