/* The matmul interface: choosing a backend by name, and every backend available giving the
 * products of a row-major gemm (against loops, and OpenBLAS bit for bit with cblas). */
#include <cblas.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "maml/matmul.h"
#include "maml/rng.h"
#include "testutil.h"

static maml_real *random_matrix(size_t count, maml_rng *r) {
  maml_real *x = malloc((count ? count : 1) * sizeof *x);
  cr_assert_not_null(x);
  for (size_t i = 0; i < count; i++) x[i] = (maml_real)maml_rng_normal(r);
  return x;
}

/* C = alpha op(A) op(B) + beta C in double, by loops */
static void reference(maml_trans ta, maml_trans tb, int m, int n, int k, double alpha,
                      const maml_real *a, int lda, const maml_real *b, int ldb, double beta,
                      maml_real *c, int ldc) {
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      double s = 0.0;
      for (int p = 0; p < k; p++) {
        double x = ta == MAML_TRANS ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
        double y = tb == MAML_TRANS ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j];
        s += x * y;
      }
      double old = beta != 0 ? (double)c[(size_t)i * ldc + j] : 0.0;
      c[(size_t)i * ldc + j] = (maml_real)(alpha * s + beta * old);
    }
}

static const maml_trans both[2] = {MAML_NO_TRANS, MAML_TRANS};

Test(matmul, names_select_backends_and_unknown_ones_are_refused) {
  char err[256];
  cr_assert_eq(maml_matmul_current(), MAML_MATMUL_OPENBLAS);
  cr_assert_str_eq(maml_matmul_name(MAML_MATMUL_OPENBLAS), "openblas");
  cr_assert_str_eq(maml_matmul_name(MAML_MATMUL_DNNL_F32), "dnnl-f32");
  cr_assert_null(maml_matmul_name(MAML_MATMUL_COUNT));
  cr_assert(maml_matmul_available(MAML_MATMUL_OPENBLAS, NULL, 0));
  cr_assert_eq(maml_matmul_select("blas", err, sizeof err), MAML_ERR_ARG);
  cr_assert(strstr(err, "'blas'") && strstr(err, "openblas, dnnl-f32"), "message: %s", err);
  cr_assert_eq(maml_matmul_select(NULL, err, sizeof err), MAML_ERR_ARG);
  for (int b = 0; b < MAML_MATMUL_COUNT; b++) {
    char why[256] = "";
    int ok = maml_matmul_available((maml_matmul_backend)b, why, sizeof why);
    maml_status s = maml_matmul_select(maml_matmul_name((maml_matmul_backend)b), err, sizeof err);
    if (ok) {
      cr_assert_eq(s, MAML_OK, "%s", err);
      cr_assert_eq(maml_matmul_current(), (maml_matmul_backend)b);
    } else {
      /* refused with the reason, and the backend in use unchanged */
      cr_assert_eq(s, MAML_ERR_ARG);
      cr_assert(why[0] && strstr(err, why) && strstr(err, "not available"), "message: %s", err);
      cr_assert_eq(maml_matmul_current(), MAML_MATMUL_OPENBLAS);
    }
    cr_assert_eq(maml_matmul_use(MAML_MATMUL_OPENBLAS, err, sizeof err), MAML_OK);
  }
  char text[256];
  maml_matmul_describe(text, sizeof text);
  cr_assert(!strncmp(text, "openblas (available: openblas", 29), "described as: %s", text);
}

Test(matmul, the_double_build_has_only_openblas) {
#ifdef MAML_DOUBLE
  char why[256];
  cr_assert_not(maml_matmul_available(MAML_MATMUL_DNNL_F32, why, sizeof why));
  cr_assert(strstr(why, "double build") && strstr(why, "f64"), "reason: %s", why);
#else
  cr_skip_test("a float build");
#endif
}

/* every backend available, every transpose, beta 0 (C not read: NaN there) and 1, against
 * loops; odd sizes and leading dimensions wider than the rows */
Test(matmul, every_backend_computes_a_row_major_gemm) {
  maml_rng r;
  maml_rng_init(&r, 7, 0, MAML_PHASE_TEST, 0, 0);
  const int m = 37, n = 11, k = 53, pad = 3;
  for (int be = 0; be < MAML_MATMUL_COUNT; be++) {
    if (!maml_matmul_available((maml_matmul_backend)be, NULL, 0)) continue;
    for (int t = 0; t < 4; t++) {
      maml_trans ta = both[t / 2], tb = both[t % 2];
      int lda = (ta == MAML_TRANS ? m : k) + pad, ldb = (tb == MAML_TRANS ? k : n) + pad;
      int ldc = n + pad;
      maml_real *a = random_matrix((size_t)(ta == MAML_TRANS ? k : m) * lda, &r);
      maml_real *b = random_matrix((size_t)(tb == MAML_TRANS ? n : k) * ldb, &r);
      for (int with_beta = 0; with_beta < 2; with_beta++) {
        maml_real *c = random_matrix((size_t)m * ldc, &r),
                  *want = random_matrix((size_t)m * ldc, &r);
        memcpy(want, c, (size_t)m * ldc * sizeof *c);
        if (!with_beta)
          for (size_t i = 0; i < (size_t)m * ldc; i++) c[i] = NAN;
        maml_real beta = with_beta ? 1 : 0;
        reference(ta, tb, m, n, k, 0.5, a, lda, b, ldb, beta, want, ldc);
        maml_matmul_with((maml_matmul_backend)be, ta, tb, m, n, k, 0.5, a, lda, b, ldb, beta, c,
                         ldc);
        for (int i = 0; i < m; i++) {
          double e = rel_err(c + (size_t)i * ldc, want + (size_t)i * ldc, (size_t)n);
          cr_assert(e < 1e-5, "%s, trans %d %d, beta %g: row %d off by %g",
                    maml_matmul_name((maml_matmul_backend)be), ta, tb, (double)beta, i, e);
        }
        free(c), free(want);
      }
      free(a), free(b);
    }
  }
}

/* OpenBLAS through the interface is the cblas call itself: training is unchanged by it */
Test(matmul, openblas_is_bit_identical_to_cblas) {
  maml_rng r;
  maml_rng_init(&r, 8, 0, MAML_PHASE_TEST, 0, 0);
  const int m = 300, n = 100, k = 20;
  maml_real *a = random_matrix((size_t)m * k, &r), *b = random_matrix((size_t)n * k, &r);
  maml_real *c = random_matrix((size_t)m * n, &r), *d = malloc((size_t)m * n * sizeof *d);
  cr_assert_not_null(d);
  memcpy(d, c, (size_t)m * n * sizeof *c);
  maml_matmul(MAML_NO_TRANS, MAML_TRANS, m, n, k, 1, a, k, b, k, 1, c, n);
  maml_gemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, a, k, b, k, 1, d, n);
  cr_assert_eq(memcmp(c, d, (size_t)m * n * sizeof *c), 0);
  cr_assert_eq(maml_matmul_created(), 0);
  free(a), free(b), free(c), free(d);
}
