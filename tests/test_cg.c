/* Conjugate gradient on a random symmetric positive definite system. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "maml/cg.h"
#include "maml/rng.h"

typedef struct {
  int n;
  double *a; /* (n, n) */
} dense;

static void apply_dense(void *ctx, const double *v, double *out) {
  const dense *m = ctx;
  for (int i = 0; i < m->n; i++) {
    double s = 0;
    for (int j = 0; j < m->n; j++) s += m->a[i * m->n + j] * v[j];
    out[i] = s;
  }
}

Test(cg, solves_a_random_spd_system) {
  enum { N = 40 };
  static double b_mat[N * N], a[N * N], x_true[N], rhs[N], x[N];
  maml_rng r;
  maml_rng_init(&r, 4, 0, MAML_PHASE_TEST, 0, 0);
  for (int i = 0; i < N * N; i++) b_mat[i] = maml_rng_normal(&r);
  /* A = B^T B + I: symmetric, positive definite, condition number in the hundreds */
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      double s = i == j ? 1.0 : 0.0;
      for (int k = 0; k < N; k++) s += b_mat[k * N + i] * b_mat[k * N + j];
      a[i * N + j] = s;
    }
  for (int i = 0; i < N; i++) x_true[i] = maml_rng_normal(&r);
  dense m = {N, a};
  apply_dense(&m, x_true, rhs);
  maml_cg_work w;
  cr_assert_eq(maml_cg_work_alloc(&w, N), MAML_OK);
  int it = maml_cg(apply_dense, &m, rhs, x, 10 * N, 1e-30, &w);
  cr_assert(it > 0);
  double err = 0, norm = 0;
  for (int i = 0; i < N; i++)
    err += (x[i] - x_true[i]) * (x[i] - x_true[i]), norm += x_true[i] * x_true[i];
  cr_assert(sqrt(err / norm) < 1e-8, "relative error %g after %d iterations", sqrt(err / norm), it);
  maml_cg_work_free(&w);
}

Test(cg, stops_at_max_iterations_and_on_small_residual) {
  enum { N = 5 };
  double a[N * N] = {0}, rhs[N] = {1, 2, 3, 4, 5}, x[N];
  for (int i = 0; i < N; i++) a[i * N + i] = i + 1.0;
  dense m = {N, a};
  maml_cg_work w;
  cr_assert_eq(maml_cg_work_alloc(&w, N), MAML_OK);
  cr_assert_eq(maml_cg(apply_dense, &m, rhs, x, 2, 0.0, &w), 2);
  /* a diagonal with 5 distinct values is solved exactly in 5 iterations */
  int it = maml_cg(apply_dense, &m, rhs, x, 100, 1e-20, &w);
  cr_assert(it <= N + 1, "took %d iterations", it);
  for (int i = 0; i < N; i++) cr_assert_float_eq(x[i], 1.0, 1e-9);
  maml_cg_work_free(&w);
}

Test(cg, refuses_an_indefinite_operator) {
  enum { N = 2 };
  double a[N * N] = {1, 0, 0, -1}, rhs[N] = {0, 1}, x[N];
  dense m = {N, a};
  maml_cg_work w;
  cr_assert_eq(maml_cg_work_alloc(&w, N), MAML_OK);
  cr_assert_eq(maml_cg(apply_dense, &m, rhs, x, 10, 1e-20, &w), -1);
  maml_cg_work_free(&w);
}
