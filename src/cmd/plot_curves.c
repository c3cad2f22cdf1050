/* Training curves from runs' metrics.csv: one run (before and after adaptation), several
 * runs overlaid, or groups of runs (each group's mean over its runs with a 95% bootstrap
 * band, per meta-iteration). The numbers drawn are written beside the plot (curves.csv). */
#include "plot_curves.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnuplot.h"
#include "maml/file.h"
#include "maml/rng.h"
#include "maml/stats.h"

#define BOOTSTRAP 1000
#define LEVEL 0.95

/* ---- a run's curve ---------------------------------------------------------------------- */

#define GOALS_MAX 8

typedef struct {
  char env[256], mode[32]; /* from config.ini (a family file: its name without .ini) */
  int n;                   /* rows */
  double *pre, *post;      /* (n), by iteration 0 .. n-1 */
  /* a family whose goals repeat: metrics.jsonl's split by goal (after adaptation) */
  int goals;
  char goal[GOALS_MAX][32];
  double *goal_post; /* (n, GOALS_MAX); NaN where a batch held no task of the goal */
} run_curve;

static void free_curve(run_curve *c) {
  free(c->pre), free(c->post), free(c->goal_post);
  memset(c, 0, sizeof *c);
}

/* metrics.jsonl's "goals" of each iteration into c (nothing when it has none) */
static void read_goals(const char *dir, run_curve *c) {
  char path[4200];
  snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
  FILE *f = fopen(path, "r");
  if (!f) return;
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    long it = strncmp(line, "{\"iteration\":", 13) ? -1 : strtol(line + 13, NULL, 10);
    const char *g = strstr(line, "\"goals\":[");
    if (it < 0 || it >= c->n || !g) continue;
    if (!c->goal_post && !(c->goal_post = malloc((size_t)c->n * GOALS_MAX * sizeof(double)))) break;
    if (c->goals == 0)
      for (size_t k = 0; k < (size_t)c->n * GOALS_MAX; k++) c->goal_post[k] = NAN;
    for (int k = 0; (g = strstr(g, "{\"goal\":\"")) && k < GOALS_MAX; k++) {
      g += 9;
      const char *end = strchr(g, '"'), *post = strstr(g, "\"post_return\":");
      if (!end || !post) break;
      if (k >= c->goals) {
        snprintf(c->goal[k], sizeof c->goal[k], "%.*s", (int)(end - g), g);
        c->goals = k + 1;
      }
      post += 14;
      c->goal_post[(size_t)it * GOALS_MAX + k] =
          strncmp(post, "null", 4) ? strtod(post, NULL) : NAN;
    }
  }
  free(line);
  fclose(f);
}

/* the value of `key = value` lines of config.ini ("" when absent) */
static void config_value(const char *dir, const char *key, char *out, size_t n) {
  char path[4200], line[4400];
  snprintf(path, sizeof path, "%s/config.ini", dir);
  out[0] = '\0';
  FILE *f = fopen(path, "r");
  if (!f) return;
  size_t k = strlen(key);
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, key, k) != 0 || strncmp(line + k, " = ", 3) != 0) continue;
    line[strcspn(line, "\r\n")] = '\0';
    const char *v = line + k + 3, *slash = strrchr(v, '/');
    snprintf(out, n, "%s", slash ? slash + 1 : v);
    size_t len = strlen(out);
    if (slash && len > 4 && !strcmp(out + len - 4, ".ini")) out[len - 4] = '\0';
    break;
  }
  fclose(f);
}

/* the index of name among the header's comma-separated columns, or -1 */
static int column(const char *header, const char *name) {
  int c = 0;
  size_t k = strlen(name);
  for (const char *p = header; p; c++) {
    if (!strncmp(p, name, k) && (p[k] == ',' || p[k] == '\n' || p[k] == '\r' || !p[k])) return c;
    p = strchr(p, ',');
    if (p) p++;
  }
  return -1;
}

static double field(const char *line, int col) {
  for (int c = 0; c < col && line; c++) {
    line = strchr(line, ',');
    if (line) line++;
  }
  return line && *line != ',' ? strtod(line, NULL) : NAN;
}

/* Read dir's metrics.csv: 1, or 0 after a message prefixed by who. */
static int read_curve(const char *dir, run_curve *c, const char *who) {
  char path[4200], err[4400], line[4096];
  memset(c, 0, sizeof *c);
  snprintf(path, sizeof path, "%s/metrics.csv", dir);
  FILE *f = maml_file_fopen_input(path, err, sizeof err);
  if (!f) {
    fprintf(stderr, "%s: %s (is %s a run directory?)\n", who, err, dir);
    return 0;
  }
  int it = -1, pre = -1, post = -1, cap = 0, ok = 1;
  if (fgets(line, sizeof line, f)) {
    it = column(line, "iteration"), pre = column(line, "pre_return");
    post = column(line, "post_return");
  }
  if (it != 0 || pre < 0 || post < 0) {
    fprintf(stderr,
            "%s: %s: not a metrics.csv of maml train (no iteration, pre_return and "
            "post_return columns)\n",
            who, path);
    fclose(f);
    return 0;
  }
  while (ok && fgets(line, sizeof line, f)) {
    double x = field(line, 0);
    if (!(x == c->n)) continue; /* a row out of order or cut short by a kill */
    if (c->n == cap) {
      cap = cap ? 2 * cap : 256;
      double *a = realloc(c->pre, (size_t)cap * sizeof *a);
      if (a) c->pre = a;
      double *b = a ? realloc(c->post, (size_t)cap * sizeof *b) : NULL;
      if (b) c->post = b;
      ok = a && b;
    }
    if (ok) c->pre[c->n] = field(line, pre), c->post[c->n] = field(line, post), c->n++;
  }
  fclose(f);
  if (!ok) fprintf(stderr, "%s: out of memory\n", who);
  if (ok && c->n == 0) {
    fprintf(stderr, "%s: %s holds no iteration yet\n", who, path);
    ok = 0;
  }
  config_value(dir, "env", c->env, sizeof c->env);
  config_value(dir, "mode", c->mode, sizeof c->mode);
  if (!c->mode[0]) snprintf(c->mode, sizeof c->mode, "maml");
  if (ok) read_goals(dir, c);
  if (!ok) free_curve(c);
  return ok;
}

/* the curve a run is compared by: after adaptation for MAML, its return otherwise */
static const double *main_values(const run_curve *c) {
  return strcmp(c->mode, "maml") ? c->pre : c->post;
}

/* the trailing mean over `smooth` iterations of x[0 .. i] */
static double smoothed(const double *x, int i, int smooth) {
  double s = 0;
  int n = 0;
  for (int j = i; j >= 0 && j > i - smooth; j--)
    if (isfinite(x[j])) s += x[j], n++;
  return n ? s / n : NAN;
}

/* ---- the plot --------------------------------------------------------------------------- */

/* whole-number ticks, 1, 2 or 5 times a power of ten apart, at most about ten */
static void set_xtics(FILE *p, int iterations) {
  long step = 1;
  for (int k = 0; iterations / step > 10; k++)
    step = (k % 3 == 1 ? 5 : 2) * (step / (k % 3 == 1 ? 2 : 1));
  fprintf(p, "set xtics 0,%ld\nset format x '%%.0f'\n", step);
}

static const char *ylabel(int smooth) {
  return smooth > 1 ? "mean episode return (trailing mean)" : "mean episode return";
}

/* OUT/training.csv: the numbers plot_one draws (iteration, before and after adaptation,
 * each goal's after adaptation; trailing means over smooth iterations). 1, or 0 after a
 * message. */
static int write_training(const char *out, const run_curve *c, int smooth, const char *who) {
  char path[4200];
  snprintf(path, sizeof path, "%s/training.csv", out);
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "%s: cannot write %s: %s\n", who, path, strerror(errno));
    return 0;
  }
  fprintf(f, "iteration,pre_return,post_return");
  for (int k = 0; k < c->goals; k++) fprintf(f, ",post_return_goal_%s", c->goal[k]);
  fprintf(f, "\n");
  for (int i = 0; i < c->n; i++) {
    fprintf(f, "%d,%.9g,%.9g", i, smoothed(c->pre, i, smooth), smoothed(c->post, i, smooth));
    for (int k = 0; k < c->goals; k++) { /* the goal's trailing mean, its batches only */
      double sum = 0;
      int m = 0;
      for (int j = i; j >= 0 && j > i - smooth; j--) {
        double v = c->goal_post[(size_t)j * GOALS_MAX + k];
        if (isfinite(v)) sum += v, m++;
      }
      if (m)
        fprintf(f, ",%.9g", sum / m);
      else
        fprintf(f, ",");
    }
    fprintf(f, "\n");
  }
  if (fclose(f) != 0) {
    fprintf(stderr, "%s: cannot write %s: %s\n", who, path, strerror(errno));
    return 0;
  }
  return 1;
}

/* one run: before and after adaptation (MAML), or its return alone; where goals repeat,
 * also each goal's return after adaptation (dashed); from OUT/training.csv */
static int plot_one(const char *out, const run_curve *c, int smooth, const char *who) {
  if (!write_training(out, c, smooth, who)) return 1;
  char base[4200];
  FILE *p = gnuplot_begin(out, "training", who, base, sizeof base);
  if (!p) return 1;
  int maml = !strcmp(c->mode, "maml");
  fprintf(p,
          "set datafile separator ','\n"
          "set title '%s, %s: meta-training%s' noenhanced\n"
          "set xlabel 'meta-iteration'\nset ylabel '%s'\nset key below noenhanced\nset grid\n",
          c->env[0] ? c->env : "run", c->mode, maml ? "" : " (no inner step)", ylabel(smooth));
  set_xtics(p, c->n);
  if (maml)
    fprintf(p,
            "plot '%s/training.csv' using 1:2 every ::1 with lines lw 2 title 'before "
            "adaptation', '' using 1:3 every ::1 with lines lw 2 title 'after adaptation'",
            out);
  else
    fprintf(p, "plot '%s/training.csv' using 1:2 every ::1 with lines lw 2 title 'return'", out);
  for (int k = 0; k < c->goals; k++)
    fprintf(p, ", '' using 1:%d every ::1 with lines lw 1 dt 2 title '%s, goal %s'", 4 + k,
            maml ? "after adaptation" : "return", c->goal[k]);
  fprintf(p, "\n");
  return gnuplot_close(p, base, who);
}

/* Per group and iteration: runs, mean and the bootstrap interval of the mean, into
 * OUT/curves.csv. 1, or 0 after a message. */
static int write_stats(const char *out, const plot_group *g, int n_groups, run_curve *const *c,
                       int smooth, int *longest, const char *who) {
  char path[4200], err[256];
  snprintf(path, sizeof path, "%s/curves.csv", out);
  FILE *f = fopen(path, "w");
  if (!f) {
    perror(path);
    return 0;
  }
  fprintf(f, "group,iteration,runs,mean,ci_low,ci_high\n");
  *longest = 0;
  int ok = 1;
  for (int k = 0; ok && k < n_groups; k++) {
    int n = 0;
    for (int r = 0; r < g[k].n_runs; r++) n = c[k][r].n > n ? c[k][r].n : n;
    if (n > *longest) *longest = n;
    double *x = malloc((size_t)g[k].n_runs * sizeof *x);
    ok = x != NULL;
    for (int i = 0; ok && i < n; i++) {
      int m = 0;
      for (int r = 0; r < g[k].n_runs; r++) {
        const run_curve *rc = &c[k][r];
        double v = i < rc->n ? smoothed(main_values(rc), i, smooth) : NAN;
        if (isfinite(v)) x[m++] = v;
      }
      maml_interval mean_ci = {NAN, NAN}, iqm_ci;
      maml_rng rng;
      maml_rng_init(&rng, 1, (uint32_t)i, MAML_PHASE_BOOTSTRAP, (uint32_t)k, 0);
      if (m > 1 && maml_stats_bootstrap(x, m, BOOTSTRAP, LEVEL, &rng, &mean_ci, &iqm_ci, err,
                                        sizeof err) != MAML_OK) {
        fprintf(stderr, "%s: %s\n", who, err);
        ok = 0;
      }
      fprintf(f, "%s,%d,%d,%.9g,%.9g,%.9g\n", g[k].name, i, m, maml_stats_mean(x, m), mean_ci.low,
              mean_ci.high);
    }
    free(x);
  }
  if (fclose(f) != 0 || !ok) {
    if (ok) perror(path);
    return 0;
  }
  return 1;
}

/* groups (or single runs as groups of one): mean lines and bands */
static int plot_groups(const char *out, const plot_group *g, int n_groups, run_curve *const *c,
                       int smooth, const char *who) {
  int longest;
  if (!write_stats(out, g, n_groups, c, smooth, &longest, who)) return 1;
  char base[4200];
  FILE *p = gnuplot_begin(out, "curves", who, base, sizeof base);
  if (!p) return 1;
  int bands = 0;
  for (int k = 0; k < n_groups; k++) bands |= g[k].n_runs > 1;
  const run_curve *first = &c[0][0];
  set_xtics(p, longest);
  fprintf(p,
          "set datafile separator ','\n"
          "set title '%s: meta-training, %s%s' noenhanced\n"
          "set xlabel 'meta-iteration'\nset ylabel '%s'\n"
          "set key below noenhanced\nset grid\nset style fill transparent solid 0.2 noborder\n"
          "plot ",
          first->env[0] ? first->env : "runs",
          bands ? "mean over runs with a 95% bootstrap band" : "each run",
          strcmp(first->mode, "maml") ? "" : " (after adaptation)", ylabel(smooth));
  for (int k = 0; k < n_groups; k++) {
    const char *sep = k ? ", " : "";
    if (g[k].n_runs > 1)
      fprintf(p,
              "%s'%s/curves.csv' using 2:(strcol(1) eq \"%s\" ? $5 : 1/0):6 with filledcurves "
              "lc %d notitle",
              sep, out, g[k].name, k + 1),
          sep = ", ";
    fprintf(p,
            "%s'%s/curves.csv' using 2:(strcol(1) eq \"%s\" ? $4 : 1/0) with lines lw 2 lc %d "
            "title '%s (%d run%s)'",
            sep, out, g[k].name, k + 1, g[k].name, g[k].n_runs, g[k].n_runs == 1 ? "" : "s");
  }
  fprintf(p, "\n");
  return gnuplot_close(p, base, who);
}

int plot_curves(const char *out, const plot_group *groups, int n_groups, int smooth,
                const char *who) {
  if (!gnuplot_quotable(out, who)) return 1;
  for (int k = 0; k < n_groups; k++)
    if (!gnuplot_quotable(groups[k].name, who)) return 1;
  if (n_groups < 1) return 1;
  run_curve **c = calloc((size_t)n_groups, sizeof *c);
  int ok = c != NULL;
  for (int k = 0; ok && k < n_groups; k++) {
    ok = (c[k] = calloc((size_t)groups[k].n_runs, sizeof **c)) != NULL;
    for (int r = 0; ok && r < groups[k].n_runs; r++)
      ok = read_curve(groups[k].runs[r], &c[k][r], who);
  }
  int rc = 1;
  if (ok && n_groups == 1 && groups[0].n_runs == 1 && groups[0].single)
    rc = plot_one(out, &c[0][0], smooth, who);
  else if (ok)
    rc = plot_groups(out, groups, n_groups, c, smooth, who);
  if (rc == 0)
    printf("plots: %s/%s.png, %s/%s.svg\n", out,
           n_groups == 1 && groups[0].single ? "training" : "curves", out,
           n_groups == 1 && groups[0].single ? "training" : "curves");
  for (int k = 0; c && k < n_groups; k++) {
    for (int r = 0; c[k] && r < groups[k].n_runs; r++) free_curve(&c[k][r]);
    free(c[k]);
  }
  free(c);
  return rc;
}
