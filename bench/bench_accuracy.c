/* Benchmark: how far each matmul backend's second-order step is from the reference's on the
 * same batches (a bf16 backend approximates the exact step; measure before trusting it).
 *
 * For each family, a trainer with the reference backend samples one meta-iteration: the
 * support batches with theta and the query batches with the reference's adapted theta'_i
 * (and takes its own step, which moves theta on for the next repeat). Then, holding those
 * batches fixed, one learner runs adapt + prepare + step from the same theta with the
 * reference twice and with every other backend, and compares with the reference's first
 * run:
 *   grad     ||g_b - g_ref|| / ||g_ref||, the meta-gradient (maml_learner_grad)
 *   dir      the same for the CG direction x = CG(A, g) (maml_learner_direction)
 *   adapt    max over tasks of ||theta'_b - theta'_ref|| / ||theta'_ref||
 *   inner    the same relative to the inner step, ||theta'_ref - theta||
 *   step     ||d_b - d_ref|| / ||d_ref||, d = theta_new - theta_old (the applied TRPO step)
 *   1-cos    1 - cos(d_b, d_ref) (0 when both steps are zero, 1 when only one is)
 *   norm     | ||d_b|| - ||d_ref|| | / ||d_ref||
 *   dsurr    |surr_after_b - surr_after_ref|
 *   same_ls  the line search ended the same way (outcome and tries equal)
 * (a relative figure with a zero reference reads 0 when both are zero, else 1). The
 * reference against itself must read exactly 0 everywhere, and the trainer's own step must
 * equal the learner's reference run bit for bit: otherwise "sanity FAILED" and exit status 3.
 * --repeat N meta-iterations (different batches) give the median and max of each figure
 * (for 1-cos too: the max is the worst); --csv writes every repeat's figures.
 *
 *   bench_accuracy [--env nav2d,cheetah-vel,ant-vel | --config FILE | --checkpoint PATH]
 *                  [--backend LIST] [--reference NAME] [--repeat N] [--warmup N]
 *                  [--tasks N] [--episodes N] [--horizon N] [--threads N] [--seed N]
 *                  [--csv FILE] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench_backend.h"
#include "bench_util.h"
#include "maml/checkpoint.h"
#include "maml/env.h"
#include "maml/meta.h"
#include "maml/pool.h"
#include "maml/train.h"
#include "src/cmd/blas_kernels.h"

#define PROG "bench_accuracy"
#define MAX_FAMILIES 16
#define MAX_REPEAT 1000

#ifndef MAML_BENCH_CONFIGS
#define MAML_BENCH_CONFIGS "configs"
#endif

typedef enum { F_GRAD, F_DIR, F_ADAPT, F_INNER, F_STEP, F_COS, F_NORM, F_SURR, F_COUNT } figure;

static const char *const figure_names[F_COUNT] = {"grad", "dir",   "adapt", "inner",
                                                  "step", "1-cos", "norm",  "dsurr"};
static const char *const figure_csv[F_COUNT] = {"grad_rel",      "dir_rel",        "adapted_rel",
                                                "inner_rel",     "step_rel",       "one_minus_cos",
                                                "step_norm_rel", "surr_after_diff"};

typedef struct {
  char families[MAX_FAMILIES][MAML_NAME_MAX];
  int n_families, env_given;
  const char *config, *checkpoint, *csv;
  maml_matmul_backend backends[MAML_MATMUL_COUNT], reference;
  int n_backends;
  int repeat, warmup, tasks, episodes, horizon, threads;
  long long seed; /* -1: the config's */
} options;

/* What one backend's adapt + prepare + step produced. */
typedef struct {
  double *grad, *dir; /* (n) */
  maml_real *adapted; /* (tasks, n) theta'_i */
  maml_real *theta;   /* (n) after the step */
  maml_step_stats stats;
  double seconds;
} run_result;

/* One row of the table: a backend against the reference over the repeats. */
typedef struct {
  maml_matmul_backend backend;
  int self; /* the reference again */
  double fig[F_COUNT][MAX_REPEAT];
  double seconds[MAX_REPEAT];
  int same_ls, done;
} row;

static int usage(void) {
  printf("usage: " PROG
         " [--env LIST | --config FILE | --checkpoint PATH] [--backend LIST]\n"
         "                      [--reference NAME] [--repeat N] [--warmup N] [--tasks N]\n"
         "                      [--episodes N] [--horizon N] [--threads N] [--seed N]\n"
         "                      [--csv FILE]\n\n"
         "How far each matmul backend's second-order MAML-TRPO step is from the reference's\n"
         "on the same real batches. Per family, the reference samples one meta-iteration\n"
         "(support with theta, query with its adapted theta'_i); on those batches each\n"
         "backend runs adapt + prepare + step from the same theta, and is compared with the\n"
         "reference: relative error of the meta-gradient (grad), of the CG direction (dir),\n"
         "of the adapted parameters (adapt: max over tasks; inner: relative to the inner\n"
         "step), of the applied TRPO step (step), 1 - the cosine of the two steps, the\n"
         "relative difference of their norms (norm), |surr_after difference| (dsurr), and\n"
         "how often the line search ended the same way (same_ls: outcome and tries). Each\n"
         "figure is the median and max over --repeat meta-iterations. The reference against\n"
         "itself must read 0 (exit status 3 otherwise).\n\n"
         "  --env LIST        families (default nav2d,cheetah-vel,ant-vel), each with the\n"
         "                    paper's settings from %s/FAMILY.ini; names: %s\n"
         "  --config FILE     one family's settings from FILE instead\n"
         "  --checkpoint PATH start from a trained policy (a .ckpt, or a run directory's\n"
         "                    best.ckpt, else latest.ckpt) with its run's settings\n"
         "  --backend LIST    backends compared (default every one available; names: %s)\n"
         "  --reference NAME  the reference backend (default openblas)\n"
         "  --repeat N        meta-iterations compared, each on new batches (default 3)\n"
         "  --warmup N        training iterations with the reference first (default 0)\n"
         "  --tasks N, --episodes N, --horizon N   smaller sizes for a quick look\n"
         "  --threads N       worker threads (default the config's; results do not depend "
         "on it)\n"
         "  --seed N          the run's seed (default the config's)\n"
         "  --csv FILE        every repeat's figures, one line per backend and repeat\n",
         MAML_BENCH_CONFIGS, maml_env_names(), bench_backend_names());
  return 0;
}

static int parse_families(options *o, const char *list) {
  char buf[1024];
  if (snprintf(buf, sizeof buf, "%s", list) >= (int)sizeof buf) {
    fprintf(stderr, PROG ": --env list too long\n");
    return 0;
  }
  o->n_families = 0;
  for (char *save = NULL, *name = strtok_r(buf, ",", &save); name;
       name = strtok_r(NULL, ",", &save)) {
    if (!maml_env_find(name)) {
      fprintf(stderr, PROG ": unknown family '%s'; allowed: %s\n", name, maml_env_names());
      return 0;
    }
    if (o->n_families == MAX_FAMILIES) {
      fprintf(stderr, PROG ": --env names more than %d families\n", MAX_FAMILIES);
      return 0;
    }
    snprintf(o->families[o->n_families++], MAML_NAME_MAX, "%s", name);
  }
  if (o->n_families == 0) {
    fprintf(stderr, PROG ": --env needs a comma-separated list of: %s\n", maml_env_names());
    return 0;
  }
  return 1;
}

static int parse_reference(options *o, const char *name) {
  maml_matmul_backend one[MAML_MATMUL_COUNT];
  if (strchr(name, ',')) {
    fprintf(stderr, PROG ": --reference takes one backend (got '%s')\n", name);
    return 0;
  }
  if (bench_parse_backends(PROG, name, one) != 1) return 0;
  o->reference = one[0];
  return 1;
}

/* 0 to go on, else the exit status (0 after --help) + 1 */
static int parse_args(int argc, char **argv, options *o) {
  memset(o, 0, sizeof *o);
  parse_families(o, "nav2d,cheetah-vel,ant-vel");
  o->n_backends = bench_backends_available(o->backends);
  o->reference = MAML_MATMUL_OPENBLAS;
  o->repeat = 3, o->threads = -1, o->seed = -1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int ok = 1;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) return usage() + 1;
    if (!v) {
      fprintf(stderr, PROG ": unknown or incomplete option '%s' (see --help)\n", a);
      return 3;
    }
    i++;
    if (!strcmp(a, "--env"))
      ok = parse_families(o, v), o->env_given = 1;
    else if (!strcmp(a, "--config"))
      o->config = v;
    else if (!strcmp(a, "--checkpoint"))
      o->checkpoint = v;
    else if (!strcmp(a, "--csv"))
      o->csv = v;
    else if (!strcmp(a, "--backend"))
      ok = (o->n_backends = bench_parse_backends(PROG, v, o->backends)) > 0;
    else if (!strcmp(a, "--reference"))
      ok = parse_reference(o, v);
    else if (!strcmp(a, "--repeat"))
      ok = !bench_int_option(PROG, a, v, 1, MAX_REPEAT, &o->repeat);
    else if (!strcmp(a, "--warmup"))
      ok = !bench_int_option(PROG, a, v, 0, 100000, &o->warmup);
    else if (!strcmp(a, "--tasks"))
      ok = !bench_int_option(PROG, a, v, 1, 100000, &o->tasks);
    else if (!strcmp(a, "--episodes"))
      ok = !bench_int_option(PROG, a, v, 1, 65536, &o->episodes);
    else if (!strcmp(a, "--horizon"))
      ok = !bench_int_option(PROG, a, v, 1, 100000, &o->horizon);
    else if (!strcmp(a, "--threads"))
      ok = !bench_int_option(PROG, a, v, 0, 1024, &o->threads);
    else if (!strcmp(a, "--seed")) {
      long s = 0;
      ok = cmd_parse_long(PROG, a, v, 0, 2147483647L, &s);
      o->seed = s;
    } else {
      fprintf(stderr, PROG ": unknown or incomplete option '%s' (see --help)\n", a);
      return 3;
    }
    if (!ok) return 3;
  }
  if ((o->config != NULL) + (o->checkpoint != NULL) + o->env_given > 1) {
    fprintf(stderr, PROG ": --env, --config and --checkpoint each name the families: give one\n");
    return 3;
  }
  return 0;
}

/* ---- the config of one family ----------------------------------------------------------- */

static int load_config(const options *o, const char *family, maml_config *c, maml_checkpoint *ck) {
  char err[4096], path[4096];
  maml_config_defaults(c);
  maml_status st;
  if (o->checkpoint) {
    struct stat s;
    snprintf(path, sizeof path, "%s", o->checkpoint);
    if (stat(path, &s) == 0 && S_ISDIR(s.st_mode)) {
      snprintf(path, sizeof path, "%s/best.ckpt", o->checkpoint);
      if (stat(path, &s) != 0) snprintf(path, sizeof path, "%s/latest.ckpt", o->checkpoint);
    }
    st = maml_checkpoint_load(path, ck, err, sizeof err);
    if (st == MAML_OK)
      st = maml_config_parse_ini(c, ck->config_text, ck->config_len, path, err, sizeof err);
  } else {
    if (o->config)
      snprintf(path, sizeof path, "%s", o->config);
    else
      snprintf(path, sizeof path, "%s/%s.ini", MAML_BENCH_CONFIGS, family);
    st = maml_config_load(c, path, err, sizeof err);
  }
  if (st != MAML_OK) {
    fprintf(stderr, PROG ": %s\n", err);
    return 0;
  }
  if (o->tasks) c->tasks = o->tasks;
  if (o->episodes) c->episodes = o->episodes, c->query_episodes = 0;
  if (o->horizon) c->horizon = o->horizon;
  if (o->threads >= 0) c->threads = o->threads;
  if (o->seed >= 0) c->seed = (uint64_t)o->seed;
  if (maml_config_resolve(c, err, sizeof err) != MAML_OK) {
    fprintf(stderr, PROG ": %s: %s\n", path, err);
    return 0;
  }
  return 1;
}

/* ---- one backend's step on fixed batches ------------------------------------------------ */

static void result_free(run_result *r) {
  free(r->grad), free(r->dir), free(r->adapted), free(r->theta);
  memset(r, 0, sizeof *r);
}

static int result_alloc(run_result *r, int tasks, size_t n) {
  memset(r, 0, sizeof *r);
  return (r->grad = calloc(n, sizeof *r->grad)) && (r->dir = calloc(n, sizeof *r->dir)) &&
         (r->adapted = calloc((size_t)tasks * n, sizeof *r->adapted)) &&
         (r->theta = calloc(n, sizeof *r->theta));
}

static int run_backend(maml_learner *l, maml_matmul_backend b, const maml_real *theta_old, size_t n,
                       int tasks, const maml_batch *support, const maml_batch *query,
                       run_result *r) {
  char err[4096];
  if (maml_matmul_use(b, err, sizeof err) != MAML_OK) {
    fprintf(stderr, PROG ": %s\n", err);
    return 0;
  }
  double t0 = bench_now();
  memcpy(r->theta, theta_old, n * sizeof *r->theta);
  maml_status st = maml_learner_adapt(l, r->theta, support, err, sizeof err);
  for (int i = 0; st == MAML_OK && i < tasks; i++)
    memcpy(r->adapted + (size_t)i * n, maml_learner_adapted(l, i), n * sizeof *r->adapted);
  if (st == MAML_OK) st = maml_learner_prepare(l, query, NULL, err, sizeof err);
  if (st == MAML_OK) memcpy(r->grad, maml_learner_grad(l), n * sizeof *r->grad);
  if (st == MAML_OK) st = maml_learner_step(l, r->theta, &r->stats, err, sizeof err);
  if (st != MAML_OK) {
    fprintf(stderr, PROG ": %s: %s\n", maml_matmul_name(b), err);
    return 0;
  }
  memcpy(r->dir, maml_learner_direction(l), n * sizeof *r->dir);
  r->seconds = bench_now() - t0;
  return 1;
}

/* ---- the figures ------------------------------------------------------------------------ */

/* ||a - b|| / ||b|| in double; with ||b|| = 0: 0 when a is zero too, else 1 */
static double rel_err_d(const double *a, const double *b, size_t n) {
  double d2 = 0, b2 = 0;
  for (size_t j = 0; j < n; j++) d2 += (a[j] - b[j]) * (a[j] - b[j]), b2 += b[j] * b[j];
  if (b2 == 0) return d2 == 0 ? 0 : 1;
  return sqrt(d2 / b2);
}

/* ||a - b|| / ||b - base|| (base NULL: / ||b||), with the same convention */
static double rel_err_r(const maml_real *a, const maml_real *b, const maml_real *base, size_t n) {
  double d2 = 0, b2 = 0;
  for (size_t j = 0; j < n; j++) {
    double d = (double)a[j] - b[j], bb = base ? (double)b[j] - base[j] : b[j];
    d2 += d * d, b2 += bb * bb;
  }
  if (b2 == 0) return d2 == 0 ? 0 : 1;
  return sqrt(d2 / b2);
}

/* the applied steps d = theta_new - theta_old: step, 1-cos and norm figures */
static void step_figures(const run_result *r, const run_result *ref, const maml_real *old, size_t n,
                         double *fig) {
  double dd = 0, rr = 0, dr = 0, diff = 0;
  for (size_t j = 0; j < n; j++) {
    double d = (double)r->theta[j] - old[j], e = (double)ref->theta[j] - old[j];
    dd += d * d, rr += e * e, dr += d * e, diff += (d - e) * (d - e);
  }
  double nd = sqrt(dd), nr = sqrt(rr);
  fig[F_STEP] = rr > 0 ? sqrt(diff / rr) : diff == 0 ? 0 : 1;
  if (diff == 0)
    fig[F_COS] = 0; /* the same step (both zero included) */
  else if (dd == 0 || rr == 0)
    fig[F_COS] = 1;
  else
    fig[F_COS] = 1 - dr / (nd * nr);
  fig[F_NORM] = nr > 0 ? fabs(nd - nr) / nr : nd == 0 ? 0 : 1;
}

static void compare(const run_result *r, const run_result *ref, const maml_real *old, size_t n,
                    int tasks, double *fig, int *same_ls) {
  fig[F_GRAD] = rel_err_d(r->grad, ref->grad, n);
  fig[F_DIR] = rel_err_d(r->dir, ref->dir, n);
  fig[F_ADAPT] = fig[F_INNER] = 0;
  for (int i = 0; i < tasks; i++) {
    const maml_real *a = r->adapted + (size_t)i * n, *b = ref->adapted + (size_t)i * n;
    double e = rel_err_r(a, b, NULL, n), f = rel_err_r(a, b, old, n);
    if (!(e <= fig[F_ADAPT])) fig[F_ADAPT] = e; /* NaN sticks */
    if (!(f <= fig[F_INNER])) fig[F_INNER] = f;
  }
  step_figures(r, ref, old, n, fig);
  fig[F_SURR] = fabs(r->stats.surr_after - ref->stats.surr_after);
  *same_ls = r->stats.outcome == ref->stats.outcome && r->stats.ls_tries == ref->stats.ls_tries;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* median and max of v[0..k) (NaN when any is NaN) */
static void summarise(const double *v, int k, double *median, double *max) {
  double s[MAX_REPEAT];
  int nan = 0;
  for (int i = 0; i < k; i++) s[i] = v[i], nan |= isnan(v[i]);
  if (nan || k == 0) {
    *median = *max = NAN;
    return;
  }
  qsort(s, (size_t)k, sizeof *s, cmp_double);
  *median = k % 2 ? s[k / 2] : 0.5 * (s[k / 2 - 1] + s[k / 2]);
  *max = s[k - 1];
}

/* ---- one family ------------------------------------------------------------------------- */

typedef struct {
  const options *o;
  const maml_config *c;
  FILE *csv;
  row rows[MAML_MATMUL_COUNT + 1];
  int n_rows;
  int accepted, sanity_ok, trainer_ok;
  double ref_seconds[MAX_REPEAT], ref_gnorm[MAX_REPEAT], ref_gain[MAX_REPEAT];
  int ref_tries[MAX_REPEAT];
} family_run;

static void csv_line(family_run *f, const row *rw, int k, int64_t iteration, const run_result *r,
                     const run_result *ref) {
  if (!f->csv) return;
  const maml_config *c = f->c;
  fprintf(f->csv, "%s,%s,%s,%d,%lld,%d,%d,%d", c->env, maml_matmul_name(rw->backend),
          maml_matmul_name(f->o->reference), k + 1, (long long)iteration, c->tasks, c->episodes,
          c->horizon);
  for (int g = 0; g < F_COUNT; g++) fprintf(f->csv, ",%.17g", rw->fig[g][k]);
  fprintf(f->csv, ",%d,%d,%d,%d,%d,%.17g,%.17g,%.4f\n",
          r->stats.outcome == ref->stats.outcome && r->stats.ls_tries == ref->stats.ls_tries,
          r->stats.ls_tries, ref->stats.ls_tries, (int)r->stats.outcome, (int)ref->stats.outcome,
          r->stats.surr_after, ref->stats.surr_after, r->seconds);
}

static void print_family(const family_run *f) {
  const maml_config *c = f->c;
  int k = f->rows[0].done;
  double gm, gx, sm, sx, tm, tx;
  summarise(f->ref_gnorm, k, &gm, &gx);
  summarise(f->ref_gain, k, &sm, &sx);
  summarise(f->ref_seconds, k, &tm, &tx);
  int tries_min = 1 << 30, tries_max = 0;
  for (int i = 0; i < k; i++) {
    if (f->ref_tries[i] < tries_min) tries_min = f->ref_tries[i];
    if (f->ref_tries[i] > tries_max) tries_max = f->ref_tries[i];
  }
  printf("\n%s: %d tasks x %d+%d episodes x %d steps, %d inner step(s), %s order, %d repeat(s)\n",
         c->env, c->tasks, c->episodes, c->query_episodes, c->horizon, c->inner_steps,
         c->first_order ? "first" : "second", k);
  printf(
      "reference %s: ||g|| median %.3e, accepted %d/%d, line-search tries %d..%d, "
      "surr gain median %.3e, %.2f s per adapt+prepare+step (median)\n",
      maml_matmul_name(f->o->reference), gm, f->accepted, k, tries_min, tries_max, sm, tm);
  printf("%-16s", "backend");
  for (int g = 0; g < F_COUNT; g++) printf(" %-17s", figure_names[g]);
  printf(" %7s %7s\n", "same_ls", "s/run");
  printf("%-16s", "");
  for (int g = 0; g < F_COUNT; g++) printf(" %-17s", "median    max");
  printf("\n");
  for (int r = 0; r < f->n_rows; r++) {
    const row *rw = &f->rows[r];
    char name[64];
    snprintf(name, sizeof name, "%s%s", maml_matmul_name(rw->backend), rw->self ? " (self)" : "");
    printf("%-16s", name);
    for (int g = 0; g < F_COUNT; g++) {
      double m, x;
      summarise(rw->fig[g], rw->done, &m, &x);
      printf(" %8.2e %8.2e", m, x);
    }
    double ts, tsx;
    summarise(rw->seconds, rw->done, &ts, &tsx);
    printf(" %3d/%-3d %7.2f\n", rw->same_ls, rw->done, ts);
  }
  printf("sanity: %s against itself %s; the trainer's step %s the learner's reference run\n",
         maml_matmul_name(f->o->reference), f->sanity_ok ? "exactly 0" : "NOT 0 (sanity FAILED)",
         f->trainer_ok ? "equals" : "DIFFERS FROM (sanity FAILED)");
  fflush(stdout);
}

static int rows_init(family_run *f) {
  const options *o = f->o;
  f->n_rows = 0;
  f->rows[f->n_rows++] = (row){.backend = o->reference, .self = 1};
  for (int b = 0; b < o->n_backends; b++)
    if (o->backends[b] != o->reference) f->rows[f->n_rows++] = (row){.backend = o->backends[b]};
  return 1;
}

/* one repeat: the trainer samples (and steps) with the reference; each row's backend runs on
 * its batches */
static int one_repeat(family_run *f, maml_trainer *t, maml_learner *l, int k, maml_real *old,
                      run_result *ref, run_result *cur) {
  const maml_config *c = f->c;
  const options *o = f->o;
  const maml_policy *p = maml_trainer_policy(t);
  size_t n = p->n_params;
  char err[4096];
  maml_iter_metrics m;
  memcpy(old, maml_trainer_theta(t), n * sizeof *old);
  int64_t iteration = maml_trainer_iteration(t);
  fprintf(stderr, PROG ": %s repeat %d/%d (iteration %lld): sampling with %s\n", c->env, k + 1,
          o->repeat, (long long)iteration, maml_matmul_name(o->reference));
  if (maml_matmul_use(o->reference, err, sizeof err) != MAML_OK ||
      maml_trainer_iterate(t, &m, err, sizeof err) != MAML_OK) {
    fprintf(stderr, PROG ": %s\n", err);
    return 0;
  }
  if (m.rejected) {
    fprintf(stderr, PROG ": %s: iteration %lld's batches hold non-finite numbers: skipped\n",
            c->env, (long long)iteration);
    return 1;
  }
  const maml_batch *support, *query;
  maml_trainer_batches(t, &support, &query);
  if (!run_backend(l, o->reference, old, n, c->tasks, support, query, ref)) return 0;
  if (memcmp(ref->theta, maml_trainer_theta(t), n * sizeof *old) ||
      ref->stats.ls_tries != m.step.ls_tries || ref->stats.outcome != m.step.outcome)
    f->trainer_ok = 0;
  int done = f->rows[0].done; /* the repeats compared so far (skipped ones left out) */
  f->ref_seconds[done] = ref->seconds;
  f->ref_gnorm[done] = ref->stats.grad_norm;
  f->ref_gain[done] = ref->stats.surr_before - ref->stats.surr_after;
  f->ref_tries[done] = ref->stats.ls_tries;
  f->accepted += ref->stats.outcome == MAML_STEP_ACCEPTED;
  for (int r = 0; r < f->n_rows; r++) {
    row *rw = &f->rows[r];
    fprintf(stderr, PROG ": %s repeat %d/%d: %s%s\n", c->env, k + 1, o->repeat,
            maml_matmul_name(rw->backend), rw->self ? " (the reference again)" : "");
    if (!run_backend(l, rw->backend, old, n, c->tasks, support, query, cur)) return 0;
    int same;
    double fig[F_COUNT];
    compare(cur, ref, old, n, c->tasks, fig, &same);
    int d = rw->done++;
    for (int g = 0; g < F_COUNT; g++) {
      rw->fig[g][d] = fig[g];
      if (rw->self && fig[g] != 0) f->sanity_ok = 0;
    }
    if (rw->self && !same) f->sanity_ok = 0;
    rw->seconds[d] = cur->seconds;
    rw->same_ls += same;
    csv_line(f, rw, d, iteration, cur, ref);
  }
  return 1;
}

static int run_family(const options *o, const char *family, FILE *csv, int *sane) {
  maml_config c;
  maml_checkpoint ck = {0};
  if (!load_config(o, family, &c, &ck)) return 0;
  family_run *f = calloc(1, sizeof *f);
  maml_trainer *t = NULL;
  maml_pool *pool = NULL;
  maml_learner *l = NULL;
  maml_real *old = NULL;
  run_result ref = {0}, cur = {0};
  char err[4096];
  int ok = 0;
  if (!f) goto done;
  f->o = o, f->csv = csv, f->sanity_ok = f->trainer_ok = 1;
  rows_init(f);
  if (maml_matmul_use(o->reference, err, sizeof err) != MAML_OK ||
      maml_trainer_create(&t, &c, NULL, NULL, err, sizeof err) != MAML_OK ||
      (ck.theta && maml_trainer_restore(t, &ck, err, sizeof err) != MAML_OK)) {
    fprintf(stderr, PROG ": %s: %s\n", c.env, err);
    goto done;
  }
  f->c = maml_trainer_config(t);
  const maml_config *rc = f->c;
  const maml_policy *p = maml_trainer_policy(t);
  size_t n = p->n_params;
  int K = rc->mode == MAML_MODE_MAML ? rc->inner_steps : 0;
  maml_meta_params mp = {.inner_steps = K,
                         .alpha = rc->alpha,
                         .first_order = rc->first_order,
                         .inner_loss = rc->inner_loss,
                         .max_kl = rc->max_kl,
                         .cg_iters = rc->cg_iters,
                         .cg_damping = rc->cg_damping,
                         .ls_backtrack = rc->ls_backtrack,
                         .ls_steps = rc->ls_steps,
                         .comm = NULL};
  if (maml_pool_create(&pool, maml_trainer_threads(t), err, sizeof err) != MAML_OK ||
      maml_learner_create(&l, p, pool, rc->tasks, rc->episodes * rc->horizon,
                          rc->query_episodes * rc->horizon, &mp, err, sizeof err) != MAML_OK) {
    fprintf(stderr, PROG ": %s: %s\n", rc->env, err);
    goto done;
  }
  if (!(old = calloc(n, sizeof *old)) || !result_alloc(&ref, rc->tasks, n) ||
      !result_alloc(&cur, rc->tasks, n)) {
    fprintf(stderr, PROG ": %s: out of memory for %zu parameters\n", rc->env, n);
    goto done;
  }
  for (int w = 0; w < o->warmup; w++) {
    maml_iter_metrics m;
    fprintf(stderr, PROG ": %s warm-up iteration %d/%d with %s\n", rc->env, w + 1, o->warmup,
            maml_matmul_name(o->reference));
    if (maml_trainer_iterate(t, &m, err, sizeof err) != MAML_OK) {
      fprintf(stderr, PROG ": %s\n", err);
      goto done;
    }
  }
  for (int k = 0; k < o->repeat; k++)
    if (!one_repeat(f, t, l, k, old, &ref, &cur)) goto done;
  print_family(f);
  *sane &= f->sanity_ok && f->trainer_ok;
  ok = 1;
done:
  result_free(&ref), result_free(&cur), free(old);
  maml_learner_destroy(l);
  maml_pool_destroy(pool);
  maml_trainer_destroy(t);
  maml_checkpoint_free(&ck);
  free(f);
  return ok;
}

int main(int argc, char **argv) {
  cmd_select_blas_kernels(argv);
  options o;
  int rc = parse_args(argc, argv, &o);
  if (rc) return rc - 1;
  FILE *csv = NULL;
  if (o.csv) {
    if (!(csv = fopen(o.csv, "w"))) {
      fprintf(stderr, PROG ": cannot write %s\n", o.csv);
      return 1;
    }
    fprintf(csv, "env,backend,reference,repeat,iteration,tasks,episodes,horizon");
    for (int g = 0; g < F_COUNT; g++) fprintf(csv, ",%s", figure_csv[g]);
    fprintf(csv,
            ",same_ls,ls_tries,ref_ls_tries,outcome,ref_outcome,surr_after,"
            "ref_surr_after,seconds\n");
  }
  printf(
      "matmul accuracy against %s on the same batches (relative errors; median and max over "
      "the repeats)\n",
      maml_matmul_name(o.reference));
  bench_print_backends(o.backends, o.n_backends);
  int sane = 1, ok = 1;
  if (o.checkpoint || o.config)
    ok = run_family(&o, NULL, csv, &sane);
  else
    for (int i = 0; ok && i < o.n_families; i++) ok = run_family(&o, o.families[i], csv, &sane);
  if (csv && fclose(csv) != 0) {
    fprintf(stderr, PROG ": could not write %s\n", o.csv);
    ok = 0;
  }
  if (!ok) return 1;
  return sane ? 0 : 3;
}
