/* Few-shot evaluation on held-out goals: the paper's protocol, made reproducible.
 *
 * For each goal: sample N episodes with the policy as it is (its mean undiscounted
 * return is "0 steps"); take a vanilla policy-gradient step on that batch (linear
 * baseline, GAE, standardised advantages) with step size alpha; sample N new episodes
 * ("1 step"); repeat with step size alpha / 2 for the later steps. A policy with learned
 * step sizes (step_size.h) takes its own instead: parameter j's first step a_j, later
 * steps a_j / 2. Each step's batch is
 * sampled with the parameters it adapts, where the LVC inner loss's gradient is REINFORCE's
 * bit for bit (inner.h): the same step serves runs trained with either inner loss. Goal i's
 * episodes at step k come from the streams (seed, k, EVAL, i, e), and held-out goals from (seed, 0,
 * EVAL_TASKS, i): phases training never uses. Goals are independent and run on the pool; results do
 * not depend on the number of threads.
 *
 * Divergence: a goal diverges at step k when its parameters after k steps (the starting
 * parameters for k = 0) or the batch sampled with them (an observation, action or reward
 * of a step that happened) hold a non-finite number. Its returns from step k on are NaN,
 * never a number: a policy whose actions are NaN ends each episode after one step with a
 * return near 0, which would pass for a good one. A diverged goal takes no more steps. */
#ifndef MAML_EVAL_H
#define MAML_EVAL_H

#include <stdint.h>

#include "maml/env.h"
#include "maml/policy.h"
#include "maml/pool.h"

/* Hears that the batches of step k (k = 0..steps) have been sampled; mean_return is their
 * mean episode return over the goals that have not diverged (this rank's goals under MPI;
 * NaN when all of them diverged). Called on the thread that called maml_evaluate or
 * maml_eval_adapt. */
typedef void (*maml_eval_progress)(void *ctx, int step, double mean_return);

typedef struct {
  int episodes;                /* per goal and step */
  int steps;                   /* adaptation steps K (returns are reported after 0..K steps) */
  int horizon;                 /* at most the family's */
  double alpha;                /* the first step's size; later steps use alpha / 2 */
  const maml_real *step_sizes; /* (n_params) each parameter's first step size in place of
                                  alpha (learned step sizes, maml_step_size_expand; later
                                  steps half of it); NULL: alpha */
  double gamma, gae_lambda;
  uint64_t seed;
  int sweep;                   /* 1: rollouts from the step-size sweep's streams (SWEEP phase) */
  struct maml_comm *comm;      /* ranks sharing the goals (comm.h; each evaluates its block and
                                  every rank gets every return), NULL: this process alone */
  maml_eval_progress progress; /* NULL: none */
  void *progress_ctx;
} maml_eval_params;

/* n held-out goals of a family, from the evaluation stream of seed (sweep: from the
 * step-size sweep's stream, so that a step size is chosen on other goals). */
void maml_eval_goals(const maml_env_family *f, uint64_t seed, int sweep, int n, double *goals);
/* Held-out goal i alone (MAML_TASK_MAX numbers): goal i of maml_eval_goals(f, seed, 0, ...). */
void maml_eval_goals_at(const maml_env_family *f, uint64_t seed, int i, double *goal);

/* Evaluate theta (a policy for world's observation) on n_goals goals (n x MAML_TASK_MAX).
 * returns[k * n_goals + i]: the mean episode return on goal i after k steps, k = 0..steps,
 * NaN from the step the goal diverged at on. diverged (n_goals numbers, or NULL): the step
 * goal i diverged at, -1 when it did not. Every rank gets every goal's numbers. Allocates
 * its sampler and batches here. */
maml_status maml_evaluate(const maml_env_world *world, const maml_policy *p, const maml_real *theta,
                          int n_goals, const double *goals, const maml_eval_params *ep,
                          maml_pool *pool, double *returns, int *diverged, char *err,
                          size_t err_sz);

/* One goal's adaptation, step by step, exactly as maml_evaluate runs it on a list that
 * holds only this goal (same streams, same numbers): thetas (steps + 1, n_params) receives
 * the parameters after 0..steps steps, returns (steps + 1) the mean episode return of the
 * batch sampled with each (NaN once the goal diverged). For the viewer, which shows the policy
 * after any number of steps. Allocates its sampler and batches here. */
maml_status maml_eval_adapt(const maml_env_world *world, const maml_policy *p,
                            const maml_real *theta, const double *goal, const maml_eval_params *ep,
                            maml_pool *pool, maml_real *thetas, double *returns, char *err,
                            size_t err_sz);

#endif
