/* `maml eval`: few-shot adaptation on held-out goals, several policies on the same goals. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd.h"
#include "maml/comm.h"
#include "envs/env.h"
#include "maml/checkpoint.h"
#include "maml/config.h"
#include "maml/eval.h"

#define MAX_POLICIES 16
#define MAX_GOALS 10000
#define PATH_LEN 4096

static void eval_usage(FILE *out) {
  fprintf(out,
          "usage: maml eval --policy NAME=CHECKPOINT[@ALPHA] [--policy random[@ALPHA]] ...\n"
          "                 [--env FAMILY] [--goals N | --goal G ... | --goals-file FILE]\n"
          "                 [--steps K] [--episodes N] [--alpha A] [--sweep-alpha LIST]\n"
          "                 [--sweep-goals N] [--seed S] [--threads N]\n"
          "                 [--out DIR] [--assets DIR]\n"
          "\n"
          "Evaluate few-shot adaptation on held-out goals (the MAML paper's protocol): per\n"
          "goal, N episodes with the policy as it is (0 steps), then a policy-gradient step\n"
          "of size ALPHA on them and N new episodes (1 step), then steps of ALPHA/2. Every\n"
          "policy sees the same goals and the same random streams. Under `mpirun -np N`\n"
          "the ranks split the goals; the results are the same.\n"
          "\n"
          "options:\n"
          "  --policy NAME=PATH[@ALPHA]  a checkpoint (or a run directory: its best.ckpt);\n"
          "                     ALPHA defaults to the run's inner step size for MAML runs,\n"
          "                     else --alpha. `random` is a freshly initialised policy.\n"
          "                     An oracle checkpoint is evaluated without adaptation.\n"
          "  --env FAMILY       the family (default: the checkpoints')\n"
          "  --goals N          N held-out goals from the evaluation stream (default 40)\n"
          "  --goal G           an explicit goal (repeatable; `maml envs` shows the syntax)\n"
          "  --goals-file FILE  explicit goals, one per line\n"
          "  --steps K          adaptation steps (default 3; nav2d 4)\n"
          "  --episodes N       episodes per goal and step (default 20; nav2d, ant-dir 40)\n"
          "  --alpha A          step size of policies without their own (default 0.1)\n"
          "  --sweep-alpha LIST try these step sizes (e.g. 0.02,0.05,0.1,0.2) for each policy\n"
          "                     without @ALPHA on separate goals (--sweep-goals, default\n"
          "                     10) and keep the best return after the last step\n"
          "  --seed S           evaluation seed (default 1): goals and episodes\n"
          "  --threads N        worker threads (default: all cores); results do not change\n"
          "  --out DIR          where to write eval.csv, eval.json, goals.txt; with two or\n"
          "                     more policies eval-paired.csv (the first policy minus each\n"
          "                     other, goal by goal); when goals repeat (the two directions\n"
          "                     of cheetah-dir, ant-dir) eval-by-goal.csv. Both are also\n"
          "                     printed as tables.\n"
          "                     (default runs/eval-FAMILY-DATE-TIME)\n"
          "  --assets DIR       look for the MJCF models in DIR only (default: the folder\n"
          "                     the checkpoints recorded, and a model that hashes otherwise\n"
          "                     than the one they were trained on is refused; a model\n"
          "                     named with --assets is used, with a warning)\n"
          "  -h, --help         print this message\n");
}

typedef struct {
  char name[64];
  char path[PATH_LEN]; /* "" for random */
  double alpha;        /* 0: not given */
  int alpha_given;     /* set with @ALPHA: not swept */
  int oracle;
  maml_policy policy;
  maml_real *theta;
  double *returns;     /* (steps + 1, goals) */
  int steps;           /* steps evaluated (0 for the oracle) */
} entry;

static int parse_long(const char *opt, const char *v, long lo, long hi, long *out) {
  return cmd_parse_long("maml eval", opt, v, lo, hi, out);
}

/* a step size in (0, 100] */
static int parse_alpha(const char *opt, const char *v, double *out) {
  return cmd_parse_double("maml eval", opt, v, 0, 100, out);
}

/* NAME=PATH[@ALPHA] or random[@ALPHA] */
static int parse_policy(const char *arg, entry *e) {
  memset(e, 0, sizeof *e);
  char buf[PATH_LEN + 128];
  if (snprintf(buf, sizeof buf, "%s", arg) >= (int)sizeof buf) {
    fprintf(stderr, "maml eval: --policy: too long\n");
    return 0;
  }
  char *at = strrchr(buf, '@');
  if (at) {
    *at = '\0';
    if (!parse_alpha("--policy", at + 1, &e->alpha)) return 0;
    e->alpha_given = 1;
  }
  char *eq = strchr(buf, '=');
  if (!eq) {
    if (strcmp(buf, "random") != 0) {
      fprintf(stderr, "maml eval: --policy '%s': expected NAME=CHECKPOINT or random\n", arg);
      return 0;
    }
    snprintf(e->name, sizeof e->name, "random");
    return 1;
  }
  *eq = '\0';
  if (!buf[0] || strlen(buf) >= sizeof e->name || !eq[1]) {
    fprintf(stderr, "maml eval: --policy '%s': expected NAME=CHECKPOINT with a short name\n", arg);
    return 0;
  }
  memcpy(e->name, buf, strlen(buf) + 1);
  if (!cmd_checkpoint_path(eq + 1, e->path, sizeof e->path)) {
    fprintf(stderr, "maml eval: --policy '%s': path too long\n", arg);
    return 0;
  }
  return 1;
}

/* load a checkpoint into e; fills env if empty, else checks it */
static int load_policy(entry *e, char *env, double default_alpha) {
  cmd_policy cp;
  char err[PATH_LEN + 512];
  if (!cmd_load_policy(e->path, &cp, err, sizeof err)) {
    fprintf(stderr, "maml eval: policy %s: %s\n", e->name, err);
    return 0;
  }
  if (!env[0]) snprintf(env, MAML_NAME_MAX, "%s", cp.env);
  if (strcmp(env, cp.env) != 0) {
    fprintf(stderr, "maml eval: policy %s was trained on %s, the evaluation is on %s\n", e->name,
            cp.env, env);
    free(cp.theta);
    return 0;
  }
  e->policy = cp.policy;
  e->theta = cp.theta;
  e->oracle = cp.oracle;
  if (!e->alpha) e->alpha = cp.alpha > 0 ? cp.alpha : default_alpha;
  return 1;
}

static int read_goals_file(const maml_env_family *f, const char *path, double *goals, int *n) {
  FILE *in = fopen(path, "r");
  if (!in) {
    fprintf(stderr, "maml eval: --goals-file %s: %s\n", path, strerror(errno));
    return 0;
  }
  char line[512], err[512];
  int lineno = 0, ok = 1;
  while (ok && fgets(line, sizeof line, in)) {
    lineno++;
    line[strcspn(line, "\r\n")] = '\0';
    char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (!*p || *p == '#') continue;
    if (*n >= MAX_GOALS) {
      fprintf(stderr, "maml eval: %s: more than %d goals\n", path, MAX_GOALS);
      ok = 0;
    } else if (f->parse_task(p, goals + (size_t)*n * MAML_TASK_MAX, err, sizeof err) != MAML_OK) {
      fprintf(stderr, "maml eval: %s:%d: %s\n", path, lineno, err);
      ok = 0;
    } else {
      (*n)++;
    }
  }
  fclose(in);
  return ok;
}

/* Set e->alpha to the step size of the list with the best mean return after the last step,
 * on the sweep's own goals and rollouts. */
static int sweep_alpha(const maml_env_world *w, entry *e, const maml_eval_params *ep,
                       const double *alphas, int n, int n_goals, maml_pool *pool) {
  double *goals = malloc((size_t)n_goals * MAML_TASK_MAX * sizeof(double));
  double *ret = malloc((size_t)(ep->steps + 1) * n_goals * sizeof(double));
  char err[1024];
  int ok = goals && ret;
  if (ok) maml_eval_goals(w->family, ep->seed, 1, n_goals, goals);
  double best = -INFINITY;
  printf("  %s: step-size sweep on %d other goals:", e->name, n_goals);
  for (int k = 0; ok && k < n; k++) {
    maml_eval_params pe = *ep;
    pe.alpha = alphas[k], pe.sweep = 1;
    if (maml_evaluate(w, &e->policy, e->theta, n_goals, goals, &pe, pool, ret, err, sizeof err)) {
      fprintf(stderr, "\nmaml eval: sweep of %s: %s\n", e->name, err);
      ok = 0;
      break;
    }
    double s = 0;
    for (int i = 0; i < n_goals; i++) s += ret[(size_t)ep->steps * n_goals + i];
    s /= n_goals;
    printf(" %g -> %.2f", alphas[k], s);
    if (s > best) best = s, e->alpha = alphas[k];
  }
  if (ok) printf("; using %g\n", e->alpha);
  free(goals), free(ret);
  return ok;
}

/* the progress line of one policy's evaluation: each step's mean return as its batches come */
static void print_step(void *ctx, int step, double mean_return) {
  (void)ctx;
  printf(" %s%d: %.1f", step ? "" : "step ", step, mean_return);
  fflush(stdout);
}

static void mean_stderr(const double *x, int n, double *mean, double *se) {
  double s = 0, s2 = 0;
  for (int i = 0; i < n; i++) s += x[i];
  *mean = s / n;
  for (int i = 0; i < n; i++) s2 += (x[i] - *mean) * (x[i] - *mean);
  *se = n > 1 ? sqrt(s2 / (n - 1) / n) : 0.0;
}

/* dir/name created for writing (its path in path); NULL after a message */
static FILE *create_in(const char *dir, const char *name, char *path, size_t n) {
  snprintf(path, n, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (!f) fprintf(stderr, "maml eval: cannot write %s: %s\n", path, strerror(errno));
  return f;
}

/* close f; 0 after a message if writing or closing it failed */
static int close_written(FILE *f, const char *path) {
  int ok = !ferror(f);
  ok &= fclose(f) == 0;
  if (!ok) fprintf(stderr, "maml eval: writing %s failed\n", path);
  return ok;
}

static int write_results(const char *dir, const maml_env_family *f, const entry *es, int n_pol,
                         const double *goals, int n_goals, const maml_eval_params *ep) {
  char g_path[PATH_LEN + 32], csv_path[PATH_LEN + 32], js_path[PATH_LEN + 32], text[128];
  FILE *g = create_in(dir, "goals.txt", g_path, sizeof g_path);
  FILE *csv = g ? create_in(dir, "eval.csv", csv_path, sizeof csv_path) : NULL;
  FILE *js = csv ? create_in(dir, "eval.json", js_path, sizeof js_path) : NULL;
  if (!js) {
    if (g) fclose(g);
    if (csv) fclose(csv);
    return 0;
  }
  fprintf(g, "# %s goals, one per line (maml eval --goals-file)\n", f->name);
  fprintf(js, "{\"env\":\"%s\",\"episodes\":%d,\"steps\":%d,\"horizon\":%d,\"seed\":%llu,\"goals\":[",
          f->name, ep->episodes, ep->steps, ep->horizon, (unsigned long long)ep->seed);
  for (int i = 0; i < n_goals; i++) {
    maml_env_format_task(f, goals + (size_t)i * MAML_TASK_MAX, text, sizeof text);
    fprintf(g, "%s\n", text);
    fprintf(js, "%s\"%s\"", i ? "," : "", text);
  }
  fprintf(js, "],\"policies\":[");
  fprintf(csv, "policy,alpha,steps,mean_return,stderr,goals\n");
  for (int p = 0; p < n_pol; p++) {
    const entry *e = &es[p];
    char alpha[32] = "";  // an oracle takes no step: no step size (empty in CSV, null in JSON)
    if (!e->oracle) snprintf(alpha, sizeof alpha, "%.9g", e->alpha);
    fprintf(js, "%s{\"name\":\"%s\",\"alpha\":%s,\"oracle\":%s,\"mean\":[", p ? "," : "",
            e->name, e->oracle ? "null" : alpha, e->oracle ? "true" : "false");
    for (int k = 0; k <= e->steps; k++) {
      double m, se;
      mean_stderr(e->returns + (size_t)k * n_goals, n_goals, &m, &se);
      fprintf(csv, "%s,%s,%d,%.9g,%.9g,%d\n", e->name, alpha, k, m, se, n_goals);
      fprintf(js, "%s%.9g", k ? "," : "", m);
    }
    fprintf(js, "],\"stderr\":[");
    for (int k = 0; k <= e->steps; k++) {
      double m, se;
      mean_stderr(e->returns + (size_t)k * n_goals, n_goals, &m, &se);
      fprintf(js, "%s%.9g", k ? "," : "", se);
    }
    fprintf(js, "],\"per_goal\":[");
    for (int k = 0; k <= e->steps; k++) {
      fprintf(js, "%s[", k ? "," : "");
      for (int i = 0; i < n_goals; i++)
        fprintf(js, "%s%.9g", i ? "," : "", e->returns[(size_t)k * n_goals + i]);
      fprintf(js, "]");
    }
    fprintf(js, "]}");
  }
  fprintf(js, "]}\n");
  int ok = close_written(g, g_path);
  ok &= close_written(csv, csv_path);
  ok &= close_written(js, js_path);
  return ok;
}

/* Goals that repeat (the two directions of cheetah-dir and ant-dir, or a --goal given more
 * than once) are also reported per distinct goal: a policy that adapts to one direction
 * only hides behind a mean over both. */
#define MAX_GROUPS 8

typedef struct {
  int n;                         /* distinct goals; 0: no breakdown */
  char text[MAX_GROUPS][64];     /* each as --goal writes it */
  int group[MAX_GOALS];          /* goal i belongs to group[i] */
  int count[MAX_GROUPS];
} goal_groups;

static void group_goals(const maml_env_family *f, const double *goals, int n_goals,
                        goal_groups *g) {
  g->n = 0;
  for (int i = 0; i < n_goals; i++) {
    char text[64];
    maml_env_format_task(f, goals + (size_t)i * MAML_TASK_MAX, text, sizeof text);
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

/* mean and standard error of ret (one return per goal) over the goals of group k */
static void group_mean_stderr(const goal_groups *g, int k, const double *ret, int n_goals,
                              double *mean, double *se) {
  double x[MAX_GOALS];
  int n = 0;
  for (int i = 0; i < n_goals; i++)
    if (g->group[i] == k) x[n++] = ret[i];
  mean_stderr(x, n, mean, se);
}

static int write_groups(const char *dir, const entry *es, int n_pol, const goal_groups *g,
                        int n_goals) {
  char path[PATH_LEN + 32];
  FILE *csv = create_in(dir, "eval-by-goal.csv", path, sizeof path);
  if (!csv) return 0;
  fprintf(csv, "policy,goal,steps,mean_return,stderr,goals\n");
  for (int p = 0; p < n_pol; p++)
    for (int k = 0; k < g->n; k++)
      for (int s = 0; s <= es[p].steps; s++) {
        double m, se;
        group_mean_stderr(g, k, es[p].returns + (size_t)s * n_goals, n_goals, &m, &se);
        const char *q = strchr(g->text[k], ',') ? "\"" : ""; /* nav2d's "x,y" is quoted */
        fprintf(csv, "%s,%s%s%s,%d,%.9g,%.9g,%d\n", es[p].name, q, g->text[k], q, s, m, se,
                g->count[k]);
      }
  return close_written(csv, path);
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

static void print_table(const entry *es, int n_pol, int n_goals, int steps) {
  printf("\n%-14s %7s", "policy", "alpha");
  print_step_labels(steps, 18);
  for (int p = 0; p < n_pol; p++) {
    const entry *e = &es[p];
    if (e->oracle)
      printf("%-14s %7s", e->name, "-");
    else
      printf("%-14s %7.3g", e->name, e->alpha);
    for (int k = 0; k <= steps; k++) {
      if (k > e->steps) {
        printf("   %18s", "-");
        continue;
      }
      double m, se;
      mean_stderr(e->returns + (size_t)k * n_goals, n_goals, &m, &se);
      printf("   %9.2f +- %5.2f", m, se);
    }
    printf("\n");
  }
  printf("(mean episode return over %d goals +- standard error)\n", n_goals);
}

static void print_groups(const entry *es, int n_pol, const goal_groups *g, int n_goals,
                         int steps) {
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
        group_mean_stderr(g, k, es[p].returns + (size_t)s * n_goals, n_goals, &m, &se);
        printf("   %9.2f +- %5.2f", m, se);
      }
      printf("\n");
    }
}

/* Policy a minus policy b after k steps, goal by goal: the mean and standard error of the
 * differences, and the number of goals where a is ahead. Every policy sees the same goals,
 * so the spread of returns across goals (most of the first table's standard errors)
 * cancels. */
static void paired(const entry *a, const entry *b, int k, int n_goals, double *mean, double *se,
                   int *ahead) {
  const double *x = a->returns + (size_t)k * n_goals, *y = b->returns + (size_t)k * n_goals;
  double d[MAX_GOALS];
  *ahead = 0;
  for (int i = 0; i < n_goals; i++) d[i] = x[i] - y[i], *ahead += x[i] > y[i];
  mean_stderr(d, n_goals, mean, se);
}

/* the policies the first one is compared with: the others, oracles excepted (they take no
 * step) */
static int compared(const entry *es, int p) { return p > 0 && !es[0].oracle && !es[p].oracle; }

static void print_paired(const entry *es, int n_pol, int n_goals, int steps) {
  printf("\n%s minus each policy, goal by goal (mean +- standard error, and on how many of\n"
         "the %d goals %s is ahead):\n%-22s", es[0].name, n_goals, es[0].name, "policy");
  print_step_labels(steps, 23);
  for (int p = 1; p < n_pol; p++) {
    if (!compared(es, p)) continue;
    printf("%-22s", es[p].name);
    for (int k = 0; k <= steps; k++) {
      double m, se;
      int ahead;
      paired(&es[0], &es[p], k, n_goals, &m, &se, &ahead);
      printf("   %9.2f +- %5.2f (%2d)", m, se, ahead);
    }
    printf("\n");
  }
}

static int write_paired(const char *dir, const entry *es, int n_pol, int n_goals, int steps) {
  char path[PATH_LEN + 32];
  FILE *csv = create_in(dir, "eval-paired.csv", path, sizeof path);
  if (!csv) return 0;
  fprintf(csv, "policy,minus,steps,mean_difference,stderr,ahead,goals\n");
  for (int p = 1; p < n_pol; p++)
    for (int k = 0; compared(es, p) && k <= steps; k++) {
      double m, se;
      int ahead;
      paired(&es[0], &es[p], k, n_goals, &m, &se, &ahead);
      fprintf(csv, "%s,%s,%d,%.9g,%.9g,%d,%d\n", es[0].name, es[p].name, k, m, se, ahead,
              n_goals);
    }
  return close_written(csv, path);
}

int cmd_eval(int argc, char **argv) {
  static entry es[MAX_POLICIES];
  static double goals[MAX_GOALS * MAML_TASK_MAX];
  int n_pol = 0, n_goals = 0;
  long goal_count = 0, steps = -1, episodes = -1, threads = 0, seed = 1;
  double alpha = 0.1;
  char env[MAML_NAME_MAX] = "";
  const char *goals_file = NULL, *out = NULL, *assets = NULL;
  double sweep[16];
  int n_sweep = 0;
  long sweep_goals = 10;
  const char *goal_texts[MAX_GOALS];
  int n_goal_texts = 0;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (cmd_is_help(a)) {
      eval_usage(stdout);
      return 0;
    }
    if (!v) {
      fprintf(stderr, "maml eval: %s needs a value (see --help)\n", a);
      return 2;
    }
    i++;
    if (!strcmp(a, "--policy")) {
      if (n_pol == MAX_POLICIES) {
        fprintf(stderr, "maml eval: at most %d policies\n", MAX_POLICIES);
        return 2;
      }
      if (!parse_policy(v, &es[n_pol++])) return 2;
    } else if (!strcmp(a, "--env")) {
      if (!maml_env_find(v)) {
        fprintf(stderr, "maml eval: --env: unknown family '%s' (one of %s)\n", v, maml_env_names());
        return 2;
      }
      snprintf(env, sizeof env, "%s", v);
    } else if (!strcmp(a, "--goals")) {
      if (!parse_long(a, v, 1, MAX_GOALS, &goal_count)) return 2;
    } else if (!strcmp(a, "--goal")) {
      if (n_goal_texts == MAX_GOALS) return 2;
      goal_texts[n_goal_texts++] = v;
    } else if (!strcmp(a, "--sweep-alpha")) {
      char buf[512], *save = NULL;
      snprintf(buf, sizeof buf, "%s", v);
      n_sweep = 0;
      for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n_sweep == 16) {
          fprintf(stderr, "maml eval: --sweep-alpha: at most 16 step sizes\n");
          return 2;
        }
        if (!parse_alpha(a, tok, &sweep[n_sweep++])) return 2;
      }
      if (n_sweep == 0) {
        fprintf(stderr, "maml eval: --sweep-alpha: give step sizes like 0.02,0.05,0.1\n");
        return 2;
      }
    } else if (!strcmp(a, "--sweep-goals")) {
      if (!parse_long(a, v, 1, MAX_GOALS, &sweep_goals)) return 2;
    } else if (!strcmp(a, "--goals-file")) {
      goals_file = v;
    } else if (!strcmp(a, "--steps")) {
      if (!parse_long(a, v, 0, 100, &steps)) return 2;
    } else if (!strcmp(a, "--episodes")) {
      if (!parse_long(a, v, 1, 65536, &episodes)) return 2;
    } else if (!strcmp(a, "--alpha")) {
      if (!parse_alpha(a, v, &alpha)) return 2;
    } else if (!strcmp(a, "--seed")) {
      if (!parse_long(a, v, 0, 2147483647, &seed)) return 2;
    } else if (!strcmp(a, "--threads")) {
      if (!parse_long(a, v, 1, 1024, &threads)) return 2;
    } else if (!strcmp(a, "--out")) {
      out = v;
    } else if (!strcmp(a, "--assets")) {
      assets = v;
    } else {
      fprintf(stderr, "maml eval: unknown option '%s' (see --help)\n", a);
      return 2;
    }
  }
  if (n_pol == 0) {
    fprintf(stderr, "maml eval: give at least one --policy (see --help)\n");
    return 2;
  }
  if ((goal_count > 0) + (n_goal_texts > 0) + (goals_file != NULL) > 1) {
    fprintf(stderr, "maml eval: use one of --goals, --goal and --goals-file\n");
    return 2;
  }

  int rc = 1;
  for (int p = 0; p < n_pol; p++)
    if (es[p].path[0] && !load_policy(&es[p], env, alpha)) goto done;
  if (!env[0]) {
    fprintf(stderr, "maml eval: no checkpoint names the family: give --env\n");
    rc = 2;
    goto done;
  }
  const maml_env_family *f = maml_env_find(env);
  int nav = !strcmp(env, "nav2d"), many = nav || !strcmp(env, "ant-dir");
  maml_eval_params ep = {.episodes = (int)(episodes > 0 ? episodes : many ? 40 : 20),
                         .steps = (int)(steps >= 0 ? steps : nav ? 4 : 3),
                         .horizon = f->horizon, .alpha = alpha, .gamma = 0.99,
                         .gae_lambda = 1.0, .seed = (uint64_t)seed, .comm = cmd_comm()};
  /* under mpirun every rank reads the same inputs, evaluates its block of the goals and
   * gets every return; rank 0 alone prints and writes */
  int lead = maml_comm_rank(ep.comm) == 0;
  char err[8192];
  if (goals_file) {
    if (!read_goals_file(f, goals_file, goals, &n_goals)) goto done;
  } else if (n_goal_texts) {
    for (int i = 0; i < n_goal_texts; i++)
      if (f->parse_task(goal_texts[i], goals + (size_t)i * MAML_TASK_MAX, err, sizeof err)) {
        fprintf(stderr, "maml eval: --goal: %s\n", err);
        rc = 2;
        goto done;
      }
    n_goals = n_goal_texts;
  } else {
    n_goals = (int)(goal_count > 0 ? goal_count : 40);
    maml_eval_goals(f, ep.seed, 0, n_goals, goals);
  }
  if (n_goals == 0) {
    fprintf(stderr, "maml eval: no goals\n");
    goto done;
  }

  char dir[PATH_LEN];
  if (out) {
    snprintf(dir, sizeof dir, "%s", out);
  } else {
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(dir, sizeof dir, "runs/eval-%s-%s", env, stamp);
  }

  cmd_quiet_mujoco();
  maml_env_world worlds[2];
  int opened[2] = {0, 0};
  maml_pool *pool = NULL;
  int cores = maml_cpu_count() / maml_comm_local_size(ep.comm);
  if (maml_pool_create(&pool, threads > 0 ? (int)threads : cores > 0 ? cores : 1, err,
                       sizeof err)) {
    fprintf(stderr, "maml eval: %s\n", err);
    goto done;
  }
  char ranks[48] = "";
  if (maml_comm_size(ep.comm) > 1)
    snprintf(ranks, sizeof ranks, " per rank, %d MPI ranks", maml_comm_size(ep.comm));
  printf("maml eval: %s, %d goals, %d episodes per goal and step, %d step%s, %d threads%s\n",
         env, n_goals, ep.episodes, ep.steps, ep.steps == 1 ? "" : "s", maml_pool_threads(pool),
         ranks);
  for (int p = 0; p < n_pol; p++) {
    entry *e = &es[p];
    int w = e->oracle;
    if (!opened[w]) {
      if (!cmd_open_world(&worlds[w], env, w, assets, "maml eval")) goto cleanup;
      opened[w] = 1;
    }
    if (!e->path[0]) { /* random: a fresh policy of the paper's shape */
      int hidden[2] = {100, 100};
      maml_policy_init(&e->policy, worlds[0].obs_dim, f->act_dim, 2, hidden, MAML_ACT_RELU, 1.0,
                       err, sizeof err);
      if (!(e->theta = malloc(e->policy.n_params * sizeof(maml_real)))) goto cleanup;
      maml_rng rng;
      maml_rng_init(&rng, ep.seed, 0, MAML_PHASE_INIT, 0, 0);
      maml_policy_init_params(&e->policy, e->theta, &rng);
      if (!e->alpha) e->alpha = alpha;
    }
    if (e->policy.obs_dim != worlds[w].obs_dim || e->policy.act_dim != f->act_dim) {
      fprintf(stderr, "maml eval: policy %s has %d -> %d numbers, %s needs %d -> %d\n", e->name,
              e->policy.obs_dim, e->policy.act_dim, env, worlds[w].obs_dim, f->act_dim);
      goto cleanup;
    }
    e->steps = e->oracle ? 0 : ep.steps;
    if (!(e->returns = malloc((size_t)(e->steps + 1) * n_goals * sizeof(double)))) goto cleanup;
    maml_eval_params pe = ep;
    pe.steps = e->steps;
    if (n_sweep && !e->oracle && !e->alpha_given &&
        !sweep_alpha(&worlds[w], e, &pe, sweep, n_sweep, (int)sweep_goals, pool))
      goto cleanup;
    pe.alpha = e->alpha;
    pe.progress = print_step;
    printf("  %s:", e->name);
    fflush(stdout);
    if (maml_evaluate(&worlds[w], &e->policy, e->theta, n_goals, goals, &pe, pool, e->returns, err,
                      sizeof err) != MAML_OK) {
      fprintf(stderr, "\nmaml eval: policy %s: %s\n", e->name, err);
      goto cleanup;
    }
    printf(" done\n");
  }
  print_table(es, n_pol, n_goals, ep.steps);
  int n_paired = 0;
  for (int p = 1; p < n_pol; p++) n_paired += compared(es, p);
  if (n_paired) print_paired(es, n_pol, n_goals, ep.steps);
  static goal_groups groups;
  group_goals(f, goals, n_goals, &groups);
  if (groups.n) print_groups(es, n_pol, &groups, n_goals, ep.steps);
  if (!lead) {
    rc = 0;
    goto cleanup;
  }
  if (cmd_make_dirs(dir) != 0) {
    fprintf(stderr, "maml eval: cannot create %s: %s\n", dir, strerror(errno));
    goto cleanup;
  }
  if (!write_results(dir, f, es, n_pol, goals, n_goals, &ep)) goto cleanup;
  if (groups.n && !write_groups(dir, es, n_pol, &groups, n_goals)) goto cleanup;
  if (n_paired && !write_paired(dir, es, n_pol, n_goals, ep.steps)) goto cleanup;
  printf("results: %s/eval.csv, %s/eval.json", dir, dir);
  if (n_paired) printf(", %s/eval-paired.csv", dir);
  if (groups.n) printf(", %s/eval-by-goal.csv", dir);
  printf("; goals: %s/goals.txt\n", dir);
  const char *names[MAX_POLICIES];
  int oracle[MAX_POLICIES];
  for (int p = 0; p < n_pol; p++) names[p] = es[p].name, oracle[p] = es[p].oracle;
  if (cmd_plot_eval(dir, env, names, oracle, n_pol, ep.steps, "maml eval") == 0)
    printf("plot: %s/eval.png, %s/eval.svg\n", dir, dir);
  rc = 0;
cleanup:
  for (int w = 0; w < 2; w++)
    if (opened[w]) maml_env_world_close(&worlds[w]);
  maml_pool_destroy(pool);
done:
  for (int p = 0; p < n_pol; p++) free(es[p].theta), free(es[p].returns);
  return rc;
}
