/* `maml eval --group`: groups of runs (one training seed each, say) evaluated on the same
 * goals and streams as the policies, and their statistics over runs (maml/stats.h). A run's
 * score after k steps is its mean return over the goals that had not diverged (the number
 * eval.csv gives it as a --policy); a run whose every goal diverged has no score at that
 * step and is left out of its group's statistics, which count it. */
#ifndef MAML_CMD_EVAL_SEEDS_H
#define MAML_CMD_EVAL_SEEDS_H

#include <stdint.h>
#include <stdio.h>

#include "eval_common.h"
#include "maml/pool.h"
#include "maml/stats.h"

#define MAX_SEED_GROUPS 16
#define MAX_GROUP_RUNS 1000
#define SEEDS_LEVEL 0.95 /* the confidence intervals' */

/* a group's statistics over its runs at one step (on all goals, or one distinct goal) */
typedef struct {
  int n;        /* runs with a score */
  int left_out; /* runs without one: every goal diverged */
  double mean, iqm;
  maml_interval mean_ci, iqm_ci;
} seed_summary;

/* the probability of improvement of the first group over another at one step */
typedef struct {
  double p;
  maml_interval ci;
  int pairs; /* scored run pairs */
} seed_improvement;

typedef struct {
  char name[NAME_LEN + 1];
  double alpha;    /* @ALPHA, or the sweep's pick; 0: each run its own */
  int alpha_given; /* @ALPHA: not swept */
  int n_runs, cap;
  entry *runs;           /* (n_runs of cap) each run as a policy of the evaluation, malloc'ed */
  int steps;             /* 0 for oracle runs (all of a group's or none) */
  double *scores;        /* (steps + 1, n_runs) each run's score, NaN: none */
  seed_summary *all;     /* (steps + 1) over all goals */
  seed_summary *by_goal; /* (distinct goals, steps + 1) when goals repeat */
  seed_improvement *vs_first; /* (steps + 1) for groups after the first */
} seed_group;

typedef struct seed_groups {
  int n;
  seed_group g[MAX_SEED_GROUPS];
  int resamples; /* --bootstrap */
} seed_groups;

/* --group NAME=PATH,PATH,...[@ALPHA] or NAME=@FILE[@ALPHA] into sg: 0 after a message
 * naming the group (a bad name, an empty list or path, a missing checkpoint, a path given
 * twice, a name already taken by a group) */
int seeds_add_group(const char *arg, seed_groups *sg);

/* 0 after a message when a group has a policy's name */
int seeds_check_names(const seed_groups *sg, const entry *es, int n_pol);

/* The group's step size from the sweep's goals and streams, as --sweep-alpha picks one for
 * a policy: the best mean of its runs' scores after the last step, among the step sizes
 * that diverged on no goal of any run. Sets every run's alpha. 0 after a message. */
int seeds_sweep(const maml_env_world *w, seed_group *g, const maml_eval_params *ep,
                const double *alphas, int n, int n_goals, maml_pool *pool);

/* The statistics of every group from its runs' returns, bootstraps seeded from seed (and
 * the step, the group's place, the goal). 0 after a message. */
int seeds_summarise(seed_groups *sg, const goal_groups *gg, int n_goals, uint64_t seed);

/* the tables on stdout */
void seeds_print(const seed_groups *sg, const goal_groups *gg, int n_goals);

/* DIR/eval-seeds.csv: 0 after a message */
int seeds_write_csv(const char *dir, const seed_groups *sg, const goal_groups *gg, int n_goals);

/* eval.json's "groups" and "bootstrap" keys, each after a comma */
void seeds_write_json(FILE *js, const seed_groups *sg, const goal_groups *gg, int n_goals);

void seeds_free(seed_groups *sg);

#endif
