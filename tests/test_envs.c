/* Environments: the registry, model facts of docs/tasks.md, observation layouts, rewards and
 * termination against values computed here from states the tests set, the step against
 * MuJoCo's own mj_step, instability, nav2d's exact dynamics, reset noise and determinism,
 * task text (parse/format, bad goals), and the model search's errors. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "maml/env.h"
#include "maml/hash.h"

#define ERR_SZ 8192

/* ---- helpers ------------------------------------------------------------------------- */

typedef struct {
  maml_env_world world;
  maml_env env;
} fixture;

static void open_env(fixture *fx, const char *family, int oracle) {
  char err[ERR_SZ] = "";
  maml_status s = maml_env_world_open(&fx->world, family, oracle, NULL, err, sizeof err);
  cr_assert_eq(s, MAML_OK, "open %s: %s", family, err);
  s = maml_env_init(&fx->env, &fx->world, err, sizeof err);
  cr_assert_eq(s, MAML_OK, "init %s: %s", family, err);
}

static void close_env(fixture *fx) {
  maml_env_free(&fx->env);
  maml_env_world_close(&fx->world);
}

static void fill(maml_real *a, int n, maml_real v) {
  for (int i = 0; i < n; i++) a[i] = v;
}

/* the contact cost recomputed from the data */
static double contact_cost(const maml_env *e) {
  const mjModel *m = e->world->model;
  double s = 0.0;
  for (int i = 0; i < 6 * m->nbody; i++) {
    double f = fmin(1.0, fmax(-1.0, e->data->cfrc_ext[i]));
    s += f * f;
  }
  return 0.0005 * s;
}

/* MuJoCo's subtree_linvel x of the torso for the current state */
static double subtree_vx(maml_env *e) {
  mj_subtreeVel(e->world->model, e->data);
  return e->data->subtree_linvel[3 * e->world->torso_body];
}

/* reset without noise, then set qvel[0] = vx (others 0) and recompute */
static void reset_with_vx(maml_env *e, const double *task, double vx) {
  maml_env_reset(e, task, NULL, NULL);
  const mjModel *m = e->world->model;
  for (int i = 0; i < m->nv; i++) e->data->qvel[i] = 0.0;
  e->data->qvel[0] = vx;
  mj_forward(m, e->data);
}

static void silent_warning(const char *msg) {
  (void)msg;
}

/* ---- registry ------------------------------------------------------------------------ */

/* the built-in families (a program may register more: tests/test_env_register.c) */
Test(envs, registry_lists_the_builtin_families_in_order) {
  static const struct {
    const char *name;
    int obs, act, task, horizon;
  } want[] = {
      {"cheetah-vel", 20, 6, 1, 200},
      {"cheetah-dir", 20, 6, 1, 200},
      {"ant-vel", 125, 8, 1, 200},
      {"ant-dir", 125, 8, 1, 200},
      {"ant-goal", 125, 8, 2, 200},
      {"nav2d", 2, 2, 2, 100},
      /* dynamics: nbody 8 + 3 * 8 inertia + 3 * ngeom 9 friction + nv 9 damping; the ant's
       * 14 + 42 + 3 * 14 + 14 */
      {"cheetah-params", 20, 6, 68, 200},
      {"ant-params", 125, 8, 112, 200},
      {"humanoid-dir", 376, 17, 1, 200},
      /* the hopper: 5 bodies, 5 geoms, 6 dofs (5 + 15 + 15 + 6); the walker 8, 8, 9 */
      {"hopper-params", 11, 3, 41, 200},
      {"walker-params", 17, 6, 65, 200},
  };
  int count = 0;
  const maml_env_family *const *f = maml_env_families(&count);
  cr_assert_eq((size_t)count, sizeof want / sizeof want[0]);
  char names[256] = "";
  for (int i = 0; i < count; i++) {
    cr_assert_str_eq(f[i]->name, want[i].name);
    cr_assert_eq(f[i]->obs_dim, want[i].obs, "%s", want[i].name);
    cr_assert_eq(f[i]->act_dim, want[i].act, "%s", want[i].name);
    cr_assert_eq(f[i]->task_dim, want[i].task, "%s", want[i].name);
    cr_assert_eq(f[i]->horizon, want[i].horizon, "%s", want[i].name);
    cr_assert(f[i]->task_desc && f[i]->goal_syntax && f[i]->robot);
    cr_assert_eq(maml_env_find(want[i].name), f[i]);
    strcat(names, i ? ", " : "");
    strcat(names, want[i].name);
  }
  cr_assert_str_eq(maml_env_names(), names);
  cr_assert_null(maml_env_find("cheetah"));
  cr_assert_null(maml_env_find("walker-vel"));
  cr_assert_null(maml_env_find(""));
  cr_assert_null(maml_env_find(NULL));
}

Test(envs, unknown_family_is_an_error_listing_the_names) {
  maml_env_world w;
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_world_open(&w, "hopper-vel", 0, NULL, err, sizeof err), MAML_ERR_ARG);
  cr_assert(strstr(err, "hopper-vel") && strstr(err, "cheetah-vel") && strstr(err, "nav2d"), "%s",
            err);
  maml_env_world_close(&w);
  maml_env_world_close(NULL);
  maml_env_free(NULL);
}

/* ---- model facts --------------------------------------------------------------------- */

Test(envs, half_cheetah_model_facts) {
  fixture fx;
  open_env(&fx, "cheetah-vel", 0);
  const mjModel *m = fx.world.model;
  cr_assert_eq(m->nq, 9);
  cr_assert_eq(m->nv, 9);
  cr_assert_eq(m->nu, 6);
  cr_assert_float_eq(m->opt.timestep, 0.01, 1e-15);
  cr_assert_eq(m->opt.integrator, mjINT_EULER);
  cr_assert_float_eq(m->opt.gravity[2], -9.81, 1e-15);
  cr_assert_float_eq(mj_getTotalmass(m), 14.0, 1e-9);
  static const double gear[6] = {120, 90, 60, 120, 60, 30};
  for (int i = 0; i < 6; i++) {
    cr_assert_float_eq(m->actuator_gear[6 * i], gear[i], 0);
    cr_assert_float_eq(m->actuator_ctrlrange[2 * i], -1, 0);
    cr_assert_float_eq(m->actuator_ctrlrange[2 * i + 1], 1, 0);
  }
  cr_assert_eq(fx.world.obs_dim, 20);
  cr_assert_eq(fx.world.init_key, -1);
  cr_assert_str_eq(m->names + m->name_bodyadr[fx.world.torso_body], "torso");
  cr_assert(strstr(fx.world.model_path, "half_cheetah.xml"), "%s", fx.world.model_path);
  close_env(&fx);

  open_env(&fx, "cheetah-dir", 1);
  cr_assert_eq(fx.world.obs_dim, 21);
  close_env(&fx);
}

Test(envs, ant_model_facts) {
  fixture fx;
  open_env(&fx, "ant-vel", 0);
  const mjModel *m = fx.world.model;
  cr_assert_eq(m->nq, 15);
  cr_assert_eq(m->nv, 14);
  cr_assert_eq(m->nu, 8);
  cr_assert_eq(m->nbody, 14);
  cr_assert_float_eq(m->opt.timestep, 0.02, 1e-15);
  cr_assert_eq(m->opt.integrator, mjINT_RK4);
  for (int i = 0; i < 8; i++) {
    cr_assert_float_eq(m->actuator_ctrlrange[2 * i], -150, 0);
    cr_assert_float_eq(m->actuator_ctrlrange[2 * i + 1], 150, 0);
  }
  cr_assert_eq(fx.world.obs_dim, 125);
  cr_assert_geq(fx.world.init_key, 0);
  // a reset without noise starts exactly at the task's initial qpos
  static const double qpos0[15] = {0, 0, 0.55, 1, 0, 0, 0, 0, 1, 0, -1, 0, -1, 0, 1};
  maml_real obs[125];
  double task = 1.0;
  maml_env_reset(&fx.env, &task, NULL, obs);
  for (int i = 0; i < 15; i++) {
    cr_assert_eq(fx.env.data->qpos[i], qpos0[i], "qpos[%d]", i);
    cr_assert_eq(obs[i], (maml_real)qpos0[i], "obs[%d]", i);
  }
  for (int i = 0; i < 14; i++) cr_assert_eq(fx.env.data->qvel[i], 0.0);
  close_env(&fx);

  open_env(&fx, "ant-dir", 1);
  cr_assert_eq(fx.world.obs_dim, 126);
  close_env(&fx);
  open_env(&fx, "ant-goal", 1);
  cr_assert_eq(fx.world.obs_dim, 127);
  close_env(&fx);
}

Test(envs, nav2d_world_has_no_model) {
  fixture fx;
  open_env(&fx, "nav2d", 0);
  cr_assert_null(fx.world.model);
  cr_assert_null(fx.env.data);
  cr_assert_eq(fx.world.obs_dim, 2);
  close_env(&fx);
  open_env(&fx, "nav2d", 1);
  cr_assert_eq(fx.world.obs_dim, 4);
  close_env(&fx);
}

/* ---- observations -------------------------------------------------------------------- */

Test(envs, cheetah_observation_layout_and_oracle) {
  fixture fx;
  open_env(&fx, "cheetah-vel", 1);
  maml_rng rng;
  maml_rng_init(&rng, 5, 0, MAML_PHASE_TEST, 0, 0);
  double task = 1.25;
  maml_real obs[21], act[6];
  maml_env_reset(&fx.env, &task, &rng, obs);
  fill(act, 6, (maml_real)0.3);
  for (int step = 0; step < 3; step++) {
    const mjData *d = fx.env.data;
    const mjtNum *com = d->subtree_com + 3 * fx.world.torso_body;
    for (int i = 0; i < 8; i++) cr_assert_eq(obs[i], (maml_real)d->qpos[i + 1]);
    for (int i = 0; i < 9; i++) cr_assert_eq(obs[8 + i], (maml_real)d->qvel[i]);
    for (int i = 0; i < 3; i++) cr_assert_eq(obs[17 + i], (maml_real)com[i]);
    cr_assert_eq(obs[20], (maml_real)1.25);
    double r;
    int done;
    maml_env_step(&fx.env, act, obs, &r, &done);
    cr_assert_eq(done, 0);
    cr_assert_eq(fx.env.t, step + 1);
  }
  close_env(&fx);
}

Test(envs, ant_observation_layout_and_oracle) {
  fixture fx;
  open_env(&fx, "ant-goal", 1);
  maml_rng rng;
  maml_rng_init(&rng, 5, 0, MAML_PHASE_TEST, 0, 0);
  double task[2] = {0.5, -2.0};
  maml_real obs[127], act[8];
  maml_env_reset(&fx.env, task, &rng, obs);
  fill(act, 8, (maml_real)-0.4);
  int saw_force = 0;
  for (int step = 0; step < 10; step++) {
    const mjData *d = fx.env.data;
    const int torso = fx.world.torso_body;
    for (int i = 0; i < 15; i++) cr_assert_eq(obs[i], (maml_real)d->qpos[i]);
    for (int i = 0; i < 14; i++) cr_assert_eq(obs[15 + i], (maml_real)d->qvel[i]);
    for (int i = 0; i < 84; i++) {
      double f = fmin(1.0, fmax(-1.0, d->cfrc_ext[i]));
      cr_assert_eq(obs[29 + i], (maml_real)f);
      if (f != 0.0) saw_force = 1;
    }
    for (int i = 0; i < 9; i++) cr_assert_eq(obs[113 + i], (maml_real)d->xmat[9 * torso + i]);
    for (int i = 0; i < 3; i++)
      cr_assert_eq(obs[122 + i], (maml_real)d->subtree_com[3 * torso + i]);
    cr_assert_eq(obs[125], (maml_real)0.5);
    cr_assert_eq(obs[126], (maml_real)-2.0);
    double r;
    int done;
    maml_env_step(&fx.env, act, obs, &r, &done);
  }
  cr_assert(saw_force, "cfrc_ext stayed zero: mj_rnePostConstraint not run?");
  close_env(&fx);
}

/* The quantities read after a step describe the new state: the torso xmat and COM agree
 * with a fresh mj_forward of the same qpos/qvel, and so do the forces for the ant. */
static void check_consistent_state(const char *family) {
  fixture fx;
  open_env(&fx, family, 0);
  const mjModel *m = fx.world.model;
  mjData *ref = mj_makeData(m);
  maml_rng rng;
  maml_rng_init(&rng, 9, 0, MAML_PHASE_TEST, 0, 0);
  double task[2] = {1, 1};
  maml_real act[8];
  maml_env_reset(&fx.env, task, &rng, NULL);
  for (int step = 0; step < 15; step++) {
    for (int i = 0; i < m->nu; i++) act[i] = (maml_real)maml_rng_normal(&rng);
    double r;
    int done;
    maml_env_step(&fx.env, act, NULL, &r, &done);
  }
  const mjData *d = fx.env.data;
  mju_copy(ref->qpos, d->qpos, m->nq);
  mju_copy(ref->qvel, d->qvel, m->nv);
  mju_copy(ref->ctrl, d->ctrl, m->nu);
  ref->time = d->time;
  mj_forward(m, ref);
  mj_rnePostConstraint(m, ref);
  mj_subtreeVel(m, ref);
  const int torso = fx.world.torso_body;
  for (int i = 0; i < 9; i++)
    cr_assert_float_eq(d->xmat[9 * torso + i], ref->xmat[9 * torso + i], 1e-12);
  for (int i = 0; i < 3; i++)
    cr_assert_float_eq(d->subtree_com[3 * torso + i], ref->subtree_com[3 * torso + i], 1e-12);
  cr_assert_float_eq(fx.env.info.forward_vel, ref->subtree_linvel[3 * torso], 1e-12, "%.17g %.17g",
                     fx.env.info.forward_vel, ref->subtree_linvel[3 * torso]);
  cr_assert_neq(fx.env.info.forward_vel, 0.0);
  if (!strncmp(family, "ant", 3))
    for (int i = 0; i < 6 * m->nbody; i++)
      cr_assert_float_eq(d->cfrc_ext[i], ref->cfrc_ext[i], 1e-6 * (1 + fabs(ref->cfrc_ext[i])),
                         "cfrc_ext[%d]", i);
  mj_deleteData(ref);
  close_env(&fx);
}

Test(envs, cheetah_step_leaves_a_consistent_state) {
  check_consistent_state("cheetah-vel");
}
Test(envs, ant_step_leaves_a_consistent_state) {
  check_consistent_state("ant-vel");
}

/* ---- the step is MuJoCo's mj_step ------------------------------------------------------ */

/* Same start, same controls: the environment's trajectory is mj_step's, bit for bit (the
 * cheapest way to the paper's dynamics: no extra MuJoCo work per step for the cheetah). */
static void check_same_as_mj_step(const char *family, double ctrl_scale) {
  fixture fx;
  open_env(&fx, family, 0);
  const mjModel *m = fx.world.model;
  mjData *ref = mj_makeData(m), *probe = mj_makeData(m);
  maml_rng rng;
  maml_rng_init(&rng, 3, 0, MAML_PHASE_TEST, 0, 0);
  double task[2] = {1, 1};
  maml_env_reset(&fx.env, task, &rng, NULL);
  // the same start drawn again (copying qpos after mj_forward would compare a quaternion
  // that MuJoCo normalised once more)
  maml_rng_init(&rng, 3, 0, MAML_PHASE_TEST, 0, 0);
  if (fx.world.init_key >= 0)
    mj_resetDataKeyframe(m, ref, fx.world.init_key);
  else
    mj_resetData(m, ref);
  for (int i = 0; i < m->nq; i++) ref->qpos[i] += 0.01 * maml_rng_normal(&rng);
  for (int i = 0; i < m->nv; i++) ref->qvel[i] += 0.1 * maml_rng_normal(&rng);
  maml_real act[8];
  for (int step = 0; step < 100; step++) {
    for (int i = 0; i < m->nu; i++) {
      act[i] = (maml_real)(0.8 * sin(0.3 * step + i));
      ref->ctrl[i] = ctrl_scale * (double)act[i];
    }
    double r;
    int done;
    maml_env_step(&fx.env, act, NULL, &r, &done);
    mj_step(m, ref);
    // the environment already ran the new state's kinematics, which normalise the free
    // joint's quaternion in qpos in place (1 ulp), as the next mj_step would: compare
    // with ref's qpos passed through the same kinematics
    mju_copy(probe->qpos, ref->qpos, m->nq);
    mj_kinematics(m, probe);
    for (int i = 0; i < m->nu; i++) cr_assert_eq(fx.env.data->ctrl[i], ref->ctrl[i]);
    for (int i = 0; i < m->nq; i++)
      cr_assert_eq(fx.env.data->qpos[i], probe->qpos[i], "step %d qpos[%d]: %.17g vs %.17g", step,
                   i, fx.env.data->qpos[i], probe->qpos[i]);
    for (int i = 0; i < m->nv; i++)
      cr_assert_eq(fx.env.data->qvel[i], ref->qvel[i], "step %d qvel[%d]", step, i);
  }
  mj_deleteData(probe);
  mj_deleteData(ref);
  close_env(&fx);
}

Test(envs, cheetah_trajectory_is_mj_step) {
  check_same_as_mj_step("cheetah-dir", 1.0);
}
Test(envs, ant_trajectory_is_mj_step) {
  check_same_as_mj_step("ant-dir", 150.0);
}

/* A reset sets only what the dynamics read (envs/mujoco_env.c): an instance reset after a
 * long episode, with forces applied by hand (as the viewer's mouse does), then runs the same
 * episode bit for bit as a fresh instance. */
static void check_reset_forgets_the_past(const char *family) {
  fixture used, fresh;
  open_env(&used, family, 0);
  open_env(&fresh, family, 0);
  const mjModel *m = used.world.model;
  const int D = used.world.obs_dim;
  maml_real act[8], obs_a[128], obs_b[128];
  double task[2] = {1, -1}, r_a, r_b;
  int done_a, done_b;
  maml_rng rng;
  maml_rng_init(&rng, 4, 0, MAML_PHASE_TEST, 0, 0);
  maml_env_reset(&used.env, task, &rng, NULL);
  for (int step = 0; step < 150; step++) {
    for (int i = 0; i < m->nu; i++) act[i] = (maml_real)maml_rng_normal(&rng);
    maml_env_step(&used.env, act, NULL, &r_a, &done_a);
    if (done_a) maml_env_reset(&used.env, task, &rng, NULL);
  }
  for (int i = 0; i < 6 * m->nbody; i++) used.env.data->xfrc_applied[i] = 5.0;
  for (int i = 0; i < m->nv; i++) used.env.data->qfrc_applied[i] = -3.0;

  maml_rng ra, rb;
  maml_rng_init(&ra, 8, 0, MAML_PHASE_TEST, 0, 0);
  maml_rng_init(&rb, 8, 0, MAML_PHASE_TEST, 0, 0);
  maml_env_reset(&used.env, task, &ra, obs_a);
  maml_env_reset(&fresh.env, task, &rb, obs_b);
  cr_assert(memcmp(obs_a, obs_b, (size_t)D * sizeof *obs_a) == 0, "first observation");
  for (int step = 0; step < 100; step++) {
    for (int i = 0; i < m->nu; i++) act[i] = (maml_real)(0.9 * sin(0.2 * step + 2 * i));
    maml_env_step(&used.env, act, obs_a, &r_a, &done_a);
    maml_env_step(&fresh.env, act, obs_b, &r_b, &done_b);
    cr_assert(memcmp(obs_a, obs_b, (size_t)D * sizeof *obs_a) == 0, "step %d observation", step);
    cr_assert(r_a == r_b && done_a == done_b, "step %d reward %.17g vs %.17g", step, r_a, r_b);
  }
  close_env(&fresh);
  close_env(&used);
}

Test(envs, cheetah_reset_forgets_the_past) {
  check_reset_forgets_the_past("cheetah-vel");
}
Test(envs, ant_reset_forgets_the_past) {
  check_reset_forgets_the_past("ant-vel");
}

/* ---- rewards --------------------------------------------------------------------------- */

Test(envs, cheetah_vel_reward_and_action_cost) {
  fixture fx;
  open_env(&fx, "cheetah-vel", 0);
  const double goal = 0.4, dt = 0.01;
  const int torso = fx.world.torso_body;
  maml_real act[6];
  double r;
  int done;

  // zero action: r = -|v_x - goal|, v_x the torso subtree's x velocity after the step
  reset_with_vx(&fx.env, &goal, 1.3);
  double x0 = fx.env.data->subtree_com[3 * torso];
  fill(act, 6, 0);
  maml_env_step(&fx.env, act, NULL, &r, &done);
  double v = subtree_vx(&fx.env);
  cr_assert_float_eq(v, 1.3, 0.05, "v_x %g", v);
  cr_assert_float_eq(r, -fabs(v - goal), 1e-12);
  cr_assert_float_eq(fx.env.info.forward_vel, v, 1e-12);
  cr_assert_eq(fx.env.info.ctrl_cost, 0.0);
  cr_assert_eq(done, 0);
  // the velocity is the COM's displacement over the step (semi-implicit Euler)
  double x1 = fx.env.data->subtree_com[3 * torso];
  cr_assert_float_eq((x1 - x0) / dt, v, 0.02, "(x1-x0)/dt %g vs v %g", (x1 - x0) / dt, v);
  cr_assert_eq(fx.env.info.x, x1);

  // action 0.5 everywhere: ctrl cost 0.05 * 6 * 0.25
  reset_with_vx(&fx.env, &goal, 1.3);
  fill(act, 6, (maml_real)0.5);
  maml_env_step(&fx.env, act, NULL, &r, &done);
  v = subtree_vx(&fx.env);
  cr_assert_float_eq(fx.env.info.ctrl_cost, 0.05 * 6 * 0.25, 1e-15);
  cr_assert_float_eq(r, -fabs(v - goal) - 0.075, 1e-12);
  for (int i = 0; i < 6; i++) cr_assert_eq(fx.env.data->ctrl[i], 0.5);

  // beyond [-1, 1]: clipped before the cost and the control
  reset_with_vx(&fx.env, &goal, 1.3);
  for (int i = 0; i < 6; i++) act[i] = (maml_real)(i % 2 ? -7.0 : 3.0);
  maml_env_step(&fx.env, act, NULL, &r, &done);
  v = subtree_vx(&fx.env);
  cr_assert_float_eq(fx.env.info.ctrl_cost, 0.05 * 6, 1e-15);
  cr_assert_float_eq(r, -fabs(v - goal) - 0.3, 1e-12);
  for (int i = 0; i < 6; i++) cr_assert_eq(fx.env.data->ctrl[i], i % 2 ? -1.0 : 1.0);
  close_env(&fx);
}

Test(envs, cheetah_dir_reward) {
  fixture fx;
  open_env(&fx, "cheetah-dir", 0);
  maml_real act[6];
  fill(act, 6, (maml_real)-0.2);
  for (int k = 0; k < 2; k++) {
    const double dir = k ? 1.0 : -1.0;
    double r;
    int done;
    reset_with_vx(&fx.env, &dir, 0.9);
    maml_env_step(&fx.env, act, NULL, &r, &done);
    double v = subtree_vx(&fx.env);
    cr_assert_float_eq(v, 0.9, 0.05);
    cr_assert_float_eq(r, dir * v - 0.05 * 6 * 0.04, 1e-7);
    cr_assert_eq(done, 0);
  }
  close_env(&fx);
}

Test(envs, ant_vel_reward_has_bonus_survive_and_costs) {
  fixture fx;
  open_env(&fx, "ant-vel", 0);
  const double goal = 2.0;
  maml_real act[8];
  double r;
  int done;

  reset_with_vx(&fx.env, &goal, 0.7);
  fill(act, 8, 0);
  maml_env_step(&fx.env, act, NULL, &r, &done);
  double v = subtree_vx(&fx.env);
  double contact = contact_cost(&fx.env);
  cr_assert(v > 0.3 && v < 0.71, "v_x %g", v);  // the feet's friction slows it
  cr_assert_float_eq(fx.env.info.contact_cost, contact, 1e-15);
  cr_assert_float_eq(r, -fabs(v - goal) + 1.0 - 0.0 - contact + 0.05, 1e-12);
  cr_assert_eq(done, 0);

  // action 0.5: ctrl cost 0.005 * 8 * 0.25, controls 0.5 of the range [-150, 150]
  reset_with_vx(&fx.env, &goal, 0.7);
  fill(act, 8, (maml_real)0.5);
  maml_env_step(&fx.env, act, NULL, &r, &done);
  v = subtree_vx(&fx.env);
  contact = contact_cost(&fx.env);
  cr_assert_float_eq(fx.env.info.ctrl_cost, 0.01, 1e-15);
  cr_assert_float_eq(r, -fabs(v - goal) + 1.0 - 0.01 - contact + 0.05, 1e-12);
  for (int i = 0; i < 8; i++) cr_assert_eq(fx.env.data->ctrl[i], 75.0);

  // clipped: cost of a = +-1
  reset_with_vx(&fx.env, &goal, 0.7);
  fill(act, 8, (maml_real)-2.5);
  maml_env_step(&fx.env, act, NULL, &r, &done);
  cr_assert_float_eq(fx.env.info.ctrl_cost, 0.04, 1e-15);
  for (int i = 0; i < 8; i++) cr_assert_eq(fx.env.data->ctrl[i], -150.0);
  close_env(&fx);
}

Test(envs, ant_dir_reward) {
  fixture fx;
  open_env(&fx, "ant-dir", 0);
  maml_real act[8];
  fill(act, 8, 0);
  for (int k = 0; k < 2; k++) {
    const double dir = k ? 1.0 : -1.0;
    double r;
    int done;
    reset_with_vx(&fx.env, &dir, -0.5);
    maml_env_step(&fx.env, act, NULL, &r, &done);
    double v = subtree_vx(&fx.env);
    cr_assert(v < -0.2 && v > -0.51, "v_x %g", v);
    cr_assert_float_eq(r, dir * v - contact_cost(&fx.env) + 0.05, 1e-12);
  }
  close_env(&fx);
}

Test(envs, ant_goal_reward_uses_l1_distance_of_the_com) {
  fixture fx;
  open_env(&fx, "ant-goal", 0);
  const int torso = fx.world.torso_body;
  const double goal[2] = {1.5, -2.0};
  maml_real act[8];
  fill(act, 8, (maml_real)0.5);
  double r;
  int done;
  reset_with_vx(&fx.env, goal, 0.3);
  maml_env_step(&fx.env, act, NULL, &r, &done);
  const mjtNum *com = fx.env.data->subtree_com + 3 * torso;
  double dx = com[0] - goal[0], dy = com[1] - goal[1];
  cr_assert_float_eq(r, -(fabs(dx) + fabs(dy)) + 4.0 - 0.01 - contact_cost(&fx.env) + 0.05, 1e-12);
  cr_assert_float_eq(fx.env.info.goal_dist, sqrt(dx * dx + dy * dy), 1e-12);
  cr_assert_eq(fx.env.info.x, com[0]);
  cr_assert_eq(fx.env.info.y, com[1]);
  close_env(&fx);
}

/* ---- ant termination ------------------------------------------------------------------- */

static int ant_done_at_height(double z) {
  fixture fx;
  open_env(&fx, "ant-vel", 0);
  double goal = 1.0;
  maml_env_reset(&fx.env, &goal, NULL, NULL);
  fx.env.data->qpos[2] = z;
  mj_forward(fx.world.model, fx.env.data);
  maml_real act[8];
  fill(act, 8, 0);
  double r;
  int done;
  maml_env_step(&fx.env, act, NULL, &r, &done);
  double z1 = fx.env.data->qpos[2];
  cr_assert_eq(fx.env.info.unstable, 0);
  cr_assert(isfinite(r));
  // the rule, read back from the state after the step
  cr_assert_eq(done, !(z1 >= 0.2 && z1 <= 1.0), "z %g -> %g, done %d", z, z1, done);
  close_env(&fx);
  return done;
}

Test(envs, ant_terminates_outside_the_height_range) {
  cr_assert_eq(ant_done_at_height(0.1), 1);
  cr_assert_eq(ant_done_at_height(0.55), 0);
  cr_assert_eq(ant_done_at_height(0.8), 0);
  cr_assert_eq(ant_done_at_height(1.5), 1);
}

Test(envs, ant_survives_zero_action_for_a_whole_episode) {
  fixture fx;
  open_env(&fx, "ant-vel", 0);
  maml_rng rng;
  maml_rng_init(&rng, 1, 0, MAML_PHASE_TEST, 0, 0);
  double goal = 1.0;
  maml_real obs[125], act[8];
  maml_env_reset(&fx.env, &goal, &rng, obs);
  fill(act, 8, 0);
  for (int t = 0; t < 200; t++) {
    double r;
    int done;
    maml_env_step(&fx.env, act, obs, &r, &done);
    cr_assert_eq(done, 0, "step %d", t);
    cr_assert(isfinite(r));
  }
  close_env(&fx);
}

/* ---- instability ------------------------------------------------------------------------ */

static void check_unstable(const char *family, int nan_action) {
  mju_user_warning = silent_warning;  // no MUJOCO_LOG.TXT from this test
  fixture fx;
  open_env(&fx, family, 0);
  const mjModel *m = fx.world.model;
  double task[2] = {1, 1};
  maml_real obs[125], act[8];
  maml_env_reset(&fx.env, task, NULL, obs);
  fill(act, 8, 0);
  if (nan_action) {
    act[1] = (maml_real)NAN;
  } else {
    fx.env.data->qvel[0] = NAN;
    mj_forward(m, fx.env.data);
  }
  double r;
  int done;
  maml_env_step(&fx.env, act, obs, &r, &done);
  cr_assert_eq(done, 1);
  cr_assert_eq(fx.env.info.unstable, 1);
  cr_assert(isfinite(r), "reward %g", r);
  for (int i = 0; i < fx.world.obs_dim; i++) cr_assert(isfinite(obs[i]), "obs[%d]", i);
  for (int i = 0; i < m->nq; i++) cr_assert(isfinite(fx.env.data->qpos[i]));
  // a fresh reset starts a normal episode
  maml_env_reset(&fx.env, task, NULL, obs);
  fill(act, 8, 0);
  maml_env_step(&fx.env, act, obs, &r, &done);
  cr_assert_eq(done, 0);
  cr_assert_eq(fx.env.info.unstable, 0);
  close_env(&fx);
}

Test(envs, cheetah_nan_state_ends_the_episode) {
  check_unstable("cheetah-vel", 0);
}
Test(envs, ant_nan_state_ends_the_episode) {
  check_unstable("ant-dir", 0);
}
Test(envs, nan_action_ends_the_episode) {
  check_unstable("cheetah-dir", 1);
  check_unstable("ant-goal", 1);
}

/* ---- nav2d ----------------------------------------------------------------------------- */

Test(envs, nav2d_exact_dynamics_clipping_and_goal) {
  fixture fx;
  open_env(&fx, "nav2d", 1);
  const double goal[2] = {0.3, -0.2};
  maml_real obs[4], act[2];
  double r;
  int done;
  maml_env_reset(&fx.env, goal, NULL, obs);
  cr_assert_eq(obs[0], 0);
  cr_assert_eq(obs[1], 0);
  cr_assert_eq(obs[2], (maml_real)0.3);
  cr_assert_eq(obs[3], (maml_real)-0.2);

  // p <- p + 0.1 a inside [-1, 1]
  act[0] = (maml_real)0.5, act[1] = (maml_real)-0.3;
  maml_env_step(&fx.env, act, obs, &r, &done);
  double px = 0.1 * (double)act[0], py = 0.1 * (double)act[1];
  cr_assert_float_eq(fx.env.point[0], px, 1e-15);
  cr_assert_float_eq(fx.env.point[1], py, 1e-15);
  cr_assert_eq(obs[0], (maml_real)fx.env.point[0]);
  cr_assert_eq(obs[1], (maml_real)fx.env.point[1]);
  cr_assert_float_eq(r, -hypot(px - 0.3, py + 0.2), 1e-15);
  cr_assert_float_eq(fx.env.info.goal_dist, -r, 1e-15);
  cr_assert_eq(done, 0);

  // clipped to [-1, 1] per coordinate before scaling: moves of at most 0.1
  act[0] = (maml_real)5.0, act[1] = (maml_real)-50.0;
  maml_env_step(&fx.env, act, obs, &r, &done);
  px += 0.1, py -= 0.1;
  cr_assert_float_eq(fx.env.point[0], px, 1e-15);
  cr_assert_float_eq(fx.env.point[1], py, 1e-15);
  cr_assert_float_eq(r, -hypot(px - 0.3, py + 0.2), 1e-15);
  cr_assert_eq(done, 0);

  // within 0.01 in x but not in y: not done; then within both: done
  act[0] = (maml_real)1.0, act[1] = 0;
  maml_env_step(&fx.env, act, obs, &r, &done);
  act[0] = (maml_real)0.5, act[1] = 0;
  maml_env_step(&fx.env, act, obs, &r, &done);
  cr_assert_lt(fabs(fx.env.point[0] - 0.3), 1e-7);
  cr_assert_float_eq(fabs(fx.env.point[1] + 0.2), 0.07, 1e-7);
  cr_assert_eq(done, 0);
  act[0] = 0, act[1] = (maml_real)-0.65;  // y ends 0.005 from the goal
  maml_env_step(&fx.env, act, obs, &r, &done);
  cr_assert_eq(done, 1);
  cr_assert_float_eq(r, -fx.env.info.goal_dist, 1e-15);
  cr_assert_lt(-r, 0.01);
  close_env(&fx);
}

Test(envs, nav2d_goal_tolerance_is_strict_per_coordinate) {
  fixture fx;
  open_env(&fx, "nav2d", 0);
  const double goal[2] = {0.0, 0.0};
  maml_real act[2] = {(maml_real)0.2, 0};
  double r;
  int done;
  maml_env_reset(&fx.env, goal, NULL, NULL);
  maml_env_step(&fx.env, act, NULL, &r, &done);  // |dx| = 0.02
  cr_assert_eq(done, 0);
  act[0] = (maml_real)-0.15;  // |dx| = 0.005
  maml_env_step(&fx.env, act, NULL, &r, &done);
  cr_assert_eq(done, 1);
  close_env(&fx);
}

/* ---- reset noise and determinism ------------------------------------------------------- */

Test(envs, same_key_same_episode_different_key_different_episode) {
  const char *fams[] = {"cheetah-vel", "ant-goal"};
  for (int k = 0; k < 2; k++) {
    fixture fx;
    open_env(&fx, fams[k], 0);
    const int n = fx.world.obs_dim, na = fx.world.family->act_dim;
    maml_real a[125], b[125], c[125], act[8];
    double task[2] = {0.5, 0.5};
    maml_rng r1, r2, r3;
    maml_rng_init(&r1, 7, 2, MAML_PHASE_SUPPORT, 3, 4);
    maml_rng_init(&r2, 7, 2, MAML_PHASE_SUPPORT, 3, 4);
    maml_rng_init(&r3, 7, 2, MAML_PHASE_SUPPORT, 3, 5);
    maml_env_reset(&fx.env, task, &r1, a);
    maml_env_reset(&fx.env, task, &r2, b);
    maml_env_reset(&fx.env, task, &r3, c);
    cr_assert_eq(memcmp(a, b, (size_t)n * sizeof *a), 0, "%s: same key", fams[k]);
    cr_assert_neq(memcmp(a, c, (size_t)n * sizeof *a), 0, "%s: different key", fams[k]);
    // and the same steps afterwards
    double ra[20], rb[20];
    maml_rng_init(&r1, 7, 2, MAML_PHASE_SUPPORT, 3, 4);
    maml_env_reset(&fx.env, task, &r1, a);
    for (int t = 0; t < 20; t++) {
      for (int i = 0; i < na; i++) act[i] = (maml_real)cos(t + i);
      int done;
      maml_env_step(&fx.env, act, a, &ra[t], &done);
    }
    maml_rng_init(&r1, 7, 2, MAML_PHASE_SUPPORT, 3, 4);
    maml_env_reset(&fx.env, task, &r1, b);
    for (int t = 0; t < 20; t++) {
      for (int i = 0; i < na; i++) act[i] = (maml_real)cos(t + i);
      int done;
      maml_env_step(&fx.env, act, b, &rb[t], &done);
    }
    cr_assert_eq(memcmp(a, b, (size_t)n * sizeof *a), 0);
    cr_assert_eq(memcmp(ra, rb, sizeof ra), 0);
    close_env(&fx);
  }
}

Test(envs, reset_noise_has_the_stated_scales) {
  fixture fx;
  open_env(&fx, "cheetah-vel", 0);
  const mjModel *m = fx.world.model;
  double task = 1.0, sq_pos = 0, sq_vel = 0, sum_pos = 0;
  const int resets = 400;
  for (int k = 0; k < resets; k++) {
    maml_rng rng;
    maml_rng_init(&rng, 11, 0, MAML_PHASE_TEST, 0, (uint32_t)k);
    maml_env_reset(&fx.env, &task, &rng, NULL);
    for (int i = 0; i < m->nq; i++) {
      double dq = fx.env.data->qpos[i] - m->qpos0[i];
      sq_pos += dq * dq, sum_pos += dq;
    }
    for (int i = 0; i < m->nv; i++) sq_vel += fx.env.data->qvel[i] * fx.env.data->qvel[i];
  }
  double sd_pos = sqrt(sq_pos / (resets * m->nq)), sd_vel = sqrt(sq_vel / (resets * m->nv));
  cr_assert_float_eq(sd_pos, 0.01, 0.0008, "qpos noise sd %g", sd_pos);
  cr_assert_float_eq(sd_vel, 0.1, 0.008, "qvel noise sd %g", sd_vel);
  cr_assert_lt(fabs(sum_pos / (resets * m->nq)), 0.001);
  close_env(&fx);
}

/* ---- tasks ------------------------------------------------------------------------------ */

Test(envs, sampled_tasks_follow_the_distributions) {
  static const struct {
    const char *name;
    double lo, hi;
  } want[] = {{"cheetah-vel", 0, 2}, {"ant-vel", 0, 3}, {"ant-goal", -3, 3}, {"nav2d", -0.5, 0.5}};
  for (int k = 0; k < 4; k++) {
    const maml_env_family *f = maml_env_find(want[k].name);
    maml_rng rng;
    maml_rng_init(&rng, 1, 0, MAML_PHASE_TASKS, 0, 0);
    double mn[2] = {1e9, 1e9}, mx[2] = {-1e9, -1e9};
    for (int n = 0; n < 2000; n++) {
      double t[2];
      f->sample_task(&rng, t);
      for (int i = 0; i < f->task_dim; i++) {
        cr_assert(t[i] >= want[k].lo && t[i] < want[k].hi, "%s: %g", f->name, t[i]);
        mn[i] = fmin(mn[i], t[i]), mx[i] = fmax(mx[i], t[i]);
      }
    }
    double span = want[k].hi - want[k].lo;
    for (int i = 0; i < f->task_dim; i++) {
      cr_assert_lt(mn[i] - want[k].lo, 0.01 * span, "%s", f->name);
      cr_assert_lt(want[k].hi - mx[i], 0.01 * span, "%s", f->name);
    }
  }
  const char *dirs[] = {"cheetah-dir", "ant-dir"};
  for (int k = 0; k < 2; k++) {
    const maml_env_family *f = maml_env_find(dirs[k]);
    maml_rng rng;
    maml_rng_init(&rng, 1, 0, MAML_PHASE_TASKS, 0, 0);
    int plus = 0;
    for (int n = 0; n < 4000; n++) {
      double t;
      f->sample_task(&rng, &t);
      cr_assert(t == 1.0 || t == -1.0);
      plus += t > 0;
    }
    cr_assert(plus > 1800 && plus < 2200, "%s: %d of 4000 forward", f->name, plus);
  }
}

Test(envs, task_text_round_trips) {
  int count;
  const maml_env_family *const *fams = maml_env_families(&count);
  for (int k = 0; k < count; k++) {
    const maml_env_family *f = fams[k];
    maml_rng rng;
    maml_rng_init(&rng, 2, 0, MAML_PHASE_TASKS, (uint32_t)k, 0);
    for (int n = 0; n < 200; n++) {
      double t[MAML_TASK_MAX], back[MAML_TASK_MAX];
      char text[MAML_TASK_MAX * 32], err[ERR_SZ] = "";
      f->sample_task(&rng, t);
      int len = maml_env_format_task(f, t, text, sizeof text);
      cr_assert(len > 0 && (size_t)len == strlen(text));
      cr_assert_eq(f->parse_task(text, back, err, sizeof err), MAML_OK, "%s '%s': %s", f->name,
                   text, err);
      for (int i = 0; i < f->task_dim; i++) cr_assert_eq(back[i], t[i], "%s '%s'", f->name, text);
    }
  }
  // the documented spellings
  const maml_env_family *vel = maml_env_find("cheetah-vel"), *dir = maml_env_find("ant-dir"),
                        *goal = maml_env_find("ant-goal"), *nav = maml_env_find("nav2d");
  double t[2];
  char text[64], err[ERR_SZ];
  cr_assert_eq(vel->parse_task("1.5", t, err, sizeof err), MAML_OK);
  cr_assert_eq(t[0], 1.5);
  maml_env_format_task(vel, t, text, sizeof text);
  cr_assert_str_eq(text, "1.5");
  cr_assert_eq(dir->parse_task("-1", t, err, sizeof err), MAML_OK);
  cr_assert_eq(t[0], -1.0);
  maml_env_format_task(dir, t, text, sizeof text);
  cr_assert_str_eq(text, "-1");
  cr_assert_eq(dir->parse_task("1", t, err, sizeof err), MAML_OK);
  cr_assert_eq(t[0], 1.0);
  cr_assert_eq(goal->parse_task("0.3,-0.2", t, err, sizeof err), MAML_OK);
  cr_assert_eq(t[0], 0.3);
  cr_assert_eq(t[1], -0.2);
  maml_env_format_task(goal, t, text, sizeof text);
  cr_assert_str_eq(text, "0.3,-0.2");
  cr_assert_eq(nav->parse_task(" 0.5 , -0.5 ", t, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(t[0], 0.5);
  cr_assert_eq(t[1], -0.5);
  cr_assert_eq(vel->parse_task("0", t, err, sizeof err), MAML_OK);
  cr_assert_eq(vel->parse_task("2", t, err, sizeof err), MAML_OK);
  // a short buffer gets a cut, terminated text and the full length
  double g[2] = {0.25, -1.5};
  cr_assert_eq(maml_env_format_task(goal, g, text, 4), 9);
  cr_assert_str_eq(text, "0.2");
}

Test(envs, bad_goals_are_rejected_with_a_message) {
  static const struct {
    const char *family, *text;
    maml_status code;
    const char *must_say[2]; /* substrings of the message */
  } bad[] = {
      {"cheetah-vel", "", MAML_ERR_FORMAT, {"not a number", NULL}},
      {"cheetah-vel", "fast", MAML_ERR_FORMAT, {"'fast'", "not a number"}},
      {"cheetah-vel", "1.5x", MAML_ERR_FORMAT, {"'1.5x'", "not a number"}},
      {"cheetah-vel", "1.5,", MAML_ERR_FORMAT, {"expected 1 number", NULL}},
      {"cheetah-vel", "1,2", MAML_ERR_FORMAT, {"expected 1 number", NULL}},
      {"cheetah-vel", "nan", MAML_ERR_FORMAT, {"'nan'", "not a number"}},
      {"cheetah-vel", "inf", MAML_ERR_FORMAT, {"'inf'", "not a number"}},
      {"cheetah-vel", "0x1", MAML_ERR_FORMAT, {"'0x1'", "plain decimal"}},
      {"cheetah-vel", "1e", MAML_ERR_FORMAT, {"'1e'", "not a number"}},
      {"cheetah-vel", "1e400", MAML_ERR_FORMAT, {"'1e400'", "not a finite number"}},
      {"cheetah-vel", "2.5", MAML_ERR_ARG, {"2.5", "[0, 2]"}},
      {"cheetah-vel", "-0.1", MAML_ERR_ARG, {"-0.1", "[0, 2]"}},
      {"ant-vel", "3.01", MAML_ERR_ARG, {"3.01", "[0, 3]"}},
      {"cheetah-dir", "0", MAML_ERR_ARG, {"direction 0", "-1 or 1"}},
      {"ant-dir", "0.5", MAML_ERR_ARG, {"0.5", "-1 or 1"}},
      {"ant-dir", "-2", MAML_ERR_ARG, {"-2", "-1 or 1"}},
      {"ant-dir", "forward", MAML_ERR_FORMAT, {"'forward'", NULL}},
      {"ant-goal", "0.3", MAML_ERR_FORMAT, {"expected 2 numbers", "got 1"}},
      {"ant-goal", "0.3,-0.2,1", MAML_ERR_FORMAT, {"expected 2 numbers", NULL}},
      {"ant-goal", "0.3,,", MAML_ERR_FORMAT, {"not a number", NULL}},
      {"ant-goal", ",1", MAML_ERR_FORMAT, {"not a number", NULL}},
      {"ant-goal", "3.5,0", MAML_ERR_ARG, {"3.5", "[-3, 3]"}},
      {"ant-goal", "0,-4", MAML_ERR_ARG, {"-4", "[-3, 3]"}},
      {"ant-goal", "0,nan", MAML_ERR_FORMAT, {"'nan'", "not a number"}},
      {"ant-goal", "0x1p0,0", MAML_ERR_FORMAT, {"'0x1p0'", "not a number"}},
      {"nav2d", "0.6,0", MAML_ERR_ARG, {"0.6", "[-0.5, 0.5]"}},
      {"nav2d", "0.1;0.2", MAML_ERR_FORMAT, {"'0.1;0.2'", "not a number"}},
      {"nav2d", "0.1 0.2", MAML_ERR_FORMAT, {"not a number", NULL}},
  };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    const maml_env_family *f = maml_env_find(bad[k].family);
    double t[2] = {42, 42};
    char err[ERR_SZ] = "";
    maml_status s = f->parse_task(bad[k].text, t, err, sizeof err);
    cr_assert_eq(s, bad[k].code, "%s '%s': status %d (%s)", bad[k].family, bad[k].text, s, err);
    cr_assert(strstr(err, bad[k].family), "%s '%s': %s", bad[k].family, bad[k].text, err);
    for (int j = 0; j < 2; j++)
      if (bad[k].must_say[j])
        cr_assert(strstr(err, bad[k].must_say[j]), "%s '%s': message '%s' lacks '%s'",
                  bad[k].family, bad[k].text, err, bad[k].must_say[j]);
    cr_assert_eq(t[0], 42, "the task is left alone on error");
  }
  // NULL text
  char err[ERR_SZ] = "";
  double t;
  cr_assert_neq(maml_env_find("cheetah-vel")->parse_task(NULL, &t, err, sizeof err), MAML_OK);
  cr_assert_neq(err[0], '\0');
}

/* A value just outside the range is named with the digits that make it so: 2.0000001 is
 * not reported as "velocity 2 is outside [0, 2]". */
Test(envs, goal_range_messages_show_every_digit_of_the_bad_value) {
  static const struct {
    const char *family, *text, *must_say;
  } bad[] = {
      {"cheetah-vel", "2.0000001", "velocity 2.0000001 is outside the allowed range [0, 2]"},
      {"cheetah-vel", "-0.0000001", "velocity -1e-07 is outside"},
      {"ant-vel", "3.0000000000000004", "velocity 3.0000000000000004 is outside"},
      {"ant-goal", "3.00000001,0", "position x 3.00000001 is outside"},
      {"ant-goal", "0,-3.00000001", "position y -3.00000001 is outside"},
      {"nav2d", "0.1,0.50000001", "position y 0.50000001 is outside"},
      {"cheetah-dir", "1.0000001", "direction 1.0000001 is not allowed"},
      {"ant-dir", "-0.99999999", "direction -0.99999999 is not allowed"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    const maml_env_family *f = maml_env_find(bad[k].family);
    double t[2];
    char err[ERR_SZ] = "";
    cr_assert_eq(f->parse_task(bad[k].text, t, err, sizeof err), MAML_ERR_ARG, "%s '%s': %s",
                 bad[k].family, bad[k].text, err);
    cr_assert(strstr(err, bad[k].must_say), "%s '%s': message '%s' lacks '%s'", bad[k].family,
              bad[k].text, err, bad[k].must_say);
  }
}

/* ---- finding and loading models ----------------------------------------------------------- */

static void make_temp_dir(char *dir, size_t n) {
  snprintf(dir, n, "%s/maml-test-envs-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  cr_assert_not_null(mkdtemp(dir), "mkdtemp %s", dir);
}

static void write_file(const char *dir, const char *name, const char *text) {
  char path[MAML_PATH_MAX];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f, "%s", path);
  fputs(text, f);
  fclose(f);
}

static void copy_file(const char *from, const char *dir, const char *name) {
  FILE *in = fopen(from, "r");
  cr_assert_not_null(in, "%s", from);
  static char text[1 << 16];
  size_t n = fread(text, 1, sizeof text - 1, in);
  fclose(in);
  text[n] = '\0';
  write_file(dir, name, text);
}

static void remove_temp_dir(const char *dir, const char *name) {
  char path[MAML_PATH_MAX];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  unlink(path);
  rmdir(dir);
}

Test(envs, default_search_finds_the_source_tree_assets) {
  unsetenv("MAML_ASSETS");
  fixture fx;
  open_env(&fx, "ant-vel", 0);
  cr_assert(strstr(fx.world.model_path, "assets/ant.xml"), "%s", fx.world.model_path);
  close_env(&fx);
}

Test(envs, a_given_assets_folder_without_the_model_is_an_error) {
  unsetenv("MAML_ASSETS");
  maml_env_world w;
  char err[ERR_SZ] = "";
  maml_status s =
      maml_env_world_open(&w, "cheetah-vel", 0, "/nonexistent/maml-assets", err, sizeof err);
  cr_assert_eq(s, MAML_ERR_IO, "%s", err);
  cr_assert(strstr(err, "/nonexistent/maml-assets/half_cheetah.xml"), "%s", err);
  cr_assert(strstr(err, "No such file"), "%s", err);
  cr_assert_null(w.model);
  maml_env_world_close(&w);

  cr_assert_eq(maml_env_world_open(&w, "cheetah-vel", 0, "", err, sizeof err), MAML_ERR_ARG);

  // the same through the environment variable
  setenv("MAML_ASSETS", "/nonexistent/maml-env-assets", 1);
  s = maml_env_world_open(&w, "ant-goal", 0, NULL, err, sizeof err);
  cr_assert_eq(s, MAML_ERR_IO, "%s", err);
  cr_assert(strstr(err, "/nonexistent/maml-env-assets/ant.xml") && strstr(err, "MAML_ASSETS"), "%s",
            err);
  // nav2d needs no model
  cr_assert_eq(maml_env_world_open(&w, "nav2d", 0, NULL, err, sizeof err), MAML_OK);
  maml_env_world_close(&w);
}

Test(envs, a_model_that_does_not_parse_gives_mujocos_message) {
  unsetenv("MAML_ASSETS");
  char dir[512];
  make_temp_dir(dir, sizeof dir);
  write_file(dir, "half_cheetah.xml", "<mujoco model=\"broken\">\n  <worldbody>\n    <body\n");
  maml_env_world w;
  char err[ERR_SZ] = "";
  maml_status s = maml_env_world_open(&w, "cheetah-dir", 0, dir, err, sizeof err);
  remove_temp_dir(dir, "half_cheetah.xml");
  cr_assert_eq(s, MAML_ERR_FORMAT, "%s", err);
  cr_assert(strstr(err, dir) && strstr(err, "half_cheetah.xml"), "%s", err);
  cr_assert(strstr(err, "XML") || strstr(err, "xml") || strstr(err, "rror"),
            "MuJoCo's text missing: %s", err);
  cr_assert_null(w.model);
}

Test(envs, a_model_of_another_robot_is_rejected) {
  unsetenv("MAML_ASSETS");
  fixture fx;
  open_env(&fx, "cheetah-vel", 0);
  char src[MAML_PATH_MAX];
  snprintf(src, sizeof src, "%s", fx.world.model_path);
  close_env(&fx);
  char dir[512];
  make_temp_dir(dir, sizeof dir);
  copy_file(src, dir, "ant.xml");
  maml_env_world w;
  char err[ERR_SZ] = "";
  maml_status s = maml_env_world_open(&w, "ant-vel", 0, dir, err, sizeof err);
  cr_assert_eq(s, MAML_ERR_FORMAT, "%s", err);
  cr_assert(strstr(err, "nq 9") && strstr(err, "nq 15"), "%s", err);
  // and the right model through MAML_ASSETS loads from there
  copy_file(src, dir, "half_cheetah.xml");
  setenv("MAML_ASSETS", dir, 1);
  s = maml_env_world_open(&w, "cheetah-vel", 0, NULL, err, sizeof err);
  cr_assert_eq(s, MAML_OK, "%s", err);
  cr_assert(!strncmp(w.model_path, dir, strlen(dir)), "%s", w.model_path);
  maml_env_world_close(&w);
  char path[MAML_PATH_MAX];
  snprintf(path, sizeof path, "%s/ant.xml", dir);
  unlink(path);
  remove_temp_dir(dir, "half_cheetah.xml");
}

/* the content hash of a model file: FNV-1a 64 (its published test values), and what the
 * search finds is what a world records */
Test(envs, model_files_are_found_and_hashed) {
  cr_assert_eq(maml_hash(MAML_HASH_START, "", 0), 0xcbf29ce484222325ull);
  cr_assert_eq(maml_hash(MAML_HASH_START, "a", 1), 0xaf63dc4c8601ec8cull);
  cr_assert_eq(maml_hash(MAML_HASH_START, "foobar", 6), 0x85944171f73967e8ull);
  char hex[17];
  maml_env_format_hash(0xaf63dc4c8601ec8cull, hex);
  cr_assert_str_eq(hex, "af63dc4c8601ec8c");
  maml_env_format_hash(1, hex);
  cr_assert_str_eq(hex, "0000000000000001");

  unsetenv("MAML_ASSETS");
  maml_env_model m;
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_model_find("cheetah-vel", NULL, &m, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_str_eq(m.folder, "", "the built-in models are no folder the user named");
  cr_assert(strstr(m.path, "half_cheetah.xml"), "%s", m.path);
  maml_env_world w;
  cr_assert_eq(maml_env_world_open(&w, "cheetah-vel", 0, NULL, err, sizeof err), MAML_OK, "%s",
               err);
  cr_assert_eq(w.model_hash, m.hash);
  cr_assert_str_eq(w.assets_dir, "");
  maml_env_world_close(&w);

  /* a folder named: recorded absolute; a one-byte change changes the hash */
  char dir[512];
  make_temp_dir(dir, sizeof dir);
  copy_file(m.path, dir, "half_cheetah.xml");
  char cwd[MAML_PATH_MAX], rel[MAML_PATH_MAX];
  cr_assert_not_null(getcwd(cwd, sizeof cwd));
  cr_assert_eq(chdir(dir), 0);
  snprintf(rel, sizeof rel, ".");
  maml_env_model m2;
  cr_assert_eq(maml_env_model_find("cheetah-vel", rel, &m2, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(chdir(cwd), 0);
  char *abs = realpath(dir, NULL);
  cr_assert_not_null(abs);
  cr_assert_str_eq(m2.folder, abs);
  cr_assert_eq(m2.hash, m.hash, "the same bytes, the same hash");
  char path[MAML_PATH_MAX];
  snprintf(path, sizeof path, "%s/half_cheetah.xml", dir);
  FILE *f = fopen(path, "a");
  cr_assert_not_null(f);
  fputs(" ", f);
  fclose(f);
  cr_assert_eq(maml_env_world_open(&w, "cheetah-vel", 0, dir, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_neq(w.model_hash, m.hash);
  cr_assert_str_eq(w.assets_dir, abs);
  maml_env_world_close(&w);
  free(abs);

  /* a FIFO in place of the model is refused, not read (which would block) */
  unlink(path);
  cr_assert_eq(mkfifo(path, 0600), 0);
  cr_assert_eq(maml_env_model_find("cheetah-vel", dir, &m2, err, sizeof err), MAML_ERR_IO);
  cr_assert(strstr(err, "not a regular file"), "%s", err);
  cr_assert_eq(maml_env_world_open(&w, "cheetah-vel", 0, dir, err, sizeof err), MAML_ERR_IO);
  remove_temp_dir(dir, "half_cheetah.xml");

  /* nav2d has no model: nothing to hash */
  cr_assert_eq(maml_env_model_find("nav2d", NULL, &m2, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_str_eq(m2.path, "");
  cr_assert_eq(m2.hash, 0);
}

Test(envs, init_needs_an_open_world) {
  maml_env_world w;
  memset(&w, 0, sizeof w);
  maml_env e;
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_init(&e, &w, err, sizeof err), MAML_ERR_ARG);
  cr_assert_neq(err[0], '\0');
  maml_env_free(&e);
}
