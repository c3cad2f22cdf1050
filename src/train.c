#include "maml/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "maml/baseline.h"
#include "maml/comm.h"
#include "maml/env.h"
#include "maml/episodes.h"
#include "maml/sampler.h"

/* What the ranks share of a side's task: its mean return and health. */
typedef struct {
  double mean_return;
  int unstable, finite;
  int64_t steps; /* environment steps of its episodes */
} task_summary;

/* A side of the meta-batch: the support or the query episodes of every task (under several
 * ranks, only this rank's tasks hold batches; every task has its summary). */
typedef struct {
  int episodes;
  maml_task_batch *batches; /* (tasks) */
  task_summary *summary;    /* (tasks) */
  maml_real *adv;           /* (this rank's tasks, episodes * horizon) standardised advantages */
  maml_batch *views;        /* (tasks) what the learner reads: each batch's steps that
                               happened, packed (maml_task_batch_pack) */
  double mean_return;
  int finite;
  int64_t steps; /* environment steps of every task's episodes */
} side;

/* Per-worker scratch of the advantage computation. */
typedef struct {
  maml_baseline baseline;
  maml_real *returns, *values; /* (max episodes * horizon) */
} adv_worker;

struct maml_trainer {
  maml_config cfg;
  maml_comm *comm;
  int lo, hi; /* this rank's tasks */
  maml_env_world world;
  int world_open;
  maml_policy policy;
  maml_pool *pool;
  maml_sampler *sampler;
  maml_learner *learner;
  side support, query;
  side *inner; /* (K - 1) with inner_support = fresh: the support of inner steps 1 .. K-1 */
  int n_inner;
  adv_worker *workers;
  double *tasks;            /* (tasks, MAML_TASK_MAX) */
  const maml_real **thetas; /* (tasks) sampling parameters per task */
  maml_real *theta;         /* (n_phi) phi: the policy's parameters, then the learned step
                               sizes (none with the fixed alpha) */
  maml_real *theta_best;    /* (n_phi) */
  size_t n_phi;             /* maml_learner_n_params */
  double *step_scratch;     /* (step sizes) for their summary */
  int64_t iteration, best_iteration, rejected;
  int best_held; /* theta_best holds the best iteration's parameters (not
                    after a restore, until a new best) */
  double best_return, elapsed;
  side *job; /* the side the advantage job works on */
  /* a family whose goals repeat: its goals (MAML_TASK_MAX apart), for balanced draws and
   * the metrics split by goal */
  int n_goals;
  double goals[MAML_GOALS_MAX * MAML_TASK_MAX];
};

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- set-up ----------------------------------------------------------------------------- */

static void side_free(side *s, int n_tasks) {
  if (s->batches)
    for (int i = 0; i < n_tasks; i++) maml_task_batch_free(&s->batches[i]);
  free(s->batches), free(s->adv), free(s->views), free(s->summary);
  memset(s, 0, sizeof *s);
}

static int side_alloc(maml_trainer *t, side *s, int episodes) {
  int T = t->cfg.tasks, H = t->cfg.horizon;
  s->episodes = episodes;
  size_t rows = (size_t)episodes * H;
  size_t local = (size_t)(t->hi - t->lo);
  if (!(s->batches = calloc((size_t)T, sizeof *s->batches)) ||
      !(s->adv = calloc(local * rows, sizeof *s->adv)) ||
      !(s->views = calloc((size_t)T, sizeof *s->views)) ||
      !(s->summary = calloc((size_t)T, sizeof *s->summary)))
    return 0;
  for (int i = t->lo; i < t->hi; i++)
    if (maml_task_batch_alloc(&s->batches[i], episodes, H, t->world.obs_dim,
                              t->world.family->act_dim) != MAML_OK)
      return 0;
  return 1;
}

/* inner_support = fresh: a support side for each inner step after the first */
static int inner_sides_alloc(maml_trainer *t, int K) {
  if (t->cfg.inner_support != MAML_SUPPORT_FRESH || K < 2) return 1;
  if (!(t->inner = calloc((size_t)K - 1, sizeof *t->inner))) return 0;
  t->n_inner = K - 1;
  for (int k = 0; k < t->n_inner; k++)
    if (!side_alloc(t, &t->inner[k], t->cfg.episodes)) return 0;
  return 1;
}

void maml_trainer_destroy(maml_trainer *t) {
  if (!t) return;
  maml_learner_destroy(t->learner);
  maml_sampler_destroy(t->sampler);
  side_free(&t->support, t->cfg.tasks);
  side_free(&t->query, t->cfg.tasks);
  for (int k = 0; t->inner && k < t->n_inner; k++) side_free(&t->inner[k], t->cfg.tasks);
  free(t->inner);
  if (t->workers && t->pool)
    for (int w = 0; w < maml_pool_threads(t->pool); w++) {
      maml_baseline_free(&t->workers[w].baseline);
      free(t->workers[w].returns), free(t->workers[w].values);
    }
  free(t->workers);
  maml_pool_destroy(t->pool);
  if (t->world_open) maml_env_world_close(&t->world);
  free(t->tasks), free(t->thetas), free(t->theta), free(t->theta_best), free(t->step_scratch);
  free(t);
}

maml_status maml_trainer_create(maml_trainer **out, const maml_config *cfg, const char *assets,
                                maml_comm *comm, char *err, size_t err_sz) {
  *out = NULL;
  maml_trainer *t = calloc(1, sizeof *t);
  if (!t) return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory for the trainer");
  t->cfg = *cfg;
  t->comm = comm;
  maml_config *c = &t->cfg;
  maml_status st = maml_config_resolve(c, err, err_sz);
  if (st != MAML_OK) goto fail;
  maml_comm_split(comm, c->tasks, &t->lo, &t->hi);
  st = maml_config_use_model(c, assets, err, err_sz); /* the recorded model, or refused */
  if (st != MAML_OK) goto fail;
  st = maml_env_world_open(&t->world, c->env, c->mode == MAML_MODE_ORACLE ? (int)c->oracle_obs : 0,
                           c->assets[0] ? c->assets : NULL, err, err_sz);
  if (st != MAML_OK) goto fail;
  t->world_open = 1;
  t->n_goals = maml_env_goal_set(t->world.family, t->goals, MAML_GOALS_MAX);
  if (t->n_goals > MAML_GOALS_MAX) t->n_goals = 0; /* too many to split the metrics by */
  st = maml_policy_init(&t->policy, t->world.obs_dim, t->world.family->act_dim, c->n_hidden,
                        c->hidden, c->activation, c->init_std, err, err_sz);
  if (st != MAML_OK) goto fail;

  /* threads = 0: this machine's cores, shared among the ranks running on it */
  int threads = c->threads > 0 ? c->threads : maml_cpu_count() / maml_comm_local_size(comm);
  if (threads < 1) threads = 1;
  if (threads > t->hi - t->lo) threads = t->hi - t->lo > 0 ? t->hi - t->lo : 1;
  st = maml_pool_create(&t->pool, threads, err, err_sz);
  if (st != MAML_OK) goto fail;
  int max_episodes = c->episodes > c->query_episodes ? c->episodes : c->query_episodes;
  st = maml_sampler_create(&t->sampler, &t->world, &t->policy, t->pool, max_episodes, err, err_sz);
  if (st != MAML_OK) goto fail;

  int K = c->mode == MAML_MODE_MAML ? c->inner_steps : 0;
  maml_meta_params mp = {.inner_steps = K,
                         .alpha = c->alpha,
                         .learn_alpha = K > 0 ? c->learn_alpha : MAML_ALPHA_FIXED,
                         .first_order = c->first_order,
                         .inner_loss = c->inner_loss,
                         .max_kl = c->max_kl,
                         .cg_iters = c->cg_iters,
                         .cg_damping = c->cg_damping,
                         .ls_backtrack = c->ls_backtrack,
                         .ls_steps = c->ls_steps,
                         .outer = c->outer,
                         .promp_clip = c->promp_clip,
                         .promp_kl_coef = c->promp_kl_coef,
                         .promp_steps = c->promp_steps,
                         .promp_lr = c->promp_lr,
                         .comm = comm};
  st = maml_learner_create(&t->learner, &t->policy, t->pool, c->tasks, c->episodes * c->horizon,
                           c->query_episodes * c->horizon, &mp, err, err_sz);
  if (st != MAML_OK) goto fail;

  size_t n = maml_learner_n_params(t->learner), max_rows = (size_t)max_episodes * c->horizon;
  size_t m = n - t->policy.n_params;
  t->n_phi = n;
  int ok = side_alloc(t, &t->support, c->episodes) && side_alloc(t, &t->query, c->query_episodes) &&
           inner_sides_alloc(t, K) && (t->workers = calloc((size_t)threads, sizeof *t->workers)) &&
           (t->tasks = calloc((size_t)c->tasks * MAML_TASK_MAX, sizeof(double))) &&
           (t->thetas = calloc((size_t)c->tasks, sizeof *t->thetas)) &&
           (t->theta = calloc(n, sizeof(maml_real))) &&
           (t->theta_best = calloc(n, sizeof(maml_real))) &&
           (!m || (t->step_scratch = calloc(m, sizeof(double))));
  for (int w = 0; ok && w < threads; w++)
    ok = maml_baseline_alloc(&t->workers[w].baseline, t->world.obs_dim, (int)max_rows) == MAML_OK &&
         (t->workers[w].returns = calloc(max_rows, sizeof(maml_real))) &&
         (t->workers[w].values = calloc(max_rows, sizeof(maml_real)));
  if (!ok) {
    st = maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory for the training batches");
    goto fail;
  }

  maml_rng rng;
  maml_rng_init(&rng, c->seed, 0, MAML_PHASE_INIT, 0, 0);
  maml_policy_init_params(&t->policy, t->theta, &rng);
  maml_step_size_init(t->theta + t->policy.n_params, m, c->alpha);
  t->best_return = -INFINITY;
  t->best_iteration = -1;
  *out = t;
  return MAML_OK;
fail:
  maml_trainer_destroy(t);
  return st;
}

/* the checkpoint's step sizes into phi: as many as the run learns (none for a fixed alpha) */
static maml_status restore_step_sizes(maml_trainer *t, const maml_checkpoint *ck, char *err,
                                      size_t err_sz) {
  size_t n = t->policy.n_params, m = t->n_phi - n;
  if (ck->n_step_sizes != m)
    return maml_fail(err, err_sz, MAML_ERR_FORMAT,
                     "the checkpoint holds %zu learned step sizes, the run (learn_alpha %s) "
                     "learns %zu",
                     ck->n_step_sizes, maml_learn_alpha_name(t->cfg.learn_alpha), m);
  for (size_t i = 0; i < m; i++) {
    if (!isfinite(ck->step_sizes[i]))
      return maml_fail(err, err_sz, MAML_ERR_FORMAT, "checkpoint step size %zu is not finite", i);
    t->theta[n + i] = (maml_real)ck->step_sizes[i];
  }
  return MAML_OK;
}

maml_status maml_trainer_restore(maml_trainer *t, const maml_checkpoint *ck, char *err,
                                 size_t err_sz) {
  const maml_config *c = &t->cfg;
  if (strcmp(ck->env, c->env) != 0 || ck->oracle != (c->mode == MAML_MODE_ORACLE))
    return maml_fail(err, err_sz, MAML_ERR_FORMAT, "checkpoint is for %s%s, the run is for %s%s",
                     ck->env, ck->oracle ? " (oracle)" : "", c->env,
                     c->mode == MAML_MODE_ORACLE ? " (oracle)" : "");
  maml_status st = maml_checkpoint_check_policy(ck, &t->policy, err, err_sz);
  if (st != MAML_OK) return st;
  if (ck->iteration < 0 || ck->rejected < 0)
    return maml_fail(err, err_sz, MAML_ERR_FORMAT, "checkpoint has a negative iteration count");
  for (size_t j = 0; j < t->policy.n_params; j++) {
    if (!isfinite(ck->theta[j]))
      return maml_fail(err, err_sz, MAML_ERR_FORMAT, "checkpoint parameter %zu is not finite", j);
    t->theta[j] = (maml_real)ck->theta[j];
  }
  st = restore_step_sizes(t, ck, err, err_sz);
  if (st != MAML_OK) return st;
  /* a checkpoint without the optimiser's state (version 1, or a best.ckpt) starts it fresh */
  if (ck->opt_len > 0) {
    st = maml_learner_set_outer_state(t->learner, ck->opt_state, ck->opt_len, err, err_sz);
    if (st != MAML_OK) return st;
  }
  t->iteration = ck->iteration;
  t->best_return = ck->best_return;
  t->best_iteration = ck->best_iteration;
  t->rejected = ck->rejected;
  t->elapsed = ck->elapsed;
  t->best_held = 0; /* the best parameters so far are in the run's best checkpoint */
  return MAML_OK;
}

void maml_trainer_inject(maml_trainer *t, maml_fault fault) {
  maml_sampler_inject(t->sampler, fault, t->lo);
}

maml_status maml_trainer_share_state(maml_trainer *t, char *err, size_t err_sz) {
  if (maml_comm_size(t->comm) == 1) return MAML_OK;
  double counters[5] = {(double)t->iteration, t->best_return, (double)t->best_iteration,
                        (double)t->rejected, t->elapsed};
  maml_status st = maml_comm_broadcast(t->comm, counters, sizeof counters, err, err_sz);
  if (st == MAML_OK)
    st = maml_comm_broadcast(t->comm, t->theta, t->n_phi * sizeof(maml_real), err, err_sz);
  size_t opt_len = maml_learner_outer_state(t->learner, NULL);
  if (st == MAML_OK && opt_len > 0) { /* the optimiser's state too (after a restore) */
    double *state = malloc(opt_len * sizeof *state);
    if (!state) return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory for the state");
    maml_learner_outer_state(t->learner, state);
    st = maml_comm_broadcast(t->comm, state, opt_len * sizeof *state, err, err_sz);
    if (st == MAML_OK) st = maml_learner_set_outer_state(t->learner, state, opt_len, err, err_sz);
    free(state);
  }
  if (st != MAML_OK) return st;
  t->iteration = (int64_t)counters[0], t->best_return = counters[1];
  t->best_iteration = (int64_t)counters[2], t->rejected = (int64_t)counters[3];
  t->elapsed = counters[4];
  return MAML_OK;
}

/* ---- one meta-iteration ----------------------------------------------------------------- */

/* returns, baseline, GAE, standardisation for task i of t->job */
static void job_advantages(void *ctx, int job, int worker) {
  maml_trainer *t = ctx;
  int i = t->lo + job;
  side *s = t->job;
  adv_worker *w = &t->workers[worker];
  maml_task_batch *b = &s->batches[i];
  int E = b->episodes, H = b->horizon;
  size_t rows = (size_t)E * H;
  maml_real *adv = s->adv + (size_t)job * rows;
  maml_baseline_advantages(&w->baseline, b->obs, b->reward, b->mask, E, H, t->cfg.gamma,
                           t->cfg.gae_lambda, w->returns, w->values, adv);
  task_summary *sum = &s->summary[i];
  sum->mean_return = maml_mean_episode_return(b->reward, b->mask, E, H);
  sum->unstable = b->unstable;
  sum->steps = 0;
  for (int e = 0; e < E; e++) sum->steps += b->length[e];
  sum->finite = maml_reals_finite(b->obs, rows * b->obs_dim) &&
                maml_reals_finite(b->reward, rows) &&
                maml_reals_finite(b->act, rows * b->act_dim) && maml_reals_finite(adv, rows);
  /* the learner reads the steps that happened only */
  s->views[i] = maml_task_batch_pack(b, adv);
}

/* sample one side with t->thetas, then its advantages; returns the sampling seconds */
static maml_status run_side(maml_trainer *t, side *s, maml_phase phase, double *sample_s,
                            int *unstable, char *err, size_t err_sz) {
  double t0 = now_seconds();
  maml_status st =
      maml_sampler_run_range(t->sampler, t->lo, t->hi - t->lo, t->tasks, t->thetas, t->cfg.seed,
                             (uint32_t)t->iteration, phase, s->batches, err, err_sz);
  if (st != MAML_OK) return st;
  *sample_s += now_seconds() - t0;
  t->job = s;
  maml_pool_run(t->pool, t->hi - t->lo, job_advantages, t);
  st = maml_comm_gather_items(t->comm, s->summary, sizeof *s->summary, t->cfg.tasks, err, err_sz);
  if (st != MAML_OK) return st;
  s->finite = 1;
  s->steps = 0;
  double total = 0.0;
  for (int i = 0; i < t->cfg.tasks; i++) {
    s->steps += s->summary[i].steps;
    total += s->summary[i].mean_return;
    *unstable += s->summary[i].unstable;
    s->finite &= s->summary[i].finite;
  }
  s->mean_return = total / t->cfg.tasks;
  return MAML_OK;
}

/* The inner steps from theta: on the support batches at every step (reuse), or with
 * inner_support = fresh, step k >= 1 on episodes sampled with each task's theta^k (phase
 * MAML_PHASE_INNER_SUPPORT + k - 1), counted in sample_s and m (unstable, env_steps);
 * *finite = 0 when one of those batches held a non-finite number. */
static maml_status adapt_tasks(maml_trainer *t, maml_iter_metrics *m, double *sample_s, int *finite,
                               char *err, size_t err_sz) {
  if (!t->n_inner) return maml_learner_adapt(t->learner, t->theta, t->support.views, err, err_sz);
  maml_status st = maml_learner_adapt_begin(t->learner, t->theta, t->support.views, err, err_sz);
  for (int k = 1; st == MAML_OK && k <= t->n_inner; k++) {
    side *s = &t->inner[k - 1];
    for (int i = t->lo; i < t->hi; i++) t->thetas[i] = maml_learner_adapted(t->learner, i);
    st = run_side(t, s, (maml_phase)(MAML_PHASE_INNER_SUPPORT + k - 1), sample_s, &m->unstable, err,
                  err_sz);
    if (st != MAML_OK) return st;
    *finite &= s->finite;
    m->env_steps += s->steps;
    st = maml_learner_adapt_next(t->learner, s->views, err, err_sz);
  }
  return st;
}

/* the meta-batch's tasks: each drawn from its own stream, or (balanced_tasks) task i the
 * goal i mod their count; every task sampled with theta */
static void draw_tasks(maml_trainer *t) {
  const maml_config *c = &t->cfg;
  int dim = t->world.family->task_dim;
  for (int i = 0; i < c->tasks; i++) {
    double *task = t->tasks + (size_t)i * MAML_TASK_MAX;
    if (c->balanced_tasks && t->n_goals > 0) {
      memset(task, 0, MAML_TASK_MAX * sizeof *task);
      memcpy(task, t->goals + (size_t)(i % t->n_goals) * MAML_TASK_MAX, (size_t)dim * sizeof *task);
    } else {
      maml_rng rng;
      maml_rng_init(&rng, c->seed, (uint32_t)t->iteration, MAML_PHASE_TASKS, (uint32_t)i, 0);
      t->world.family->sample_task(&rng, task);
    }
    t->thetas[i] = t->theta;
  }
}

/* the goal of task i among t->goals, or -1 */
static int goal_of(const maml_trainer *t, int i) {
  int dim = t->world.family->task_dim;
  const double *task = t->tasks + (size_t)i * MAML_TASK_MAX;
  for (int g = 0; g < t->n_goals; g++)
    if (!memcmp(task, t->goals + (size_t)g * MAML_TASK_MAX, (size_t)dim * sizeof *task)) return g;
  return -1;
}

/* each goal's tasks and their mean returns before (pre: the support side, or the query
 * side without an inner step) and after adaptation */
static void split_by_goal(const maml_trainer *t, const side *pre, maml_iter_metrics *m) {
  double sum_pre[MAML_GOALS_MAX] = {0}, sum_post[MAML_GOALS_MAX] = {0};
  m->goals = t->n_goals;
  for (int g = 0; g < t->n_goals; g++) {
    m->goal_tasks[g] = 0;
    maml_env_format_task(t->world.family, t->goals + (size_t)g * MAML_TASK_MAX, m->goal[g],
                         sizeof m->goal[g]);
  }
  for (int i = 0; i < t->cfg.tasks; i++) {
    int g = goal_of(t, i);
    if (g < 0) continue;
    m->goal_tasks[g]++;
    sum_pre[g] += pre->summary[i].mean_return;
    sum_post[g] += t->query.summary[i].mean_return;
  }
  for (int g = 0; g < t->n_goals; g++) {
    m->goal_pre[g] = m->goal_tasks[g] ? sum_pre[g] / m->goal_tasks[g] : NAN;
    m->goal_post[g] = m->goal_tasks[g] ? sum_post[g] / m->goal_tasks[g] : NAN;
  }
}

/* the learned step sizes' spread at theta (none with the fixed alpha) */
static void step_size_summary(const maml_trainer *t, maml_iter_metrics *m) {
  size_t n = t->policy.n_params;
  m->step_sizes = t->n_phi - n;
  if (m->step_sizes > 0)
    maml_step_size_summary(t->theta + n, m->step_sizes, t->step_scratch, &m->step_size_min,
                           &m->step_size_median, &m->step_size_max);
}

maml_status maml_trainer_iterate(maml_trainer *t, maml_iter_metrics *m, char *err, size_t err_sz) {
  const maml_config *c = &t->cfg;
  memset(m, 0, sizeof *m);
  m->iteration = t->iteration;
  double t0 = now_seconds(), sample_s = 0.0;
  int adapting = c->mode == MAML_MODE_MAML;

  draw_tasks(t);
  maml_status st;
  int inner_finite = 1;
  if (adapting) {
    st = run_side(t, &t->support, MAML_PHASE_SUPPORT, &sample_s, &m->unstable, err, err_sz);
    if (st != MAML_OK) return st;
    m->env_steps += t->support.steps;
    /* the support batches sampled with theta feed the inner steps */
    st = adapt_tasks(t, m, &sample_s, &inner_finite, err, err_sz);
    if (st != MAML_OK) return st;
    for (int i = t->lo; i < t->hi; i++) t->thetas[i] = maml_learner_adapted(t->learner, i);
  } else {
    st = maml_learner_adapt(t->learner, t->theta, NULL, err, err_sz);
    if (st != MAML_OK) return st;
  }
  st = run_side(t, &t->query, MAML_PHASE_QUERY, &sample_s, &m->unstable, err, err_sz);
  if (st != MAML_OK) return st;
  m->env_steps += t->query.steps;
  m->post_return = t->query.mean_return;
  m->pre_return = adapting ? t->support.mean_return : t->query.mean_return;
  split_by_goal(t, adapting ? &t->support : &t->query, m);
  m->entropy = maml_policy_entropy(&t->policy, t->theta);

  int finite = t->query.finite && (!adapting || t->support.finite) && isfinite(m->post_return) &&
               isfinite(m->pre_return) && inner_finite;
  if (finite && m->post_return > t->best_return) {
    t->best_return = m->post_return;
    t->best_iteration = t->iteration;
    memcpy(t->theta_best, t->theta, t->n_phi * sizeof(maml_real));
    t->best_held = 1;
    m->new_best = 1;
  }
  if (finite) {
    double surr;
    st = maml_learner_prepare(t->learner, t->query.views, &surr, err, err_sz);
    if (st != MAML_OK) return st;
    st = maml_learner_step(t->learner, t->theta, &m->step, err, err_sz);
    if (st != MAML_OK) return st;
    if (m->step.outcome == MAML_STEP_NONFINITE) finite = 0;
  } else {
    m->step.outcome = MAML_STEP_NONFINITE;
  }
  if (!finite) t->rejected++;
  step_size_summary(t, m);
  m->rejected = !finite;
  m->rejected_total = t->rejected;
  t->iteration++;
  m->seconds = now_seconds() - t0;
  m->sample_seconds = sample_s;
  m->learn_seconds = m->seconds - sample_s;
  t->elapsed += m->seconds;
  return MAML_OK;
}

void maml_trainer_batches(const maml_trainer *t, const maml_batch **support,
                          const maml_batch **query) {
  *support = t->cfg.mode == MAML_MODE_MAML ? t->support.views : NULL;
  *query = t->query.views;
}

/* ---- state ------------------------------------------------------------------------------ */

maml_status maml_trainer_checkpoint(const maml_trainer *t, int best, maml_checkpoint *ck, char *err,
                                    size_t err_sz) {
  memset(ck, 0, sizeof *ck);
  if (best && !t->best_held)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "no best iteration since the start or restore");
  const maml_policy *p = &t->policy;
  snprintf(ck->env, sizeof ck->env, "%s", t->cfg.env);
  ck->oracle = t->cfg.mode == MAML_MODE_ORACLE;
  ck->obs_dim = p->obs_dim, ck->act_dim = p->act_dim, ck->n_hidden = p->n_hidden;
  memcpy(ck->hidden, p->hidden, sizeof ck->hidden);
  ck->activation = (int)p->activation;
  ck->seed = t->cfg.seed;
  ck->iteration = best ? t->best_iteration : t->iteration;
  ck->best_return = t->best_return;
  ck->best_iteration = t->best_iteration;
  ck->rejected = t->rejected;
  ck->elapsed = t->elapsed;
  int len = maml_config_format(&t->cfg, NULL, 0);
  ck->n_params = p->n_params;
  ck->config_text = malloc((size_t)len + 1);
  ck->theta = malloc(p->n_params * sizeof(double));
  if (len < 0 || !ck->config_text || !ck->theta) {
    maml_checkpoint_free(ck);
    return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory for a checkpoint");
  }
  maml_config_format(&t->cfg, ck->config_text, (size_t)len + 1);
  ck->config_len = (size_t)len;
  const maml_real *src = best ? t->theta_best : t->theta;
  for (size_t j = 0; j < p->n_params; j++) ck->theta[j] = src[j];
  size_t m = t->n_phi - p->n_params;
  if (m > 0) { /* the learned step sizes go with every checkpoint's parameters */
    if (!(ck->step_sizes = malloc(m * sizeof(double)))) {
      maml_checkpoint_free(ck);
      return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory for a checkpoint");
    }
    for (size_t i = 0; i < m; i++) ck->step_sizes[i] = src[p->n_params + i];
    ck->n_step_sizes = m;
  }
  /* the outer optimiser's state goes with the run's latest parameters only */
  size_t opt_len = best ? 0 : maml_learner_outer_state(t->learner, NULL);
  if (opt_len > 0) {
    if (!(ck->opt_state = malloc(opt_len * sizeof(double)))) {
      maml_checkpoint_free(ck);
      return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory for a checkpoint");
    }
    ck->opt_len = maml_learner_outer_state(t->learner, ck->opt_state);
  }
  return MAML_OK;
}

const maml_config *maml_trainer_config(const maml_trainer *t) {
  return &t->cfg;
}
const maml_policy *maml_trainer_policy(const maml_trainer *t) {
  return &t->policy;
}
const maml_real *maml_trainer_theta(const maml_trainer *t) {
  return t->theta;
}
int64_t maml_trainer_iteration(const maml_trainer *t) {
  return t->iteration;
}
int maml_trainer_threads(const maml_trainer *t) {
  return maml_pool_threads(t->pool);
}
double maml_trainer_elapsed(const maml_trainer *t) {
  return t->elapsed;
}
double maml_trainer_best(const maml_trainer *t, int64_t *iteration) {
  if (iteration) *iteration = t->best_iteration;
  return t->best_return;
}
