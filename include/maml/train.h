/* The meta-training loop: one object that owns a run's world, policy, threads, sampler,
 * batches and learner, and advances the parameters one meta-iteration at a time.
 *
 * Meta-iteration i (i = updates applied so far):
 *   1. draw the meta-batch's tasks from the stream (seed, i, TASKS, task)
 *   2. sample the support episodes with theta (phase SUPPORT)
 *   3. per task: discounted returns, linear baseline fit, GAE, standardised advantages
 *   4. adapt: theta'_i (K inner steps; theta itself in pretrain and oracle modes); with
 *      inner_support = fresh, step k >= 1 on episodes sampled with theta^k (phase
 *      MAML_PHASE_INNER_SUPPORT + k - 1), advantages as in 3
 *   5. sample the query episodes with each theta'_i (phase QUERY), advantages as in 3
 *   6. one TRPO step through the adaptation (meta.h)
 * Everything random is keyed by (seed, i), so a run restored from a checkpoint at
 * iteration i continues exactly as if it had never stopped, and the thread count changes
 * nothing. A batch holding a non-finite number, or a step that produces one, leaves theta
 * untouched and is counted (metrics.rejected). The library never prints. */
#ifndef MAML_TRAIN_H
#define MAML_TRAIN_H

#include <stdint.h>

#include "maml/checkpoint.h"
#include "maml/config.h"
#include "maml/meta.h"
#include "maml/sampler.h"

/* What one meta-iteration did. */
#define MAML_GOALS_MAX 8 /* goals of a discrete family split in the metrics */

typedef struct {
  int64_t iteration;      /* the iteration's index (updates applied before it) */
  double pre_return;      /* mean undiscounted episode return of the support episodes (theta) */
  double post_return;     /* the same for the query episodes (theta'_i); in pretrain and
                             oracle modes both are the return of theta */
  maml_step_stats step;   /* the TRPO step */
  int rejected;           /* 1 when theta was left untouched for non-finite numbers */
  int64_t rejected_total; /* rejections so far in the run */
  int unstable;           /* episodes ended by an unstable simulation in this iteration */
  int64_t env_steps;      /* environment steps sampled in this iteration (support, the
                             fresh inner steps' with inner_support = fresh, and query) */
  int new_best;           /* post_return beat every earlier iteration's */
  double entropy;         /* of the action distribution at theta */
  double sample_seconds;  /* wall-clock time sampling (support, fresh inner steps, query) */
  double learn_seconds;   /* advantages, adaptation and the TRPO step */
  double seconds;         /* the whole iteration */
  /* a family whose goals repeat (maml_env_goal_set): the batch split by goal */
  int goals;                       /* their count (0: the goals do not repeat) */
  char goal[MAML_GOALS_MAX][32];   /* each as --goal writes it ("-1") */
  int goal_tasks[MAML_GOALS_MAX];  /* the batch's tasks of that goal */
  double goal_pre[MAML_GOALS_MAX]; /* their mean pre_return, post_return (NaN: none) */
  double goal_post[MAML_GOALS_MAX];
  /* learned step sizes (config learn_alpha): their count (0: the fixed alpha) and, after
   * this iteration's step, their minimum, median and maximum */
  size_t step_sizes;
  double step_size_min, step_size_median, step_size_max;
} maml_iter_metrics;

typedef struct maml_trainer maml_trainer;

/* A trainer for a resolved config (maml_config_resolve), with theta initialised from the
 * seed. assets: where to look for the models (NULL: the config's assets, else the default
 * search, env.h); the model used is recorded in the trainer's config and so in every
 * checkpoint, and a config whose model_hash differs from the model's is refused
 * (maml_config_use_model). comm: the
 * ranks sharing the meta-batch (comm.h), or NULL for this process alone; every rank makes
 * its trainer with the same config, and each samples and differentiates its block of
 * tasks. Every rank then holds the same theta, bit for bit, as a single process would. */
maml_status maml_trainer_create(maml_trainer **out, const maml_config *cfg, const char *assets,
                                struct maml_comm *comm, char *err, size_t err_sz);
void maml_trainer_destroy(maml_trainer *t);

/* Continue from a checkpoint of this config: theta, iteration, best, counters. Refuses a
 * checkpoint of another family, mode or network shape. */
maml_status maml_trainer_restore(maml_trainer *t, const maml_checkpoint *ck, char *err,
                                 size_t err_sz);

/* Inject a fault (sampler.h) into the next iteration's first sampling, in the first task of
 * this rank: for the tests that a NaN is rejected without touching theta and that an
 * unstable simulation only ends its episode. */
void maml_trainer_inject(maml_trainer *t, maml_fault fault);

/* Under several ranks: make every rank's theta and counters rank 0's (after rank 0
 * alone restored a checkpoint). A collective; nothing to do for one process. */
maml_status maml_trainer_share_state(maml_trainer *t, char *err, size_t err_sz);

/* Run one meta-iteration. Errors only for failures of the machinery (memory, misuse); bad
 * numbers are rejections reported in m. */
maml_status maml_trainer_iterate(maml_trainer *t, maml_iter_metrics *m, char *err, size_t err_sz);

/* The batches the last iteration's step used, indexed by task (this rank's tasks only):
 * support NULL when the mode does not adapt (with inner_support = fresh: the first inner
 * step's, sampled with theta). Valid until the next iterate; for benchmarks that run
 * other learners on the same batches. */
void maml_trainer_batches(const maml_trainer *t, const maml_batch **support,
                          const maml_batch **query);

/* A checkpoint of the current state (best: of the best iteration's theta instead, the
 * parameters that produced its post-adaptation return, with that iteration). ck owns its
 * arrays afterwards (maml_checkpoint_free). MAML_ERR_ARG if best is asked when no
 * iteration since the start or the restore has set a best. */
maml_status maml_trainer_checkpoint(const maml_trainer *t, int best, maml_checkpoint *ck, char *err,
                                    size_t err_sz);

const maml_config *maml_trainer_config(const maml_trainer *t);
const maml_policy *maml_trainer_policy(const maml_trainer *t);
/* the run's parameters (n_params of the policy), followed by the learned step sizes when
 * the config learns them (learn_alpha; maml_learner_n_params numbers in all) */
const maml_real *maml_trainer_theta(const maml_trainer *t);
int64_t maml_trainer_iteration(const maml_trainer *t);
int maml_trainer_threads(const maml_trainer *t);
double maml_trainer_elapsed(const maml_trainer *t); /* training seconds, across resumes */
/* The best post-adaptation return so far and its iteration (-1 if none). */
double maml_trainer_best(const maml_trainer *t, int64_t *iteration);

#endif
