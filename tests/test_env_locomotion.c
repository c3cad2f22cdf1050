/* The rand_param_envs hopper and walker (envs/hopper.c, envs/walker2d.c, assets/hopper.xml,
 * assets/walker2d.xml): the models' sizes, options and total mass, and an open-loop
 * trajectory, against numbers of the reference models; frame skip 4 equals four mj_steps;
 * the observation, the reward and the termination against their definitions computed here
 * from mjData (the healthy rules broken by setting the state by hand); the uniform reset
 * noise; the families' preset inner step size. */
#define _XOPEN_SOURCE 700 /* mkdtemp */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maml/config.h"
#include "maml/env.h"

#define ERR_SZ 8192
#define TIMESTEP 0.004
#define FRAME_SKIP 4

/* Facts of the reference models, printed by a throwaway C program (not kept) that loaded
 * with MuJoCo 2.2.2 gym's hopper.xml and walker2d.xml as dennisl88/rand_param_envs bundles
 * them (master, commit c662ac8: timestep 0.004), the foot bodies' pos set to gym's "0.13 0
 * 0" and "0.2 0 0" because rand_param_envs' "0.13/2 0 0.1" does not parse in MuJoCo 2.2.2
 * (under coordinate="global" a body's pos moves its frame only, not its dynamics): sizes,
 * options, the sum of body_mass, and qpos after 10 and after 150 mj_steps from qpos0 and
 * zero qvel (mj_resetData, mj_forward) under ctrl[i] = 0.9 sin(0.7 t + 1.3 i) at step t. */
typedef struct {
  const char *family;
  int nq, nv, nu, nbody, ngeom, task_dim, obs_dim;
  double mass;
  double qpos10[9], qpos150[9];
} reference;

static const reference refs[] = {
    {"hopper-params",
     6,
     6,
     3,
     5,
     5,
     41,
     11,
     15.820013405927003,
     {-0.0031916735, 1.2427713723, -0.0241972870, -0.0166077998, -0.0203345573, -0.0188576377},
     {-0.1683692647, 1.1347964566, -0.7550666947, -0.5194560583, -0.4032787041, 0.1710125512}},
    {"walker-params",
     9,
     9,
     6,
     8,
     8,
     65,
     17,
     23.677136632555076,
     {-0.0036642257, 1.2402871495, -0.0121208535, 0.0335781008, -0.0846049570, -0.1294964436,
      -0.0188751949, 0.0089609924, 0.2898304410},
     {-0.0887917331, 0.7681091471, -2.7036275481, -2.2921518143, -0.8442382856, 0.2958053208,
      -2.2875139855, -0.7078728315, 0.4371911144}},
};

static void open_world(maml_env_world *w, const char *family, int oracle) {
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_world_open(w, family, oracle, NULL, err, sizeof err), MAML_OK, "%s: %s",
               family, err);
}

static void init_env(maml_env *e, const maml_env_world *w) {
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_init(e, w, err, sizeof err), MAML_OK, "%s", err);
}

static double clip(double x, double lo, double hi) {
  return x < lo ? lo : x > hi ? hi : x;
}

/* ---- the models ------------------------------------------------------------------------ */

Test(env_locomotion, models_have_the_reference_sizes_options_and_mass) {
  for (size_t k = 0; k < sizeof refs / sizeof refs[0]; k++) {
    const reference *r = &refs[k];
    maml_env_world w;
    open_world(&w, r->family, 0);
    const mjModel *m = w.model;
    cr_assert_eq(m->nq, r->nq, "%s nq", r->family);
    cr_assert_eq(m->nv, r->nv, "%s nv", r->family);
    cr_assert_eq(m->nu, r->nu, "%s nu", r->family);
    cr_assert_eq(m->nbody, r->nbody, "%s nbody", r->family);
    cr_assert_eq(m->ngeom, r->ngeom, "%s ngeom", r->family);
    cr_assert_eq(m->opt.timestep, TIMESTEP, "%s timestep %g", r->family, m->opt.timestep);
    cr_assert_eq(m->opt.integrator, mjINT_RK4, "%s integrator", r->family);
    double mass = 0;
    for (int b = 0; b < m->nbody; b++) mass += m->body_mass[b];
    cr_assert(fabs(mass - r->mass) < 1e-9, "%s total mass %.17g, reference %.17g", r->family, mass,
              r->mass);
    cr_assert_eq(w.family->robot->frame_skip, FRAME_SKIP, "%s", r->family);
    cr_assert_eq(w.family->task_dim, r->task_dim, "%s: one u per mass, inertia, friction, damping",
                 r->family);
    cr_assert_eq(w.obs_dim, r->obs_dim, "%s obs", r->family);
    for (int i = 0; i < m->nu; i++)
      cr_assert(m->actuator_ctrllimited[i] && m->actuator_ctrlrange[2 * i] == -1 &&
                    m->actuator_ctrlrange[2 * i + 1] == 1,
                "%s actuator %d: ctrlrange [-1, 1]", r->family, i);
    maml_env_world_close(&w);
    open_world(&w, r->family, 1);
    cr_assert_eq(w.obs_dim, r->obs_dim + r->task_dim, "%s oracle obs", r->family);
    maml_env_world_close(&w);
  }
}

Test(env_locomotion, open_loop_trajectory_matches_the_reference_model) {
  for (size_t k = 0; k < sizeof refs / sizeof refs[0]; k++) {
    const reference *r = &refs[k];
    maml_env_world w;
    open_world(&w, r->family, 0);
    const mjModel *m = w.model;
    mjData *d = mj_makeData(m);
    mj_resetData(m, d);
    mj_forward(m, d);
    for (int t = 0; t < 150; t++) {
      for (int i = 0; i < m->nu; i++) d->ctrl[i] = 0.9 * sin(0.7 * t + 1.3 * i);
      mj_step(m, d);
      const double *want = t + 1 == 10 ? r->qpos10 : t + 1 == 150 ? r->qpos150 : NULL;
      for (int i = 0; want && i < m->nq; i++)
        cr_assert(fabs(d->qpos[i] - want[i]) < 1e-3,
                  "%s qpos[%d] after %d steps: %.10f, reference %.10f", r->family, i, t + 1,
                  d->qpos[i], want[i]);
    }
    mj_deleteData(d);
    maml_env_world_close(&w);
  }
}

/* ---- the step -------------------------------------------------------------------------- */

/* one env step equals FRAME_SKIP mj_steps of the instance's model from the same state under
 * the same control, bit for bit, three steps in a row */
Test(env_locomotion, a_step_is_four_mj_steps) {
  for (size_t k = 0; k < sizeof refs / sizeof refs[0]; k++) {
    maml_env_world w;
    maml_env e;
    open_world(&w, refs[k].family, 0);
    init_env(&e, &w);
    double task[MAML_TASK_MAX] = {0};
    maml_rng rng;
    maml_rng_init(&rng, 3, 0, MAML_PHASE_TEST, 0, 0);
    maml_env_reset(&e, task, &rng, NULL);
    const mjModel *m = e.model;
    mjData *d = mj_makeData(m);
    mj_resetData(m, d);
    mju_copy(d->qpos, e.data->qpos, m->nq);
    mju_copy(d->qvel, e.data->qvel, m->nv);
    mj_forward(m, d);
    for (int t = 0; t < 3; t++) {
      maml_real a[8];
      for (int i = 0; i < m->nu; i++) a[i] = (maml_real)(0.8 * cos(0.9 * t + i));
      double reward;
      int done;
      maml_env_step(&e, a, NULL, &reward, &done);
      for (int i = 0; i < m->nu; i++) d->ctrl[i] = (double)a[i];
      for (int s = 0; s < FRAME_SKIP; s++) mj_step(m, d);
      for (int i = 0; i < m->nq; i++)
        cr_assert_eq(e.data->qpos[i], d->qpos[i], "%s step %d qpos[%d]: %.17g, mj_step %.17g",
                     refs[k].family, t, i, e.data->qpos[i], d->qpos[i]);
      for (int i = 0; i < m->nv; i++)
        cr_assert_eq(e.data->qvel[i], d->qvel[i], "%s step %d qvel[%d]", refs[k].family, t, i);
      cr_assert_eq(e.data->time, d->time, "%s: %g s of simulation", refs[k].family, d->time);
    }
    cr_assert(fabs(d->time - 3 * FRAME_SKIP * TIMESTEP) < 1e-12);
    mj_deleteData(d);
    maml_env_free(&e);
    maml_env_world_close(&w);
  }
}

/* the healthy rule of each robot, written from rand_param_envs' code */
static int healthy(const char *family, const mjModel *m, const mjData *d) {
  const double height = d->qpos[1], angle = d->qpos[2];
  if (!strcmp(family, "walker-params"))
    return height > 0.8 && height < 2.0 && angle > -1.0 && angle < 1.0;
  for (int i = 2; i < m->nq; i++)
    if (!(fabs(d->qpos[i]) < 100)) return 0;
  for (int i = 0; i < m->nv; i++)
    if (!(fabs(d->qvel[i]) < 100)) return 0;
  return height > 0.7 && fabs(angle) < 0.2;
}

/* episodes of random actions (some beyond the bounds): every observation, reward and done
 * against the benchmark's definitions computed from the state */
Test(env_locomotion, observation_reward_and_termination_follow_the_benchmark) {
  for (size_t k = 0; k < sizeof refs / sizeof refs[0]; k++) {
    const char *family = refs[k].family;
    maml_env_world w;
    maml_env e;
    open_world(&w, family, 0);
    init_env(&e, &w);
    const maml_env_family *f = w.family;
    int dones = 0, steps = 0;
    for (int ep = 0; ep < 6; ep++) {
      maml_rng rng;
      maml_rng_init(&rng, 11, 0, MAML_PHASE_TEST, (uint32_t)ep, 0);
      double task[MAML_TASK_MAX];
      f->sample_task(&rng, task);
      maml_real obs[32];
      maml_env_reset(&e, task, &rng, obs);
      const mjModel *m = e.model;
      const mjData *d = e.data;
      for (int t = 0; t < f->horizon; t++) {
        maml_real a[8];
        double sumsq = 0;
        for (int i = 0; i < m->nu; i++) {
          a[i] = (maml_real)(1.3 * maml_rng_normal(&rng));
          const double c = clip((double)a[i], -1, 1);
          sumsq += c * c;
        }
        const double x_before = d->qpos[0];
        double reward;
        int done;
        maml_env_step(&e, a, obs, &reward, &done);
        steps++;
        cr_assert_eq(e.info.unstable, 0, "%s: unstable", family);
        const double dt = FRAME_SKIP * TIMESTEP;
        const double want = (d->qpos[0] - x_before) / dt + 1.0 - 1e-3 * sumsq;
        cr_assert(fabs(reward - want) <= 1e-9 * fmax(1, fabs(want)),
                  "%s step %d: reward %.17g, want %.17g", family, t, reward, want);
        for (int i = 1; i < m->nq; i++)
          cr_assert(fabs((double)obs[i - 1] - d->qpos[i]) <= 1e-6 * fmax(1, fabs(d->qpos[i])),
                    "%s obs %d", family, i - 1);
        for (int i = 0; i < m->nv; i++) {
          const double v = clip(d->qvel[i], -10, 10);
          cr_assert(fabs((double)obs[m->nq - 1 + i] - v) <= 1e-6 * fmax(1, fabs(v)),
                    "%s obs qvel %d", family, i);
        }
        cr_assert_eq(done, !healthy(family, m, d), "%s step %d: done %d", family, t, done);
        if (done) {
          dones++;
          break;
        }
      }
    }
    /* random actions topple both robots: the rule was exercised */
    cr_assert(dones >= 3, "%s: %d of 6 episodes ended (%d steps)", family, dones, steps);
    maml_env_free(&e);
    maml_env_world_close(&w);
  }
}

/* velocities beyond 10 are clipped in the observation */
Test(env_locomotion, observed_velocities_are_clipped) {
  for (size_t k = 0; k < sizeof refs / sizeof refs[0]; k++) {
    maml_env_world w;
    maml_env e;
    open_world(&w, refs[k].family, 0);
    init_env(&e, &w);
    double task[MAML_TASK_MAX] = {0};
    maml_env_reset(&e, task, NULL, NULL);
    const mjModel *m = e.model;
    e.data->qvel[0] = 12.5;
    e.data->qvel[3] = -40;
    e.data->qvel[4] = 9.5;
    mj_forward(m, e.data);
    maml_real obs[32];
    w.family->robot->observe(&e, obs);
    const int v = m->nq - 1; /* where qvel starts */
    cr_assert_eq(obs[v + 0], (maml_real)10);
    cr_assert_eq(obs[v + 3], (maml_real)-10);
    cr_assert_eq(obs[v + 4], (maml_real)9.5);
    cr_assert_eq(obs[0], (maml_real)1.25, "qpos[1], the height, first");
    maml_env_free(&e);
    maml_env_world_close(&w);
  }
}

typedef struct {
  const char *family;
  const char *what;
  int index; /* qpos index, or nq + qvel index */
  double value;
  int done; /* 1: the rule is broken after one step */
} state_case;

/* the state set by hand breaks one rule (or does not), one zero-action step later */
Test(env_locomotion, healthy_rules_end_the_episode) {
  static const state_case cases[] = {
      {"hopper-params", "upright at rest", 0, 0.0, 0},
      {"hopper-params", "height 0.6 (> 0.7 needed)", 1, 0.6, 1},
      {"hopper-params", "height 3 (no upper bound)", 1, 3.0, 0},
      {"hopper-params", "angle 0.3 (|angle| < 0.2 needed)", 2, 0.3, 1},
      {"hopper-params", "angle -0.3", 2, -0.3, 1},
      {"hopper-params", "angle 0.15", 2, 0.15, 0},
      {"hopper-params", "the torso's upward velocity 150 (|state[2:]| < 100 needed)", 6 + 1, 150.0,
       1},
      {"hopper-params", "the root's x velocity 150 (state[2:] holds every qvel)", 6 + 0, 150.0, 1},
      {"walker-params", "upright at rest", 0, 0.0, 0},
      {"walker-params", "height 0.7 (> 0.8 needed)", 1, 0.7, 1},
      {"walker-params", "height 2.3 (< 2 needed)", 1, 2.3, 1},
      {"walker-params", "angle 1.2 (|angle| < 1 needed)", 2, 1.2, 1},
      {"walker-params", "angle 0.8", 2, 0.8, 0},
      {"walker-params", "the root's x velocity 150 (no state bound)", 9 + 0, 150.0, 0},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const state_case *s = &cases[c];
    maml_env_world w;
    maml_env e;
    open_world(&w, s->family, 0);
    init_env(&e, &w);
    double task[MAML_TASK_MAX] = {0};
    maml_env_reset(&e, task, NULL, NULL);
    const mjModel *m = e.model;
    if (s->index == 1 && s->value < 1.25) /* low: the legs horizontal behind, off the floor */
      for (int i = 3; i < m->nq; i += 3) e.data->qpos[i] = -1.5707963267948966;
    if (s->index < m->nq)
      e.data->qpos[s->index] = s->value;
    else
      e.data->qvel[s->index - m->nq] = s->value;
    mj_forward(m, e.data);
    maml_real a[8] = {0};
    double reward;
    int done;
    maml_env_step(&e, a, NULL, &reward, &done);
    cr_assert_eq(e.info.unstable, 0, "%s, %s: unstable", s->family, s->what);
    cr_assert_eq(done, !healthy(s->family, m, e.data), "%s, %s: done %d against the rule",
                 s->family, s->what, done);
    cr_assert_eq(done, s->done, "%s, %s: done %d", s->family, s->what, done);
    if (s->index >= m->nq) /* still beyond the hopper's bound after the step */
      cr_assert(fabs(e.data->qvel[s->index - m->nq]) >= 100, "%s, %s: qvel %g", s->family, s->what,
                e.data->qvel[s->index - m->nq]);
    maml_env_free(&e);
    maml_env_world_close(&w);
  }
}

/* the reset adds U(-0.005, 0.005) to each qpos, then each qvel, in that order */
Test(env_locomotion, reset_noise_is_uniform) {
  for (size_t k = 0; k < sizeof refs / sizeof refs[0]; k++) {
    maml_env_world w;
    maml_env e;
    open_world(&w, refs[k].family, 0);
    init_env(&e, &w);
    double task[MAML_TASK_MAX] = {0};
    maml_rng rng, same;
    maml_rng_init(&rng, 21, 0, MAML_PHASE_TEST, 4, 0);
    same = rng;
    maml_env_reset(&e, task, &rng, NULL);
    const mjModel *m = e.model;
    for (int i = 0; i < m->nq; i++) {
      const double want = m->qpos0[i] + maml_rng_uniform_range(&same, -0.005, 0.005);
      cr_assert_eq(e.data->qpos[i], want, "%s qpos[%d]", refs[k].family, i);
    }
    for (int i = 0; i < m->nv; i++) {
      const double want = maml_rng_uniform_range(&same, -0.005, 0.005);
      cr_assert_eq(e.data->qvel[i], want, "%s qvel[%d]", refs[k].family, i);
      cr_assert(fabs(want) <= 0.005);
    }
    cr_assert_eq(e.info.forward_vel, e.data->qvel[0], "the forward velocity at reset: qvel[0]");
    maml_env_free(&e);
    maml_env_world_close(&w);
  }
}

/* ---- the preset -------------------------------------------------------------------------- */

static double resolved_alpha(const char *env, const char *alpha) {
  maml_config c;
  char err[ERR_SZ] = "";
  maml_config_defaults(&c);
  cr_assert_eq(maml_config_set(&c, "env", env, err, sizeof err), MAML_OK, "%s", err);
  if (alpha) cr_assert_eq(maml_config_set(&c, "alpha", alpha, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_OK, "%s", err);
  maml_config again = c;
  cr_assert_eq(maml_config_resolve(&again, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(again.alpha, c.alpha, "resolving again keeps alpha");
  /* the resolved config written out and read back gives the same step size */
  char text[8192];
  maml_config_format(&c, text, sizeof text);
  maml_config back;
  maml_config_defaults(&back);
  cr_assert_eq(maml_config_parse_ini(&back, text, strlen(text), "round trip", err, sizeof err),
               MAML_OK, "%s", err);
  cr_assert_eq(maml_config_resolve(&back, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(back.alpha, c.alpha);
  return c.alpha;
}

Test(env_locomotion, preset_inner_step_size) {
  cr_assert_eq(resolved_alpha("hopper-params", NULL), 0.05);
  cr_assert_eq(resolved_alpha("walker-params", NULL), 0.05);
  cr_assert_eq(resolved_alpha("hopper-params", "0.1"), 0.1, "a given alpha wins");
  cr_assert_eq(resolved_alpha("walker-params", "0.02"), 0.02);
  cr_assert_eq(resolved_alpha("cheetah-params", NULL), 0.1, "no preset: the default");
  cr_assert_eq(resolved_alpha("cheetah-vel", NULL), 0.1);
  const maml_env_family *f = maml_env_find("hopper-params");
  cr_assert_eq(maml_env_preset_value(f, MAML_PRESET_TASKS), 40);
  cr_assert_eq(maml_env_preset_value(f, MAML_PRESET_EPISODES), 20);
  cr_assert_eq(maml_env_preset_value(f, MAML_PRESET_HORIZON), 200);
}

/* ---- family files ------------------------------------------------------------------------ */

/* a family file's observation part qvel-clip: clip(qvel, -10, 10), as the built-in hopper's */
Test(env_locomotion, family_file_observes_clipped_velocities) {
  char dir[] = "/tmp/maml-locomotion-XXXXXX", path[256], name[64], err[ERR_SZ] = "";
  cr_assert_not_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/hop.ini", dir);
  FILE *fp = fopen(path, "w");
  cr_assert_not_null(fp);
  fprintf(fp,
          "name = file-hopper\nmodel = %s/hopper.xml\nbody = torso\n"
          "observation = qpos[1:], qvel-clip\ntask = goal-velocity\ngoal_range = 0, 1\n",
          MAML_TEST_ASSETS);
  fclose(fp);
  cr_assert_eq(maml_env_use(path, name, sizeof name, NULL, err, sizeof err), MAML_OK, "%s", err);
  maml_env_world w;
  maml_env e;
  open_world(&w, name, 0);
  init_env(&e, &w);
  cr_assert_eq(w.obs_dim, 11);
  double task[MAML_TASK_MAX] = {0.5};
  maml_env_reset(&e, task, NULL, NULL);
  e.data->qvel[2] = -25;
  e.data->qvel[5] = 3;
  mj_forward(e.model, e.data);
  maml_real obs[16];
  w.family->robot->observe(&e, obs);
  cr_assert_eq(obs[5 + 2], (maml_real)-10);
  cr_assert_eq(obs[5 + 5], (maml_real)3);
  maml_env_free(&e);
  maml_env_world_close(&w);
  remove(path);
  rmdir(dir);
}
