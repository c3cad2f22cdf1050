/* The public C API (maml/env.h, maml/env_mujoco.h): a program outside envs/, with the
 * maml/ headers alone, defines its own robot (the half-cheetah's MJCF named by absolute path, with
 * another observation, other costs and a termination rule) and its own task kind (stand at
 * a height: -|v_x| - |z - h|), registers a family of them and uses it as a built-in one:
 * the rewards, observations and terminations against the MuJoCo state, the registry's and
 * the config's view of it, two meta-iterations of training. Robots whose observation or
 * sizes do not fit the model are refused with a message. Each test runs in its own
 * process, so registrations do not carry over. */
#include <criterion/criterion.h>
#include <math.h>
#include <mujoco/mujoco.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maml/config.h"
#include "maml/env.h"
#include "maml/env_mujoco.h"
#include "maml/train.h"

#ifndef MAML_TEST_ASSETS
#error "MAML_TEST_ASSETS: the source tree's assets folder (tests/CMakeLists.txt)"
#endif
#define MODEL MAML_TEST_ASSETS "/half_cheetah.xml"
#define ERR_SZ 8192

/* the half-cheetah model's sizes */
#define NQ 9
#define NV 9
#define NU 6
#define NBODY 8
#define OBS_DIM (NQ + NV + 9 + 6 * NBODY) /* all of qpos, qvel, the torso's xmat, cfrc_ext */

#define CTRL_COST 0.1
#define CONTACT_COST 0.002
#define ALIVE 1.0
#define Z_MIN -0.15 /* rootz (qpos[1]) leaves [Z_MIN, Z_MAX]: the episode ends */
#define Z_MAX 0.25

/* ---- the task kind: stand still with the torso's centre of mass at height h ---------- */

static double com_z(const maml_env *e) {
  return e->data->subtree_com[3 * e->world->torso_body + 2];
}

static void stand_sample(const maml_env_family *f, maml_rng *rng, double *task) {
  task[0] = maml_rng_uniform_range(rng, f->dist.lo, f->dist.hi);
}

static maml_status stand_parse(const maml_env_family *f, const char *text, double *task, char *err,
                               size_t err_sz) {
  return maml_task_parse_range(f->name, "height", text, 1, f->dist.lo, f->dist.hi, task, err,
                               err_sz);
}

static void stand_describe(const maml_env_family *f, char *desc, size_t desc_n, char *syntax,
                           size_t syntax_n) {
  snprintf(desc, desc_n, "torso height ~ U[%g, %g]", f->dist.lo, f->dist.hi);
  snprintf(syntax, syntax_n, "a height in [%g, %g], e.g. %g", f->dist.lo, f->dist.hi,
           0.5 * (f->dist.lo + f->dist.hi));
}

static void stand_goal_text(const double *task, char *buf, size_t n) {
  snprintf(buf, n, "height %.2f m", task[0]);
}

static double stand_reward(maml_env *e, int *done) {
  (void)done;
  return -fabs(e->info.forward_vel) - fabs(com_z(e) - e->task[0]) + e->world->family->dist.bonus;
}

static int stand_check(const maml_env_task_dist *d, char *why, size_t n) {
  if (isfinite(d->lo) && isfinite(d->hi) && 0 <= d->lo && d->lo < d->hi && isfinite(d->bonus))
    return 0;
  snprintf(why, n, "heights [%g, %g], bonus %g: expected 0 <= lo < hi, a finite bonus", d->lo,
           d->hi, d->bonus);
  return 1;
}

static const maml_env_task_kind stand_kind = {
    .name = "stand-height",
    .dim = 1,
    .marker = MAML_MARKER_NONE,
    .sample = stand_sample,
    .parse = stand_parse,
    .describe = stand_describe,
    .goal_text = stand_goal_text,
    .reward = stand_reward,
    .check = stand_check,
};

/* ---- the robot: the half-cheetah's model, another observation and other costs ---------- */

static maml_env_robot upright(void) {
  maml_env_robot r = {
      .name = "cheetah-upright",
      .model_file = MODEL,
      .body = "torso",
      .gait = "stand",
      .obs_dim = OBS_DIM,
      .act_dim = NU,
      .nq = NQ,
      .nv = NV,
      .nu = NU,
      .nbody = NBODY,
      .qpos_noise = MAML_MJ_QPOS_NOISE,
      .qvel_noise = MAML_MJ_QVEL_NOISE,
      .ctrl_cost = CTRL_COST,
      .contact_cost = CONTACT_COST,
      .alive_bonus = ALIVE,
      .height_index = 1,
      .z_min = Z_MIN,
      .z_max = Z_MAX,
      .forces = 1,
      .reset = maml_mj_robot_reset,
      .advance = maml_mj_robot_advance,
      .observe = maml_mj_observe,
      .obs_parts = {{MAML_OBS_QPOS, 0, 0},
                    {MAML_OBS_QVEL, 0, 0},
                    {MAML_OBS_BODY_XMAT, 0, 0},
                    {MAML_OBS_CFRC_EXT, 0, 0}},
      .view = {.distance = 4.5, .elevation = -12, .lookat_z = 0.4},
  };
  return r;
}

static maml_env_robot robot; /* outlives the registry, as maml_env_register asks */

static maml_env_family stand_family(const char *name, const maml_env_robot *r) {
  maml_env_family f = {.name = name,
                       .robot = r,
                       .kind = &stand_kind,
                       .dist = {.lo = 0.4, .hi = 0.8, .bonus = 0.5},
                       .horizon = 40,
                       .preset = {.tasks = 6, .episodes = 3}};
  return f;
}

static void register_stand(void) {
  robot = upright();
  maml_env_family f = stand_family("cheetah-stand", &robot);
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_register(&f, err, sizeof err), MAML_OK, "%s", err);
}

/* ---- the reward recomputed from the MuJoCo state -------------------------------------- */

/* x velocity of the torso subtree's centre of mass: its Jacobian times qvel */
static double com_velocity_x(const mjModel *m, const mjData *d, int torso) {
  mjData *copy = mj_copyData(NULL, m, d);
  mjtNum jacp[3 * NV];
  mj_jacSubtreeCom(m, copy, jacp, torso);
  double v = 0;
  for (int j = 0; j < m->nv; j++) v += jacp[j] * d->qvel[j];
  mj_deleteData(copy);
  return v;
}

/* height of the torso subtree's centre of mass: the bodies' masses times their xipos */
static double com_height(const mjModel *m, const mjData *d, int torso) {
  double mass = 0, moment = 0;
  for (int b = 1; b < m->nbody; b++) {
    int a = b;
    while (a > torso) a = m->body_parentid[a];
    if (a != torso) continue;
    mass += m->body_mass[b];
    moment += m->body_mass[b] * d->xipos[3 * b + 2];
  }
  return moment / mass;
}

static double clip1(double x) {
  return x < -1 ? -1 : (x > 1 ? 1 : x);
}

/* the reward of a step with action a in the state d is in */
static double expected_reward(const mjModel *m, const mjData *d, int torso, const maml_real *a,
                              double h) {
  double ctrl = 0, contact = 0;
  for (int i = 0; i < NU; i++) ctrl += clip1(a[i]) * clip1(a[i]);
  for (int i = 0; i < 6 * m->nbody; i++) contact += clip1(d->cfrc_ext[i]) * clip1(d->cfrc_ext[i]);
  double task = -fabs(com_velocity_x(m, d, torso)) - fabs(com_height(m, d, torso) - h) + 0.5;
  return ALIVE - CTRL_COST * ctrl - CONTACT_COST * contact + task;
}

static void check_observation(const maml_real *obs, const mjData *d, int torso, int t) {
  for (int i = 0; i < NQ; i++) cr_assert_eq(obs[i], (maml_real)d->qpos[i], "step %d qpos %d", t, i);
  for (int i = 0; i < NV; i++)
    cr_assert_eq(obs[NQ + i], (maml_real)d->qvel[i], "step %d qvel %d", t, i);
  for (int i = 0; i < 9; i++)
    cr_assert_eq(obs[NQ + NV + i], (maml_real)d->xmat[9 * torso + i], "step %d xmat %d", t, i);
  for (int i = 0; i < 6 * NBODY; i++)
    cr_assert_eq(obs[NQ + NV + 9 + i], (maml_real)clip1(d->cfrc_ext[i]), "step %d cfrc %d", t, i);
}

Test(env_public, an_own_robot_and_task_kind_step_as_the_mujoco_state_says) {
  register_stand();
  char err[ERR_SZ] = "";
  maml_env_world w;
  maml_env e;
  cr_assert_eq(maml_env_world_open(&w, "cheetah-stand", 0, NULL, err, sizeof err), MAML_OK, "%s",
               err);
  cr_assert_str_eq(w.model_path, MODEL, "the absolute path is the model, no search");
  cr_assert_eq(w.obs_dim, OBS_DIM);
  cr_assert_eq(maml_env_init(&e, &w, err, sizeof err), MAML_OK, "%s", err);
  const mjModel *m = w.model;
  const int torso = mj_name2id(m, mjOBJ_BODY, "torso");
  cr_assert_eq(w.torso_body, torso);

  maml_rng rng, ra;
  maml_rng_init(&rng, 11, 0, 0, 0, 0);
  maml_rng_init(&ra, 12, 0, 0, 0, 0);
  maml_real obs[OBS_DIM], act[NU];
  int steps = 0, ended = 0;
  for (int episode = 0; episode < 3; episode++) {
    double h = 0.4 + 0.2 * episode;
    maml_env_reset(&e, &h, &rng, obs);
    check_observation(obs, e.data, torso, -1);
    for (int t = 0; t < w.family->horizon; t++) {
      for (int a = 0; a < NU; a++) act[a] = (maml_real)(1.5 * maml_rng_normal(&ra));
      double r = 0;
      int done = -1;
      maml_env_step(&e, act, obs, &r, &done);
      const mjData *d = e.data;
      cr_assert_eq(e.info.unstable, 0, "step %d", t);
      check_observation(obs, d, torso, t);
      double want = expected_reward(m, d, torso, act, h);
      cr_assert_float_eq(r, want, 1e-9, "episode %d step %d: %.17g vs %.17g", episode, t, r, want);
      cr_assert_eq(done, d->qpos[1] < Z_MIN || d->qpos[1] > Z_MAX, "step %d: rootz %g", t,
                   d->qpos[1]);
      steps++;
      if (done) {
        ended++;
        break;
      }
    }
  }
  cr_assert_gt(steps, 20);
  cr_assert_gt(ended, 0, "the seeds chosen fall below Z_MIN at least once");
  cr_log_info("%d steps, %d episodes ended by the height rule", steps, ended);
  maml_env_free(&e);
  maml_env_world_close(&w);
}

Test(env_public, the_registry_and_the_config_know_the_family) {
  int before = 0;
  maml_env_families(&before);
  register_stand();
  int n = 0;
  const maml_env_family *const *all = maml_env_families(&n);
  const maml_env_family *f = maml_env_find("cheetah-stand");
  cr_assert_eq(n, before + 1);
  cr_assert_not_null(f);
  cr_assert_eq(all[n - 1], f);
  cr_assert_str_eq(f->robot->name, "cheetah-upright");
  cr_assert_eq(f->kind, &stand_kind);
  cr_assert_str_eq(f->model_file, MODEL);
  cr_assert_eq(f->obs_dim, OBS_DIM);
  cr_assert_eq(f->act_dim, NU);
  cr_assert_eq(f->task_dim, 1);
  cr_assert_str_eq(f->task_desc, "torso height ~ U[0.4, 0.8]");
  cr_assert_str_eq(f->goal_syntax, "a height in [0.4, 0.8], e.g. 0.6");
  const char *names = maml_env_names();
  cr_assert(strstr(names, "cheetah-vel") && strstr(names, ", cheetah-stand"), "%s", names);

  /* its tasks: drawn and parsed in the family's range, the message naming it */
  char err[ERR_SZ] = "";
  maml_rng rng;
  maml_rng_init(&rng, 1, 0, 0, 0, 0);
  for (int i = 0; i < 100; i++) {
    double h = -1;
    f->sample_task(&rng, &h);
    cr_assert(h >= 0.4 && h <= 0.8, "%g", h);
  }
  double h = 0;
  cr_assert_eq(f->parse_task("0.75", &h, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(h, 0.75);
  char text[64];
  cr_assert_eq(maml_env_format_task(f, &h, text, sizeof text), 4);
  cr_assert_str_eq(text, "0.75");
  cr_assert_eq(f->parse_task("0.9", &h, err, sizeof err), MAML_ERR_ARG);
  cr_assert(strstr(err, "cheetah-stand") && strstr(err, "height 0.9") && strstr(err, "[0.4, 0.8]"),
            "%s", err);
  cr_assert_eq(f->parse_task("tall", &h, err, sizeof err), MAML_ERR_FORMAT);
  cr_assert_eq(h, 0.75, "a refused goal leaves the task as it was");

  /* the model: the absolute path, whatever assets folder is named */
  maml_env_model model;
  cr_assert_eq(maml_env_model_find("cheetah-stand", "/nonexistent-assets", &model, err, sizeof err),
               MAML_OK, "%s", err);
  cr_assert_str_eq(model.path, MODEL);
  cr_assert_str_eq(model.folder, "");

  /* the config: the name and the preset, the help texts */
  maml_config c;
  maml_config_defaults(&c);
  cr_assert_eq(maml_config_set(&c, "env", "cheetah-stand", err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(c.tasks, 6);
  cr_assert_eq(c.episodes, 3);
  cr_assert_eq(c.horizon, 40);
  cr_assert_eq(c.iterations, MAML_ENV_ITERATIONS);
  maml_env_preset_text(MAML_PRESET_TASKS, text, sizeof text);
  cr_assert(strstr(text, "cheetah-stand 6"), "%s", text);
}

Test(env_public, the_family_trains_through_the_library) {
  register_stand();
  char err[ERR_SZ] = "";
  maml_config c;
  maml_config_defaults(&c);
  cr_assert_eq(maml_config_set(&c, "env", "cheetah-stand", err, sizeof err), MAML_OK, "%s", err);
  c.tasks = 2, c.episodes = 2, c.horizon = 20, c.iterations = 2;
  c.n_hidden = 2, c.hidden[0] = c.hidden[1] = 16;
  c.threads = 2;
  c.seed = 5;
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_OK, "%s", err);
  maml_trainer *t = NULL;
  cr_assert_eq(maml_trainer_create(&t, &c, NULL, NULL, err, sizeof err), MAML_OK, "%s", err);
  size_t np = maml_trainer_policy(t)->n_params;
  maml_real *theta0 = malloc(np * sizeof *theta0);
  cr_assert_not_null(theta0);
  memcpy(theta0, maml_trainer_theta(t), np * sizeof *theta0);
  for (int i = 0; i < 2; i++) {
    maml_iter_metrics it;
    cr_assert_eq(maml_trainer_iterate(t, &it, err, sizeof err), MAML_OK, "%s", err);
    cr_assert_eq(it.rejected, 0, "iteration %d", i);
    cr_assert(isfinite(it.pre_return) && isfinite(it.post_return), "iteration %d", i);
    /* a return per episode of at most horizon steps of at most alive + bonus each */
    cr_assert_leq(it.pre_return, 20 * (ALIVE + 0.5), "%g", it.pre_return);
  }
  cr_assert_eq(maml_trainer_iteration(t), 2);
  cr_assert_neq(memcmp(theta0, maml_trainer_theta(t), np * sizeof *theta0), 0,
                "two steps changed the parameters");
  cr_assert_str_eq(maml_trainer_config(t)->env, "cheetah-stand");
  free(theta0);
  maml_trainer_destroy(t);
}

/* refused by maml_env_register with MAML_ERR_ARG and a message holding want */
static void register_refused(const maml_env_robot *r, const char *want) {
  maml_env_family f = stand_family("cheetah-bad", r);
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_register(&f, err, sizeof err), MAML_ERR_ARG, "%s: %s", want, err);
  cr_assert(strstr(err, "cheetah-bad") && strstr(err, want), "want '%s' in: %s", want, err);
  cr_assert_null(maml_env_find("cheetah-bad"));
}

/* registered (the robot is consistent in itself), refused when its world opens */
static void open_refused(const maml_env_robot *r, maml_status status, const char *want) {
  maml_env_family f = stand_family("cheetah-bad", r);
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_register(&f, err, sizeof err), MAML_OK, "%s", err);
  maml_env_world w;
  cr_assert_eq(maml_env_world_open(&w, "cheetah-bad", 0, NULL, err, sizeof err), status, "%s", err);
  cr_assert(strstr(err, "cheetah-bad") && strstr(err, want), "want '%s' in: %s", want, err);
  maml_env_world_close(&w);
}

Test(env_public, a_robot_whose_observation_does_not_fit_is_refused) {
  static maml_env_robot r;
  r = upright();
  r.obs_parts[0].skip = 10;
  register_refused(&r, "observation part 1: qpos skip 10 outside [0, nq 9]");
  r = upright();
  r.obs_dim = OBS_DIM + 1;
  register_refused(&r, "its observation parts make 75 numbers, not obs_dim 76");
  r = upright();
  r.forces = 0;
  register_refused(&r, "set forces 1");
  r = upright();
  r.height_index = NQ;
  register_refused(&r, "height_index 9 outside [0, nq 9)");
}

Test(env_public, a_robot_of_other_sizes_than_its_model_is_refused_at_open) {
  static maml_env_robot r;
  r = upright(); /* the ant's sizes with the cheetah's model: the parts fit the sizes given */
  r.nq = 15, r.nv = 14, r.nu = 8, r.nbody = 14, r.act_dim = 8;
  r.obs_dim = 15 + 14 + 9 + 6 * 14;
  open_refused(&r, MAML_ERR_FORMAT, "does not fit: the model has nq 9, nv 9, nu 6, nbody 8");
}

Test(env_public, a_missing_model_is_refused_at_open) {
  static maml_env_robot r;
  r = upright();
  r.model_file = MAML_TEST_ASSETS "/no_such_robot.xml";
  open_refused(&r, MAML_ERR_IO, MAML_TEST_ASSETS "/no_such_robot.xml");
}

Test(env_public, a_robot_without_its_body_in_the_model_is_refused_at_open) {
  static maml_env_robot r;
  r = upright();
  r.body = "chassis";
  open_refused(&r, MAML_ERR_FORMAT, "no body named 'chassis'");
}
