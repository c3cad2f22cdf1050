#include "maml/sampler.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- batch storage -------------------------------------------------------------------- */

maml_status maml_task_batch_alloc(maml_task_batch *b, int episodes, int horizon, int obs_dim,
                                  int act_dim) {
  memset(b, 0, sizeof *b);
  if (episodes <= 0 || horizon <= 0 || obs_dim <= 0 || act_dim <= 0) return MAML_ERR_ARG;
  size_t rows = (size_t)episodes * (size_t)horizon;
  if (rows > ((size_t)1 << 40) / ((size_t)obs_dim + act_dim + 4)) return MAML_ERR_NOMEM;
  size_t reals = rows * ((size_t)obs_dim + act_dim + 4);
  char *block = calloc(1, reals * sizeof(maml_real) + (size_t)episodes * sizeof(int));
  if (!block) return MAML_ERR_NOMEM;
  maml_real *r = (maml_real *)block;
  b->block = block;
  b->episodes = episodes, b->horizon = horizon, b->obs_dim = obs_dim, b->act_dim = act_dim;
  b->obs = r, r += rows * obs_dim;
  b->act = r, r += rows * act_dim;
  b->reward = r, r += rows;
  b->mask = r, r += rows;
  b->forward_vel = r, r += rows;
  b->goal_dist = r, r += rows;
  b->length = (int *)r;
  return MAML_OK;
}

void maml_task_batch_free(maml_task_batch *b) {
  if (!b) return;
  free(b->block);
  memset(b, 0, sizeof *b);
}

maml_batch maml_task_batch_pack(maml_task_batch *b, maml_real *adv) {
  size_t rows = (size_t)b->episodes * b->horizon, n = 0;
  size_t D = (size_t)b->obs_dim, A = (size_t)b->act_dim;
  for (size_t r = 0; r < rows; r++) {
    if (b->mask[r] == 0) continue;
    if (n != r) {
      memcpy(b->obs + n * D, b->obs + r * D, D * sizeof(maml_real));
      memcpy(b->act + n * A, b->act + r * A, A * sizeof(maml_real));
      if (adv) adv[n] = adv[r];
    }
    n++;
  }
  return (maml_batch){.n = (int)n, .obs = b->obs, .act = b->act, .adv = adv};
}

/* ---- per-worker state ----------------------------------------------------------------- */

typedef struct {
  maml_env *envs; /* (episodes) */
  maml_rng *rngs; /* (episodes) */
  int *alive;     /* (episodes) */
  maml_real *obs; /* (episodes, obs_dim) the current observations */
  maml_real *std; /* (act_dim) */
  maml_policy_cache cache;
} worker;

struct maml_sampler {
  const maml_env_world *world;
  const maml_policy *policy;
  maml_pool *pool;
  int episodes;
  worker *workers;
  /* the current job */
  const double *tasks;
  const maml_real *const *thetas;
  maml_task_batch *batches;
  int first;                 /* the first task's index in the arrays */
  maml_fault fault, pending; /* this run's injected fault, the next run's */
  int fault_task, pending_task;
  uint64_t seed;
  uint32_t iteration;
  maml_phase phase;
};

static void worker_free(worker *w, int episodes) {
  if (w->envs)
    for (int e = 0; e < episodes; e++) maml_env_free(&w->envs[e]);
  free(w->envs), free(w->rngs), free(w->alive), free(w->obs), free(w->std);
  maml_policy_cache_free(&w->cache);
}

void maml_sampler_destroy(maml_sampler *s) {
  if (!s) return;
  if (s->workers)
    for (int i = 0; i < maml_pool_threads(s->pool); i++) worker_free(&s->workers[i], s->episodes);
  free(s->workers);
  free(s);
}

maml_status maml_sampler_create(maml_sampler **out, const maml_env_world *world,
                                const maml_policy *policy, maml_pool *pool, int episodes, char *err,
                                size_t err_sz) {
  *out = NULL;
  if (episodes <= 0 || episodes > (int)MAML_RNG_MAX_EPISODE + 1)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "episodes per task must be in [1, %u] (got %d)",
                     MAML_RNG_MAX_EPISODE + 1, episodes);
  if (policy->obs_dim != world->obs_dim || policy->act_dim != world->family->act_dim)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "policy sizes (%d -> %d) do not match environment %s%s (%d -> %d)",
                     policy->obs_dim, policy->act_dim, world->family->name,
                     world->oracle ? " (oracle)" : "", world->obs_dim, world->family->act_dim);
  maml_sampler *s = calloc(1, sizeof *s);
  int threads = maml_pool_threads(pool);
  if (!s || !(s->workers = calloc((size_t)threads, sizeof *s->workers))) {
    free(s);
    return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory for the sampler");
  }
  s->world = world, s->policy = policy, s->pool = pool, s->episodes = episodes;
  for (int i = 0; i < threads; i++) {
    worker *w = &s->workers[i];
    w->envs = calloc((size_t)episodes, sizeof *w->envs);
    w->rngs = calloc((size_t)episodes, sizeof *w->rngs);
    w->alive = calloc((size_t)episodes, sizeof *w->alive);
    w->obs = calloc((size_t)episodes * world->obs_dim, sizeof *w->obs);
    w->std = calloc((size_t)policy->act_dim, sizeof *w->std);
    if (!w->envs || !w->rngs || !w->alive || !w->obs || !w->std ||
        maml_policy_cache_alloc(&w->cache, policy, episodes) != MAML_OK) {
      maml_sampler_destroy(s);
      return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory for the sampler");
    }
    for (int e = 0; e < episodes; e++) {
      maml_status st = maml_env_init(&w->envs[e], world, err, err_sz);
      if (st != MAML_OK) {
        maml_sampler_destroy(s);
        return st;
      }
    }
  }
  *out = s;
  return MAML_OK;
}

/* ---- one task's rollouts -------------------------------------------------------------- */

static void sample_task(void *ctx, int job, int worker_id) {
  maml_sampler *s = ctx;
  int task = s->first + job;
  worker *w = &s->workers[worker_id];
  maml_task_batch *b = &s->batches[task];
  const maml_policy *p = s->policy;
  const maml_real *theta = s->thetas[task];
  const double *goal = s->tasks + (size_t)task * MAML_TASK_MAX;
  int E = b->episodes, H = b->horizon, D = b->obs_dim, A = b->act_dim;

  /* the task's own numbers; the rest of the slot zero, whatever the caller left there */
  int task_dim = s->world->family->task_dim;
  memcpy(b->task, goal, (size_t)task_dim * sizeof *goal);
  memset(b->task + task_dim, 0, sizeof b->task - (size_t)task_dim * sizeof *goal);
  memset(b->block, 0, (char *)(b->length + E) - (char *)b->block);
  b->unstable = 0;
  for (int d = 0; d < A; d++) w->std[d] = (maml_real)exp(theta[p->log_std_off + d]);
  for (int e = 0; e < E; e++) {
    maml_rng_init(&w->rngs[e], s->seed, s->iteration, s->phase, (uint32_t)task, (uint32_t)e);
    maml_env_reset(&w->envs[e], goal, &w->rngs[e], w->obs + (size_t)e * D);
    w->alive[e] = 1;
  }

  int alive = E;
  for (int t = 0; t < H && alive > 0; t++) {
    maml_policy_forward(p, theta, w->obs, E, &w->cache);
    for (int e = 0; e < E; e++) {
      if (!w->alive[e]) continue;
      size_t row = (size_t)e * H + t;
      maml_real *act = b->act + row * A;
      const maml_real *mu = w->cache.mu + (size_t)e * A;
      for (int d = 0; d < A; d++)
        act[d] = mu[d] + w->std[d] * (maml_real)maml_rng_normal(&w->rngs[e]);
      memcpy(b->obs + row * D, w->obs + (size_t)e * D, (size_t)D * sizeof(maml_real));

      int faulty = s->fault && task == s->fault_task && e == 0 && t == 1;
      if (faulty && s->fault == MAML_FAULT_UNSTABLE && w->envs[e].data)
        for (int j = 0; j < s->world->model->nv; j++) w->envs[e].data->qvel[j] = NAN;

      double reward;
      int done;
      maml_env_step(&w->envs[e], act, w->obs + (size_t)e * D, &reward, &done);
      if (faulty && s->fault == MAML_FAULT_NAN_REWARD) reward = NAN;
      if (faulty && s->fault == MAML_FAULT_NAN_OBS) b->obs[row * D] = (maml_real)NAN;
      b->reward[row] = (maml_real)reward;
      b->mask[row] = 1;
      b->forward_vel[row] = (maml_real)w->envs[e].info.forward_vel;
      b->goal_dist[row] = (maml_real)w->envs[e].info.goal_dist;
      b->length[e] = t + 1;
      if (done) {
        w->alive[e] = 0;
        alive--;
        if (w->envs[e].info.unstable) b->unstable++;
      }
    }
  }
}

maml_status maml_sampler_run_range(maml_sampler *s, int first, int n_tasks, const double *tasks,
                                   const maml_real *const *thetas, uint64_t seed,
                                   uint32_t iteration, maml_phase phase, maml_task_batch *batches,
                                   char *err, size_t err_sz) {
  if (first < 0 || n_tasks < 0)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "bad task range [%d, %d)", first, first + n_tasks);
  for (int i = first; i < first + n_tasks; i++) {
    const maml_task_batch *b = &batches[i];
    if (b->episodes > s->episodes || b->horizon > s->world->family->horizon ||
        b->obs_dim != s->world->obs_dim || b->act_dim != s->world->family->act_dim)
      return maml_fail(err, err_sz, MAML_ERR_ARG,
                       "batch %d (%d episodes x %d steps, %d -> %d) does not fit the sampler "
                       "(%d episodes, horizon %d, %d -> %d)",
                       i, b->episodes, b->horizon, b->obs_dim, b->act_dim, s->episodes,
                       s->world->family->horizon, s->world->obs_dim, s->world->family->act_dim);
  }
  s->tasks = tasks, s->thetas = thetas, s->batches = batches, s->first = first;
  s->fault = s->pending, s->fault_task = s->pending_task, s->pending = MAML_FAULT_NONE;
  s->seed = seed, s->iteration = iteration, s->phase = phase;
  maml_pool_run(s->pool, n_tasks, sample_task, s);
  return MAML_OK;
}

void maml_sampler_physics(maml_sampler *s, double *seconds, long *steps) {
  *seconds = 0, *steps = 0;
  for (int i = 0; i < maml_pool_threads(s->pool); i++)
    for (int e = 0; e < s->episodes; e++) {
      maml_env *env = &s->workers[i].envs[e];
      *seconds += env->physics_time, *steps += env->physics_steps;
      env->physics_time = 0, env->physics_steps = 0;
    }
}

void maml_sampler_inject(maml_sampler *s, maml_fault fault, int task) {
  s->pending = fault, s->pending_task = task;
}

maml_status maml_sampler_run(maml_sampler *s, int n_tasks, const double *tasks,
                             const maml_real *const *thetas, uint64_t seed, uint32_t iteration,
                             maml_phase phase, maml_task_batch *batches, char *err, size_t err_sz) {
  return maml_sampler_run_range(s, 0, n_tasks, tasks, thetas, seed, iteration, phase, batches, err,
                                err_sz);
}
