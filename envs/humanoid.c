/* The humanoid robot (family humanoid-dir), as PEARL's humanoid_dir defines it (katerakelly/
 * oyster, rlkit/envs/humanoid_dir.py, on gym 0.12's HumanoidEnv and humanoid.xml; our own
 * model: assets/humanoid.xml).
 * Observation (376): qpos[2:] (22: the root's x and y left out), qvel (23), then mjData's
 * cinert (140), cvel (84), qfrc_actuator (23) and cfrc_ext (84) of all 14 bodies, as they
 * are (not clipped). Five model steps of 3 ms an environment step (frame skip 5: 15 ms).
 * Shared reward: alive bonus 5, minus the control cost 0.1 * sum(ctrl^2) (the control in
 * [-0.4, 0.4]: 0.016 * sum(a^2) of the clipped normalised action), minus the contact cost
 * min(0.5e-6 * sum(cfrc_ext^2), 10).
 * The task's term (goal-heading, the family's weight 1.25): the source pays
 * 0.25 * d . (c1 - c0) / timestep, with c0, c1 the centre of mass before and after the step
 * and d the heading: the displacement over five model steps divided by ONE model step's
 * duration, five times the mean velocity. Kept, as the published returns have it: the
 * robot measures the mean velocity over the step (com_displacement; info.forward_vel is
 * true m/s) and the family weighs it 1.25 = 0.25 x 5.
 * Termination: the torso height qpos[2] outside [1, 2], or the simulation went unstable.
 * Reset: qpos0 (standing at z = 1.4) plus U(-0.01, 0.01) on every qpos and qvel.
 *
 * Where we differ from the source, on purpose:
 * - the action is clipped to [-1, 1] and mapped onto [-0.4, 0.4]; the source passes the
 *   action to MuJoCo as the control, which clamps it, but charges the control cost on the
 *   unclamped action (an action beyond the range costs more here than it moves);
 * - the centre of mass, cinert, cvel, qfrc_actuator and cfrc_ext are of the state after the
 *   step; mujoco-py's mjData after an RK4 mj_step holds those of the integrator's last
 *   intermediate stage (the centre of mass about 1e-6 m from the final state's);
 * - at reset qfrc_actuator is 0 (the control is reset); the source's first observation
 *   reads the previous episode's last control.
 * ProMP's humanoid_rand_direc_2d (jonasrothfuss/ProMP) has the same observation, reward,
 * termination, frame skip and reset; its task is a unit vector (a normalised 2D Gaussian:
 * the same uniform distribution of headings, given as (cos, sin) rather than the angle,
 * which an oracle observes), on gym 0.10.5, whose humanoid.xml had the left hip_y range
 * [-120, 20] instead of [-110, 20]. Both ran MuJoCo 1.50 through mujoco-py (cfrc_ext was
 * computed; MuJoCo 2.0 left it 0 unless asked). */
#include "envs/family.h"
#include "envs/mujoco_env.h"

#define HUMANOID_NQ 24
#define HUMANOID_NV 23
#define HUMANOID_NU 17
#define HUMANOID_NBODY 14

const maml_env_robot maml_robot_humanoid = {
    .name = "humanoid",
    .model_file = "humanoid.xml",
    .body = "torso",
    .gait = "run",
    .obs_dim = HUMANOID_NQ - 2 + HUMANOID_NV + 10 * HUMANOID_NBODY + 6 * HUMANOID_NBODY +
               HUMANOID_NV + 6 * HUMANOID_NBODY,
    .act_dim = HUMANOID_NU,
    .nq = HUMANOID_NQ,
    .nv = HUMANOID_NV,
    .nu = HUMANOID_NU,
    .nbody = HUMANOID_NBODY,
    .ngeom = 18,
    .qpos_noise = 0.01,
    .qvel_noise = 0.01,
    .uniform_noise = 1,
    .frame_skip = 5,
    .com_displacement = 1,
    .ctrl_cost = 0.016, /* 0.1 x 0.4^2 */
    .contact_cost = 0.5e-6,
    .contact_max = 10.0,
    .alive_bonus = 5.0,
    .height_index = 2,
    .z_min = 1.0,
    .z_max = 2.0,
    .forces = 1,
    .reset = maml_mj_robot_reset,
    .advance = maml_mj_robot_advance,
    .observe = maml_mj_observe,
    .obs_parts = {{MAML_OBS_QPOS, 2, 0},
                  {MAML_OBS_QVEL, 0, 0},
                  {MAML_OBS_CINERT, 0, 0},
                  {MAML_OBS_CVEL, 0, 0},
                  {MAML_OBS_QFRC_ACTUATOR, 0, 0},
                  {MAML_OBS_CFRC_EXT_RAW, 0, 0}},
    .view = {.distance = 5.0,
             .elevation = -20,
             .lookat_z = 0.9,
             .arrow_scale = 0.4,
             .arrow_width = 0.05,
             .arrow_height = 0.6,
             .arrow_side = 0.5,
             .arrow_gap = 0.2,
             .post_height = 1.8,
             .post_side = 1.0,
             .trail_width = 0.03,
             .trail_height = 0.02,
             .goal_radius = 0.3,
             .goal_height = 1.8},
};
