/* Learned inner step sizes (Meta-SGD, Li et al. 2017; ProMP's trainable_inner_step_size).
 *
 * With a learned step size the meta-parameters are phi = [theta (n); a (m)]: the policy's
 * n parameters (policy.h's layout) followed by m step sizes, and an inner step is
 *   theta^{k+1} = theta^k - a (.) grad L_in(theta^k; S)
 * with a step size per parameter (param: m = n, parameter j uses a_j) or per parameter
 * tensor (layer: one per weight matrix, bias vector and the log-std vector, m =
 * 2 n_layers + 1, in the layout's order W_0, b_0, W_1, b_1, ..., log_std). Without (no),
 * m = 0 and the step is the fixed alpha of the config. The step sizes start at alpha. */
#ifndef MAML_STEP_SIZE_H
#define MAML_STEP_SIZE_H

#include <stddef.h>

#include "maml/policy.h"

typedef enum {
  MAML_ALPHA_FIXED = 0, /* the config's alpha (the paper's) */
  MAML_ALPHA_PARAM = 1, /* one step size per parameter */
  MAML_ALPHA_LAYER = 2  /* one step size per parameter tensor */
} maml_learn_alpha;
#define MAML_LEARN_ALPHA_COUNT 3

/* the most step sizes a policy has in layer mode */
#define MAML_STEP_SIZE_TENSORS_MAX (2 * (MAML_MAX_HIDDEN + 1) + 1)

/* "no", "param", "layer"; NULL for a value that is not a maml_learn_alpha. */
const char *maml_learn_alpha_name(maml_learn_alpha mode);

/* m, the number of step sizes of policy p in this mode (0 for no or a bad value). */
size_t maml_step_size_count(const maml_policy *p, maml_learn_alpha mode);

/* index[j] = the step size (0 .. m) of parameter j, for j < p->n_params (mode param or
 * layer). */
void maml_step_size_index(const maml_policy *p, maml_learn_alpha mode, int *index);

/* out[j] = the step size of parameter j (a[index j]), for j < p->n_params: the learned step
 * sizes a (maml_step_size_count(p, mode) of them) spread over the parameters. */
void maml_step_size_expand(const maml_policy *p, maml_learn_alpha mode, const maml_real *a,
                           maml_real *out);

/* a[0 .. m) = alpha */
void maml_step_size_init(maml_real *a, size_t m, double alpha);

/* The minimum, median (the mean of the middle two for an even count) and maximum of
 * a[0 .. m), m >= 1; scratch holds m doubles. */
void maml_step_size_summary(const maml_real *a, size_t m, double *scratch, double *min,
                            double *median, double *max);

#endif
