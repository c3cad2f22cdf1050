/* `maml eval`'s results: the tables it prints and the files it writes (eval.csv,
 * eval.json, goals.txt, eval-paired.csv, eval-by-goal.csv), from the policies' returns. */
#ifndef MAML_CMD_EVAL_REPORT_H
#define MAML_CMD_EVAL_REPORT_H

#include <stdio.h>

#include "eval_common.h"

/* the goals' breakdown by distinct goal (g->n = 0: none) */
void eval_group_goals(const maml_env_family *f, const double *goals, int n_goals, goal_groups *g);

/* 1 when policy p is compared with the first one goal by goal */
int eval_compared(const entry *es, int p);

/* the tables on stdout: every policy's returns, what was evaluated, the first policy minus
 * each other, and the returns per distinct goal */
void eval_print_table(const entry *es, int n_pol, int n_goals, int steps);
void eval_print_sources(const entry *es, int n_pol, const net_shape *rnd);
void eval_print_paired(const entry *es, int n_pol, int n_goals, int steps);
void eval_print_groups(const entry *es, int n_pol, const goal_groups *g, int n_goals, int steps);

/* The files of the evaluation in out (NULL: a new default folder), and the plots; rank 0
 * only. sg: the groups of runs (eval_seeds.h; eval-seeds.csv and eval.json's "groups" when
 * there are any). 0 after a message. */
struct seed_groups;
int eval_save(const char *out, const maml_env_family *f, const entry *es, int n_pol,
              const double *goals, int n_goals, const maml_eval_params *ep,
              const goal_groups *groups, int n_paired, const struct seed_groups *sg);

#endif
