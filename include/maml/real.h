/* The floating-point type of the network math, and the BLAS calls that go with it.
 *
 * float by default, like the reference implementations; double when the project is
 * configured with -DMAML_DOUBLE=ON (used by the finite-difference tests); the generated
 * maml/build_config.h records which, so that a program built on the library gets its type
 * (and a mismatch is refused: see there). Scalar reductions and conjugate-gradient vectors
 * are always double. */
#ifndef MAML_REAL_H
#define MAML_REAL_H

#include <cblas.h>
#include <stddef.h>

#include "maml/build_config.h"

#ifdef MAML_DOUBLE
typedef double maml_real;
#define MAML_REAL_NAME "double"
#define maml_gemm cblas_dgemm
#define maml_axpy cblas_daxpy
#define maml_scal cblas_dscal
#define MAML_REAL_EPS 2.220446049250313e-16
#else
typedef float maml_real;
#define MAML_REAL_NAME "float"
#define maml_gemm cblas_sgemm
#define maml_axpy cblas_saxpy
#define maml_scal cblas_sscal
#define MAML_REAL_EPS 1.1920929e-07
#endif

/* 1 when every one of x[0 .. n) is finite (a NaN or an infinity times zero is NaN, which
 * the sum carries: a loop the compiler vectorises) */
static inline int maml_reals_finite(const maml_real *x, size_t n) {
  double s = 0.0;
  for (size_t j = 0; j < n; j++) s += (double)x[j] * 0.0;
  return s == 0.0;
}

#endif
