/* `maml eval`'s tables and files (eval_report.h). */
#include "eval_report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "eval_common.h"
#include "eval_seeds.h"
#include "maml/matmul.h"

/* a table cell: mean +- standard error, or "diverged" when no goal is left */
static void print_cell(double m, double se, int used) {
  if (used)
    printf("   %9.2f +- %5.2f", m, se);
  else
    printf("   %18s", "diverged");
}

/* the checkpoint a policy's parameters come from, as the files name it */
static const char *source_of(const entry *e) {
  return e->path[0] ? e->path : "random";
}

static void write_policy_json(FILE *js, const entry *e, int n_goals) {
  char net[256];
  cmd_format_network(&e->policy, net, sizeof net);
  fprintf(js, "{\"name\":\"%s\",\"checkpoint\":", e->name);
  eval_json_text(js, source_of(e));
  fprintf(js, ",\"iteration\":");
  if (e->path[0])
    fprintf(js, "%lld", e->iteration);
  else
    fputs("null", js);
  fprintf(js, ",\"network\":\"%s\",\"alpha\":", net);
  if (e->oracle || eval_learned_steps(e)) /* learned step sizes: per parameter, not one */
    fputs("null", js);
  else
    fprintf(js, "%.9g", e->alpha);
  fprintf(js, ",\"learned_step_sizes\":%s", eval_learned_steps(e) ? "true" : "false");
  fprintf(js, ",\"oracle\":%s", e->oracle ? "true" : "false");
  static const char *const keys[] = {"mean", "stderr", "goals_in_mean", "diverged"};
  for (int q = 0; q < 4; q++) {
    fprintf(js, ",\"%s\":[", keys[q]);
    for (int k = 0; k <= e->steps; k++) {
      double m, se;
      int used = eval_finite_mean(e->returns + (size_t)k * n_goals, n_goals, &m, &se);
      fputs(k ? "," : "", js);
      if (q < 2)
        eval_json_number(js, q ? (used ? se : NAN) : m);
      else
        fprintf(js, "%d", q == 2 ? used : n_goals - used);
    }
    fputs("]", js);
  }
  fprintf(js, ",\"diverged_at\":[");
  for (int i = 0; i < n_goals; i++) {
    fputs(i ? "," : "", js);
    if (e->diverged[i] >= 0)
      fprintf(js, "%d", e->diverged[i]);
    else
      fputs("null", js);
  }
  fprintf(js, "],\"per_goal\":[");
  for (int k = 0; k <= e->steps; k++) {
    fprintf(js, "%s[", k ? "," : "");
    for (int i = 0; i < n_goals; i++) {
      fputs(i ? "," : "", js);
      eval_json_number(js, e->returns[(size_t)k * n_goals + i]);
    }
    fprintf(js, "]");
  }
  fprintf(js, "]}");
}

static void write_policy_csv(FILE *csv, const entry *e, int n_goals) {
  char alpha[32] = "";  // an oracle takes no step: no step size (empty in CSV, null in JSON)
  if (eval_learned_steps(e))
    snprintf(alpha, sizeof alpha, "learned");
  else if (!e->oracle)
    snprintf(alpha, sizeof alpha, "%.9g", e->alpha);
  for (int k = 0; k <= e->steps; k++) {
    double m, se;
    int used = eval_finite_mean(e->returns + (size_t)k * n_goals, n_goals, &m, &se);
    fprintf(csv, "%s,%s,%d,", e->name, alpha, k);
    eval_csv_number(csv, m);
    fputc(',', csv);
    eval_csv_number(csv, used ? se : NAN);
    fprintf(csv, ",%d,%d,", used, n_goals - used);
    eval_csv_text(csv, source_of(e));
    fputc(',', csv);
    if (e->path[0]) fprintf(csv, "%lld", e->iteration);
    fputc('\n', csv);
  }
}

static int write_results(const char *dir, const maml_env_family *f, const entry *es, int n_pol,
                         const double *goals, int n_goals, const maml_eval_params *ep,
                         const seed_groups *sg, const goal_groups *groups) {
  char g_path[PATH_LEN + 32], csv_path[PATH_LEN + 32], js_path[PATH_LEN + 32];
  char text[MAML_TASK_MAX * 26]; /* a dynamics task: up to MAML_TASK_MAX numbers */
  FILE *g = eval_create_in(dir, "goals.txt", g_path, sizeof g_path);
  FILE *csv = g ? eval_create_in(dir, "eval.csv", csv_path, sizeof csv_path) : NULL;
  FILE *js = csv ? eval_create_in(dir, "eval.json", js_path, sizeof js_path) : NULL;
  if (!js) {
    if (g) fclose(g);
    if (csv) fclose(csv);
    return 0;
  }
  fprintf(g, "# %s goals, one per line (maml eval --goals-file)\n", f->name);
  int outside = eval_goals_outside(f, goals, n_goals); /* given with --extrapolate */
  fprintf(js,
          "{\"env\":\"%s\",\"episodes\":%d,\"steps\":%d,\"horizon\":%d,\"seed\":%llu,"
          "\"matmul\":\"%s\",\"goals_outside_training\":%d,\"goals\":[",
          f->name, ep->episodes, ep->steps, ep->horizon, (unsigned long long)ep->seed,
          maml_matmul_name(maml_matmul_current()), outside);
  for (int i = 0; i < n_goals; i++) {
    maml_env_format_task(f, goals + (size_t)i * MAML_TASK_MAX, text, sizeof text);
    fprintf(g, "%s\n", text);
    fprintf(js, "%s\"%s\"", i ? "," : "", text);
  }
  fprintf(js, "],\"policies\":[");
  fprintf(csv, "policy,alpha,steps,mean_return,stderr,goals,diverged,checkpoint,iteration\n");
  for (int p = 0; p < n_pol; p++) {
    fputs(p ? "," : "", js);
    write_policy_json(js, &es[p], n_goals);
    write_policy_csv(csv, &es[p], n_goals);
  }
  fprintf(js, "]");
  if (sg->n) seeds_write_json(js, sg, groups, n_goals);
  fprintf(js, "}\n");
  int ok = eval_close_written(g, g_path);
  ok &= eval_close_written(csv, csv_path);
  ok &= eval_close_written(js, js_path);
  return ok;
}

void eval_group_goals(const maml_env_family *f, const double *goals, int n_goals, goal_groups *g) {
  g->n = 0;
  for (int i = 0; i < n_goals; i++) {
    char text[64];
    if (maml_env_format_task(f, goals + (size_t)i * MAML_TASK_MAX, text, sizeof text) >=
        (int)sizeof text) {
      g->n = 0; /* a task too long to name (dynamics): no groups, never two merged */
      return;
    }
    int k = 0;
    while (k < g->n && strcmp(g->text[k], text) != 0) k++;
    if (k == g->n) {
      if (g->n == MAX_GROUPS) {
        g->n = 0;
        return;
      }
      memcpy(g->text[k], text, sizeof text);
      g->count[g->n++] = 0;
    }
    g->group[i] = k;
    g->count[k]++;
  }
  if (g->n < 2 || g->n == n_goals) g->n = 0; /* nothing repeats, or all one goal */
}

/* mean and standard error of ret (one return per goal) over the goals of group k that did
 * not diverge; returns how many they are */
static int group_mean_stderr(const goal_groups *g, int k, const double *ret, int n_goals,
                             double *mean, double *se) {
  double x[MAX_GOALS];
  int n = 0;
  for (int i = 0; i < n_goals; i++)
    if (g->group[i] == k) x[n++] = ret[i];
  return eval_finite_mean(x, n, mean, se);
}

static int write_groups(const char *dir, const entry *es, int n_pol, const goal_groups *g,
                        int n_goals) {
  char path[PATH_LEN + 32];
  FILE *csv = eval_create_in(dir, "eval-by-goal.csv", path, sizeof path);
  if (!csv) return 0;
  fprintf(csv, "policy,goal,steps,mean_return,stderr,goals,diverged\n");
  for (int p = 0; p < n_pol; p++)
    for (int k = 0; k < g->n; k++)
      for (int s = 0; s <= es[p].steps; s++) {
        double m, se;
        int used = group_mean_stderr(g, k, es[p].returns + (size_t)s * n_goals, n_goals, &m, &se);
        const char *q = strchr(g->text[k], ',') ? "\"" : ""; /* a goal position's "x,y" is quoted */
        fprintf(csv, "%s,%s%s%s,%d,", es[p].name, q, g->text[k], q, s);
        eval_csv_number(csv, m);
        fputc(',', csv);
        eval_csv_number(csv, used ? se : NAN);
        fprintf(csv, ",%d,%d\n", used, g->count[k] - used);
      }
  return eval_close_written(csv, path);
}

/* the column labels "0 steps", "1 step", ... of the tables, each width wide, and the
 * line's end */
static void print_step_labels(int steps, int width) {
  for (int k = 0; k <= steps; k++) {
    char label[32];
    snprintf(label, sizeof label, "%d step%s", k, k == 1 ? "" : "s");
    printf("   %*s", width, label);
  }
  printf("\n");
}

/* under the table: which goals a policy lost, and at which steps */
static void print_divergence(const entry *e, int n_goals) {
  int total = eval_diverged_by(e->diverged, n_goals, e->steps);
  if (!total) return;
  printf("%s diverged on %d of %d goals (non-finite parameters or actions:", e->name, total,
         n_goals);
  const char *sep = "";
  for (int k = 0; k <= e->steps; k++) {
    int at = eval_diverged_by(e->diverged, n_goals, k) -
             (k ? eval_diverged_by(e->diverged, n_goals, k - 1) : 0);
    if (at) printf("%s %d at step %d", sep, at, k), sep = ",";
  }
  printf("); its means leave them out from that step on\n");
}

/* which parameters each policy is: checkpoint file and iteration, network */
void eval_print_sources(const entry *es, int n_pol, const net_shape *rnd) {
  printf("evaluated:\n");
  for (int p = 0; p < n_pol; p++) {
    const entry *e = &es[p];
    char net[256];
    cmd_format_network(&e->policy, net, sizeof net);
    if (e->path[0])
      printf("  %-14s %s, iteration %lld, %s\n", e->name, e->path, e->iteration, net);
    else
      printf("  %-14s random, %s (%s)\n", e->name, net, rnd->from);
  }
}

void eval_print_table(const entry *es, int n_pol, int n_goals, int steps) {
  printf("\n%-14s %7s %8s", "policy", "alpha", "diverged");
  print_step_labels(steps, 18);
  int any = 0;
  for (int p = 0; p < n_pol; p++) {
    const entry *e = &es[p];
    int lost = eval_diverged_by(e->diverged, n_goals, e->steps);
    any += lost > 0;
    if (e->oracle || eval_learned_steps(e))
      printf("%-14s %7s %8d", e->name, e->oracle ? "-" : "learned", lost);
    else
      printf("%-14s %7.3g %8d", e->name, e->alpha, lost);
    for (int k = 0; k <= steps; k++) {
      if (k > e->steps) {
        printf("   %18s", "-");
        continue;
      }
      double m, se;
      int used = eval_finite_mean(e->returns + (size_t)k * n_goals, n_goals, &m, &se);
      print_cell(m, se, used);
    }
    printf("\n");
  }
  if (!any) {
    printf("(mean episode return over %d goals +- standard error)\n", n_goals);
    return;
  }
  printf(
      "(mean episode return +- standard error over those of the %d goals that did not "
      "diverge)\n",
      n_goals);
  for (int p = 0; p < n_pol; p++) print_divergence(&es[p], n_goals);
}

void eval_print_groups(const entry *es, int n_pol, const goal_groups *g, int n_goals, int steps) {
  int width = 4;
  for (int k = 0; k < g->n; k++)
    if ((int)strlen(g->text[k]) > width) width = (int)strlen(g->text[k]);
  printf("\nby goal:\n%-14s %*s %5s", "policy", width, "goal", "goals");
  print_step_labels(steps, 18);
  for (int p = 0; p < n_pol; p++)
    for (int k = 0; k < g->n; k++) {
      printf("%-14s %*s %5d", es[p].name, width, g->text[k], g->count[k]);
      for (int s = 0; s <= steps; s++) {
        if (s > es[p].steps) {
          printf("   %18s", "-");
          continue;
        }
        double m, se;
        int used = group_mean_stderr(g, k, es[p].returns + (size_t)s * n_goals, n_goals, &m, &se);
        print_cell(m, se, used);
      }
      printf("\n");
    }
}

/* Policy a minus policy b after k steps, goal by goal, over the goals where neither
 * diverged: the mean and standard error of the differences, and the number of goals where
 * a is ahead. Every policy sees the same goals, so the spread of returns across goals
 * (most of the first table's standard errors) cancels. Returns the goals eval_compared. */
static int paired(const entry *a, const entry *b, int k, int n_goals, double *mean, double *se,
                  int *ahead) {
  const double *x = a->returns + (size_t)k * n_goals, *y = b->returns + (size_t)k * n_goals;
  double d[MAX_GOALS];
  int n = 0;
  *ahead = 0;
  for (int i = 0; i < n_goals; i++)
    if (isfinite(x[i]) && isfinite(y[i])) d[n++] = x[i] - y[i], *ahead += x[i] > y[i];
  return eval_finite_mean(d, n, mean, se);
}

/* the policies the first one is eval_compared with: the others, oracles excepted (they take no
 * step) */
int eval_compared(const entry *es, int p) {
  return p > 0 && !es[0].oracle && !es[p].oracle;
}

void eval_print_paired(const entry *es, int n_pol, int n_goals, int steps) {
  printf(
      "\n%s minus each policy, goal by goal (mean +- standard error, and on how many of\n"
      "the %d goals %s is ahead):\n%-22s",
      es[0].name, n_goals, es[0].name, "policy");
  print_step_labels(steps, 23);
  int left_out = 0;
  for (int p = 1; p < n_pol; p++) {
    if (!eval_compared(es, p)) continue;
    printf("%-22s", es[p].name);
    for (int k = 0; k <= steps; k++) {
      double m, se;
      int ahead, used = paired(&es[0], &es[p], k, n_goals, &m, &se, &ahead);
      left_out += used < n_goals;
      if (used)
        printf("   %9.2f +- %5.2f (%2d)", m, se, ahead);
      else
        printf("   %23s", "diverged");
    }
    printf("\n");
  }
  if (left_out)
    printf("(goals where either policy diverged are left out of that step's comparison)\n");
}

static int write_paired(const char *dir, const entry *es, int n_pol, int n_goals, int steps) {
  char path[PATH_LEN + 32];
  FILE *csv = eval_create_in(dir, "eval-paired.csv", path, sizeof path);
  if (!csv) return 0;
  fprintf(csv, "policy,minus,steps,mean_difference,stderr,ahead,goals,diverged\n");
  for (int p = 1; p < n_pol; p++)
    for (int k = 0; eval_compared(es, p) && k <= steps; k++) {
      double m, se;
      int ahead, used = paired(&es[0], &es[p], k, n_goals, &m, &se, &ahead);
      fprintf(csv, "%s,%s,%d,", es[0].name, es[p].name, k);
      eval_csv_number(csv, m);
      fputc(',', csv);
      eval_csv_number(csv, used ? se : NAN);
      fprintf(csv, ",%d,%d,%d\n", ahead, used, n_goals - used);
    }
  return eval_close_written(csv, path);
}

/* ---- the results folder ------------------------------------------------------------- */

/* what this command writes into its folder */
static const char *const own_files[] = {
    "eval.csv", "eval.json", "goals.txt",      "eval-paired.csv", "eval-by-goal.csv",
    "eval.png", "eval.svg",  "eval-seeds.csv", "eval-seeds.png",  "eval-seeds.svg"};

/* remove an earlier evaluation's files from dir, saying which; 0 after a message */
static int remove_own_files(const char *dir) {
  char path[PATH_LEN + 32], removed[256] = "";
  size_t len = 0;
  for (size_t k = 0; k < sizeof own_files / sizeof *own_files; k++) {
    snprintf(path, sizeof path, "%s/%s", dir, own_files[k]);
    if (unlink(path) == 0) {
      len += (size_t)snprintf(removed + len, sizeof removed - len, "%s%s", len ? ", " : "",
                              own_files[k]);
    } else if (errno != ENOENT) {
      fprintf(stderr, "maml eval: cannot remove the earlier %s: %s\n", path, strerror(errno));
      return 0;
    }
  }
  if (len)
    fprintf(stderr, "maml eval: note: %s held an earlier evaluation: removed its %s\n", dir,
            removed);
  return 1;
}

/* --out as given, made if missing, or a new runs/eval-FAMILY-DATE-TIME[-K]: mkdir
 * succeeds for one process only, so two evaluations never share a default folder */
static int make_out_dir(const char *out, const char *env, char *dir, size_t n) {
  if (out) {
    snprintf(dir, n, "%s", out);
    if (cmd_make_dirs(dir) != 0) {
      fprintf(stderr, "maml eval: cannot create %s: %s\n", dir, strerror(errno));
      return 0;
    }
    return remove_own_files(dir);
  }
  if (cmd_make_dirs("runs") != 0) {
    fprintf(stderr, "maml eval: cannot create runs: %s\n", strerror(errno));
    return 0;
  }
  char stamp[32];
  time_t now = time(NULL);
  struct tm tm;
  localtime_r(&now, &tm);
  strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  for (int k = 1; k < 10000; k++) {
    if (k == 1)
      snprintf(dir, n, "runs/eval-%s-%s", env, stamp);
    else
      snprintf(dir, n, "runs/eval-%s-%s-%d", env, stamp, k);
    if (mkdir(dir, 0755) == 0) return 1;
    if (errno != EEXIST) {
      fprintf(stderr, "maml eval: cannot create %s: %s\n", dir, strerror(errno));
      return 0;
    }
  }
  fprintf(stderr, "maml eval: runs/eval-%s-%s-2 ... -9999 are all taken\n", env, stamp);
  return 0;
}

/* the files of the evaluation in a folder of their own (rank 0 only); 0 after a message */
int eval_save(const char *out, const maml_env_family *f, const entry *es, int n_pol,
              const double *goals, int n_goals, const maml_eval_params *ep,
              const goal_groups *groups, int n_paired, const seed_groups *sg) {
  char dir[PATH_LEN];
  if (!make_out_dir(out, f->name, dir, sizeof dir)) return 0;
  if (!write_results(dir, f, es, n_pol, goals, n_goals, ep, sg, groups)) return 0;
  if (groups->n && !write_groups(dir, es, n_pol, groups, n_goals)) return 0;
  if (n_paired && !write_paired(dir, es, n_pol, n_goals, ep->steps)) return 0;
  if (sg->n && !seeds_write_csv(dir, sg, groups, n_goals)) return 0;
  printf("results: %s/eval.csv, %s/eval.json", dir, dir);
  if (n_paired) printf(", %s/eval-paired.csv", dir);
  if (groups->n && n_pol) printf(", %s/eval-by-goal.csv", dir);
  if (sg->n) printf(", %s/eval-seeds.csv", dir);
  printf("; goals: %s/goals.txt\n", dir);
  const char *names[MAX_POLICIES > MAX_SEED_GROUPS ? MAX_POLICIES : MAX_SEED_GROUPS];
  int oracle[MAX_POLICIES];
  for (int p = 0; p < n_pol; p++) names[p] = es[p].name, oracle[p] = es[p].oracle;
  if (n_pol && cmd_plot_eval(dir, f->name, names, oracle, n_pol, ep->steps, "maml eval") == 0)
    printf("plot: %s/eval.png, %s/eval.svg\n", dir, dir);
  for (int q = 0; q < sg->n; q++) names[q] = sg->g[q].name;
  if (sg->n && cmd_plot_seeds(dir, f->name, names, sg->n, ep->steps, "maml eval") == 0)
    printf("plot: %s/eval-seeds.png, %s/eval-seeds.svg\n", dir, dir);
  /* stdout gone (a pipe closed early, a full disk): the files are what count */
  if (fflush(stdout) != 0 || ferror(stdout)) {
    clearerr(stdout);
    fprintf(stderr, "maml eval: could not print everything to stdout; the results are in %s\n",
            dir);
  }
  return 1;
}
