#include "maml/eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "maml/baseline.h"
#include "maml/comm.h"
#include "maml/episodes.h"
#include "maml/sampler.h"

static void draw_goal(const maml_env_family *f, uint64_t seed, int sweep, int i, double *goal) {
  maml_rng rng;
  maml_rng_init(&rng, seed, 0, sweep ? MAML_PHASE_SWEEP_TASKS : MAML_PHASE_EVAL_TASKS, (uint32_t)i,
                0);
  memset(goal, 0, MAML_TASK_MAX * sizeof(double));
  f->sample_task(&rng, goal);
}

void maml_eval_goals(const maml_env_family *f, uint64_t seed, int sweep, int n, double *goals) {
  for (int i = 0; i < n; i++) draw_goal(f, seed, sweep, i, goals + (size_t)i * MAML_TASK_MAX);
}

void maml_eval_goals_at(const maml_env_family *f, uint64_t seed, int i, double *goal) {
  draw_goal(f, seed, 0, i, goal);
}

typedef struct {
  maml_baseline baseline;
  maml_policy_cache cache;
  maml_real *returns, *values, *adv, *grad;
} worker;

typedef struct {
  const maml_policy *p;
  const maml_eval_params *ep;
  maml_task_batch *batches;
  maml_real *thetas; /* (goals, n_params) each goal's adapted parameters */
  int *diverged;     /* (goals) the step goal i diverged at, or -1 */
  worker *workers;
  double step_size;
  double scale; /* of ep->step_sizes at this step (1, then 1/2) */
  int lo;       /* this rank's first goal */
} job;

/* 1 when a step that happened holds a non-finite observation, action or reward */
static int batch_finite(const maml_task_batch *b) {
  size_t rows = (size_t)b->episodes * b->horizon;
  for (size_t r = 0; r < rows; r++)
    if (b->mask[r] != 0 && (!isfinite(b->reward[r]) ||
                            !maml_reals_finite(b->obs + r * b->obs_dim, (size_t)b->obs_dim) ||
                            !maml_reals_finite(b->act + r * b->act_dim, (size_t)b->act_dim)))
      return 0;
  return 1;
}

/* one policy-gradient step on goal i's batch (none once the goal diverged) */
static void adapt_goal(void *ctx, int job_index, int wid) {
  job *j = ctx;
  int i = j->lo + job_index;
  if (j->diverged[i] >= 0) return;
  worker *w = &j->workers[wid];
  maml_task_batch *b = &j->batches[i];
  const maml_policy *p = j->p;
  int E = b->episodes, H = b->horizon;
  maml_real *theta = j->thetas + (size_t)i * p->n_params;
  maml_baseline_advantages(&w->baseline, b->obs, b->reward, b->mask, E, H, j->ep->gamma,
                           j->ep->gae_lambda, w->returns, w->values, w->adv);
  /* (the batch's finiteness and return were read by step_return before this step) */
  maml_batch batch = maml_task_batch_pack(b, w->adv);
  maml_policy_forward(p, theta, b->obs, batch.n, &w->cache);
  /* the batch was sampled with theta: the LVC inner loss has this same gradient here, bit
   * for bit (inner.h), so runs trained with either inner loss adapt alike */
  maml_inner_loss_grad(p, theta, &batch, &w->cache, w->grad);
  const maml_real *a = j->ep->step_sizes;
  if (a)
    for (size_t k = 0; k < p->n_params; k++)
      theta[k] = (maml_real)(theta[k] - j->scale * a[k] * w->grad[k]);
  else
    for (size_t k = 0; k < p->n_params; k++)
      theta[k] = (maml_real)(theta[k] - j->step_size * w->grad[k]);
}

/* Goal i's step k (its parameters after k steps, then the batch sampled with them): marks
 * the goal diverged at k when either holds a non-finite number; its return, NaN then. */
static double step_return(job *j, int i, int k) {
  const maml_task_batch *b = &j->batches[i];
  if (j->diverged[i] < 0 &&
      (!maml_reals_finite(j->thetas + (size_t)i * j->p->n_params, j->p->n_params) ||
       !batch_finite(b)))
    j->diverged[i] = k;
  if (j->diverged[i] >= 0) return NAN;
  return maml_mean_episode_return(b->reward, b->mask, b->episodes, b->horizon);
}

/* maml_evaluate's protocol; thetas (steps + 1, n_goals, n_params) may be NULL, else it
 * receives the parameters each step's batch was sampled with; diverged (n_goals) may be
 * NULL */
static maml_status evaluate(const maml_env_world *world, const maml_policy *p,
                            const maml_real *theta, int n_goals, const double *goals,
                            const maml_eval_params *ep, maml_pool *pool, double *returns,
                            int *diverged, maml_real *thetas, char *err, size_t err_sz) {
  if (n_goals < 1 || ep->episodes < 1 || ep->steps < 0 || ep->horizon < 1 ||
      ep->horizon > world->family->horizon || !(ep->alpha > 0))
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "evaluation needs goals >= 1, episodes >= 1, steps >= 0, horizon in "
                     "[1, %d] and alpha > 0 (got %d, %d, %d, %d, %g)",
                     world->family->horizon, n_goals, ep->episodes, ep->steps, ep->horizon,
                     ep->alpha);
  int threads = maml_pool_threads(pool), lo, hi, S = ep->steps + 1;
  maml_comm_split(ep->comm, n_goals, &lo, &hi);
  size_t n = p->n_params, rows = (size_t)ep->episodes * ep->horizon;
  job j = {.p = p, .ep = ep, .lo = lo};
  /* (goals, steps + 2): each step's return, then the step the goal diverged at (or -1) */
  double *per_goal = calloc((size_t)n_goals * (S + 1), sizeof *per_goal);
  maml_sampler *sampler = NULL;
  const maml_real **ptrs = calloc((size_t)n_goals, sizeof *ptrs);
  j.batches = calloc((size_t)n_goals, sizeof *j.batches);
  j.thetas = malloc((size_t)n_goals * n * sizeof(maml_real));
  j.diverged = malloc((size_t)n_goals * sizeof *j.diverged);
  j.workers = calloc((size_t)threads, sizeof *j.workers);
  int ok = ptrs && j.batches && j.thetas && j.diverged && j.workers && per_goal;
  for (int i = 0; ok && i < n_goals; i++) j.diverged[i] = -1;
  for (int i = lo; ok && i < hi; i++)
    ok = maml_task_batch_alloc(&j.batches[i], ep->episodes, ep->horizon, world->obs_dim,
                               world->family->act_dim) == MAML_OK;
  for (int w = 0; ok && w < threads; w++) {
    worker *wk = &j.workers[w];
    ok = maml_baseline_alloc(&wk->baseline, world->obs_dim, (int)rows) == MAML_OK &&
         maml_policy_cache_alloc(&wk->cache, p, (int)rows) == MAML_OK &&
         (wk->returns = malloc(rows * sizeof(maml_real))) &&
         (wk->values = malloc(rows * sizeof(maml_real))) &&
         (wk->adv = malloc(rows * sizeof(maml_real))) && (wk->grad = malloc(n * sizeof(maml_real)));
  }
  maml_status st =
      ok ? MAML_OK : maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory for the evaluation");
  if (st == MAML_OK) st = maml_sampler_create(&sampler, world, p, pool, ep->episodes, err, err_sz);
  for (int i = 0; st == MAML_OK && i < n_goals; i++) {
    memcpy(j.thetas + (size_t)i * n, theta, n * sizeof(maml_real));
    ptrs[i] = j.thetas + (size_t)i * n;
  }
  for (int k = 0; st == MAML_OK && k <= ep->steps; k++) {
    st = maml_sampler_run_range(sampler, lo, hi - lo, goals, ptrs, ep->seed, (uint32_t)k,
                                ep->sweep ? MAML_PHASE_SWEEP : MAML_PHASE_EVAL, j.batches, err,
                                err_sz);
    if (st != MAML_OK) break;
    double sum = 0;
    int finite = 0;
    for (int i = lo; i < hi; i++) {
      double r = per_goal[(size_t)i * (S + 1) + k] = step_return(&j, i, k);
      if (isfinite(r)) sum += r, finite++;
    }
    if (thetas)
      memcpy(thetas + (size_t)k * n_goals * n, j.thetas, (size_t)n_goals * n * sizeof(maml_real));
    if (ep->progress)
      ep->progress(ep->progress_ctx, k, finite ? sum / finite : hi > lo ? NAN : 0.0);
    if (k == ep->steps) break;
    j.step_size = k == 0 ? ep->alpha : ep->alpha / 2;
    j.scale = k == 0 ? 1.0 : 0.5;
    maml_pool_run(pool, hi - lo, adapt_goal, &j);
  }
  for (int i = lo; st == MAML_OK && i < hi; i++) per_goal[(size_t)i * (S + 1) + S] = j.diverged[i];
  /* every rank gets every goal's returns */
  if (st == MAML_OK)
    st = maml_comm_gather_items(ep->comm, per_goal, (size_t)(S + 1) * sizeof *per_goal, n_goals,
                                err, err_sz);
  for (int i = 0; st == MAML_OK && i < n_goals; i++) {
    const double *g = per_goal + (size_t)i * (S + 1);
    for (int k = 0; k < S; k++) returns[(size_t)k * n_goals + i] = g[k];
    if (diverged) diverged[i] = (int)g[S];
  }

  maml_sampler_destroy(sampler);
  if (j.batches)
    for (int i = 0; i < n_goals; i++) maml_task_batch_free(&j.batches[i]);
  free(per_goal);
  if (j.workers)
    for (int w = 0; w < threads; w++) {
      worker *wk = &j.workers[w];
      maml_baseline_free(&wk->baseline);
      maml_policy_cache_free(&wk->cache);
      free(wk->returns), free(wk->values), free(wk->adv), free(wk->grad);
    }
  free(j.batches), free(j.thetas), free(j.diverged), free(j.workers), free(ptrs);
  return st;
}

maml_status maml_evaluate(const maml_env_world *world, const maml_policy *p, const maml_real *theta,
                          int n_goals, const double *goals, const maml_eval_params *ep,
                          maml_pool *pool, double *returns, int *diverged, char *err,
                          size_t err_sz) {
  return evaluate(world, p, theta, n_goals, goals, ep, pool, returns, diverged, NULL, err, err_sz);
}

maml_status maml_eval_adapt(const maml_env_world *world, const maml_policy *p,
                            const maml_real *theta, const double *goal, const maml_eval_params *ep,
                            maml_pool *pool, maml_real *thetas, double *returns, char *err,
                            size_t err_sz) {
  return evaluate(world, p, theta, 1, goal, ep, pool, returns, NULL, thetas, err, err_sz);
}
