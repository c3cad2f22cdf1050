/* Adam (Kingma & Ba, ICLR 2015) on a flat parameter vector, in the form of TensorFlow's
 * AdamOptimizer (the optimiser of ProMP's reference code): after t steps,
 *   m <- beta1 m + (1 - beta1) g,   v <- beta2 v + (1 - beta2) g^2
 *   theta <- theta - lr sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps)
 * (eps is added to sqrt(v) before the bias correction, not after as in the paper's
 * Algorithm 1; the two differ only where sqrt(v) is about eps). The moments are doubles;
 * the parameters keep the build's type. Nothing is allocated after maml_adam_init. */
#ifndef MAML_ADAM_H
#define MAML_ADAM_H

#include <stddef.h>

#include "maml/error.h"
#include "maml/real.h"

typedef struct {
  double lr, beta1, beta2, eps;
  size_t n;
  long long t;   /* steps taken since the last reset */
  double *m, *v; /* (n) the first and second moments */
} maml_adam;

/* Moments for n parameters, zeroed, with beta1 0.9, beta2 0.999, eps 1e-8 (TensorFlow's
 * defaults; set the fields to change them). lr must be finite and > 0. */
maml_status maml_adam_init(maml_adam *a, size_t n, double lr, char *err, size_t err_sz);
void maml_adam_free(maml_adam *a); /* NULL-safe; leaves a zeroed */

/* Zero the moments and the step count. */
void maml_adam_reset(maml_adam *a);

/* One descent step along the gradient g (n doubles) on theta. */
void maml_adam_step(maml_adam *a, const double *g, maml_real *theta);

#endif
