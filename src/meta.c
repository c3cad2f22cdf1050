#include "maml/meta.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "maml/comm.h"
#include "maml/step_size.h"

/* A task's scalars of the last job; gathered across ranks with its vector. */
typedef struct {
  double value, kl;
  double clipped, rows; /* query rows clipped away, valid query rows (clipped objective) */
  double flops;
} task_scalars;

/* One task's state across adapt, prepare and step. Only the tasks of this rank's block
 * [lo, hi) hold batches and caches; every task has its slot in outs and scalars. */
typedef struct {
  maml_batch s, q;        /* the borrowed support and query batches */
  maml_real *logp0;       /* (support rows) log pi_theta0(a|s) on S, theta0 the theta of
                             adapt (read by LVC as s.logp_old) */
  maml_real *mu0;         /* (support rows, act_dim) mu on S at theta0 (ProMP's KL) */
  maml_real *theta_k;     /* (K, n_params) theta^1 .. theta^K */
  maml_batch *sk;         /* (K) S_i^k of step k >= 1 given by adapt_next (obs NULL: s) */
  maml_real *logp0k;      /* (K, support rows) row k: log pi_theta^k(a|s) on S_i^k at
                             theta_old, held fixed like logp0 (LVC) */
  maml_policy_cache *cs;  /* (K) forward passes on S_i^k at theta^0 .. theta^{K-1} */
  maml_policy_cache cq;   /* forward pass on Q at theta'_i */
  maml_real *logp_old;    /* (query rows) log pi_old(a|s) on Q */
  maml_real *mu_old;      /* (query rows, act_dim) */
  maml_real *adapted_old; /* (n_params) theta'_i at theta_old */
  maml_real *g_k;         /* (K, n_params) the inner gradients g_0 .. g_{K-1} (learned step
                             sizes only) */
  maml_real *out;         /* (np) this task's product result, in l->outs */
  task_scalars *sc;       /* in l->scalars */
} task_state;

/* Per-worker scratch. */
typedef struct {
  maml_policy_work work;
  maml_real *a, *b; /* (n_params) */
  maml_real *c;     /* (n_params) a (.) u (learned step sizes only) */
  double *ga;       /* (step sizes) the step sizes' gradient (learned step sizes only) */
} worker_state;

struct maml_learner {
  const maml_policy *p;
  maml_pool *pool;
  maml_meta_params mp;
  const maml_inner_objective *inner; /* the inner loss: its gradient and Hessian product */
  const maml_outer_optimizer *outer; /* the outer step */
  void *outer_state;
  int n_tasks, support_rows, query_rows;
  int lo, hi;   /* this rank's tasks */
  size_t n;     /* the policy's parameters */
  size_t m;     /* learned step sizes (0: the fixed alpha), after theta in phi */
  size_t np;    /* n + m: the meta-parameters phi that every theta argument holds */
  int *a_index; /* (n) the step size of each parameter (m > 0) */
  task_state *tasks;
  maml_real *outs;       /* (n_tasks, np) per-task product results */
  task_scalars *scalars; /* (n_tasks) */
  worker_state *workers;
  int n_workers;
  maml_real *theta_old;       /* (np) the phi of the last adapt */
  maml_real *v;               /* (np) the vector of the current curvature job */
  const maml_real *theta_cur; /* phi (theta^0 and the step sizes) of the current job */
  double *grad;               /* (np) meta-gradient */
  double clip, kl_coef;       /* of the current clipped-objective job */
  int steps_done, steps_to;   /* inner steps taken by the last adapt; the job's end */
  int prepared, queried;      /* prepare done (for step; for the clipped objective) */
};

/* ---- set-up ----------------------------------------------------------------------------- */

static void *alloc_reals(size_t count) {
  return calloc(count ? count : 1, sizeof(maml_real));
}

void maml_learner_destroy(maml_learner *l) {
  if (!l) return;
  int K = l->mp.inner_steps;
  if (l->tasks)
    for (int i = 0; i < l->n_tasks; i++) {
      task_state *t = &l->tasks[i];
      if (t->cs)
        for (int k = 0; k < K; k++) maml_policy_cache_free(&t->cs[k]);
      maml_policy_cache_free(&t->cq);
      free(t->cs), free(t->theta_k), free(t->logp0), free(t->mu0), free(t->logp_old);
      free(t->sk), free(t->logp0k);
      free(t->mu_old);
      free(t->adapted_old), free(t->g_k);
    }
  if (l->workers)
    for (int w = 0; w < l->n_workers; w++) {
      maml_policy_work_free(&l->workers[w].work);
      free(l->workers[w].a), free(l->workers[w].b);
      free(l->workers[w].c), free(l->workers[w].ga);
    }
  if (l->outer && l->outer->destroy) l->outer->destroy(l->outer_state);
  free(l->tasks), free(l->workers), free(l->outs), free(l->scalars);
  free(l->theta_old), free(l->v), free(l->grad), free(l->a_index);
  free(l);
}

static maml_status check_outer(const maml_meta_params *mp, char *err, size_t err_sz) {
  const maml_outer_optimizer *o = mp->outer_optimizer;
  if (o && (!o->create || !o->step))
    return maml_fail(err, err_sz, MAML_ERR_ARG, "outer optimiser '%s' lacks its create or step",
                     o->name ? o->name : "(unnamed)");
  if (!o && !maml_outer_optimizer_get(mp->outer))
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "outer %d is not an outer optimiser (allowed: %d trpo, %d promp)",
                     (int)mp->outer, MAML_OUTER_TRPO, MAML_OUTER_PROMP);
  if (o || mp->outer != MAML_OUTER_PROMP) return MAML_OK;
  if (!(mp->promp_clip > 0) || !isfinite(mp->promp_clip))
    return maml_fail(err, err_sz, MAML_ERR_ARG, "promp_clip must be a finite number > 0 (got %g)",
                     mp->promp_clip);
  if (!(mp->promp_kl_coef >= 0) || !isfinite(mp->promp_kl_coef))
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "promp_kl_coef must be a finite number >= 0 (got %g)", mp->promp_kl_coef);
  if (mp->promp_steps < 1)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "promp_steps must be >= 1 (got %d)",
                     mp->promp_steps);
  if (!(mp->promp_lr > 0) || !isfinite(mp->promp_lr))
    return maml_fail(err, err_sz, MAML_ERR_ARG, "promp_lr must be a finite number > 0 (got %g)",
                     mp->promp_lr);
  return MAML_OK;
}

static maml_status check_params(const maml_meta_params *mp, char *err, size_t err_sz) {
  if (mp->inner && (!mp->inner->grad || !mp->inner->hvp))
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "inner objective '%s' lacks its gradient or Hessian-vector product",
                     mp->inner->name ? mp->inner->name : "(unnamed)");
  if (!mp->inner && !maml_inner_objective_get(mp->inner_loss))
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "inner_loss %d is not an inner loss (allowed: %d reinforce, %d lvc)",
                     (int)mp->inner_loss, MAML_INNER_REINFORCE, MAML_INNER_LVC);
  if (!maml_learn_alpha_name(mp->learn_alpha))
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "learn_alpha %d is not a step-size mode (allowed: %d no, %d param, %d layer)",
                     (int)mp->learn_alpha, MAML_ALPHA_FIXED, MAML_ALPHA_PARAM, MAML_ALPHA_LAYER);
  if (mp->learn_alpha != MAML_ALPHA_FIXED && mp->inner_steps < 1)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "learned step sizes (learn_alpha %s) need inner_steps >= 1 (got %d)",
                     maml_learn_alpha_name(mp->learn_alpha), mp->inner_steps);
  if (mp->inner_steps < 0)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "inner_steps must be >= 0 (got %d)",
                     mp->inner_steps);
  if (!(mp->alpha > 0) || !isfinite(mp->alpha))
    return maml_fail(err, err_sz, MAML_ERR_ARG, "alpha must be a finite number > 0 (got %g)",
                     mp->alpha);
  if (!(mp->max_kl > 0) || !isfinite(mp->max_kl))
    return maml_fail(err, err_sz, MAML_ERR_ARG, "max_kl must be a finite number > 0 (got %g)",
                     mp->max_kl);
  if (mp->cg_iters < 1)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "cg_iters must be >= 1 (got %d)", mp->cg_iters);
  if (!(mp->cg_damping >= 0) || !isfinite(mp->cg_damping))
    return maml_fail(err, err_sz, MAML_ERR_ARG, "cg_damping must be >= 0 (got %g)", mp->cg_damping);
  if (!(mp->ls_backtrack > 0 && mp->ls_backtrack < 1))
    return maml_fail(err, err_sz, MAML_ERR_ARG, "ls_backtrack must be in (0, 1) (got %g)",
                     mp->ls_backtrack);
  if (mp->ls_steps < 1)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "ls_steps must be >= 1 (got %d)", mp->ls_steps);
  return check_outer(mp, err, err_sz);
}

maml_status maml_learner_create(maml_learner **out, const maml_policy *p, maml_pool *pool,
                                int n_tasks, int support_rows, int query_rows,
                                const maml_meta_params *mp, char *err, size_t err_sz) {
  *out = NULL;
  maml_status st = check_params(mp, err, err_sz);
  if (st != MAML_OK) return st;
  if (n_tasks < 1 || query_rows < 1 || (mp->inner_steps > 0 && support_rows < 1))
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "learner sizes must be positive (tasks %d, support rows %d, query rows %d)",
                     n_tasks, support_rows, query_rows);
  maml_learner *l = calloc(1, sizeof *l);
  if (!l) return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory for the learner");
  l->p = p, l->pool = pool, l->mp = *mp;
  l->inner = mp->inner ? mp->inner : maml_inner_objective_get(mp->inner_loss);
  l->outer = mp->outer_optimizer ? mp->outer_optimizer : maml_outer_optimizer_get(mp->outer);
  l->n_tasks = n_tasks, l->support_rows = support_rows, l->query_rows = query_rows;
  l->n = p->n_params;
  l->m = maml_step_size_count(p, mp->learn_alpha);
  l->np = l->n + l->m;
  l->n_workers = maml_pool_threads(pool);
  maml_comm_split(mp->comm, n_tasks, &l->lo, &l->hi);
  int K = mp->inner_steps, rows = support_rows > query_rows ? support_rows : query_rows;
  size_t n = l->n, np = l->np, m = l->m;

  if ((double)n_tasks * (double)np * sizeof(maml_real) > 2147483647.0) {
    maml_learner_destroy(l);
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%d tasks x %zu parameters is too large a meta-batch to exchange", n_tasks,
                     np);
  }
  int ok = (l->tasks = calloc((size_t)n_tasks, sizeof *l->tasks)) &&
           (l->outs = alloc_reals((size_t)n_tasks * np)) &&
           (l->scalars = calloc((size_t)n_tasks, sizeof *l->scalars)) &&
           (l->workers = calloc((size_t)l->n_workers, sizeof *l->workers)) &&
           (l->theta_old = alloc_reals(np)) && (l->v = alloc_reals(np)) &&
           (l->grad = calloc(np, sizeof(double))) &&
           (!m || (l->a_index = calloc(n ? n : 1, sizeof *l->a_index)));
  if (ok && m) maml_step_size_index(p, mp->learn_alpha, l->a_index);
  for (int i = 0; ok && i < n_tasks; i++) {
    l->tasks[i].out = l->outs + (size_t)i * np;
    l->tasks[i].sc = &l->scalars[i];
  }
  for (int i = l->lo; ok && i < l->hi; i++) {
    task_state *t = &l->tasks[i];
    ok = (t->theta_k = alloc_reals((size_t)K * n)) &&
         (t->cs = calloc(K ? (size_t)K : 1, sizeof *t->cs)) &&
         (t->logp0 = alloc_reals(K ? (size_t)support_rows : 1)) &&
         (t->mu0 = alloc_reals(K ? (size_t)support_rows * p->act_dim : 1)) &&
         (t->logp_old = alloc_reals((size_t)query_rows)) &&
         (t->mu_old = alloc_reals((size_t)query_rows * p->act_dim)) &&
         (t->adapted_old = alloc_reals(n)) && (!m || (t->g_k = alloc_reals((size_t)K * n))) &&
         (t->sk = calloc(K ? (size_t)K : 1, sizeof *t->sk)) &&
         (t->logp0k = alloc_reals((size_t)K * (size_t)support_rows)) &&
         maml_policy_cache_alloc(&t->cq, p, query_rows) == MAML_OK;
    for (int k = 0; ok && k < K; k++)
      ok = maml_policy_cache_alloc(&t->cs[k], p, support_rows) == MAML_OK;
  }
  for (int w = 0; ok && w < l->n_workers; w++)
    ok = (l->workers[w].a = alloc_reals(n)) && (l->workers[w].b = alloc_reals(n)) &&
         (!m ||
          ((l->workers[w].c = alloc_reals(n)) && (l->workers[w].ga = calloc(m, sizeof(double))))) &&
         maml_policy_work_alloc(&l->workers[w].work, p, rows) == MAML_OK;
  if (!ok) {
    maml_learner_destroy(l);
    return maml_fail(err, err_sz, MAML_ERR_NOMEM,
                     "out of memory for the learner (%d tasks x %d + %d rows, %zu parameters)",
                     n_tasks, support_rows, query_rows, n);
  }
  st = l->outer->create(&l->outer_state, l, mp, err, err_sz);
  if (st != MAML_OK) {
    l->outer = NULL; /* nothing of its own to destroy */
    maml_learner_destroy(l);
    return st;
  }
  *out = l;
  return MAML_OK;
}

/* ---- per-task pieces -------------------------------------------------------------------- */

static const maml_real *theta_at(const maml_learner *l, const task_state *t, int k) {
  return k == 0 ? l->theta_cur : t->theta_k + (size_t)(k - 1) * l->n;
}

static const maml_real *adapted(const maml_learner *l, const task_state *t) {
  return theta_at(l, t, l->mp.inner_steps);
}

/* next = cur - a (.) g with the step sizes a of phi = l->theta_cur */
static void learned_step(const maml_learner *l, const maml_real *cur, const maml_real *g,
                         maml_real *next) {
  const maml_real *a = l->theta_cur + l->n;
  for (size_t j = 0; j < l->n; j++) next[j] = (maml_real)(cur[j] - (double)a[l->a_index[j]] * g[j]);
}

/* ---- the support batch of each inner step ------------------------------------------------ */

/* S_i^k: the batch adapt_next gave step k, else S_i (reuse: every step, and step 0) */
static maml_batch *step_batch(task_state *t, int k) {
  return k > 0 && t->sk[k].obs ? &t->sk[k] : &t->s;
}

/* At sampling (adapt, not an objective evaluation), what the step's ratio holds fixed:
 * step 0 keeps mu on S at theta^0 (ProMP's KL) and log pi_theta^0 on S; a step k >= 1 with
 * a batch of its own keeps log pi_theta^k on S_i^k, the policy that sampled it (a step on
 * S_i keeps theta^0's, as reuse does). cs[k] holds the forward pass at cur = theta^k. */
static void keep_sampling_policy(maml_learner *l, task_state *t, int k, const maml_real *cur) {
  const maml_policy *p = l->p;
  maml_batch *b = step_batch(t, k);
  maml_real *logp = t->logp0;
  if (k == 0)
    memcpy(t->mu0, t->cs[0].mu, (size_t)t->s.n * p->act_dim * sizeof(maml_real));
  else if (b == &t->s)
    return;
  else
    logp = t->logp0k + (size_t)k * l->support_rows;
  if (!l->inner->reads_logp0) return;
  maml_policy_log_prob(p, cur, t->cs[k].mu, b->act, b->n, logp);
  b->logp_old = logp;
}

/* theta^{from+1}..theta^to from theta^from (theta^0 = l->theta_cur), each step k on its
 * batch S_i^k, keeping each forward pass and inner-loss gradient in cs[k] for the Hessian
 * products. sampled: theta^k is the theta that sampled S_i^k (adapt, not an objective
 * evaluation), whose log pi an objective reading logp0 keeps. */
static void adapt_steps(maml_learner *l, task_state *t, worker_state *w, int sampled, int from,
                        int to) {
  const maml_policy *p = l->p;
  for (int k = from; k < to; k++) {
    const maml_real *cur = theta_at(l, t, k);
    maml_real *next = t->theta_k + (size_t)k * l->n;
    const maml_batch *b = step_batch(t, k);
    maml_policy_forward(p, cur, b->obs, b->n, &t->cs[k]);
    if (sampled) keep_sampling_policy(l, t, k, cur);
    maml_real *g = l->m ? t->g_k + (size_t)k * l->n : w->a;
    l->inner->grad(p, cur, b, &t->cs[k], g);
    if (l->m)
      learned_step(l, cur, g, next);
    else
      for (size_t j = 0; j < l->n; j++) next[j] = (maml_real)(cur[j] - l->mp.alpha * g[j]);
    t->sc->flops += maml_policy_product_flops(p, b->n, MAML_PRODUCT_FORWARD) +
                    maml_policy_product_flops(p, b->n, MAML_PRODUCT_GRAD);
  }
}

/* all K steps (an objective evaluation, or adapt) */
static void adapt_task(maml_learner *l, task_state *t, worker_state *w, int sampled) {
  adapt_steps(l, t, w, sampled, 0, l->mp.inner_steps);
}

/* x <- (I - alpha H_k) x for one inner step k; w->b is scratch. */
static void inner_jacobian_step(maml_learner *l, task_state *t, worker_state *w, int k,
                                maml_real *x) {
  const maml_batch *b = step_batch(t, k);
  l->inner->hvp(l->p, theta_at(l, t, k), b, &t->cs[k], &w->work, x, w->b);
  for (size_t j = 0; j < l->n; j++) x[j] = (maml_real)(x[j] - l->mp.alpha * w->b[j]);
  t->sc->flops += maml_policy_product_flops(l->p, b->n, MAML_PRODUCT_HVP);
}

static int exact_jacobian(const maml_learner *l) {
  return !l->mp.first_order;
}

/* Reverse mode with learned step sizes: from u_K = x[0 .. n), for k = K-1 .. 0
 *   grad_a += -g_k (.) u_{k+1}   (summed over each step size's parameters)
 *   u_k = u_{k+1} - H_k (a (.) u_{k+1})   (u_k = u_{k+1} in first-order mode)
 * then x = [u_0; grad_a] (np numbers). */
static void learned_jacobian_t(maml_learner *l, task_state *t, worker_state *w, maml_real *x) {
  size_t n = l->n;
  const maml_real *a = l->theta_cur + n;
  const int *idx = l->a_index;
  memset(w->ga, 0, l->m * sizeof *w->ga);
  for (int k = l->mp.inner_steps - 1; k >= 0; k--) {
    const maml_real *g = t->g_k + (size_t)k * n;
    for (size_t j = 0; j < n; j++) w->ga[idx[j]] -= (double)g[j] * x[j];
    if (!exact_jacobian(l)) continue;
    const maml_batch *b = step_batch(t, k);
    for (size_t j = 0; j < n; j++) w->c[j] = a[idx[j]] * x[j];
    l->inner->hvp(l->p, theta_at(l, t, k), b, &t->cs[k], &w->work, w->c, w->b);
    for (size_t j = 0; j < n; j++) x[j] -= w->b[j];
    t->sc->flops += maml_policy_product_flops(l->p, b->n, MAML_PRODUCT_HVP);
  }
  for (size_t i = 0; i < l->m; i++) x[n + i] = (maml_real)w->ga[i];
}

/* Forward mode with learned step sizes: x = t_0 = v_theta (n numbers) becomes t_K,
 *   t_{k+1} = t_k - a (.) (H_k t_k) - v_a (.) g_k   (no H term in first-order mode)
 * with v = l->v = [v_theta; v_a]. */
static void learned_jacobian(maml_learner *l, task_state *t, worker_state *w, maml_real *x) {
  size_t n = l->n;
  const maml_real *a = l->theta_cur + n, *va = l->v + n;
  const int *idx = l->a_index;
  for (int k = 0; k < l->mp.inner_steps; k++) {
    const maml_real *g = t->g_k + (size_t)k * n;
    if (exact_jacobian(l)) {
      const maml_batch *b = step_batch(t, k);
      l->inner->hvp(l->p, theta_at(l, t, k), b, &t->cs[k], &w->work, x, w->b);
      for (size_t j = 0; j < n; j++) x[j] -= a[idx[j]] * w->b[j];
      t->sc->flops += maml_policy_product_flops(l->p, b->n, MAML_PRODUCT_HVP);
    }
    for (size_t j = 0; j < n; j++) x[j] -= va[idx[j]] * g[j];
  }
}

/* x <- J^T x (the Hessians are symmetric: apply the last step's first) */
static void jacobian_t(maml_learner *l, task_state *t, worker_state *w, maml_real *x) {
  if (l->m) {
    learned_jacobian_t(l, t, w, x);
    return;
  }
  if (!exact_jacobian(l)) return;
  for (int k = l->mp.inner_steps - 1; k >= 0; k--) inner_jacobian_step(l, t, w, k, x);
}

/* x <- J x */
static void jacobian(maml_learner *l, task_state *t, worker_state *w, maml_real *x) {
  if (l->m) {
    learned_jacobian(l, t, w, x);
    return;
  }
  if (!exact_jacobian(l)) return;
  for (int k = 0; k < l->mp.inner_steps; k++) inner_jacobian_step(l, t, w, k, x);
}

static void job_adapt(void *ctx, int job, int worker) {
  maml_learner *l = ctx;
  int i = l->lo + job;
  adapt_steps(l, &l->tasks[i], &l->workers[worker], 1, l->steps_done, l->steps_to);
}

/* At theta_old: pi_old on Q, the surrogate's gradient at theta'_i, pulled back by J^T. */
static void job_prepare(void *ctx, int job, int worker) {
  maml_learner *l = ctx;
  int i = l->lo + job;
  task_state *t = &l->tasks[i];
  const maml_policy *p = l->p;
  const maml_real *th = adapted(l, t);
  maml_policy_forward(p, th, t->q.obs, t->q.n, &t->cq);
  maml_policy_log_prob(p, th, t->cq.mu, t->q.act, t->q.n, t->logp_old);
  memcpy(t->mu_old, t->cq.mu, (size_t)t->q.n * p->act_dim * sizeof(maml_real));
  memcpy(t->adapted_old, th, l->n * sizeof(maml_real));
  t->q.logp_old = t->logp_old;
  t->sc->value = maml_surrogate_grad(p, th, &t->q, &t->cq, t->out);
  t->sc->flops += maml_policy_product_flops(p, t->q.n, MAML_PRODUCT_FORWARD) +
                  maml_policy_product_flops(p, t->q.n, MAML_PRODUCT_GRAD);
  jacobian_t(l, t, &l->workers[worker], t->out);
}

/* out_i = J_i^T F_i J_i v */
static void job_curvature(void *ctx, int job, int worker) {
  maml_learner *l = ctx;
  int i = l->lo + job;
  task_state *t = &l->tasks[i];
  worker_state *w = &l->workers[worker];
  memcpy(w->a, l->v, l->n * sizeof(maml_real));
  jacobian(l, t, w, w->a);
  maml_policy_fvp(l->p, adapted(l, t), &t->cq, t->q.mask, &w->work, w->a, t->out);
  t->sc->flops += maml_policy_product_flops(l->p, t->q.n, MAML_PRODUCT_FVP);
  jacobian_t(l, t, w, t->out);
}

/* Surrogate and KL of task i at l->theta_cur, re-adapting from S_i. */
static void job_objective(void *ctx, int job, int worker) {
  maml_learner *l = ctx;
  int i = l->lo + job;
  task_state *t = &l->tasks[i];
  const maml_policy *p = l->p;
  adapt_task(l, t, &l->workers[worker], 0);
  const maml_real *th = adapted(l, t);
  maml_policy_forward(p, th, t->q.obs, t->q.n, &t->cq);
  t->sc->value = maml_surrogate_grad(p, th, &t->q, &t->cq, NULL);
  t->sc->kl = maml_policy_kl(p, t->adapted_old, t->mu_old, th, t->cq.mu, t->q.mask, t->q.n);
  t->sc->flops += maml_policy_product_flops(p, t->q.n, MAML_PRODUCT_FORWARD);
}

/* ProMP's objective of task i at l->theta_cur, re-adapting from S_i, with (vectors) its
 * gradient J_i^T grad L_clip + kl_coef grad KL into out_i. The KL's gradient comes last:
 * it overwrites what the inner loss left in cs[0] for the Jacobian's products. */
static void clipped_task(maml_learner *l, int job, int worker, int vectors) {
  int i = l->lo + job, clipped = 0;
  task_state *t = &l->tasks[i];
  worker_state *w = &l->workers[worker];
  const maml_policy *p = l->p;
  adapt_task(l, t, w, 0);
  const maml_real *th = adapted(l, t);
  maml_policy_forward(p, th, t->q.obs, t->q.n, &t->cq);
  t->sc->value =
      maml_clipped_surrogate_grad(p, th, &t->q, l->clip, &t->cq, vectors ? t->out : NULL, &clipped);
  t->sc->clipped = clipped;
  t->sc->rows = 0;
  for (int r = 0; r < t->q.n; r++) t->sc->rows += t->q.mask ? t->q.mask[r] != 0 : 1;
  t->sc->flops += maml_policy_product_flops(p, t->q.n, MAML_PRODUCT_FORWARD);
  if (vectors) {
    t->sc->flops += maml_policy_product_flops(p, t->q.n, MAML_PRODUCT_GRAD);
    jacobian_t(l, t, w, t->out);
  }
  t->sc->kl = 0.0;
  if (l->mp.inner_steps == 0) return; /* no support states */
  maml_policy_cache *c0 = &t->cs[0];  /* the forward pass on S at theta_cur */
  t->sc->kl = maml_policy_kl(p, l->theta_old, t->mu0, l->theta_cur, c0->mu, t->s.mask, t->s.n);
  t->sc->value += l->kl_coef * t->sc->kl;
  if (!vectors || l->kl_coef == 0) return;
  maml_policy_kl_grad(p, l->theta_old, t->mu0, l->theta_cur, c0, t->s.mask, w->a);
  for (size_t j = 0; j < l->n; j++) t->out[j] = (maml_real)(t->out[j] + l->kl_coef * w->a[j]);
  t->sc->flops += maml_policy_product_flops(p, t->s.n, MAML_PRODUCT_GRAD);
}

static void job_clipped(void *ctx, int job, int worker) {
  clipped_task(ctx, job, worker, 0);
}

static void job_clipped_grad(void *ctx, int job, int worker) {
  clipped_task(ctx, job, worker, 1);
}

/* mean_i out_i in task order, in double */
static void sum_task_vectors(const maml_learner *l, double *sum) {
  memset(sum, 0, l->np * sizeof(double));
  for (int i = 0; i < l->n_tasks; i++) {
    const maml_real *o = l->tasks[i].out;
    for (size_t j = 0; j < l->np; j++) sum[j] += o[j];
  }
  double inv = 1.0 / l->n_tasks;
  for (size_t j = 0; j < l->np; j++) sum[j] *= inv;
}

static double mean_task_scalar(const maml_learner *l, int kl) {
  double s = 0.0;
  for (int i = 0; i < l->n_tasks; i++) s += kl ? l->scalars[i].kl : l->scalars[i].value;
  return s / l->n_tasks;
}

static double total_flops(const maml_learner *l) {
  double f = 0.0;
  for (int i = 0; i < l->n_tasks; i++) f += l->scalars[i].flops;
  return f;
}

/* run job on this rank's tasks, then share the tasks' scalars (and vectors) with every
 * rank; the sizes were checked at create, so the exchange cannot fail */
static void run_tasks(maml_learner *l, void (*job)(void *, int, int), int vectors) {
  maml_pool_run(l->pool, l->hi - l->lo, job, l);
  maml_comm *c = l->mp.comm;
  if (maml_comm_size(c) == 1) return;
  if (vectors) maml_comm_gather_items(c, l->outs, l->np * sizeof(maml_real), l->n_tasks, NULL, 0);
  maml_comm_gather_items(c, l->scalars, sizeof(task_scalars), l->n_tasks, NULL, 0);
}

static double dot(const double *a, const double *b, size_t n) {
  double s = 0.0;
  for (size_t j = 0; j < n; j++) s += a[j] * b[j];
  return s;
}

/* ---- fresh support batches: one per inner step (adapt_begin, adapt_next) ----------------- */

/* every step on S_i again (adapt, adapt_begin) */
static void forget_step_batches(maml_learner *l) {
  for (int i = l->lo; i < l->hi; i++)
    for (int k = 0; k < l->mp.inner_steps; k++) l->tasks[i].sk[k].obs = NULL;
}

static int adapt_complete(const maml_learner *l) {
  return l->steps_done == l->mp.inner_steps;
}

/* step k = steps_done on each task's S_i^k; a batch with S_i's arrays is S_i (reuse) */
maml_status maml_learner_adapt_next(maml_learner *l, const maml_batch *support, char *err,
                                    size_t err_sz) {
  int k = l->steps_done;
  if (!l->theta_cur || k < 1 || k >= l->mp.inner_steps)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "adapt_next after %d of the %d inner steps (allowed: after adapt_begin, "
                     "before the last step)",
                     l->theta_cur ? k : 0, l->mp.inner_steps);
  if (!support)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "inner step %d needs its support batches", k);
  for (int i = l->lo; i < l->hi; i++)
    if (support[i].n < 1 || support[i].n > l->support_rows)
      return maml_fail(err, err_sz, MAML_ERR_ARG,
                       "support batch %d of inner step %d has %d rows (allowed 1..%d)", i, k,
                       support[i].n, l->support_rows);
  for (int i = l->lo; i < l->hi; i++) {
    task_state *t = &l->tasks[i];
    int same = support[i].obs == t->s.obs && support[i].act == t->s.act &&
               support[i].adv == t->s.adv && support[i].mask == t->s.mask && support[i].n == t->s.n;
    t->sk[k] = support[i];
    if (same) t->sk[k].obs = NULL;
  }
  l->steps_to = k + 1;
  maml_pool_run(l->pool, l->hi - l->lo, job_adapt, l);
  l->steps_done = k + 1;
  l->prepared = l->queried = 0;
  return MAML_OK;
}

/* ---- public ----------------------------------------------------------------------------- */

/* adapt and adapt_begin: theta_old, S_i, then the first `steps` inner steps on S_i */
static maml_status adapt_from(maml_learner *l, const maml_real *theta, const maml_batch *support,
                              int steps, char *err, size_t err_sz) {
  int K = l->mp.inner_steps;
  if (K > 0 && !support)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "adaptation needs the support batches");
  for (int i = l->lo; K > 0 && i < l->hi; i++)
    if (support[i].n < 1 || support[i].n > l->support_rows)
      return maml_fail(err, err_sz, MAML_ERR_ARG, "support batch %d has %d rows (allowed 1..%d)", i,
                       support[i].n, l->support_rows);
  memcpy(l->theta_old, theta, l->np * sizeof(maml_real));
  l->theta_cur = l->theta_old;
  for (int i = 0; i < l->n_tasks; i++) l->scalars[i].flops = 0.0;
  for (int i = l->lo; K > 0 && i < l->hi; i++) l->tasks[i].s = support[i];
  forget_step_batches(l);
  l->steps_done = 0, l->steps_to = steps;
  if (K > 0) maml_pool_run(l->pool, l->hi - l->lo, job_adapt, l);
  l->steps_done = steps;
  l->prepared = l->queried = 0;
  return MAML_OK;
}

maml_status maml_learner_adapt(maml_learner *l, const maml_real *theta, const maml_batch *support,
                               char *err, size_t err_sz) {
  return adapt_from(l, theta, support, l->mp.inner_steps, err, err_sz);
}

maml_status maml_learner_adapt_begin(maml_learner *l, const maml_real *theta,
                                     const maml_batch *support, char *err, size_t err_sz) {
  return adapt_from(l, theta, support, l->mp.inner_steps > 0, err, err_sz);
}

int maml_learner_adapt_steps(const maml_learner *l) {
  return l->steps_done;
}

const maml_real *maml_learner_adapted(const maml_learner *l, int task) {
  return theta_at(l, &l->tasks[task], l->steps_done);
}

maml_status maml_learner_prepare(maml_learner *l, const maml_batch *query, double *surr, char *err,
                                 size_t err_sz) {
  if (!l->theta_cur) return maml_fail(err, err_sz, MAML_ERR_ARG, "prepare before adapt");
  if (!adapt_complete(l))
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "prepare after %d of the %d inner steps (maml_learner_adapt_next)",
                     l->steps_done, l->mp.inner_steps);
  for (int i = l->lo; i < l->hi; i++) {
    if (query[i].n < 1 || query[i].n > l->query_rows)
      return maml_fail(err, err_sz, MAML_ERR_ARG, "query batch %d has %d rows (allowed 1..%d)", i,
                       query[i].n, l->query_rows);
    l->tasks[i].q = query[i];
  }
  l->theta_cur = l->theta_old;
  run_tasks(l, job_prepare, 1);
  sum_task_vectors(l, l->grad);
  if (surr) *surr = mean_task_scalar(l, 0);
  l->prepared = l->queried = 1;
  return MAML_OK;
}

const double *maml_learner_grad(const maml_learner *l) {
  return l->grad;
}

const double *maml_learner_direction(const maml_learner *l) {
  return l->outer->direction ? l->outer->direction(l->outer_state) : NULL;
}

size_t maml_learner_n_params(const maml_learner *l) {
  return l->np;
}

size_t maml_learner_outer_state(const maml_learner *l, double *out) {
  return l->outer->save ? l->outer->save(l->outer_state, out) : 0;
}

maml_status maml_learner_set_outer_state(maml_learner *l, const double *in, size_t count, char *err,
                                         size_t err_sz) {
  size_t want = maml_learner_outer_state(l, NULL);
  if (count != want || (count > 0 && !l->outer->load(l->outer_state, in, count)))
    return maml_fail(err, err_sz, MAML_ERR_FORMAT,
                     "the outer optimiser (%s) keeps %zu numbers of state, the checkpoint %zu",
                     l->outer->name ? l->outer->name : "(unnamed)", want, count);
  return MAML_OK;
}

const maml_real *maml_learner_theta_old(const maml_learner *l) {
  return l->theta_old;
}

void maml_learner_curvature(maml_learner *l, const double *v, double *out) {
  for (size_t j = 0; j < l->np; j++) l->v[j] = (maml_real)v[j];
  l->theta_cur = l->theta_old;
  run_tasks(l, job_curvature, 1);
  sum_task_vectors(l, out);
  for (size_t j = 0; j < l->np; j++) out[j] += l->mp.cg_damping * v[j];
}

void maml_learner_objective(maml_learner *l, const maml_real *theta, double *surr, double *kl) {
  if (!adapt_complete(l)) { /* misuse: the steps' batches are not all given */
    if (surr) *surr = NAN;
    if (kl) *kl = NAN;
    return;
  }
  l->theta_cur = theta;
  run_tasks(l, job_objective, 0);
  l->theta_cur = l->theta_old;
  if (surr) *surr = mean_task_scalar(l, 0);
  if (kl) *kl = mean_task_scalar(l, 1);
}

void maml_learner_clipped_objective(maml_learner *l, const maml_real *theta, double clip,
                                    double kl_coef, double *value, double *kl, double *clipped,
                                    double *grad) {
  if (!l->queried) return; /* misuse: no query batches since the last adapt */
  l->theta_cur = theta;
  l->clip = clip, l->kl_coef = kl_coef;
  run_tasks(l, grad ? job_clipped_grad : job_clipped, grad != NULL);
  l->theta_cur = l->theta_old;
  if (grad) sum_task_vectors(l, grad);
  if (value) *value = mean_task_scalar(l, 0);
  if (kl) *kl = mean_task_scalar(l, 1);
  if (clipped) {
    double c = 0.0, rows = 0.0;
    for (int i = 0; i < l->n_tasks; i++) c += l->scalars[i].clipped, rows += l->scalars[i].rows;
    *clipped = rows > 0 ? c / rows : 0.0;
  }
}

maml_status maml_learner_step(maml_learner *l, maml_real *theta, maml_step_stats *st, char *err,
                              size_t err_sz) {
  if (!l->prepared) return maml_fail(err, err_sz, MAML_ERR_ARG, "step before prepare");
  l->prepared = 0;
  memset(st, 0, sizeof *st);
  st->surr_before = st->surr_after = mean_task_scalar(l, 0);
  st->outcome = MAML_STEP_NONFINITE;
  st->grad_norm = sqrt(dot(l->grad, l->grad, l->np));
  if (isfinite(st->grad_norm) && isfinite(st->surr_before))
    l->outer->step(l->outer_state, l, theta, st);
  st->flops = total_flops(l);
  return MAML_OK;
}
