/* Plots, drawn by gnuplot (Debian's gnuplot-nox) from the CSV files we write: the
 * training curves of a run (`maml plot RUN_DIR`) and the adaptation curves of an
 * evaluation (`maml eval` calls cmd_plot_eval). Each plot is written as PNG and SVG. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cmd.h"
#include "maml/file.h"

/* finish the script: the same plot again as SVG. 0 when gnuplot succeeded. */
static int gnuplot_close(FILE *p, const char *base, const char *who) {
  fprintf(p, "set terminal svg size 960,600 font ',11'\nset output '%s.svg'\nreplot\n", base);
  int status = pclose(p);
  if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 127)
    fprintf(stderr, "%s: gnuplot is not installed (apt-get install gnuplot-nox): no plot\n", who);
  else
    fprintf(stderr, "%s: gnuplot failed: no plot\n", who);
  return 1;
}

/* gnuplot started on a pipe, drawing into DIR/NAME.png (base receives DIR/NAME for
 * gnuplot_close), or NULL; its own messages go to our stderr */
static FILE *gnuplot_begin(const char *dir, const char *name, const char *who, char *base,
                           size_t n) {
  FILE *p = popen("gnuplot", "w");
  if (!p) {
    fprintf(stderr, "%s: cannot run gnuplot\n", who);
    return NULL;
  }
  snprintf(base, n, "%s/%s", dir, name);
  fprintf(p, "set terminal pngcairo size 960,600 font ',11'\nset output '%s.png'\n", base);
  return p;
}

/* gnuplot's single-quoted strings cannot hold a single quote */
static int quotable(const char *text, const char *who) {
  if (strchr(text, '\'') || strchr(text, '"') || strchr(text, '\n')) {
    fprintf(stderr, "%s: cannot plot with a quote or newline in '%s'\n", who, text);
    return 0;
  }
  return 1;
}

/* the folder and every name fit in gnuplot's quotes: 1, or 0 after a message */
static int all_quotable(const char *dir, const char *const *names, int n, const char *who) {
  if (!quotable(dir, who)) return 0;
  for (int k = 0; k < n; k++)
    if (!quotable(names[k], who)) return 0;
  return 1;
}

int cmd_plot_eval(const char *dir, const char *env, const char *const *names,
                  const int *oracle, int n, int steps, const char *who) {
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
    else
      fprintf(p,
              "%s'%s/eval.csv' using 3:(strcol(1) eq \"%s\" ? $4 : 1/0):5 "
              "with yerrorlines lw 2 title '%s'",
              k ? ", " : "", dir, names[k], names[k]);
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

static void plot_usage(FILE *out) {
  fprintf(out,
          "usage: maml plot RUN_DIR | EVAL_DIR\n"
          "\n"
          "Draw a run's training curves from RUN_DIR/metrics.csv: the mean return before\n"
          "and after adaptation per meta-iteration, into RUN_DIR/training.png and\n"
          "RUN_DIR/training.svg (needs gnuplot: apt-get install gnuplot-nox). An\n"
          "evaluation's plots are drawn by `maml eval` itself; given its folder (one\n"
          "without metrics.csv), `maml plot` draws them again from its files: eval.png,\n"
          "eval.svg from eval.csv (return per policy and step), and with groups of runs\n"
          "eval-seeds.png, eval-seeds.svg from eval-seeds.csv (each group's mean over runs\n"
          "with its 95%% bootstrap band, its runs as points).\n");
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

int cmd_plot(int argc, char **argv) {
  if (argc != 2 || cmd_is_help(argv[1])) {
    int help = argc == 2;
    plot_usage(help ? stdout : stderr);
    return help ? 0 : 2;
  }
  const char *dir = argv[1];
  char csv[4200];
  snprintf(csv, sizeof csv, "%s/metrics.csv", dir);
  struct stat st;
  char err_eval[4200];
  snprintf(err_eval, sizeof err_eval, "%s/eval.csv", dir);
  if (lstat(csv, &st) != 0 && errno == ENOENT && stat(err_eval, &st) == 0 && S_ISREG(st.st_mode))
    return quotable(dir, "maml plot") ? plot_eval_dir(dir) : 1;
  char err[4400];
  FILE *f = maml_file_fopen_input(csv, err, sizeof err); /* a FIFO is refused at once */
  if (!f) {
    fprintf(stderr, "maml plot: %s (is %s a run directory?)\n", err, dir);
    return 1;
  }
  int rows = -1;
  for (int c; (c = fgetc(f)) != EOF;) rows += c == '\n';
  fclose(f);
  if (rows < 1) {
    fprintf(stderr, "maml plot: %s holds no iteration yet\n", csv);
    return 1;
  }
  if (!quotable(dir, "maml plot")) return 1;
  char base[4200];
  FILE *p = gnuplot_begin(dir, "training", "maml plot", base, sizeof base);
  if (!p) return 1;
  fprintf(p,
          "set datafile separator ','\n"
          "set title 'meta-training: %s' noenhanced\n"
          "set xlabel 'meta-iteration'\nset ylabel 'mean episode return'\n"
          "set key below\nset grid\n"
          "plot '%s' using 1:2 every ::1 with lines lw 2 title 'before adaptation', "
          "'%s' using 1:3 every ::1 with lines lw 2 title 'after adaptation'\n",
          dir, csv, csv);
  if (gnuplot_close(p, base, "maml plot")) return 1;
  printf("plots: %s/training.png, %s/training.svg\n", dir, dir);
  return 0;
}
