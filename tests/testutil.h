/* Helpers shared by the test programs: vector norms and finite-difference settings. */
#ifndef MAML_TESTUTIL_H
#define MAML_TESTUTIL_H

#include <math.h>
#include <stddef.h>

#include "maml/real.h"

/* Central differences need double precision to be checked tightly (the bar is
 * 1e-5 in the double build); the float build runs the same checks with a wider step and
 * a tolerance that float rounding allows. */
#ifdef MAML_DOUBLE
#define FD_STEP 1e-6
#define FD_TOL 1e-5
#else
#define FD_STEP 3e-3
#define FD_TOL 3e-2
#endif

static inline double vec_norm(const maml_real *a, size_t n) {
  double s = 0.0;
  for (size_t i = 0; i < n; i++) s += (double)a[i] * a[i];
  return sqrt(s);
}

/* ||a - b|| / max(||a||, ||b||), 0 when both are zero */
static inline double rel_err(const maml_real *a, const maml_real *b, size_t n) {
  double d = 0.0;
  for (size_t i = 0; i < n; i++) d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
  double scale = fmax(vec_norm(a, n), vec_norm(b, n));
  return scale > 0 ? sqrt(d) / scale : 0.0;
}

#endif
