/* The outer optimiser of the meta-learner: how theta moves once the learner has prepared
 * the meta-gradient (meta.h). It works through the learner's public products only, so
 * another one is a maml_outer_optimizer of its own passed in maml_meta_params.
 * outer_optimizer (the learner borrows it):
 *   trpo   x = CG(A, g) with the curvature A (the KL's Hessian through the inner steps),
 *          s = -sqrt(2 delta / x^T A x) x, a backtracking line search on theta_old +
 *          beta^j s that recomputes every theta'_i from S_i and accepts the first candidate
 *          that lowers the surrogate within the KL bound delta (MAML-TRPO, the default)
 *   promp  ProMP's (Rothfuss et al., ICLR 2019): promp_steps Adam steps (adam.h,
 *          learning rate promp_lr) on the same batches, descending
 *            L(theta) = mean_i L_clip(theta'_i(theta); Q_i)
 *                       + eta mean_i mean_{S_i} KL(pi_theta_old || pi_theta)
 *          (L_clip: maml_clipped_surrogate_grad with clip promp_clip, its ratio to the
 *          adapted policy that sampled Q_i; eta promp_kl_coef; the KL on the support states
 *          of the pre-update policy, none when K = 0), theta'_i recomputed from S_i at every
 *          step and the gradient taken through the inner steps exactly
 *          (maml_learner_clipped_objective). The first step uses prepare's gradient (the
 *          ratios are 1 there, so nothing is clipped, and the KL's gradient is zero).
 *          Every step is taken; the outcome is MAML_STEP_NONFINITE (theta untouched, and
 *          Adam's state as before the step) when a gradient or the final objective is not
 *          finite. Adam's moments and step count carry over from one meta-iteration to the
 *          next, as in the reference code (one TensorFlow AdamOptimizer for the whole run);
 *          they are the optimiser's state (save / load), kept in the checkpoints. */
#ifndef MAML_OUTER_H
#define MAML_OUTER_H

#include <stddef.h>

#include "maml/error.h"
#include "maml/real.h"

/* The built-in outer optimisers. */
typedef enum {
  MAML_OUTER_TRPO = 0, /* MAML-TRPO's conjugate-gradient step and line search */
  MAML_OUTER_PROMP = 1 /* ProMP's Adam steps on the clipped surrogate */
} maml_outer_kind;
#define MAML_OUTER_COUNT 2

struct maml_learner;
struct maml_meta_params;
struct maml_step_stats;

typedef struct maml_outer_optimizer {
  const char *name; /* as the config key outer spells it */
  /* its state for learner l (sizes from maml_learner_n_params); allocates all it needs */
  maml_status (*create)(void **state, const struct maml_learner *l,
                        const struct maml_meta_params *mp, char *err, size_t err_sz);
  void (*destroy)(void *state); /* NULL-safe */
  /* From the prepared state (maml_learner_prepare): writes the new parameters into theta
   * (which holds theta_old) or leaves it untouched. stats arrive with surr_before,
   * surr_after (= surr_before) and grad_norm filled (and a finite gradient); the optimiser
   * sets the outcome and the rest. */
  void (*step)(void *state, struct maml_learner *l, maml_real *theta,
               struct maml_step_stats *stats);
  /* the search direction of the last step (n_params doubles), or NULL for none */
  const double *(*direction)(const void *state);
  /* the state carried from one meta-iteration to the next, as numbers: save writes them
   * into out (when not NULL) and returns their count; load takes count numbers back and
   * returns 0 when count is not save's. Both NULL: nothing is carried over. */
  size_t (*save)(const void *state, double *out);
  int (*load)(void *state, const double *in, size_t count);
} maml_outer_optimizer;

/* The built-in optimiser; NULL for a value that is not a maml_outer_kind. */
const maml_outer_optimizer *maml_outer_optimizer_get(maml_outer_kind kind);

/* "trpo", "promp"; NULL for a value that is not a maml_outer_kind. */
const char *maml_outer_name(maml_outer_kind kind);

#endif
