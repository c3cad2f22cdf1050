/* What the viewer shows: the goal, its adaptation (on a worker thread), the episode on
 * screen. No OpenGL here. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "src/view/view_internal.h"

static void free_buffers(view_show *s) {
  free(s->thetas), free(s->job_thetas), free(s->returns), free(s->job_returns);
  free(s->obs), free(s->act), free(s->trail);
  maml_policy_cache_free(&s->cache);
  maml_env_free(&s->env);
}

maml_status view_show_init(view_show *s, const maml_env_world *world, const maml_policy *p,
                           const maml_real *theta0, const maml_view_params *vp, maml_pool *pool,
                           char *err, size_t err_sz) {
  memset(s, 0, sizeof *s);
  s->world = world, s->p = p, s->theta0 = theta0, s->ep = vp->ep, s->pool = pool;
  s->oracle = vp->oracle, s->mean_actions = vp->mean_actions;
  s->blocking = vp->record != NULL;
  const int skip = world->family->robot->frame_skip > 1 ? world->family->robot->frame_skip : 1;
  s->dt = world->model ? skip * world->model->opt.timestep : world->family->robot->view.shown_dt;
  atomic_init(&s->finished, 0);
  atomic_init(&s->progress, 0);
  size_t slots = MAML_VIEW_MAX_STEPS + 1, n = p->n_params;
  s->thetas = malloc(slots * n * sizeof(maml_real));
  s->job_thetas = malloc(slots * n * sizeof(maml_real));
  s->returns = malloc(slots * sizeof(double));
  s->job_returns = malloc(slots * sizeof(double));
  s->obs = malloc((size_t)world->obs_dim * sizeof(maml_real));
  s->act = malloc((size_t)world->family->act_dim * sizeof(maml_real));
  s->trail = malloc((size_t)(s->ep.horizon + 1) * sizeof *s->trail);
  if (!s->thetas || !s->job_thetas || !s->returns || !s->job_returns || !s->obs || !s->act ||
      !s->trail || maml_policy_cache_alloc(&s->cache, p, 1) != MAML_OK) {
    free_buffers(s);
    return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory for the viewer");
  }
  maml_status st = maml_env_init(&s->env, world, err, err_sz);
  if (st != MAML_OK) free_buffers(s);
  return st;
}

void view_show_free(view_show *s) {
  if (!s) return;
  view_show_wait(s);
  free_buffers(s);
}

static void on_progress(void *ctx, int step, double mean_return) {
  (void)mean_return;
  view_show *s = ctx;
  atomic_store(&s->progress, step + 1);
}

static void *adapt_main(void *arg) {
  view_show *s = arg;
  maml_eval_params ep = s->ep;
  ep.steps = s->job_steps;
  ep.progress = on_progress, ep.progress_ctx = s;
  s->job_status = maml_eval_adapt(s->world, s->p, s->theta0, s->job_goal, &ep, s->pool,
                                  s->job_thetas, s->job_returns, s->job_err, sizeof s->job_err);
  atomic_store(&s->finished, 1);
  return NULL;
}

/* collect the job when it has finished (block: wait for it) */
static void collect(view_show *s, int block) {
  if (!s->running || (!block && !atomic_load(&s->finished))) return;
  pthread_join(s->thread, NULL);
  s->running = 0;
  if (s->job_generation != s->generation) return; /* an earlier goal's */
  if (s->job_status != MAML_OK) {
    s->error = s->job_status;
    memcpy(s->err, s->job_err, sizeof s->err);
    return;
  }
  size_t n = s->p->n_params;
  memcpy(s->thetas, s->job_thetas, (size_t)(s->job_steps + 1) * n * sizeof(maml_real));
  memcpy(s->returns, s->job_returns, (size_t)(s->job_steps + 1) * sizeof(double));
  s->avail = s->job_steps;
  s->n_returns = s->job_steps + 1;
}

static void start_job(view_show *s) {
  if (s->running || s->error != MAML_OK || s->target <= s->avail) return;
  /* the whole protocol again up to target: same streams, so the earlier steps repeat */
  s->job_steps = s->target;
  s->job_generation = s->generation;
  memcpy(s->job_goal, s->goal, sizeof s->goal);
  atomic_store(&s->finished, 0);
  atomic_store(&s->progress, 0);
  if (pthread_create(&s->thread, NULL, adapt_main, s) != 0) {
    s->error = MAML_ERR_NOMEM;
    snprintf(s->err, sizeof s->err, "cannot start the adaptation thread");
    return;
  }
  s->running = 1;
}

void view_show_wait(view_show *s) {
  collect(s, 1);
}

double view_show_rate(const view_show *s) {
  return 1.0 / s->dt;
}

/* the point the trail follows: the body's centre of mass, or the point robot's position */
static void position(const view_show *s, double *xy) {
  xy[0] = s->env.info.x, xy[1] = s->env.info.y;
}

void view_show_restart(view_show *s) {
  maml_rng_init(&s->rng, s->ep.seed, (uint32_t)s->goal_index, MAML_PHASE_VIEW, (uint32_t)s->k,
                (uint32_t)s->episode);
  s->episode++;
  maml_env_reset(&s->env, s->goal, &s->rng, s->obs);
  s->t = 0;
  s->ret = 0;
  s->over = 0;
  position(s, s->trail[0]);
  s->x0 = s->trail[0][0];
  s->n_trail = 1;
}

void view_show_set_goal(view_show *s, const double *goal, int index) {
  s->generation++;
  s->goal_index = index;
  s->goal_given = goal != NULL;
  if (goal)
    memcpy(s->goal, goal, sizeof s->goal);
  else
    maml_eval_goals_at(s->world->family, s->ep.seed, index, s->goal);
  memcpy(s->thetas, s->theta0, s->p->n_params * sizeof(maml_real));
  s->avail = 0;
  s->n_returns = 0;
  s->error = MAML_OK;
  s->err[0] = '\0';
  s->target = s->oracle ? 0 : s->ep.steps;
  s->k = s->want_k = 0;
  s->switch_now = 0;
  s->auto_post = s->target > 0;
  s->episode = 0;
  s->last_ret = NAN;
  s->last_k = 0;
  view_show_restart(s);
  start_job(s);
}

void view_show_request(view_show *s, int k) {
  if (k < 0 || k > MAML_VIEW_MAX_STEPS || (s->oracle && k > 0)) return;
  s->want_k = k;
  if (k > s->target) s->target = k;
  s->switch_now = 1;
  s->auto_post = 0;
  start_job(s);
}

void view_show_poll(view_show *s) {
  collect(s, 0);
  start_job(s);
  if (s->switch_now && s->want_k <= s->avail) {
    s->switch_now = 0;
    if (s->want_k != s->k) {
      s->k = s->want_k;
      view_show_restart(s);
    }
  }
}

int view_show_step(view_show *s) {
  if (s->over) return 1;
  const maml_policy *p = s->p;
  const maml_real *theta = s->thetas + (size_t)s->k * p->n_params;
  maml_policy_forward(p, theta, s->obs, 1, &s->cache);
  if (s->mean_actions)
    memcpy(s->act, s->cache.mu, (size_t)p->act_dim * sizeof(maml_real));
  else
    maml_policy_sample(p, theta, s->cache.mu, 1, &s->rng, s->act, NULL);
  double reward;
  int done;
  maml_env_step(&s->env, s->act, s->obs, &reward, &done);
  s->t++;
  s->ret += reward;
  if (s->n_trail <= s->ep.horizon) position(s, s->trail[s->n_trail++]);
  if (!done && s->t < s->ep.horizon) return 0;

  s->last_ret = s->ret, s->last_k = s->k;
  s->ended++;
  s->over = 1;
  return 1;
}

void view_show_next(view_show *s) {
  if (s->auto_post) { /* the goal's first episode is over: on to the adapted policy */
    s->auto_post = 0;
    s->want_k = s->target;
    s->switch_now = 1;
  }
  if (s->want_k != s->k) {
    while (s->blocking && s->want_k > s->avail && s->error == MAML_OK) {
      start_job(s);
      if (!s->running) break;
      collect(s, 1);
    }
    if (s->want_k <= s->avail) s->k = s->want_k, s->switch_now = 0;
  }
  view_show_restart(s);
}
