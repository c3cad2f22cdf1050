/* The built-in families (docs/tasks.md): a robot, a task kind with its distribution, a horizon
 * and the defaults of the preset (0: the common default of maml/env.h). The registry
 * (registry.c) fills the rest. */
#include "envs/family.h"

static const maml_env_family cheetah_vel = {
    .name = "cheetah-vel",
    .robot = &maml_robot_half_cheetah,
    .kind = &maml_task_goal_velocity,
    .dist = {.lo = 0.0, .hi = 2.0, .example = "1.5"},
    .horizon = 200,
};

static const maml_env_family cheetah_dir = {
    .name = "cheetah-dir",
    .robot = &maml_robot_half_cheetah,
    .kind = &maml_task_goal_direction,
    .horizon = 200,
};

static const maml_env_family ant_vel = {
    .name = "ant-vel",
    .robot = &maml_robot_ant,
    .kind = &maml_task_goal_velocity,
    .dist = {.lo = 0.0, .hi = 3.0, .bonus = 1.0, .example = "1.5"},
    .horizon = 200,
};

static const maml_env_family ant_dir = {
    .name = "ant-dir",
    .robot = &maml_robot_ant,
    .kind = &maml_task_goal_direction,
    .horizon = 200,
    .preset = {.episodes = 40, .eval_episodes = 40},
};

/* reward: the L1 distance of the torso COM to the goal */
static const maml_env_family ant_goal = {
    .name = "ant-goal",
    .robot = &maml_robot_ant,
    .kind = &maml_task_goal_position,
    .dist = {.lo = -3.0, .hi = 3.0, .bonus = 4.0, .norm = 1, .example = "0.3,-0.2"},
    .horizon = 200,
};

/* r = -||p - g|| after the move; the episode ends when both coordinates are within 0.01 of
 * the goal */
static const maml_env_family nav2d = {
    .name = "nav2d",
    .robot = &maml_robot_point,
    .kind = &maml_task_goal_position,
    .dist = {.lo = -0.5, .hi = 0.5, .norm = 2, .reach_tol = 0.01, .example = "0.3,-0.2"},
    .horizon = 100,
    .preset = {.tasks = 20, .iterations = 100, .eval_episodes = 40, .eval_steps = 4},
};

/* dynamics tasks (task_dynamics.c): every body mass, inertia and geom friction x 1.5^u,
 * every dof damping x 1.3^u, u ~ U[-3, 3] each; the reward is the robot's forward run */
static const maml_env_family cheetah_params = {
    .name = "cheetah-params",
    .robot = &maml_robot_half_cheetah,
    .kind = &maml_task_dynamics,
    .dist = {.lo = -3.0, .hi = 3.0, .params = MAML_DYN_ALL},
    .horizon = 200,
};

static const maml_env_family ant_params = {
    .name = "ant-params",
    .robot = &maml_robot_ant,
    .kind = &maml_task_dynamics,
    .dist = {.lo = -3.0, .hi = 3.0, .params = MAML_DYN_ALL},
    .horizon = 200,
};

/* PEARL's humanoid_dir (envs/humanoid.c): heading ~ U[0, 2 pi); the velocity term is the
 * source's 0.25 / timestep on the displacement over 5 model steps: 1.25 x the mean velocity.
 * Horizon 200 (PEARL's max_path_length; ProMP's run scripts: 100); 40 tasks x 20 episodes
 * (ProMP's meta_batch_size and rollouts_per_meta_task) */
static const maml_env_family humanoid_dir = {
    .name = "humanoid-dir",
    .robot = &maml_robot_humanoid,
    .kind = &maml_task_goal_heading,
    .dist = {.weight = 1.25, .example = "0.7854"},
    .horizon = 200,
    .preset = {.tasks = 40, .episodes = 20},
    .note =
        "PEARL's humanoid_dir: frame skip 5, 1.25 x the velocity along the heading (the "
        "source's displacement / timestep)",
};

/* rand_param_envs' random-physics hopper and walker (envs/hopper.c, envs/walker2d.c: frame
 * skip 4, reward v_x + 1 - 1e-3 sum(a^2), their healthy rules), as ProMP ran them: horizon
 * 200, 40 tasks x 20 episodes, inner step size 0.05 (docs/tasks.md; ProMP's run
 * scripts name no hopper or walker config: their default is inner_lr 0.1, hidden 64,64) */
static const maml_env_family hopper_params = {
    .name = "hopper-params",
    .robot = &maml_robot_hopper,
    .kind = &maml_task_dynamics,
    .dist = {.lo = -3.0, .hi = 3.0, .params = MAML_DYN_ALL},
    .horizon = 200,
    .preset = {.alpha = 0.05},
    .note =
        "rand_param_envs' hopper (ProMP, PEARL): frame skip 4 at timestep 0.004, v_x of "
        "the root's x",
};

static const maml_env_family walker_params = {
    .name = "walker-params",
    .robot = &maml_robot_walker2d,
    .kind = &maml_task_dynamics,
    .dist = {.lo = -3.0, .hi = 3.0, .params = MAML_DYN_ALL},
    .horizon = 200,
    .preset = {.alpha = 0.05},
    .note =
        "rand_param_envs' walker2d (ProMP, PEARL): frame skip 4 (not its own 5) at "
        "timestep 0.004, v_x of the root's x",
};

const maml_env_family *const maml_builtin_families[] = {
    &cheetah_vel,    &cheetah_dir, &ant_vel,      &ant_dir,       &ant_goal,      &nav2d,
    &cheetah_params, &ant_params,  &humanoid_dir, &hopper_params, &walker_params,
};
const int maml_builtin_family_count =
    (int)(sizeof maml_builtin_families / sizeof maml_builtin_families[0]);
