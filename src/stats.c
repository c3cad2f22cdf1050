#include "maml/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double maml_stats_mean(const double *x, int n) {
  if (n < 1) return NAN;
  double s = 0;
  for (int i = 0; i < n; i++) s += x[i];
  return s / n;
}

double maml_stats_iqm_sorted(const double *x, int n) {
  if (n < 1) return NAN;
  double lo = n / 4.0, hi = 3.0 * n / 4.0, s = 0;
  for (int i = 0; i < n; i++) {
    double w = fmin(i + 1.0, hi) - fmax((double)i, lo); /* x[i]'s unit [i, i+1) inside */
    if (w > 0) s += w * x[i];
  }
  return s / (hi - lo);
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

void maml_stats_sort(double *x, int n) {
  if (n > 1) qsort(x, (size_t)n, sizeof *x, by_value);
}

double maml_stats_iqm(const double *x, int n, double *scratch) {
  if (n < 1) return NAN;
  if (scratch != x) memcpy(scratch, x, (size_t)n * sizeof *x);
  maml_stats_sort(scratch, n);
  return maml_stats_iqm_sorted(scratch, n);
}

double maml_stats_quantile_sorted(const double *x, int n, double q) {
  if (n < 1) return NAN;
  double h = (n - 1) * q;
  int i = (int)floor(h);
  if (i >= n - 1) return x[n - 1];
  if (i < 0) return x[0];
  return x[i] + (h - i) * (x[i + 1] - x[i]);
}

/* the probability of improvement of sorted x over sorted y, by one merge-like walk */
static double improvement_sorted(const double *x, int nx, const double *y, int ny) {
  double s = 0;
  int below = 0, upto = 0; /* y[0 .. below) < x[i], y[0 .. upto) <= x[i] */
  for (int i = 0; i < nx; i++) {
    while (below < ny && y[below] < x[i]) below++;
    if (upto < below) upto = below;
    while (upto < ny && y[upto] <= x[i]) upto++;
    s += below + 0.5 * (upto - below);
  }
  return s / ((double)nx * ny);
}

double maml_stats_prob_improvement(const double *x, int nx, const double *y, int ny,
                                   double *scratch) {
  if (nx < 1 || ny < 1) return NAN;
  double *sx = scratch, *sy = scratch + nx;
  memcpy(sx, x, (size_t)nx * sizeof *x);
  memcpy(sy, y, (size_t)ny * sizeof *y);
  maml_stats_sort(sx, nx);
  maml_stats_sort(sy, ny);
  return improvement_sorted(sx, nx, sy, ny);
}

static maml_status check_args(int resamples, double level, char *err, size_t err_sz) {
  if (resamples < 1 || !(level > 0 && level < 1))
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "a bootstrap needs resamples >= 1 and a level in (0, 1) (got %d, %g)",
                     resamples, level);
  return MAML_OK;
}

/* n numbers drawn from x with replacement into out, sorted */
static void resample(const double *x, int n, maml_rng *rng, double *out) {
  for (int i = 0; i < n; i++) {
    int k = (int)(maml_rng_uniform(rng) * n); /* uniform in [0, 1): k < n */
    out[i] = x[k < n ? k : n - 1];
  }
  maml_stats_sort(out, n);
}

/* the middle `level` of the statistics s[0 .. n), sorted here */
static maml_interval middle(double *s, int n, double level) {
  maml_stats_sort(s, n);
  maml_interval ci = {maml_stats_quantile_sorted(s, n, (1 - level) / 2),
                      maml_stats_quantile_sorted(s, n, 1 - (1 - level) / 2)};
  return ci;
}

maml_status maml_stats_bootstrap(const double *x, int n, int resamples, double level, maml_rng *rng,
                                 maml_interval *mean_ci, maml_interval *iqm_ci, char *err,
                                 size_t err_sz) {
  maml_status st = check_args(resamples, level, err, err_sz);
  if (st != MAML_OK) return st;
  maml_interval none = {NAN, NAN};
  *mean_ci = *iqm_ci = none;
  if (n < 1) return MAML_OK;
  double *draw = malloc((size_t)n * sizeof *draw);
  double *means = malloc((size_t)resamples * sizeof *means);
  double *iqms = malloc((size_t)resamples * sizeof *iqms);
  if (!draw || !means || !iqms) {
    free(draw), free(means), free(iqms);
    return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory for %d bootstrap resamples",
                     resamples);
  }
  for (int b = 0; b < resamples; b++) {
    resample(x, n, rng, draw);
    means[b] = maml_stats_mean(draw, n);
    iqms[b] = maml_stats_iqm_sorted(draw, n);
  }
  *mean_ci = middle(means, resamples, level);
  *iqm_ci = middle(iqms, resamples, level);
  free(draw), free(means), free(iqms);
  return MAML_OK;
}

maml_status maml_stats_bootstrap_improvement(const double *x, int nx, const double *y, int ny,
                                             int resamples, double level, maml_rng *rng,
                                             maml_interval *ci, char *err, size_t err_sz) {
  maml_status st = check_args(resamples, level, err, err_sz);
  if (st != MAML_OK) return st;
  ci->low = ci->high = NAN;
  if (nx < 1 || ny < 1) return MAML_OK;
  double *dx = malloc((size_t)nx * sizeof *dx), *dy = malloc((size_t)ny * sizeof *dy);
  double *ps = malloc((size_t)resamples * sizeof *ps);
  if (!dx || !dy || !ps) {
    free(dx), free(dy), free(ps);
    return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory for %d bootstrap resamples",
                     resamples);
  }
  for (int b = 0; b < resamples; b++) {
    resample(x, nx, rng, dx);
    resample(y, ny, rng, dy);
    ps[b] = improvement_sorted(dx, nx, dy, ny);
  }
  *ci = middle(ps, resamples, level);
  free(dx), free(dy), free(ps);
  return MAML_OK;
}
