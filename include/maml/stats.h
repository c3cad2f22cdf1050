/* Statistics over runs (training seeds), after Agarwal et al., "Deep reinforcement learning
 * at the edge of the statistical precipice" (NeurIPS 2021): the interquartile mean, percentile
 * bootstrap confidence intervals and the probability of improvement. A "score" is one
 * number per run (e.g. its mean return over the evaluation goals); none of these functions
 * looks at non-finite numbers specially: leave the runs without a score out first. Agarwal et
 * al. stratify the bootstrap by task (family): over one family, as here, it is a plain
 * bootstrap over runs. */
#ifndef MAML_STATS_H
#define MAML_STATS_H

#include <stddef.h>

#include "maml/error.h"
#include "maml/rng.h"

/* The statistics a bootstrap resamples. */
typedef enum { MAML_STAT_MEAN = 0, MAML_STAT_IQM } maml_stat;

/* [low, high]: a confidence interval */
typedef struct {
  double low, high;
} maml_interval;

/* The mean of x[0 .. n); NaN when n = 0. */
double maml_stats_mean(const double *x, int n);

/* The interquartile mean of x[0 .. n) sorted in ascending order: the mean of its middle
 * half. Each number fills a unit of [0, n); the IQM averages over [n/4, 3n/4), so when n is
 * not a multiple of 4 the two numbers at the quartiles count with the fraction of their unit
 * inside (n = 5: weights 0, 3/4, 1, 3/4, 0 over 5/2). n = 1: x[0]; n = 2: the mean. NaN when
 * n = 0. (scipy's trim_mean(x, 0.25), which rliable uses, drops whole numbers instead: the
 * same when n is a multiple of 4.) */
double maml_stats_iqm_sorted(const double *x, int n);

/* The IQM of x[0 .. n) in any order; scratch holds n numbers (x and scratch may be one). */
double maml_stats_iqm(const double *x, int n, double *scratch);

/* The q-quantile (q in [0, 1]) of x[0 .. n) sorted ascending, by linear interpolation
 * between order statistics (x[(n-1) q]; R's type 7, numpy's default); NaN when n = 0. */
double maml_stats_quantile_sorted(const double *x, int n, double q);

/* Sort x[0 .. n) ascending. */
void maml_stats_sort(double *x, int n);

/* The probability of improvement of X over Y: the mean over all pairs (x_i, y_j) of
 * 1[x_i > y_j] + 1/2 1[x_i = y_j], counted on sorted copies in scratch (nx + ny numbers).
 * NaN when either is empty. */
double maml_stats_prob_improvement(const double *x, int nx, const double *y, int ny,
                                   double *scratch);

/* Percentile bootstrap intervals of the mean and the IQM of x[0 .. n): `resamples` times,
 * n numbers drawn from x with replacement (indices from rng), both statistics computed on
 * each; the interval holds the middle `level` of them (level 0.95: the 2.5% and 97.5%
 * quantiles, maml_stats_quantile_sorted). The same rng stream gives the same intervals.
 * n = 0: NaN bounds. resamples >= 1, level in (0, 1). */
maml_status maml_stats_bootstrap(const double *x, int n, int resamples, double level, maml_rng *rng,
                                 maml_interval *mean_ci, maml_interval *iqm_ci, char *err,
                                 size_t err_sz);

/* The percentile bootstrap interval of the probability of improvement of X over Y: each
 * resample draws nx numbers from x and ny from y, each with replacement (the two groups'
 * runs are independent). Empty X or Y: NaN bounds. */
maml_status maml_stats_bootstrap_improvement(const double *x, int nx, const double *y, int ny,
                                             int resamples, double level, maml_rng *rng,
                                             maml_interval *ci, char *err, size_t err_sz);

#endif
