/* Training curves of runs and groups of runs (`maml plot RUN_DIR...`, `--group`, an
 * experiment folder), drawn by gnuplot from the runs' metrics.csv. */
#ifndef MAML_CMD_PLOT_CURVES_H
#define MAML_CMD_PLOT_CURVES_H

/* A line of the plot: one run, or a group of runs drawn as their mean with a band. */
typedef struct {
  const char *name;  /* the key's text ("lvc", a run's folder) */
  const char **runs; /* run directories */
  int n_runs;
  int single; /* one run given alone: drawn before and after adaptation */
} plot_group;

/* Draw the groups into OUT: a single run (one group, single) as OUT/training.png and .svg,
 * its return before and after adaptation (a MAML run) or its return (pretrain, oracle);
 * otherwise OUT/curves.png and .svg, each group's mean over its runs of the return after
 * adaptation (before, for runs without an inner step) per meta-iteration with the 95%
 * percentile bootstrap interval of the mean over runs (1000 resamples, a fixed seed: the
 * same files again), from OUT/curves.csv (group, iteration, runs, mean, ci_low, ci_high).
 * smooth > 1: each run's trailing mean over that many iterations first. 0, or 1 after a
 * message prefixed by who. */
int plot_curves(const char *out, const plot_group *groups, int n_groups, int smooth,
                const char *who);

#endif
