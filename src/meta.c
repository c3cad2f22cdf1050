#include "maml/meta.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "maml/cg.h"
#include "maml/comm.h"

/* A task's scalars of the last job; gathered across ranks with its vector. */
typedef struct {
  double value, kl;
  double flops;
} task_scalars;

/* One task's state across adapt, prepare and step. Only the tasks of this rank's block
 * [lo, hi) hold batches and caches; every task has its slot in outs and scalars. */
typedef struct {
  maml_batch s, q;           /* the borrowed support and query batches */
  maml_real *logp0;          /* (support rows) log pi_theta0(a|s) on S, theta0 the theta of
                                adapt (read by LVC as s.logp_old) */
  maml_real *theta_k;        /* (K, n_params) theta^1 .. theta^K */
  maml_policy_cache *cs;     /* (K) forward passes on S at theta^0 .. theta^{K-1} */
  maml_policy_cache cq;      /* forward pass on Q at theta'_i */
  maml_real *logp_old;       /* (query rows) log pi_old(a|s) on Q */
  maml_real *mu_old;         /* (query rows, act_dim) */
  maml_real *adapted_old;    /* (n_params) theta'_i at theta_old */
  maml_real *out;            /* (n_params) this task's product result, in l->outs */
  task_scalars *sc;          /* in l->scalars */
} task_state;

/* Per-worker scratch. */
typedef struct {
  maml_policy_work work;
  maml_real *a, *b; /* (n_params) */
} worker_state;

struct maml_learner {
  const maml_policy *p;
  maml_pool *pool;
  maml_meta_params mp;
  const maml_inner_objective *inner; /* the inner loss: its gradient and Hessian product */
  int n_tasks, support_rows, query_rows;
  int lo, hi;                /* this rank's tasks */
  size_t n;                  /* parameters */
  task_state *tasks;
  maml_real *outs;           /* (n_tasks, n) per-task product results */
  task_scalars *scalars;     /* (n_tasks) */
  worker_state *workers;
  int n_workers;
  maml_real *theta_old;      /* (n) the theta of the last adapt */
  maml_real *theta_try;      /* (n) line-search candidate */
  maml_real *v;              /* (n) the vector of the current curvature job */
  const maml_real *theta_cur;/* theta^0 of the current adapt job */
  double *grad;              /* (n) meta-gradient */
  double *x, *step;          /* (n) CG solution, full step */
  maml_cg_work cg;
  int prepared;
};

/* ---- set-up ----------------------------------------------------------------------------- */

static void *alloc_reals(size_t count) { return calloc(count ? count : 1, sizeof(maml_real)); }

void maml_learner_destroy(maml_learner *l) {
  if (!l) return;
  int K = l->mp.inner_steps;
  if (l->tasks)
    for (int i = 0; i < l->n_tasks; i++) {
      task_state *t = &l->tasks[i];
      if (t->cs)
        for (int k = 0; k < K; k++) maml_policy_cache_free(&t->cs[k]);
      maml_policy_cache_free(&t->cq);
      free(t->cs), free(t->theta_k), free(t->logp0), free(t->logp_old), free(t->mu_old);
      free(t->adapted_old);
    }
  if (l->workers)
    for (int w = 0; w < l->n_workers; w++) {
      maml_policy_work_free(&l->workers[w].work);
      free(l->workers[w].a), free(l->workers[w].b);
    }
  free(l->tasks), free(l->workers), free(l->outs), free(l->scalars);
  free(l->theta_old), free(l->theta_try), free(l->v);
  free(l->grad), free(l->x), free(l->step);
  maml_cg_work_free(&l->cg);
  free(l);
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
    return maml_fail(err, err_sz, MAML_ERR_ARG, "cg_damping must be >= 0 (got %g)",
                     mp->cg_damping);
  if (!(mp->ls_backtrack > 0 && mp->ls_backtrack < 1))
    return maml_fail(err, err_sz, MAML_ERR_ARG, "ls_backtrack must be in (0, 1) (got %g)",
                     mp->ls_backtrack);
  if (mp->ls_steps < 1)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "ls_steps must be >= 1 (got %d)", mp->ls_steps);
  return MAML_OK;
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
  l->n_tasks = n_tasks, l->support_rows = support_rows, l->query_rows = query_rows;
  l->n = p->n_params;
  l->n_workers = maml_pool_threads(pool);
  maml_comm_split(mp->comm, n_tasks, &l->lo, &l->hi);
  int K = mp->inner_steps, rows = support_rows > query_rows ? support_rows : query_rows;
  size_t n = l->n;

  if ((double)n_tasks * (double)n * sizeof(maml_real) > 2147483647.0) {
    maml_learner_destroy(l);
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%d tasks x %zu parameters is too large a meta-batch to exchange", n_tasks, n);
  }
  int ok = (l->tasks = calloc((size_t)n_tasks, sizeof *l->tasks)) &&
           (l->outs = alloc_reals((size_t)n_tasks * n)) &&
           (l->scalars = calloc((size_t)n_tasks, sizeof *l->scalars)) &&
           (l->workers = calloc((size_t)l->n_workers, sizeof *l->workers)) &&
           (l->theta_old = alloc_reals(n)) && (l->theta_try = alloc_reals(n)) &&
           (l->v = alloc_reals(n)) && (l->grad = calloc(n, sizeof(double))) &&
           (l->x = calloc(n, sizeof(double))) &&
           (l->step = calloc(n, sizeof(double))) && maml_cg_work_alloc(&l->cg, (int)n) == MAML_OK;
  for (int i = 0; ok && i < n_tasks; i++) {
    l->tasks[i].out = l->outs + (size_t)i * n;
    l->tasks[i].sc = &l->scalars[i];
  }
  for (int i = l->lo; ok && i < l->hi; i++) {
    task_state *t = &l->tasks[i];
    ok = (t->theta_k = alloc_reals((size_t)K * n)) &&
         (t->cs = calloc(K ? (size_t)K : 1, sizeof *t->cs)) &&
         (t->logp0 = alloc_reals(K ? (size_t)support_rows : 1)) &&
         (t->logp_old = alloc_reals((size_t)query_rows)) &&
         (t->mu_old = alloc_reals((size_t)query_rows * p->act_dim)) &&
         (t->adapted_old = alloc_reals(n)) &&
         maml_policy_cache_alloc(&t->cq, p, query_rows) == MAML_OK;
    for (int k = 0; ok && k < K; k++)
      ok = maml_policy_cache_alloc(&t->cs[k], p, support_rows) == MAML_OK;
  }
  for (int w = 0; ok && w < l->n_workers; w++)
    ok = (l->workers[w].a = alloc_reals(n)) && (l->workers[w].b = alloc_reals(n)) &&
         maml_policy_work_alloc(&l->workers[w].work, p, rows) == MAML_OK;
  if (!ok) {
    maml_learner_destroy(l);
    return maml_fail(err, err_sz, MAML_ERR_NOMEM,
                     "out of memory for the learner (%d tasks x %d + %d rows, %zu parameters)",
                     n_tasks, support_rows, query_rows, n);
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

/* theta^1..theta^K from theta^0 = l->theta_cur, keeping each forward pass and inner-loss
 * gradient in cs[k] for the Hessian products. sampled: theta^0 is the theta that sampled S
 * (adapt, not an objective evaluation), whose log pi on S an objective reading logp0 keeps. */
static void adapt_task(maml_learner *l, task_state *t, worker_state *w, int sampled) {
  const maml_policy *p = l->p;
  for (int k = 0; k < l->mp.inner_steps; k++) {
    const maml_real *cur = theta_at(l, t, k);
    maml_real *next = t->theta_k + (size_t)k * l->n;
    maml_policy_forward(p, cur, t->s.obs, t->s.n, &t->cs[k]);
    if (k == 0 && sampled && l->inner->reads_logp0) {
      maml_policy_log_prob(p, cur, t->cs[0].mu, t->s.act, t->s.n, t->logp0);
      t->s.logp_old = t->logp0;
    }
    l->inner->grad(p, cur, &t->s, &t->cs[k], w->a);
    for (size_t j = 0; j < l->n; j++) next[j] = (maml_real)(cur[j] - l->mp.alpha * w->a[j]);
    t->sc->flops += maml_policy_product_flops(p, t->s.n, MAML_PRODUCT_FORWARD) +
                maml_policy_product_flops(p, t->s.n, MAML_PRODUCT_GRAD);
  }
}

/* x <- (I - alpha H_k) x for one inner step k; w->b is scratch. */
static void inner_jacobian_step(maml_learner *l, task_state *t, worker_state *w, int k,
                                maml_real *x) {
  l->inner->hvp(l->p, theta_at(l, t, k), &t->s, &t->cs[k], &w->work, x, w->b);
  for (size_t j = 0; j < l->n; j++) x[j] = (maml_real)(x[j] - l->mp.alpha * w->b[j]);
  t->sc->flops += maml_policy_product_flops(l->p, t->s.n, MAML_PRODUCT_HVP);
}

static int exact_jacobian(const maml_learner *l) { return !l->mp.first_order; }

/* x <- J^T x (the Hessians are symmetric: apply the last step's first) */
static void jacobian_t(maml_learner *l, task_state *t, worker_state *w, maml_real *x) {
  if (!exact_jacobian(l)) return;
  for (int k = l->mp.inner_steps - 1; k >= 0; k--) inner_jacobian_step(l, t, w, k, x);
}

/* x <- J x */
static void jacobian(maml_learner *l, task_state *t, worker_state *w, maml_real *x) {
  if (!exact_jacobian(l)) return;
  for (int k = 0; k < l->mp.inner_steps; k++) inner_jacobian_step(l, t, w, k, x);
}

static void job_adapt(void *ctx, int job, int worker) {
  maml_learner *l = ctx;
  int i = l->lo + job;
  adapt_task(l, &l->tasks[i], &l->workers[worker], 1);
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

/* mean_i out_i in task order, in double */
static void sum_task_vectors(const maml_learner *l, double *sum) {
  memset(sum, 0, l->n * sizeof(double));
  for (int i = 0; i < l->n_tasks; i++) {
    const maml_real *o = l->tasks[i].out;
    for (size_t j = 0; j < l->n; j++) sum[j] += o[j];
  }
  double inv = 1.0 / l->n_tasks;
  for (size_t j = 0; j < l->n; j++) sum[j] *= inv;
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
  if (vectors) maml_comm_gather_items(c, l->outs, l->n * sizeof(maml_real), l->n_tasks, NULL, 0);
  maml_comm_gather_items(c, l->scalars, sizeof(task_scalars), l->n_tasks, NULL, 0);
}

static int all_finite(const double *x, size_t n) {
  double s = 0.0;
  for (size_t j = 0; j < n; j++) s += x[j] * 0.0;
  return s == 0.0;
}

static double dot(const double *a, const double *b, size_t n) {
  double s = 0.0;
  for (size_t j = 0; j < n; j++) s += a[j] * b[j];
  return s;
}

/* ---- public ----------------------------------------------------------------------------- */

maml_status maml_learner_adapt(maml_learner *l, const maml_real *theta, const maml_batch *support,
                               char *err, size_t err_sz) {
  int K = l->mp.inner_steps;
  if (K > 0 && !support)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "adaptation needs the support batches");
  for (int i = l->lo; K > 0 && i < l->hi; i++)
    if (support[i].n < 1 || support[i].n > l->support_rows)
      return maml_fail(err, err_sz, MAML_ERR_ARG, "support batch %d has %d rows (allowed 1..%d)",
                       i, support[i].n, l->support_rows);
  memcpy(l->theta_old, theta, l->n * sizeof(maml_real));
  l->theta_cur = l->theta_old;
  for (int i = 0; i < l->n_tasks; i++) l->scalars[i].flops = 0.0;
  for (int i = l->lo; K > 0 && i < l->hi; i++) l->tasks[i].s = support[i];
  if (K > 0) maml_pool_run(l->pool, l->hi - l->lo, job_adapt, l);
  l->prepared = 0;
  return MAML_OK;
}

const maml_real *maml_learner_adapted(const maml_learner *l, int task) {
  return adapted(l, &l->tasks[task]);
}

maml_status maml_learner_prepare(maml_learner *l, const maml_batch *query, double *surr, char *err,
                                 size_t err_sz) {
  if (!l->theta_cur)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "prepare before adapt");
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
  l->prepared = 1;
  return MAML_OK;
}

const double *maml_learner_grad(const maml_learner *l) { return l->grad; }

const double *maml_learner_direction(const maml_learner *l) { return l->x; }

void maml_learner_curvature(maml_learner *l, const double *v, double *out) {
  for (size_t j = 0; j < l->n; j++) l->v[j] = (maml_real)v[j];
  l->theta_cur = l->theta_old;
  run_tasks(l, job_curvature, 1);
  sum_task_vectors(l, out);
  for (size_t j = 0; j < l->n; j++) out[j] += l->mp.cg_damping * v[j];
}

static void curvature_op(void *ctx, const double *v, double *out) {
  maml_learner_curvature(ctx, v, out);
}

void maml_learner_objective(maml_learner *l, const maml_real *theta, double *surr, double *kl) {
  l->theta_cur = theta;
  run_tasks(l, job_objective, 0);
  l->theta_cur = l->theta_old;
  if (surr) *surr = mean_task_scalar(l, 0);
  if (kl) *kl = mean_task_scalar(l, 1);
}

maml_status maml_learner_step(maml_learner *l, maml_real *theta, maml_step_stats *st, char *err,
                              size_t err_sz) {
  if (!l->prepared) return maml_fail(err, err_sz, MAML_ERR_ARG, "step before prepare");
  l->prepared = 0;
  size_t n = l->n;
  memset(st, 0, sizeof *st);
  st->surr_before = st->surr_after = mean_task_scalar(l, 0);
  st->outcome = MAML_STEP_NONFINITE;
  st->grad_norm = sqrt(dot(l->grad, l->grad, n));
  if (!isfinite(st->grad_norm) || !isfinite(st->surr_before)) goto done;

  st->cg_iters = maml_cg(curvature_op, l, l->grad, l->x, l->mp.cg_iters, 1e-10, &l->cg);
  if (st->cg_iters < 0 || !all_finite(l->x, n)) goto done;
  /* x^T A x = x^T (g - r) with CG's residual r = g - A x: no extra curvature product */
  double xax = dot(l->x, l->grad, n) - dot(l->x, l->cg.r, n);
  if (!(xax > 0) || !isfinite(xax)) goto done;
  double scale = sqrt(2.0 * l->mp.max_kl / xax);
  for (size_t j = 0; j < n; j++) l->step[j] = -scale * l->x[j];
  st->expected = dot(l->grad, l->step, n);

  st->outcome = MAML_STEP_NO_IMPROVEMENT;
  double frac = 1.0;
  for (int tries = 0; tries < l->mp.ls_steps; tries++, frac *= l->mp.ls_backtrack) {
    for (size_t j = 0; j < n; j++)
      l->theta_try[j] = (maml_real)(l->theta_old[j] + frac * l->step[j]);
    double surr, kl;
    maml_learner_objective(l, l->theta_try, &surr, &kl);
    st->ls_tries = tries + 1;
    if (!isfinite(surr) || !isfinite(kl)) continue;
    if (surr < st->surr_before && kl <= l->mp.max_kl) {
      st->outcome = MAML_STEP_ACCEPTED;
      st->surr_after = surr, st->kl = kl;
      double s2 = 0.0;
      for (size_t j = 0; j < n; j++) {
        double d = (double)l->theta_try[j] - l->theta_old[j];
        s2 += d * d;
      }
      st->step_norm = sqrt(s2);
      memcpy(theta, l->theta_try, n * sizeof(maml_real));
      break;
    }
  }
done:
  st->flops = total_flops(l);
  return MAML_OK;
}
