#include "maml/episodes.h"

#include <math.h>

static int valid(const maml_real *mask, size_t k) {
  return !mask || mask[k] != 0;
}

void maml_discounted_returns(const maml_real *rewards, const maml_real *mask, int episodes,
                             int horizon, double gamma, maml_real *returns) {
  for (int e = 0; e < episodes; e++) {
    double running = 0.0;
    for (int t = horizon - 1; t >= 0; t--) {
      size_t k = (size_t)e * horizon + t;
      if (!valid(mask, k)) {
        running = 0.0;
        returns[k] = 0;
        continue;
      }
      running = rewards[k] + gamma * running;
      returns[k] = (maml_real)running;
    }
  }
}

void maml_gae(const maml_real *rewards, const maml_real *values, const maml_real *mask,
              int episodes, int horizon, double gamma, double lambda, maml_real *adv) {
  for (int e = 0; e < episodes; e++) {
    double running = 0.0, next_value = 0.0;
    for (int t = horizon - 1; t >= 0; t--) {
      size_t k = (size_t)e * horizon + t;
      if (!valid(mask, k)) {
        running = next_value = 0.0;
        adv[k] = 0;
        continue;
      }
      double delta = rewards[k] + gamma * next_value - values[k];
      running = delta + gamma * lambda * running;
      adv[k] = (maml_real)running;
      next_value = values[k];
    }
  }
}

double maml_standardize(maml_real *x, const maml_real *mask, int n) {
  double count = 0.0, sum = 0.0;
  for (int i = 0; i < n; i++)
    if (valid(mask, (size_t)i)) count += 1.0, sum += x[i];
  double mean = count > 0 ? sum / count : 0.0, var = 0.0;
  for (int i = 0; i < n; i++)
    if (valid(mask, (size_t)i)) var += ((double)x[i] - mean) * ((double)x[i] - mean);
  double std = count > 0 ? sqrt(var / count) : 0.0;
  for (int i = 0; i < n; i++)
    x[i] = valid(mask, (size_t)i) ? (maml_real)(((double)x[i] - mean) / (std + 1e-8)) : 0;
  return std;
}

double maml_mean_episode_return(const maml_real *rewards, const maml_real *mask, int episodes,
                                int horizon) {
  if (episodes <= 0) return 0.0;
  double total = 0.0;
  for (size_t k = 0; k < (size_t)episodes * horizon; k++)
    if (valid(mask, k)) total += rewards[k];
  return total / episodes;
}
