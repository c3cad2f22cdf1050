#include "maml/cg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

maml_status maml_cg_work_alloc(maml_cg_work *w, int n) {
  memset(w, 0, sizeof *w);
  if (n <= 0) return MAML_ERR_ARG;
  double *block = calloc(3 * (size_t)n, sizeof(double));
  if (!block) return MAML_ERR_NOMEM;
  w->block = block;
  w->n = n;
  w->r = block;
  w->p = block + n;
  w->ap = block + 2 * (size_t)n;
  return MAML_OK;
}

void maml_cg_work_free(maml_cg_work *w) {
  if (!w) return;
  free(w->block);
  memset(w, 0, sizeof *w);
}

static double dot(const double *a, const double *b, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

int maml_cg(maml_linear_op apply, void *ctx, const double *b, double *x, int max_iter,
            double residual_tol, maml_cg_work *w) {
  int n = w->n;
  memset(x, 0, (size_t)n * sizeof(double));
  memcpy(w->r, b, (size_t)n * sizeof(double));
  memcpy(w->p, b, (size_t)n * sizeof(double));
  double rr = dot(w->r, w->r, n);
  if (!isfinite(rr)) return -1;
  int it = 0;
  while (it < max_iter && rr >= residual_tol) {
    apply(ctx, w->p, w->ap);
    double pap = dot(w->p, w->ap, n);
    if (!isfinite(pap) || pap <= 0.0) return -1;
    double step = rr / pap;
    for (int i = 0; i < n; i++) {
      x[i] += step * w->p[i];
      w->r[i] -= step * w->ap[i];
    }
    double rr_next = dot(w->r, w->r, n);
    double beta = rr_next / rr;
    for (int i = 0; i < n; i++) w->p[i] = w->r[i] + beta * w->p[i];
    rr = rr_next;
    it++;
  }
  return it;
}
