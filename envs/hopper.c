/* The hopper robot (family hopper-params), as rand_param_envs defines it
 * (dennisl88/rand_param_envs: hopper_rand_params.py, base.py, its bundled gym's mujoco_env.py
 * and assets/hopper.xml; ProMP and PEARL use that package):
 * - frame skip 4: RandomEnv.__init__ calls MujocoEnv.__init__(file, 4) whatever the robot
 *   asks; the model's timestep is 0.004 there, so an action lasts dt = 0.016 s;
 * - observation (11): qpos[1:] (the root's x left out) and clip(qvel, -10, 10);
 * - reward: (x_after - x_before) / dt of the root's x slide + 1 (alive bonus) - 1e-3 sum(a^2)
 *   (the forward velocity is the dynamics task kind's term, the rest this robot's);
 * - done unless the state is finite, |qpos[2:]| and |qvel| < 100, height qpos[1] > 0.7 and
 *   |angle| = |qpos[2]| < 0.2, each strict;
 * - reset: qpos0 and zero qvel plus U(-0.005, 0.005) on each coordinate.
 * The action is clipped to [-1, 1] (its ctrlrange), as ProMP's normalize wrapper does. */
#include <math.h>

#include "envs/family.h"
#include "envs/mujoco_env.h"

#define HOPPER_NQ 6
#define HOPPER_NV 6
#define HOPPER_NU 3

const maml_env_robot maml_robot_hopper = {
    .name = "hopper",
    .model_file = "hopper.xml",
    .body = "torso",
    .gait = "hop",
    .obs_dim = HOPPER_NQ - 1 + HOPPER_NV,
    .act_dim = HOPPER_NU,
    .nq = HOPPER_NQ,
    .nv = HOPPER_NV,
    .nu = HOPPER_NU,
    .nbody = 5,
    .ngeom = 5,
    .qpos_noise = 0.005,
    .qvel_noise = 0.005,
    .uniform_noise = 1,
    .ctrl_cost = 1e-3,
    .alive_bonus = 1.0,
    .height_index = 1, /* rootz */
    .z_min = 0.7,
    .z_max = HUGE_VAL,
    .z_open = 1,
    .angle_index = 2, /* rooty */
    .angle_max = 0.2,
    .state_max = 100.0,
    .frame_skip = 4,
    .root_velocity = 1,
    .reset = maml_mj_robot_reset,
    .advance = maml_mj_robot_advance,
    .observe = maml_mj_observe,
    .obs_parts = {{MAML_OBS_QPOS, 1, 0}, {MAML_OBS_QVEL_CLIP, 0, 10.0}},
    .view = {.distance = 3.0,
             .elevation = -20,
             .lookat_z = 0.8,
             .arrow_scale = 0.5,
             .arrow_width = 0.05,
             .arrow_height = 0.6,
             .arrow_side = 0.3,
             .arrow_gap = 0.15,
             .post_height = 1.2,
             .post_side = 0.6,
             .trail_width = 0.03,
             .trail_height = 0.02,
             .goal_radius = 0.3,
             .goal_height = 1.2},
};
