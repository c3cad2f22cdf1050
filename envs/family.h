/* Private to envs/: the built-in families and the task helpers only the kinds of envs/ use.
 * The robots, the task kinds and the parse helpers are public (maml/env.h). */
#ifndef MAML_ENVS_FAMILY_H
#define MAML_ENVS_FAMILY_H

#include "maml/env.h"

/* the built-in families (families.c), in the registry's order */
extern const maml_env_family *const maml_builtin_families[];
extern const int maml_builtin_family_count;

/* -1 or +1 with probability 1/2 each. */
double maml_task_sample_direction(maml_rng *rng);

/* clip(x, lo, hi); NaN stays NaN */
static inline double maml_clip(double x, double lo, double hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

#endif
