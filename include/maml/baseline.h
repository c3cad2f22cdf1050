/* The linear feature baseline: a value estimate fitted per task batch by ridge regression.
 *
 * Features of step t with observation o: [clip(o, -10, 10), clip(o, -10, 10)^2, t/100,
 * (t/100)^2, (t/100)^3, 1]. The fit solves (X^T X + r I) w = X^T y over the valid steps
 * with r = 1e-5, multiplying r by 10 and solving again while the solution is not finite.
 * Degenerate batches (no valid step, constant or zero observations, one-step episodes)
 * give finite values; when no regularisation yields a finite solution the weights are
 * zero and the fit reports MAML_ERR_NUMERIC. Batches use the layout of episodes.h. */
#ifndef MAML_BASELINE_H
#define MAML_BASELINE_H

#include "maml/error.h"
#include "maml/real.h"

typedef struct {
  int obs_dim;
  int n_features;  /* 2 * obs_dim + 4 */
  int capacity;    /* rows (episodes * horizon) it can fit */
  double *X;       /* (capacity, n_features) design matrix of the valid rows */
  double *y;       /* (capacity) targets of the valid rows */
  double *gram;    /* (n_features, n_features) X^T X */
  double *system;  /* (n_features, n_features) X^T X + r I, factorised in place */
  double *weights; /* (n_features) the fitted weights */
  double *row;     /* (n_features) scratch for predict */
  double ridge;    /* the r that gave the accepted solution */
  void *block;
} maml_baseline;

maml_status maml_baseline_alloc(maml_baseline *b, int obs_dim, int capacity);
void maml_baseline_free(maml_baseline *b);

/* Fit the weights to the returns of a batch of episodes x horizon steps. */
maml_status maml_baseline_fit(maml_baseline *b, const maml_real *obs, const maml_real *returns,
                              const maml_real *mask, int episodes, int horizon);

/* values[e, t] = features(e, t) . weights at valid steps, 0 at padding. */
void maml_baseline_predict(const maml_baseline *b, const maml_real *obs, const maml_real *mask,
                           int episodes, int horizon, maml_real *values);

/* The advantages a policy-gradient step uses, for one batch of episodes: discounted returns
 * (gamma), this baseline fitted to them (zero weights if the fit fails), GAE (gamma,
 * lambda) on its values, standardised over the valid steps. returns and values are
 * scratch of episodes * horizon numbers; adv receives the advantages. */
void maml_baseline_advantages(maml_baseline *b, const maml_real *obs, const maml_real *rewards,
                              const maml_real *mask, int episodes, int horizon, double gamma,
                              double lambda, maml_real *returns, maml_real *values, maml_real *adv);

#endif
