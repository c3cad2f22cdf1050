/* Few-shot evaluation on held-out goals: the paper's protocol, made reproducible.
 *
 * For each goal: sample N episodes with the policy as it is (its mean undiscounted
 * return is "0 steps"); take a vanilla policy-gradient step on that batch (linear
 * baseline, GAE, standardised advantages) with step size alpha; sample N new episodes
 * ("1 step"); repeat with step size alpha / 2 for the later steps. Goal i's episodes at
 * step k come from the streams (seed, k, EVAL, i, e), and held-out goals from
 * (seed, 0, EVAL_TASKS, i): phases training never uses. Goals are independent and run on
 * the pool; results do not depend on the number of threads. */
#ifndef MAML_EVAL_H
#define MAML_EVAL_H

#include <stdint.h>

#include "envs/env.h"
#include "maml/policy.h"
#include "maml/pool.h"

typedef struct {
  int episodes;    /* per goal and step */
  int steps;       /* adaptation steps K (returns are reported after 0..K steps) */
  int horizon;     /* at most the family's */
  double alpha;    /* the first step's size; later steps use alpha / 2 */
  double gamma, gae_lambda;
  uint64_t seed;
  int sweep;       /* 1: rollouts from the step-size sweep's streams (SWEEP phase) */
} maml_eval_params;

/* n held-out goals of a family, from the evaluation stream of seed (sweep: from the
 * step-size sweep's stream, so that a step size is chosen on other goals). */
void maml_eval_goals(const maml_env_family *f, uint64_t seed, int sweep, int n, double *goals);

/* Evaluate theta (a policy for world's observation) on n_goals goals (n x MAML_TASK_MAX).
 * returns[k * n_goals + i]: the mean episode return on goal i after k steps, k = 0..steps.
 * Allocates its sampler and batches here. */
maml_status maml_evaluate(const maml_env_world *world, const maml_policy *p,
                          const maml_real *theta, int n_goals, const double *goals,
                          const maml_eval_params *ep, maml_pool *pool, double *returns,
                          char *err, size_t err_sz);

#endif
