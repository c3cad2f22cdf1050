/* Private to envs/: the family objects and the task helpers they share (parsing --goal
 * text, drawing directions). */
#ifndef MAML_ENVS_FAMILY_H
#define MAML_ENVS_FAMILY_H

#include "envs/env.h"

/* the six families, defined in half_cheetah.c, ant.c and nav2d.c */
extern const maml_env_family maml_family_cheetah_vel;
extern const maml_env_family maml_family_cheetah_dir;
extern const maml_env_family maml_family_ant_vel;
extern const maml_env_family maml_family_ant_dir;
extern const maml_env_family maml_family_ant_goal;
extern const maml_env_family maml_family_nav2d;

/* Parse exactly count comma-separated finite numbers from text into out, each in
 * [lo, hi]. family and what ("velocity", "position") name the goal in messages. */
maml_status maml_task_parse_range(const char *family, const char *what, const char *text, int count,
                                  double lo, double hi, double *out, char *err, size_t err_sz);

/* Parse a direction: exactly -1 or 1. */
maml_status maml_task_parse_direction(const char *family, const char *text, double *out, char *err,
                                      size_t err_sz);

/* -1 or +1 with probability 1/2 each. */
double maml_task_sample_direction(maml_rng *rng);

/* clip(x, lo, hi); NaN stays NaN */
static inline double maml_clip(double x, double lo, double hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

#endif
