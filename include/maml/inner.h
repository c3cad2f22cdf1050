/* The inner objective of the meta-learner: the loss each task's adaptation descends,
 *   theta^{k+1} = theta^k - alpha grad L_in(theta^k; S_i),
 * given as its gradient and its exact Hessian-vector product on a support batch, which is
 * all the learner (meta.h) needs: the gradient for the steps, the product for
 * J_i = prod_k (I - alpha H_k) and its transpose in the meta-gradient and the curvature.
 *
 * Two are built in (maml_inner_objective_get):
 *   reinforce  L = -mean_S [A log pi_theta(a|s)]                    (the MAML paper's)
 *   lvc        L = -mean_S [A pi_theta(a|s) / pi_theta0(a|s)]       (ProMP's LVC)
 * with theta0 the parameters that sampled S, held fixed. Their gradients agree at theta0,
 * bit for bit; LVC's Hessian adds -mean_S [A r grad log pi grad log pi^T]
 * (r = pi_theta / pi_theta0), the credit to the pre-update policy's exploration.
 *
 * Another objective is a maml_inner_objective of its own passed in maml_meta_params.inner
 * (the learner borrows it): its grad must leave in the cache what its hvp reads, its hvp
 * must be the exact Hessian of the loss grad differentiates (symmetric: J^T is applied as
 * the steps' products in reverse order), and both must allocate nothing. */
#ifndef MAML_INNER_H
#define MAML_INNER_H

#include "maml/policy.h"

/* The built-in inner objectives. */
typedef enum {
  MAML_INNER_REINFORCE = 0, /* -mean_S [A log pi_theta] (the paper's) */
  MAML_INNER_LVC = 1        /* -mean_S [A pi_theta / pi_theta0] (ProMP's LVC) */
} maml_inner_loss;
#define MAML_INNER_COUNT 2

typedef struct maml_inner_objective {
  const char *name; /* as the config key inner_loss spells it */
  /* L_in at theta and (grad not NULL) its gradient into grad; c holds a forward pass of
   * b->obs at theta; with grad not NULL, leaves in c what hvp needs */
  double (*grad)(const maml_policy *p, const maml_real *theta, const maml_batch *b,
                 maml_policy_cache *c, maml_real *grad);
  /* out = (d^2 L_in / d theta^2) v after grad(p, theta, b, c, non-NULL) on this cache */
  void (*hvp)(const maml_policy *p, const maml_real *theta, const maml_batch *b,
              const maml_policy_cache *c, maml_policy_work *w, const maml_real *v, maml_real *out);
  /* 1: reads b->logp_old, which the learner sets to log pi_theta0(a|s) on S (theta0: the
   * parameters of maml_learner_adapt, the ones that sampled S) at every inner step and
   * every objective evaluation; 0: b->logp_old is not read */
  int reads_logp0;
} maml_inner_objective;

/* The built-in objective of that name; NULL for a value that is not a maml_inner_loss. */
const maml_inner_objective *maml_inner_objective_get(maml_inner_loss loss);

/* "reinforce", "lvc"; NULL for a value that is not a maml_inner_loss. */
const char *maml_inner_loss_name(maml_inner_loss loss);

#endif
