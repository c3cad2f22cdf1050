/* MuJoCo plumbing shared by the robots with a model: reset with noise, action mapping,
 * the step, instability checks, the shared reward terms and the termination rule. See
 * maml/env_mujoco.h for the invariant kept here. */
#include "envs/mujoco_env.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

maml_status maml_mj_check_sizes(const mjModel *m, const char *family, int nq, int nv, int nu,
                                int nbody, char *err, size_t err_sz) {
  if (m->nq == nq && m->nv == nv && m->nu == nu && (nbody < 0 || m->nbody == nbody)) return MAML_OK;
  char bodies[32] = ""; /* nbody < 0: any number of bodies */
  if (nbody >= 0) snprintf(bodies, sizeof bodies, ", nbody %d", nbody);
  return maml_fail(err, err_sz, MAML_ERR_FORMAT,
                   "the model has nq %d, nv %d, nu %d, nbody %d; %s needs nq %d, nv %d, nu "
                   "%d%s (a model of another robot?)",
                   m->nq, m->nv, m->nu, m->nbody, family, nq, nv, nu, bodies);
}

/* the model's initial state, no noise */
static void initial_state(const maml_env *e) {
  const maml_env_world *w = e->world;
  if (w->init_key >= 0)
    mj_resetDataKeyframe(e->model, e->data, w->init_key);
  else
    mj_resetData(e->model, e->data);
}

/* the layout of w->init_state */
static size_t init_state_size(const mjModel *m) {
  return 1 + (size_t)m->nq + m->nv + m->na + m->nu + 7 * (size_t)m->nmocap;
}

/* copy between the state fields of d and a packed array (to_data: array -> d) */
static void pack_state(const mjModel *m, mjData *d, mjtNum *x, int to_data) {
  struct {
    mjtNum *field;
    int n;
  } parts[] = {{&d->time, 1},
               {d->qpos, m->nq},
               {d->qvel, m->nv},
               {d->act, m->na},
               {d->ctrl, m->nu},
               {d->mocap_pos, 3 * m->nmocap},
               {d->mocap_quat, 4 * m->nmocap}};
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
    if (to_data)
      mju_copy(parts[i].field, x, parts[i].n);
    else
      mju_copy(x, parts[i].field, parts[i].n);
    x += parts[i].n;
  }
}

maml_status maml_mj_save_initial_state(maml_env_world *w) {
  const mjModel *m = w->model;
  mjData *d = mj_makeData(m);
  w->init_state = malloc(init_state_size(m) * sizeof(mjtNum));
  if (!d || !w->init_state) {
    if (d) mj_deleteData(d);
    free(w->init_state);
    w->init_state = NULL;
    return MAML_ERR_NOMEM;
  }
  if (w->init_key >= 0)
    mj_resetDataKeyframe(m, d, w->init_key);
  else
    mj_resetData(m, d);
  pack_state(m, d, w->init_state, 0);
  mj_deleteData(d);
  return MAML_OK;
}

void maml_mj_reset(maml_env *e, maml_rng *rng, int forces) {
  const mjModel *m = e->model;
  mjData *d = e->data;
  // what mj_resetData sets that a step reads; the rest is computed by mj_forward
  pack_state(m, d, e->world->init_state, 1);
  mju_zero(d->qacc_warmstart, m->nv);
  mju_zero(d->qfrc_applied, m->nv);
  mju_zero(d->xfrc_applied, 6 * m->nbody);
  mju_zero(d->userdata, m->nuserdata);
  memset(d->warning, 0, sizeof d->warning);
  const maml_env_robot *r = e->world->family->robot;
  if (rng && r->uniform_noise) {
    for (int i = 0; i < m->nq; i++)
      d->qpos[i] += maml_rng_uniform_range(rng, -r->qpos_noise, r->qpos_noise);
    for (int i = 0; i < m->nv; i++)
      d->qvel[i] += maml_rng_uniform_range(rng, -r->qvel_noise, r->qvel_noise);
  } else if (rng) {
    for (int i = 0; i < m->nq; i++) d->qpos[i] += r->qpos_noise * maml_rng_normal(rng);
    for (int i = 0; i < m->nv; i++) d->qvel[i] += r->qvel_noise * maml_rng_normal(rng);
  }
  mj_forward(m, d);
  if (forces) mj_rnePostConstraint(m, d);
}

double maml_mj_set_action(maml_env *e, const maml_real *action, int *bad) {
  const mjModel *m = e->model;
  mjData *d = e->data;
  double sumsq = 0.0;
  *bad = 0;
  for (int i = 0; i < m->nu; i++) {
    double a = (double)action[i];
    if (!isfinite(a)) {
      *bad = 1;
      if (isnan(a)) a = 0.0;  // +-inf clips to +-1 below
    }
    a = maml_clip(a, -1.0, 1.0);
    sumsq += a * a;
    if (m->actuator_ctrllimited[i]) {
      const mjtNum lo = m->actuator_ctrlrange[2 * i], hi = m->actuator_ctrlrange[2 * i + 1];
      d->ctrl[i] = 0.5 * (hi + lo) + 0.5 * (hi - lo) * a;  // exact for symmetric ranges
    } else {
      d->ctrl[i] = a;
    }
  }
  return sumsq;
}

static int all_finite(const mjtNum *x, int n) {
  for (int i = 0; i < n; i++)
    if (!isfinite(x[i])) return 0;
  return 1;
}

/* the position and velocity stages of mj_forwardSkip */
static void position_velocity_stages(const mjModel *m, mjData *d) {
  const int energy = m->opt.enableflags & mjENBL_ENERGY;
  mj_fwdPosition(m, d);
  mj_sensorPos(m, d);
  if (energy) mj_energyPos(m, d);
  mj_fwdVelocity(m, d);
  mj_sensorVel(m, d);
  if (energy) mj_energyVel(m, d);
}

/* one mj_step from a state whose position and velocity stages are current, leaving them
 * current at the new state */
static void simulate_step(const mjModel *m, mjData *d) {
  // mj_step without its leading position/velocity stages: they are current already
  if (m->opt.integrator == mjINT_RK4) {
    mj_forwardSkip(m, d, mjSTAGE_VEL, 0);
    mj_checkAcc(m, d);
    mj_RungeKutta(m, d, 4);
  } else {
    mj_step2(m, d);  // acceleration stage, Euler or implicit integrator
  }
  // position and velocity stages at the new state: mj_step1 without the energy that
  // mj_step only computes when enabled
  mj_checkPos(m, d);
  mj_checkVel(m, d);
  position_velocity_stages(m, d);
}

int maml_mj_advance(maml_env *e, int forces) {
  const mjModel *m = e->model;
  mjData *d = e->data;
  const int skip = maml_mj_frame_skip(e->world->family->robot);

  // count this step's warnings only
  for (int i = 0; i < mjNWARNING; i++) d->warning[i].number = 0;

  // timed by MuJoCo's clock when one is set (benchmarks): mjData's own timers cannot say
  // it, as this step is not mj_step (its STEP timer counts nothing here under RK4) and
  // mj_resetData clears them
  const mjtNum t0 = mjcb_time ? mjcb_time() : 0;
  for (int k = 0; k < skip; k++) simulate_step(m, d);
  if (mjcb_time) e->physics_time += mjcb_time() - t0, e->physics_steps += skip;

  int unstable = 0;
  for (int i = 0; i < mjNWARNING; i++)
    if (d->warning[i].number > 0) unstable = 1;
  if (!all_finite(d->qpos, m->nq) || !all_finite(d->qvel, m->nv) || !all_finite(d->qacc, m->nv))
    unstable = 1;
  if (unstable) {
    // MuJoCo may have reset the data to qpos0 already; make it the task's initial state
    initial_state(e);
    mj_forward(m, d);
  }

  if (forces) {
    // the new state's constraint forces under the control just applied; the solver
    // overwrites its warm start, which the next step must see as mj_step leaves it
    int mark = d->pstack;
    mjtNum *warmstart = mj_stackAlloc(d, m->nv);
    mju_copy(warmstart, d->qacc_warmstart, m->nv);
    mj_forwardSkip(m, d, mjSTAGE_VEL, 1);
    mj_rnePostConstraint(m, d);
    mju_copy(d->qacc_warmstart, warmstart, m->nv);
    d->pstack = mark;
  }
  return unstable;
}

/* the x and y velocity of the torso subtree's centre of mass now, from cvel: what
 * mj_subtreeVel computes for the torso alone */
static void planar_cvel(const maml_env *e, double vel[2]) {
  const mjModel *m = e->model;
  const mjData *d = e->data;
  const int torso = e->world->torso_body;
  // bodies are numbered depth first: the torso's subtree is torso, torso + 1, ... up to
  // the first body that does not descend from it
  double px = 0.0, py = 0.0; /* the subtree's momentum in x and y */
  for (int b = torso; b < m->nbody; b++) {
    int a = b;
    while (a > torso) a = m->body_parentid[a];
    if (a != torso) break;
    // the velocity of b's centre of mass: linear + angular x (xipos - subtree_com[root])
    const mjtNum *cvel = d->cvel + 6 * b;
    const mjtNum *com = d->subtree_com + 3 * m->body_rootid[b];
    const mjtNum rx = d->xipos[3 * b] - com[0], ry = d->xipos[3 * b + 1] - com[1],
                 rz = d->xipos[3 * b + 2] - com[2];
    px += m->body_mass[b] * (cvel[3] + cvel[1] * rz - cvel[2] * ry);
    py += m->body_mass[b] * (cvel[4] + cvel[2] * rx - cvel[0] * rz);
  }
  const double mass = mjMAX(mjMINVAL, m->body_subtreemass[torso]);
  vel[0] = px / mass;
  vel[1] = py / mass;
}

double maml_mj_forward_vel(const maml_env *e) { /* y too: a few flops per body */
  double vel[2];
  planar_cvel(e, vel);
  return vel[0];
}

void maml_mj_planar_vel(const maml_env *e, double vel[2]) {
  if (e->world->family->robot->com_displacement) {
    vel[0] = e->com_vel[0];
    vel[1] = e->com_vel[1];
  } else {
    planar_cvel(e, vel);
  }
}

/* where the robot's body is and how fast it moves forward */
static void body_info(maml_env *e) {
  const mjtNum *com = maml_mj_torso_com(e);
  e->info.forward_vel = maml_mj_forward_vel(e);
  e->info.x = com[0];
  e->info.y = com[1];
}

void maml_mj_robot_reset(maml_env *e, maml_rng *rng) {
  const maml_env_robot *r = e->world->family->robot;
  maml_mj_reset(e, rng, r->forces);
  body_info(e);
  if (r->com_displacement) planar_cvel(e, e->com_vel);
  if (r->root_velocity) e->info.forward_vel = e->data->qvel[0];
}

/* com_displacement: the velocity over the step, from where the step began (before), 0 when
 * the step went unstable (the body was put back) */
static void displacement_vel(maml_env *e, const maml_env_robot *r, const double before[2],
                             int unstable) {
  const double duration = maml_mj_frame_skip(r) * e->model->opt.timestep;
  for (int i = 0; i < 2; i++)
    e->com_vel[i] = unstable ? 0.0 : (maml_mj_torso_com(e)[i] - before[i]) / duration;
  e->info.forward_vel = e->com_vel[0];
}

/* 1 when the state breaks the robot's termination rules (maml/env.h) */
static int fell(const maml_env_robot *r, const mjModel *m, const mjData *d) {
  if (r->z_max > r->z_min) {
    const double z = d->qpos[r->height_index];
    if (r->z_open ? !(z > r->z_min && z < r->z_max) : !(z >= r->z_min && z <= r->z_max)) return 1;
  }
  if (r->angle_max > 0 && !(fabs(d->qpos[r->angle_index]) < r->angle_max)) return 1;
  if (r->state_max > 0) {
    for (int i = 2; i < m->nq; i++)
      if (!(fabs(d->qpos[i]) < r->state_max)) return 1;
    for (int i = 0; i < m->nv; i++)
      if (!(fabs(d->qvel[i]) < r->state_max)) return 1;
  }
  return 0;
}

double maml_mj_robot_advance(maml_env *e, const maml_real *action, int *done) {
  const maml_env_robot *r = e->world->family->robot;
  const mjModel *m = e->model;
  const mjData *d = e->data;
  int bad;
  const double before[2] = {e->info.x, e->info.y};
  double sumsq = maml_mj_set_action(e, action, &bad);
  const double x_before = r->root_velocity ? d->qpos[0] : 0.0;
  int unstable = maml_mj_advance(e, r->forces) | bad;

  double contact = 0.0;
  if (r->contact_cost != 0.0)
    for (int i = 0; i < 6 * m->nbody; i++) {
      double f = r->contact_max > 0.0 ? d->cfrc_ext[i] : maml_clip(d->cfrc_ext[i], -1, 1);
      contact += f * f;
    }
  body_info(e);
  if (r->com_displacement) displacement_vel(e, r, before, unstable);
  if (r->root_velocity) /* the state is the initial one after an unstable step */
    e->info.forward_vel =
        unstable ? d->qvel[0] : (d->qpos[0] - x_before) / (maml_mj_frame_skip(r) * m->opt.timestep);
  e->info.ctrl_cost = r->ctrl_cost * sumsq;
  e->info.contact_cost = r->contact_cost != 0.0 ? r->contact_cost * contact : 0.0;
  if (r->contact_max > 0.0 && e->info.contact_cost > r->contact_max)
    e->info.contact_cost = r->contact_max;
  e->info.goal_dist = 0.0;
  e->info.unstable = unstable;

  *done = unstable || fell(r, m, d);
  double shared = r->alive_bonus != 0.0 ? r->alive_bonus - e->info.ctrl_cost : -e->info.ctrl_cost;
  return r->contact_cost != 0.0 ? shared - e->info.contact_cost : shared;
}

void maml_mj_observe(const maml_env *e, maml_real *obs) {
  const maml_env_robot *r = e->world->family->robot;
  const mjModel *m = e->model;
  const mjData *d = e->data;
  int k = 0;
  for (int p = 0; p < MAML_OBS_MAX_PARTS && r->obs_parts[p].kind != MAML_OBS_END; p++) {
    const maml_env_obs_part *part = &r->obs_parts[p];
    const mjtNum *x = NULL;
    int from = 0, to = 0;
    switch (part->kind) {
      case MAML_OBS_QPOS: x = d->qpos, from = part->skip, to = m->nq; break;
      case MAML_OBS_QVEL: x = d->qvel, to = m->nv; break;
      case MAML_OBS_QVEL_CLIP:
        for (int i = 0; i < m->nv; i++)
          obs[k++] = (maml_real)maml_clip(d->qvel[i], -part->bound, part->bound);
        break;
      case MAML_OBS_CFRC_EXT:
        for (int i = 0; i < 6 * m->nbody; i++)
          obs[k++] = (maml_real)maml_clip(d->cfrc_ext[i], -1, 1);
        break;
      case MAML_OBS_BODY_XMAT: x = d->xmat + 9 * e->world->torso_body, to = 9; break;
      case MAML_OBS_BODY_COM: x = maml_mj_torso_com(e), to = 3; break;
      case MAML_OBS_CINERT: x = d->cinert, to = 10 * m->nbody; break;
      case MAML_OBS_CVEL: x = d->cvel, to = 6 * m->nbody; break;
      case MAML_OBS_QFRC_ACTUATOR: x = d->qfrc_actuator, to = m->nv; break;
      case MAML_OBS_CFRC_EXT_RAW: x = d->cfrc_ext, to = 6 * m->nbody; break;
      case MAML_OBS_END: break;
    }
    for (int i = from; x && i < to; i++) obs[k++] = (maml_real)x[i];
  }
}

int maml_mj_obs_size(const maml_env_obs_part *parts, int nq, int nv, int nbody, char *why,
                     size_t n) {
  int size = 0;
  for (int p = 0; p < MAML_OBS_MAX_PARTS && parts[p].kind != MAML_OBS_END; p++) {
    switch (parts[p].kind) {
      case MAML_OBS_QPOS:
        if (parts[p].skip < 0 || parts[p].skip > nq)
          return snprintf(why, n, "observation part %d: qpos skip %d outside [0, nq %d]", p + 1,
                          parts[p].skip, nq),
                 -1;
        size += nq - parts[p].skip;
        break;
      case MAML_OBS_QVEL: size += nv; break;
      case MAML_OBS_QVEL_CLIP:
        if (!(parts[p].bound > 0))
          return snprintf(why, n, "observation part %d: qvel clip bound %g: expected > 0", p + 1,
                          parts[p].bound),
                 -1;
        size += nv;
        break;
      case MAML_OBS_CFRC_EXT:
        if (nbody < 0)
          return snprintf(why, n, "observation part %d: contact forces need nbody", p + 1), -1;
        size += 6 * nbody;
        break;
      case MAML_OBS_BODY_XMAT: size += 9; break;
      case MAML_OBS_BODY_COM: size += 3; break;
      case MAML_OBS_QFRC_ACTUATOR: size += nv; break;
      case MAML_OBS_CINERT:
      case MAML_OBS_CVEL:
      case MAML_OBS_CFRC_EXT_RAW:
        if (nbody < 0)
          return snprintf(why, n, "observation part %d: body arrays need nbody", p + 1), -1;
        size += (parts[p].kind == MAML_OBS_CINERT ? 10 : 6) * nbody;
        break;
      default:
        return snprintf(why, n, "observation part %d: unknown kind %d", p + 1, (int)parts[p].kind),
               -1;
    }
  }
  return size;
}
