/* Benchmark: the learner's products at the paper's sizes, against bare GEMM.
 *
 * For each matmul backend (maml/matmul.h) and each product (forward, inner-loss gradient,
 * Hessian-vector, Fisher-vector, and the LVC inner loss's Hessian-vector product, whose
 * matrix products are the same as REINFORCE's) it prints the time per call, the GFLOP/s of the
 * matrix products it must do, and the time of the same sequence of matrix products (same shapes,
 * same transposes) run bare with that backend: the ratio is the share of the backend's
 * GEMM rate the product reaches. Every backend runs on one thread, as inside the
 * sampler's and learner's workers.
 *
 *   bench_policy [--rows N] [--hidden 100,100] [--obs 20] [--act 6] [--tanh] [--seconds S]
 *                [--backend openblas,dnnl-f32,dnnl-bf16,emulated-bf16] */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_backend.h"
#include "bench_util.h"
#include "gemm_mirror.h"
#include "maml/matmul.h"
#include "maml/policy.h"
#include "src/cmd/blas_kernels.h"

typedef struct {
  const maml_policy *p;
  const maml_real *theta, *v;
  maml_batch b;
  maml_policy_cache *c;
  maml_policy_work *w;
  maml_real *out;
} state;

static void do_forward(state *s) {
  maml_policy_forward(s->p, s->theta, s->b.obs, s->b.n, s->c);
}
static void do_gradient(state *s) {
  maml_inner_loss_grad(s->p, s->theta, &s->b, s->c, s->out);
}
static void do_hvp(state *s) {
  maml_inner_loss_hvp(s->p, s->theta, &s->b, s->c, s->w, s->v, s->out);
}
static void do_lvc_hvp(state *s) {
  maml_lvc_loss_hvp(s->p, s->theta, &s->b, s->c, s->w, s->v, s->out);
}
static void do_fvp(state *s) {
  maml_policy_fvp(s->p, s->theta, s->c, s->b.mask, s->w, s->v, s->out);
}
/* the bare products of a list with one backend */
static maml_matmul_backend bare_backend;
static void do_gemms(state *s) {
  const gemm_list *g = (const gemm_list *)(const void *)s->v;
  if (bare_backend == MAML_MATMUL_OPENBLAS) {
    run_gemms(g);
    return;
  }
  for (int i = 0; i < g->count; i++) {
    const gemm_shape *c = &g->calls[i];
    maml_trans ta = c->ta == CblasTrans ? MAML_TRANS : MAML_NO_TRANS;
    maml_trans tb = c->tb == CblasTrans ? MAML_TRANS : MAML_NO_TRANS;
    maml_matmul_with(bare_backend, ta, tb, c->m, c->n, c->k, 1, scratch[0],
                     ta == MAML_NO_TRANS ? c->k : c->m, scratch[1],
                     tb == MAML_NO_TRANS ? c->n : c->k, 0, scratch[2], c->n);
  }
}

/* median seconds per call over repetitions filling about `seconds` */
static double time_it(void (*fn)(state *), state *s, double seconds) {
  enum { MAX_REPS = 2001 };
  static double times[MAX_REPS];
  fn(s); /* warm up: pages touched, caches filled */
  int reps = 0;
  double start = bench_now();
  while (reps < MAX_REPS && (reps < 5 || bench_now() - start < seconds)) {
    double t0 = bench_now();
    fn(s);
    times[reps++] = bench_now() - t0;
  }
  for (int i = 1; i < reps; i++)
    for (int j = i; j > 0 && times[j] < times[j - 1]; j--) {
      double t = times[j];
      times[j] = times[j - 1], times[j - 1] = t;
    }
  return times[reps / 2];
}

int main(int argc, char **argv) {
  cmd_select_blas_kernels(argv);
  int rows = 4000, obs_dim = 20, act_dim = 6, hidden[MAML_MAX_HIDDEN] = {100, 100}, n_hidden = 2;
  double seconds = 1.0;
  maml_activation activation = MAML_ACT_RELU;
  maml_matmul_backend backends[MAML_MATMUL_COUNT];
  int n_backends = bench_backends_available(backends);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      printf(
          "usage: bench_policy [--rows N] [--obs D] [--act A] [--hidden 100,100] [--tanh]"
          " [--seconds S]\n                    [--backend LIST]\n\nTime the policy's"
          " products at the given sizes (default: the paper's, 4000 rows,\n20 -> 100 -> 100"
          " -> 6 ReLU) against bare GEMM on the same shapes, with each matmul\nbackend of"
          " LIST in turn (comma-separated; default every one available of:\n%s).\n",
          bench_backend_names());
      return 0;
    } else if (!strcmp(a, "--tanh")) {
      activation = MAML_ACT_TANH;
    } else if (next && !strcmp(a, "--rows")) {
      if (bench_int_option("bench_policy", a, next, 1, 10000000, &rows)) return 2;
      i++;
    } else if (next && !strcmp(a, "--obs")) {
      if (bench_int_option("bench_policy", a, next, 1, 100000, &obs_dim)) return 2;
      i++;
    } else if (next && !strcmp(a, "--act")) {
      if (bench_int_option("bench_policy", a, next, 1, 100000, &act_dim)) return 2;
      i++;
    } else if (next && !strcmp(a, "--hidden")) {
      n_hidden = bench_parse_ints(next, hidden, MAML_MAX_HIDDEN, 1, 1 << 20), i++;
      if (n_hidden < 0) {
        fprintf(stderr,
                "bench_policy: --hidden takes up to %d positive widths like 100,100 "
                "(got '%s')\n",
                MAML_MAX_HIDDEN, next);
        return 2;
      }
    } else if (next && !strcmp(a, "--backend")) {
      if ((n_backends = bench_parse_backends("bench_policy", next, backends)) < 0) return 2;
      i++;
    } else if (next && !strcmp(a, "--seconds")) {
      if (!cmd_parse_double("bench_policy", a, next, 0, 3600, &seconds)) return 2;
      i++;
    } else {
      fprintf(stderr, "bench_policy: unknown or incomplete option '%s' (see --help)\n", a);
      return 2;
    }
  }
  openblas_set_num_threads(1);

  char err[256];
  maml_policy p;
  if (maml_policy_init(&p, obs_dim, act_dim, n_hidden, hidden, activation, 1.0, err, sizeof err)) {
    fprintf(stderr, "bench_policy: %s\n", err);
    return 2;
  }
  size_t np = p.n_params;
  maml_real *theta = malloc(np * sizeof *theta), *v = malloc(np * sizeof *v);
  maml_real *out = malloc(np * sizeof *out);
  maml_real *obs = malloc((size_t)rows * obs_dim * sizeof *obs);
  maml_real *act = malloc((size_t)rows * act_dim * sizeof *act);
  maml_real *adv = malloc((size_t)rows * sizeof *adv), *mask = malloc((size_t)rows * sizeof *mask);
  maml_real *logp0 = malloc((size_t)rows * sizeof *logp0);
  maml_policy_cache c;
  maml_policy_work w;
  if (!theta || !v || !out || !obs || !act || !adv || !mask || !logp0 ||
      maml_policy_cache_alloc(&c, &p, rows) || maml_policy_work_alloc(&w, &p, rows)) {
    fprintf(stderr, "bench_policy: out of memory\n");
    return 1;
  }
  maml_rng r;
  maml_rng_init(&r, 1, 0, MAML_PHASE_TEST, 0, 0);
  maml_policy_init_params(&p, theta, &r);
  for (size_t i = 0; i < np; i++) v[i] = (maml_real)maml_rng_normal(&r);
  for (size_t i = 0; i < (size_t)rows * obs_dim; i++) obs[i] = (maml_real)maml_rng_normal(&r);
  for (size_t i = 0; i < (size_t)rows * act_dim; i++) act[i] = (maml_real)maml_rng_normal(&r);
  for (int i = 0; i < rows; i++) adv[i] = (maml_real)maml_rng_normal(&r), mask[i] = 1;

  size_t biggest = (size_t)rows * (p.max_width > obs_dim ? p.max_width : obs_dim);
  for (int i = 0; i < 3; i++) {
    scratch[i] = calloc(biggest, sizeof(maml_real));
    if (!scratch[i]) return 1;
  }

  state s = {&p, theta, v, {rows, obs, act, adv, mask, logp0}, &c, &w, out};
  maml_policy_forward(&p, theta, obs, rows, &c);
  /* the LVC denominator: pi at theta with its log-std moved (the ratios are then not 1) */
  theta[np - 1] += 0.1f;
  maml_policy_log_prob(&p, theta, c.mu, act, rows, logp0);
  theta[np - 1] -= 0.1f;
  maml_inner_loss_grad(&p, theta, &s.b, &c, out);

  gemm_list lists[5] = {{"forward", {{0}}, 0},
                        {"gradient", {{0}}, 0},
                        {"Hessian-vector", {{0}}, 0},
                        {"Fisher-vector", {{0}}, 0},
                        {"LVC Hessian-vec", {{0}}, 0}};
  forward_calls(&p, rows, &lists[0]);
  backward_calls(&p, rows, &lists[1]);
  r_forward_calls(&p, rows, &lists[2]);
  r_backward_calls(&p, rows, &lists[2]);
  r_forward_calls(&p, rows, &lists[3]);
  backward_calls(&p, rows, &lists[3]);
  r_forward_calls(&p, rows, &lists[4]);
  r_backward_calls(&p, rows, &lists[4]);
  void (*fns[5])(state *) = {do_forward, do_gradient, do_hvp, do_fvp, do_lvc_hvp};

  for (int bi = 0; bi < n_backends; bi++) {
    char why[256];
    if (maml_matmul_use(backends[bi], why, sizeof why) != MAML_OK) {
      fprintf(stderr, "bench_policy: %s\n", why);
      return 2;
    }
    bare_backend = backends[bi];
    maml_policy_forward(&p, theta, obs, rows, &c);
    printf("%spolicy products: %d rows, %d", bi ? "\n" : "", rows, obs_dim);
    for (int l = 0; l < n_hidden; l++) printf(" -> %d", hidden[l]);
    printf(" -> %d %s, %zu parameters, %s, matmul %s, 1 thread\n", act_dim,
           activation == MAML_ACT_RELU ? "ReLU" : "tanh", np, MAML_REAL_NAME,
           maml_matmul_name(backends[bi]));
    printf("%-16s %10s %10s %10s %12s %10s\n", "product", "ms/call", "GFLOP/s", "GEMM ms",
           "GEMM GFLOP/s", "of GEMM");
    for (int k = 0; k < 5; k++) {
      /* the gradient leaves the cache as the Hessian-vector product needs it */
      if (k == 2) maml_inner_loss_grad(&p, theta, &s.b, &c, out);
      if (k == 4) maml_lvc_loss_grad(&p, theta, &s.b, &c, out);
      double t = time_it(fns[k], &s, seconds);
      state g = s;
      g.v = (const maml_real *)(const void *)&lists[k];
      double tg = time_it(do_gemms, &g, seconds);
      double f = flops(&lists[k]);
      printf("%-16s %10.3f %10.2f %10.3f %12.2f %9.0f%%\n", lists[k].name, 1e3 * t, f / t * 1e-9,
             1e3 * tg, f / tg * 1e-9, 100.0 * tg / t);
    }
  }
  for (int i = 0; i < 3; i++) free(scratch[i]);
  free(theta), free(v), free(out), free(obs), free(act), free(adv), free(mask), free(logp0);
  maml_policy_cache_free(&c);
  maml_policy_work_free(&w);
  return 0;
}
