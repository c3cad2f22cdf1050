/* The matmul interface: choosing a backend by name (strictly, or falling back with a
 * notice), bf16 rounding against hand-computed bit patterns, and every backend available
 * giving the products of a row-major gemm within the error its arithmetic allows (against
 * sums in double; OpenBLAS bit for bit with cblas; the bf16 backends against sums in double
 * of the bf16-rounded inputs); on the paper's shapes every backend agrees with OpenBLAS, in
 * the products and in the policy's derivatives, creates its objects once per shape and gives
 * the same bits on any thread. */
#include <cblas.h>
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "maml/bf16.h"
#include "maml/matmul.h"
#include "maml/policy.h"
#include "maml/rng.h"
#include "testutil.h"

static maml_real *random_matrix(size_t count, maml_rng *r) {
  maml_real *x = malloc((count ? count : 1) * sizeof *x);
  cr_assert_not_null(x);
  for (size_t i = 0; i < count; i++) x[i] = (maml_real)maml_rng_normal(r);
  return x;
}

static const maml_trans both[2] = {MAML_NO_TRANS, MAML_TRANS};

static const char *name_of(int be) {
  return maml_matmul_name((maml_matmul_backend)be);
}

static int is_bf16(int be) {
  return be == MAML_MATMUL_DNNL_BF16 || be == MAML_MATMUL_EMULATED_BF16;
}

/* The worst error of element (i, j) of C = alpha op(A) op(B) + beta C with backend be, as a
 * multiple of |alpha| sum_p |a_ip b_pj| + |beta c_ij|: float's unit roundoff u = 2^-24 per
 * term of a sum of k, whatever its order, and the scaling (k + 4) u; with bf16 inputs also
 * each input's rounding, 2^-8 relative, twice in a product (2^-7 + 2^-16), then the sum of
 * the rounded products (k + 4) u (1 + 2^-7). */
static double tolerance(int be, int k) {
  const double u = 0x1p-24;
  return is_bf16(be) ? 0x1p-7 + 0x1p-16 + (k + 4) * u * (1 + 0x1p-7) : (k + 4) * u;
}

/* C = alpha op(A) op(B) + beta C in double from A and B rounded to bf16 (round) or not, with
 * |alpha| sum |a b| + |beta c| per element in size (both m x n, row stride n) */
static void exact(maml_trans ta, maml_trans tb, int m, int n, int k, double alpha,
                  const maml_real *a, int lda, const maml_real *b, int ldb, double beta,
                  const maml_real *c, int ldc, int round, double *out, double *size) {
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      double s = 0.0, abs = 0.0;
      for (int p = 0; p < k; p++) {
        double x = ta == MAML_TRANS ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
        double y = tb == MAML_TRANS ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j];
        if (round) x = maml_bf16_round((float)x), y = maml_bf16_round((float)y);
        s += x * y, abs += fabs(x * y);
      }
      double old = beta != 0 ? beta * (double)c[(size_t)i * ldc + j] : 0.0;
      out[(size_t)i * n + j] = alpha * s + old;
      size[(size_t)i * n + j] = fabs(alpha) * abs + fabs(old);
    }
}

/* every element of got (row stride ldc) within tol times its size of want; the worst ratio
 * of error to allowed error */
static double within(const char *what, const maml_real *got, int ldc, const double *want,
                     const double *size, int m, int n, double tol) {
  double worst = 0.0;
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      double g = got[(size_t)i * ldc + j], w = want[(size_t)i * n + j];
      double allowed = tol * size[(size_t)i * n + j] + 1e-37;
      cr_assert(fabs(g - w) <= allowed, "%s: C[%d][%d] = %.9g, exactly %.9g: error %g > %g", what,
                i, j, g, w, fabs(g - w), allowed);
      worst = fmax(worst, fabs(g - w) / allowed);
    }
  return worst;
}

Test(matmul, names_select_backends_and_unknown_ones_are_refused) {
  char err[256];
  cr_assert_eq(maml_matmul_current(), MAML_MATMUL_OPENBLAS);
  cr_assert_str_eq(maml_matmul_name(MAML_MATMUL_OPENBLAS), "openblas");
  cr_assert_str_eq(maml_matmul_name(MAML_MATMUL_DNNL_F32), "dnnl-f32");
  cr_assert_str_eq(maml_matmul_name(MAML_MATMUL_DNNL_BF16), "dnnl-bf16");
  cr_assert_str_eq(maml_matmul_name(MAML_MATMUL_EMULATED_BF16), "emulated-bf16");
  cr_assert_null(maml_matmul_name(MAML_MATMUL_COUNT));
  cr_assert(maml_matmul_available(MAML_MATMUL_OPENBLAS, NULL, 0));
  cr_assert_eq(maml_matmul_select("blas", err, sizeof err), MAML_ERR_ARG);
  cr_assert(strstr(err, "'blas'") && strstr(err, "openblas, dnnl-f32, dnnl-bf16, emulated-bf16"),
            "message: %s", err);
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

/* the backend maml_matmul_request must fall back to from be, worked out here */
static maml_matmul_backend expected_fallback(int be) {
  if (be == MAML_MATMUL_DNNL_BF16 && maml_matmul_available(MAML_MATMUL_DNNL_F32, NULL, 0))
    return MAML_MATMUL_DNNL_F32;
  return MAML_MATMUL_OPENBLAS;
}

Test(matmul, a_backend_not_available_is_requested_with_a_fallback_and_a_notice) {
  char err[256], notice[512];
  cr_assert_eq(maml_matmul_request("bf16", notice, sizeof notice, err, sizeof err), MAML_ERR_ARG);
  cr_assert(strstr(err, "'bf16'") && strstr(err, "openblas, dnnl-f32, dnnl-bf16, emulated-bf16"),
            "message: %s", err);
  cr_assert_eq(maml_matmul_current(), MAML_MATMUL_OPENBLAS);
  cr_assert_eq(maml_matmul_request(NULL, notice, sizeof notice, err, sizeof err), MAML_ERR_ARG);
  for (int be = MAML_MATMUL_COUNT - 1; be >= 0; be--) {
    char why[256] = "", want[512];
    strcpy(notice, "stale");
    int ok = maml_matmul_available((maml_matmul_backend)be, why, sizeof why);
    cr_assert_eq(maml_matmul_request(name_of(be), notice, sizeof notice, err, sizeof err), MAML_OK,
                 "%s: %s", name_of(be), err);
    maml_matmul_backend to = ok ? (maml_matmul_backend)be : expected_fallback(be);
    cr_assert_eq(maml_matmul_current(), to, "%s: %s in use", name_of(be),
                 name_of(maml_matmul_current()));
    if (ok) {
      cr_assert_str_eq(notice, "", "%s", name_of(be));
    } else {
      snprintf(want, sizeof want, "matmul backend '%s' is not available: %s; using %s", name_of(be),
               why, name_of(to));
      cr_assert_str_eq(notice, want);
      cr_assert_null(strchr(notice, '\n'));
    }
  }
  /* the strict variant still refuses */
  cr_assert_eq(maml_matmul_use(MAML_MATMUL_OPENBLAS, err, sizeof err), MAML_OK);
  for (int be = 0; be < MAML_MATMUL_COUNT; be++)
    if (!maml_matmul_available((maml_matmul_backend)be, NULL, 0))
      cr_assert_eq(maml_matmul_select(name_of(be), err, sizeof err), MAML_ERR_ARG);
  cr_assert_eq(maml_matmul_current(), MAML_MATMUL_OPENBLAS);
}

Test(matmul, the_double_build_has_only_openblas) {
#ifdef MAML_DOUBLE
  char why[256];
  cr_assert_not(maml_matmul_available(MAML_MATMUL_DNNL_F32, why, sizeof why));
  cr_assert(strstr(why, "double build") && strstr(why, "f64"), "reason: %s", why);
  cr_assert_not(maml_matmul_available(MAML_MATMUL_DNNL_BF16, why, sizeof why));
  cr_assert(strstr(why, "double build") && strstr(why, "f64"), "reason: %s", why);
  cr_assert_not(maml_matmul_available(MAML_MATMUL_EMULATED_BF16, why, sizeof why));
  cr_assert(strstr(why, "double build"), "reason: %s", why);
#else
  cr_assert(maml_matmul_available(MAML_MATMUL_EMULATED_BF16, NULL, 0));
#endif
}

/* where the dnnl-bf16 backend is not available, the reason names the ISA and the one needed */
Test(matmul, dnnl_bf16_says_why_it_is_not_available) {
  char why[256] = "";
  if (maml_matmul_available(MAML_MATMUL_DNNL_BF16, why, sizeof why))
    cr_skip_test("dnnl-bf16 runs on this CPU");
  cr_assert(why[0]);
  if (maml_matmul_available(MAML_MATMUL_DNNL_F32, NULL, 0))
    cr_assert(strstr(why, "ISA ") && strstr(why, "avx512_core"), "reason: %s", why);
}

static float from_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static uint32_t bits_of(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

/* bf16 rounding: float bit patterns and the bf16 patterns worked out by hand */
Test(matmul, bf16_rounds_to_nearest_even) {
  static const struct {
    uint32_t in;
    uint16_t out;
  } cases[] = {
      {0x3f800000, 0x3f80}, /* 1 */
      {0x3f808000, 0x3f80}, /* 1 + 2^-8, halfway: to the even 1 */
      {0x3f818000, 0x3f82}, /* halfway between 0x3f81 and 0x3f82: to the even, up */
      {0x3f808001, 0x3f81}, /* just above halfway */
      {0x3f807fff, 0x3f80}, /* just below */
      {0x3f7fffff, 0x3f80}, /* just below 1: up into the next exponent */
      {0x3dcccccd, 0x3dcd}, /* 0.1 */
      {0x40490fdb, 0x4049}, /* pi */
      {0xc0490fdb, 0xc049}, /* -pi */
      {0xbf808000, 0xbf80}, /* negative ties, to even */
      {0xbf818000, 0xbf82}, {0x80000000, 0x8000}, /* -0 */
      {0x00008000, 0x0000}, /* subnormal halfway between 0 and the least bf16: to 0 */
      {0x00018000, 0x0002}, /* between 1 and 2 least: to 2 */
      {0x00008001, 0x0001}, {0x00000001, 0x0000},
      {0x807fffff, 0x8080}, /* the most negative subnormal: to minus the least normal */
      {0x7f7f7fff, 0x7f7f}, /* below the largest bf16's halfway point */
      {0x7f7f8000, 0x7f80}, /* halfway from the largest bf16 (odd) on: to infinity */
      {0x7f7fffff, 0x7f80}, /* float's largest */
      {0xff7fffff, 0xff80}, {0x7f800000, 0x7f80}, /* infinities */
      {0xff800000, 0xff80}, {0x7fc00000, 0x7fc0}, /* NaNs stay NaNs, quiet, with their sign */
      {0x7f800001, 0x7fc0},                       /* a NaN that truncation would make an infinity */
      {0xff800001, 0xffc0}, {0xffffffff, 0xffff},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint16_t got = maml_bf16_from_float(from_bits(cases[i].in));
    cr_assert_eq(got, cases[i].out, "0x%08x gave 0x%04x, not 0x%04x", cases[i].in, got,
                 cases[i].out);
  }
  cr_assert(isnan(maml_bf16_round(NAN)));
  cr_assert_eq(maml_bf16_to_float(0x3f80), 1.0f);
  cr_assert_eq(maml_bf16_to_float(0xc049), -3.140625f);
  cr_assert_eq(maml_bf16_to_float(0x0001), 0x1p-133f);
  cr_assert(isinf(maml_bf16_to_float(0xff80)) && maml_bf16_to_float(0xff80) < 0);
  cr_assert_eq(bits_of(maml_bf16_round(from_bits(0x3dcccccd))), 0x3dcd0000u);
}

/* a strided matrix packed row by row, in bf16 or rounded floats */
Test(matmul, bf16_packs_strided_matrices) {
  const float x[2][4] = {{1.0f, from_bits(0x3f808001), -2.5f, 99.0f},
                         {from_bits(0x3f818000), 0.0f, from_bits(0x7f7fffff), 99.0f}};
  uint16_t h[6];
  float f[6];
  maml_bf16_pack(2, 3, &x[0][0], 4, h);
  maml_bf16_round_pack(2, 3, &x[0][0], 4, f);
  const uint16_t want[6] = {0x3f80, 0x3f81, 0xc020, 0x3f82, 0x0000, 0x7f80};
  for (int i = 0; i < 6; i++) {
    cr_assert_eq(h[i], want[i], "element %d: 0x%04x, not 0x%04x", i, h[i], want[i]);
    cr_assert_eq(bits_of(f[i]), (uint32_t)want[i] << 16, "element %d", i);
  }
}

/* every backend available, every transpose, alpha of either sign, beta 0 (C not read: NaN
 * there), 1 and another, on awkward shapes (odd, one-wide, k 1, leading dimensions wider
 * than the rows), within the error its arithmetic allows of the product in double; the bf16
 * backends also within float's rounding alone of the product in double of the rounded
 * inputs (maml_bf16_round, tested above) */
static const int awkward[][3] = {{37, 11, 53}, {1, 1, 1},    {1, 9, 300}, {6, 1, 2},
                                 {70, 3, 1},   {5, 130, 17}, {3, 4, 1000}};

static void check_gemm(int be, maml_trans ta, maml_trans tb, int m, int n, int k, maml_rng *r) {
  const int pad = 3;
  const double alphas[2] = {0.5, -1.25}, betas[3] = {0, 1, -0.75};
  int lda = (ta == MAML_TRANS ? m : k) + pad, ldb = (tb == MAML_TRANS ? k : n) + pad, ldc = n + pad;
  maml_real *a = random_matrix((size_t)(ta == MAML_TRANS ? k : m) * lda, r);
  maml_real *b = random_matrix((size_t)(tb == MAML_TRANS ? n : k) * ldb, r);
  maml_real *c0 = random_matrix((size_t)m * ldc, r), *c = random_matrix((size_t)m * ldc, r);
  double *want = malloc((size_t)m * n * sizeof *want), *size = malloc((size_t)m * n * sizeof *size);
  cr_assert(want && size);
  for (int ai = 0; ai < 2; ai++)
    for (int bi = 0; bi < 3; bi++) {
      char what[160];
      snprintf(what, sizeof what, "%s, %dx%dx%d, trans %d %d, alpha %g, beta %g", name_of(be), m, n,
               k, ta, tb, alphas[ai], betas[bi]);
      memcpy(c, c0, (size_t)m * ldc * sizeof *c);
      if (betas[bi] == 0)
        for (size_t i = 0; i < (size_t)m * ldc; i++) c[i] = NAN;
      maml_matmul_with((maml_matmul_backend)be, ta, tb, m, n, k, (maml_real)alphas[ai], a, lda, b,
                       ldb, (maml_real)betas[bi], c, ldc);
      exact(ta, tb, m, n, k, alphas[ai], a, lda, b, ldb, betas[bi], c0, ldc, 0, want, size);
      within(what, c, ldc, want, size, m, n, tolerance(be, k));
      if (!is_bf16(be)) continue;
      exact(ta, tb, m, n, k, alphas[ai], a, lda, b, ldb, betas[bi], c0, ldc, 1, want, size);
      within(what, c, ldc, want, size, m, n, tolerance(MAML_MATMUL_OPENBLAS, k));
    }
  free(a), free(b), free(c0), free(c), free(want), free(size);
}

Test(matmul, every_backend_computes_a_row_major_gemm) {
  maml_rng r;
  maml_rng_init(&r, 7, 0, MAML_PHASE_TEST, 0, 0);
  for (int be = 0; be < MAML_MATMUL_COUNT; be++) {
    if (!maml_matmul_available((maml_matmul_backend)be, NULL, 0)) continue;
    for (size_t s = 0; s < sizeof awkward / sizeof awkward[0]; s++)
      for (int t = 0; t < 4; t++)
        check_gemm(be, both[t / 2], both[t % 2], awkward[s][0], awkward[s][1], awkward[s][2], &r);
  }
}

/* emulated-bf16 does round: it differs from OpenBLAS on float inputs, and it is OpenBLAS's
 * sgemm bit for bit on inputs rounded beforehand; a NaN input stays a NaN */
Test(matmul, emulated_bf16_is_sgemm_of_rounded_inputs) {
#ifdef MAML_DOUBLE
  cr_skip_test("the double build has no emulated-bf16");
#else
  maml_rng r;
  maml_rng_init(&r, 12, 0, MAML_PHASE_TEST, 0, 0);
  const int m = 50, n = 40, k = 30, lda = k + 2, ldb = k + 1;
  float *a = random_matrix((size_t)m * lda, &r), *b = random_matrix((size_t)n * ldb, &r);
  float *ar = malloc((size_t)m * lda * sizeof *ar), *br = malloc((size_t)n * ldb * sizeof *br);
  float *c[3];
  for (int i = 0; i < 3; i++) cr_assert_not_null(c[i] = calloc((size_t)m * n, sizeof(float)));
  cr_assert(ar && br);
  for (int i = 0; i < m * lda; i++) ar[i] = maml_bf16_round(a[i]);
  for (int i = 0; i < n * ldb; i++) br[i] = maml_bf16_round(b[i]);
  maml_matmul_with(MAML_MATMUL_EMULATED_BF16, MAML_NO_TRANS, MAML_TRANS, m, n, k, 1, a, lda, b, ldb,
                   0, c[0], n);
  maml_matmul_with(MAML_MATMUL_OPENBLAS, MAML_NO_TRANS, MAML_TRANS, m, n, k, 1, a, lda, b, ldb, 0,
                   c[1], n);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, ar, lda, br, ldb, 0, c[2], n);
  double e = rel_err(c[0], c[1], (size_t)m * n);
  cr_assert(e > 1e-4, "emulated-bf16 is within %g of openblas: it does not round", e);
  cr_assert_eq(memcmp(c[0], c[2], (size_t)m * n * sizeof(float)), 0);
  a[lda + 3] = NAN; /* row 1 of A */
  maml_matmul_with(MAML_MATMUL_EMULATED_BF16, MAML_NO_TRANS, MAML_TRANS, m, n, k, 1, a, lda, b, ldb,
                   0, c[0], n);
  for (int j = 0; j < n; j++) cr_assert(isnan(c[0][n + j]) && !isnan(c[0][j]), "column %d", j);
  for (int i = 0; i < 3; i++) free(c[i]);
  free(a), free(b), free(ar), free(br);
#endif
}

/* the bf16 backends' buffers grow with the largest product and are reused after: a smaller
 * or equal product allocates nothing */
Test(matmul, bf16_scratch_buffers_grow_once_and_are_reused) {
  maml_rng r;
  maml_rng_init(&r, 13, 0, MAML_PHASE_TEST, 0, 0);
  const int big = 300;
  maml_real *a = random_matrix((size_t)big * big, &r), *b = random_matrix((size_t)big * big, &r);
  maml_real *c = random_matrix((size_t)big * big, &r);
  int tested = 0;
  for (int be = 0; be < MAML_MATMUL_COUNT; be++) {
    if (!is_bf16(be) || !maml_matmul_available((maml_matmul_backend)be, NULL, 0)) continue;
    tested++;
    maml_matmul_with((maml_matmul_backend)be, MAML_NO_TRANS, MAML_NO_TRANS, 20, 20, 20, 1, a, big,
                     b, big, 0, c, big);
    size_t before = maml_matmul_created();
    maml_matmul_with((maml_matmul_backend)be, MAML_NO_TRANS, MAML_NO_TRANS, big, big, big, 1, a,
                     big, b, big, 0, c, big);
    size_t grown = maml_matmul_created();
    cr_assert_gt(grown, before, "%s: a larger product grew no buffer", name_of(be));
    for (int rep = 0; rep < 3; rep++) {
      maml_matmul_with((maml_matmul_backend)be, MAML_NO_TRANS, MAML_NO_TRANS, big, big, big, 1, a,
                       big, b, big, 0, c, big);
      maml_matmul_with((maml_matmul_backend)be, MAML_TRANS, MAML_NO_TRANS, 20, 20, 20, 1, a, big, b,
                       big, 0, c, big);
    }
    /* dnnl-bf16 creates one primitive for the new transpose; neither allocates a buffer */
    size_t more = be == MAML_MATMUL_DNNL_BF16 ? 1 : 0;
    cr_assert_eq(maml_matmul_created(), grown + more, "%s: %zu objects made by warm products",
                 name_of(be), maml_matmul_created() - grown);
  }
  if (!tested) cr_skip_test("no bf16 backend in this build");
  free(a), free(b), free(c);
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

/* The products policy.c asks for at the paper's sizes (4000 rows, 20 -> 100 -> 100 -> 6):
 * layers forward (A B^T), weight gradients (A^T B) and input gradients (A B). */
typedef struct {
  maml_trans ta, tb;
  int m, n, k;
} product;

static const product paper[] = {
    {MAML_NO_TRANS, MAML_TRANS, 4000, 100, 20},     {MAML_NO_TRANS, MAML_TRANS, 4000, 100, 100},
    {MAML_NO_TRANS, MAML_TRANS, 4000, 6, 100},      {MAML_TRANS, MAML_NO_TRANS, 100, 20, 4000},
    {MAML_TRANS, MAML_NO_TRANS, 100, 100, 4000},    {MAML_TRANS, MAML_NO_TRANS, 6, 100, 4000},
    {MAML_NO_TRANS, MAML_NO_TRANS, 4000, 100, 100}, {MAML_NO_TRANS, MAML_NO_TRANS, 4000, 100, 6},
};

typedef struct {
  maml_real *a, *b, *c0;
  int lda, ldb;
} operands;

static operands make_operands(const product *p, maml_rng *r) {
  operands o;
  o.lda = p->ta == MAML_TRANS ? p->m : p->k;
  o.ldb = p->tb == MAML_TRANS ? p->k : p->n;
  o.a = random_matrix((size_t)p->m * p->k, r);
  o.b = random_matrix((size_t)p->k * p->n, r);
  o.c0 = random_matrix((size_t)p->m * p->n, r);
  return o;
}

static void run(maml_matmul_backend be, const product *p, const operands *o, maml_real beta,
                maml_real *c) {
  memcpy(c, o->c0, (size_t)p->m * p->n * sizeof *c);
  maml_matmul_with(be, p->ta, p->tb, p->m, p->n, p->k, 1, o->a, o->lda, o->b, o->ldb, beta, c,
                   p->n);
}

static int other_backends(void) {
  int count = 0;
  for (int be = 1; be < MAML_MATMUL_COUNT; be++)
    count += maml_matmul_available((maml_matmul_backend)be, NULL, 0);
  return count;
}

Test(matmul, every_backend_agrees_with_openblas_on_the_papers_products) {
  if (!other_backends()) cr_skip_test("OpenBLAS is the only backend of this build");
  maml_rng r;
  maml_rng_init(&r, 9, 0, MAML_PHASE_TEST, 0, 0);
  for (size_t i = 0; i < sizeof paper / sizeof paper[0]; i++) {
    const product *p = &paper[i];
    operands o = make_operands(p, &r);
    size_t count = (size_t)p->m * p->n;
    maml_real *want = malloc(count * sizeof *want), *got = malloc(count * sizeof *got);
    double *exact_c = malloc(count * sizeof *exact_c), *size = malloc(count * sizeof *size);
    cr_assert(want && got && exact_c && size);
    for (int with_beta = 0; with_beta < 2; with_beta++) {
      run(MAML_MATMUL_OPENBLAS, p, &o, (maml_real)with_beta, want);
      /* the sums in double on the first rows (enough, and fast under the sanitizers) */
      int rows = p->m < 400 ? p->m : 400;
      if (with_beta)
        exact(p->ta, p->tb, rows, p->n, p->k, 1, o.a, o.lda, o.b, o.ldb, 1, o.c0, p->n, 0, exact_c,
              size);
      for (int be = 1; be < MAML_MATMUL_COUNT; be++) {
        if (!maml_matmul_available((maml_matmul_backend)be, NULL, 0)) continue;
        run((maml_matmul_backend)be, p, &o, (maml_real)with_beta, got);
        char what[160];
        snprintf(what, sizeof what, "%s, %dx%dx%d trans %d %d beta %d", name_of(be), p->m, p->n,
                 p->k, p->ta, p->tb, with_beta);
        if (with_beta) within(what, got, p->n, exact_c, size, rows, p->n, tolerance(be, p->k));
        double e = rel_err(got, want, count); /* the bf16 ones: what 2^-8 per input gives */
        cr_assert(e < (is_bf16(be) ? 1e-2 : 1e-5), "%s: relative error %g", what, e);
      }
    }
    free(o.a), free(o.b), free(o.c0), free(want), free(got), free(exact_c), free(size);
  }
}

/* the policy's derivatives at the paper's network, and what each backend's products cost
 * in created objects */
typedef struct {
  maml_policy p;
  maml_real *theta, *v, *obs, *act, *adv, *mask;
  maml_batch b;
  maml_policy_cache c;
  maml_policy_work w;
} network;

static void network_make(network *f, int rows) {
  char err[256];
  const int hidden[2] = {100, 100};
  cr_assert_eq(maml_policy_init(&f->p, 20, 6, 2, hidden, MAML_ACT_TANH, 1.0, err, sizeof err),
               MAML_OK, "%s", err);
  maml_rng r;
  maml_rng_init(&r, 10, 0, MAML_PHASE_TEST, 0, 0);
  f->theta = random_matrix(f->p.n_params, &r);
  maml_policy_init_params(&f->p, f->theta, &r);
  f->v = random_matrix(f->p.n_params, &r);
  f->obs = random_matrix((size_t)rows * 20, &r);
  f->act = random_matrix((size_t)rows * 6, &r);
  f->adv = random_matrix((size_t)rows, &r);
  f->mask = random_matrix((size_t)rows, &r);
  for (int i = 0; i < rows; i++) f->mask[i] = i % 7 != 3; /* some padding */
  f->b = (maml_batch){rows, f->obs, f->act, f->adv, f->mask, NULL};
  cr_assert_eq(maml_policy_cache_alloc(&f->c, &f->p, rows), MAML_OK);
  cr_assert_eq(maml_policy_work_alloc(&f->w, &f->p, rows), MAML_OK);
}

static void network_free(network *f) {
  free(f->theta), free(f->v), free(f->obs), free(f->act), free(f->adv), free(f->mask);
  maml_policy_cache_free(&f->c);
  maml_policy_work_free(&f->w);
}

/* the inner-loss gradient, its Hessian along v and the Fisher product along v, in out
 * (3 n_params) */
static void derivatives(network *f, maml_real *out) {
  size_t np = f->p.n_params;
  maml_policy_forward(&f->p, f->theta, f->obs, f->b.n, &f->c);
  maml_inner_loss_grad(&f->p, f->theta, &f->b, &f->c, out);
  maml_inner_loss_hvp(&f->p, f->theta, &f->b, &f->c, &f->w, f->v, out + np);
  maml_policy_fvp(&f->p, f->theta, &f->c, f->mask, &f->w, f->v, out + 2 * np);
}

/* bf16 inputs: a derivative chains several products, each within 2^-7 relative of its size
 * (the bound above), through the activations' derivatives; measured here 3.6e-3 to 4.9e-3 */
#define BF16_DERIVATIVES_TOL 3e-2

Test(matmul, the_policys_derivatives_agree_with_openblas_under_every_backend) {
  if (!other_backends()) cr_skip_test("OpenBLAS is the only backend of this build");
  network f;
  network_make(&f, 2000);
  size_t np = f.p.n_params;
  maml_real *want = malloc(3 * np * sizeof *want), *got = malloc(3 * np * sizeof *got);
  cr_assert(want && got);
  derivatives(&f, want);
  for (int be = 1; be < MAML_MATMUL_COUNT; be++) {
    char err[256];
    if (!maml_matmul_available((maml_matmul_backend)be, NULL, 0)) continue;
    cr_assert_eq(maml_matmul_use((maml_matmul_backend)be, err, sizeof err), MAML_OK, "%s", err);
    derivatives(&f, got);
    const char *what[3] = {"gradient", "Hessian-vector product", "Fisher-vector product"};
    for (int d = 0; d < 3; d++) {
      double e = rel_err(got + d * np, want + d * np, np);
      cr_log_info("%s: the %s is off by %g relative", name_of(be), what[d], e);
      cr_assert(e < (is_bf16(be) ? BF16_DERIVATIVES_TOL : 1e-4), "%s: the %s is off by %g relative",
                name_of(be), what[d], e);
    }
    /* a conjugate-gradient iteration, a new direction on the same batch, creates nothing */
    size_t created = maml_matmul_created();
    for (size_t i = 0; i < np; i++) f.v[i] = -f.v[i] / 2;
    maml_inner_loss_hvp(&f.p, f.theta, &f.b, &f.c, &f.w, f.v, got + np);
    maml_policy_fvp(&f.p, f.theta, &f.c, f.mask, &f.w, f.v, got + 2 * np);
    cr_assert_eq(maml_matmul_created(), created, "%s created %zu objects in a CG iteration",
                 maml_matmul_name((maml_matmul_backend)be), maml_matmul_created() - created);
    for (size_t i = 0; i < np; i++) f.v[i] = -2 * f.v[i]; /* v again for the next backend */
  }
  free(want), free(got);
  network_free(&f);
}

typedef struct {
  maml_matmul_backend be;
  const product *p;
  const operands *o;
  maml_real *c;
} job;

static void *run_job(void *arg) {
  job *j = arg;
  run(j->be, j->p, j->o, 1, j->c);
  return NULL;
}

/* two threads at once and the main thread compute the same bits: each runs the product
 * alone, whatever the number of threads */
Test(matmul, every_backend_gives_the_same_bits_on_any_thread) {
  maml_rng r;
  maml_rng_init(&r, 11, 0, MAML_PHASE_TEST, 0, 0);
  const product *p = &paper[4]; /* the widest weight gradient: 4000 terms a sum */
  operands o = make_operands(p, &r);
  size_t count = (size_t)p->m * p->n;
  for (int be = 0; be < MAML_MATMUL_COUNT; be++) {
    if (!maml_matmul_available((maml_matmul_backend)be, NULL, 0)) continue;
    maml_real *c[3];
    for (int t = 0; t < 3; t++) cr_assert_not_null(c[t] = malloc(count * sizeof(maml_real)));
    run((maml_matmul_backend)be, p, &o, 1, c[0]);
    job jobs[2] = {{(maml_matmul_backend)be, p, &o, c[1]}, {(maml_matmul_backend)be, p, &o, c[2]}};
    pthread_t th[2];
    for (int t = 0; t < 2; t++) cr_assert_eq(pthread_create(&th[t], NULL, run_job, &jobs[t]), 0);
    for (int t = 0; t < 2; t++) pthread_join(th[t], NULL);
    for (int t = 1; t < 3; t++)
      cr_assert_eq(memcmp(c[0], c[t], count * sizeof(maml_real)), 0, "%s: thread %d differs",
                   maml_matmul_name((maml_matmul_backend)be), t);
    for (int t = 0; t < 3; t++) free(c[t]);
  }
  free(o.a), free(o.b), free(o.c0);
}
