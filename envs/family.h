/* Private to envs/: the built-in robots, task kinds and families, and the task helpers the
 * kinds share (parsing --goal text, drawing directions). */
#ifndef MAML_ENVS_FAMILY_H
#define MAML_ENVS_FAMILY_H

#include "envs/env.h"

/* the robots, defined in half_cheetah.c, ant.c and point.c */
extern const maml_env_robot maml_robot_half_cheetah;
extern const maml_env_robot maml_robot_ant;
extern const maml_env_robot maml_robot_point;

/* the task kinds, defined in tasks.c */
extern const maml_env_task_kind maml_task_goal_velocity;
extern const maml_env_task_kind maml_task_goal_direction;
extern const maml_env_task_kind maml_task_goal_position;
extern const maml_env_task_kind maml_task_goal_heading; /* task_heading.c */
extern const maml_env_task_kind maml_task_dynamics; /* task_dynamics.c */

/* the built-in families (families.c), in the registry's order */
extern const maml_env_family *const maml_builtin_families[];
extern const int maml_builtin_family_count;

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
