/* Small helpers shared by the benchmark programs: timing, lists, and the raw MuJoCo,
 * environment and sampler rates. */
#ifndef MAML_BENCH_UTIL_H
#define MAML_BENCH_UTIL_H

#include <mujoco/mujoco.h>
#include <stdlib.h>
#include <time.h>

#include "maml/env.h"
#include "maml/pool.h"
#include "maml/sampler.h"
#include "src/cmd/args.h"

/* monotonic seconds */
static inline double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* this process's CPU seconds, all its threads together */
static inline double bench_cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
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

/* One integer option in [lo, hi] through the command's parser (src/cmd/args.c): 0 on
 * success, else its message naming the option, the range and the text, and 2 (the exit
 * status of a usage error). */
static inline int bench_int_option(const char *prog, const char *opt, const char *text, long lo,
                                   long hi, int *out) {
  long v;
  if (!cmd_parse_long(prog, opt, text, lo, hi, &v)) return 2;
  *out = (int)v;
  return 0;
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
  const maml_env_robot *r = j->world->family->robot;
  if (!(r->z_max > r->z_min)) {
    for (int i = 0; i < j->steps; i++) mj_step(m, d);
    return;
  }
  /* a robot that falls (the humanoid, in a few hundred steps of zero control) starts again
   * where its episodes would end, as the sampler's do: raw then steps the same kind of
   * states (a fallen humanoid's many contacts cost twice a standing one's) */
  for (int i = 0; i < j->steps; i++) {
    mj_step(m, d);
    const double z = d->qpos[r->height_index];
    if (!(z >= r->z_min && z <= r->z_max)) {
      if (j->world->init_key >= 0)
        mj_resetDataKeyframe(m, d, j->world->init_key);
      else
        mj_resetData(m, d);
      mj_forward(m, d);
    }
  }
}

/* Aggregate mj_step rate of a MuJoCo world's model with `threads` threads of pool, each
 * stepping its own mjData with zero control (and reset where the robot's termination rule
 * would end an episode), in environment steps per second (mj_steps per second over the
 * robot's frame skip: an action of the hopper is 4 mj_steps): the limit of a sampler whose
 * robots step the nominal model's standing or fallen states (not that of one whose policy
 * makes them fall, or whose tasks change the physics: bench_sampler's mj_step share). */
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
  const int skip = w->family->robot->frame_skip > 1 ? w->family->robot->frame_skip : 1;
  return (double)steps * threads / t / skip;
}

typedef struct {
  const maml_env_world *world;
  maml_env *envs;
  maml_real *obs; /* obs_dim per item */
  int steps;
} bench_env_job;

static inline void bench_env_steps(void *ctx, int item, int worker) {
  (void)worker;
  bench_env_job *j = ctx;
  const maml_env_family *f = j->world->family;
  maml_env *e = &j->envs[item];
  maml_real *obs = j->obs + (size_t)item * j->world->obs_dim, act[64] = {0};
  double task[MAML_TASK_MAX], reward;
  maml_rng rng;
  maml_rng_init(&rng, 1, 0, MAML_PHASE_TEST, (uint32_t)item, 0);
  f->sample_task(&rng, task);
  maml_env_reset(e, task, &rng, obs);
  for (int i = 0, t = 0, done; i < j->steps; i++) {
    maml_env_step(e, act, obs, &reward, &done);
    if (done || ++t == f->horizon) maml_env_reset(e, task, &rng, obs), t = 0;
  }
}

/* Environment steps per second with `threads` threads of pool, each stepping its own
 * instance with zero action (as bench_raw_rate) and resetting at the end of an episode:
 * mj_step plus what the task needs on top (observation, reward, the ant's contact forces
 * of the new state). The sampler's limit once the task is fixed; 0 if out of memory. */
static inline double bench_env_rate(const maml_env_world *w, maml_pool *pool, int threads,
                                    int steps) {
  maml_env *envs = calloc((size_t)threads, sizeof *envs);
  maml_real *obs = calloc((size_t)threads * w->obs_dim, sizeof *obs);
  double rate = 0;
  int made = 0;
  char err[1024];
  if (!envs || !obs || w->family->act_dim > 64) goto done;
  for (; made < threads; made++)
    if (maml_env_init(&envs[made], w, err, sizeof err) != MAML_OK) goto done;
  bench_env_job j = {w, envs, obs, steps / 10};
  maml_pool_run(pool, threads, bench_env_steps, &j); /* warm up */
  j.steps = steps;
  double t0 = bench_now();
  maml_pool_run(pool, threads, bench_env_steps, &j);
  rate = (double)steps * threads / (bench_now() - t0);
done:
  for (int i = 0; i < made; i++) maml_env_free(&envs[i]);
  free(envs), free(obs);
  return rate;
}

/* Sampler steps per second of one timed run of the batch (iteration 1 of the test stream);
 * *cpu (when given) the process's CPU seconds per step in it. 0 on error. */
static inline double bench_sampler_pass(maml_sampler *sampler, int tasks, const double *goals,
                                        const maml_real *const *thetas, maml_task_batch *batches,
                                        double *cpu) {
  char err[1024];
  double c0 = bench_cpu_now(), t0 = bench_now();
  if (maml_sampler_run(sampler, tasks, goals, thetas, 1, 1, MAML_PHASE_TEST, batches, err,
                       sizeof err) != MAML_OK)
    return 0;
  double t = bench_now() - t0, c = bench_cpu_now() - c0;
  long steps = 0;
  for (int i = 0; i < tasks; i++)
    for (int e = 0; e < batches[i].episodes; e++) steps += batches[i].length[e];
  if (cpu) *cpu = c / steps;
  return steps / t;
}

/* Sampler steps per second: one warm-up run (pages touched), then one timed run of the
 * batch (bench_sampler_pass); 0 on error. */
static inline double bench_sampler_rate(maml_sampler *sampler, int tasks, const double *goals,
                                        const maml_real *const *thetas, maml_task_batch *batches) {
  char err[1024];
  if (maml_sampler_run(sampler, tasks, goals, thetas, 1, 0, MAML_PHASE_TEST, batches, err,
                       sizeof err) != MAML_OK)
    return 0;
  return bench_sampler_pass(sampler, tasks, goals, thetas, batches, NULL);
}

#endif
