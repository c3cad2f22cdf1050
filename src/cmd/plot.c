/* `maml plot`, and the plots of an evaluation (`maml eval` calls cmd_plot_eval), drawn by
 * gnuplot (Debian's gnuplot-nox) from the CSV files we write, each as PNG and SVG; the
 * training curves are plot_curves.c's. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "gnuplot.h"
#include "maml/file.h"
#include "plot_curves.h"

/* the folder and every name fit in gnuplot's quotes: 1, or 0 after a message */
static int all_quotable(const char *dir, const char *const *names, int n, const char *who) {
  if (!gnuplot_quotable(dir, who)) return 0;
  for (int k = 0; k < n; k++)
    if (!gnuplot_quotable(names[k], who)) return 0;
  return 1;
}

int cmd_plot_eval(const char *dir, const char *env, const char *const *names, const int *oracle,
                  int n, int steps, const char *who) {
  if (!all_quotable(dir, names, n, who)) return 1;
  char base[4200];
  FILE *p = gnuplot_begin(dir, "eval", who, base, sizeof base);
  if (!p) return 1;
  fprintf(p,
          "set datafile separator ','\n"
          "set title '%s: return after adaptation on held-out goals' noenhanced\n"
          "set xlabel 'policy-gradient steps'\nset ylabel 'mean return (+- s.e.)'\n"
          "set xrange [-0.2:%g]\nset xtics 1\nset key outside right noenhanced\nset grid\n"
          "plot ",
          env, steps + 0.2);
  for (int k = 0; k < n; k++) {
    if (oracle[k]) /* no adaptation: a level line */
      fprintf(p,
              "%s'%s/eval.csv' using (0):(strcol(1) eq \"%s\" ? $4 : 1/0):(%d):(0) "
              "with vectors nohead dt 2 lw 2 title '%s (no adaptation)'",
              k ? ", " : "", dir, names[k], steps, names[k]);
    else /* each policy a little apart, so that the error bars do not hide each other */
      fprintf(p,
              "%s'%s/eval.csv' using ($3%+.3f):(strcol(1) eq \"%s\" ? $4 : 1/0):5 "
              "with yerrorlines lw 2 title '%s'",
              k ? ", " : "", dir, 0.03 * (k - (n - 1) / 2.0), names[k], names[k]);
  }
  fprintf(p, "\n");
  return gnuplot_close(p, base, who);
}

/* eval-seeds.csv's columns: 1 group, 2 goal, 3 steps, 4 statistic, 6 value, 7 and 8 the
 * interval; each group's mean rows follow each other, so its band and line are one piece.
 * The runs' points are moved apart a little, group by group, to be told apart. */
int cmd_plot_seeds(const char *dir, const char *env, const char *const *names, int n, int steps,
                   const char *who) {
  if (!all_quotable(dir, names, n, who)) return 1;
  char base[4200];
  FILE *p = gnuplot_begin(dir, "eval-seeds", who, base, sizeof base);
  if (!p) return 1;
  fprintf(p,
          "set datafile separator ','\n"
          "set title '%s: return after adaptation, over runs (mean, 95%% bootstrap interval; "
          "points: runs)' noenhanced\n"
          "set xlabel 'policy-gradient steps'\nset ylabel 'mean return over the goals'\n"
          "set xrange [-0.2:%g]\nset xtics 1\nset key outside right noenhanced\nset grid\n"
          "set style fill transparent solid 0.2 noborder\n"
          "plot ",
          env, steps + 0.2);
  for (int k = 0; k < n; k++) {
    const char *g = names[k], *sep = k ? ", " : "";
    int c = k + 1; /* one colour a group */
    fprintf(p,
            "%s'%s/eval-seeds.csv' using 3:(strcol(1) eq \"%s\" && strcol(2) eq \"\" && "
            "strcol(4) eq \"mean\" ? $7 : 1/0):8 with filledcurves lc %d notitle, "
            "'' using 3:(strcol(1) eq \"%s\" && strcol(4) eq \"mean\" && strcol(2) eq \"\" "
            "? $6 : 1/0) with linespoints lw 2 pt 7 lc %d title '%s', "
            "'' using ($3%+.3f):(strcol(1) eq \"%s\" && strcol(4) eq \"run\" ? $6 : 1/0) "
            "with points pt 6 ps 0.8 lc %d notitle",
            sep, dir, g, c, g, c, g, 0.04 * (k - (n - 1) / 2.0), g, c);
  }
  fprintf(p, "\n");
  return gnuplot_close(p, base, who);
}

#define PLOT_MAX_LINES 64

/* The distinct names of a CSV file's first column (its header aside), in order, at most
 * PLOT_MAX_LINES; oracle[k]: name k's second field is empty (eval.csv: no step size);
 * *steps: the largest third field. -1 when the file cannot be read (errno set). */
static int csv_names(const char *path, char names[][64], int *oracle, int *steps) {
  char err[4400];
  FILE *f = maml_file_fopen_input(path, err, sizeof err);
  if (!f) return -1;
  char line[1024];
  int n = 0, row = 0;
  *steps = 0;
  while (fgets(line, sizeof line, f)) {
    int whole = strchr(line, '\n') != NULL;
    if (row++ > 0) {
      char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
      if (c1 && c2 && c1 - line < 64) {
        *c1 = '\0';
        int k = 0;
        while (k < n && strcmp(names[k], line)) k++;
        if (k == n && n < PLOT_MAX_LINES) {
          memcpy(names[n], line, (size_t)(c1 - line) + 1);
          if (oracle) oracle[n] = c2 == c1 + 1;
          n++;
        }
        int s = atoi(c2 + 1);
        if (s > *steps) *steps = s;
      }
    }
    for (int c; !whole && (c = fgetc(f)) != EOF && c != '\n';) { /* the rest of a long line */
    }
  }
  fclose(f);
  return n;
}

/* an evaluation folder's plots again, from its eval.csv and eval-seeds.csv */
static int plot_eval_dir(const char *dir) {
  char path[4200], env[64] = "evaluation", names[PLOT_MAX_LINES][64];
  const char *ptrs[PLOT_MAX_LINES];
  int oracle[PLOT_MAX_LINES], steps, drawn = 0;
  snprintf(path, sizeof path, "%s/eval.json", dir);
  FILE *js = fopen(path, "r");
  if (js) {
    char head[256] = "";
    size_t got = fread(head, 1, sizeof head - 1, js);
    head[got] = '\0';
    if (sscanf(head, "{\"env\":\"%63[^\"]\"", env) != 1) snprintf(env, sizeof env, "evaluation");
    fclose(js);
  }
  snprintf(path, sizeof path, "%s/eval.csv", dir);
  int n = csv_names(path, names, oracle, &steps);
  for (int k = 0; k < n; k++) ptrs[k] = names[k];
  if (n > 0 && cmd_plot_eval(dir, env, ptrs, oracle, n, steps, "maml plot") != 0) return 1;
  if (n > 0) printf("plots: %s/eval.png, %s/eval.svg\n", dir, dir), drawn = 1;
  snprintf(path, sizeof path, "%s/eval-seeds.csv", dir);
  n = csv_names(path, names, NULL, &steps);
  for (int k = 0; k < n; k++) ptrs[k] = names[k];
  if (n > 0 && cmd_plot_seeds(dir, env, ptrs, n, steps, "maml plot") != 0) return 1;
  if (n > 0) printf("plots: %s/eval-seeds.png, %s/eval-seeds.svg\n", dir, dir), drawn = 1;
  if (!drawn) fprintf(stderr, "maml plot: %s/eval.csv holds no policy\n", dir);
  return drawn ? 0 : 1;
}

static void plot_usage(FILE *out) {
  fprintf(out,
          "usage: maml plot RUN_DIR [--out DIR] [--smooth N]\n"
          "       maml plot RUN_DIR RUN_DIR ... --out DIR [--smooth N]\n"
          "       maml plot --group NAME=RUN,RUN,... [--group ...] --out DIR [--smooth N]\n"
          "       maml plot EXPERIMENT_DIR [--out DIR] [--smooth N]\n"
          "       maml plot EVAL_DIR\n"
          "\n"
          "Draw training curves from runs' metrics.csv (needs gnuplot: apt-get install\n"
          "gnuplot-nox), as PNG and SVG:\n"
          "  one run       its mean return before and after adaptation per meta-iteration\n"
          "                (a pretrain or oracle run: its return), into RUN_DIR/training.png\n"
          "                and .svg, or DIR/ with --out; the title names family and mode;\n"
          "                where goals repeat (cheetah-dir, ant-dir) also each goal's return\n"
          "                after adaptation (from metrics.jsonl), dashed; training.csv holds\n"
          "                the numbers drawn.\n"
          "  several runs  one line each (after adaptation; the return for runs without an\n"
          "                inner step), into DIR/curves.png and .svg.\n"
          "  groups        each group's mean over its runs, with the 95%% percentile\n"
          "                bootstrap band of the mean (1000 resamples over runs, a fixed\n"
          "                seed), into DIR/curves.png and .svg; DIR/curves.csv holds the\n"
          "                numbers drawn (group, iteration, runs, mean, ci_low, ci_high).\n"
          "  an experiment (a folder of maml experiment): every setting a group of the\n"
          "                runs it has, into EXPERIMENT_DIR/ or DIR/.\n"
          "  an evaluation (a folder of maml eval, without metrics.csv): its plots again,\n"
          "                eval.png from eval.csv and, with groups, eval-seeds.png from\n"
          "                eval-seeds.csv (each group's mean with its band, runs as points).\n"
          "\n"
          "options:\n"
          "  --out DIR      where the plots go (made if missing)\n"
          "  --smooth N     each run's trailing mean over N iterations first (default 1)\n"
          "  --group NAME=RUN,RUN,...  a group of run directories (at most %d groups)\n",
          PLOT_MAX_LINES);
}

typedef struct {
  const char *out;
  long smooth;
  plot_group groups[PLOT_MAX_LINES];
  int n_groups;
  const char *paths[PLOT_MAX_LINES]; /* positional folders */
  int n_paths;
  char *lists[PLOT_MAX_LINES]; /* --group texts, split in place */
  char **owned;                /* other run paths made here (an experiment's) */
  int n_owned;
} plot_args;

static void free_args(plot_args *a) {
  for (int k = 0; k < a->n_groups; k++) free(a->groups[k].runs);
  for (int k = 0; k < PLOT_MAX_LINES; k++) free(a->lists[k]);
  for (int k = 0; k < a->n_owned; k++) free(a->owned[k]);
  free(a->owned);
}

/* NAME=RUN,RUN,... as a group; 0 after a message */
static int add_group(plot_args *a, const char *text) {
  if (a->n_groups == PLOT_MAX_LINES) {
    fprintf(stderr, "maml plot: at most %d groups\n", PLOT_MAX_LINES);
    return 0;
  }
  char *t = a->lists[a->n_groups] = strdup(text), *eq = t ? strchr(t, '=') : NULL;
  if (!eq || eq == t || !eq[1]) {
    fprintf(stderr, "maml plot: --group '%s': expected NAME=RUN,RUN,...\n", text);
    return 0;
  }
  *eq = '\0';
  plot_group *g = &a->groups[a->n_groups++];
  g->name = t;
  int n = 1;
  for (const char *p = eq + 1; *p; p++) n += *p == ',';
  g->runs = calloc((size_t)n, sizeof *g->runs);
  if (!g->runs) return 0;
  for (char *p = eq + 1; p;) {
    char *comma = strchr(p, ',');
    if (comma) *comma = '\0';
    if (!*p) {
      fprintf(stderr, "maml plot: --group %s: an empty run path\n", g->name);
      return 0;
    }
    g->runs[g->n_runs++] = p;
    p = comma ? comma + 1 : NULL;
  }
  for (int k = 0; k + 1 < a->n_groups; k++)
    if (!strcmp(a->groups[k].name, g->name)) {
      fprintf(stderr, "maml plot: two groups are named '%s'\n", g->name);
      return 0;
    }
  return 1;
}

/* 1 when the arguments were read into a; else 0 (after a message) or 2 for --help */
static int parse_plot_args(int argc, char **argv, plot_args *a) {
  memset(a, 0, sizeof *a);
  a->smooth = 1;
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i];
    if (cmd_is_help(o)) return 2;
    int has_value = !strcmp(o, "--out") || !strcmp(o, "--smooth") || !strcmp(o, "--group");
    if (has_value && i + 1 >= argc) {
      fprintf(stderr, "maml plot: %s needs a value\n", o);
      return 0;
    }
    if (!strcmp(o, "--out")) {
      a->out = argv[++i];
    } else if (!strcmp(o, "--smooth")) {
      if (!cmd_parse_long("maml plot", o, argv[++i], 1, 100000, &a->smooth)) return 0;
    } else if (!strcmp(o, "--group")) {
      if (!add_group(a, argv[++i])) return 0;
    } else if (o[0] == '-' && o[1] == '-') {
      fprintf(stderr, "maml plot: unknown option '%s' (see --help)\n", o);
      return 0;
    } else if (a->n_paths == PLOT_MAX_LINES) {
      fprintf(stderr, "maml plot: at most %d folders\n", PLOT_MAX_LINES);
      return 0;
    } else {
      a->paths[a->n_paths++] = o;
    }
  }
  if (a->n_paths == 0 && a->n_groups == 0) {
    plot_usage(stderr);
    return 0;
  }
  if (a->n_paths && a->n_groups) {
    fprintf(stderr, "maml plot: give run folders or --group, not both\n");
    return 0;
  }
  return 1;
}

static int is_file(const char *dir, const char *name) {
  char path[8400];
  struct stat st;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int by_group_name(const void *x, const void *y) {
  return strcmp(((const plot_group *)x)->name, ((const plot_group *)y)->name);
}

/* an experiment's settings as groups of the runs that have metrics */
static int experiment_groups(const char *dir, plot_args *a) {
  char path[4200], line[8192];
  snprintf(path, sizeof path, "%s/experiment.ini", dir);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  fclose(f);
  /* the runs are the folders GROUP-sSEED beside experiment.ini */
  DIR *d = opendir(dir);
  if (!d) return 0;
  struct dirent *ent;
  while ((ent = readdir(d))) {
    char *s = strrchr(ent->d_name, '-');
    if (!s || s[1] != 's' || !s[2] || strspn(s + 2, "0123456789") != strlen(s + 2)) continue;
    snprintf(line, sizeof line, "%s/%s", dir, ent->d_name);
    if (!is_file(line, "metrics.csv")) continue;
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)(s - ent->d_name), ent->d_name);
    int k = 0;
    while (k < a->n_groups && strcmp(a->groups[k].name, name)) k++;
    if (k == a->n_groups) {
      char text[8600];
      snprintf(text, sizeof text, "%s=%s", name, line);
      if (!add_group(a, text)) break;
      continue;
    }
    plot_group *g = &a->groups[k];
    const char **runs = realloc(g->runs, (size_t)(g->n_runs + 1) * sizeof *runs);
    if (runs) g->runs = runs;
    char **owned = runs ? realloc(a->owned, (size_t)(a->n_owned + 1) * sizeof *owned) : NULL;
    if (owned) a->owned = owned;
    char *copy = owned ? strdup(line) : NULL;
    if (!copy) break;
    a->owned[a->n_owned++] = copy;
    g->runs[g->n_runs++] = copy;
  }
  closedir(d);
  qsort(a->groups, (size_t)a->n_groups, sizeof a->groups[0], by_group_name);
  if (a->n_groups == 0)
    fprintf(stderr, "maml plot: %s: no run of the experiment has metrics yet\n", dir);
  return a->n_groups > 0;
}

int cmd_plot(int argc, char **argv) {
  plot_args a;
  int parsed = parse_plot_args(argc, argv, &a);
  if (parsed != 1) {
    if (parsed == 2) plot_usage(stdout);
    free_args(&a);
    return parsed == 2 ? 0 : 2;
  }
  int rc = 1;
  const char *first = a.n_paths ? a.paths[0] : NULL;
  if (first && a.n_paths == 1 && !is_file(first, "metrics.csv") && is_file(first, "eval.csv")) {
    if (a.out)
      fprintf(stderr, "maml plot: an evaluation's plots are drawn in its folder (no --out)\n");
    else
      rc = gnuplot_quotable(first, "maml plot") ? plot_eval_dir(first) : 1;
    free_args(&a);
    return a.out ? 2 : rc;
  }
  if (first && a.n_paths == 1 && is_file(first, "experiment.ini")) {
    if (!experiment_groups(first, &a)) {
      free_args(&a);
      return 1;
    }
    if (!a.out) a.out = first;
  } else if (a.n_paths == 1) {
    a.groups[0] = (plot_group){.name = first, .runs = NULL, .n_runs = 1, .single = 1};
    a.groups[0].runs = calloc(1, sizeof *a.groups[0].runs);
    if (a.groups[0].runs) a.groups[0].runs[0] = first;
    a.n_groups = a.groups[0].runs ? 1 : 0;
    if (!a.out) a.out = first;
  } else if (a.n_paths > 1) {
    for (int k = 0; k < a.n_paths; k++) {
      a.groups[k] = (plot_group){.name = a.paths[k], .n_runs = 1};
      a.groups[k].runs = calloc(1, sizeof *a.groups[k].runs);
      if (!a.groups[k].runs) break;
      a.groups[k].runs[0] = a.paths[k];
      a.n_groups = k + 1;
    }
  }
  if (!a.out) {
    fprintf(stderr, "maml plot: several runs or groups need --out DIR\n");
    free_args(&a);
    return 2;
  }
  if (cmd_make_dirs(a.out) != 0) {
    fprintf(stderr, "maml plot: --out %s: %s\n", a.out, strerror(errno));
    free_args(&a);
    return 1;
  }
  rc = plot_curves(a.out, a.groups, a.n_groups, (int)a.smooth, "maml plot");
  free_args(&a);
  return rc;
}
