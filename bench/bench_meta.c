/* Benchmark: one whole meta-iteration (second-order MAML-TRPO), split into sampling and
 * learner, with the learner's GFLOP/s against bare OpenBLAS sgemm on the same shapes, for each
 * matmul backend (maml/matmul.h) in the same run.
 *
 * Presets:
 *   paper    cheetah-vel, 40 tasks x 20 episodes x 200 steps, 100 x 100 ReLU (the paper's)
 *   pytorch  cheetah-vel, 40 tasks x 20 episodes x 100 steps, 64 x 64 tanh (pytorch-maml-rl's
 *            defaults, the figure users compare against)
 * Each configuration runs one warm-up iteration (first-touch page faults), then times
 * --iterations more and prints their mean. The learner's FLOPs are those of the matrix
 * products it must do (maml_policy_product_flops); the sgemm reference runs, on one thread,
 * the GEMM calls of one curvature product (2 Hessian-vector products on the support batch
 * and 1 Fisher-vector product on the query batch, which dominate the learner), so
 * "of sgemm" = learner GFLOP/s per thread / that rate. The reference is OpenBLAS's sgemm for
 * every backend (measured once per preset), so a backend faster than it reads over 100%.
 * Each preset and thread count gives one line per backend (every backend available, or those
 * of --backend) and, with two or more, a line with the learner's speed-up of each over
 * openblas (over the first listed when openblas is not).
 *
 * Under mpirun each rank takes its block of the tasks (comm.h); comm_s is the time per
 * iteration spent in the exchanges, waiting for the slowest rank included, and MB the size
 * of the buffers gathered per iteration (each rank receives the other ranks' share).
 *
 * --inner-loss reinforce,lvc times each inner loss (meta.h) in turn, one table each (default
 * reinforce): LVC's Hessian-vector product has the same matrix products as REINFORCE's, so
 * its GFLOP column is the same and its learner_s should be too.
 *
 * --outer trpo,promp times each outer optimiser (outer.h) in turn, a table for each pair
 * of inner loss and outer optimiser (default trpo): ProMP's defaults, 5 Adam steps of
 * which the last 4 re-adapt every task and pull the clipped surrogate's gradient back
 * through the inner step, against TRPO's 10 CG iterations and its line search.
 *
 * --learn-alpha no,param,layer times each step-size mode (step_size.h) in turn with each
 * pair (default no): learned step sizes add element-wise work (a (.) u, g (.) u per inner
 * step) to the same matrix products, so their GFLOP column is the same and their "of sgemm"
 * shows that work's cost.
 *
 *   bench_meta [--preset paper|pytorch|all] [--threads 1,2] [--iterations N]
 *              [--backend openblas,dnnl-f32,dnnl-bf16,emulated-bf16]
 *              [--inner-loss reinforce,lvc] [--outer trpo,promp] [--learn-alpha no,param]
 *   mpirun -np 2 bench_meta --threads 1 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_backend.h"
#include "bench_util.h"
#include "gemm_mirror.h"
#include "maml/comm.h"
#include "maml/pool.h"
#include "maml/train.h"
#include "src/cmd/blas_kernels.h"

typedef struct {
  const char *name;
  int horizon, hidden;
  maml_activation act;
} preset;

static const preset presets[] = {
    {"paper", 200, 100, MAML_ACT_RELU},
    {"pytorch", 100, 64, MAML_ACT_TANH},
};

static maml_comm *comm;

/* One configuration with one backend: its line, and its learner seconds per iteration in
 * *learn_s. *ref is the sgemm reference, measured on the first call with *ref 0. */
static int run(const preset *ps, int threads, int iterations, maml_matmul_backend backend,
               maml_inner_loss loss, maml_outer_kind outer, maml_learn_alpha learn_alpha,
               double *ref, double *learn_s) {
  maml_config c;
  char err[4096];
  if (maml_matmul_use(backend, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "bench_meta: %s\n", err);
    return 1;
  }
  maml_config_defaults(&c);
  snprintf(c.env, sizeof c.env, "cheetah-vel");
  c.tasks = 40, c.episodes = 20, c.horizon = ps->horizon, c.iterations = iterations + 1;
  c.n_hidden = 2, c.hidden[0] = c.hidden[1] = ps->hidden, c.activation = ps->act;
  c.threads = threads;
  c.inner_loss = loss;
  c.outer = outer;
  c.learn_alpha = learn_alpha;
  maml_trainer *t;
  if (maml_config_resolve(&c, err, sizeof err) != MAML_OK ||
      maml_trainer_create(&t, &c, NULL, comm, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "bench_meta: %s\n", err);
    return 1;
  }
  maml_iter_metrics m;
  double sample = 0, learn = 0, total = 0, gflop = 0, comm_s = 0, comm_b = 0;
  for (int i = 0; i <= iterations; i++) {
    double s0 = maml_comm_seconds(comm), b0 = maml_comm_bytes(comm);
    if (maml_trainer_iterate(t, &m, err, sizeof err) != MAML_OK) {
      fprintf(stderr, "bench_meta: %s\n", err);
      maml_trainer_destroy(t);
      return 1;
    }
    if (i == 0) continue; /* warm-up */
    sample += m.sample_seconds, learn += m.learn_seconds, total += m.seconds;
    gflop += m.step.flops * 1e-9;
    comm_s += maml_comm_seconds(comm) - s0, comm_b += maml_comm_bytes(comm) - b0;
  }
  if (*ref == 0) *ref = sgemm_rate(maml_trainer_policy(t), c.episodes * c.horizon);
  int used = maml_trainer_threads(t);
  maml_trainer_destroy(t);
  double rate = gflop / learn;
  int ranks = maml_comm_size(comm);
  *learn_s = learn / iterations;
  printf("%-8s %5d %7d %-13s %9.3f %10.3f %9.3f %7.3f %7.1f %8.1f %10.1f %11.1f %8.0f%%\n",
         ps->name, ranks, used, maml_matmul_name(backend), sample / iterations, learn / iterations,
         total / iterations, comm_s / iterations, comm_b / iterations * 1e-6, gflop / iterations,
         rate, *ref, 100.0 * rate / (used * ranks) / *ref);
  fflush(stdout);
  return 0;
}

/* The learner's speed-up of each backend over openblas (or the first listed without it) */
static void print_speedups(const preset *ps, int threads, const maml_matmul_backend *list,
                           const double *learn_s, int count) {
  int base = 0;
  for (int i = 0; i < count; i++)
    if (list[i] == MAML_MATMUL_OPENBLAS) base = i;
  printf("%-8s %5s %7d %-13s learner over %s:", ps->name, "", threads, "speed-up",
         maml_matmul_name(list[base]));
  for (int i = 0; i < count; i++)
    if (i != base)
      printf(" %s %.2fx", maml_matmul_name(list[i]),
             learn_s[i] > 0 ? learn_s[base] / learn_s[i] : 0.0);
  printf("\n");
  fflush(stdout);
}

/* A comma-separated list of names (the count names of name(0 .. count)) into out, as the
 * names' indices, each at most once in count; -1 after a message naming the option. */
static int parse_names(const char *opt, const char *list, int count, const char *(*name)(int),
                       int *out) {
  char buf[128], allowed[128] = "";
  for (int k = 0; k < count; k++)
    snprintf(allowed + strlen(allowed), sizeof allowed - strlen(allowed), "%s%s", k ? ", " : "",
             name(k));
  snprintf(buf, sizeof buf, "%s", list);
  int n = 0;
  char *save = NULL;
  for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    int found = -1;
    for (int k = 0; k < count; k++)
      if (!strcmp(tok, name(k))) found = k;
    if (found < 0 || n == count) {
      fprintf(stderr, "bench_meta: %s takes a list of %s (got '%s')\n", opt, allowed, list);
      return -1;
    }
    out[n++] = found;
  }
  if (n == 0) fprintf(stderr, "bench_meta: %s takes a list of %s\n", opt, allowed);
  return n ? n : -1;
}

static const char *inner_name(int k) {
  return maml_inner_loss_name((maml_inner_loss)k);
}
static const char *outer_name(int k) {
  return maml_outer_name((maml_outer_kind)k);
}
static const char *alpha_name(int k) {
  return maml_learn_alpha_name((maml_learn_alpha)k);
}

static int bench(int argc, char **argv);

int main(int argc, char **argv) {
  cmd_select_blas_kernels(argv);
  char err[256];
  if (maml_comm_init(&argc, &argv, &comm, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "bench_meta: %s\n", err);
    return 1;
  }
  if (maml_comm_rank(comm) > 0 && !freopen("/dev/null", "w", stdout)) fclose(stdout);
  int rc = bench(argc, argv);
  maml_comm_finalize(comm);
  return rc;
}

static int bench(int argc, char **argv) {
  int threads[16] = {1, maml_cpu_count()}, n_threads = maml_cpu_count() > 1 ? 2 : 1;
  int iterations = 2;
  const char *which = "all";
  maml_matmul_backend backends[MAML_MATMUL_COUNT];
  int n_backends = bench_backends_available(backends);
  int losses[MAML_INNER_COUNT] = {MAML_INNER_REINFORCE};
  int n_losses = 1;
  int outers[MAML_OUTER_COUNT] = {MAML_OUTER_TRPO};
  int n_outers = 1;
  int alphas[MAML_LEARN_ALPHA_COUNT] = {MAML_ALPHA_FIXED};
  int n_alphas = 1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      printf(
          "usage: bench_meta [--preset paper|pytorch|all] [--threads 1,2] [--iterations N]\n"
          "                  [--backend LIST] [--inner-loss reinforce,lvc]\n"
          "                  [--outer trpo,promp] [--learn-alpha no,param,layer]\n\n"
          "Time one second-order MAML-TRPO meta-iteration on cheetah-vel, split into\n"
          "sampling and learner, with the learner's GFLOP/s against single-thread OpenBLAS\n"
          "sgemm on the same shapes. paper: 40 x 20 x 200, 100x100 ReLU; pytorch: 40 x 20 x\n"
          "100, 64x64 tanh (pytorch-maml-rl's defaults). Default threads: 1 and all cores.\n"
          "\n"
          "--backend LIST   each matmul backend in turn, one line each, then the learner's\n"
          "                 speed-up of each over openblas (comma-separated; default every\n"
          "                 one available; names: %s)\n"
          "--inner-loss L   each inner loss of the list in turn, a table each (default\n"
          "                 reinforce)\n"
          "--outer L        each outer optimiser in turn with each inner loss, a table each\n"
          "                 (default trpo; promp: ProMP's Adam steps, the config's defaults)\n"
          "--learn-alpha L  each step-size mode in turn with each of those (default no;\n"
          "                 param, layer: learned inner step sizes, the key learn_alpha)\n",
          bench_backend_names());
      return 0;
    } else if (next && !strcmp(a, "--preset")) {
      which = next, i++;
      if (strcmp(which, "paper") && strcmp(which, "pytorch") && strcmp(which, "all")) {
        fprintf(stderr, "bench_meta: --preset takes paper, pytorch or all (got '%s')\n", which);
        return 2;
      }
    } else if (next && !strcmp(a, "--threads")) {
      n_threads = bench_parse_ints(next, threads, 16, 1, 1024), i++;
      if (n_threads <= 0) {
        fprintf(stderr, "bench_meta: --threads takes a list like 1,2 (got '%s')\n", next);
        return 2;
      }
    } else if (next && !strcmp(a, "--iterations")) {
      if (bench_int_option("bench_meta", a, next, 1, 1000, &iterations)) return 2;
      i++;
    } else if (next && !strcmp(a, "--inner-loss")) {
      if ((n_losses = parse_names(a, next, MAML_INNER_COUNT, inner_name, losses)) < 0) return 2;
      i++;
    } else if (next && !strcmp(a, "--outer")) {
      if ((n_outers = parse_names(a, next, MAML_OUTER_COUNT, outer_name, outers)) < 0) return 2;
      i++;
    } else if (next && !strcmp(a, "--learn-alpha")) {
      if ((n_alphas = parse_names(a, next, MAML_LEARN_ALPHA_COUNT, alpha_name, alphas)) < 0)
        return 2;
      i++;
    } else if (next && !strcmp(a, "--backend")) {
      if ((n_backends = bench_parse_backends("bench_meta", next, backends)) < 0) return 2;
      i++;
    } else {
      fprintf(stderr, "bench_meta: unknown or incomplete option '%s' (see --help)\n", a);
      return 2;
    }
  }
  printf(
      "one meta-iteration, cheetah-vel, 40 tasks x 20 episodes, second order, mean of %d "
      "(after 1 warm-up)\n",
      iterations);
  bench_print_backends(backends, n_backends);
  for (int t = 0; t < n_losses * n_outers * n_alphas; t++) {
    int il = t / (n_outers * n_alphas), io = t / n_alphas % n_outers, ia = t % n_alphas;
    printf("inner loss %s, outer %s", inner_name(losses[il]), outer_name(outers[io]));
    if (alphas[ia] != MAML_ALPHA_FIXED) printf(", learned step sizes (%s)", alpha_name(alphas[ia]));
    printf("\n");
    printf("%-8s %5s %7s %-13s %9s %10s %9s %7s %7s %8s %10s %11s %9s\n", "preset", "ranks",
           "threads", "matmul", "sample_s", "learner_s", "total_s", "comm_s", "MB", "GFLOP",
           "GFLOP/s", "sgemm/thr", "of sgemm");
    for (size_t p = 0; p < sizeof presets / sizeof presets[0]; p++) {
      if (strcmp(which, "all") && strcmp(which, presets[p].name)) continue;
      double ref = 0, learn_s[MAML_MATMUL_COUNT];
      for (int k = 0; k < n_threads; k++) {
        for (int b = 0; b < n_backends; b++)
          if (run(&presets[p], threads[k], iterations, backends[b], (maml_inner_loss)losses[il],
                  (maml_outer_kind)outers[io], (maml_learn_alpha)alphas[ia], &ref, &learn_s[b]))
            return 1;
        if (n_backends > 1) print_speedups(&presets[p], threads[k], backends, learn_s, n_backends);
      }
    }
  }
  printf(
      "reference: pytorch-maml-rl takes about 6 s per step at the pytorch preset with its\n"
      "best thread setting (20-25 s with its defaults) on this machine kind (issue 4).\n");
  return 0;
}
