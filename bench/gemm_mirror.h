/* The GEMM calls each policy product makes (mirroring src/policy.c), to time them bare:
 * the share of bare GEMM speed a product or the learner reaches. Shared by the benchmarks. */
#ifndef MAML_BENCH_GEMM_MIRROR_H
#define MAML_BENCH_GEMM_MIRROR_H

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "maml/policy.h"

typedef struct {
  enum CBLAS_TRANSPOSE ta, tb;
  int m, n, k;
} gemm_shape;

#define MAX_CALLS 64

typedef struct {
  const char *name;
  gemm_shape calls[MAX_CALLS];
  int count;
} gemm_list;

static inline void add(gemm_list *g, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, int m, int n,
                       int k) {
  g->calls[g->count++] = (gemm_shape){ta, tb, m, n, k};
}

/* The GEMM calls each product makes (mirrors src/policy.c). */
static inline void forward_calls(const maml_policy *p, int n, gemm_list *g) {
  for (int l = 0; l < p->n_layers; l++) add(g, CblasNoTrans, CblasTrans, n, p->out[l], p->in[l]);
}
static inline void backward_calls(const maml_policy *p, int n, gemm_list *g) {
  for (int l = p->n_layers - 1; l >= 0; l--) {
    add(g, CblasTrans, CblasNoTrans, p->out[l], p->in[l], n);
    if (l > 0) add(g, CblasNoTrans, CblasNoTrans, n, p->in[l], p->out[l]);
  }
}
static inline void r_forward_calls(const maml_policy *p, int n, gemm_list *g) {
  for (int l = 0; l < p->n_layers; l++) {
    add(g, CblasNoTrans, CblasTrans, n, p->out[l], p->in[l]);
    if (l > 0) add(g, CblasNoTrans, CblasTrans, n, p->out[l], p->in[l]);
  }
}
static inline void r_backward_calls(const maml_policy *p, int n, gemm_list *g) {
  for (int l = p->n_layers - 1; l >= 0; l--) {
    add(g, CblasTrans, CblasNoTrans, p->out[l], p->in[l], n);
    if (l > 0) {
      add(g, CblasTrans, CblasNoTrans, p->out[l], p->in[l], n);
      add(g, CblasNoTrans, CblasNoTrans, n, p->in[l], p->out[l]);
      add(g, CblasNoTrans, CblasNoTrans, n, p->in[l], p->out[l]);
    }
  }
}

static inline double flops(const gemm_list *g) {
  double f = 0;
  for (int i = 0; i < g->count; i++) f += 2.0 * g->calls[i].m * g->calls[i].n * g->calls[i].k;
  return f;
}

/* the bare GEMM calls of a list, on scratch buffers large enough for any of them */
static maml_real *scratch[3]; /* each large enough for any operand of the list */
static inline void run_gemms(const gemm_list *g) {
  for (int i = 0; i < g->count; i++) {
    const gemm_shape *s = &g->calls[i];
    int lda = s->ta == CblasNoTrans ? s->k : s->m;
    int ldb = s->tb == CblasNoTrans ? s->n : s->k;
    maml_gemm(CblasRowMajor, s->ta, s->tb, s->m, s->n, s->k, 1, scratch[0], lda, scratch[1], ldb, 0,
              scratch[2], s->n);
  }
}

/* Single-thread sgemm GFLOP/s on the GEMM calls of one curvature product of the learner
 * (2 Hessian-vector products on the support batch and 1 Fisher-vector product on the query
 * batch, which dominate it): the learner's reference rate. 0 when out of memory. */
static inline double sgemm_rate(const maml_policy *p, int rows) {
  static gemm_list g;
  memset(&g, 0, sizeof g);
  for (int k = 0; k < 2; k++) r_forward_calls(p, rows, &g), r_backward_calls(p, rows, &g);
  r_forward_calls(p, rows, &g);
  backward_calls(p, rows, &g);
  size_t biggest = (size_t)rows * (p->max_width > p->obs_dim ? p->max_width : p->obs_dim);
  for (int i = 0; i < 3; i++)
    if (!(scratch[i] = calloc(biggest, sizeof(maml_real)))) return 0;
  openblas_set_num_threads(1);
  run_gemms(&g); /* warm up */
  int reps = 0;
  double t0 = bench_now();
  while (reps < 3 || bench_now() - t0 < 1.0) run_gemms(&g), reps++;
  double rate = flops(&g) * reps / (bench_now() - t0) * 1e-9;
  for (int i = 0; i < 3; i++) free(scratch[i]), scratch[i] = NULL;
  return rate;
}

#endif
