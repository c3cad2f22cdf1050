/* The meta-learner: inner adaptation, the meta-gradient and the TRPO step through it.
 *
 * For each task i of a meta-batch, with support batch S_i (sampled with theta) and query
 * batch Q_i (sampled with the adapted theta'_i):
 *   adaptation   theta^{k+1} = theta^k - alpha grad L_in(theta^k; S_i^k), k < K,
 *                theta'_i = theta^K; S_i^k = S_i at every step (reuse, maml_learner_adapt:
 *                the default), or a batch of its own sampled with theta^k (fresh:
 *                maml_learner_adapt_begin, maml_learner_adapt_next)
 *   inner loss   an inner objective (inner.h): L_in = -mean_S [A log pi_theta] (REINFORCE,
 *                the default), or L_in = -mean_S [A pi_theta / pi_theta0] (LVC, ProMP's:
 *                theta0 = the theta of adapt, which sampled S_i, held fixed at every theta^k
 *                and in the objective evaluations). At theta^0 both give the same gradient,
 *                bit for bit, so with K = 1 theta'_i is the same; LVC's Hessian carries the
 *                extra term -mean_S [A r grad log pi grad log pi^T] (r = pi_theta /
 *                pi_theta0), which credits the pre-update policy's exploration through J_i.
 *   Jacobian     J_i = d theta'_i / d theta = (I - alpha H_{K-1}) ... (I - alpha H_0),
 *                H_k the Hessian of L_in at theta^k on S_i^k
 *                (J_i = I in first-order mode, and when K = 0)
 *   objective    L(theta) = mean_i L_surr(theta'_i(theta); Q_i)   (likelihood ratio to the
 *                sampling policy), KL(theta) = mean_i mean_Q KL(pi_old || pi_theta'_i)
 *   gradient     g = mean_i J_i^T grad L_surr,i
 *   curvature    A v = mean_i J_i^T F_i J_i v + damping v  (the KL's Hessian at theta_old)
 *   outer step   an outer optimiser (outer.h): TRPO, x = CG(A, g), s = -sqrt(2 delta /
 *                x^T A x) x, backtracking line search on theta_old + beta^j s that
 *                recomputes every theta'_i from S_i (the default); or ProMP's Adam steps on
 *                the clipped surrogate plus a KL penalty (maml_learner_clipped_objective).
 * K = 0 gives plain multi-task TRPO (the pretrained and oracle baselines).
 *
 * Learned step sizes (learn_alpha param or layer, step_size.h; Meta-SGD): the meta-
 * parameters are phi = [theta (n); a (m)], a starting at alpha (the caller's), and every
 * theta argument below holds phi (maml_learner_n_params = n + m numbers; the gradient,
 * the curvature's vectors and the outer optimiser's state too). The inner step is
 * theta^{k+1} = theta^k - a (.) g_k, g_k = grad L_in(theta^k; S_i), so J_i is no longer
 * symmetric; with u_K = grad L_surr,i at theta'_i, reverse mode (J_i^T) is
 *   for k = K-1 .. 0:  grad_a += -g_k (.) u_{k+1},  u_k = u_{k+1} - H_k (a (.) u_{k+1})
 *   J_i^T u_K = [u_0; grad_a]
 * (grad_a summed over each tensor's parameters in layer mode) and forward mode, for
 * v = [v_theta; v_a], t_0 = v_theta, t_{k+1} = t_k - a (.) (H_k t_k) - v_a (.) g_k,
 * J_i v = t_K. First-order mode drops the H terms and keeps the a block. ProMP's KL
 * penalty (pre-update policy) does not depend on a. Needs K >= 1.
 *
 * Per-task work runs on the pool, one task per item; per-task results are summed in task
 * order, so the outcome does not depend on the number of threads. Caches of the forward
 * passes at every theta^k and at theta'_i are kept, so CG iterations only run the
 * directional passes. Nothing is allocated after maml_learner_create.
 *
 * Use per meta-iteration: maml_learner_adapt (then sample the query batches with
 * maml_learner_adapted), maml_learner_prepare, maml_learner_step.
 *
 * Fresh support (K >= 2; what the paper's code and pytorch-maml-rl do): in place of
 * maml_learner_adapt, maml_learner_adapt_begin takes step 0 on S_i^0 = S_i (sampled with
 * theta), then for k = 1 .. K-1 the caller samples S_i^k with theta^k =
 * maml_learner_adapted and gives it to maml_learner_adapt_next. Every later use (prepare,
 * the line search, each objective evaluation) recomputes theta'_i from the same
 * S_i^0 .. S_i^{K-1}. Step k's LVC ratio is to the policy that sampled S_i^k: log
 * pi_theta^k on S_i^k at theta_old, held fixed like theta0's on S_i (one per step); ProMP's
 * KL penalty stays on S_i with the pre-update policy. The dependence of S_i^k's
 * distribution on theta (through theta^k) is not differentiated, as in the paper's code:
 * J_i and the meta-gradient treat each S_i^k as a fixed batch. Giving a step S_i's own
 * arrays again is S_i (its ratio stays to theta0), so adapt_begin then K-1 adapt_next with
 * S_i is maml_learner_adapt, bit for bit. */
#ifndef MAML_META_H
#define MAML_META_H

#include "maml/error.h"
#include "maml/inner.h"
#include "maml/outer.h"
#include "maml/policy.h"
#include "maml/pool.h"
#include "maml/step_size.h"

typedef struct maml_meta_params {
  int inner_steps;            /* K >= 0 */
  maml_inner_loss inner_loss; /* the built-in inner objective (inner.h); 0 (zero-initialised):
                                 REINFORCE */
  const maml_inner_objective *inner; /* an inner objective of the caller's (borrowed), in
                                        place of inner_loss's; NULL: inner_loss's */
  double alpha;                      /* inner step size (the learned ones' start) */
  maml_learn_alpha learn_alpha;      /* step_size.h; 0 (zero-initialised): alpha, fixed */
  int first_order;                   /* 1: J_i = I */
  double max_kl;                     /* delta */
  int cg_iters;
  double cg_damping;
  double ls_backtrack;   /* beta in (0, 1) */
  int ls_steps;          /* tries */
  maml_outer_kind outer; /* the built-in outer optimiser (outer.h); 0 (zero-initialised):
                            TRPO, which reads max_kl .. ls_steps */
  const maml_outer_optimizer *outer_optimizer; /* a caller's (borrowed), in place of outer's;
                                                  NULL: outer's */
  double promp_clip;                           /* ProMP: the ratio's clip range eps > 0 */
  double promp_kl_coef;                        /* ProMP: the KL penalty's coefficient eta >= 0 */
  int promp_steps;                             /* ProMP: Adam steps per meta-iteration >= 1 */
  double promp_lr;                             /* ProMP: Adam's learning rate > 0 */
  struct maml_comm *comm; /* the ranks sharing the meta-batch (comm.h); NULL: this process
                             alone. Each rank works on its block of tasks only. */
} maml_meta_params;

/* Why a step was or was not applied. */
typedef enum {
  MAML_STEP_ACCEPTED = 0,
  MAML_STEP_NO_IMPROVEMENT, /* no candidate lowered the surrogate within the KL bound */
  MAML_STEP_NONFINITE       /* a gradient, CG or candidate was NaN/Inf: theta untouched */
} maml_step_outcome;

typedef struct maml_step_stats {
  maml_step_outcome outcome;
  double surr_before; /* L(theta_old) */
  double surr_after;  /* L at the accepted candidate (= surr_before if none) */
  double kl;          /* KL at the accepted candidate (0 if none) */
  double expected;    /* g . s: first-order prediction of the full step's change */
  double grad_norm;   /* ||g|| */
  double step_norm;   /* ||theta_new - theta_old|| */
  int cg_iters;       /* iterations CG ran (0 for ProMP) */
  int ls_tries;       /* candidates evaluated (ProMP: the Adam steps taken) */
  double flops;       /* floating-point operations of the network products since adapt */
} maml_step_stats;

typedef struct maml_learner maml_learner;

/* A learner for n_tasks tasks whose support batches hold at most support_rows rows and
 * query batches at most query_rows. The pool is not owned. */
maml_status maml_learner_create(maml_learner **out, const maml_policy *p, maml_pool *pool,
                                int n_tasks, int support_rows, int query_rows,
                                const maml_meta_params *mp, char *err, size_t err_sz);
void maml_learner_destroy(maml_learner *l);

/* Adapt theta to each task's support batch (obs, act, adv, mask; logp_old unused). The
 * batches' arrays are borrowed until the step is done. With K = 0 support may be NULL.
 * Under several ranks only the batches of this rank's tasks are read (support and query
 * are still indexed by the task's index in the meta-batch). */
maml_status maml_learner_adapt(maml_learner *l, const maml_real *theta, const maml_batch *support,
                               char *err, size_t err_sz);

/* Fresh support: the theta of maml_learner_adapt with the first inner step only, on S_i
 * (support as for maml_learner_adapt); maml_learner_adapt_next takes the others. With K <= 1
 * it is maml_learner_adapt. */
maml_status maml_learner_adapt_begin(maml_learner *l, const maml_real *theta,
                                     const maml_batch *support, char *err, size_t err_sz);

/* The next inner step k (the steps taken so far) on each task's support[i] = S_i^k,
 * sampled with theta^k (maml_learner_adapted), obs, act, adv, mask as for adapt, at most
 * the learner's support rows, borrowed until the step is done; only this rank's tasks are
 * read. MAML_ERR_ARG before adapt_begin, or when the K steps are already taken. */
maml_status maml_learner_adapt_next(maml_learner *l, const maml_batch *support, char *err,
                                    size_t err_sz);

/* The inner steps taken since the last adapt or adapt_begin (K after maml_learner_adapt):
 * prepare, step and the objectives need all K. */
int maml_learner_adapt_steps(const maml_learner *l);

/* theta^k after the k inner steps taken (theta'_i = theta^K after maml_learner_adapt;
 * theta itself when K = 0); for this rank's tasks only. */
const maml_real *maml_learner_adapted(const maml_learner *l, int task);

/* Take the query batches (obs, act, adv, mask; logp_old is recomputed from theta'_i, so
 * that the surrogate's ratio is exactly 1 at theta_old) and compute the meta-gradient.
 * Writes L(theta_old) to *surr (may be NULL). Borrowed like the support batches. */
maml_status maml_learner_prepare(maml_learner *l, const maml_batch *query, double *surr, char *err,
                                 size_t err_sz);

/* One step of the outer optimiser (TRPO by default) from the prepared state: writes the
 * accepted parameters into theta (which must hold the theta given to adapt) or leaves it
 * untouched. MAML_OK whatever the outcome (see stats->outcome); an error only for misuse. */
maml_status maml_learner_step(maml_learner *l, maml_real *theta, maml_step_stats *stats, char *err,
                              size_t err_sz);

/* ---- the pieces of the step, for tests and benchmarks -------------------------------- */

/* The meta-gradient g of the last prepare (n_params doubles). */
const double *maml_learner_grad(const maml_learner *l);

/* The CG solution x of A x = g of the last TRPO step (n_params doubles; s is a positive
 * multiple of -x), for comparing backends; meaningful after a step whose gradient was
 * finite. NULL for an outer optimiser without a direction (ProMP). */
const double *maml_learner_direction(const maml_learner *l);

/* out = A v at the prepared theta_old (damping included). Valid between prepare and the
 * first objective evaluation. */
void maml_learner_curvature(maml_learner *l, const double *v, double *out);

/* L and KL at any theta, recomputing each theta'_i from S_i (what the line search does).
 * Overwrites the caches: the gradient stays, curvature products need a new adapt+prepare.
 * NaN before all K inner steps are taken. */
void maml_learner_objective(maml_learner *l, const maml_real *theta, double *surr, double *kl);

/* ProMP's objective at any theta, recomputing each theta'_i from S_i:
 *   value = mean_i L_clip(theta'_i; Q_i) + kl_coef * kl,
 *   kl    = mean_i mean_{S_i} KL(pi_theta_old || pi_theta)   (0 when K = 0)
 * L_clip maml_clipped_surrogate_grad's with clip > 0 (ratios to pi_old of prepare), and,
 * with grad not NULL (n_params doubles), its gradient mean_i [J_i^T grad L_clip,i +
 * kl_coef grad KL_i] through the inner steps exactly (J_i = I in first-order mode).
 * clipped (may be NULL) receives the fraction of valid query rows clipped away. Needs a
 * prepare since the last adapt; overwrites the caches like maml_learner_objective. */
void maml_learner_clipped_objective(maml_learner *l, const maml_real *theta, double clip,
                                    double kl_coef, double *value, double *kl, double *clipped,
                                    double *grad);

/* The outer optimiser's state carried between meta-iterations (maml_outer_optimizer.save):
 * written into out when not NULL; returns the count (0: none). */
size_t maml_learner_outer_state(const maml_learner *l, double *out);

/* Restore that state from count numbers (a checkpoint's); MAML_ERR_FORMAT when count is
 * not what this optimiser keeps for these parameters. */
maml_status maml_learner_set_outer_state(maml_learner *l, const double *in, size_t count, char *err,
                                         size_t err_sz);

/* The number of meta-parameters (n_params, plus the step sizes when they are learned), and
 * theta_old (the phi of the last adapt). */
size_t maml_learner_n_params(const maml_learner *l);
const maml_real *maml_learner_theta_old(const maml_learner *l);

#endif
