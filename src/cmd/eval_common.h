/* What `maml eval`'s tables and files (eval_report.c) and its groups of runs
 * (eval_seeds.c) share: a policy's entry, the goals' breakdown, names, means and the
 * writers of CSV and JSON values. */
#ifndef MAML_CMD_EVAL_COMMON_H
#define MAML_CMD_EVAL_COMMON_H

#include <stdio.h>

#include "maml/env.h"
#include "maml/eval.h"
#include "maml/policy.h"

#define MAX_POLICIES 16
#define MAX_GOALS 10000
#define MAX_SWEEP 16
#define PATH_LEN 4096
#define NAME_LEN 63 /* a policy name's characters, at most */

/* one policy of the evaluation */
typedef struct {
  char name[NAME_LEN + 1];
  char path[PATH_LEN]; /* the checkpoint file; "" for random */
  long long iteration; /* the checkpoint's (meta-iterations behind it); -1 for random */
  double alpha;        /* 0: not given */
  int alpha_given;     /* set with @ALPHA: not swept */
  int oracle;          /* 0, or its MAML_ORACLE_* mode (cmd_policy's) */
  maml_policy policy;
  maml_real *theta;
  maml_real *step_sizes; /* (policy.n_params) its learned step sizes, NULL: alpha (cmd.h) */
  double *returns;       /* (steps + 1, goals), NaN from the step a goal diverged at on */
  int *diverged;         /* (goals) the step each goal diverged at, -1: it did not */
  int steps;             /* steps evaluated (0 for the oracle) */
} entry;

/* 1 when e adapts with its learned step sizes (an @ALPHA replaces them; an oracle takes no
 * step) */
static inline int eval_learned_steps(const entry *e) {
  return e->step_sizes && !e->alpha_given && !e->oracle;
}

/* the random policy's network, and where it came from */
typedef struct {
  int n_hidden, hidden[MAML_MAX_HIDDEN];
  maml_activation activation;
  char from[96];
} net_shape;

/* Goals that repeat (the two directions of a goal-direction family, or a --goal given more
 * than once) are also reported per distinct goal: a policy that adapts to one direction
 * only hides behind a mean over both. */
#define MAX_GROUPS 8

typedef struct {
  int n;                     /* distinct goals; 0: no breakdown */
  char text[MAX_GROUPS][64]; /* each as --goal writes it */
  int group[MAX_GOALS];      /* goal i belongs to group[i] */
  int count[MAX_GROUPS];
} goal_groups;

/* 1 when s is a valid policy or group name: 1 to NAME_LEN letters, digits and - _ . + */
int eval_valid_name(const char *s);

/* Mean and standard error of the finite numbers among x[0 .. n) (the goals that did not
 * diverge); returns how many they are (0: the mean is NaN). */
int eval_finite_mean(const double *x, int n, double *mean, double *se);

/* a number of the CSV files (empty when not finite), a CSV field (quoted when needed), a
 * JSON number (null when not finite), a JSON string */
void eval_csv_number(FILE *f, double x);
void eval_csv_text(FILE *f, const char *s);
void eval_json_number(FILE *f, double x);
void eval_json_text(FILE *f, const char *s);

/* dir/name created for writing (its path in path); NULL after a message */
FILE *eval_create_in(const char *dir, const char *name, char *path, size_t n);
/* close f; 0 after a message if writing or closing it failed */
int eval_close_written(FILE *f, const char *path);

/* how many of the n goals lie outside the family's training range (--extrapolate) */
int eval_goals_outside(const maml_env_family *f, const double *goals, int n);

/* how many of the n goals diverged at step k or before */
int eval_diverged_by(const int *diverged, int n, int k);

#endif
