/* Returns, advantages and their standardisation for a batch of episodes.
 *
 * A batch of E episodes with horizon H is stored row-major, step t of episode e at
 * index e * H + t. mask[e * H + t] is 1 for a step that happened and 0 for the padding
 * after an episode ended early; padded entries of every output are 0. An episode that
 * reaches the horizon is not bootstrapped: the value after its last step counts as 0,
 * as in the paper's implementation. */
#ifndef MAML_EPISODES_H
#define MAML_EPISODES_H

#include "maml/real.h"

/* returns[e, t] = sum_{k >= t} gamma^(k - t) r[e, k] over the episode's valid steps. */
void maml_discounted_returns(const maml_real *rewards, const maml_real *mask, int episodes,
                             int horizon, double gamma, maml_real *returns);

/* Generalised advantage estimation: delta_t = r_t + gamma V_{t+1} - V_t (V after the last
 * valid step is 0), adv_t = sum_k (gamma lambda)^k delta_{t+k}. */
void maml_gae(const maml_real *rewards, const maml_real *values, const maml_real *mask,
              int episodes, int horizon, double gamma, double lambda, maml_real *adv);

/* x <- (x - mean) / (std + 1e-8) with mean and (population) std over the valid entries;
 * padded entries become 0. Returns the standard deviation it divided by. */
double maml_standardize(maml_real *x, const maml_real *mask, int n);

/* Mean over episodes of the undiscounted sum of rewards over valid steps. */
double maml_mean_episode_return(const maml_real *rewards, const maml_real *mask, int episodes,
                                int horizon);

#endif
