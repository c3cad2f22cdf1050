/* `maml eval --group`: groups of runs and their statistics over runs (eval_seeds.h). */
#include "eval_seeds.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "maml/file.h"

/* ---- parsing ------------------------------------------------------------------------ */

/* a trailing @NUMBER of buf cut off into g->alpha (as --policy's @ALPHA); 0 after a message
 * when it is out of range */
static int group_alpha(char *buf, seed_group *g) {
  char *at = strrchr(buf, '@'), *end;
  if (!at) return 1;
  strtod(at + 1, &end);
  if (end == at + 1 || *end) return 1;
  *at = '\0';
  if (!cmd_parse_double("maml eval", "--group", at + 1, 0, 100, &g->alpha)) return 0;
  g->alpha_given = 1;
  return 1;
}

/* run path p (a checkpoint or a run directory) appended to g; 0 after a message */
static int add_run(seed_group *g, const char *p) {
  if (!*p) {
    fprintf(stderr, "maml eval: --group %s: an empty path in its list\n", g->name);
    return 0;
  }
  if (g->n_runs == MAX_GROUP_RUNS) {
    fprintf(stderr, "maml eval: --group %s: more than %d runs\n", g->name, MAX_GROUP_RUNS);
    return 0;
  }
  if (g->n_runs == g->cap) { /* room for twice as many */
    int cap = g->cap ? 2 * g->cap : 8;
    entry *more = realloc(g->runs, (size_t)cap * sizeof *more);
    if (!more) {
      fprintf(stderr, "maml eval: --group %s: out of memory for %d runs\n", g->name, cap);
      return 0;
    }
    g->runs = more, g->cap = cap;
  }
  entry *e = &g->runs[g->n_runs];
  memset(e, 0, sizeof *e);
  e->iteration = -1;
  snprintf(e->name, sizeof e->name, "%s", g->name);
  if (!cmd_checkpoint_path(p, e->path, sizeof e->path)) {
    fprintf(stderr, "maml eval: --group %s: path too long: %.80s...\n", g->name, p);
    return 0;
  }
  struct stat s;
  if (stat(e->path, &s) != 0 || !S_ISREG(s.st_mode)) {
    fprintf(stderr, "maml eval: --group %s: %s: no such checkpoint or run directory%s\n", g->name,
            p, strcmp(p, e->path) ? " (no best.ckpt or latest.ckpt in it)" : "");
    return 0;
  }
  for (int r = 0; r < g->n_runs; r++)
    if (!strcmp(g->runs[r].path, e->path)) {
      fprintf(stderr, "maml eval: --group %s: %s is in its list twice\n", g->name, e->path);
      return 0;
    }
  g->n_runs++;
  return 1;
}

/* the runs of a list file, one path a line (blank lines and # comments skipped) */
static int read_run_list(seed_group *g, const char *path) {
  char err[PATH_LEN + 512], *line = NULL;
  FILE *in = maml_file_fopen_input(path, err, sizeof err);
  if (!in) {
    fprintf(stderr, "maml eval: --group %s: %s\n", g->name, err);
    return 0;
  }
  size_t cap = 0;
  int ok = 1;
  while (ok && getline(&line, &cap, in) >= 0) {
    line[strcspn(line, "\r\n")] = '\0';
    const char *p = line + strspn(line, " \t");
    if (*p && *p != '#') ok = add_run(g, p);
  }
  if (ok && ferror(in)) {
    fprintf(stderr, "maml eval: --group %s: reading %s failed: %s\n", g->name, path,
            strerror(errno));
    ok = 0;
  }
  free(line);
  fclose(in);
  return ok;
}

/* NAME=LIST into g (its runs allocated); 0 after a message */
static int parse_group(const char *arg, char *buf, seed_group *g) {
  if (!group_alpha(buf, g)) return 0;
  char *eq = strchr(buf, '=');
  if (!eq) {
    fprintf(stderr,
            "maml eval: --group '%s': expected NAME=PATH,PATH,...[@ALPHA] or "
            "NAME=@FILE[@ALPHA]\n",
            arg);
    return 0;
  }
  *eq = '\0';
  if (!eval_valid_name(buf) || !strcmp(buf, "random")) {
    fprintf(stderr,
            "maml eval: --group '%s': the name '%s' is not 1 to %d letters, digits and "
            "- _ . + (nor random)\n",
            arg, buf, NAME_LEN);
    return 0;
  }
  snprintf(g->name, sizeof g->name, "%s", buf);
  char *list = eq + 1;
  if (!*list) {
    fprintf(stderr, "maml eval: --group %s: no runs after '='\n", g->name);
    return 0;
  }
  if (list[0] == '@') {
    if (!read_run_list(g, list + 1)) return 0;
  } else {
    for (char *p = list;; p++) {
      char *comma = strchr(p, ',');
      if (comma) *comma = '\0';
      if (!add_run(g, p)) return 0;
      if (!comma) break;
      p = comma;
    }
  }
  if (g->n_runs == 0) {
    fprintf(stderr, "maml eval: --group %s: %s lists no runs\n", g->name, list + 1);
    return 0;
  }
  return 1;
}

int seeds_add_group(const char *arg, seed_groups *sg) {
  if (sg->n == MAX_SEED_GROUPS) {
    fprintf(stderr, "maml eval: at most %d groups\n", MAX_SEED_GROUPS);
    return 0;
  }
  seed_group *g = &sg->g[sg->n];
  memset(g, 0, sizeof *g);
  char *buf = malloc(strlen(arg) + 1);
  if (!buf) {
    fprintf(stderr, "maml eval: --group: out of memory\n");
    return 0;
  }
  strcpy(buf, arg);
  int ok = parse_group(arg, buf, g);
  free(buf);
  for (int k = 0; ok && k < sg->n; k++)
    if (!strcmp(sg->g[k].name, g->name)) {
      fprintf(stderr, "maml eval: two groups are named '%s': give each --group its own NAME\n",
              g->name);
      ok = 0;
    }
  sg->n++; /* freed by seeds_free even when refused */
  return ok;
}

int seeds_check_names(const seed_groups *sg, const entry *es, int n_pol) {
  for (int k = 0; k < sg->n; k++)
    for (int p = 0; p < n_pol; p++)
      if (!strcmp(sg->g[k].name, es[p].name)) {
        fprintf(stderr,
                "maml eval: --group %s has the name of a --policy: give each its own NAME\n",
                sg->g[k].name);
        return 0;
      }
  return 1;
}

/* ---- the step-size sweep ------------------------------------------------------------ */

/* the mean over g's runs of their mean return after the last step on the sweep goals, or
 * NaN after the message when a run diverged on one of them; -INFINITY after a failure's
 * message */
static double sweep_one(const maml_env_world *w, seed_group *g, const maml_eval_params *ep,
                        int n_goals, const double *goals, double *ret, int *div, maml_pool *pool) {
  char err[1024];
  double sum = 0;
  for (int r = 0; r < g->n_runs; r++) {
    entry *e = &g->runs[r];
    if (maml_evaluate(w, &e->policy, e->theta, n_goals, goals, ep, pool, ret, div, err,
                      sizeof err)) {
      fprintf(stderr, "\nmaml eval: sweep of %s (%s): %s\n", g->name, e->path, err);
      return -INFINITY;
    }
    int bad = eval_diverged_by(div, n_goals, ep->steps);
    if (bad) {
      printf(" %g -> diverged on %d goals of run %d", ep->alpha, bad, r + 1);
      return NAN;
    }
    double s = 0;
    for (int i = 0; i < n_goals; i++) s += ret[(size_t)ep->steps * n_goals + i];
    sum += s / n_goals;
  }
  printf(" %g -> %.2f", ep->alpha, sum / g->n_runs);
  fflush(stdout);
  return sum / g->n_runs;
}

int seeds_sweep(const maml_env_world *w, seed_group *g, const maml_eval_params *ep,
                const double *alphas, int n, int n_goals, maml_pool *pool) {
  double *goals = malloc((size_t)n_goals * MAML_TASK_MAX * sizeof(double));
  double *ret = malloc((size_t)(ep->steps + 1) * n_goals * sizeof(double));
  int *div = malloc((size_t)n_goals * sizeof *div);
  int ok = goals && ret && div, found = 0;
  if (!ok) fprintf(stderr, "maml eval: out of memory for the step-size sweep\n");
  if (ok) maml_eval_goals(w->family, ep->seed, 1, n_goals, goals);
  if (ok)
    printf("  %s: step-size sweep of %d runs on %d other goals:", g->name, g->n_runs, n_goals);
  double best = -INFINITY;
  for (int k = 0; ok && k < n; k++) {
    maml_eval_params pe = *ep;
    pe.alpha = alphas[k], pe.sweep = 1;
    double s = sweep_one(w, g, &pe, n_goals, goals, ret, div, pool);
    if (s == -INFINITY) ok = 0;
    if (ok && !isnan(s) && (!found || s > best)) best = s, g->alpha = alphas[k], found = 1;
  }
  if (ok && found) printf("; using %g\n", g->alpha);
  if (ok && !found) {
    printf("\n");
    fprintf(stderr,
            "maml eval: sweep of %s: every step size diverged (non-finite parameters or "
            "actions) on some of the %d sweep goals of some run: try smaller ones\n",
            g->name, n_goals);
    ok = 0;
  }
  for (int r = 0; ok && r < g->n_runs; r++) g->runs[r].alpha = g->alpha;
  free(goals), free(ret), free(div);
  return ok;
}

/* ---- statistics --------------------------------------------------------------------- */

/* a run's score after step k on the goals with which[i] set (all when which is NULL), the
 * mean eval.csv gives it; NaN when every one of them diverged */
static double run_score(const entry *e, int k, int n_goals, const int *group, int which,
                        double *x) {
  const double *ret = e->returns + (size_t)k * n_goals;
  int n = 0;
  for (int i = 0; i < n_goals; i++)
    if (!group || group[i] == which) x[n++] = ret[i];
  double m, se;
  return eval_finite_mean(x, n, &m, &se) ? m : NAN;
}

/* the statistics of the finite numbers of scores[0 .. n) */
static int summarise(const double *scores, int n, int resamples, maml_rng *rng, double *x,
                     seed_summary *s) {
  s->n = 0;
  for (int r = 0; r < n; r++)
    if (isfinite(scores[r])) x[s->n++] = scores[r];
  s->left_out = n - s->n;
  s->mean = maml_stats_mean(x, s->n);
  char err[256];
  if (maml_stats_bootstrap(x, s->n, resamples, SEEDS_LEVEL, rng, &s->mean_ci, &s->iqm_ci, err,
                           sizeof err) != MAML_OK) {
    fprintf(stderr, "maml eval: %s\n", err);
    return 0;
  }
  s->iqm = maml_stats_iqm(x, s->n, x);
  return 1;
}

/* the finite numbers of x[0 .. n) into out; how many */
static int scored(const double *x, int n, double *out) {
  int m = 0;
  for (int r = 0; r < n; r++)
    if (isfinite(x[r])) out[m++] = x[r];
  return m;
}

/* P(first > g) at each step both took */
static int improvement(const seed_group *first, seed_group *g, int place, uint64_t seed,
                       int resamples, double *x, double *y, double *scratch) {
  int steps = first->steps < g->steps ? first->steps : g->steps;
  for (int k = 0; k <= g->steps; k++) {
    seed_improvement *v = &g->vs_first[k];
    v->p = v->ci.low = v->ci.high = NAN, v->pairs = 0;
    if (k > steps) continue;
    int nx = scored(first->scores + (size_t)k * first->n_runs, first->n_runs, x);
    int ny = scored(g->scores + (size_t)k * g->n_runs, g->n_runs, y);
    v->pairs = nx * ny;
    v->p = maml_stats_prob_improvement(x, nx, y, ny, scratch);
    maml_rng rng;
    maml_rng_init(&rng, seed, (uint32_t)k, MAML_PHASE_BOOTSTRAP, (uint32_t)place, 0x8000);
    char err[256];
    if (maml_stats_bootstrap_improvement(x, nx, y, ny, resamples, SEEDS_LEVEL, &rng, &v->ci, err,
                                         sizeof err) != MAML_OK) {
      fprintf(stderr, "maml eval: %s\n", err);
      return 0;
    }
  }
  return 1;
}

/* g's scores and statistics; place: its index, part of its bootstrap streams */
static int summarise_group(seed_group *g, int place, const goal_groups *gg, int n_goals,
                           uint64_t seed, int resamples, double *x) {
  int S = g->steps + 1, G = gg->n;
  g->scores = malloc((size_t)S * g->n_runs * sizeof *g->scores);
  g->all = malloc((size_t)S * sizeof *g->all);
  g->by_goal = malloc((size_t)(G ? G : 1) * S * sizeof *g->by_goal);
  g->vs_first = malloc((size_t)S * sizeof *g->vs_first);
  double *sc = malloc((size_t)g->n_runs * sizeof *sc);
  int ok = g->scores && g->all && g->by_goal && g->vs_first && sc;
  if (!ok) fprintf(stderr, "maml eval: out of memory for the statistics of %s\n", g->name);
  for (int k = 0; ok && k < S; k++) {
    double *row = g->scores + (size_t)k * g->n_runs;
    for (int r = 0; r < g->n_runs; r++) row[r] = run_score(&g->runs[r], k, n_goals, NULL, 0, x);
    maml_rng rng;
    maml_rng_init(&rng, seed, (uint32_t)k, MAML_PHASE_BOOTSTRAP, (uint32_t)place, 0);
    ok = summarise(row, g->n_runs, resamples, &rng, x, &g->all[k]);
    for (int j = 0; ok && j < G; j++) {
      for (int r = 0; r < g->n_runs; r++)
        sc[r] = run_score(&g->runs[r], k, n_goals, gg->group, j, x);
      maml_rng_init(&rng, seed, (uint32_t)k, MAML_PHASE_BOOTSTRAP, (uint32_t)place,
                    (uint32_t)j + 1);
      ok = summarise(sc, g->n_runs, resamples, &rng, x, &g->by_goal[(size_t)j * S + k]);
    }
  }
  free(sc);
  return ok;
}

int seeds_summarise(seed_groups *sg, const goal_groups *gg, int n_goals, uint64_t seed) {
  int most = n_goals;
  for (int k = 0; k < sg->n; k++) most = most > sg->g[k].n_runs ? most : sg->g[k].n_runs;
  double *x = malloc((size_t)most * sizeof *x), *y = malloc((size_t)most * sizeof *y);
  double *scratch = malloc((size_t)2 * most * sizeof *scratch);
  int ok = x && y && scratch;
  if (!ok) fprintf(stderr, "maml eval: out of memory for the statistics over runs\n");
  for (int k = 0; ok && k < sg->n; k++)
    ok = summarise_group(&sg->g[k], k, gg, n_goals, seed, sg->resamples, x);
  for (int k = 1; ok && k < sg->n; k++)
    ok = improvement(&sg->g[0], &sg->g[k], k, seed, sg->resamples, x, y, scratch);
  free(x), free(y), free(scratch);
  return ok;
}

/* ---- tables ------------------------------------------------------------------------- */

/* "  -12.34 [ -15.00,  -9.87]", or "no run scored" when every run diverged */
static void print_stat(double v, maml_interval ci, int n) {
  if (n)
    printf("   %8.2f [%8.2f, %8.2f]", v, ci.low, ci.high);
  else
    printf("   %29s", "no run scored");
}

static void print_labels(int steps) {
  for (int k = 0; k <= steps; k++) {
    char label[32];
    snprintf(label, sizeof label, "%d step%s", k, k == 1 ? "" : "s");
    printf("   %29s", label);
  }
  printf("\n");
}

/* a group's mean and IQM rows (of all goals, or of one distinct goal: s = by_goal + j * S) */
static void print_summary_rows(const seed_group *g, const char *goal, const seed_summary *s,
                               int steps, int width) {
  for (int q = 0; q < 2; q++) {
    printf("%-*s %6s %5d %-5s", width, q ? "" : g->name, goal, g->n_runs, q ? "IQM" : "mean");
    for (int k = 0; k <= steps; k++) {
      if (k > g->steps) {
        printf("   %29s", "-");
        continue;
      }
      print_stat(q ? s[k].iqm : s[k].mean, q ? s[k].iqm_ci : s[k].mean_ci, s[k].n);
    }
    printf("\n");
  }
}

/* under the table: the runs left out of a group's statistics, and at which steps */
static void print_left_out(const seed_group *g) {
  for (int k = 0; k <= g->steps; k++)
    if (g->all[k].left_out)
      printf("%s: %d of %d runs left out after %d steps (every goal diverged)\n", g->name,
             g->all[k].left_out, g->n_runs, k);
}

/* a run's one step size; 0 for an oracle (none) or learned step sizes (one per parameter) */
static double run_alpha(const entry *e) {
  return e->oracle || eval_learned_steps(e) ? 0 : e->alpha;
}

static void print_runs(const seed_groups *sg, int n_goals, int steps, int width) {
  printf("\nper run (its mean return over the goals that did not diverge):\n%-*s %7s %8s", width,
         "group", "alpha", "diverged");
  for (int k = 0; k <= steps; k++) printf("   %9d", k);
  printf("   run\n");
  for (int q = 0; q < sg->n; q++) {
    const seed_group *g = &sg->g[q];
    for (int r = 0; r < g->n_runs; r++) {
      const entry *e = &g->runs[r];
      if (!run_alpha(e))
        printf("%-*s %7s %8d", width, g->name, e->oracle ? "-" : "learned",
               eval_diverged_by(e->diverged, n_goals, e->steps));
      else
        printf("%-*s %7.3g %8d", width, g->name, e->alpha,
               eval_diverged_by(e->diverged, n_goals, e->steps));
      for (int k = 0; k <= steps; k++) {
        double v = k <= g->steps ? g->scores[(size_t)k * g->n_runs + r] : NAN;
        if (k > g->steps)
          printf("   %9s", "-");
        else if (isfinite(v))
          printf("   %9.2f", v);
        else
          printf("   %9s", "diverged");
      }
      printf("   %s (iteration %lld)\n", e->path, e->iteration);
    }
  }
}

static void print_improvement(const seed_groups *sg, int steps, int width) {
  printf(
      "\nprobability that a run of %s beats a run of each group, P(%s > group), over run "
      "pairs\n(ties count 1/2; 95%% bootstrap interval):\n%-*s %5s %5s",
      sg->g[0].name, sg->g[0].name, width, "group", "runs", "");
  print_labels(steps);
  for (int q = 1; q < sg->n; q++) {
    const seed_group *g = &sg->g[q];
    printf("%-*s %5d %5s", width, g->name, g->n_runs, "");
    for (int k = 0; k <= steps; k++) {
      const seed_improvement *v = k <= g->steps ? &g->vs_first[k] : NULL;
      if (!v || !isfinite(v->p))
        printf("   %29s", "-");
      else
        printf("   %8.3f [%8.3f, %8.3f]", v->p, v->ci.low, v->ci.high);
    }
    printf("\n");
  }
}

void seeds_print(const seed_groups *sg, const goal_groups *gg, int n_goals) {
  if (!sg->n) return;
  int steps = 0, width = 14; /* the group column fits the longest name */
  for (int q = 0; q < sg->n; q++) {
    steps = sg->g[q].steps > steps ? sg->g[q].steps : steps;
    int len = (int)strlen(sg->g[q].name);
    width = len > width ? len : width;
  }
  printf(
      "\nover runs (a run's score: its mean return over the %d goals%s; mean and "
      "interquartile\nmean of the scores, 95%% percentile bootstrap interval over runs, %d "
      "resamples):\n%-*s %6s %5s %-5s",
      n_goals, gg->n ? ", or over those of one goal" : "", sg->resamples, width, "group", "goal",
      "runs", "");
  print_labels(steps);
  for (int q = 0; q < sg->n; q++) print_summary_rows(&sg->g[q], "all", sg->g[q].all, steps, width);
  for (int j = 0; j < gg->n; j++)
    for (int q = 0; q < sg->n; q++) {
      const seed_group *g = &sg->g[q];
      print_summary_rows(g, gg->text[j], g->by_goal + (size_t)j * (g->steps + 1), steps, width);
    }
  for (int q = 0; q < sg->n; q++) print_left_out(&sg->g[q]);
  print_runs(sg, n_goals, steps, width);
  if (sg->n > 1) print_improvement(sg, steps, width);
}

/* ---- files -------------------------------------------------------------------------- */

/* the step size all of g's runs used, or 0 when they differ (or oracle runs took none, or
 * runs adapted with learned step sizes, one per parameter) */
static double common_alpha(const seed_group *g) {
  for (int r = 0; r < g->n_runs; r++)
    if (!run_alpha(&g->runs[r]) || g->runs[r].alpha != g->runs[0].alpha) return 0;
  return g->runs[0].alpha;
}

/* the columns from group to statistic */
static void csv_head(FILE *f, const seed_group *g, const char *goal, int k, const char *stat) {
  fprintf(f, "%s,", g->name);
  eval_csv_text(f, goal);
  fprintf(f, ",%d,%s,", k, stat);
}

/* from value to the end */
static void csv_tail(FILE *f, double v, maml_interval ci, int n, int left_out, const char *run,
                     double alpha, long long iteration) {
  eval_csv_number(f, v);
  fputc(',', f);
  eval_csv_number(f, ci.low);
  fputc(',', f);
  eval_csv_number(f, ci.high);
  fprintf(f, ",%d,%d,", n, left_out);
  eval_csv_text(f, run);
  fputc(',', f);
  if (alpha > 0) fprintf(f, "%.9g", alpha);
  fputc(',', f);
  if (iteration >= 0) fprintf(f, "%lld", iteration);
  fputc('\n', f);
}

static void csv_summaries(FILE *f, const seed_group *g, const char *goal, const seed_summary *s) {
  double alpha = common_alpha(g);
  for (int q = 0; q < 2; q++)
    for (int k = 0; k <= g->steps; k++) {
      csv_head(f, g, goal, k, q ? "iqm" : "mean");
      fputc(',', f);
      csv_tail(f, q ? s[k].iqm : s[k].mean, q ? s[k].iqm_ci : s[k].mean_ci, s[k].n, s[k].left_out,
               "", alpha, -1);
    }
}

static void csv_group(FILE *f, const seed_group *g, const goal_groups *gg, int n_goals) {
  maml_interval none = {NAN, NAN};
  for (int r = 0; r < g->n_runs; r++) {
    const entry *e = &g->runs[r];
    for (int k = 0; k <= g->steps; k++) {
      int lost = eval_diverged_by(e->diverged, n_goals, k);
      csv_head(f, g, "", k, "run");
      fputc(',', f);
      csv_tail(f, g->scores[(size_t)k * g->n_runs + r], none, n_goals - lost, lost, e->path,
               run_alpha(e), e->iteration);
    }
  }
  csv_summaries(f, g, "", g->all);
  for (int j = 0; j < gg->n; j++)
    csv_summaries(f, g, gg->text[j], g->by_goal + (size_t)j * (g->steps + 1));
}

int seeds_write_csv(const char *dir, const seed_groups *sg, const goal_groups *gg, int n_goals) {
  char path[PATH_LEN + 32];
  FILE *f = eval_create_in(dir, "eval-seeds.csv", path, sizeof path);
  if (!f) return 0;
  fprintf(f,
          "group,goal,steps,statistic,versus,value,ci_low,ci_high,n,left_out,run,alpha,"
          "iteration\n");
  for (int q = 0; q < sg->n; q++) csv_group(f, &sg->g[q], gg, n_goals);
  for (int q = 1; q < sg->n; q++) {
    const seed_group *g = &sg->g[q];
    for (int k = 0; k <= g->steps; k++) {
      const seed_improvement *v = &g->vs_first[k];
      if (k > sg->g[0].steps) continue;
      csv_head(f, &sg->g[0], "", k, "p_improvement");
      fprintf(f, "%s,", g->name);
      csv_tail(f, v->p, v->ci, v->pairs, sg->g[0].all[k].left_out + g->all[k].left_out, "", 0, -1);
    }
  }
  return eval_close_written(f, path);
}

/* ---- eval.json ---------------------------------------------------------------------- */

/* "key":[v0,v1,...] of the steps */
static void json_steps(FILE *js, const char *key, const double *v, size_t stride, int S) {
  fprintf(js, ",\"%s\":[", key);
  for (int k = 0; k < S; k++) {
    fputs(k ? "," : "", js);
    eval_json_number(js, v[(size_t)k * stride]);
  }
  fputs("]", js);
}

static void json_summaries(FILE *js, const seed_summary *s, int S) {
  static const char *const keys[] = {"runs_scored", "runs_left_out"};
  for (int q = 0; q < 2; q++) {
    fprintf(js, ",\"%s\":[", keys[q]);
    for (int k = 0; k < S; k++) fprintf(js, "%s%d", k ? "," : "", q ? s[k].left_out : s[k].n);
    fputs("]", js);
  }
  for (int q = 0; q < 2; q++) {
    fprintf(js, ",\"%s\":[", q ? "iqm" : "mean");
    for (int k = 0; k < S; k++) {
      fputs(k ? "," : "", js);
      eval_json_number(js, q ? s[k].iqm : s[k].mean);
    }
    fprintf(js, "],\"%s_ci\":[", q ? "iqm" : "mean");
    for (int k = 0; k < S; k++) {
      maml_interval ci = q ? s[k].iqm_ci : s[k].mean_ci;
      fputs(k ? ",[" : "[", js);
      eval_json_number(js, ci.low);
      fputc(',', js);
      eval_json_number(js, ci.high);
      fputc(']', js);
    }
    fputs("]", js);
  }
}

static void json_run(FILE *js, const entry *e, const double *scores, int n_runs, int n_goals) {
  fputs("{\"checkpoint\":", js);
  eval_json_text(js, e->path);
  fprintf(js, ",\"iteration\":%lld,\"alpha\":", e->iteration);
  eval_json_number(js, run_alpha(e) ? run_alpha(e) : NAN);
  json_steps(js, "score", scores, (size_t)n_runs, e->steps + 1);
  fputs(",\"diverged_at\":[", js);
  for (int i = 0; i < n_goals; i++) {
    fputs(i ? "," : "", js);
    if (e->diverged[i] >= 0)
      fprintf(js, "%d", e->diverged[i]);
    else
      fputs("null", js);
  }
  fputs("],\"per_goal\":[", js);
  for (int k = 0; k <= e->steps; k++) {
    fputs(k ? ",[" : "[", js);
    for (int i = 0; i < n_goals; i++) {
      fputs(i ? "," : "", js);
      eval_json_number(js, e->returns[(size_t)k * n_goals + i]);
    }
    fputs("]", js);
  }
  fputs("]}", js);
}

static void json_group(FILE *js, const seed_groups *sg, int q, const goal_groups *gg, int n_goals) {
  const seed_group *g = &sg->g[q];
  int S = g->steps + 1;
  fprintf(js, "{\"name\":\"%s\",\"alpha\":", g->name);
  double alpha = common_alpha(g);
  eval_json_number(js, alpha > 0 ? alpha : NAN);
  fprintf(js, ",\"oracle\":%s", g->runs[0].oracle ? "true" : "false");
  json_summaries(js, g->all, S);
  fputs(",\"runs\":[", js);
  for (int r = 0; r < g->n_runs; r++) {
    fputs(r ? "," : "", js);
    json_run(js, &g->runs[r], g->scores + r, g->n_runs, n_goals);
  }
  fputs("],\"by_goal\":[", js);
  for (int j = 0; j < gg->n; j++) {
    fprintf(js, "%s{\"goal\":", j ? "," : "");
    eval_json_text(js, gg->text[j]);
    json_summaries(js, g->by_goal + (size_t)j * S, S);
    fputs("}", js);
  }
  fputs("]", js);
  if (q > 0) {
    fprintf(js, ",\"p_improvement\":{\"of\":\"%s\"", sg->g[0].name);
    fputs(",\"p\":[", js);
    for (int k = 0; k < S; k++) {
      fputs(k ? "," : "", js);
      eval_json_number(js, g->vs_first[k].p);
    }
    fputs("],\"ci\":[", js);
    for (int k = 0; k < S; k++) {
      fputs(k ? ",[" : "[", js);
      eval_json_number(js, g->vs_first[k].ci.low);
      fputc(',', js);
      eval_json_number(js, g->vs_first[k].ci.high);
      fputc(']', js);
    }
    fputs("]}", js);
  }
  fputs("}", js);
}

void seeds_write_json(FILE *js, const seed_groups *sg, const goal_groups *gg, int n_goals) {
  fprintf(js,
          ",\"bootstrap\":{\"resamples\":%d,\"level\":%g,\"method\":\"percentile, over runs\"}"
          ",\"groups\":[",
          sg->resamples, SEEDS_LEVEL);
  for (int q = 0; q < sg->n; q++) {
    fputs(q ? "," : "", js);
    json_group(js, sg, q, gg, n_goals);
  }
  fputs("]", js);
}

void seeds_free(seed_groups *sg) {
  for (int q = 0; q < sg->n; q++) {
    seed_group *g = &sg->g[q];
    for (int r = 0; g->runs && r < g->n_runs; r++)
      free(g->runs[r].theta), free(g->runs[r].step_sizes), free(g->runs[r].returns),
          free(g->runs[r].diverged);
    free(g->runs), free(g->scores), free(g->all), free(g->by_goal), free(g->vs_first);
  }
  sg->n = 0;
}
