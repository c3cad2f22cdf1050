/* The humanoid (envs/humanoid.c, assets/humanoid.xml) and its family humanoid-dir.
 * - the model's facts equal the reference model's (gym's humanoid.xml): sizes, timestep,
 *   integrator, solver, total mass; and the trajectory under a fixed control from the
 *   initial state matches the reference model's qpos within 1e-3 after 10 and 100 model
 *   steps (2 and 20 environment steps of frame skip 5);
 * - the observation is qpos[2:], qvel, cinert, cvel, qfrc_actuator, cfrc_ext of mjData;
 * - the reward equals PEARL's humanoid_dir formula computed here from mjData (the mass
 *   centre from body_mass and xipos, the control, cfrc_ext) for several headings;
 * - the episode ends exactly when the torso height leaves [1, 2];
 * - the reset noise is uniform in +-0.01.
 * Each test runs in its own process. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maml/env.h"

#define ERR_SZ 8192
#define NQ 24
#define NV 23
#define NU 17
#define NBODY 14
#define OBS 376
#define FRAMES 5

/* Reference qpos: gym's humanoid.xml (openai/gym master, the file PEARL's gym 0.12 shipped)
 * loaded with MuJoCo 2.2.2's mj_loadXML by a throwaway C program outside this repository:
 * mj_makeData, mj_forward, ctrl[i] = 0.4 * sin(1 + i) for the 17 actuators, then mj_step
 * 10 and 100 times; qpos printed with %.9f. */
static const double ref_qpos_10[NQ] = {
    0.003378257,  -0.000033643, 1.390478849, 0.999842249, 0.004444522,  -0.017194867,
    -0.000244520, 0.142264843,  0.138575018, 0.041280695, -0.038861363, -0.200586749,
    -0.116886405, -0.008590793, 0.050282394, 0.102026185, -0.361665843, -0.539759901,
    -0.019906276, -0.011194826, 0.068792988, 0.007653620, 0.000084710,  -0.066122764};
static const double ref_qpos_100[NQ] = {
    0.057617397,  0.037710975,  1.196625966, 0.965806423, 0.167172896,  0.157890590,
    -0.119756993, 0.792211133,  0.523996840, 0.141745668, -0.247070220, -1.064240883,
    -0.907357145, -0.017678739, 0.090385554, 0.622043321, -1.955153834, -2.778800754,
    -0.974406490, 0.533668414,  0.878361872, 0.435361934, -0.175137231, -1.584291308};
/* the reference's total mass (sum of body_mass, from the geoms at density 1000) */
#define REF_MASS 42.116030492129887

typedef struct {
  maml_env_world w;
  maml_env e;
} humanoid;

static void open_humanoid(humanoid *h) {
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_world_open(&h->w, "humanoid-dir", 0, NULL, err, sizeof err), MAML_OK, "%s",
               err);
  cr_assert_eq(maml_env_init(&h->e, &h->w, err, sizeof err), MAML_OK, "%s", err);
}

static void close_humanoid(humanoid *h) {
  maml_env_free(&h->e);
  maml_env_world_close(&h->w);
}

Test(env_humanoid, the_model_has_the_reference_facts) {
  humanoid h;
  open_humanoid(&h);
  const mjModel *m = h.w.model;
  cr_assert_eq(m->nq, NQ);
  cr_assert_eq(m->nv, NV);
  cr_assert_eq(m->nu, NU);
  cr_assert_eq(m->nbody, NBODY);
  cr_assert_eq(m->opt.timestep, 0.003);
  cr_assert_eq(m->opt.integrator, mjINT_RK4);
  cr_assert_eq(m->opt.solver, mjSOL_PGS);
  cr_assert_eq(m->opt.iterations, 50);
  double mass = 0;
  for (int b = 0; b < m->nbody; b++) mass += m->body_mass[b];
  cr_assert_float_eq(mass, REF_MASS, 1e-9, "total mass %.17g", mass);
  for (int i = 0; i < m->nu; i++) {
    cr_assert(m->actuator_ctrllimited[i]);
    cr_assert_eq(m->actuator_ctrlrange[2 * i], -0.4);
    cr_assert_eq(m->actuator_ctrlrange[2 * i + 1], 0.4);
  }
  cr_assert_eq(h.w.obs_dim, OBS);
  cr_assert_eq(h.w.family->act_dim, NU);
  cr_assert_eq(h.w.family->robot->frame_skip, FRAMES);
  close_humanoid(&h);
}

/* env steps of the action sin(1 + i) (control 0.4 sin(1 + i)) from the state without noise */
static double qpos_error(humanoid *h, int env_steps, const double *ref) {
  maml_real act[NU], obs[OBS];
  for (int i = 0; i < NU; i++) act[i] = (maml_real)sin(1.0 + i);
  double theta = 0;
  maml_env_reset(&h->e, &theta, NULL, obs);
  for (int t = 0; t < env_steps; t++) {
    double r;
    int done = 0;
    maml_env_step(&h->e, act, obs, &r, &done);
    cr_assert(!h->e.info.unstable);
  }
  double worst = 0;
  for (int i = 0; i < NQ; i++) worst = fmax(worst, fabs(h->e.data->qpos[i] - ref[i]));
  return worst;
}

Test(env_humanoid, the_open_loop_trajectory_matches_the_reference_model) {
  humanoid h;
  open_humanoid(&h);
  double e10 = qpos_error(&h, 10 / FRAMES, ref_qpos_10);
  cr_assert_lt(e10, 1e-3, "qpos after 10 model steps: max error %g", e10);
  double e100 = qpos_error(&h, 100 / FRAMES, ref_qpos_100);
  cr_assert_lt(e100, 1e-3, "qpos after 100 model steps (feet on the floor): max error %g", e100);
  cr_assert_float_eq(h.e.data->time, 0.3, 1e-12, "20 environment steps are 100 model steps");
  close_humanoid(&h);
}

/* the whole model's mass centre, x and y, as the benchmark computes it */
static void mass_centre(const mjModel *m, const mjData *d, double c[2]) {
  double mx = 0, my = 0, mass = 0;
  for (int b = 0; b < m->nbody; b++) {
    mx += m->body_mass[b] * d->xipos[3 * b];
    my += m->body_mass[b] * d->xipos[3 * b + 1];
    mass += m->body_mass[b];
  }
  c[0] = mx / mass;
  c[1] = my / mass;
}

/* the observation is mjData's arrays in PEARL's order */
static void check_observation(const maml_env *e, const maml_real *obs) {
  const mjModel *m = e->model;
  const mjData *d = e->data;
  const struct {
    const mjtNum *x;
    int from, to;
  } parts[] = {{d->qpos, 2, m->nq},           {d->qvel, 0, m->nv},
               {d->cinert, 0, 10 * m->nbody}, {d->cvel, 0, 6 * m->nbody},
               {d->qfrc_actuator, 0, m->nv},  {d->cfrc_ext, 0, 6 * m->nbody}};
  int k = 0;
  for (size_t p = 0; p < sizeof parts / sizeof parts[0]; p++)
    for (int i = parts[p].from; i < parts[p].to; i++, k++)
      cr_assert_eq(obs[k], (maml_real)parts[p].x[i], "obs[%d] (part %zu, %d)", k, p, i);
  cr_assert_eq(k, OBS);
}

/* PEARL's reward for heading theta from mjData before (c0) and after the step */
static double pearl_reward(const mjModel *m, const mjData *d, const double c0[2], double theta,
                           double *impact) {
  double c1[2];
  mass_centre(m, d, c1);
  double lin =
      0.25 * (cos(theta) * (c1[0] - c0[0]) + sin(theta) * (c1[1] - c0[1])) / m->opt.timestep;
  double ctrl = 0, ext = 0;
  for (int i = 0; i < m->nu; i++) ctrl += d->ctrl[i] * d->ctrl[i];
  for (int i = 0; i < 6 * m->nbody; i++) ext += d->cfrc_ext[i] * d->cfrc_ext[i];
  *impact = fmin(0.5e-6 * ext, 10.0);
  return lin - 0.1 * ctrl - *impact + 5.0;
}

Test(env_humanoid, the_reward_is_pearls_for_several_headings) {
  humanoid h;
  open_humanoid(&h);
  const mjModel *m = h.w.model;
  const double headings[] = {0.0, 0.7854, 1.5708, 2.5, 3.14159, 4.0, 5.5};
  double impact_seen = 0;
  int steps = 0;
  for (size_t k = 0; k < sizeof headings / sizeof headings[0]; k++) {
    maml_rng rng, ract;
    maml_rng_init(&rng, 3, 0, 0, (uint32_t)k, 0);
    maml_rng_init(&ract, 3, 0, 1, (uint32_t)k, 0);
    maml_real obs[OBS], act[NU];
    double theta = headings[k];
    maml_env_reset(&h.e, &theta, &rng, obs);
    check_observation(&h.e, obs);
    for (int t = 0; t < 200; t++) {
      double c0[2];
      mass_centre(m, h.e.data, c0);
      for (int i = 0; i < NU; i++) act[i] = (maml_real)(0.8 * maml_rng_normal(&ract));
      double reward = 0, impact = 0;
      int done = 0;
      maml_env_step(&h.e, act, obs, &reward, &done);
      cr_assert(!h.e.info.unstable);
      double want = pearl_reward(m, h.e.data, c0, theta, &impact);
      cr_assert_float_eq(reward, want, 1e-7 * (1 + fabs(want)),
                         "heading %g step %d: %.17g vs %.17g", theta, t, reward, want);
      double c1[2];
      mass_centre(m, h.e.data, c1);
      double vx = (c1[0] - c0[0]) / (FRAMES * m->opt.timestep);
      cr_assert_float_eq(h.e.info.forward_vel, vx, 1e-7 * (1 + fabs(vx)));
      check_observation(&h.e, obs);
      impact_seen += impact;
      steps++;
      if (done) break;
    }
  }
  cr_assert_gt(impact_seen, 1e-3, "no contact cost in %d steps: cfrc_ext was not checked", steps);
  close_humanoid(&h);
}

/* one zero-action step from the humanoid put at height z, lying on its side in the air */
static int done_at_height(humanoid *h, double z, double *z_after) {
  maml_real act[NU] = {0}, obs[OBS];
  double theta = 1.0;
  maml_env_reset(&h->e, &theta, NULL, obs);
  mjData *d = h->e.data;
  d->qpos[2] = z;
  d->qpos[3] = cos(0.25 * 3.14159265358979324); /* 90 degrees about x */
  d->qpos[4] = sin(0.25 * 3.14159265358979324);
  d->qpos[5] = d->qpos[6] = 0;
  mj_forward(h->w.model, d);
  double r;
  int done = 0;
  maml_env_step(&h->e, act, obs, &r, &done);
  cr_assert(!h->e.info.unstable);
  *z_after = d->qpos[2];
  return done;
}

Test(env_humanoid, the_episode_ends_when_the_torso_leaves_1_to_2) {
  humanoid h;
  open_humanoid(&h);
  const double heights[] = {0.95, 1.03, 1.5, 1.97, 2.05};
  for (size_t k = 0; k < sizeof heights / sizeof heights[0]; k++) {
    double z;
    int done = done_at_height(&h, heights[k], &z);
    cr_assert(fabs(z - heights[k]) < 0.01, "the torso moved from %g to %g", heights[k], z);
    cr_assert_eq(done, z < 1.0 || z > 2.0, "height %g: done %d", z, done);
  }
  /* a whole episode of zero actions: it falls, and ends at the first step below 1 */
  maml_real act[NU] = {0}, obs[OBS];
  double theta = 0;
  maml_rng rng;
  maml_rng_init(&rng, 5, 0, 0, 0, 0);
  maml_env_reset(&h.e, &theta, &rng, obs);
  int ended = 0;
  for (int t = 0; t < 200 && !ended; t++) {
    double r;
    maml_env_step(&h.e, act, obs, &r, &ended);
    double z = h.e.data->qpos[2];
    cr_assert_eq(ended, z < 1.0 || z > 2.0, "step %d, height %g: done %d", t, z, ended);
  }
  cr_assert(ended, "the humanoid did not fall in 200 steps of zero action");
  close_humanoid(&h);
}

Test(env_humanoid, the_reset_noise_is_uniform_within_001) {
  humanoid h;
  open_humanoid(&h);
  const mjModel *m = h.w.model;
  maml_real obs[OBS];
  double theta = 0, sq = 0, n = 0;
  for (uint32_t ep = 0; ep < 200; ep++) {
    maml_rng rng;
    maml_rng_init(&rng, 9, 0, 0, ep, 0);
    maml_env_reset(&h.e, &theta, &rng, obs);
    for (int i = 0; i < m->nq; i++) {
      if (i >= 3 && i < 7) continue; /* the root's quaternion: MuJoCo normalises it */
      double dq = h.e.data->qpos[i] - m->qpos0[i];
      cr_assert_leq(fabs(dq), 0.01 + 1e-15);
      sq += dq * dq, n++;
    }
    for (int i = 0; i < m->nv; i++) {
      cr_assert_leq(fabs(h.e.data->qvel[i]), 0.01 + 1e-15);
      sq += h.e.data->qvel[i] * h.e.data->qvel[i], n++;
    }
  }
  /* U(-0.01, 0.01) has variance 0.01^2 / 3 (a Gaussian of 0.01 would give 0.01^2) */
  cr_assert_float_eq(sq / n, 1e-4 / 3, 0.1e-4 / 3, "variance %g", sq / n);
  close_humanoid(&h);
}

Test(env_humanoid, the_family_draws_headings_on_the_circle_and_parses_goals) {
  const maml_env_family *f = maml_env_find("humanoid-dir");
  cr_assert_not_null(f);
  cr_assert_eq(f->task_dim, 1);
  cr_assert_eq(f->horizon, 200);
  maml_rng rng;
  maml_rng_init(&rng, 1, 0, 0, 0, 0);
  double lo = 10, hi = -10;
  for (int i = 0; i < 1000; i++) {
    double t;
    f->sample_task(&rng, &t);
    lo = fmin(lo, t), hi = fmax(hi, t);
  }
  cr_assert(lo >= 0 && lo < 0.05 && hi < 2 * 3.14159265358979324 && hi > 6.2, "[%g, %g]", lo, hi);
  char err[ERR_SZ] = "";
  double g;
  cr_assert_eq(f->parse_task("0.7854", &g, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(g, 0.7854);
  cr_assert_neq(f->parse_task("7", &g, err, sizeof err), MAML_OK);
  cr_assert(strstr(err, "7") && strstr(err, "6.28"), "%s", err);
  cr_assert(f->note && strstr(f->note, "PEARL"), "the family names its source");
}

/* the robot fields the humanoid added are checked at registration */
static void refused(maml_env_robot r, const char *name, const char *want) {
  maml_env_family f = {.name = name, .robot = &r, .kind = &maml_task_goal_heading, .horizon = 10};
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_env_register(&f, err, sizeof err), MAML_ERR_ARG, "%s registered", name);
  cr_assert(strstr(err, want), "%s: %s", name, err);
}

Test(env_humanoid, bad_robot_fields_are_refused) {
  maml_env_robot r = maml_robot_humanoid;
  r.frame_skip = -1;
  refused(r, "h-skip", "frame_skip -1");
  r = maml_robot_humanoid;
  r.contact_max = -2;
  refused(r, "h-cap", "contact_max -2");
  r = maml_robot_humanoid;
  r.forces = 0, r.contact_cost = 0; /* the observation's qfrc_actuator and cfrc_ext need it */
  refused(r, "h-forces", "set forces 1");
  r = maml_robot_humanoid;
  r.obs_dim = OBS - 1;
  refused(r, "h-size", "make 376 numbers");
}
