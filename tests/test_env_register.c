/* Families registered at run time (maml_env_register): a family made of a built-in robot
 * and a built-in task kind with its own distribution, horizon and preset is listed, found
 * by name, named in the registry's texts, resolved by the config with its preset, and runs;
 * a NULL, malformed or duplicate family is refused with a message and leaves the registry
 * as it was. Each test runs in its own process, so registrations do not carry over. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maml/config.h"
#include "maml/env.h"

#define ERR_SZ 8192

/* the ant of ant-vel with the goal velocity kind over [0, 0.5], no bonus, a short horizon */
static maml_env_family slow_ant(void) {
  const maml_env_family *ant_vel = maml_env_find("ant-vel");
  cr_assert_not_null(ant_vel);
  maml_env_family f = {.name = "ant-slow",
                       .robot = ant_vel->robot,
                       .kind = ant_vel->kind,
                       .dist = {.lo = 0.0, .hi = 0.5},
                       .horizon = 50,
                       .preset = {.tasks = 8, .eval_steps = 2}};
  return f;
}

static int family_count(void) {
  int n = 0;
  maml_env_families(&n);
  return n;
}

Test(env_register, a_registered_family_is_listed_found_and_described) {
  int before = family_count();
  maml_env_family f = slow_ant();
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_register(&f, err, sizeof err), MAML_OK, "%s", err);
  int n = 0;
  const maml_env_family *const *all = maml_env_families(&n);
  cr_assert_eq(n, before + 1);
  const maml_env_family *g = maml_env_find("ant-slow");
  cr_assert_not_null(g);
  cr_assert_eq(all[n - 1], g, "registered families come after the built-in ones");
  cr_assert_neq(g, &f, "the registry keeps its own copy");
  cr_assert_str_eq(g->robot->name, "ant");
  cr_assert_eq(g->obs_dim, 125);
  cr_assert_eq(g->act_dim, 8);
  cr_assert_eq(g->task_dim, 1);
  cr_assert_eq(g->horizon, 50);
  cr_assert_str_eq(g->model_file, "ant.xml");
  cr_assert_str_eq(g->task_desc, "goal velocity ~ U[0, 0.5]");
  cr_assert_str_eq(g->goal_syntax, "a velocity in [0, 0.5], e.g. 0.25");
  cr_assert(strstr(maml_env_names(), ", ant-slow"), "%s", maml_env_names());

  /* the preset: its own values, the common defaults elsewhere */
  cr_assert_eq(maml_env_preset_value(g, MAML_PRESET_TASKS), 8);
  cr_assert_eq(maml_env_preset_value(g, MAML_PRESET_EPISODES), MAML_ENV_EPISODES);
  cr_assert_eq(maml_env_preset_value(g, MAML_PRESET_EVAL_STEPS), 2);
  char text[512];
  maml_env_preset_text(MAML_PRESET_EVAL_STEPS, text, sizeof text);
  cr_assert_str_eq(text, "3; nav2d 4; ant-slow 2");
  maml_env_preset_text(MAML_PRESET_HORIZON, text, sizeof text);
  cr_assert_str_eq(text, "200; nav2d 100; ant-slow 50");

  /* its tasks: drawn in [0, 0.5], parsed against that range naming the family */
  maml_rng rng;
  maml_rng_init(&rng, 3, 0, 0, 0, 0);
  for (int i = 0; i < 200; i++) {
    double t = -1;
    g->sample_task(&rng, &t);
    cr_assert(t >= 0.0 && t <= 0.5, "%g", t);
  }
  double t = 0;
  cr_assert_eq(g->parse_task("0.4", &t, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(t, 0.4);
  cr_assert_eq(g->parse_task("0.6", &t, err, sizeof err), MAML_ERR_ARG);
  cr_assert(strstr(err, "ant-slow") && strstr(err, "[0, 0.5]"), "%s", err);
  /* the built-in family of the same kind keeps its range */
  cr_assert_eq(maml_env_find("ant-vel")->parse_task("0.6", &t, err, sizeof err), MAML_OK);
}

Test(env_register, the_config_resolves_a_registered_family_with_its_preset) {
  maml_env_family f = slow_ant();
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_register(&f, err, sizeof err), MAML_OK, "%s", err);
  maml_config c;
  maml_config_defaults(&c);
  cr_assert_eq(maml_config_set(&c, "env", "ant-slow", err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(c.tasks, 8);
  cr_assert_eq(c.episodes, MAML_ENV_EPISODES);
  cr_assert_eq(c.iterations, MAML_ENV_ITERATIONS);
  cr_assert_eq(c.horizon, 50);
  maml_config_defaults(&c);
  maml_config_set(&c, "env", "ant-slow", err, sizeof err);
  maml_config_set(&c, "horizon", "51", err, sizeof err);
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_ERR_ARG);
  cr_assert(strstr(err, "ant-slow") && strstr(err, "50"), "%s", err);
  /* the help texts list it */
  const maml_config_key *k = maml_config_keys();
  while (k->name && strcmp(k->name, "tasks")) k++;
  cr_assert_not_null(k->name);
  cr_assert(strstr(k->help, "ant-slow 8"), "%s", k->help);
}

/* the same robot steps the same way under both families; only the task's term differs:
 * ant-vel adds a bonus of 1 to -|v - v*|, ant-slow none */
Test(env_register, a_registered_family_runs_like_its_robot) {
  maml_env_family f = slow_ant();
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_register(&f, err, sizeof err), MAML_OK, "%s", err);
  maml_env_world ws, wv;
  maml_env es, ev;
  cr_assert_eq(maml_env_world_open(&ws, "ant-slow", 1, NULL, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(maml_env_world_open(&wv, "ant-vel", 1, NULL, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(ws.obs_dim, 126);
  cr_assert_eq(maml_env_init(&es, &ws, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(maml_env_init(&ev, &wv, err, sizeof err), MAML_OK, "%s", err);
  maml_real os[126], ov[126], act[8];
  maml_rng rs, rv, ra;
  maml_rng_init(&rs, 5, 0, 0, 0, 0);
  maml_rng_init(&rv, 5, 0, 0, 0, 0);
  maml_rng_init(&ra, 6, 0, 0, 0, 0);
  double task = 0.3;
  maml_env_reset(&es, &task, &rs, os);
  maml_env_reset(&ev, &task, &rv, ov);
  cr_assert_arr_eq(os, ov, sizeof os);
  cr_assert_eq(os[125], (maml_real)0.3, "the oracle sees the task");
  int steps = 0;
  for (int t = 0; t < ws.family->horizon; t++) {
    for (int a = 0; a < 8; a++) act[a] = (maml_real)maml_rng_normal(&ra);
    double r_s = 0, r_v = 0;
    int d_s = 0, d_v = 0;
    maml_env_step(&es, act, os, &r_s, &d_s);
    maml_env_step(&ev, act, ov, &r_v, &d_v);
    cr_assert_arr_eq(os, ov, sizeof os, "step %d", t);
    cr_assert_eq(d_s, d_v);
    const maml_step_info *in = &es.info;
    double want = -fabs(in->forward_vel - 0.3) + 0.05 - in->ctrl_cost - in->contact_cost;
    cr_assert_float_eq(r_s, want, 1e-12, "step %d: %.17g vs %.17g", t, r_s, want);
    cr_assert_float_eq(r_v - r_s, 1.0, 1e-12, "step %d", t);
    steps++;
    if (d_s) break;
  }
  cr_assert_gt(steps, 0);
  maml_env_free(&es);
  maml_env_free(&ev);
  maml_env_world_close(&ws);
  maml_env_world_close(&wv);
}

/* a robot with a goal position of another family's kind: the half-cheetah of cheetah-vel,
 * rewarded by the Euclidean distance of its body to a goal, ends at the goal */
Test(env_register, a_robot_takes_another_families_task_kind) {
  maml_env_family f = {.name = "cheetah-goal",
                       .robot = maml_env_find("cheetah-vel")->robot,
                       .kind = maml_env_find("nav2d")->kind,
                       .dist = {.lo = -2, .hi = 2, .norm = 2},
                       .horizon = 30};
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_register(&f, err, sizeof err), MAML_OK, "%s", err);
  maml_env_world w;
  maml_env e;
  cr_assert_eq(maml_env_world_open(&w, "cheetah-goal", 0, NULL, err, sizeof err), MAML_OK, "%s",
               err);
  cr_assert_eq(w.family->task_dim, 2);
  cr_assert_eq(maml_env_init(&e, &w, err, sizeof err), MAML_OK, "%s", err);
  double goal[2] = {1.0, -0.5};
  maml_real obs[20], act[6] = {0.5, -0.5, 0.5, -0.5, 0.5, -0.5};
  maml_env_reset(&e, goal, NULL, obs);
  cr_assert_float_eq(e.info.goal_dist, hypot(e.info.x - 1.0, e.info.y + 0.5), 1e-12);
  for (int t = 0; t < 10; t++) {
    double r = 0;
    int done = 1;
    maml_env_step(&e, act, obs, &r, &done);
    double dist = hypot(e.info.x - 1.0, e.info.y + 0.5);
    cr_assert_float_eq(r, -dist - e.info.ctrl_cost, 1e-12, "step %d", t);
    cr_assert_float_eq(e.info.goal_dist, dist, 1e-12);
    cr_assert_eq(done, 0);
  }
  maml_env_free(&e);
  maml_env_world_close(&w);
}

/* refused with MAML_ERR_ARG, a message holding want, the registry unchanged */
static void refused(const maml_env_family *f, const char *want) {
  int before = family_count();
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_register(f, err, sizeof err), MAML_ERR_ARG, "%s: %s", want, err);
  cr_assert(strstr(err, "maml_env_register") && strstr(err, want), "want '%s' in: %s", want, err);
  cr_assert_eq(family_count(), before);
}

Test(env_register, bad_families_are_refused_with_a_message) {
  refused(NULL, "NULL");
  maml_env_family f = slow_ant();
  f.name = "cheetah-vel";
  refused(&f, "taken");
  f.name = NULL;
  refused(&f, "(none)");
  f.name = "";
  refused(&f, "1 to 31");
  f.name = "has space";
  refused(&f, "has space");
  f.name = "a-name-longer-than-thirty-one-chars";
  refused(&f, "1 to 31");
  f = slow_ant();
  f.robot = NULL;
  refused(&f, "no robot");
  f = slow_ant();
  f.kind = NULL;
  refused(&f, "no task kind");
  f = slow_ant();
  f.dist.lo = 1, f.dist.hi = 0;
  refused(&f, "lo < hi");
  f = slow_ant();
  f.dist.hi = NAN;
  refused(&f, "finite");
  f = slow_ant();
  f.horizon = 0;
  refused(&f, "horizon 0");
  f = slow_ant();
  f.preset.episodes = -1;
  refused(&f, "episodes -1");
  maml_env_family nav = *maml_env_find("nav2d");
  nav.name = "nav-bad";
  nav.dist.norm = 3;
  refused(&nav, "norm 3");
  maml_env_robot broken = *maml_env_find("ant-vel")->robot;
  broken.observe = NULL;
  f = slow_ant();
  f.robot = &broken;
  refused(&f, "observe");

  broken = *maml_env_find("cheetah-vel")->robot;
  broken.obs_dim = 21;
  f.robot = &broken;
  refused(&f, "make 20 numbers, not obs_dim 21");
  broken.obs_parts[0].skip = 10;
  refused(&f, "qpos skip 10 outside [0, nq 9]");
  broken.obs_parts[0] = (maml_env_obs_part){MAML_OBS_CFRC_EXT, 0, 0};
  broken.nbody = -1; /* a robot that does not give its number of bodies */
  refused(&f, "contact forces need nbody");

  /* a registered name is taken too; the registry fills up with a message */
  f = slow_ant();
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_register(&f, err, sizeof err), MAML_OK, "%s", err);
  refused(&f, "ant-slow: the name is taken");
  static char names[MAML_ENV_MAX_FAMILIES][24];
  int i = 0;
  while (family_count() < MAML_ENV_MAX_FAMILIES) {
    snprintf(names[i], sizeof names[i], "extra-%d", i);
    f.name = names[i++];
    cr_assert_eq(maml_env_register(&f, err, sizeof err), MAML_OK, "%s", err);
  }
  f.name = "one-too-many";
  refused(&f, "full");
}

/* a robot of one's own: the half-cheetah's model with other observation parts (all of qpos,
 * the body's orientation), read back against the state */
Test(env_register, a_robot_with_other_observation_parts) {
  static maml_env_robot r;
  r = *maml_env_find("cheetah-vel")->robot;
  r.name = "cheetah-full";
  r.obs_dim = 9 + 9 + 9;
  r.obs_parts[0] = (maml_env_obs_part){MAML_OBS_QPOS, 0, 0};
  r.obs_parts[1] = (maml_env_obs_part){MAML_OBS_QVEL, 0, 0};
  r.obs_parts[2] = (maml_env_obs_part){MAML_OBS_BODY_XMAT, 0, 0};
  maml_env_family f = {.name = "cheetah-full-vel",
                       .robot = &r,
                       .kind = maml_env_find("cheetah-vel")->kind,
                       .dist = {.lo = 0, .hi = 1},
                       .horizon = 20};
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_register(&f, err, sizeof err), MAML_OK, "%s", err);
  maml_env_world w;
  maml_env e;
  cr_assert_eq(maml_env_world_open(&w, "cheetah-full-vel", 0, NULL, err, sizeof err), MAML_OK, "%s",
               err);
  cr_assert_eq(w.obs_dim, 27);
  cr_assert_eq(maml_env_init(&e, &w, err, sizeof err), MAML_OK, "%s", err);
  maml_rng rng;
  maml_rng_init(&rng, 9, 0, 0, 0, 0);
  double task = 0.5;
  maml_real obs[27], act[6] = {1, -1, 0.3, 0.2, -0.7, 0.1};
  maml_env_reset(&e, &task, &rng, obs);
  for (int t = 0; t < 5; t++) {
    double reward;
    int done;
    maml_env_step(&e, act, obs, &reward, &done);
    const mjData *d = e.data;
    for (int i = 0; i < 9; i++) {
      cr_assert_eq(obs[i], (maml_real)d->qpos[i], "qpos %d", i);
      cr_assert_eq(obs[9 + i], (maml_real)d->qvel[i], "qvel %d", i);
      cr_assert_eq(obs[18 + i], (maml_real)d->xmat[9 * w.torso_body + i], "xmat %d", i);
    }
  }
  maml_env_free(&e);
  maml_env_world_close(&w);
}
