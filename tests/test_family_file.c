/* Families in files (envs/family_file.c): a file that describes the half-cheetah of
 * cheetah-vel or the ant of ant-vel with the model, body and observation parts steps those
 * built-in families' trajectories exactly (observations, rewards, ends); every key lands in
 * the family; each malformed file is refused with a message naming the file, the line and
 * the key, and registers nothing; the same file again is the same family, a different one
 * under a taken name is refused. Each test runs in its own process. */
#define _XOPEN_SOURCE 700 /* realpath, mkdtemp */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maml/env.h"

#define ERR_SZ 8192

static char dir[] = "/tmp/maml-test-family-file-XXXXXX";

static void make_dir(void) {
  cr_assert_not_null(mkdtemp(dir));
}

/* write text to dir/name; the path in path */
static void write_file(const char *name, const char *text, char *path, size_t n) {
  snprintf(path, n, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
}

static void remove_dir(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
}

TestSuite(family_file, .init = make_dir, .fini = remove_dir);

static const char cheetah_text[] =
    "# cheetah-vel as a file\n"
    "[family]\n"
    "name = file-cheetah\n"
    "model = " MAML_TEST_ASSETS
    "/half_cheetah.xml\n"
    "body = torso\n"
    "observation = qpos[1:], qvel, body-com\n"
    "ctrl_cost = 0.05\n"
    "task = goal-velocity\n"
    "goal_range = 0, 2\n"
    "horizon = 200\n";

static const char ant_text[] =
    "name = file-ant\n"
    "model = " MAML_TEST_ASSETS
    "/ant.xml\n"
    "body = torso\n"
    "observation = qpos, qvel, contact-forces, body-orientation, body-com\n"
    "ctrl_cost = 0.005\n"
    "contact_cost = 0.0005\n"
    "alive_bonus = 0.05\n"
    "termination = 0.2, 1.0\n"
    "height_index = 2\n"
    "task = goal-velocity\n"
    "goal_range = 0, 3\n"
    "bonus = 1\n";

/* register the file's family; its name */
static const maml_env_family *use(const char *name, const char *text) {
  char path[512], family[64], err[ERR_SZ] = "";
  write_file(name, text, path, sizeof path);
  cr_assert_eq(maml_env_use(path, family, sizeof family, NULL, err, sizeof err), MAML_OK, "%s",
               err);
  const maml_env_family *f = maml_env_find(family);
  cr_assert_not_null(f);
  return f;
}

/* fixed-seed episodes of two families, step by step: the same observations, rewards, ends */
static int same_trajectories(const char *a_name, const char *b_name, int steps) {
  maml_env_world wa, wb;
  char err[ERR_SZ];
  cr_assert_eq(maml_env_world_open(&wa, a_name, 0, NULL, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(maml_env_world_open(&wb, b_name, 0, NULL, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(wa.obs_dim, wb.obs_dim);
  maml_env ea, eb;
  cr_assert_eq(maml_env_init(&ea, &wa, err, sizeof err), MAML_OK);
  cr_assert_eq(maml_env_init(&eb, &wb, err, sizeof err), MAML_OK);
  int od = wa.obs_dim, ad = wa.family->act_dim, ends = 0;
  maml_real *oa = calloc((size_t)od, sizeof *oa), *ob = calloc((size_t)od, sizeof *ob);
  maml_real *act = calloc((size_t)ad, sizeof *act);
  for (int ep = 0; ep < 3; ep++) {
    maml_rng ra, rb, ract;
    maml_rng_init(&ra, 7, 0, 0, 0, (uint32_t)ep);
    maml_rng_init(&rb, 7, 0, 0, 0, (uint32_t)ep);
    maml_rng_init(&ract, 9, 0, 1, 0, (uint32_t)ep);
    double task = 1.0 + 0.5 * ep;
    maml_env_reset(&ea, &task, &ra, oa);
    maml_env_reset(&eb, &task, &rb, ob);
    cr_assert_eq(memcmp(oa, ob, (size_t)od * sizeof *oa), 0, "episode %d's first observation", ep);
    for (int t = 0; t < steps; t++) {
      for (int i = 0; i < ad; i++) act[i] = (maml_real)(3.0 * maml_rng_normal(&ract));
      double r_a, r_b;
      int d_a, d_b;
      maml_env_step(&ea, act, oa, &r_a, &d_a);
      maml_env_step(&eb, act, ob, &r_b, &d_b);
      cr_assert_eq(memcmp(oa, ob, (size_t)od * sizeof *oa), 0, "episode %d step %d", ep, t);
      cr_assert_eq(memcmp(&r_a, &r_b, sizeof r_a), 0, "reward at episode %d step %d", ep, t);
      cr_assert_eq(d_a, d_b);
      if (d_a) {
        ends++;
        break;
      }
    }
  }
  free(oa), free(ob), free(act);
  maml_env_free(&ea), maml_env_free(&eb);
  maml_env_world_close(&wa), maml_env_world_close(&wb);
  return ends; /* episodes ended by the termination rule */
}

Test(family_file, a_cheetah_file_steps_as_cheetah_vel) {
  const maml_env_family *f = use("cheetah.ini", cheetah_text);
  const maml_env_family *cv = maml_env_find("cheetah-vel");
  cr_assert_eq(f->obs_dim, 20);
  cr_assert_eq(f->act_dim, 6);
  cr_assert_eq(f->kind, cv->kind);
  cr_assert_eq(f->horizon, 200);
  cr_assert_eq(f->robot->ctrl_cost, 0.05);
  cr_assert_eq(f->robot->qpos_noise, cv->robot->qpos_noise);
  cr_assert_eq(f->robot->qvel_noise, cv->robot->qvel_noise);
  cr_assert_str_eq(f->task_desc, cv->task_desc);
  same_trajectories("cheetah-vel", "file-cheetah", 120);
}

Test(family_file, an_ant_file_steps_as_ant_vel_ends_included) {
  const maml_env_family *f = use("ant.ini", ant_text);
  cr_assert_eq(f->obs_dim, 125);
  cr_assert_eq(f->robot->forces, 1);
  cr_assert_eq(f->robot->z_min, 0.2);
  cr_assert_eq(f->robot->z_max, 1.0);
  cr_assert_eq(f->dist.bonus, 1.0);
  cr_assert_geq(same_trajectories("ant-vel", "file-ant", 200), 1,
                "no episode ended: the "
                "termination rule was not compared");
}

Test(family_file, every_key_lands_in_the_family) {
  const maml_env_family *f = use("nav.ini",
                                 "name = walker.x\n"
                                 "robot = half-cheetah\n"
                                 "task = goal-position\n"
                                 "goal_range = -1.5, 2.5\n"
                                 "bonus = 0.25\n"
                                 "norm = 1\n"
                                 "reach_tol = 0.125\n"
                                 "horizon = 77\n"
                                 "tasks = 3\n"
                                 "episodes = 4\n"
                                 "iterations = 5\n"
                                 "eval_episodes = 6\n"
                                 "eval_steps = 2\n");
  cr_assert_eq(f->robot, maml_env_find("cheetah-vel")->robot);
  cr_assert_eq(f->dist.lo, -1.5);
  cr_assert_eq(f->dist.hi, 2.5);
  cr_assert_eq(f->dist.bonus, 0.25);
  cr_assert_eq(f->dist.norm, 1);
  cr_assert_eq(f->dist.reach_tol, 0.125);
  cr_assert_eq(f->horizon, 77);
  cr_assert_eq(f->task_dim, 2);
  cr_assert_eq(maml_env_preset_value(f, MAML_PRESET_TASKS), 3);
  cr_assert_eq(maml_env_preset_value(f, MAML_PRESET_EPISODES), 4);
  cr_assert_eq(maml_env_preset_value(f, MAML_PRESET_ITERATIONS), 5);
  cr_assert_eq(maml_env_preset_value(f, MAML_PRESET_EVAL_EPISODES), 6);
  cr_assert_eq(maml_env_preset_value(f, MAML_PRESET_EVAL_STEPS), 2);

  const maml_env_family *g = use("cam.ini",
                                 "name = cam\n"
                                 "model = " MAML_TEST_ASSETS
                                 "/half_cheetah.xml\n"
                                 "body = bthigh\n"
                                 "observation = qvel\n"
                                 "gait = hop\n"
                                 "qpos_noise = 0\n"
                                 "qvel_noise = 0.5\n"
                                 "camera_distance = 9\n"
                                 "camera_elevation = -45\n"
                                 "camera_height = 1.5\n"
                                 "task = goal-direction\n");
  cr_assert_eq(g->obs_dim, 9);
  cr_assert_str_eq(g->robot->body, "bthigh");
  cr_assert_str_eq(g->robot->gait, "hop");
  cr_assert_eq(g->robot->qpos_noise, 0.0);
  cr_assert_eq(g->robot->qvel_noise, 0.5);
  cr_assert_eq(g->robot->view.distance, 9.0);
  cr_assert_eq(g->robot->view.elevation, -45.0);
  cr_assert_eq(g->robot->view.lookat_z, 1.5);
  cr_assert_eq(g->robot->z_max, g->robot->z_min, "no termination by default");
}

/* a model path relative to the family file's folder */
Test(family_file, the_model_is_relative_to_the_file) {
  char sub[600], cmd[1400];
  snprintf(sub, sizeof sub, "%s/models", dir);
  snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s/half_cheetah.xml' '%s/c.xml'", sub,
           MAML_TEST_ASSETS, sub);
  cr_assert_eq(system(cmd), 0);
  const maml_env_family *f = use("rel.ini",
                                 "name = rel\nmodel = models/c.xml\nbody = torso\n"
                                 "observation = qpos[1:], qvel\ntask = goal-velocity\n"
                                 "goal_range = 0, 1\n");
  char want[700];
  snprintf(want, sizeof want, "%s/c.xml", sub);
  char *abs = realpath(want, NULL);
  cr_assert_not_null(abs);
  cr_assert_str_eq(f->model_file, abs);
  free(abs);
  cr_assert_eq(f->obs_dim, 17);
}

/* the file refused with a message holding each of want (NULL-terminated) */
static void refused(const char *text, const char *const *want) {
  int before = 0;
  maml_env_families(&before);
  char path[512], family[64], err[ERR_SZ] = "";
  write_file("bad.ini", text, path, sizeof path);
  cr_assert_neq(maml_env_use(path, family, sizeof family, NULL, err, sizeof err), MAML_OK,
                "accepted: %s", text);
  for (int i = 0; want[i]; i++)
    cr_assert_not_null(strstr(err, want[i]), "'%s' not in: %s", want[i], err);
  cr_assert_not_null(strstr(err, "bad.ini"), "the file is not named: %s", err);
  int after = 0;
  maml_env_families(&after);
  cr_assert_eq(after, before, "a refused file registered a family");
}

#define BASE                                        \
  "name = b\nmodel = " MAML_TEST_ASSETS             \
  "/half_cheetah.xml\nbody = torso\nobservation = " \
  "qvel\ntask = goal-velocity\ngoal_range = 0, 2\n"
#define WANT(...) ((const char *const[]){__VA_ARGS__, NULL})

Test(family_file, malformed_files_are_refused_naming_file_line_and_key) {
  refused(BASE "ctrl_cots = 1\n", WANT(":7: unknown key 'ctrl_cots'", "did you mean 'ctrl_cost'"));
  refused(BASE "ctrl_cost = 1,5\n", WANT(":7: ctrl_cost '1,5' is not a number", "plain decimal"));
  refused(BASE "ctrl_cost = nan\n", WANT(":7: ctrl_cost 'nan' is not a number"));
  refused(BASE "ctrl_cost = -1\n", WANT(":7: ctrl_cost '-1' is outside the allowed range [0,"));
  refused(BASE "horizon = 2.5\n", WANT(":7: horizon '2.5': expected an integer in [1,"));
  refused(BASE "body = torso\n", WANT(":7: body is given twice (first on line 3)"));
  refused(BASE "oops\n", WANT(":7: expected 'key = value'"));
  refused("[train]\n" BASE, WANT(":1: unknown section '[train]'"));
  refused(BASE "norm = 1\n", WANT(":7: norm: only goal-position takes norm"));
  refused(BASE "termination = 1\n", WANT(":7: termination '1': expected none, or the height"));
  refused(BASE "termination = 0.2, 1\nheight_index = 9\n",
          WANT(":8: height_index '9': the model has 9 position coordinates"));
  refused("name = b\nmodel = " MAML_TEST_ASSETS
          "/half_cheetah.xml\nbody = chest\n"
          "observation = qvel\ntask = goal-velocity\ngoal_range = 0, 2\n",
          WANT(":3: body 'chest': the model", "has no such body", "torso, bthigh"));
  refused("name = b\nmodel = " MAML_TEST_ASSETS
          "/half_cheetah.xml\nbody = torso\n"
          "observation = qvel, qacc\ntask = goal-velocity\ngoal_range = 0, 2\n",
          WANT(":4: observation 'qvel, qacc': 'qacc' is not an observation part", "qpos[N:]"));
  refused("name = b\nmodel = " MAML_TEST_ASSETS
          "/half_cheetah.xml\nbody = torso\n"
          "observation = qpos[10:]\ntask = goal-velocity\ngoal_range = 0, 2\n",
          WANT(":4: observation 'qpos[10:]': does not fit the model", "nq 9"));
  refused(
      "name = b\nmodel = nowhere.xml\nbody = torso\nobservation = qvel\n"
      "task = goal-velocity\ngoal_range = 0, 2\n",
      WANT(":2: model 'nowhere.xml': cannot open", "relative to the family file"));
  char broken[600];
  write_file("broken.xml", "<mujoco><worldbody><body name=\"torso\">\n", broken, sizeof broken);
  refused(
      "name = b\nmodel = broken.xml\nbody = torso\nobservation = qvel\n"
      "task = goal-velocity\ngoal_range = 0, 2\n",
      WANT(":2: model 'broken.xml': MuJoCo cannot load"));
  refused("name = b\nrobot = half-cheetah\ntask = goal-speed\n",
          WANT(":3: task 'goal-speed' is not a task kind", "goal-velocity, goal-direction"));
  refused("name = b\nrobot = half-cheetah\ntask = goal-velocity\n", WANT("needs goal_range"));
  refused("name = b\nrobot = half-cheetah\ntask = goal-velocity\ngoal_range = 1, 1\n",
          WANT(":4: goal_range '1, 1': expected 'LO, HI' with LO < HI"));
  refused("name = b\nrobot = hopping-robot\ntask = goal-direction\n",
          WANT(":2: robot 'hopping-robot' is not a built-in robot",
               "half-cheetah, ant, point, humanoid, hopper, walker2d"));
  refused("name = b\nrobot = ant\nbody = torso\ntask = goal-direction\n",
          WANT(":3: body: a built-in robot (robot = ant) takes no body"));
  refused("name = ant-vel\nrobot = ant\ntask = goal-direction\n",
          WANT(":1: name 'ant-vel' is taken"));
  refused("name = no spaces\nrobot = ant\ntask = goal-direction\n", WANT("the name"));
  refused("robot = ant\ntask = goal-direction\n", WANT("no name"));
  refused("name = b\ntask = goal-direction\n", WANT("no model"));
  refused("name = b\nrobot = ant\n", WANT("no task"));
  char nul[] = "name = b\nrobot = ant\0\ntask = goal-direction\n";
  char path[512], family[64], err[ERR_SZ] = "";
  snprintf(path, sizeof path, "%s/nul.ini", dir);
  FILE *f = fopen(path, "wb");
  fwrite(nul, 1, sizeof nul - 1, f);
  fclose(f);
  cr_assert_neq(maml_env_use(path, family, sizeof family, NULL, err, sizeof err), MAML_OK);
  cr_assert_not_null(strstr(err, "nul.ini:2: NUL byte"), "%s", err);
  snprintf(path, sizeof path, "%s/missing.ini", dir);
  cr_assert_eq(maml_env_use(path, family, sizeof family, NULL, err, sizeof err), MAML_ERR_IO);
  cr_assert_not_null(strstr(err, "missing.ini"), "%s", err);
}

Test(family_file, the_same_file_again_is_the_same_family_a_different_one_is_refused) {
  char path[512], name[64], err[ERR_SZ] = "";
  write_file("a.ini", cheetah_text, path, sizeof path);
  uint64_t h1 = 0, h2 = 0;
  cr_assert_eq(maml_env_use(path, name, sizeof name, &h1, err, sizeof err), MAML_OK, "%s", err);
  int n1 = 0, n2 = 0;
  maml_env_families(&n1);
  cr_assert_eq(maml_env_use(path, name, sizeof name, &h2, err, sizeof err), MAML_OK, "%s", err);
  maml_env_families(&n2);
  cr_assert_eq(n2, n1, "registered twice");
  cr_assert_eq(h1, h2);
  cr_assert_str_eq(name, "file-cheetah");
  char other[sizeof cheetah_text + 32];
  snprintf(other, sizeof other, "%s%s", cheetah_text, "bonus = 1\n");
  write_file("b.ini", other, path, sizeof path);
  cr_assert_eq(maml_env_use(path, name, sizeof name, NULL, err, sizeof err), MAML_ERR_ARG);
  cr_assert_not_null(strstr(err, "already defined differently by"), "%s", err);
  cr_assert_not_null(strstr(err, "a.ini"), "%s", err);
  /* a name is a name, a path a file */
  cr_assert_eq(maml_env_use("cheetah-vel", name, sizeof name, &h1, err, sizeof err), MAML_OK);
  cr_assert_eq(h1, 0);
  cr_assert_eq(maml_env_is_file("x.ini"), 1);
  cr_assert_eq(maml_env_is_file("./x"), 1);
  cr_assert_eq(maml_env_is_file("cheetah-vel"), 0);
}

Test(family_file, the_syntax_check_refuses_without_reading_models) {
  char err[ERR_SZ];
  cr_assert_eq(maml_env_file_check(BASE, strlen(BASE), "t", err, sizeof err), MAML_OK, "%s", err);
  const char dup[] = "name = a\nname = b\n";
  cr_assert_eq(maml_env_file_check(dup, strlen(dup), "t", err, sizeof err), MAML_ERR_ARG);
  cr_assert_not_null(strstr(err, "t:2: name is given twice"), "%s", err);
  char *long_line = malloc(5000);
  memset(long_line, 'x', 4999);
  long_line[4999] = '\0';
  cr_assert_eq(maml_env_file_check(long_line, 4999, "t", err, sizeof err), MAML_ERR_FORMAT);
  cr_assert_not_null(strstr(err, "longer than the limit"), "%s", err);
  free(long_line);
}

/* the viewer's keys: camera_top_down, and marker_scale times every marker size of the
 * default (the half-cheetah's) hints; out of range refused */
Test(family_file, the_viewer_keys_set_the_camera_and_scale_the_markers) {
#define ARM(name)                              \
  "name = " name "\nmodel = " MAML_TEST_ASSETS \
  "/half_cheetah.xml\nbody = torso\n"          \
  "observation = qvel\ntask = goal-velocity\ngoal_range = 0, 2\n"
  const maml_env_family *f =
      use("small.ini", ARM("small") "camera_top_down = 1\nmarker_scale = 0.25\n");
  const maml_env_view *v = &f->robot->view, *big = &maml_env_find("cheetah-vel")->robot->view;
  cr_assert_eq(v->top_down, 1);
  cr_assert_eq(v->distance, big->distance, "the camera is not a marker");
  cr_assert_eq(v->goal_radius, 0.25 * big->goal_radius);
  cr_assert_eq(v->goal_height, 0.25 * big->goal_height);
  cr_assert_eq(v->trail_width, 0.25 * big->trail_width);
  cr_assert_eq(v->trail_height, 0.25 * big->trail_height);
  cr_assert_eq(v->arrow_width, 0.25 * big->arrow_width);
  cr_assert_eq(v->post_height, 0.25 * big->post_height);
  const maml_env_family *g = use("plain.ini", ARM("plain"));
  cr_assert_eq(g->robot->view.top_down, 0);
  cr_assert_eq(g->robot->view.goal_radius, big->goal_radius);
  refused(BASE "camera_top_down = 2\n",
          WANT(":7: camera_top_down '2': expected an integer in [0, 1]"));
  refused(BASE "marker_scale = 0\n", WANT(":7: marker_scale '0' is outside the allowed range"));
  refused(BASE "marker_scale = big\n", WANT(":7: marker_scale 'big' is not a number"));
  refused("name = b\nrobot = ant\ntask = goal-direction\nmarker_scale = 2\n",
          WANT(":4: marker_scale: a built-in robot (robot = ant) takes no marker_scale"));
}

/* the fingertip of the arm of assets/reacher.xml (configs/families/reacher-goal.ini), where
 * shoulder and elbow angles q1, q2 put it: links of 0.11 m */
static void tip_at(maml_env *e, double q1, double q2, double *x, double *y) {
  const mjModel *m = e->model;
  mjData *d = e->data;
  d->qpos[0] = q1, d->qpos[1] = q2;
  mj_forward(m, d);
  int tip = mj_name2id(m, mjOBJ_BODY, "fingertip");
  cr_assert_geq(tip, 0);
  *x = d->xpos[3 * tip], *y = d->xpos[3 * tip + 1];
}

/* the shipped reacher family: its sizes from the model, the arm's reach (straight: the sum
 * of the links; folded: 0), every corner of the goal square reached by the angles that
 * the geometry of two equal links gives, and the reward's distance at the reset */
Test(family_file, the_reacher_example_reaches_its_goal_square) {
  const char *path = MAML_TEST_ASSETS "/../configs/families/reacher-goal.ini";
  char name[64], err[ERR_SZ] = "";
  cr_assert_eq(maml_env_use(path, name, sizeof name, NULL, err, sizeof err), MAML_OK, "%s", err);
  const maml_env_family *f = maml_env_find(name);
  cr_assert_not_null(f);
  char mjerr[500] = "";
  mjModel *m = mj_loadXML(MAML_TEST_ASSETS "/reacher.xml", NULL, mjerr, (int)sizeof mjerr);
  cr_assert_not_null(m, "%s", mjerr);
  cr_assert_eq(f->obs_dim, m->nq + m->nv + 3, "qpos, qvel, the fingertip's position");
  cr_assert_eq(f->act_dim, m->nu);
  cr_assert_eq(m->nq, 2);
  cr_assert_eq(m->nu, 2);
  cr_assert_eq(m->opt.timestep, 0.02);
  mj_deleteModel(m);
  cr_assert_eq(f->dist.lo, -0.15);
  cr_assert_eq(f->dist.hi, 0.15);

  maml_env_world w;
  maml_env e;
  cr_assert_eq(maml_env_world_open(&w, name, 0, NULL, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(maml_env_init(&e, &w, err, sizeof err), MAML_OK, "%s", err);
  const double link = 0.11;
  double x, y;
  tip_at(&e, 0, 0, &x, &y);
  cr_assert_float_eq(x, 2 * link, 1e-6);
  cr_assert_float_eq(y, 0, 1e-6);
  tip_at(&e, 1.0, 0, &x, &y);
  cr_assert_float_eq(hypot(x, y), 2 * link, 1e-6, "straight at any shoulder angle");
  tip_at(&e, 0.3, M_PI, &x, &y);
  cr_assert_float_eq(hypot(x, y), 0, 1e-6, "folded: the fingertip over the base");
  for (int c = 0; c < 4; c++) { /* the corners, the farthest goals */
    double gx = c & 1 ? f->dist.hi : f->dist.lo, gy = c & 2 ? f->dist.hi : f->dist.lo;
    double r = hypot(gx, gy);
    cr_assert_lt(r, 2 * link);
    double q2 = 2 * acos(r / (2 * link)), q1 = atan2(gy, gx) - q2 / 2;
    tip_at(&e, q1, q2, &x, &y);
    cr_assert_float_eq(x, gx, 1e-6, "corner %d", c);
    cr_assert_float_eq(y, gy, 1e-6, "corner %d", c);
  }
  double goal[2] = {0.1, -0.12};
  maml_env_reset(&e, goal, NULL, NULL); /* no noise: the arm straight along x */
  cr_assert_float_eq(e.info.goal_dist, hypot(2 * link - 0.1, 0.12), 1e-6);
  maml_real zero[2] = {0, 0}, *obs = calloc((size_t)w.obs_dim, sizeof *obs);
  double reward;
  int done;
  maml_env_step(&e, zero, obs, &reward, &done);
  cr_assert_eq(done, 0);
  cr_assert_float_eq(reward, -hypot(2 * link - 0.1, 0.12), 1e-6, "at rest: minus the distance");
  cr_assert_float_eq(obs[4], 2 * link, 1e-6, "the observation's fingertip x");
  free(obs);
  maml_env_free(&e);
  maml_env_world_close(&w);
}

/* ---- what two files set differently; a run's copy in place of its file ---------------- */

Test(family_file, the_difference_names_added_removed_and_changed_keys) {
  const char a[] =
      "# the run's\n[family]\nname = x\ngoal_range = 0, 0.5\nbonus = 1\n"
      "task = goal-velocity\n";
  const char b[] =
      "task=goal-velocity\n  goal_range =   0, 0.7  \n; a comment\nname = x\n"
      "horizon = 50\n";
  char buf[2048];
  cr_assert_eq(maml_env_file_diff(a, strlen(a), "A", b, strlen(b), "B", buf, sizeof buf), 3, "%s",
               buf);
  cr_assert_not_null(strstr(buf, "goal_range: '0, 0.5' in A, '0, 0.7' in B"), "%s", buf);
  cr_assert_not_null(strstr(buf, "bonus: '1' in A, not set in B"), "%s", buf);
  cr_assert_not_null(strstr(buf, "horizon: not set in A, '50' in B"), "%s", buf);
  cr_assert_null(strstr(buf, "name:"), "an equal key is listed: %s", buf);
  cr_assert_null(strstr(buf, "task:"), "an equal key is listed: %s", buf);
  cr_assert_null(strstr(buf, "more"), "%s", buf);
}

Test(family_file, comments_spacing_and_order_make_no_difference) {
  const char a[] = "name = x\ntask = goal-velocity\ngoal_range = 0, 2\n";
  const char b[] =
      "\xEF\xBB\xBF# the same, moved about\r\n[family]\r\n goal_range\t= 0, 2\r\n"
      "\r\ntask = goal-velocity   \r\n; end\r\nname=x\r\n";
  char buf[256] = "junk";
  cr_assert_eq(maml_env_file_diff(a, strlen(a), "A", b, strlen(b), "B", buf, sizeof buf), 0, "%s",
               buf);
  cr_assert_str_eq(buf, "");
}

Test(family_file, the_difference_shows_a_handful_then_counts_the_rest) {
  const char a[] =
      "name = x\nhorizon = 1\ntasks = 1\nepisodes = 1\niterations = 1\n"
      "eval_episodes = 1\neval_steps = 1\n";
  const char b[] =
      "name = y\nhorizon = 2\ntasks = 2\nepisodes = 2\niterations = 2\n"
      "eval_episodes = 2\neval_steps = 2\n";
  char buf[2048];
  cr_assert_eq(maml_env_file_diff(a, strlen(a), "A", b, strlen(b), "B", buf, sizeof buf), 7, "%s",
               buf);
  cr_assert_not_null(strstr(buf, "name: 'x' in A, 'y' in B; "), "%s", buf);
  cr_assert(strlen(buf) > 12 && !strcmp(buf + strlen(buf) - 12, "; and 3 more"), "%s", buf);
  int shown = 0;
  for (const char *p = buf; (p = strstr(p, " in B")); p++) shown++;
  cr_assert_eq(shown, 4, "%s", buf);
  /* a text that does not read: -1 and why */
  const char bad[] = "name = x\nnot a line\n";
  cr_assert_eq(maml_env_file_diff(a, strlen(a), "A", bad, strlen(bad), "B", buf, sizeof buf), -1);
  cr_assert_not_null(strstr(buf, "B:2: expected 'key = value'"), "%s", buf);
  cr_assert_eq(maml_env_file_diff(bad, strlen(bad), "A", a, strlen(a), "B", buf, sizeof buf), -1);
  cr_assert_not_null(strstr(buf, "A:2:"), "%s", buf);
}

/* text into path (a full path) */
static void write_path(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f, "%s", path);
  fputs(text, f);
  fclose(f);
}

static const char slow_text[] =
    "# a family of the run\n"
    "name = slow\nmodel = models/c.xml\nbody = torso\n"
    "observation = qpos[1:], qvel\ntask = goal-velocity\n"
    "goal_range = 0, 0.5\n";

/* dir/orig/slow.ini naming dir/orig/models/c.xml, and its copy in dir/run/family.ini: the
 * paths, the hash of the bytes */
static uint64_t make_run(char *orig, char *copy, size_t n) {
  char cmd[2000];
  snprintf(cmd, sizeof cmd,
           "mkdir -p '%s/orig/models' '%s/run' && cp '%s/half_cheetah.xml' '%s/orig/models/c.xml'",
           dir, dir, MAML_TEST_ASSETS, dir);
  cr_assert_eq(system(cmd), 0);
  snprintf(orig, n, "%s/orig/slow.ini", dir);
  snprintf(copy, n, "%s/run/family.ini", dir);
  write_path(orig, slow_text);
  write_path(copy, slow_text);
  uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a of no bytes */
  for (const char *p = slow_text; *p; p++) h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
  return h; /* FNV-1a, as maml/hash.h says */
}

Test(family_file, a_runs_copy_stands_in_for_its_moved_file) {
  char orig[600], copy[600], name[64], err[ERR_SZ] = "", notice[1024] = "junk";
  uint64_t h = make_run(orig, copy, sizeof orig);
  char *orig_abs = realpath(orig, NULL);
  cr_assert_not_null(orig_abs);
  char moved[700];
  snprintf(moved, sizeof moved, "%s/elsewhere.ini", dir);
  cr_assert_eq(rename(orig, moved), 0);
  cr_assert_eq(maml_env_use_copy(copy, orig_abs, h, name, sizeof name, notice, sizeof notice, err,
                                 sizeof err),
               MAML_OK, "%s", err);
  cr_assert_str_eq(name, "slow");
  cr_assert_str_eq(notice, "", "the original is gone: nothing to say");
  const maml_env_family *f = maml_env_find("slow");
  cr_assert_not_null(f);
  char want[700];
  snprintf(want, sizeof want, "%s/orig/models/c.xml", dir);
  char *model = realpath(want, NULL);
  cr_assert_str_eq(f->model_file, model, "the model, relative to the original's folder");
  free(model);
  cr_assert_eq(f->dist.hi, 0.5);
  /* the recorded path now gives the copy's family, without the file */
  uint64_t got = 0;
  cr_assert_eq(maml_env_use(orig_abs, name, sizeof name, &got, err, sizeof err), MAML_OK, "%s",
               err);
  cr_assert_str_eq(name, "slow");
  cr_assert_eq(got, h);
  free(orig_abs);
}

Test(family_file, a_changed_original_is_named_and_the_copy_used) {
  char orig[600], copy[600], name[64], err[ERR_SZ] = "", notice[2048] = "";
  uint64_t h = make_run(orig, copy, sizeof orig);
  char changed[sizeof slow_text + 16];
  snprintf(changed, sizeof changed, "%s", slow_text);
  char *range = strstr(changed, "0, 0.5");
  range[5] = '7';
  write_path(orig, changed);
  cr_assert_eq(
      maml_env_use_copy(copy, orig, h, name, sizeof name, notice, sizeof notice, err, sizeof err),
      MAML_OK, "%s", err);
  cr_assert_not_null(strstr(notice, orig), "%s", notice);
  cr_assert_not_null(strstr(notice, "goal_range: '0, 0.5' in the copy, '0, 0.7' in the file"), "%s",
                     notice);
  cr_assert_eq(maml_env_find("slow")->dist.hi, 0.5, "the copy's range");
  /* once: the same run again says nothing */
  cr_assert_eq(
      maml_env_use_copy(copy, orig, h, name, sizeof name, notice, sizeof notice, err, sizeof err),
      MAML_OK, "%s", err);
  cr_assert_str_eq(notice, "");
  /* the changed file named on its own: refused, saying what differs */
  cr_assert_eq(maml_env_use(orig, name, sizeof name, NULL, err, sizeof err), MAML_OK,
               "the copy stands in for the recorded path: %s", err);
  char other[700];
  snprintf(other, sizeof other, "%s/orig/other.ini", dir);
  write_path(other, changed);
  cr_assert_eq(maml_env_use(other, name, sizeof name, NULL, err, sizeof err), MAML_ERR_ARG);
  cr_assert_not_null(strstr(err, "already defined differently by"), "%s", err);
  cr_assert_not_null(strstr(err, "goal_range: '0, 0.5' in"), "%s", err);
  cr_assert_not_null(strstr(err, "'0, 0.7' in"), "%s", err);
}

Test(family_file, an_edited_copy_is_refused_naming_both_hashes) {
  char orig[600], copy[600], name[64], err[ERR_SZ] = "";
  uint64_t h = make_run(orig, copy, sizeof orig);
  FILE *f = fopen(copy, "a");
  fputs("bonus = 1\n", f);
  fclose(f);
  char want[17], now[17];
  snprintf(want, sizeof want, "%016llx", (unsigned long long)h);
  uint64_t e = h;
  for (const char *p = "bonus = 1\n"; *p; p++) e = (e ^ (unsigned char)*p) * 0x100000001b3ull;
  snprintf(now, sizeof now, "%016llx", (unsigned long long)e);
  int before = 0, after = 0;
  maml_env_families(&before);
  cr_assert_eq(maml_env_use_copy(copy, orig, h, name, sizeof name, NULL, 0, err, sizeof err),
               MAML_ERR_ARG);
  maml_env_families(&after);
  cr_assert_eq(after, before, "an edited copy registered a family");
  cr_assert_not_null(strstr(err, copy), "%s", err);
  cr_assert_not_null(strstr(err, want), "the recorded hash: %s", err);
  cr_assert_not_null(strstr(err, now), "the copy's hash: %s", err);
  cr_assert_not_null(strstr(err, "copy it back"), "the original still holds it: %s", err);
}

/* configs/families/hopper-vel.ini: a built-in robot of the later benchmarks with a task kind
 * of the paper, from five lines: its reward is the hopper's shared terms (alive bonus 1
 * minus the control cost) minus |v_x - v*|, v_x the root's x velocity, and it ends by the
 * hopper's healthy rules */
Test(family_file, hopper_vel_is_the_hopper_at_a_goal_velocity) {
  char name[64], err[ERR_SZ];
  cr_assert_eq(maml_env_use(MAML_TEST_ASSETS "/../configs/families/hopper-vel.ini", name,
                            sizeof name, NULL, err, sizeof err),
               MAML_OK, "%s", err);
  cr_assert_str_eq(name, "hopper-vel");
  const maml_env_family *f = maml_env_find(name);
  cr_assert_eq(f->robot, maml_env_find_robot("hopper"));
  cr_assert_eq(f->kind, &maml_task_goal_velocity);
  maml_env_world w;
  cr_assert_eq(maml_env_world_open(&w, name, 0, NULL, err, sizeof err), MAML_OK, "%s", err);
  maml_env e;
  cr_assert_eq(maml_env_init(&e, &w, err, sizeof err), MAML_OK, "%s", err);
  maml_real obs[32], act[3] = {0.5f, -0.3f, 0.8f};
  double goal = 0.7, reward;
  int done = 0, steps = 0;
  maml_env_reset(&e, &goal, NULL, obs);
  while (!done && steps < 50) {
    const double x0 = e.data->qpos[0];
    maml_env_step(&e, act, obs, &reward, &done);
    const double dt = 4 * w.model->opt.timestep; /* frame skip 4 */
    const double v = (e.data->qpos[0] - x0) / dt;
    const double want = 1.0 - 1e-3 * (0.25 + 0.09 + 0.64) - fabs(v - goal);
    if (!e.info.unstable)
      cr_assert_float_eq(reward, want, 1e-9, "step %d: %.17g against %.17g", steps, reward, want);
    steps++;
  }
  cr_assert(done, "a constant push throws the hopper over within 50 steps");
  maml_env_free(&e);
  maml_env_world_close(&w);
}
