/* `maml eval`: few-shot adaptation on held-out goals, several policies on the same goals. */
#include "maml/eval.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "eval_report.h"
#include "eval_seeds.h"
#include "maml/checkpoint.h"
#include "maml/comm.h"
#include "maml/config.h"
#include "maml/env.h"
#include "maml/file.h"
#include "maml/hash.h"
#include "maml/matmul.h"

static void eval_usage(FILE *out) {
  char discrete[512], steps[512], episodes[512]; /* from the registry */
  maml_env_discrete_names(discrete, sizeof discrete);
  maml_env_preset_text(MAML_PRESET_EVAL_STEPS, steps, sizeof steps);
  maml_env_preset_text(MAML_PRESET_EVAL_EPISODES, episodes, sizeof episodes);
  fprintf(out,
          "usage: maml eval --policy NAME=CHECKPOINT[@ALPHA] [--policy random[@ALPHA]] ...\n"
          "                 [--group NAME=PATH,PATH,...[@ALPHA] | --group NAME=@FILE] ...\n"
          "                 [--bootstrap N]\n"
          "                 [--env FAMILY] [--goals N | --goal G ... | --goals-file FILE]\n"
          "                 [--steps K] [--episodes N] [--alpha A] [--sweep-alpha LIST]\n"
          "                 [--sweep-goals N] [--seed S] [--threads N]\n"
          "                 [--random-hidden W,W,...] [--random-activation relu|tanh]\n"
          "                 [--out DIR] [--assets DIR] [--matmul NAME]\n"
          "\n"
          "Evaluate few-shot adaptation on held-out goals (the MAML paper's protocol): per\n"
          "goal, N episodes with the policy as it is (0 steps), then a policy-gradient step\n"
          "of size ALPHA on them and N new episodes (1 step), then steps of ALPHA/2. Every\n"
          "policy sees the same goals and the same random streams. Under `mpirun -np N`\n"
          "the ranks split the goals; the results are the same. Every rank reads the\n"
          "checkpoints and the goals file itself: a rank that read other contents than\n"
          "rank 0 (another machine's files) ends the job, naming them, before any work.\n"
          "Each step's episodes are sampled with the parameters it adapts, where the LVC\n"
          "inner loss (inner_loss = lvc) has REINFORCE's gradient: runs trained with either\n"
          "inner loss are evaluated with the same step. A run that learned its inner step\n"
          "sizes (learn_alpha = param or layer) adapts with them instead: parameter j's first\n"
          "step has its step size a_j, the later steps a_j/2 (as ALPHA, then ALPHA/2); an\n"
          "@ALPHA (the policy's or its group's) replaces them by ALPHA, and --sweep-alpha\n"
          "skips such a policy (or group).\n"
          "\n"
          "A goal diverges at the step where its parameters, or its episodes' observations,\n"
          "actions or rewards, hold a non-finite number (NaN, inf): from then on it has no\n"
          "return. The tables and files count the diverged goals and average the others\n"
          "only; where every goal diverged they read \"diverged\" (empty in the CSV files,\n"
          "null in eval.json).\n"
          "\n"
          "Groups of runs (--group; e.g. one run per training seed): a run's score after k\n"
          "steps is its mean return over the goals that did not diverge (the number eval.csv\n"
          "gives it as a --policy); a run whose every goal diverged has no score at that step\n"
          "and is left out of its group's statistics, which count it (left_out). Per group\n"
          "and step: the runs' scores, their mean and interquartile mean (IQM: the mean of the\n"
          "middle half; when the number of runs is not a multiple of 4 the two scores at the\n"
          "quartiles count with the fraction of them inside, n = 5: 3/4, 1, 3/4), each with a\n"
          "95%% percentile bootstrap interval over runs (runs drawn with replacement, --bootstrap\n"
          "times; Agarwal et al. 2021 stratify by task family, and an evaluation has one, so\n"
          "this is a plain bootstrap over runs), seeded from --seed: the same command gives the\n"
          "same intervals. With two groups or more, P(FIRST > G): the probability that a run of\n"
          "the first group scores above one of group G (ties count 1/2), over all run pairs,\n"
          "with its bootstrap interval (each group's runs drawn apart). When goals repeat\n"
          "(%s) the mean and IQM also per distinct goal.\n",
          discrete);
  fprintf(out,
          "\n"
          "options:\n"
          "  --policy NAME=PATH[@ALPHA]  a checkpoint, or a run directory: its best.ckpt,\n"
          "                     else its latest.ckpt (as `maml view` reads it; `maml info`\n"
          "                     shows latest.ckpt). NAME: 1 to 63 letters, digits and\n"
          "                     - _ . +, each policy its own; PATH alone names the policy\n"
          "                     after its run directory (RUN/best.ckpt: RUN-best).\n"
          "                     A last @ followed by a number\n"
          "                     gives ALPHA; any other @ is part of PATH (a file whose name\n"
          "                     ends in @NUMBER: add an @ALPHA). ALPHA defaults to the\n"
          "                     run's inner step size for MAML runs, else --alpha.\n"
          "                     `random` is a freshly initialised policy (once).\n"
          "                     An oracle checkpoint is evaluated without adaptation.\n"
          "  --group NAME=PATH,PATH,...[@ALPHA]  a group of runs, each PATH a checkpoint or a\n"
          "                     run directory as --policy reads it, all evaluated on the\n"
          "                     policies' goals and streams. NAME=@FILE[@ALPHA]: the paths\n"
          "                     from FILE, one a line (blank lines and # comments skipped;\n"
          "                     relative to the current folder). NAME as --policy's, not a\n"
          "                     policy's or another group's. ALPHA: the step size of all\n"
          "                     its runs; else each run's own, as --policy, or with\n"
          "                     --sweep-alpha one for the group: the best mean of its runs'\n"
          "                     returns after the last step on the sweep goals, among the\n"
          "                     step sizes that diverged for none of them. Repeatable (at\n"
          "                     most 16 groups of 1000 runs; a group needs no --policy).\n"
          "                     A missing or repeated path, an empty list: exit 2.\n"
          "  --bootstrap N      resamples of the groups' bootstrap intervals (default 2000)\n");
  fprintf(out,
          "  --env FAMILY       the family, or a family file (default: the checkpoints'; a\n"
          "                     run on a family file reads its copy RUN_DIR/family.ini, and\n"
          "                     an --env that differs is refused naming the keys)\n"
          "  --goals N          N held-out goals from the evaluation stream (default 40)\n"
          "  --goal G           an explicit goal (repeatable, at most 10000; `maml envs`\n"
          "                     shows the syntax; not for dynamics tasks: a goals file)\n"
          "  --extrapolate      accept --goal and --goals-file goals outside the family's\n"
          "                     training range (cheetah-vel's velocity 3: extrapolation);\n"
          "                     the start line and eval.json count them\n"
          "  --goals-file FILE  explicit goals, one per line (blank lines and # comments\n"
          "                     skipped; lines of any length; a dynamics task: its u values,\n"
          "                     comma-separated); a regular file: a pipe or FIFO is refused\n"
          "  --steps K          adaptation steps (default %s)\n"
          "  --episodes N       episodes per goal and step (default %s)\n"
          "  --alpha A          step size of policies without their own (default 0.1, or\n"
          "                     the family's preset inner step size where it has one)\n"
          "  --sweep-alpha LIST try these step sizes (e.g. 0.02,0.05,0.1,0.2) for each policy\n"
          "                     without @ALPHA on separate goals (--sweep-goals, default\n"
          "                     10) and keep the best return after the last step among\n"
          "                     those that diverged on none of them (none left: exit 1)\n"
          "  --seed S           evaluation seed (default 1): goals and episodes\n"
          "  --threads N        worker threads (default: all cores); results do not change\n"
          "  --random-hidden W,W,...  the random policy's hidden layers (none: linear);\n"
          "                     default: the checkpoints' and groups' runs' (they must\n"
          "                     agree), else 100,100\n"
          "  --random-activation relu|tanh  its nonlinearity (default: the checkpoints',\n"
          "                     else relu)\n"
          "  --out DIR          where to write eval.csv, eval.json, goals.txt; with two or\n"
          "                     more policies eval-paired.csv (the first policy minus each\n"
          "                     other, goal by goal); when goals repeat (the two directions\n"
          "                     of %s) eval-by-goal.csv. Both are also\n"
          "                     printed as tables. With groups eval-seeds.csv, a row per\n"
          "                     group, goal (empty: all goals), steps and statistic (run:\n"
          "                     one run's score, its path in run; mean; iqm;\n"
          "                     p_improvement: of group over versus), with value, ci_low,\n"
          "                     ci_high, n (runs scored; a run's goals scored; run pairs),\n"
          "                     left_out (runs without a score; a run's diverged goals),\n"
          "                     run, alpha, iteration; eval.json's \"groups\" the same, and\n"
          "                     eval-seeds.png, .svg: each group's mean and interval band.\n"
          "                     An existing DIR keeps its other files, but this command's\n"
          "                     own (those and eval.png, eval.svg, eval-seeds.png,\n"
          "                     eval-seeds.svg) are removed before the new ones are\n"
          "                     written, with a note on\n"
          "                     stderr. Default: a new runs/eval-FAMILY-DATE-TIME (-2, -3\n"
          "                     ... added when taken; never shared by two evaluations).\n"
          "  --assets DIR       look for the MJCF models in DIR only (default: the folder\n"
          "                     the checkpoints recorded, and a model that hashes otherwise\n"
          "                     than the one they were trained on is refused; a model\n"
          "                     named with --assets is used, with a warning)\n"
          "  -h, --help         print this message\n",
          steps, episodes, discrete);
  char names[256];
  cmd_matmul_names(", ", names, sizeof names);
  fprintf(out,
          "  --matmul NAME      the backend of the policy's matrix products (%s;\n"
          "                     `maml version` lists those this build and CPU can run): this\n"
          "                     flag, else $MAML_MATMUL, else openblas; not the backend the\n"
          "                     checkpoints were trained with. The first output line names\n"
          "                     it; the returns depend on it, bit for bit\n",
          names);
  fprintf(out,
          "\n"
          "The tables, eval.csv and eval.json name each policy's checkpoint file and its\n"
          "iteration (meta-iterations behind it), and its network. When stdout goes away\n"
          "(`maml eval ... | head`) the evaluation goes on, writes its files and exits 0,\n"
          "with a note on stderr.\n");
}

static int parse_long(const char *opt, const char *v, long lo, long hi, long *out) {
  return cmd_parse_long("maml eval", opt, v, lo, hi, out);
}

/* a step size in (0, 100] */
static int parse_alpha(const char *opt, const char *v, double *out) {
  return cmd_parse_double("maml eval", opt, v, 0, 100, out);
}

/* the text after buf's last '@' is a step size when it reads as a number (then cut off),
 * else part of the path; 0 after a message when it is a number out of range */
static int split_alpha(char *buf, entry *e) {
  char *at = strrchr(buf, '@'), *end;
  if (!at) return 1;
  strtod(at + 1, &end);
  if (end == at + 1 || *end) return 1;
  *at = '\0';
  if (!parse_alpha("--policy", at + 1, &e->alpha)) return 0;
  e->alpha_given = 1;
  return 1;
}

/* PATH alone: the policy is named after its run directory (a file: its name without
 * .ckpt), the characters a name cannot hold as '-' */
static int name_from_path(const char *arg, char *path, entry *e) {
  size_t n = strlen(path);
  while (n > 1 && path[n - 1] == '/') path[--n] = '\0';
  char name[PATH_LEN + 128];
  const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
  size_t len = strlen(base);
  if (len > 5 && !strcmp(base + len - 5, ".ckpt")) { /* RUN/best.ckpt: RUN-best */
    int stem = (int)len - 5;
    if (slash && slash > path) {
      const char *parent = slash;
      while (parent > path && parent[-1] != '/') parent--;
      snprintf(name, sizeof name, "%.*s-%.*s", (int)(slash - parent), parent, stem, base);
    } else {
      snprintf(name, sizeof name, "%.*s", stem, base);
    }
    base = name;
    len = strlen(name);
  }
  if (len > NAME_LEN) len = NAME_LEN;
  for (size_t i = 0; i < len; i++) {
    char c = base[i];
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '-' || c == '_' || c == '.' || c == '+';
    e->name[i] = ok ? c : '-';
  }
  e->name[len] = '\0';
  if (!len || !eval_valid_name(e->name) || !strcmp(e->name, "random")) {
    fprintf(stderr,
            "maml eval: --policy '%s': no name can be made from the path: give "
            "NAME=CHECKPOINT[@ALPHA]\n",
            arg);
    return 0;
  }
  if (!cmd_checkpoint_path(path, e->path, sizeof e->path)) {
    fprintf(stderr, "maml eval: --policy '%s': path too long\n", arg);
    return 0;
  }
  return 1;
}

/* NAME=PATH[@ALPHA], PATH[@ALPHA] (named after it) or random[@ALPHA] */
static int parse_policy(const char *arg, entry *e) {
  memset(e, 0, sizeof *e);
  e->iteration = -1;
  char buf[PATH_LEN + 128];
  if (snprintf(buf, sizeof buf, "%s", arg) >= (int)sizeof buf) {
    fprintf(stderr, "maml eval: --policy: longer than %d characters\n", (int)sizeof buf - 1);
    return 0;
  }
  if (!split_alpha(buf, e)) return 0;
  char *eq = strchr(buf, '=');
  if (!eq && !strcmp(buf, "random")) {
    snprintf(e->name, sizeof e->name, "random");
    return 1;
  }
  if (!eq) return name_from_path(arg, buf, e);
  *eq = '\0';
  if (!eval_valid_name(buf)) {
    fprintf(stderr,
            "maml eval: --policy '%s': the name '%s' is not 1 to %d letters, digits "
            "and - _ . +\n",
            arg, buf, NAME_LEN);
    return 0;
  }
  if (!strcmp(buf, "random")) {
    fprintf(stderr,
            "maml eval: --policy '%s': the name random is the fresh policy's "
            "(--policy random): name the checkpoint otherwise\n",
            arg);
    return 0;
  }
  if (!eq[1]) {
    fprintf(stderr, "maml eval: --policy '%s': no checkpoint after '='\n", arg);
    return 0;
  }
  memcpy(e->name, buf, strlen(buf) + 1);
  if (!cmd_checkpoint_path(eq + 1, e->path, sizeof e->path)) {
    fprintf(stderr, "maml eval: --policy '%s': path too long\n", arg);
    return 0;
  }
  return 1;
}

/* parse_policy into es[*n], refusing a name already given */
static int add_policy(const char *arg, entry *es, int *n) {
  if (*n == MAX_POLICIES) {
    fprintf(stderr, "maml eval: at most %d policies\n", MAX_POLICIES);
    return 0;
  }
  entry *e = &es[*n];
  if (!parse_policy(arg, e)) return 0;
  for (int p = 0; p < *n; p++)
    if (!strcmp(es[p].name, e->name)) {
      fprintf(stderr,
              "maml eval: two policies are named '%s': give each --policy its own "
              "NAME (random only once)\n",
              e->name);
      return 0;
    }
  (*n)++;
  return 1;
}

/* load a checkpoint into e; fills env if empty, else checks it. what: "policy NAME" or
 * "group NAME's run PATH", for the messages */
static int load_policy(entry *e, const char *what, char *env, double default_alpha) {
  cmd_policy cp;
  char err[PATH_LEN + 512];
  if (!cmd_load_policy(e->path, &cp, err, sizeof err)) {
    fprintf(stderr, "maml eval: %s: %s\n", what, err);
    return 0;
  }
  if (cp.notice[0]) fprintf(stderr, "maml eval: note: %s\n", cp.notice);
  if (!env[0]) snprintf(env, MAML_NAME_MAX, "%s", cp.env);
  if (strcmp(env, cp.env) != 0) {
    char diff[2048] = "";
    cmd_family_difference(cp.env, env, diff, sizeof diff);
    fprintf(stderr, "maml eval: %s was trained on %s, the evaluation is on %s%s\n", what, cp.env,
            env, diff);
    free(cp.theta), free(cp.step_sizes);
    return 0;
  }
  e->policy = cp.policy;
  e->theta = cp.theta;
  e->step_sizes = cp.step_sizes;
  e->oracle = cp.oracle;
  e->iteration = cp.iteration;
  if (!e->alpha) e->alpha = cp.alpha > 0 ? cp.alpha : default_alpha;
  return 1;
}

/* "16-16 relu", "linear": a policy's hidden layers */
static void format_layers(int n_hidden, const int *hidden, maml_activation a, char *out, size_t n) {
  size_t len = 0;
  out[0] = '\0';
  for (int l = 0; l < n_hidden && len < n; l++)
    len += (size_t)snprintf(out + len, n - len, "%s%d", l ? "-" : "", hidden[l]);
  if (len < n)
    snprintf(out + len, n - len, "%s",
             !n_hidden            ? "linear"
             : a == MAML_ACT_TANH ? " tanh"
                                  : " relu");
}

static int same_layers(const maml_policy *a, const maml_policy *b) {
  if (a->n_hidden != b->n_hidden) return 0;
  for (int l = 0; l < a->n_hidden; l++)
    if (a->hidden[l] != b->hidden[l]) return 0;
  return 1;
}

/* checkpoint k of the policies' then the groups' runs (random policies skipped), or NULL
 * past the last */
static const entry *nth_checkpoint(const entry *es, int n_pol, const seed_groups *sg, int k) {
  for (int p = 0; p < n_pol; p++)
    if (es[p].path[0] && k-- == 0) return &es[p];
  for (int q = 0; q < sg->n; q++) {
    if (k < sg->g[q].n_runs) return &sg->g[q].runs[k];
    k -= sg->g[q].n_runs;
  }
  return NULL;
}

/* The random policy's shape: --random-hidden and --random-activation where given, else
 * the checkpoints' (the policies' and the groups' runs, which must agree when there is a
 * random policy), else the paper's 100-100 relu. 0 after a message. */
static int random_shape(const entry *es, int n_pol, const seed_groups *sg, const maml_config *given,
                        int hidden_given, int act_given, net_shape *s) {
  int any_random = 0;
  for (int p = 0; p < n_pol; p++) any_random |= !es[p].path[0];
  const entry *c0 = nth_checkpoint(es, n_pol, sg, 0), *e;
  for (int k = 1; c0 && any_random && (e = nth_checkpoint(es, n_pol, sg, k)); k++) {
    if (!hidden_given && !same_layers(&c0->policy, &e->policy)) {
      char a[160], b[160];
      format_layers(c0->policy.n_hidden, c0->policy.hidden, c0->policy.activation, a, sizeof a);
      format_layers(e->policy.n_hidden, e->policy.hidden, e->policy.activation, b, sizeof b);
      fprintf(stderr,
              "maml eval: policies %s (%s) and %s (%s) have different hidden layers: "
              "give the random policy's with --random-hidden W,W,...\n",
              c0->name, a, e->name, b);
      return 0;
    }
    if (!act_given && c0->policy.activation != e->policy.activation) {
      fprintf(stderr,
              "maml eval: policies %s and %s have different activations: give the "
              "random policy's with --random-activation relu|tanh\n",
              c0->name, e->name);
      return 0;
    }
  }
  s->n_hidden = hidden_given ? given->n_hidden : c0 ? c0->policy.n_hidden : 2;
  for (int l = 0; l < MAML_MAX_HIDDEN; l++)
    s->hidden[l] = hidden_given ? given->hidden[l] : c0 ? c0->policy.hidden[l] : l < 2 ? 100 : 0;
  s->activation = act_given ? given->activation : c0 ? c0->policy.activation : MAML_ACT_RELU;
  if (hidden_given || act_given)
    snprintf(s->from, sizeof s->from, "--random-%s", hidden_given ? "hidden" : "activation");
  else if (c0)
    snprintf(s->from, sizeof s->from, "the shape of %s's checkpoint", c0->name);
  else
    snprintf(s->from, sizeof s->from, "the paper's shape");
  return 1;
}

/* the random policy e: a fresh network of shape s from the seed's initialisation stream */
static int make_random(entry *e, const net_shape *s, int obs_dim, int act_dim, uint64_t seed,
                       double alpha) {
  if (!cmd_random_policy("maml eval", obs_dim, act_dim, s->n_hidden, s->hidden, s->activation, seed,
                         &e->policy, &e->theta))
    return 0;
  if (!e->alpha) e->alpha = alpha;
  return 1;
}

/* a goal's text: within the family's range, or (extrapolate) outside it too */
static maml_status parse_goal(const maml_env_family *f, int extrapolate, const char *text,
                              double *task, char *err, size_t err_sz) {
  if (extrapolate) return maml_env_parse_task_outside(f, text, task, err, err_sz);
  maml_status st = f->parse_task(text, task, err, err_sz);
  double wide[MAML_TASK_MAX];
  char other[512];
  if (st != MAML_OK && maml_env_parse_task_outside(f, text, wide, other, sizeof other) == MAML_OK) {
    size_t len = strlen(err);
    snprintf(err + len, err_sz - len, " (--extrapolate allows goals outside the training range)");
  }
  return st;
}

static int read_goals_file(const maml_env_family *f, int extrapolate, const char *path,
                           double *goals, int *n) {
  char *line = NULL, err[PATH_LEN + 512];
  FILE *in = maml_file_fopen_input(path, err, sizeof err); /* a FIFO is refused at once */
  if (!in) {
    fprintf(stderr, "maml eval: --goals-file: %s\n", err);
    return 0;
  }
  size_t cap = 0;
  int lineno = 0, ok = 1;
  while (ok && getline(&line, &cap, in) >= 0) { /* a line of any length */
    lineno++;
    line[strcspn(line, "\r\n")] = '\0';
    char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (!*p || *p == '#') continue;
    if (*n >= MAX_GOALS) {
      fprintf(stderr, "maml eval: %s:%d: more than %d goals\n", path, lineno, MAX_GOALS);
      ok = 0;
    } else if (parse_goal(f, extrapolate, p, goals + (size_t)*n * MAML_TASK_MAX, err, sizeof err) !=
               MAML_OK) {
      fprintf(stderr, "maml eval: %s:%d: %s\n", path, lineno, err);
      ok = 0;
    } else {
      (*n)++;
    }
  }
  if (ok && ferror(in)) {
    fprintf(stderr, "maml eval: --goals-file %s: reading failed after line %d: %s\n", path, lineno,
            strerror(errno));
    ok = 0;
  }
  free(line);
  fclose(in);
  return ok;
}

/* Set e->alpha to the step size of the list with the best mean return after the last step,
 * on the sweep's own goals and rollouts; a step size that diverged on any of them is out. */
static int sweep_alpha(const maml_env_world *w, entry *e, const maml_eval_params *ep,
                       const double *alphas, int n, int n_goals, maml_pool *pool) {
  double *goals = malloc((size_t)n_goals * MAML_TASK_MAX * sizeof(double));
  double *ret = malloc((size_t)(ep->steps + 1) * n_goals * sizeof(double));
  int *div = malloc((size_t)n_goals * sizeof *div);
  char err[1024];
  int ok = goals && ret && div, found = 0;
  if (!ok) fprintf(stderr, "maml eval: out of memory for the step-size sweep\n");
  if (ok) maml_eval_goals(w->family, ep->seed, 1, n_goals, goals);
  double best = -INFINITY;
  if (ok) printf("  %s: step-size sweep on %d other goals:", e->name, n_goals);
  for (int k = 0; ok && k < n; k++) {
    maml_eval_params pe = *ep;
    pe.alpha = alphas[k], pe.sweep = 1;
    if (maml_evaluate(w, &e->policy, e->theta, n_goals, goals, &pe, pool, ret, div, err,
                      sizeof err)) {
      fprintf(stderr, "\nmaml eval: sweep of %s: %s\n", e->name, err);
      ok = 0;
      break;
    }
    int bad = eval_diverged_by(div, n_goals, ep->steps);
    if (bad) {
      printf(" %g -> diverged on %d", alphas[k], bad);
      continue;
    }
    double s = 0;
    for (int i = 0; i < n_goals; i++) s += ret[(size_t)ep->steps * n_goals + i];
    s /= n_goals;
    printf(" %g -> %.2f", alphas[k], s);
    if (!found || s > best) best = s, e->alpha = alphas[k], found = 1;
  }
  if (ok && found) printf("; using %g\n", e->alpha);
  if (ok && !found) {
    printf("\n");
    fprintf(stderr,
            "maml eval: sweep of %s: every step size diverged (non-finite parameters "
            "or actions) on some of the %d sweep goals: try smaller ones\n",
            e->name, n_goals);
    ok = 0;
  }
  free(goals), free(ret), free(div);
  return ok;
}

/* the progress line of one policy's evaluation: each step's mean return as its batches come */
static void print_step(void *ctx, int step, double mean_return) {
  (void)ctx;
  if (isnan(mean_return))
    printf(" %s%d: diverged", step ? "" : "step ", step);
  else
    printf(" %s%d: %.1f", step ? "" : "step ", step, mean_return);
  fflush(stdout);
}

/* ---- the command -------------------------------------------------------------------- */

/* the options, all of which take a value */
static const char *const options[] = {
    "--policy",      "--env",         "--goals",         "--goal",
    "--goals-file",  "--steps",       "--episodes",      "--alpha",
    "--sweep-alpha", "--sweep-goals", "--seed",          "--threads",
    "--out",         "--assets",      "--random-hidden", "--random-activation",
    "--matmul",      "--group",       "--bootstrap",     NULL};

static int known_option(const char *a) {
  for (int k = 0; options[k]; k++)
    if (!strcmp(a, options[k])) return 1;
  return 0;
}

typedef struct {
  long goal_count, steps, episodes, threads, seed, sweep_goals;
  double alpha;
  int alpha_given; /* --alpha given: else the family's preset alpha where it has one */
  char env[MAML_NAME_MAX];
  const char *goals_file, *out, *assets, *matmul;
  int extrapolate; /* --extrapolate: goals outside the training range allowed */
  double sweep[MAX_SWEEP];
  int n_sweep;
  const char *goal_texts[MAX_GOALS];
  int n_goal_texts;
  cmd_random_options random; /* --random-hidden and --random-activation */
  seed_groups groups;        /* --group and --bootstrap */
} eval_args;

/* --sweep-alpha A,B,...: 0 after a message */
static int parse_sweep(const char *v, eval_args *a) {
  char buf[512], *save = NULL;
  if (snprintf(buf, sizeof buf, "%s", v) >= (int)sizeof buf) {
    fprintf(stderr, "maml eval: --sweep-alpha: longer than %d characters\n", (int)sizeof buf - 1);
    return 0;
  }
  a->n_sweep = 0;
  for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    if (a->n_sweep == MAX_SWEEP) {
      fprintf(stderr, "maml eval: --sweep-alpha: at most %d step sizes\n", MAX_SWEEP);
      return 0;
    }
    if (!parse_alpha("--sweep-alpha", tok, &a->sweep[a->n_sweep++])) return 0;
  }
  if (a->n_sweep == 0) {
    fprintf(stderr, "maml eval: --sweep-alpha: give step sizes like 0.02,0.05,0.1\n");
    return 0;
  }
  return 1;
}

/* one option and its value: 1, or 0 after a message */
static int parse_option(const char *o, const char *v, eval_args *a, entry *es, int *n_pol) {
  if (!strcmp(o, "--policy")) return add_policy(v, es, n_pol);
  if (!strcmp(o, "--group")) return seeds_add_group(v, &a->groups);
  if (!strcmp(o, "--bootstrap")) {
    long n;
    if (!parse_long(o, v, 1, 1000000, &n)) return 0;
    a->groups.resamples = (int)n;
    return 1;
  }
  if (!strcmp(o, "--env")) {
    char msg[2048]; /* a family file's family is registered and named in a->env */
    if (maml_env_use(v, a->env, sizeof a->env, NULL, msg, sizeof msg) != MAML_OK) {
      fprintf(stderr, "maml eval: --env: %s\n", msg);
      return 0;
    }
    return 1;
  }
  if (!strcmp(o, "--goals")) return parse_long(o, v, 1, MAX_GOALS, &a->goal_count);
  if (!strcmp(o, "--goal")) {
    if (a->n_goal_texts == MAX_GOALS) {
      fprintf(stderr, "maml eval: --goal: at most %d goals (use --goals-file for a list)\n",
              MAX_GOALS);
      return 0;
    }
    a->goal_texts[a->n_goal_texts++] = v;
    return 1;
  }
  if (!strcmp(o, "--sweep-alpha")) return parse_sweep(v, a);
  if (!strcmp(o, "--sweep-goals")) return parse_long(o, v, 1, MAX_GOALS, &a->sweep_goals);
  if (!strcmp(o, "--steps")) return parse_long(o, v, 0, 100, &a->steps);
  if (!strcmp(o, "--episodes")) return parse_long(o, v, 1, 65536, &a->episodes);
  if (!strcmp(o, "--alpha")) return a->alpha_given = 1, parse_alpha(o, v, &a->alpha);
  if (!strcmp(o, "--seed")) return parse_long(o, v, 0, 2147483647, &a->seed);
  if (!strcmp(o, "--threads")) return parse_long(o, v, 1, 1024, &a->threads);
  if (!strcmp(o, "--matmul")) {
    a->matmul = v;
    return cmd_matmul_known("maml eval", v, "--matmul");
  }
  int ok;
  if (cmd_random_option("maml eval", o, v, &a->random, &ok)) return ok;
  if (strlen(v) >= PATH_LEN - 64) {
    fprintf(stderr, "maml eval: %s: a path of at most %d characters\n", o, PATH_LEN - 65);
    return 0;
  }
  if (!strcmp(o, "--goals-file"))
    a->goals_file = v;
  else if (!strcmp(o, "--out"))
    a->out = v;
  else
    a->assets = v;
  return 1;
}

/* the command line into a and es: -1 to go on, else the exit status */
static int parse_args(int argc, char **argv, eval_args *a, entry *es, int *n_pol) {
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i];
    if (cmd_is_help(o)) {
      eval_usage(stdout);
      return 0;
    }
    if (!strcmp(o, "--extrapolate")) {
      a->extrapolate = 1;
      continue;
    }
    if (!known_option(o)) {
      fprintf(stderr, "maml eval: unknown option '%s' (see --help)\n", o);
      return 2;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "maml eval: %s needs a value (see --help)\n", o);
      return 2;
    }
    if (!parse_option(o, argv[++i], a, es, n_pol)) return 2;
  }
  if (*n_pol == 0 && a->groups.n == 0) {
    fprintf(stderr, "maml eval: give at least one --policy or --group (see --help)\n");
    return 2;
  }
  if (!seeds_check_names(&a->groups, es, *n_pol)) return 2;
  if ((a->goal_count > 0) + (a->n_goal_texts > 0) + (a->goals_file != NULL) > 1) {
    fprintf(stderr, "maml eval: use one of --goals, --goal and --goals-file\n");
    return 2;
  }
  struct stat s;
  if (a->out && stat(a->out, &s) == 0 && !S_ISDIR(s.st_mode)) {
    fprintf(stderr, "maml eval: --out %s exists and is not a directory\n", a->out);
    return 2;
  }
  return -1;
}

/* the goals: 0 when there are none, -1 after a bad goal's message (usage), -2 after
 * another */
static int read_goals(const maml_env_family *f, const eval_args *a, uint64_t seed, double *goals) {
  int n = 0;
  char err[512];
  if (a->goals_file) return read_goals_file(f, a->extrapolate, a->goals_file, goals, &n) ? n : -2;
  if (a->n_goal_texts && f->kind->no_goal_flag) {
    fprintf(stderr, "maml eval: --goal: %s cannot be named by --goal: it takes %s\n", f->name,
            f->goal_syntax);
    return -1;
  }
  if (a->n_goal_texts) {
    for (int i = 0; i < a->n_goal_texts; i++)
      if (parse_goal(f, a->extrapolate, a->goal_texts[i], goals + (size_t)i * MAML_TASK_MAX, err,
                     sizeof err)) {
        fprintf(stderr, "maml eval: --goal: %s\n", err);
        return -1;
      }
    return a->n_goal_texts;
  }
  n = (int)(a->goal_count > 0 ? a->goal_count : 40);
  maml_eval_goals(f, seed, 0, n, goals);
  return n;
}

/* a checkpoint's policy as one digest: its network, step size, iteration and parameters */
static uint64_t policy_digest(const entry *e) {
  const maml_policy *p = &e->policy;
  long long fields[6 + MAML_MAX_HIDDEN] = {
      p->obs_dim, p->act_dim, p->n_hidden, p->activation, (long long)p->n_params, e->iteration};
  for (int l = 0; l < p->n_hidden && l < MAML_MAX_HIDDEN; l++) fields[6 + l] = p->hidden[l];
  uint64_t h = maml_hash(MAML_HASH_START, fields, sizeof fields);
  h = maml_hash(h, &e->alpha, sizeof e->alpha);
  h = maml_hash(h, &e->oracle, sizeof e->oracle);
  if (e->step_sizes) h = maml_hash(h, e->step_sizes, p->n_params * sizeof(maml_real));
  return maml_hash(h, e->theta, p->n_params * sizeof(maml_real));
}

/* Under several ranks, every rank read the checkpoints and goals itself: 0 when they are
 * rank 0's, else 1 on every rank after a message from each rank naming what differs (a
 * different file behind the same path on another machine). */
static int check_same_inputs(const entry *es, int n_pol, const seed_groups *sg, const double *goals,
                             int n_goals, const char *goals_file) {
  if (maml_comm_size(cmd_comm()) == 1) return 0;
  int n = n_pol;
  for (int q = 0; q < sg->n; q++) n += sg->g[q].n_runs;
  uint64_t *digests = malloc((size_t)(n + 1) * sizeof *digests);
  char(*labels)[PATH_LEN + NAME_LEN + 32] = malloc((size_t)n * sizeof *labels);
  const char **names = malloc((size_t)(n + 1) * sizeof *names);
  if (!digests || !labels || !names) {
    free(digests), free(labels), free(names);
    fprintf(stderr, "maml eval: out of memory for the inputs' digests\n");
    return 1;
  }
  for (int p = 0, q = 0, r = 0; p < n; p++) {
    const entry *e = p < n_pol ? &es[p] : &sg->g[q].runs[r];
    digests[p] = e->path[0] ? policy_digest(e) : 0; /* random: from the seed */
    snprintf(labels[p], sizeof labels[p], "%s %s (%s)", p < n_pol ? "policy" : "group", e->name,
             e->path[0] ? e->path : "random");
    names[p] = labels[p];
    if (p >= n_pol && ++r == sg->g[q].n_runs) q++, r = 0;
  }
  digests[n] = maml_hash(maml_hash(MAML_HASH_START, &n_goals, sizeof n_goals), goals,
                         (size_t)n_goals * MAML_TASK_MAX * sizeof *goals);
  char goals_label[PATH_LEN + 32];
  snprintf(goals_label, sizeof goals_label, "the goals%s%s%s", goals_file ? " (" : "",
           goals_file ? goals_file : "", goals_file ? ")" : "");
  names[n] = goals_label;
  int rc = cmd_same_as_rank0("maml eval", digests, names, n + 1);
  free(digests), free(labels), free(names);
  return rc;
}

/* one policy: its sweep if asked, then its evaluation on the goals; 0 after a message */
static int evaluate_policy(const maml_env_world *w, entry *e, const char *label, const eval_args *a,
                           const maml_eval_params *ep, const double *goals, int n_goals,
                           maml_pool *pool) {
  char err[8192];
  e->steps = e->oracle ? 0 : ep->steps;
  e->returns = malloc((size_t)(e->steps + 1) * n_goals * sizeof(double));
  e->diverged = malloc((size_t)n_goals * sizeof *e->diverged);
  if (!e->returns || !e->diverged) {
    fprintf(stderr, "maml eval: out of memory for the returns of %d goals\n", n_goals);
    return 0;
  }
  maml_eval_params pe = *ep;
  pe.steps = e->steps;
  if (a->n_sweep && !e->oracle && !e->alpha_given && !e->step_sizes &&
      !sweep_alpha(w, e, &pe, a->sweep, a->n_sweep, (int)a->sweep_goals, pool))
    return 0;
  pe.alpha = e->alpha;
  /* learned step sizes unless @ALPHA (or the group's) replaces them */
  pe.step_sizes = eval_learned_steps(e) ? e->step_sizes : NULL;
  pe.progress = print_step;
  printf("  %s%s:", label, pe.step_sizes && !e->oracle ? " (its learned step sizes)" : "");
  fflush(stdout);
  if (maml_evaluate(w, &e->policy, e->theta, n_goals, goals, &pe, pool, e->returns, e->diverged,
                    err, sizeof err) != MAML_OK) {
    fprintf(stderr, "\nmaml eval: policy %s: %s\n", e->name, err);
    return 0;
  }
  printf(" done\n");
  return 1;
}

/* --matmul's backend, else $MAML_MATMUL's, else openblas, in use on every rank: 1, or 0
 * after a message */
static int use_matmul(const eval_args *a) {
  char buf[160];
  const char *source = "--matmul", *name = a->matmul;
  if (!name) name = cmd_matmul_fallback(buf, sizeof buf, &source);
  return !cmd_same_matmul("maml eval", !cmd_use_matmul("maml eval", name, source));
}

/* the world of policy e's kind (the oracle's or not), opened the first time; NULL after a
 * message */
static maml_env_world *world_of(const entry *e, maml_env_world *worlds, int *opened,
                                const char *env, const char *assets) {
  int w = e->oracle;
  if (!opened[w]) {
    if (!cmd_open_world(&worlds[w], env, w, assets, "maml eval")) return NULL;
    opened[w] = 1;
  }
  return &worlds[w];
}

/* 0 after a message when e's network does not fit w */
static int fits(const entry *e, const char *what, const maml_env_world *w, const char *env) {
  if (e->policy.obs_dim == w->obs_dim && e->policy.act_dim == w->family->act_dim) return 1;
  fprintf(stderr, "maml eval: %s %s has %d -> %d numbers, %s needs %d -> %d\n", what, e->name,
          e->policy.obs_dim, e->policy.act_dim, env, w->obs_dim, w->family->act_dim);
  return 0;
}

/* the groups' checkpoints, with the group's @ALPHA where given: 0 after a message (rc 2 for
 * a group that mixes oracle and other runs) */
static int load_groups(seed_groups *sg, char *env, double alpha, int *rc) {
  for (int q = 0; q < sg->n; q++) {
    seed_group *g = &sg->g[q];
    for (int r = 0; r < g->n_runs; r++) {
      entry *e = &g->runs[r];
      e->alpha = g->alpha_given ? g->alpha : 0;
      e->alpha_given = g->alpha_given;
      char what[NAME_LEN + PATH_LEN + 32];
      snprintf(what, sizeof what, "group %s's run %s", g->name, e->path);
      if (!load_policy(e, what, env, alpha)) return 0;
      if (!e->oracle != !g->runs[0].oracle) {
        fprintf(stderr,
                "maml eval: --group %s mixes oracle runs (%s) and others (%s): give each "
                "kind its own group\n",
                g->name, (e->oracle ? e : &g->runs[0])->path, (e->oracle ? &g->runs[0] : e)->path);
        *rc = 2;
        return 0;
      }
    }
  }
  return 1;
}

/* every group: its sweep if asked (one step size for all its runs), then each run on the
 * goals; 0 after a message */
static int evaluate_groups(seed_groups *sg, maml_env_world *worlds, int *opened, const char *env,
                           const eval_args *a, const maml_eval_params *ep, const double *goals,
                           int n_goals, maml_pool *pool) {
  for (int q = 0; q < sg->n; q++) {
    seed_group *g = &sg->g[q];
    maml_env_world *w = world_of(&g->runs[0], worlds, opened, env, a->assets);
    if (!w) return 0;
    for (int r = 0; r < g->n_runs; r++) { /* oracles of a group may see their task otherwise */
      maml_env_world *wr = world_of(&g->runs[r], worlds, opened, env, a->assets);
      if (!wr || !fits(&g->runs[r], "group", wr, env)) return 0;
    }
    g->steps = g->runs[0].oracle ? 0 : ep->steps;
    if (a->n_sweep && !g->runs[0].oracle && !g->alpha_given && !g->runs[0].step_sizes) {
      if (!seeds_sweep(w, g, ep, a->sweep, a->n_sweep, (int)a->sweep_goals, pool)) return 0;
      for (int r = 0; r < g->n_runs; r++) g->runs[r].alpha_given = 1; /* no sweep of its own */
    }
    for (int r = 0; r < g->n_runs; r++) {
      char label[NAME_LEN + 48];
      snprintf(label, sizeof label, "%s run %d of %d", g->name, r + 1, g->n_runs);
      maml_env_world *wr = world_of(&g->runs[r], worlds, opened, env, a->assets);
      if (!evaluate_policy(wr, &g->runs[r], label, a, ep, goals, n_goals, pool)) return 0;
    }
  }
  return 1;
}

/* The policies' and groups' checkpoints, the family they share (or --env's) and the
 * random baseline's shape: the family, or NULL with *rc the exit status. */
static const maml_env_family *load_inputs(eval_args *a, entry *es, int n_pol, net_shape *rnd,
                                          int *rc) {
  *rc = 1;
  char *env = a->env;
  for (int p = 0; p < n_pol; p++)
    if (es[p].path[0]) {
      char what[NAME_LEN + 16];
      snprintf(what, sizeof what, "policy %.63s", es[p].name);
      if (!load_policy(&es[p], what, env, a->alpha)) return NULL;
    }
  if (!load_groups(&a->groups, env, a->alpha, rc)) return NULL;
  *rc = 2;
  if (!env[0]) {
    fprintf(stderr, "maml eval: no checkpoint names the family: give --env\n");
    return NULL;
  }
  if (!random_shape(es, n_pol, &a->groups, &a->random.set, a->random.hidden_given,
                    a->random.activation_given, rnd))
    return NULL;
  const maml_env_family *f = maml_env_find(env);
  if (!f) /* a checkpoint of a family this process does not know (a family file's) */
    fprintf(stderr,
            "maml eval: unknown family '%s' (the families are %s): name its family file "
            "with --env FILE\n",
            env, maml_env_names());
  return f;
}

/* the protocol's numbers: the flags', else the family's preset */
static maml_eval_params eval_params(const eval_args *a, const maml_env_family *f) {
  return (maml_eval_params){
      .episodes =
          a->episodes > 0 ? (int)a->episodes : maml_env_preset_value(f, MAML_PRESET_EVAL_EPISODES),
      .steps = a->steps >= 0 ? (int)a->steps : maml_env_preset_value(f, MAML_PRESET_EVAL_STEPS),
      .horizon = f->horizon,
      .alpha = a->alpha,
      .gamma = 0.99,
      .gae_lambda = 1.0,
      .seed = (uint64_t)a->seed,
      .comm = cmd_comm()};
}

/* "maml eval: FAMILY, N goals, ...": what is about to be evaluated */
static void print_start(const maml_env_family *f, const double *goals, int n_goals,
                        const maml_eval_params *ep, maml_pool *pool) {
  char ranks[48] = "", beyond[96] = "";
  if (maml_comm_size(ep->comm) > 1)
    snprintf(ranks, sizeof ranks, " per rank, %d MPI ranks", maml_comm_size(ep->comm));
  int outside = eval_goals_outside(f, goals, n_goals);
  if (outside)
    snprintf(beyond, sizeof beyond, " (%d outside the training range: %s)", outside, f->task_desc);
  printf(
      "maml eval: %s, %d goals%s, %d episodes per goal and step, %d step%s, %d threads%s, "
      "matmul %s\n",
      f->name, n_goals, beyond, ep->episodes, ep->steps, ep->steps == 1 ? "" : "s",
      maml_pool_threads(pool), ranks, maml_matmul_name(maml_matmul_current()));
}

/* The tables (policies, paired differences, per goal, groups over seeds) and, on rank 0,
 * the files: 1, or 0 after a message. */
static int report(const eval_args *a, seed_groups *sg, const maml_env_family *f, entry *es,
                  int n_pol, const net_shape *rnd, const double *goals, int n_goals,
                  const maml_eval_params *ep) {
  if (n_pol) eval_print_table(es, n_pol, n_goals, ep->steps);
  if (n_pol) eval_print_sources(es, n_pol, rnd);
  int n_paired = 0;
  for (int p = 1; p < n_pol; p++) n_paired += eval_compared(es, p);
  if (n_paired) eval_print_paired(es, n_pol, n_goals, ep->steps);
  static goal_groups groups;
  eval_group_goals(f, goals, n_goals, &groups);
  if (groups.n && n_pol) eval_print_groups(es, n_pol, &groups, n_goals, ep->steps);
  if (sg->n && !seeds_summarise(sg, &groups, n_goals, ep->seed)) return 0;
  seeds_print(sg, &groups, n_goals);
  return maml_comm_rank(ep->comm) != 0 ||
         eval_save(a->out, f, es, n_pol, goals, n_goals, ep, &groups, n_paired, sg);
}

int cmd_eval(int argc, char **argv) {
  static entry es[MAX_POLICIES];
  static double goals[MAX_GOALS * MAML_TASK_MAX];
  static eval_args a;
  memset(&a, 0, sizeof a);
  a.steps = a.episodes = -1, a.seed = 1, a.sweep_goals = 10, a.alpha = 0.1;
  cmd_random_options_init(&a.random);
  a.groups.resamples = 2000;
  int n_pol = 0;
  /* a closed stdout fails the prints with EPIPE instead of killing the evaluation */
  signal(SIGPIPE, SIG_IGN);
  int rc = parse_args(argc, argv, &a, es, &n_pol);
  if (rc >= 0) goto done;
  rc = 2;
  if (!use_matmul(&a)) goto done;
  net_shape rnd;
  const maml_env_family *f = load_inputs(&a, es, n_pol, &rnd, &rc);
  if (!f) goto done;
  rc = 1;
  if (!a.alpha_given && f->preset.alpha > 0) a.alpha = f->preset.alpha;
  /* under mpirun every rank reads the same inputs, evaluates its block of the goals and
   * gets every return; rank 0 alone prints and writes */
  maml_eval_params ep = eval_params(&a, f);
  int n_goals = read_goals(f, &a, ep.seed, goals);
  if (n_goals < 0) {
    rc = n_goals == -1 ? 2 : 1;
    goto done;
  }
  if (n_goals == 0) {
    fprintf(stderr, "maml eval: no goals in %s\n", a.goals_file ? a.goals_file : "the list");
    goto done;
  }
  if (check_same_inputs(es, n_pol, &a.groups, goals, n_goals, a.goals_file)) goto done;

  cmd_quiet_mujoco();
  maml_env_world worlds[3]; /* by oracle mode: none, raw, scaled */
  int opened[3] = {0, 0, 0};
  maml_pool *pool = NULL;
  int cores = maml_cpu_count() / maml_comm_local_size(ep.comm);
  char err[8192];
  if (maml_pool_create(&pool,
                       a.threads > 0 ? (int)a.threads
                       : cores > 0   ? cores
                                     : 1,
                       err, sizeof err)) {
    fprintf(stderr, "maml eval: %s\n", err);
    goto done;
  }
  print_start(f, goals, n_goals, &ep, pool);
  for (int p = 0; p < n_pol; p++) {
    entry *e = &es[p];
    maml_env_world *w = world_of(e, worlds, opened, a.env, a.assets);
    if (!w) goto cleanup;
    if (!e->path[0] && !make_random(e, &rnd, w->obs_dim, f->act_dim, ep.seed, a.alpha))
      goto cleanup;
    if (!fits(e, "policy", w, a.env)) goto cleanup;
    if (!evaluate_policy(w, e, e->name, &a, &ep, goals, n_goals, pool)) goto cleanup;
  }
  if (!evaluate_groups(&a.groups, worlds, opened, a.env, &a, &ep, goals, n_goals, pool))
    goto cleanup;
  if (report(&a, &a.groups, f, es, n_pol, &rnd, goals, n_goals, &ep)) rc = 0;
cleanup:
  for (int w = 0; w < 3; w++)
    if (opened[w]) maml_env_world_close(&worlds[w]);
  maml_pool_destroy(pool);
done:
  for (int p = 0; p < n_pol; p++)
    free(es[p].theta), free(es[p].step_sizes), free(es[p].returns), free(es[p].diverged);
  seeds_free(&a.groups);
  return rc;
}
