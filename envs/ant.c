/* The ant robot (docs/tasks.md; families ant-vel, ant-dir, ant-goal).
 * Observation (125): qpos (15), qvel (14), clip(cfrc_ext, -1, 1) of all 14 bodies (84),
 * torso xmat (9), torso COM (3).
 * Shared reward: survive bonus +0.05 minus ctrl = 0.005 * sum(a^2) (clipped normalised
 * action) and contact = 0.0005 * sum(clip(cfrc_ext, -1, 1)^2).
 * Termination: the simulation went unstable (a non-finite state included), or torso z
 * (qpos[2], the free joint at the torso's origin) outside [0.2, 1.0]. */
#include "envs/family.h"
#include "envs/mujoco_env.h"

#define ANT_NQ 15
#define ANT_NV 14
#define ANT_NU 8
#define ANT_NBODY 14

const maml_env_robot maml_robot_ant = {
    .name = "ant",
    .model_file = "ant.xml",
    .body = "torso",
    .gait = "walk",
    .obs_dim = ANT_NQ + ANT_NV + 6 * ANT_NBODY + 9 + 3,
    .act_dim = ANT_NU,
    .nq = ANT_NQ,
    .nv = ANT_NV,
    .nu = ANT_NU,
    .nbody = ANT_NBODY,
    .ngeom = 14,
    .qpos_noise = MAML_MJ_QPOS_NOISE,
    .qvel_noise = MAML_MJ_QVEL_NOISE,
    .ctrl_cost = 0.005,
    .contact_cost = 0.0005,
    .alive_bonus = 0.05,
    .height_index = 2,
    .z_min = 0.2,
    .z_max = 1.0,
    .forces = 1,
    .reset = maml_mj_robot_reset,
    .advance = maml_mj_robot_advance,
    .observe = maml_mj_observe,
    .obs_parts = {{MAML_OBS_QPOS, 0, 0},
                  {MAML_OBS_QVEL, 0, 0},
                  {MAML_OBS_CFRC_EXT, 0, 0},
                  {MAML_OBS_BODY_XMAT, 0, 0},
                  {MAML_OBS_BODY_COM, 0, 0}},
    .view = {.distance = 7.0,
             .elevation = -30,
             .lookat_z = 0.5,
             .arrow_scale = 0.6,
             .arrow_width = 0.08,
             .arrow_height = 0.8,
             .arrow_side = 0.5,
             .arrow_gap = 0.25,
             .post_height = 1.2,
             .post_side = 1.2,
             .trail_width = 0.03,
             .trail_height = 0.02,
             .goal_radius = 0.3,
             .goal_height = 1.2},
};
