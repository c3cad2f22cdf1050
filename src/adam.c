/* Adam on a flat vector (maml/adam.h). */
#include "maml/adam.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

maml_status maml_adam_init(maml_adam *a, size_t n, double lr, char *err, size_t err_sz) {
  memset(a, 0, sizeof *a);
  if (!(lr > 0) || !isfinite(lr))
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "Adam's learning rate must be a finite number > 0 (got %g)", lr);
  a->m = calloc(n ? n : 1, sizeof *a->m);
  a->v = calloc(n ? n : 1, sizeof *a->v);
  if (!a->m || !a->v) {
    maml_adam_free(a);
    return maml_fail(err, err_sz, MAML_ERR_NOMEM,
                     "out of memory for Adam's moments (%zu parameters)", n);
  }
  a->lr = lr, a->beta1 = 0.9, a->beta2 = 0.999, a->eps = 1e-8, a->n = n;
  return MAML_OK;
}

void maml_adam_free(maml_adam *a) {
  if (!a) return;
  free(a->m), free(a->v);
  memset(a, 0, sizeof *a);
}

void maml_adam_reset(maml_adam *a) {
  memset(a->m, 0, a->n * sizeof *a->m);
  memset(a->v, 0, a->n * sizeof *a->v);
  a->t = 0;
}

void maml_adam_step(maml_adam *a, const double *g, maml_real *theta) {
  a->t++;
  double t = (double)a->t;
  double lr_t = a->lr * sqrt(1.0 - pow(a->beta2, t)) / (1.0 - pow(a->beta1, t));
  for (size_t j = 0; j < a->n; j++) {
    a->m[j] = a->beta1 * a->m[j] + (1.0 - a->beta1) * g[j];
    a->v[j] = a->beta2 * a->v[j] + (1.0 - a->beta2) * g[j] * g[j];
    theta[j] = (maml_real)(theta[j] - lr_t * a->m[j] / (sqrt(a->v[j]) + a->eps));
  }
}
