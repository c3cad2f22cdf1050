/* The half-cheetah robot (docs/tasks.md; families cheetah-vel and cheetah-dir).
 * Observation (20): qpos[1:] (root x left out), qvel, torso COM.
 * Shared reward: -0.05 * sum(a^2); never terminates (except when the simulation goes
 * unstable). */
#include "envs/family.h"
#include "envs/mujoco_env.h"

#define CHEETAH_NQ 9
#define CHEETAH_NV 9
#define CHEETAH_NU 6

const maml_env_robot maml_robot_half_cheetah = {
    .name = "half-cheetah",
    .model_file = "half_cheetah.xml",
    .body = "torso",
    .gait = "run",
    .obs_dim = CHEETAH_NQ - 1 + CHEETAH_NV + 3,
    .act_dim = CHEETAH_NU,
    .nq = CHEETAH_NQ,
    .nv = CHEETAH_NV,
    .nu = CHEETAH_NU,
    .nbody = 8,
    .ngeom = 9,
    .qpos_noise = MAML_MJ_QPOS_NOISE,
    .qvel_noise = MAML_MJ_QVEL_NOISE,
    .ctrl_cost = 0.05,
    .contact_cost = 0.0,
    .alive_bonus = 0.0,
    .z_min = 0.0,
    .z_max = 0.0, /* never falls */
    .forces = 0,
    .reset = maml_mj_robot_reset,
    .advance = maml_mj_robot_advance,
    .observe = maml_mj_observe,
    .obs_parts = {{MAML_OBS_QPOS, 1, 0}, {MAML_OBS_QVEL, 0, 0}, {MAML_OBS_BODY_COM, 0, 0}},
    .view = {.distance = 4.5,
             .elevation = -12,
             .lookat_z = 0.4,
             .arrow_scale = 0.5,
             .arrow_width = 0.05,
             .arrow_height = 0.4,
             .arrow_side = 0.3,
             .arrow_gap = 0.15,
             .post_height = 0.9,
             .post_side = 0.6,
             .trail_width = 0.03,
             .trail_height = 0.02,
             .goal_radius = 0.3,
             .goal_height = 1.2},
};
