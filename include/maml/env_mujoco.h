/* The building blocks of a robot with a MuJoCo model (maml/env.h's maml_env_robot), for a
 * robot defined in C anywhere, as the built-in half-cheetah and ant use them: give
 * reset = maml_mj_robot_reset, advance = maml_mj_robot_advance, observe = maml_mj_observe,
 * the observation as named parts (obs_parts, obs_dim = maml_mj_obs_size of them) and the
 * reset noise below, and the robot's model, sizes, costs and termination do the rest.
 *
 * Invariant kept by these functions: after a reset and after each step, the position- and
 * velocity-dependent quantities of mjData (xpos, xmat, xipos, subtree_com, cvel) describe
 * the current state (qpos, qvel), so observations and rewards (a task kind's included) read
 * a consistent state; with robot->forces, cfrc_ext holds the current state's external
 * forces too. A step costs what mj_step costs: the position and velocity stages that
 * mj_step runs at its start are run at the end of the previous step instead, and the
 * trajectory is mj_step's: frame_skip of them per step (one for the robots with frame_skip
 * 0 or 1), at the model's timestep. */
#ifndef MAML_ENV_MUJOCO_H
#define MAML_ENV_MUJOCO_H

#include <stddef.h>

#include "maml/env.h"

/* Reset noise of the built-in robots (docs/tasks.md): qpos + N(0, 0.01^2), qvel + N(0, 0.1^2)
 * per coordinate (a robot's qpos_noise and qvel_noise). */
#define MAML_MJ_QPOS_NOISE 0.01
#define MAML_MJ_QVEL_NOISE 0.1

/* A robot's reset: the model's initial state (its keyframe "init" when it has one, else
 * qpos0), plus N(0, qpos_noise^2) on each qpos and N(0, qvel_noise^2) on each qvel drawn
 * from rng in that order (robot->uniform_noise: U(-qpos_noise, qpos_noise) and
 * U(-qvel_noise, qvel_noise); rng NULL: no noise), then the derived quantities (mj_forward,
 * and cfrc_ext with robot->forces); info.x, y (the body's subtree centre of mass) and
 * forward_vel (its x velocity; qvel[0] with robot->root_velocity) set. Allocates nothing. */
void maml_mj_robot_reset(maml_env *e, maml_rng *rng);

/* A robot's step: the action clipped to [-1, 1] per actuator (NaN: 0; +-inf: +-1; either
 * makes the step unstable) and mapped onto its ctrlrange (when ctrllimited), robot->frame_skip
 * mj_steps (at least one) under that control, then info: x, y and forward_vel as at reset
 * (robot->com_displacement: forward_vel is the x displacement of the body's centre of mass
 * over the step divided by its duration, e->com_vel holding x and y; robot->root_velocity:
 * (qpos[0] after - before) / (frame_skip x timestep), qvel[0] after an unstable step);
 * ctrl_cost = robot->ctrl_cost * the sum of the clipped action's squares; contact_cost =
 * robot->contact_cost * the sum of clip(cfrc_ext, -1, 1)^2 over every body (robot->
 * contact_max > 0: of cfrc_ext^2 unclipped, capped at contact_max); goal_dist 0; unstable.
 * *done = unstable, or qpos[height_index] outside [z_min, z_max] when z_max > z_min (the
 * open range with z_open), or a broken angle_max or state_max rule (maml/env.h). Unstable:
 * a MuJoCo warning
 * in the step or a non-finite qpos, qvel or qacc; the instance is then back in its initial
 * state without noise. Returns the robot's shared reward terms: alive_bonus - ctrl_cost -
 * contact_cost (the task kind adds its own term). Allocates nothing. */
double maml_mj_robot_advance(maml_env *e, const maml_real *action, int *done);

/* A robot's observation: its obs_parts in order (maml/env.h's maml_env_obs_kind), read
 * from the current state into obs_dim numbers. */
void maml_mj_observe(const maml_env *e, maml_real *obs);

/* The size of an observation of these parts (up to the first MAML_OBS_END, at most
 * MAML_OBS_MAX_PARTS) for a model of nq, nv and nbody (nbody < 0: unknown): the robot's
 * obs_dim. -1 when a part does not fit (a qpos skip outside [0, nq], contact forces of an
 * unknown number of bodies, an unknown kind); why (n bytes) then says which part and why.
 * maml_env_register refuses a robot whose parts do not make its obs_dim with this text. */
int maml_mj_obs_size(const maml_env_obs_part *parts, int nq, int nv, int nbody, char *why,
                     size_t n);

#endif
