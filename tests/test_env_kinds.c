/* Task kinds opened to every robot: goal-heading (envs/task_heading.c) and dynamics tasks in
 * family files (envs/family_file.c).
 * - goal-heading's reward term equals cos(theta) v_x + sin(theta) v_y + bonus with v the
 *   torso subtree's centre-of-mass velocity as MuJoCo's mj_subtreeVel computes it, for
 *   several angles; theta = 0 steps exactly as goal-direction's +1 (the forward run);
 *   tasks are drawn in range; --goal text outside the range is refused naming the value
 *   and the range; a robot without a model is refused; family files take it.
 * - a dynamics family file's task size is the model's (counted here from mj_loadXML), for
 *   a built-in robot and a model of the file's own; its instances scale the model; bad
 *   params names are refused listing the allowed ones.
 * Each test runs in its own process. */
#define _XOPEN_SOURCE 700 /* mkdtemp */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maml/env.h"

#define ERR_SZ 8192
#define PI 3.14159265358979324

static maml_env_family heading_family(const char *name, const char *robot_of, double lo, double hi,
                                      double bonus) {
  maml_env_family f = {.name = name,
                       .robot = maml_env_find(robot_of)->robot,
                       .kind = &maml_task_goal_heading,
                       .dist = {.lo = lo, .hi = hi, .bonus = bonus},
                       .horizon = 100};
  return f;
}

static const maml_env_family *registered(maml_env_family f) {
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_register(&f, err, sizeof err), MAML_OK, "%s", err);
  const maml_env_family *g = maml_env_find(f.name);
  cr_assert_not_null(g);
  return g;
}

/* the torso subtree's centre-of-mass velocity by MuJoCo's own function, on a copy */
static void subtree_vel(const maml_env *e, double v[2]) {
  mjData *c = mj_copyData(NULL, e->model, e->data);
  cr_assert_not_null(c);
  mj_subtreeVel(e->model, c);
  v[0] = c->subtree_linvel[3 * e->world->torso_body];
  v[1] = c->subtree_linvel[3 * e->world->torso_body + 1];
  mj_deleteData(c);
}

/* the ant heading theta under random actions: the reward less the robot's shared terms is
 * the velocity along the heading plus the bonus; returns the sum of |v_y| seen */
static double check_heading_reward(maml_env *e, double theta, double bonus, uint32_t seed) {
  const maml_env_robot *r = e->world->family->robot;
  maml_real obs[125], act[8];
  maml_rng rng, ract;
  maml_rng_init(&rng, seed, 0, 0, 0, 0);
  maml_rng_init(&ract, seed, 0, 1, 0, 0);
  maml_env_reset(e, &theta, &rng, obs);
  double vy_seen = 0;
  for (int t = 0; t < 60; t++) {
    for (int a = 0; a < 8; a++) act[a] = (maml_real)maml_rng_normal(&ract);
    double reward = 0;
    int done = 0;
    maml_env_step(e, act, obs, &reward, &done);
    double v[2];
    subtree_vel(e, v);
    const maml_step_info *in = &e->info;
    double shared = r->alive_bonus - in->ctrl_cost - in->contact_cost;
    double want = cos(theta) * v[0] + sin(theta) * v[1] + bonus;
    cr_assert_float_eq(reward - shared, want, 1e-9 * (1 + fabs(want)),
                       "theta %g step %d: %.17g vs %.17g", theta, t, reward - shared, want);
    cr_assert_float_eq(in->forward_vel, v[0], 1e-9 * (1 + fabs(v[0])));
    cr_assert_float_eq(in->heading_vel, want - bonus, 1e-9 * (1 + fabs(want)),
                       "the overlay's velocity along the heading");
    vy_seen += fabs(v[1]);
    if (done) break;
  }
  return vy_seen;
}

Test(env_kinds, the_heading_reward_is_the_velocity_along_the_heading) {
  registered(heading_family("ant-heading", "ant-dir", 0, 0, 0.5));
  maml_env_world w;
  maml_env e;
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_world_open(&w, "ant-heading", 0, NULL, err, sizeof err), MAML_OK, "%s",
               err);
  cr_assert_eq(maml_env_init(&e, &w, err, sizeof err), MAML_OK, "%s", err);
  const double angles[] = {0, PI / 4, PI / 2, 2.0, PI, 4.5, 6.0};
  double vy = 0;
  for (size_t i = 0; i < sizeof angles / sizeof angles[0]; i++)
    vy += check_heading_reward(&e, angles[i], 0.5, 11 + (uint32_t)i);
  cr_assert_gt(vy, 1.0, "the ant never moved sideways: the y velocity was not checked");
  maml_env_free(&e);
  maml_env_world_close(&w);
}

/* the ant in the air, its joints moving: its centre of mass moves at a constant velocity in
 * the plane (no contact, gravity along z), which the displacement of subtree_com over a
 * step divided by dt measures; the reward term is that velocity along the heading */
Test(env_kinds, the_heading_reward_matches_the_centre_of_mass_displacement) {
  registered(heading_family("ant-heading2", "ant-dir", 0, 0, 0));
  maml_env_world w;
  maml_env e;
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_world_open(&w, "ant-heading2", 0, NULL, err, sizeof err), MAML_OK, "%s",
               err);
  cr_assert_eq(maml_env_init(&e, &w, err, sizeof err), MAML_OK, "%s", err);
  const double dt = w.model->opt.timestep, angles[] = {0.3, 1.9, 4.0};
  maml_real act[8] = {0};
  for (int k = 0; k < 3; k++) {
    const double theta = angles[k];
    maml_rng rng;
    maml_rng_init(&rng, 4, 0, 0, 0, (uint32_t)k);
    maml_env_reset(&e, &theta, NULL, NULL);
    e.data->qpos[2] = 3.0; /* high above the floor */
    for (int i = 0; i < w.model->nv; i++) e.data->qvel[i] = maml_rng_normal(&rng);
    mj_forward(e.model, e.data);
    double first = NAN;
    for (int t = 0; t < 10; t++) {
      double x0 = e.info.x, y0 = e.info.y, reward;
      int done;
      maml_env_step(&e, act, NULL, &reward, &done); /* done: too high; the motion goes on */
      double shared = w.family->robot->alive_bonus - e.info.ctrl_cost - e.info.contact_cost;
      double term = reward - shared;
      double fd = cos(theta) * (e.info.x - x0) / dt + sin(theta) * (e.info.y - y0) / dt;
      cr_assert_eq(e.info.contact_cost, 0.0, "theta %g step %d: a contact", theta, t);
      cr_assert_float_eq(term, fd, 1e-5 * (1 + fabs(fd)), "theta %g step %d: %.12g vs %.12g", theta,
                         t, term, fd);
      if (t == 0) first = term;
      cr_assert_float_eq(term, first, 1e-5 * (1 + fabs(first)),
                         "theta %g step %d: the momentum changed: %.12g vs %.12g", theta, t, term,
                         first);
    }
    cr_assert_gt(fabs(first), 0.01, "theta %g: no motion along the heading", theta);
  }
  maml_env_free(&e);
  maml_env_world_close(&w);
}

/* theta = 0 is goal-direction's forward run: the same observations, rewards and ends */
Test(env_kinds, heading_zero_steps_as_the_forward_run) {
  const char *const dirs[] = {"ant-dir", "cheetah-dir"};
  for (int k = 0; k < 2; k++) {
    char name[32];
    snprintf(name, sizeof name, "h0-%s", dirs[k]);
    registered(heading_family(name, dirs[k], 0, 0, 0));
    maml_env_world wh, wd;
    maml_env eh, ed;
    char err[ERR_SZ] = "";
    cr_assert_eq(maml_env_world_open(&wh, name, 0, NULL, err, sizeof err), MAML_OK, "%s", err);
    cr_assert_eq(maml_env_world_open(&wd, dirs[k], 0, NULL, err, sizeof err), MAML_OK, "%s", err);
    cr_assert_eq(maml_env_init(&eh, &wh, err, sizeof err), MAML_OK, "%s", err);
    cr_assert_eq(maml_env_init(&ed, &wd, err, sizeof err), MAML_OK, "%s", err);
    const int od = wh.obs_dim, ad = wh.family->act_dim;
    maml_real oh[125], odir[125], act[8];
    maml_rng rh, rd, ra;
    maml_rng_init(&rh, 3, 0, 0, 0, 0);
    maml_rng_init(&rd, 3, 0, 0, 0, 0);
    maml_rng_init(&ra, 5, 0, 0, 0, 0);
    const double zero = 0.0, forward = 1.0;
    maml_env_reset(&eh, &zero, &rh, oh);
    maml_env_reset(&ed, &forward, &rd, odir);
    int steps = 0;
    for (int t = 0; t < 100; t++, steps++) {
      for (int a = 0; a < ad; a++) act[a] = (maml_real)(2 * maml_rng_normal(&ra));
      double r_h, r_d;
      int d_h, d_d;
      maml_env_step(&eh, act, oh, &r_h, &d_h);
      maml_env_step(&ed, act, odir, &r_d, &d_d);
      cr_assert_eq(memcmp(oh, odir, (size_t)od * sizeof *oh), 0, "%s step %d", dirs[k], t);
      cr_assert_eq(memcmp(&r_h, &r_d, sizeof r_h), 0, "%s step %d: %.17g vs %.17g", dirs[k], t, r_h,
                   r_d);
      cr_assert_eq(d_h, d_d);
      if (d_h) break;
    }
    cr_assert_gt(steps, 10);
    maml_env_free(&eh), maml_env_free(&ed);
    maml_env_world_close(&wh), maml_env_world_close(&wd);
  }
}

Test(env_kinds, headings_are_drawn_parsed_and_described_in_range) {
  const maml_env_family *full = registered(heading_family("h-full", "ant-dir", 0, 0, 0));
  const maml_env_family *half = registered(heading_family("h-half", "ant-dir", -PI / 2, PI / 2, 0));
  cr_assert_eq(full->task_dim, 1);
  cr_assert_str_eq(full->task_desc, "heading ~ U[0, 6.28319] rad");
  cr_assert(strstr(full->goal_syntax, "an angle in radians in [0, 6.28319]") &&
                strstr(full->goal_syntax, "e.g. 3.142 (180 deg)"),
            "%s", full->goal_syntax);
  cr_assert_str_eq(half->task_desc, "heading ~ U[-1.5708, 1.5708] rad");
  maml_rng rng;
  maml_rng_init(&rng, 9, 0, 0, 0, 0);
  int quadrant[4] = {0}, neg = 0;
  for (int i = 0; i < 2000; i++) {
    double a = -1, b = -9;
    full->sample_task(&rng, &a);
    half->sample_task(&rng, &b);
    cr_assert(a >= 0 && a < 2 * PI, "%g", a);
    cr_assert(b >= -PI / 2 && b <= PI / 2, "%g", b);
    quadrant[(int)(a / (PI / 2)) % 4]++;
    neg += b < 0;
  }
  for (int q = 0; q < 4; q++) cr_assert_gt(quadrant[q], 400, "quadrant %d: %d", q, quadrant[q]);
  cr_assert(neg > 900 && neg < 1100, "%d", neg);

  char err[ERR_SZ] = "";
  double t = -1;
  cr_assert_eq(full->parse_task("1.5708", &t, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(t, 1.5708);
  cr_assert_eq(full->parse_task("0", &t, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(full->parse_task("7", &t, err, sizeof err), MAML_ERR_ARG);
  cr_assert(
      strstr(err, "h-full") && strstr(err, "heading (radians) 7 ") && strstr(err, "[0, 6.28319]"),
      "%s", err);
  cr_assert_eq(half->parse_task("-2", &t, err, sizeof err), MAML_ERR_ARG);
  cr_assert(strstr(err, "-2") && strstr(err, "[-1.5708, 1.5708]"), "%s", err);
  cr_assert_eq(full->parse_task("north", &t, err, sizeof err), MAML_ERR_FORMAT);
  cr_assert(strstr(err, "'north' is not a number"), "%s", err);
  cr_assert_eq(full->parse_task("1,2", &t, err, sizeof err), MAML_ERR_FORMAT);
  char buf[64];
  double goal = PI / 2;
  full->kind->goal_text(&goal, buf, sizeof buf);
  cr_assert_str_eq(buf, "heading 1.57 rad (90 deg)");
  cr_assert_eq(maml_env_format_task(full, &goal, buf, sizeof buf) > 0, 1);
  cr_assert_eq(full->parse_task(buf, &t, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(t, goal, "format then parse gives the same heading");
}

static void register_refused(maml_env_family f, const char *want1, const char *want2) {
  int before = 0, after = 0;
  maml_env_families(&before);
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_register(&f, err, sizeof err), MAML_ERR_ARG, "accepted");
  cr_assert(strstr(err, want1) && strstr(err, want2), "want '%s', '%s' in: %s", want1, want2, err);
  maml_env_families(&after);
  cr_assert_eq(after, before);
}

Test(env_kinds, heading_refuses_a_robot_without_a_body_velocity_and_bad_ranges) {
  register_refused(heading_family("h-point", "nav2d", 0, 0, 0), "goal-heading", "robot point");
  register_refused(heading_family("h-bad", "ant-dir", 2, 1, 0), "heading range [2, 1]", "lo < hi");
  register_refused(heading_family("h-nan", "ant-dir", 0, NAN, 0), "heading range", "finite");
}

/* ---- family files -------------------------------------------------------------------- */

static char dir[] = "/tmp/maml-test-env-kinds-XXXXXX";

static void make_dir(void) {
  cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
}

TestSuite(kinds_file, .init = make_dir, .fini = remove_dir);

static void write_file(const char *name, const char *text, char *path, size_t n) {
  snprintf(path, n, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
}

static const maml_env_family *use(const char *name, const char *text) {
  char path[512], family[64], err[ERR_SZ] = "";
  write_file(name, text, path, sizeof path);
  cr_assert_eq(maml_env_use(path, family, sizeof family, NULL, err, sizeof err), MAML_OK, "%s",
               err);
  const maml_env_family *f = maml_env_find(family);
  cr_assert_not_null(f);
  return f;
}

static void refused(const char *text, const char *want1, const char *want2) {
  int before = 0, after = 0;
  maml_env_families(&before);
  char path[512], family[64], err[ERR_SZ] = "";
  write_file("bad.ini", text, path, sizeof path);
  cr_assert_neq(maml_env_use(path, family, sizeof family, NULL, err, sizeof err), MAML_OK,
                "accepted: %s", text);
  cr_assert(strstr(err, "bad.ini") && strstr(err, want1) && strstr(err, want2),
            "want '%s', '%s' in: %s", want1, want2, err);
  maml_env_families(&after);
  cr_assert_eq(after, before, "a refused file registered a family");
}

/* nbody, ngeom, nv of an assets model, counted by MuJoCo */
static void model_sizes(const char *file, int *nbody, int *ngeom, int *nv) {
  char path[1024], mjerr[500] = "";
  snprintf(path, sizeof path, "%s/%s", MAML_TEST_ASSETS, file);
  mjModel *m = mj_loadXML(path, NULL, mjerr, (int)sizeof mjerr);
  cr_assert_not_null(m, "%s", mjerr);
  *nbody = m->nbody, *ngeom = m->ngeom, *nv = m->nv;
  mj_deleteModel(m);
}

Test(kinds_file, a_heading_file_with_and_without_a_range) {
  const maml_env_family *f =
      use("h.ini", "name = ant-north\nrobot = ant\ntask = goal-heading\nbonus = 1\n");
  cr_assert_eq(f->kind, &maml_task_goal_heading);
  cr_assert_str_eq(f->task_desc, "heading ~ U[0, 6.28319] rad");
  cr_assert_eq(f->dist.bonus, 1.0);
  const maml_env_family *g =
      use("h2.ini", "name = ant-front\nrobot = ant\ntask = goal-heading\ngoal_range = -1, 1\n");
  cr_assert_eq(g->dist.lo, -1.0);
  cr_assert_eq(g->dist.hi, 1.0);
  cr_assert_str_eq(g->task_desc, "heading ~ U[-1, 1] rad");
  refused("name = b\nrobot = point\ntask = goal-heading\n", "goal-heading", "robot point");
  refused("name = b\nrobot = ant\ntask = goal-heading\nnorm = 1\n", ":4: norm",
          "only goal-position");
  refused("name = b\nrobot = ant\ntask = goal-heading\nparams = mass\n", ":4: params",
          "only dynamics takes params");
  refused("name = b\nrobot = ant\ntask = goal-north\n", "'goal-north' is not a task kind",
          "goal-heading or dynamics");
}

Test(kinds_file, a_dynamics_file_takes_its_size_from_the_model) {
  int nbody, ngeom, nv;
  model_sizes("half_cheetah.xml", &nbody, &ngeom, &nv);
  const maml_env_family *f = use("d.ini",
                                 "name = cheetah-md\n"
                                 "model = " MAML_TEST_ASSETS
                                 "/half_cheetah.xml\n"
                                 "body = torso\n"
                                 "observation = qpos[1:], qvel\n"
                                 "ctrl_cost = 0.1\n"
                                 "task = dynamics\n"
                                 "params = mass, damping\n");
  cr_assert_eq(f->kind, &maml_task_dynamics);
  cr_assert_eq(f->dist.params, MAML_DYN_MASS | MAML_DYN_DAMPING);
  cr_assert_eq(f->task_dim, nbody + nv, "%d, not nbody %d + nv %d", f->task_dim, nbody, nv);
  cr_assert_eq(f->dist.lo, -3.0, "the u range by default");
  cr_assert_eq(f->dist.hi, 3.0);
  cr_assert_eq(f->kind->no_goal_flag, 1);

  /* all four by default; a built-in robot; a range of its own */
  const maml_env_family *g = use("d2.ini",
                                 "name = cheetah-all\nrobot = half-cheetah\n"
                                 "task = dynamics\ngoal_range = -1, 0.5\n");
  cr_assert_eq(g->dist.params, MAML_DYN_ALL);
  cr_assert_eq(g->task_dim, 4 * nbody + 3 * ngeom + nv);
  cr_assert_eq(g->dist.lo, -1.0);
  cr_assert_eq(g->dist.hi, 0.5);
  int ab, ag, av;
  model_sizes("ant.xml", &ab, &ag, &av);
  const maml_env_family *h =
      use("d3.ini", "name = ant-slip\nrobot = ant\ntask = dynamics\nparams = friction\n");
  cr_assert_eq(h->task_dim, 3 * ag);

  /* an instance of the file's family scales its own model: mass x 1.5^u, damping x 1.3^u */
  maml_env_world w;
  maml_env e;
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_world_open(&w, "cheetah-md", 0, NULL, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(maml_env_init(&e, &w, err, sizeof err), MAML_OK, "%s", err);
  double task[MAML_TASK_MAX] = {0};
  for (int i = 0; i < f->task_dim; i++) task[i] = -2.5 + 5.0 * i / f->task_dim;
  maml_real obs[17], act[6] = {1, -1, 1, -1, 1, -1};
  maml_env_reset(&e, task, NULL, obs);
  for (int b = 0; b < nbody; b++)
    cr_assert_float_eq(e.model->body_mass[b], w.model->body_mass[b] * pow(1.5, task[b]), 1e-12);
  for (int j = 0; j < nv; j++)
    cr_assert_float_eq(e.model->dof_damping[j], w.model->dof_damping[j] * pow(1.3, task[nbody + j]),
                       1e-12);
  for (int t = 0; t < 20; t++) {
    double r;
    int done;
    maml_env_step(&e, act, obs, &r, &done);
    cr_assert(isfinite(r) && !done, "step %d", t);
  }
  maml_env_free(&e);
  maml_env_world_close(&w);
}

Test(kinds_file, bad_dynamics_params_are_refused_listing_the_allowed_ones) {
  refused("name = b\nrobot = ant\ntask = dynamics\nparams = mass, masses\n",
          ":4: params 'mass, masses': 'masses' is not a dynamics parameter",
          "mass, inertia, friction, damping");
  refused("name = b\nrobot = ant\ntask = dynamics\nparams = ,\n", ":4: params: none given",
          "mass, inertia, friction, damping");
  refused("name = b\nrobot = ant\ntask = dynamics\ngoal_range = 1\n", ":4: goal_range '1'",
          "LO, HI");
  refused("name = b\nrobot = point\ntask = dynamics\n", "task kind dynamics", "robot point");
  char err[ERR_SZ] = "";
  const char text[] = "name = b\ntask = dynamics\nparams = damping, inertia\n";
  cr_assert_eq(maml_env_file_check(text, strlen(text), "t", err, sizeof err), MAML_OK, "%s", err);
  const char bad[] = "name = b\ntask = dynamics\nparams = gravity\n";
  cr_assert_eq(maml_env_file_check(bad, strlen(bad), "t", err, sizeof err), MAML_ERR_ARG);
  cr_assert(strstr(err, "t:3: params 'gravity'"), "%s", err);
}
