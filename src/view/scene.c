/* The picture: nav2d's model, the goal markers, the velocity arrows, the trail, and the
 * camera each family starts with. Only mjv (no OpenGL) here. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "src/view/view_internal.h"

#define NAV2D_AGENT_RADIUS 0.03

/* nav2d's arena: the goal region [-0.5, 0.5]^2 outlined on a checker floor, the agent a
 * mocap body that the viewer moves to the episode's point */
static const char nav2d_xml[] =
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

maml_status view_nav2d_model(mjModel **out, char *err, size_t err_sz) {
  *out = NULL;
  mjVFS *vfs = malloc(sizeof *vfs); /* about 2 MB: not for the stack */
  if (!vfs) return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory for nav2d's model");
  mj_defaultVFS(vfs);
  int len = (int)strlen(nav2d_xml);
  char msg[512] = "";
  if (mj_makeEmptyFileVFS(vfs, "nav2d.xml", len) == 0) {
    int i = mj_findFileVFS(vfs, "nav2d.xml");
    memcpy(vfs->filedata[i], nav2d_xml, (size_t)len);
    *out = mj_loadXML("nav2d.xml", vfs, msg, (int)sizeof msg);
  }
  mj_deleteVFS(vfs);
  free(vfs);
  if (!*out) return maml_fail(err, err_sz, MAML_ERR_FORMAT, "nav2d's scene does not load: %s", msg);
  return MAML_OK;
}

void view_sync_nav2d(const mjModel *m, mjData *d, const view_show *s) {
  d->mocap_pos[0] = s->env.point[0];
  d->mocap_pos[1] = s->env.point[1];
  d->mocap_pos[2] = NAV2D_AGENT_RADIUS;
  mj_forward(m, d);
}

/* a decor geom at the end of the scene's list, or NULL when the list is full */
static mjvGeom *add_geom(mjvScene *scn, int type, const mjtNum *size, const mjtNum *pos,
                         const float *rgba, float emission) {
  if (scn->ngeom >= scn->maxgeom) return NULL;
  mjvGeom *g = &scn->geoms[scn->ngeom++];
  mjv_initGeom(g, type, size, pos, NULL, rgba);
  g->category = mjCAT_DECOR;
  g->emission = emission;
  g->specular = 0.2f;
  return g;
}

static void add_arrow(mjvScene *scn, const mjtNum *from, const mjtNum *to, mjtNum width,
                      const float *rgba, float emission) {
  mjvGeom *g = add_geom(scn, mjGEOM_ARROW, NULL, NULL, rgba, emission);
  if (g) mjv_makeConnector(g, mjGEOM_ARROW, width, from[0], from[1], from[2], to[0], to[1], to[2]);
}

static const float marker_rgba[4] = {MAML_VIEW_MARKER_R, MAML_VIEW_MARKER_G, MAML_VIEW_MARKER_B,
                                     1.0f};
static const float velocity_rgba[4] = {0.2f, 0.9f, 0.4f, 1.0f};
static const float trail_rgba[4] = {0.95f, 0.95f, 0.85f, 0.9f};

/* a goal position: a disc on the floor and a pole with a ball on top */
static void add_goal_position(mjvScene *scn, double x, double y, double radius, double height) {
  mjtNum disc[3] = {radius, radius, 0.003}, at[3] = {x, y, 0.003};
  add_geom(scn, mjGEOM_CYLINDER, disc, at, marker_rgba, 0.8f);
  if (height <= 0) return;
  mjtNum pole[3] = {radius * 0.08, radius * 0.08, height / 2}, mid[3] = {x, y, height / 2};
  add_geom(scn, mjGEOM_CYLINDER, pole, mid, marker_rgba, 0.8f);
  mjtNum ball[3] = {radius * 0.3, 0, 0}, top[3] = {x, y, height};
  add_geom(scn, mjGEOM_SPHERE, ball, top, marker_rgba, 0.8f);
}

static void add_trail(mjvScene *scn, const view_show *s, double width, double z) {
  for (int i = 1; i < s->n_trail; i++) {
    mjvGeom *g = add_geom(scn, mjGEOM_CAPSULE, NULL, NULL, trail_rgba, 0.5f);
    if (!g) return;
    const double *a = s->trail[i - 1], *b = s->trail[i];
    if (a[0] == b[0] && a[1] == b[1]) { /* a connector needs a direction */
      scn->ngeom--;
      continue;
    }
    mjv_makeConnector(g, mjGEOM_CAPSULE, width, a[0], a[1], z, b[0], b[1], z);
  }
}

void view_add_markers(mjvScene *scn, const view_show *s, const mjData *d, int body) {
  const maml_env_family *f = s->world->family;
  if (!s->world->model) { /* nav2d */
    add_trail(scn, s, 0.006, 0.01);
    add_goal_position(scn, s->goal[0], s->goal[1], 0.04, 0.0);
    return;
  }
  int ant = !strcmp(f->robot, "ant");
  const mjtNum *torso = d->xpos + 3 * body;
  if (f->task_dim == 2) { /* ant-goal */
    add_trail(scn, s, 0.03, 0.02);
    add_goal_position(scn, s->goal[0], s->goal[1], 0.3, 1.2);
    return;
  }
  /* a goal velocity or direction: an arrow over the robot, beside it the velocity it has */
  int direction = strstr(f->name, "-dir") != NULL;
  double scale = ant ? 0.6 : 0.5, width = ant ? 0.08 : 0.05;
  double goal_len = direction ? s->goal[0] * 1.0 : s->goal[0] * scale;
  double z = torso[2] + (ant ? 0.8 : 0.4), y = torso[1] + (ant ? 0.5 : 0.3); /* behind it */
  mjtNum from[3] = {torso[0], y, z}, to[3] = {torso[0] + goal_len, y, z};
  if (fabs(goal_len) > 1e-3) add_arrow(scn, from, to, width, marker_rgba, 0.8f);
  double v = s->env.info.forward_vel;
  double vel_len = fmax(-3.0, fmin(3.0, v * scale));
  mjtNum vfrom[3] = {torso[0], y, z - (ant ? 0.25 : 0.15)};
  mjtNum vto[3] = {torso[0] + vel_len, torso[1], vfrom[2]};
  if (fabs(vel_len) > 1e-3) add_arrow(scn, vfrom, vto, width * 0.8, velocity_rgba, 0.5f);
  if (!direction) { /* a post that moves at the goal velocity from where the robot started */
    double x = s->x0 + s->goal[0] * s->t * s->dt, h = ant ? 1.2 : 0.9;
    mjtNum size[3] = {0.025, 0.025, h / 2}, pos[3] = {x, ant ? 1.2 : 0.6, h / 2};
    add_geom(scn, mjGEOM_BOX, size, pos, marker_rgba, 0.8f);
  }
}

void view_default_camera(mjvCamera *cam, const maml_env_family *f, int body, int track) {
  mjv_defaultCamera(cam);
  if (!f->model_file) { /* nav2d: the arena from above, a little tilted */
    cam->type = track ? mjCAMERA_TRACKING : mjCAMERA_FREE;
    cam->trackbodyid = body;
    cam->lookat[0] = cam->lookat[1] = cam->lookat[2] = 0;
    cam->distance = track ? 1.2 : 2.4;
    cam->azimuth = 90;
    cam->elevation = -80;
    return;
  }
  int ant = !strcmp(f->robot, "ant");
  cam->type = track ? mjCAMERA_TRACKING : mjCAMERA_FREE;
  cam->trackbodyid = body;
  cam->distance = ant ? 7.0 : 4.5;
  cam->azimuth = 90;
  cam->elevation = ant ? -30 : -12;
  cam->lookat[2] = ant ? 0.5 : 0.4;
}
