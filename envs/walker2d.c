/* The walker2d robot (family walker-params), as rand_param_envs defines it
 * (dennisl88/rand_param_envs: walker2d_rand_params.py, base.py, its bundled gym's
 * mujoco_env.py and assets/walker2d.xml; ProMP and PEARL use that package):
 * - frame skip 4: the walker asks for 5, but RandomEnv.__init__ calls
 *   MujocoEnv.__init__(file, 4) whatever it is given; the model's timestep is 0.004 there, so
 *   an action lasts dt = 0.016 s;
 * - observation (17): qpos[1:] (the root's x left out) and clip(qvel, -10, 10);
 * - reward: (x_after - x_before) / dt of the root's x slide + 1 (alive bonus) - 1e-3 sum(a^2)
 *   (the forward velocity is the dynamics task kind's term, the rest this robot's);
 * - done unless 0.8 < height qpos[1] < 2 and -1 < angle qpos[2] < 1 (no finiteness or state
 *   bound of its own: a non-finite state ends any episode here as unstable);
 * - reset: qpos0 and zero qvel plus U(-0.005, 0.005) on each coordinate.
 * The action is clipped to [-1, 1] (its ctrlrange), as ProMP's normalize wrapper does. */
#include "envs/family.h"
#include "envs/mujoco_env.h"

#define WALKER_NQ 9
#define WALKER_NV 9
#define WALKER_NU 6

const maml_env_robot maml_robot_walker2d = {
    .name = "walker2d",
    .model_file = "walker2d.xml",
    .body = "torso",
    .gait = "walk",
    .obs_dim = WALKER_NQ - 1 + WALKER_NV,
    .act_dim = WALKER_NU,
    .nq = WALKER_NQ,
    .nv = WALKER_NV,
    .nu = WALKER_NU,
    .nbody = 8,
    .ngeom = 8,
    .qpos_noise = 0.005,
    .qvel_noise = 0.005,
    .uniform_noise = 1,
    .ctrl_cost = 1e-3,
    .alive_bonus = 1.0,
    .height_index = 1, /* rootz */
    .z_min = 0.8,
    .z_max = 2.0,
    .z_open = 1,
    .angle_index = 2, /* rooty */
    .angle_max = 1.0,
    .frame_skip = 4,
    .root_velocity = 1,
    .reset = maml_mj_robot_reset,
    .advance = maml_mj_robot_advance,
    .observe = maml_mj_observe,
    .obs_parts = {{MAML_OBS_QPOS, 1, 0}, {MAML_OBS_QVEL_CLIP, 0, 10.0}},
    .view = {.distance = 4.0,
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
