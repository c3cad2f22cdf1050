/* The performance report: where the time of a meta-iteration goes, against the limits.
 *
 * For each family (default cheetah-vel and ant-vel) at the paper's sizes (40 tasks x 20
 * episodes x 200 steps, 100 x 100 ReLU, second-order MAML-TRPO, 10 CG iterations) and each
 * thread count (default 1, 2 and the machine's cores if more), measured in one run:
 *   raw       mj_step rate of the model, one mjData per thread, zero control (the limit),
 *             over the robot's frame skip (per step of the environment);
 *   env       the environment's step rate, zero action: mj_step plus what the task needs
 *             (the ant: the contact forces of the new state, one more constraint solve);
 *   sampler   steps per second of the sampler at the paper's batch, and its share of raw
 *             and of env (what the policy and the bookkeeping cost);
 *   iteration one whole meta-iteration (mean of --iterations after a warm-up), split into
 *             sampling and learner;
 *   learner   GFLOP/s of the products it must do (maml_policy_product_flops), per thread,
 *             against single-thread sgemm on the GEMM calls of one curvature product;
 *   speed-up  of the sampler and of the iteration against 1 thread (the same backend's).
 * Each row is timed with each matmul backend (maml/matmul.h) in turn: every one available,
 * or those of --backend; the sgemm reference is OpenBLAS's for all of them.
 * With --scaling, also the iteration time on cheetah-vel at all cores when one of tasks,
 * episodes, horizon or width takes three values (the others at the paper's).
 * A table on stdout; with --out DIR, DIR/report.json, DIR/threads.csv, DIR/scaling.csv
 * (docs/performance.gp draws the plots from them), each thread row with its backend. The
 * scaling runs use the first backend of the list.
 *
 *   bench_report [--env cheetah-vel,ant-vel] [--threads 1,2] [--iterations N] [--scaling]
 *                [--backend openblas,dnnl-f32,dnnl-bf16,emulated-bf16] [--out DIR] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench_backend.h"
#include "bench_util.h"
#include "gemm_mirror.h"
#include "maml/train.h"
#include "src/cmd/blas_kernels.h"

typedef struct {
  double sample_s, learn_s, total_s, gflop;
  int threads;
  double ref; /* single-thread sgemm GFLOP/s on the learner's shapes */
} iteration_time;

static maml_config paper_config(const char *env, int threads) {
  maml_config c;
  maml_config_defaults(&c);
  snprintf(c.env, sizeof c.env, "%s", env);
  c.tasks = 40, c.episodes = 20, c.horizon = 0; /* the family's: 200 for locomotion */
  c.n_hidden = 2, c.hidden[0] = c.hidden[1] = 100, c.activation = MAML_ACT_RELU;
  c.threads = threads;
  return c;
}

/* mean of `iterations` meta-iterations after one warm-up; 0 on success */
static int time_iteration(maml_config c, int iterations, int with_ref, iteration_time *out) {
  char err[4096];
  maml_trainer *t;
  c.iterations = iterations + 1;
  if (maml_config_resolve(&c, err, sizeof err) != MAML_OK ||
      maml_trainer_create(&t, &c, NULL, NULL, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "bench_report: %s\n", err);
    return 1;
  }
  memset(out, 0, sizeof *out);
  maml_iter_metrics m;
  for (int i = 0; i <= iterations; i++) {
    if (maml_trainer_iterate(t, &m, err, sizeof err) != MAML_OK) {
      fprintf(stderr, "bench_report: %s\n", err);
      maml_trainer_destroy(t);
      return 1;
    }
    if (i == 0) continue; /* warm-up: first-touch page faults */
    out->sample_s += m.sample_seconds / iterations, out->learn_s += m.learn_seconds / iterations;
    out->total_s += m.seconds / iterations, out->gflop += m.step.flops * 1e-9 / iterations;
  }
  out->threads = maml_trainer_threads(t);
  if (with_ref) out->ref = sgemm_rate(maml_trainer_policy(t), c.episodes * c.horizon);
  maml_trainer_destroy(t);
  return 0;
}

/* raw, environment and sampler steps per second of env with `threads` threads; 0 on
 * success */
static int time_sampler(const char *env, int threads, double *raw, double *env_rate,
                        double *sampler_rate) {
  char err[4096];
  maml_env_world world;
  if (maml_env_world_open(&world, env, 0, NULL, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "bench_report: %s\n", err);
    return 1;
  }
  int tasks = 40, episodes = 20, hidden[2] = {100, 100}, rc = 1;
  maml_policy policy;
  maml_policy_init(&policy, world.obs_dim, world.family->act_dim, 2, hidden, MAML_ACT_RELU, 1.0,
                   NULL, 0);
  maml_real *theta = calloc(policy.n_params, sizeof *theta);
  double *goals = calloc((size_t)tasks * MAML_TASK_MAX, sizeof *goals);
  const maml_real **thetas = calloc((size_t)tasks, sizeof *thetas);
  maml_task_batch *batches = calloc((size_t)tasks, sizeof *batches);
  maml_pool *pool = NULL;
  maml_sampler *sampler = NULL;
  if (!theta || !goals || !thetas || !batches) goto done;
  maml_rng r;
  maml_rng_init(&r, 1, 0, MAML_PHASE_INIT, 0, 0);
  maml_policy_init_params(&policy, theta, &r);
  for (int i = 0; i < tasks; i++) {
    world.family->sample_task(&r, goals + (size_t)i * MAML_TASK_MAX);
    thetas[i] = theta;
    if (maml_task_batch_alloc(&batches[i], episodes, world.family->horizon, world.obs_dim,
                              world.family->act_dim) != MAML_OK)
      goto done;
  }
  if (maml_pool_create(&pool, threads, err, sizeof err) != MAML_OK ||
      maml_sampler_create(&sampler, &world, &policy, pool, episodes, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "bench_report: %s\n", err);
    goto done;
  }
  *raw = world.model ? bench_raw_rate(&world, pool, threads, 20000) : 0.0; /* nav2d: none */
  *env_rate = bench_env_rate(&world, pool, threads, 20000);
  *sampler_rate = bench_sampler_rate(sampler, tasks, goals, thetas, batches);
  rc = 0;
done:
  if (rc && !err[0]) fprintf(stderr, "bench_report: out of memory\n");
  maml_sampler_destroy(sampler);
  maml_pool_destroy(pool);
  if (batches)
    for (int i = 0; i < tasks; i++) maml_task_batch_free(&batches[i]);
  free(batches), free(thetas), free(goals), free(theta);
  maml_env_world_close(&world);
  return rc;
}

typedef struct {
  char env[32];
  int threads;
  maml_matmul_backend backend;
  double raw, envstep, sampler;
  iteration_time it;
} thread_row;

typedef struct {
  const char *what;
  int value;
  double total_s, sample_s, learn_s;
} scaling_row;

static int scaling(int threads, int iterations, scaling_row *rows, int *n_rows) {
  static const struct {
    const char *what;
    int values[3];
  } axes[] = {{"tasks", {20, 40, 80}},
              {"episodes", {10, 20, 40}},
              {"horizon", {50, 100, 200}},
              {"width", {50, 100, 200}}};
  *n_rows = 0;
  for (size_t a = 0; a < sizeof axes / sizeof axes[0]; a++)
    for (int v = 0; v < 3; v++) {
      maml_config c = paper_config("cheetah-vel", threads);
      int x = axes[a].values[v];
      if (!strcmp(axes[a].what, "tasks")) c.tasks = x;
      if (!strcmp(axes[a].what, "episodes")) c.episodes = x;
      if (!strcmp(axes[a].what, "horizon")) c.horizon = x;
      if (!strcmp(axes[a].what, "width")) c.hidden[0] = c.hidden[1] = x;
      iteration_time t;
      if (time_iteration(c, iterations, 0, &t)) return 1;
      scaling_row *r = &rows[(*n_rows)++];
      *r = (scaling_row){axes[a].what, x, t.total_s, t.sample_s, t.learn_s};
      printf("  %-9s %5d   %8.3f s  (sampling %.3f, learner %.3f)\n", r->what, x, t.total_s,
             t.sample_s, t.learn_s);
      fflush(stdout);
    }
  return 0;
}

static int write_files(const char *dir, const thread_row *rows, int n, const scaling_row *sc,
                       int n_sc) {
  char path[4200];
  struct stat st;
  if (stat(dir, &st) != 0 && mkdir(dir, 0755) != 0) {
    fprintf(stderr, "bench_report: cannot create %s: %s\n", dir, strerror(errno));
    return 1;
  }
  snprintf(path, sizeof path, "%s/threads.csv", dir);
  FILE *csv = fopen(path, "w");
  snprintf(path, sizeof path, "%s/report.json", dir);
  FILE *js = fopen(path, "w");
  snprintf(path, sizeof path, "%s/scaling.csv", dir);
  FILE *sc_csv = fopen(path, "w");
  if (!csv || !js || !sc_csv) {
    fprintf(stderr, "bench_report: cannot write in %s: %s\n", dir, strerror(errno));
    if (csv) fclose(csv);
    if (js) fclose(js);
    if (sc_csv) fclose(sc_csv);
    return 1;
  }
  fprintf(
      csv,
      "env,threads,backend,raw_steps_s,env_steps_s,sampler_steps_s,sample_s,learner_s,iteration_s,"
      "learner_gflop,learner_gflops,sgemm_gflops_per_thread\n");
  fprintf(js,
          "{\"machine\":{\"cores\":%d,\"blas\":\"%s\",\"kernels\":\"%s\",\"real\":\"%s\"},"
          "\"threads\":[",
          maml_cpu_count(), openblas_get_config(), openblas_get_corename(), MAML_REAL_NAME);
  const char *scaling_backend = n ? maml_matmul_name(rows[0].backend) : "";
  for (int i = 0; i < n; i++) {
    const thread_row *r = &rows[i];
    double rate = r->it.gflop / r->it.learn_s;
    fprintf(csv, "%s,%d,%s,%.0f,%.0f,%.0f,%.4f,%.4f,%.4f,%.2f,%.2f,%.2f\n", r->env, r->threads,
            maml_matmul_name(r->backend), r->raw, r->envstep, r->sampler, r->it.sample_s,
            r->it.learn_s, r->it.total_s, r->it.gflop, rate, r->it.ref);
    fprintf(js,
            "%s{\"env\":\"%s\",\"threads\":%d,\"backend\":\"%s\",\"raw_steps_per_s\":%.0f,\"env_"
            "steps_per_s\":%.0f,"
            "\"sampler_steps_per_s\":%.0f,\"sampler_of_raw\":%.4f,\"sampler_of_env\":%.4f,\"sample_"
            "s\":%.4f,\"learner_s\":%.4f,\"iteration_s\":"
            "%.4f,\"learner_gflop\":%.2f,\"learner_gflops\":%.2f,\"sgemm_gflops_per_thread\":%.2f,"
            "\"learner_of_sgemm\":%.4f}",
            i ? "," : "", r->env, r->threads, maml_matmul_name(r->backend), r->raw, r->envstep,
            r->sampler, r->raw > 0 ? r->sampler / r->raw : 0.0,
            r->envstep > 0 ? r->sampler / r->envstep : 0.0, r->it.sample_s, r->it.learn_s,
            r->it.total_s, r->it.gflop, rate, r->it.ref, rate / r->it.threads / r->it.ref);
  }
  fprintf(js, "],\"scaling_backend\":\"%s\",\"scaling\":[", scaling_backend);
  fprintf(sc_csv, "axis,value,iteration_s,sample_s,learner_s\n");
  for (int i = 0; i < n_sc; i++) {
    fprintf(sc_csv, "%s,%d,%.4f,%.4f,%.4f\n", sc[i].what, sc[i].value, sc[i].total_s,
            sc[i].sample_s, sc[i].learn_s);
    fprintf(js,
            "%s{\"axis\":\"%s\",\"value\":%d,\"iteration_s\":%.4f,\"sample_s\":%.4f,"
            "\"learner_s\":%.4f}",
            i ? "," : "", sc[i].what, sc[i].value, sc[i].total_s, sc[i].sample_s, sc[i].learn_s);
  }
  fprintf(js, "]}\n");
  int ok = !ferror(csv) && !ferror(js) && !ferror(sc_csv);
  ok &= fclose(csv) == 0, ok &= fclose(js) == 0, ok &= fclose(sc_csv) == 0;
  if (!ok) fprintf(stderr, "bench_report: writing in %s failed\n", dir);
  printf("wrote %s/report.json, %s/threads.csv, %s/scaling.csv\n", dir, dir, dir);
  return !ok;
}

/* select backend b for the runs that follow; 0 on success */
static int use_backend(maml_matmul_backend b) {
  char err[256];
  if (maml_matmul_use(b, err, sizeof err) == MAML_OK) return 0;
  fprintf(stderr, "bench_report: %s\n", err);
  return 1;
}

int main(int argc, char **argv) {
  cmd_select_blas_kernels(argv);
  const char *envs = "cheetah-vel,ant-vel", *out = NULL;
  int counts[16] = {1, 2}, n_counts = 2, iterations = 2, do_scaling = 0;
  maml_matmul_backend backends[MAML_MATMUL_COUNT];
  int n_backends = bench_backends_available(backends);
  if (maml_cpu_count() > 2) counts[n_counts++] = maml_cpu_count();
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      printf(
          "usage: bench_report [--env cheetah-vel,ant-vel] [--threads 1,2] [--iterations N]\n"
          "                    [--scaling] [--backend LIST] [--out DIR]\n\n"
          "Raw mj_step rate, environment step rate, sampler rate, one meta-iteration\n"
          "(sampling, learner) and the learner's GFLOP/s against sgemm, at the paper's\n"
          "sizes, per thread count (default 1, 2 and all cores). --scaling: iteration\n"
          "time vs tasks, episodes, horizon and width (three values each, cheetah-vel, all\n"
          "cores). --out DIR: report.json, threads.csv, scaling.csv. Each row with each\n"
          "matmul backend of LIST in turn (comma-separated; default every one available;\n"
          "names: %s); --scaling with the first.\n",
          bench_backend_names());
      return 0;
    } else if (next && !strcmp(a, "--env")) {
      envs = next, i++;
    } else if (next && !strcmp(a, "--threads")) {
      n_counts = bench_parse_ints(next, counts, 16, 1, 1024), i++;
      if (n_counts <= 0) {
        fprintf(stderr, "bench_report: --threads takes a list like 1,2 (got '%s')\n", next);
        return 2;
      }
    } else if (next && !strcmp(a, "--iterations")) {
      if (bench_int_option("bench_report", a, next, 1, 100, &iterations)) return 2;
      i++;
    } else if (next && !strcmp(a, "--backend")) {
      if ((n_backends = bench_parse_backends("bench_report", next, backends)) < 0) return 2;
      i++;
    } else if (!strcmp(a, "--scaling")) {
      do_scaling = 1;
    } else if (next && !strcmp(a, "--out")) {
      out = next, i++;
    } else {
      fprintf(stderr, "bench_report: unknown or incomplete option '%s' (see --help)\n", a);
      return 2;
    }
  }

  printf(
      "performance report: paper sizes (40 tasks x 20 episodes x 200 steps, 100x100 ReLU,\n"
      "second order, 10 CG iterations), %s, %d cores, OpenBLAS kernels %s\n\n",
      MAML_REAL_NAME, maml_cpu_count(), openblas_get_corename());
  bench_print_backends(backends, n_backends);
  printf("\n%-12s %3s %-13s %9s %9s %9s %7s %7s %9s %9s %9s %8s %8s %9s %9s\n", "env", "thr",
         "matmul", "raw st/s", "env st/s", "sampler", "of raw", "of env", "sample_s", "learner_s",
         "iter_s", "GFLOP/s", "of sgemm", "sampler x", "iter x");
  thread_row rows[64];
  int n = 0;
  char list[256];
  snprintf(list, sizeof list, "%s", envs);
  char *save = NULL;
  for (char *env = strtok_r(list, ",", &save); env; env = strtok_r(NULL, ",", &save)) {
    double base_sampler[MAML_MATMUL_COUNT], base_iter[MAML_MATMUL_COUNT], ref = 0;
    for (int k = 0; k < n_counts; k++)
      for (int b = 0; b < n_backends && n < 64; b++) {
        thread_row *r = &rows[n];
        snprintf(r->env, sizeof r->env, "%s", env);
        r->threads = counts[k], r->backend = backends[b];
        if (use_backend(backends[b]) ||
            time_sampler(env, counts[k], &r->raw, &r->envstep, &r->sampler) ||
            time_iteration(paper_config(env, counts[k]), iterations, ref == 0, &r->it))
          return 1;
        if (ref == 0) ref = r->it.ref; /* OpenBLAS sgemm: the same for every backend */
        r->it.ref = ref;
        if (k == 0) base_sampler[b] = r->sampler, base_iter[b] = r->it.total_s;
        double rate = r->it.gflop / r->it.learn_s;
        printf(
            "%-12s %3d %-13s %9.0f %9.0f %9.0f %6.0f%% %6.0f%% %9.3f %9.3f %9.3f %8.1f %7.0f%% "
            "%8.2fx %8.2fx\n",
            env, r->it.threads, maml_matmul_name(r->backend), r->raw, r->envstep, r->sampler,
            r->raw > 0 ? 100.0 * r->sampler / r->raw : 0.0,
            r->envstep > 0 ? 100.0 * r->sampler / r->envstep : 0.0, r->it.sample_s, r->it.learn_s,
            r->it.total_s, rate, 100.0 * rate / r->it.threads / r->it.ref,
            r->sampler / base_sampler[b], base_iter[b] / r->it.total_s);
        fflush(stdout);
        n++;
      }
  }
  printf(
      "(of raw, of env: sampler steps/s over raw mj_step and over environment steps/s at the\n"
      "same threads; of sgemm: the learner's GFLOP/s per thread over single-thread sgemm on\n"
      "its shapes)\n");

  scaling_row sc[16];
  int n_sc = 0;
  if (do_scaling) {
    int all = counts[n_counts - 1];
    printf(
        "\niteration time vs size, cheetah-vel, %d threads, matmul %s (others at the paper's "
        "sizes):\n",
        all, maml_matmul_name(backends[0]));
    if (use_backend(backends[0]) || scaling(all, 1, sc, &n_sc)) return 1;
  }
  if (out) return write_files(out, rows, n, sc, n_sc);
  return 0;
}
