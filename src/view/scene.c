/* The picture: the scene of a robot without a model, the goal markers (the task kind's),
 * the velocity arrows, the trail, and the camera each robot starts with (the robot's view
 * hints, maml/env.h). Only mjv (no OpenGL) here. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "src/view/view_internal.h"

maml_status view_scene_model(const maml_env_robot *r, mjModel **out, char *err, size_t err_sz) {
  *out = NULL;
  if (!r->view.scene_xml)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "the robot %s has no scene to show", r->name);
  mjVFS *vfs = malloc(sizeof *vfs); /* about 2 MB: not for the stack */
  if (!vfs) return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory for %s's scene", r->name);
  mj_defaultVFS(vfs);
  int len = (int)strlen(r->view.scene_xml);
  char msg[512] = "";
  if (mj_makeEmptyFileVFS(vfs, "scene.xml", len) == 0) {
    int i = mj_findFileVFS(vfs, "scene.xml");
    memcpy(vfs->filedata[i], r->view.scene_xml, (size_t)len);
    *out = mj_loadXML("scene.xml", vfs, msg, (int)sizeof msg);
  }
  mj_deleteVFS(vfs);
  free(vfs);
  if (!*out)
    return maml_fail(err, err_sz, MAML_ERR_FORMAT, "%s's scene does not load: %s", r->name, msg);
  return MAML_OK;
}

void view_sync_scene(const mjModel *m, mjData *d, const view_show *s) {
  d->mocap_pos[0] = s->env.info.x;
  d->mocap_pos[1] = s->env.info.y;
  d->mocap_pos[2] = s->world->family->robot->view.scene_z;
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
  const maml_env_view *h = &f->robot->view;
  if (f->kind->marker == MAML_MARKER_NONE) return;
  if (f->kind->marker == MAML_MARKER_POSITION) {
    add_trail(scn, s, h->trail_width, h->trail_height);
    add_goal_position(scn, s->goal[0], s->goal[1], h->goal_radius, h->goal_height);
    return;
  }
  if (!s->world->model) return; /* no body to draw an arrow over */
  /* a goal velocity or direction: an arrow over the robot, beside it the velocity it has */
  const mjtNum *torso = d->xpos + 3 * body;
  if (f->kind->marker == MAML_MARKER_HEADING) { /* over the body, out along the heading */
    const double c = cos(s->goal[0]), sn = sin(s->goal[0]), len = 4 * h->arrow_scale;
    mjtNum from[3] = {torso[0], torso[1], torso[2] + h->arrow_height};
    mjtNum to[3] = {from[0] + len * c, from[1] + len * sn, from[2]};
    add_arrow(scn, from, to, h->arrow_width, marker_rgba, 0.8f);
    return;
  }
  int direction = f->kind->marker == MAML_MARKER_DIRECTION;
  double scale = h->arrow_scale, width = h->arrow_width;
  double goal_len = direction ? s->goal[0] * 1.0 : s->goal[0] * scale;
  double z = torso[2] + h->arrow_height, y = torso[1] + h->arrow_side; /* behind it */
  mjtNum from[3] = {torso[0], y, z}, to[3] = {torso[0] + goal_len, y, z};
  if (fabs(goal_len) > 1e-3) add_arrow(scn, from, to, width, marker_rgba, 0.8f);
  double v = s->env.info.forward_vel;
  double vel_len = fmax(-3.0, fmin(3.0, v * scale));
  mjtNum vfrom[3] = {torso[0], y, z - h->arrow_gap};
  mjtNum vto[3] = {torso[0] + vel_len, y, vfrom[2]};
  if (fabs(vel_len) > 1e-3) add_arrow(scn, vfrom, vto, width * 0.8, velocity_rgba, 0.5f);
  if (!direction) { /* a post that moves at the goal velocity from where the robot started */
    double x = s->x0 + s->goal[0] * s->t * s->dt, ph = h->post_height;
    mjtNum size[3] = {0.025, 0.025, ph / 2}, pos[3] = {x, h->post_side, ph / 2};
    add_geom(scn, mjGEOM_BOX, size, pos, marker_rgba, 0.8f);
  }
}

void view_default_camera(mjvCamera *cam, const maml_env_family *f, int body, int track) {
  const maml_env_view *h = &f->robot->view;
  mjv_defaultCamera(cam);
  cam->type = track ? mjCAMERA_TRACKING : mjCAMERA_FREE;
  cam->trackbodyid = body;
  cam->azimuth = 90;
  cam->elevation = h->elevation;
  if (h->top_down) { /* the arena from above, a little tilted */
    cam->lookat[0] = cam->lookat[1] = cam->lookat[2] = 0;
    cam->distance = track || h->free_distance <= 0 ? h->distance : h->free_distance;
    return;
  }
  cam->distance = h->distance;
  cam->lookat[2] = h->lookat_z;
}
