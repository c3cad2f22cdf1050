/* The point robot of 2D navigation (docs/tasks.md; family nav2d), pure C: a point starts at
 * (0, 0) and moves by the action. Observation: the point. The action follows the rule of
 * every robot: clipped to [-1, 1] per coordinate, then mapped linearly onto the move range
 * [-0.1, 0.1], so a move is 0.1 * clip(a, -1, 1). (The paper's code wrapped its point
 * environment the same way, with rllab's normalize(); clipping the raw action to
 * [-0.1, 0.1] instead makes the initial std of 1 ten times wider relative to the range, and
 * the policy never gets precise enough to stop on the goal.) No shared reward terms; the
 * episode ends when an action is not finite (the goal position task ends it at the goal). */
#include <math.h>

#include "envs/family.h"

#define POINT_STEP_MAX 0.1

/* the picture for the viewer: the goal region [-0.5, 0.5]^2 outlined on a checker floor,
 * the agent a mocap body that the viewer moves to the episode's point */
static const char point_scene[] =
    "<mujoco model='nav2d'>\n"
    "  <visual><quality shadowsize='2048'/><headlight ambient='0.3 0.3 0.3'/></visual>\n"
    "  <asset>\n"
    "    <texture name='sky' type='skybox' builtin='gradient' rgb1='0.45 0.6 0.75'\n"
    "             rgb2='0.05 0.05 0.1' width='256' height='256'/>\n"
    "    <texture name='checker' type='2d' builtin='checker' rgb1='0.2 0.3 0.35'\n"
    "             rgb2='0.12 0.18 0.22' width='128' height='128'/>\n"
    "    <material name='floor' texture='checker' texrepeat='8 8' reflectance='0.1'/>\n"
    "  </asset>\n"
    "  <worldbody>\n"
    "    <light pos='0 0 4' dir='0 0 -1' directional='true' diffuse='0.6 0.6 0.6'/>\n"
    "    <geom name='floor' type='plane' size='2 2 0.1' material='floor'/>\n"
    "    <geom type='box' size='0.5 0.004 0.002' pos='0 0.5 0.002' rgba='0.8 0.8 0.8 1'/>\n"
    "    <geom type='box' size='0.5 0.004 0.002' pos='0 -0.5 0.002' rgba='0.8 0.8 0.8 1'/>\n"
    "    <geom type='box' size='0.004 0.5 0.002' pos='0.5 0 0.002' rgba='0.8 0.8 0.8 1'/>\n"
    "    <geom type='box' size='0.004 0.5 0.002' pos='-0.5 0 0.002' rgba='0.8 0.8 0.8 1'/>\n"
    "    <body name='agent' mocap='true' pos='0 0 0.03'>\n"
    "      <geom type='sphere' size='0.03' rgba='0.85 0.6 0.35 1' contype='0' conaffinity='0'/>\n"
    "    </body>\n"
    "  </worldbody>\n"
    "</mujoco>\n";

static void point_reset(maml_env *e, maml_rng *rng) {
  (void)rng;
  e->point[0] = 0.0;
  e->point[1] = 0.0;
}

static void point_observe(const maml_env *e, maml_real *obs) {
  obs[0] = (maml_real)e->point[0];
  obs[1] = (maml_real)e->point[1];
}

/* returns -0.0, the identity of addition: no shared terms */
static double point_advance(maml_env *e, const maml_real *action, int *done) {
  int bad = 0;
  for (int i = 0; i < 2; i++) {
    double a = (double)action[i];
    if (!isfinite(a)) {
      bad = 1;
      if (isnan(a)) a = 0.0;
    }
    e->point[i] += POINT_STEP_MAX * maml_clip(a, -1.0, 1.0);
  }
  e->info.x = e->point[0];
  e->info.y = e->point[1];
  e->info.unstable = bad;
  *done = bad;
  return -0.0;
}

const maml_env_robot maml_robot_point = {
    .name = "point",
    .model_file = NULL,
    .body = NULL,
    .gait = "move",
    .obs_dim = 2,
    .act_dim = 2,
    .nbody = -1,
    .reset = point_reset,
    .advance = point_advance,
    .observe = point_observe,
    .view = {.distance = 1.2,
             .free_distance = 2.4,
             .elevation = -80,
             .lookat_z = 0,
             .top_down = 1,
             .trail_width = 0.006,
             .trail_height = 0.01,
             .goal_radius = 0.04,
             .goal_height = 0.0,
             .scene_xml = point_scene,
             .scene_z = 0.03,
             .shown_dt = 0.05},
};
