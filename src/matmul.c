/* The policy's matrix products: backend selection and dispatch (see maml/matmul.h). */
#include "maml/matmul.h"

#include <cblas.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#ifdef MAML_HAVE_DNNL
#include "matmul_dnnl.h"
#endif

static const char *const names[MAML_MATMUL_COUNT] = {"openblas", "dnnl-f32"};

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

maml_status maml_matmul_select(const char *name, char *err, size_t err_sz) {
  for (int b = 0; b < MAML_MATMUL_COUNT; b++)
    if (name && !strcmp(name, names[b]))
      return maml_matmul_use((maml_matmul_backend)b, err, err_sz);
  return maml_fail(err, err_sz, MAML_ERR_ARG,
                   "unknown matmul backend '%s'; allowed: openblas, dnnl-f32",
                   name ? name : "(none)");
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
#ifdef MAML_HAVE_DNNL
  if (maml_matmul_current() == MAML_MATMUL_DNNL_F32 && len >= 0 && (size_t)len < out_sz) {
    char what[160];
    maml_dnnl_describe(what, sizeof what);
    snprintf(out + len, out_sz - (size_t)len, "; %s", what);
  }
#endif
}

static void blas(maml_trans ta, maml_trans tb, int m, int n, int k, maml_real alpha,
                 const maml_real *a, int lda, const maml_real *b, int ldb, maml_real beta,
                 maml_real *c, int ldc) {
  maml_gemm(CblasRowMajor, ta == MAML_TRANS ? CblasTrans : CblasNoTrans,
            tb == MAML_TRANS ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c,
            ldc);
}

void maml_matmul_with(maml_matmul_backend backend, maml_trans ta, maml_trans tb, int m, int n,
                      int k, maml_real alpha, const maml_real *a, int lda, const maml_real *b,
                      int ldb, maml_real beta, maml_real *c, int ldc) {
#ifdef MAML_HAVE_DNNL
  /* a shape oneDNN refuses (it should not happen) still gets its product */
  if (backend == MAML_MATMUL_DNNL_F32 &&
      maml_dnnl_matmul(ta == MAML_TRANS, tb == MAML_TRANS, m, n, k, alpha, a, lda, b, ldb, beta, c,
                       ldc) == 0)
    return;
#else
  (void)backend;
#endif
  blas(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void maml_matmul(maml_trans ta, maml_trans tb, int m, int n, int k, maml_real alpha,
                 const maml_real *a, int lda, const maml_real *b, int ldb, maml_real beta,
                 maml_real *c, int ldc) {
  maml_matmul_with(maml_matmul_current(), ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

size_t maml_matmul_created(void) {
#ifdef MAML_HAVE_DNNL
  return maml_dnnl_created();
#else
  return 0;
#endif
}
