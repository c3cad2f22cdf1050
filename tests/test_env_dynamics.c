/* Dynamics tasks (envs/task_dynamics.c): the same task gives the same trajectory on any
 * thread and instance, different tasks differ, the scaled parameters and the derived
 * constants match values computed here (subtree masses by hand, inverse weights from a
 * fresh copy scaled here and mj_setConst), a task of u = 0 gives the original model's
 * trajectory bit for bit, a family may vary some groups only, and bad task text is refused
 * with a message. */
#define _XOPEN_SOURCE 700 /* mkdtemp */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maml/env.h"

#define ERR_SZ 8192
#define STEPS 60

static void open_world(maml_env_world *w, const char *family) {
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_world_open(w, family, 0, NULL, err, sizeof err), MAML_OK, "%s: %s", family,
               err);
}

static void init_env(maml_env *e, const maml_env_world *w) {
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_init(e, w, err, sizeof err), MAML_OK, "%s", err);
}

static void draw_task(const maml_env_family *f, uint32_t index, double *task) {
  maml_rng rng;
  maml_rng_init(&rng, 5, 0, MAML_PHASE_TASKS, index, 0);
  f->sample_task(&rng, task);
}

/* one episode of fixed actions (a sine per actuator) with reset noise of seed 9: the
 * observations, rewards and forward velocities, STEPS each */
typedef struct {
  maml_env *e;
  const double *task;
  double out[STEPS][32];
} episode;

static void run_episode(episode *ep) {
  maml_env *e = ep->e;
  const maml_env_family *f = e->world->family;
  maml_real obs[32], act[8];
  maml_rng rng;
  maml_rng_init(&rng, 9, 0, 0, 0, 0);
  maml_env_reset(e, ep->task, &rng, obs);
  memset(ep->out, 0, sizeof ep->out);
  for (int t = 0; t < STEPS; t++) {
    for (int a = 0; a < f->act_dim; a++) act[a] = (maml_real)sin(0.3 * t + a);
    double r = 0;
    int done = 0;
    maml_env_step(e, act, obs, &r, &done);
    for (int i = 0; i < e->world->obs_dim && i < 30; i++) ep->out[t][i] = (double)obs[i];
    ep->out[t][30] = r;
    ep->out[t][31] = e->info.forward_vel;
  }
}

static void *run_thread(void *arg) {
  run_episode(arg);
  return NULL;
}

Test(env_dynamics, the_same_task_gives_the_same_trajectory_on_any_thread_and_instance) {
  maml_env_world w;
  open_world(&w, "cheetah-params");
  const maml_env_family *f = w.family;
  cr_assert_eq(f->task_dim, 68);
  double a[MAML_TASK_MAX], b[MAML_TASK_MAX];
  draw_task(f, 0, a);
  draw_task(f, 1, b);
  maml_env e1, e2;
  init_env(&e1, &w);
  init_env(&e2, &w);
  cr_assert(e1.model != w.model && e2.model != w.model && e1.model != e2.model,
            "each instance has its own model");
  static episode first, second, other;
  first = (episode){.e = &e1, .task = a};
  pthread_t th;
  cr_assert_eq(pthread_create(&th, NULL, run_thread, &first), 0);
  pthread_join(th, NULL);
  /* the other instance, on this thread, after another task */
  other = (episode){.e = &e2, .task = b};
  run_episode(&other);
  second = (episode){.e = &e2, .task = a};
  mjModel *before = e2.model;
  run_episode(&second);
  cr_assert_eq(e2.model, before, "the model is not reallocated at reset");
  cr_assert_eq(memcmp(first.out, second.out, sizeof first.out), 0, "same task, same trajectory");
  /* different tasks differ: in the velocities and in the rewards */
  double diff = 0;
  for (int t = 0; t < STEPS; t++) diff += fabs(first.out[t][31] - other.out[t][31]);
  cr_assert_gt(diff, 1e-3, "two tasks gave the same forward velocities (sum |dv| %g)", diff);
  /* again on the first instance, a third time: unchanged */
  run_episode(&other);
  run_episode(&first);
  cr_assert_eq(memcmp(first.out, second.out, sizeof first.out), 0);
  maml_env_free(&e1);
  maml_env_free(&e2);
  maml_env_world_close(&w);
}

/* the parameters scaled as the task says, the derived constants recomputed */
Test(env_dynamics, derived_constants_match_a_model_built_with_the_scaled_values) {
  maml_env_world w;
  open_world(&w, "cheetah-params");
  const maml_env_family *f = w.family;
  const mjModel *m0 = w.model;
  double u[MAML_TASK_MAX];
  draw_task(f, 3, u);
  maml_env e;
  init_env(&e, &w);
  maml_env_reset(&e, u, NULL, NULL);
  const mjModel *m = e.model;
  const int nb = m0->nbody, ng = m0->ngeom, nv = m0->nv;
  cr_assert_eq(f->task_dim, nb + 3 * nb + 3 * ng + nv);
  /* the parameters: mass, inertia, friction x 1.5^u, damping x 1.3^u in the task's order */
  int k = 0;
  for (int i = 0; i < nb; i++, k++)
    cr_assert_float_eq(m->body_mass[i], m0->body_mass[i] * pow(1.5, u[k]), 1e-12, "mass %d", i);
  for (int i = 0; i < 3 * nb; i++, k++)
    cr_assert_float_eq(m->body_inertia[i], m0->body_inertia[i] * pow(1.5, u[k]), 1e-12);
  for (int i = 0; i < 3 * ng; i++, k++)
    cr_assert_float_eq(m->geom_friction[i], m0->geom_friction[i] * pow(1.5, u[k]), 1e-12);
  for (int i = 0; i < nv; i++, k++)
    cr_assert_float_eq(m->dof_damping[i], m0->dof_damping[i] * pow(1.3, u[k]), 1e-12);
  cr_assert_eq(k, f->task_dim);
  for (int i = 0; i < f->task_dim; i++) cr_assert(u[i] >= -3 && u[i] <= 3);
  /* subtree masses by hand: each body's mass added to itself and every ancestor */
  double sub[64] = {0};
  for (int i = nb - 1; i >= 0; i--) {
    sub[i] += m->body_mass[i];
    if (i > 0) sub[m->body_parentid[i]] += sub[i];
  }
  for (int i = 0; i < nb; i++) {
    cr_assert_float_eq(m->body_subtreemass[i], sub[i], 1e-9 * sub[0], "subtree mass %d", i);
    if (i > 0) cr_assert_neq(m->body_subtreemass[i], m0->body_subtreemass[i]);
  }
  /* the inverse weights: a fresh copy of the original scaled here, mj_setConst from scratch */
  mjModel *ref = mj_copyModel(NULL, m0);
  mjData *d = mj_makeData(ref);
  cr_assert(ref && d);
  mju_copy(ref->body_mass, m->body_mass, nb);
  mju_copy(ref->body_inertia, m->body_inertia, 3 * nb);
  mju_copy(ref->geom_friction, m->geom_friction, 3 * ng);
  mju_copy(ref->dof_damping, m->dof_damping, nv);
  mj_setConst(ref, d);
  for (int i = 0; i < nv; i++) {
    cr_assert_float_eq(m->dof_invweight0[i], ref->dof_invweight0[i], 1e-12, "dof %d", i);
    cr_assert_neq(m->dof_invweight0[i], m0->dof_invweight0[i], "dof_invweight0 %d is stale", i);
  }
  for (int i = 0; i < 2 * nb; i++)
    cr_assert_float_eq(m->body_invweight0[i], ref->body_invweight0[i], 1e-12);
  for (int i = 0; i < m->nu; i++)
    cr_assert_float_eq(m->actuator_acc0[i], ref->actuator_acc0[i], 1e-9);
  mj_deleteData(d);
  mj_deleteModel(ref);
  maml_env_free(&e);
  maml_env_world_close(&w);
}

Test(env_dynamics, a_task_of_zeros_gives_the_original_trajectory_bit_for_bit) {
  maml_env_world w, plain;
  open_world(&w, "cheetah-params");
  open_world(&plain, "cheetah-vel"); /* the same robot, the original model */
  double zero[MAML_TASK_MAX] = {0}, u[MAML_TASK_MAX], goal[MAML_TASK_MAX] = {1.0};
  draw_task(w.family, 4, u);
  maml_env e, p;
  init_env(&e, &w);
  init_env(&p, &plain);
  static episode changed, back, original;
  changed = (episode){.e = &e, .task = u};
  run_episode(&changed);
  back = (episode){.e = &e, .task = zero};
  run_episode(&back);
  original = (episode){.e = &p, .task = goal};
  run_episode(&original);
  for (int t = 0; t < STEPS; t++) {
    cr_assert_eq(memcmp(back.out[t], original.out[t], 30 * sizeof(double)), 0, "step %d", t);
    cr_assert_eq(back.out[t][31], original.out[t][31], "forward velocity, step %d", t);
  }
  cr_assert_eq(memcmp(e.model->body_subtreemass, w.model->body_subtreemass,
                      (size_t)w.model->nbody * sizeof(mjtNum)),
               0);
  maml_env_free(&e);
  maml_env_free(&p);
  maml_env_world_close(&w);
  maml_env_world_close(&plain);
}

/* the reward is the usual forward run: v_x - 0.05 sum(a^2) for the half-cheetah */
Test(env_dynamics, the_reward_is_the_forward_run) {
  maml_env_world w;
  open_world(&w, "cheetah-params");
  double u[MAML_TASK_MAX];
  draw_task(w.family, 6, u);
  maml_env e;
  init_env(&e, &w);
  maml_env_reset(&e, u, NULL, NULL);
  maml_real act[6] = {0.5f, -0.25f, 1, -1, 0.1f, 2}; /* the last clipped to 1 */
  double sumsq = 0.25 + 0.0625 + 1 + 1 + (double)(maml_real)0.1f * (maml_real)0.1f + 1;
  for (int t = 0; t < 5; t++) {
    double r;
    int done;
    maml_env_step(&e, act, NULL, &r, &done);
    cr_assert_float_eq(r, e.info.forward_vel - 0.05 * sumsq, 1e-12, "step %d", t);
    cr_assert_eq(done, 0);
  }
  maml_env_free(&e);
  maml_env_world_close(&w);
}

/* a family that varies the damping only: nv numbers, the rest of the model unchanged */
Test(env_dynamics, a_family_may_vary_some_groups_only) {
  maml_env_family g = *maml_env_find("cheetah-params");
  g.name = "cheetah-damping";
  g.dist.params = MAML_DYN_DAMPING;
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_register(&g, err, sizeof err), MAML_OK, "%s", err);
  maml_env_world w;
  open_world(&w, "cheetah-damping");
  cr_assert_eq(w.family->task_dim, w.model->nv);
  double u[MAML_TASK_MAX];
  draw_task(w.family, 2, u);
  maml_env e;
  init_env(&e, &w);
  maml_env_reset(&e, u, NULL, NULL);
  const mjModel *m = e.model, *m0 = w.model;
  for (int i = 0; i < m->nv; i++)
    cr_assert_float_eq(m->dof_damping[i], m0->dof_damping[i] * pow(1.3, u[i]), 1e-12);
  cr_assert_eq(memcmp(m->body_mass, m0->body_mass, (size_t)m->nbody * sizeof(mjtNum)), 0);
  cr_assert_eq(memcmp(m->geom_friction, m0->geom_friction, 3 * (size_t)m->ngeom * sizeof(mjtNum)),
               0);
  maml_env_free(&e);
  maml_env_world_close(&w);
  /* no group, or a bad range: refused naming the field */
  g.name = "cheetah-none";
  g.dist.params = 0;
  cr_assert_eq(maml_env_register(&g, err, sizeof err), MAML_ERR_ARG);
  cr_assert(strstr(err, "params 0"), "%s", err);
}

/* The viewer's physics line: per varied group, the least and greatest scale factor
 * (1.5^u for mass, inertia and friction, 1.3^u for damping), not the world body's; only
 * the varied groups. */
Test(env_dynamics, the_physics_line_names_each_groups_scale_factors) {
  const maml_env_family *f = maml_env_find("hopper-params");
  cr_assert(f && f->kind->goal_detail);
  const maml_env_robot *r = f->robot;
  double u[MAML_TASK_MAX] = {0};
  u[0] = -3.0;                               /* the world body's: left out */
  u[1] = 3.0;                                /* a body's mass x3.375 */
  u[r->nbody] = 3.0;                         /* the world body's inertia: left out */
  u[r->nbody + 3] = -2.0;                    /* a body's inertia x0.444 */
  u[4 * r->nbody + 3 * r->ngeom - 1] = -3.0; /* the last friction x0.296 */
  u[4 * r->nbody + 3 * r->ngeom] = 1.0;      /* a damping x1.3 */
  char buf[256];
  f->kind->goal_detail(f, u, buf, sizeof buf);
  cr_assert_str_eq(buf, "mass x1-3.4, inertia x0.44-1, friction x0.3-1, damping x1-1.3");
  char small[12];
  f->kind->goal_detail(f, u, small, sizeof small); /* cut, never past the end */
  cr_assert_str_eq(small, "mass x1-3.4");

  maml_env_family g = *maml_env_find("cheetah-params");
  g.name = "cheetah-friction";
  g.dist.params = MAML_DYN_FRICTION;
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_register(&g, err, sizeof err), MAML_OK, "%s", err);
  const maml_env_family *h = maml_env_find("cheetah-friction");
  double v[MAML_TASK_MAX];
  for (int i = 0; i < h->task_dim; i++) v[i] = i == 0 ? 1.0 : 0.5;
  h->kind->goal_detail(h, v, buf, sizeof buf);
  cr_assert_str_eq(buf, "friction x1.2-1.5");
}

/* An oracle world appends the task: as drawn (RAW), or times the kind's scale (SCALED):
 * u / (3 sqrt(n)) for hopper-params' n = 41 numbers of U(-3, 3); the robot's own
 * observation the same in both; a kind without a scale (nav2d's goal) appends it as is. */
Test(env_dynamics, an_oracle_world_appends_the_task_raw_or_scaled) {
  maml_env_world raw, scaled, plain;
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_world_open(&raw, "hopper-params", MAML_ORACLE_RAW, NULL, err, sizeof err),
               MAML_OK, "%s", err);
  cr_assert_eq(
      maml_env_world_open(&scaled, "hopper-params", MAML_ORACLE_SCALED, NULL, err, sizeof err),
      MAML_OK, "%s", err);
  open_world(&plain, "hopper-params");
  const maml_env_family *f = raw.family;
  cr_assert_eq(f->task_dim, 41);
  cr_assert_eq(raw.oracle_scale, 1.0);
  cr_assert_float_eq(scaled.oracle_scale, 1.0 / (3.0 * sqrt(41.0)), 1e-15);
  double u[MAML_TASK_MAX];
  draw_task(f, 4, u);
  maml_real o_raw[128], o_scaled[128], o_plain[128];
  maml_env e[3];
  const maml_env_world *w[3] = {&raw, &scaled, &plain};
  maml_real *o[3] = {o_raw, o_scaled, o_plain};
  for (int k = 0; k < 3; k++) {
    init_env(&e[k], w[k]);
    maml_rng rng;
    maml_rng_init(&rng, 9, 0, MAML_PHASE_TEST, 0, 0);
    maml_env_reset(&e[k], u, &rng, o[k]);
  }
  for (int i = 0; i < f->obs_dim; i++) {
    cr_assert_eq(o_raw[i], o_plain[i], "the robot's own observation %d", i);
    cr_assert_eq(o_scaled[i], o_plain[i], "the robot's own observation %d", i);
  }
  for (int i = 0; i < f->task_dim; i++) {
    cr_assert_eq(o_raw[f->obs_dim + i], (maml_real)u[i]);
    cr_assert_float_eq(o_scaled[f->obs_dim + i], (maml_real)(u[i] / (3.0 * sqrt(41.0))), 1e-6);
  }
  for (int k = 0; k < 3; k++) maml_env_free(&e[k]);
  maml_env_world_close(&raw), maml_env_world_close(&scaled), maml_env_world_close(&plain);

  maml_env_world nav;
  cr_assert_eq(maml_env_world_open(&nav, "nav2d", MAML_ORACLE_SCALED, NULL, err, sizeof err),
               MAML_OK, "%s", err);
  cr_assert_eq(nav.oracle_scale, 1.0, "a kind without a scale appends its task as is");
  maml_env_world_close(&nav);
}

Test(env_dynamics, bad_task_text_is_refused_with_a_message) {
  const maml_env_family *f = maml_env_find("cheetah-params");
  double u[MAML_TASK_MAX];
  char err[ERR_SZ] = "";
  cr_assert_neq(f->parse_task("0.5,1,2", u, err, sizeof err), MAML_OK);
  cr_assert(strstr(err, "expected 68 numbers") && strstr(err, "got 3"), "%s", err);
  char text[68 * 8] = "";
  for (int i = 0; i < 68; i++) strcat(text, i == 0 ? "0" : (i == 9 ? ",3.5" : ",0"));
  cr_assert_eq(f->parse_task(text, u, err, sizeof err), MAML_ERR_ARG);
  cr_assert(
      strstr(err, "u number 10 (body_inertia[1])") && strstr(err, "3.5") && strstr(err, "[-3, 3]"),
      "%s", err);
  text[strlen(text) - 1] = 'x';
  cr_assert_eq(f->parse_task(text, u, err, sizeof err), MAML_ERR_FORMAT);
  cr_assert(strstr(err, "not a number"), "%s", err);
  cr_assert(f->kind->no_goal_flag && strstr(f->goal_syntax, "not --goal"), "%s", f->goal_syntax);
}

/* a dynamics family needs the model's layout (its bodies and geoms) to be the robot's; the
 * other families of the robot still take a model with one more geom */
Test(env_dynamics, a_model_of_another_layout_is_refused) {
  maml_env_world w;
  open_world(&w, "cheetah-vel");
  FILE *in = fopen(w.model_path, "r");
  cr_assert_not_null(in, "%s", w.model_path);
  static char xml[1 << 16], changed[(1 << 16) + 200];
  xml[fread(xml, 1, sizeof xml - 1, in)] = '\0';
  fclose(in);
  maml_env_world_close(&w);
  char *floor = strstr(xml, "<geom name=\"floor\"");
  cr_assert_not_null(floor);
  snprintf(changed, sizeof changed,
           "%.*s<geom name=\"rock\" type=\"sphere\" size=\"0.1\" "
           "pos=\"3 1 0\"/>%s",
           (int)(floor - xml), xml, floor);
  char dir[] = "/tmp/maml-test-dynamics-XXXXXX", path[64];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/half_cheetah.xml", dir);
  FILE *out = fopen(path, "w");
  cr_assert_not_null(out);
  fputs(changed, out);
  fclose(out);
  char err[ERR_SZ] = "";
  maml_status s = maml_env_world_open(&w, "cheetah-params", 0, dir, err, sizeof err);
  cr_expect_eq(s, MAML_ERR_FORMAT, "%s", err);
  cr_expect(strstr(err, "ngeom 10") && strstr(err, "cheetah-params needs 9"), "%s", err);
  s = maml_env_world_open(&w, "cheetah-vel", 0, dir, err, sizeof err);
  cr_expect_eq(s, MAML_OK, "%s", err);
  if (s == MAML_OK) maml_env_world_close(&w);
  unlink(path);
  rmdir(dir);
}
