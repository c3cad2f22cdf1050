/* Private to envs/: the MuJoCo plumbing under the public robot helpers (maml/env_mujoco.h,
 * which states the invariant every function here keeps). */
#ifndef MAML_ENVS_MUJOCO_ENV_H
#define MAML_ENVS_MUJOCO_ENV_H

#include "envs/family.h"
#include "maml/env_mujoco.h"

/* Check the sizes a family's observation is built from; a message naming the model file
 * and the sizes found on mismatch. nbody < 0: not checked. */
maml_status maml_mj_check_sizes(const mjModel *m, const char *family, int nq, int nv, int nu,
                                int nbody, char *err, size_t err_sz);

/* Record the model's initial state (keyframe "init" when the model has one, else qpos0) in
 * w->init_state, for maml_mj_reset. MAML_ERR_NOMEM when out of memory. */
maml_status maml_mj_save_initial_state(maml_env_world *w);

/* Put the instance in the model's initial state (keyframe "init" when the model has one,
 * else qpos0), add the robot's reset noise drawn from rng (NULL: no noise; qpos coordinates first,
 * then qvel), then mj_forward. forces: also mj_rnePostConstraint (cfrc_ext).
 * Only the inputs of the dynamics are set (the state, the controls and applied forces, the
 * solver's warm start): mj_resetData clears all of mjData, far more than the state, once
 * per episode (perf: 7% of the half-cheetah sampler's time, docs/performance.md). The
 * result is the same as after mj_resetData (tests/test_envs.c checks it). */
void maml_mj_reset(maml_env *e, maml_rng *rng, int forces);

/* Clip the action to [-1, 1] per dimension, map it linearly onto each actuator's control
 * range (a motor without ctrllimited gets the clipped value) into d->ctrl, and return the
 * sum of squares of the clipped action. A component that is not finite counts as 0 and
 * sets *bad to 1 (else *bad is 0). */
double maml_mj_set_action(maml_env *e, const maml_real *action, int *bad);

/* Advance one step (the robot's frame_skip simulation steps) with the control in d->ctrl,
 * keeping the invariant of maml/env_mujoco.h. forces: then run the acceleration stage at the
 * new state with the same control and mj_rnePostConstraint, so that cfrc_ext holds the new
 * state's external forces. Returns 1 when the simulation went unstable: a MuJoCo warning was
 * raised during the step or qpos/qvel/qacc is not finite. The instance is then put back into
 * its initial state without noise, so that everything read afterwards is finite. */
int maml_mj_advance(maml_env *e, int forces);

/* x velocity of the torso subtree's centre of mass: subtree_linvel[torso].x as
 * mj_subtreeVel computes it (the mass-weighted velocity of the bodies' centres of mass,
 * from cvel), for the torso alone: mj_subtreeVel's angular momenta of every subtree would
 * cost 7% of a half-cheetah step. d->subtree_linvel itself is not filled. */
double maml_mj_forward_vel(const maml_env *e);

/* x and y velocity of the torso subtree's centre of mass, as maml_mj_forward_vel computes
 * x (the same arithmetic: vel[0] is its value bit for bit), for tasks that read the y
 * velocity too (a heading); forward_vel stays the cheaper x alone. */
void maml_mj_planar_vel(const maml_env *e, double vel[2]);

/* simulation steps per action of robot r (its frame_skip; 0 counts as 1) */
static inline int maml_mj_frame_skip(const maml_env_robot *r) {
  return r->frame_skip > 1 ? r->frame_skip : 1;
}

/* the torso subtree's centre of mass (subtree_com, 3 numbers) */
static inline const mjtNum *maml_mj_torso_com(const maml_env *e) {
  return e->data->subtree_com + 3 * e->world->torso_body;
}

#endif
