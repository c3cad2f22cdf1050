/* The policy's matrix products: backend selection and dispatch (see maml/matmul.h). */
#include "maml/matmul.h"

#include <cblas.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "maml/bf16.h"
#include "matmul_scratch.h"
#ifdef MAML_HAVE_DNNL
#include "matmul_dnnl.h"
#endif

static const char *const names[MAML_MATMUL_COUNT] = {"openblas", "dnnl-f32", "dnnl-bf16",
                                                     "emulated-bf16"};
#define ALLOWED "openblas, dnnl-f32, dnnl-bf16, emulated-bf16"

static atomic_int current = MAML_MATMUL_OPENBLAS;

const char *maml_matmul_name(maml_matmul_backend b) {
  return b >= 0 && b < MAML_MATMUL_COUNT ? names[b] : NULL;
}

static void say(char *why, size_t why_sz, const char *text) {
  if (why && why_sz) snprintf(why, why_sz, "%s", text);
}

int maml_matmul_available(maml_matmul_backend b, char *why, size_t why_sz) {
  switch (b) {
    case MAML_MATMUL_OPENBLAS: return 1;
    case MAML_MATMUL_DNNL_F32:
#if defined(MAML_DOUBLE)
      say(why, why_sz, "the double build has no dnnl-f32 backend (oneDNN has no f64 matmul)");
      return 0;
#elif defined(MAML_HAVE_DNNL)
      return maml_dnnl_available(why, why_sz);
#else
      say(why, why_sz,
          "this build has no oneDNN (install libdnnl-dev and configure with -DMAML_DNNL=ON)");
      return 0;
#endif
    case MAML_MATMUL_DNNL_BF16:
#if defined(MAML_DOUBLE)
      say(why, why_sz, "the double build has no dnnl-bf16 backend (oneDNN has no f64 matmul)");
      return 0;
#elif defined(MAML_HAVE_DNNL)
      return maml_dnnl_bf16_available(why, why_sz);
#else
      say(why, why_sz,
          "this build has no oneDNN (install libdnnl-dev and configure with -DMAML_DNNL=ON)");
      return 0;
#endif
    case MAML_MATMUL_EMULATED_BF16:
#if defined(MAML_DOUBLE)
      say(why, why_sz,
          "the double build has no emulated-bf16 backend (it is for the float build's bf16 "
          "accuracy; the double build checks derivatives in double)");
      return 0;
#else
      return 1;
#endif
    case MAML_MATMUL_COUNT: break;
  }
  say(why, why_sz, "not a matmul backend");
  return 0;
}

maml_status maml_matmul_use(maml_matmul_backend b, char *err, size_t err_sz) {
  char why[256];
  if (!maml_matmul_available(b, why, sizeof why))
    return maml_fail(err, err_sz, MAML_ERR_ARG, "matmul backend '%s' is not available: %s",
                     maml_matmul_name(b) ? maml_matmul_name(b) : "?", why);
  atomic_store(&current, (int)b);
  return MAML_OK;
}

/* the backend named name, or -1 */
static int find(const char *name) {
  for (int b = 0; b < MAML_MATMUL_COUNT; b++)
    if (name && !strcmp(name, names[b])) return b;
  return -1;
}

static maml_status unknown(const char *name, char *err, size_t err_sz) {
  return maml_fail(err, err_sz, MAML_ERR_ARG, "unknown matmul backend '%s'; allowed: " ALLOWED,
                   name ? name : "(none)");
}

maml_status maml_matmul_select(const char *name, char *err, size_t err_sz) {
  int b = find(name);
  return b < 0 ? unknown(name, err, err_sz) : maml_matmul_use((maml_matmul_backend)b, err, err_sz);
}

/* the backend to try when b is not available: the next slower one of its kind */
static maml_matmul_backend fallback(maml_matmul_backend b) {
  return b == MAML_MATMUL_DNNL_BF16 ? MAML_MATMUL_DNNL_F32 : MAML_MATMUL_OPENBLAS;
}

maml_status maml_matmul_request(const char *name, char *notice, size_t notice_sz, char *err,
                                size_t err_sz) {
  say(notice, notice_sz, "");
  int b = find(name);
  if (b < 0) return unknown(name, err, err_sz);
  char why[256];
  if (maml_matmul_available((maml_matmul_backend)b, why, sizeof why))
    return maml_matmul_use((maml_matmul_backend)b, err, err_sz);
  maml_matmul_backend to = fallback((maml_matmul_backend)b);
  while (!maml_matmul_available(to, NULL, 0)) to = fallback(to); /* openblas always is */
  if (notice && notice_sz)
    snprintf(notice, notice_sz, "matmul backend '%s' is not available: %s; using %s", names[b], why,
             names[to]);
  return maml_matmul_use(to, err, err_sz);
}

maml_matmul_backend maml_matmul_current(void) {
  return (maml_matmul_backend)atomic_load_explicit(&current, memory_order_relaxed);
}

void maml_matmul_describe(char *out, size_t out_sz) {
  if (!out || !out_sz) return;
  int len = snprintf(out, out_sz, "%s (available:", names[maml_matmul_current()]);
  const char *sep = " ";
  for (int b = 0; b < MAML_MATMUL_COUNT; b++) {
    if (len < 0 || (size_t)len >= out_sz) return;
    if (!maml_matmul_available((maml_matmul_backend)b, NULL, 0)) continue;
    len += snprintf(out + len, out_sz - (size_t)len, "%s%s", sep, names[b]);
    sep = ", ";
  }
  if (len >= 0 && (size_t)len < out_sz) len += snprintf(out + len, out_sz - (size_t)len, ")");
  if (len < 0 || (size_t)len >= out_sz) return;
  char what[200] = "";
#ifdef MAML_HAVE_DNNL
  if (maml_matmul_current() == MAML_MATMUL_DNNL_F32) maml_dnnl_describe(what, sizeof what);
  if (maml_matmul_current() == MAML_MATMUL_DNNL_BF16) maml_dnnl_bf16_describe(what, sizeof what);
#endif
  if (maml_matmul_current() == MAML_MATMUL_EMULATED_BF16)
    say(what, sizeof what, "inputs rounded to bf16, then OpenBLAS sgemm");
  if (what[0]) snprintf(out + len, out_sz - (size_t)len, "; %s", what);
}

static void blas(maml_trans ta, maml_trans tb, int m, int n, int k, maml_real alpha,
                 const maml_real *a, int lda, const maml_real *b, int ldb, maml_real beta,
                 maml_real *c, int ldc) {
  maml_gemm(CblasRowMajor, ta == MAML_TRANS ? CblasTrans : CblasNoTrans,
            tb == MAML_TRANS ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c,
            ldc);
}

#ifndef MAML_DOUBLE
/* emulated-bf16: A and B rounded to bf16 into the thread's scratch buffers, each packed
 * with the rows of its storage, then sgemm; 0 when done, -1 (nothing written) without
 * memory for the buffers */
static int emulated(maml_trans ta, maml_trans tb, int m, int n, int k, float alpha, const float *a,
                    int lda, const float *b, int ldb, float beta, float *c, int ldc) {
  int a_rows = ta == MAML_TRANS ? k : m, a_cols = ta == MAML_TRANS ? m : k;
  int b_rows = tb == MAML_TRANS ? n : k, b_cols = tb == MAML_TRANS ? k : n;
  if (m <= 0 || n <= 0 || k <= 0) return -1; /* no inputs to round */
  float *a16 = maml_matmul_scratch(MAML_SCRATCH_A, (size_t)a_rows * a_cols * sizeof *a16);
  float *b16 = maml_matmul_scratch(MAML_SCRATCH_B, (size_t)b_rows * b_cols * sizeof *b16);
  if (!a16 || !b16) return -1;
  maml_bf16_round_pack(a_rows, a_cols, a, lda, a16);
  maml_bf16_round_pack(b_rows, b_cols, b, ldb, b16);
  blas(ta, tb, m, n, k, alpha, a16, a_cols, b16, b_cols, beta, c, ldc);
  return 0;
}
#endif

void maml_matmul_with(maml_matmul_backend backend, maml_trans ta, maml_trans tb, int m, int n,
                      int k, maml_real alpha, const maml_real *a, int lda, const maml_real *b,
                      int ldb, maml_real beta, maml_real *c, int ldc) {
#ifdef MAML_HAVE_DNNL
  /* a shape oneDNN refuses (it should not happen) still gets its product */
  if (backend == MAML_MATMUL_DNNL_F32 &&
      maml_dnnl_matmul(ta == MAML_TRANS, tb == MAML_TRANS, m, n, k, alpha, a, lda, b, ldb, beta, c,
                       ldc) == 0)
    return;
  /* and a bf16 one the same numbers, but for the order of the sums, from emulated-bf16 */
  if (backend == MAML_MATMUL_DNNL_BF16 &&
      maml_dnnl_bf16_matmul(ta == MAML_TRANS, tb == MAML_TRANS, m, n, k, alpha, a, lda, b, ldb,
                            beta, c, ldc) == 0)
    return;
#endif
#ifndef MAML_DOUBLE
  if ((backend == MAML_MATMUL_DNNL_BF16 || backend == MAML_MATMUL_EMULATED_BF16) &&
      emulated(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) == 0)
    return;
#endif
  (void)backend;
  blas(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void maml_matmul(maml_trans ta, maml_trans tb, int m, int n, int k, maml_real alpha,
                 const maml_real *a, int lda, const maml_real *b, int ldb, maml_real beta,
                 maml_real *c, int ldc) {
  maml_matmul_with(maml_matmul_current(), ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

size_t maml_matmul_created(void) {
#ifdef MAML_HAVE_DNNL
  return maml_dnnl_created() + maml_matmul_scratch_grown();
#else
  return maml_matmul_scratch_grown();
#endif
}
