/* Conjugate gradient on a matrix-free symmetric positive definite operator. */
#ifndef MAML_CG_H
#define MAML_CG_H

#include "maml/error.h"

/* out = A v for the operator's n-vectors; ctx is the caller's. */
typedef void (*maml_linear_op)(void *ctx, const double *v, double *out);

typedef struct {
  int n;
  double *r, *p, *ap; /* residual, search direction, A p */
  void *block;
} maml_cg_work;

maml_status maml_cg_work_alloc(maml_cg_work *w, int n);
void maml_cg_work_free(maml_cg_work *w);

/* Solve A x = b starting from x = 0, for at most max_iter iterations or until the squared
 * residual norm falls below residual_tol. On a normal return w->r holds the residual
 * b - A x (updated by the iterations), so x^T A x = x^T b - x^T r needs no product. Returns the
 * number of iterations run, or -1 if the operator produced a non-finite value or non-positive
 * curvature (x then holds the last good iterate). */
int maml_cg(maml_linear_op apply, void *ctx, const double *b, double *x, int max_iter,
            double residual_tol, maml_cg_work *w);

#endif
