/* The matmul interface: choosing a backend by name, and every backend available giving the
 * products of a row-major gemm (against loops, and OpenBLAS bit for bit with cblas); on the
 * paper's shapes every backend agrees with OpenBLAS, in the products and in the policy's
 * derivatives, creates its objects once per shape and gives the same bits on any thread. */
#include <cblas.h>
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

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
    cr_assert(want && got);
    for (int with_beta = 0; with_beta < 2; with_beta++) {
      run(MAML_MATMUL_OPENBLAS, p, &o, (maml_real)with_beta, want);
      for (int be = 1; be < MAML_MATMUL_COUNT; be++) {
        if (!maml_matmul_available((maml_matmul_backend)be, NULL, 0)) continue;
        run((maml_matmul_backend)be, p, &o, (maml_real)with_beta, got);
        double e = rel_err(got, want, count);
        cr_assert(e < 1e-5, "%s, %dx%dx%d trans %d %d beta %d: relative error %g",
                  maml_matmul_name((maml_matmul_backend)be), p->m, p->n, p->k, p->ta, p->tb,
                  with_beta, e);
      }
    }
    free(o.a), free(o.b), free(o.c0), free(want), free(got);
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
      cr_assert(e < 1e-4, "%s: the %s is off by %g relative",
                maml_matmul_name((maml_matmul_backend)be), what[d], e);
    }
    /* a conjugate-gradient iteration, a new direction on the same batch, creates nothing */
    size_t created = maml_matmul_created();
    for (size_t i = 0; i < np; i++) f.v[i] = -f.v[i] / 2;
    maml_inner_loss_hvp(&f.p, f.theta, &f.b, &f.c, &f.w, f.v, got + np);
    maml_policy_fvp(&f.p, f.theta, &f.c, f.mask, &f.w, f.v, got + 2 * np);
    cr_assert_eq(maml_matmul_created(), created, "%s created %zu objects in a CG iteration",
                 maml_matmul_name((maml_matmul_backend)be), maml_matmul_created() - created);
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
