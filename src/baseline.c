#include "maml/baseline.h"

#include <lapacke.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "maml/episodes.h"

#define RIDGE_START 1e-5
#define RIDGE_TRIES 10

maml_status maml_baseline_alloc(maml_baseline *b, int obs_dim, int capacity) {
  memset(b, 0, sizeof *b);
  if (obs_dim <= 0 || capacity <= 0 || obs_dim > (1 << 20)) return MAML_ERR_ARG;
  size_t f = 2 * (size_t)obs_dim + 4;
  if ((size_t)capacity > (SIZE_MAX / sizeof(double)) / (f + 1) - 2 * f - 2) return MAML_ERR_NOMEM;
  size_t total = (size_t)capacity * f + (size_t)capacity + 2 * f * f + 2 * f;
  double *block = calloc(total, sizeof(double));
  if (!block) return MAML_ERR_NOMEM;
  b->block = block;
  b->obs_dim = obs_dim;
  b->n_features = (int)f;
  b->capacity = capacity;
  b->X = block;
  b->y = b->X + (size_t)capacity * f;
  b->gram = b->y + capacity;
  b->system = b->gram + f * f;
  b->weights = b->system + f * f;
  b->row = b->weights + f;
  return MAML_OK;
}

void maml_baseline_free(maml_baseline *b) {
  if (!b) return;
  free(b->block);
  memset(b, 0, sizeof *b);
}

static double clip10(double x) {
  return x < -10.0 ? -10.0 : x > 10.0 ? 10.0 : x;
}

/* features of one step into row (length n_features) */
static void features(int obs_dim, const maml_real *o, int t, double *row) {
  for (int j = 0; j < obs_dim; j++) {
    double c = clip10(o[j]);
    row[j] = c;
    row[obs_dim + j] = c * c;
  }
  double s = t / 100.0;
  row[2 * obs_dim] = s;
  row[2 * obs_dim + 1] = s * s;
  row[2 * obs_dim + 2] = s * s * s;
  row[2 * obs_dim + 3] = 1.0;
}

static int all_finite(const double *x, int n) {
  for (int i = 0; i < n; i++)
    if (!isfinite(x[i])) return 0;
  return 1;
}

maml_status maml_baseline_fit(maml_baseline *b, const maml_real *obs, const maml_real *returns,
                              const maml_real *mask, int episodes, int horizon) {
  int f = b->n_features, rows = 0;
  memset(b->weights, 0, (size_t)f * sizeof(double));
  b->ridge = 0.0;
  if ((size_t)episodes * horizon > (size_t)b->capacity) return MAML_ERR_ARG;
  for (int e = 0; e < episodes; e++)
    for (int t = 0; t < horizon; t++) {
      size_t k = (size_t)e * horizon + t;
      if (mask && mask[k] == 0) continue;
      if (!isfinite(returns[k])) return MAML_ERR_NUMERIC;
      features(b->obs_dim, obs + k * b->obs_dim, t, b->X + (size_t)rows * f);
      b->y[rows++] = returns[k];
    }
  if (rows == 0) return MAML_OK;

  /* normal equations: gram = X^T X (upper triangle), weights = X^T y */
  cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, f, rows, 1.0, b->X, f, 0.0, b->gram, f);
  double *rhs = b->weights;
  double ridge = RIDGE_START;
  for (int attempt = 0; attempt < RIDGE_TRIES; attempt++, ridge *= 10) {
    memcpy(b->system, b->gram, (size_t)f * f * sizeof(double));
    for (int j = 0; j < f; j++) b->system[(size_t)j * f + j] += ridge;
    cblas_dgemv(CblasRowMajor, CblasTrans, rows, f, 1.0, b->X, f, b->y, 1, 0.0, rhs, 1);
    lapack_int info = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', f, 1, b->system, f, rhs, 1);
    if (info == 0 && all_finite(rhs, f)) {
      b->ridge = ridge;
      return MAML_OK;
    }
  }
  memset(b->weights, 0, (size_t)f * sizeof(double));
  return MAML_ERR_NUMERIC;
}

void maml_baseline_predict(const maml_baseline *b, const maml_real *obs, const maml_real *mask,
                           int episodes, int horizon, maml_real *values) {
  int f = b->n_features;
  double *row = b->row;
  for (int e = 0; e < episodes; e++)
    for (int t = 0; t < horizon; t++) {
      size_t k = (size_t)e * horizon + t;
      if (mask && mask[k] == 0) {
        values[k] = 0;
        continue;
      }
      features(b->obs_dim, obs + k * b->obs_dim, t, row);
      double v = 0.0;
      for (int j = 0; j < f; j++) v += row[j] * b->weights[j];
      values[k] = (maml_real)v;
    }
}

void maml_baseline_advantages(maml_baseline *b, const maml_real *obs, const maml_real *rewards,
                              const maml_real *mask, int episodes, int horizon, double gamma,
                              double lambda, maml_real *returns, maml_real *values,
                              maml_real *adv) {
  maml_discounted_returns(rewards, mask, episodes, horizon, gamma, returns);
  maml_baseline_fit(b, obs, returns, mask, episodes, horizon);
  maml_baseline_predict(b, obs, mask, episodes, horizon, values);
  maml_gae(rewards, values, mask, episodes, horizon, gamma, lambda, adv);
  maml_standardize(adv, mask, episodes * horizon);
}
