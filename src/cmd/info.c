/* `maml info`: what a checkpoint holds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "maml/checkpoint.h"
#include "maml/matmul.h"

static void info_usage(FILE *out) {
  fprintf(out,
          "usage: maml info CHECKPOINT_or_RUN_DIR\n"
          "\n"
          "Print what a checkpoint holds: family, network, seed, iteration, best return, the\n"
          "config it was trained with and its action noise. Given a run directory, shows\n"
          "its latest.ckpt (the state --resume continues from) and names the iteration of\n"
          "its best.ckpt, the parameters `maml eval` and `maml view` read from a run\n"
          "directory (latest.ckpt when it has no best.ckpt). `matmul` is the backend of the\n"
          "policy's matrix products the run asked for (openblas for a checkpoint of a maml\n"
          "without the key; the run's output names the one it used); `inner loss` the\n"
          "inner step's loss, reinforce or lvc (reinforce without the key); for a run that\n"
          "learned its inner step sizes (learn_alpha), `learn alpha` their layout and `step\n"
          "sizes` their count, minimum, median and maximum. Exits 1 when a file is missing,\n"
          "damaged or not a checkpoint.\n");
}

/* a run directory's best.ckpt: the file eval and view read, and its iteration; 0 after a
 * message when it is there but cannot be read */
static int print_best(const char *dir) {
  char path[4200], err[4096 + 256];
  snprintf(path, sizeof path, "%s/best.ckpt", dir);
  struct stat s;
  if (stat(path, &s) != 0) {
    printf("best.ckpt    none (eval and view read latest.ckpt)\n");
    return 1;
  }
  maml_checkpoint best;
  if (maml_checkpoint_load(path, &best, err, sizeof err) != MAML_OK) {
    printf("best.ckpt    %s: unreadable\n", path);
    fprintf(stderr, "maml info: %s\n", err);
    return 0;
  }
  printf("best.ckpt    %s holds iteration %lld (what eval and view read)\n", path,
         (long long)best.iteration);
  maml_checkpoint_free(&best);
  return 1;
}

/* the backend and the inner loss the run asked for, as its config reads (openblas and
 * reinforce without the keys; the family from the run's copy of its family file in dir,
 * when it keeps one) */
static void print_choices(const maml_checkpoint *ck, const char *dir) {
  maml_config c;
  char err[4096];
  maml_config_defaults(&c);
  if (cmd_use_family_copy(dir, ck->config_text, ck->config_len, NULL, 0, err, sizeof err) &&
      maml_config_parse_ini(&c, ck->config_text, ck->config_len, "checkpoint config", err,
                            sizeof err) == MAML_OK) {
    printf("matmul       %s (the backend of the policy's products the run asked for)\n",
           maml_matmul_name(c.matmul));
    printf("inner loss   %s\n", maml_inner_loss_name(c.inner_loss));
    printf("outer step   %s\n", maml_outer_name(c.outer));
    maml_config_stored(&c);
    if (c.mode == MAML_MODE_ORACLE)
      printf("oracle obs   %s (%s)\n", maml_oracle_obs_name(c.oracle_obs),
             c.oracle_obs == MAML_ORACLE_OBS_RAW ? "the task appended as drawn"
                                                 : "the task appended times its kind's scale");
    if (c.mode == MAML_MODE_MAML && c.learn_alpha != MAML_ALPHA_FIXED)
      printf("learn alpha  %s (learned inner step sizes, from alpha = %g)\n",
             maml_learn_alpha_name(c.learn_alpha), c.alpha);
  } else {
    printf("matmul       unknown: %s\n", err);
  }
}

/* the learned step sizes' spread; 0 after a message when out of memory */
static int print_step_sizes(const maml_checkpoint *ck) {
  size_t m = ck->n_step_sizes;
  maml_real *a = malloc(m * sizeof *a);
  double *scratch = malloc(m * sizeof *scratch), lo, mid, hi;
  if (!a || !scratch) {
    free(a), free(scratch);
    fprintf(stderr, "maml info: out of memory for %zu step sizes\n", m);
    return 0;
  }
  for (size_t i = 0; i < m; i++) a[i] = (maml_real)ck->step_sizes[i];
  maml_step_size_summary(a, m, scratch, &lo, &mid, &hi);
  printf(
      "step sizes   %zu learned: min %.6g, median %.6g, max %.6g (eval and view adapt "
      "with them)\n",
      m, lo, mid, hi);
  free(a), free(scratch);
  return 1;
}

int cmd_info(int argc, char **argv) {
  if (argc != 2 || cmd_is_help(argv[1])) {
    int help = argc == 2;
    info_usage(help ? stdout : stderr);
    return help ? 0 : 2;
  }
  char path[4200];
  struct stat s;
  int run_dir = stat(argv[1], &s) == 0 && S_ISDIR(s.st_mode);
  if (run_dir)
    snprintf(path, sizeof path, "%s/latest.ckpt", argv[1]);
  else
    snprintf(path, sizeof path, "%s", argv[1]);

  maml_checkpoint ck;
  char err[4096 + 256];
  if (maml_checkpoint_load(path, &ck, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "maml info: %s\n", err);
    return 1;
  }
  printf("checkpoint   %s (format version %u)\n", path, (unsigned)ck.version);
  printf("env          %s%s\n", ck.env, ck.oracle ? " (oracle: task in the observation)" : "");
  printf("network      %d", ck.obs_dim);
  for (int l = 0; l < ck.n_hidden; l++) printf("-%d", ck.hidden[l]);
  printf("-%d %s, %zu parameters\n", ck.act_dim, ck.activation ? "tanh" : "relu", ck.n_params);
  printf("action std  ");
  for (int d = 0; d < ck.act_dim; d++) printf(" %.4g", exp(ck.theta[ck.n_params - ck.act_dim + d]));
  printf("\nseed         %llu\n", (unsigned long long)ck.seed);
  printf("iteration    %lld (the parameters after %lld meta-iterations, rejected ones included)\n",
         (long long)ck.iteration, (long long)ck.iteration);
  if (ck.best_iteration >= 0)
    printf("best         post-adaptation return %.4f at iteration %lld\n", ck.best_return,
           (long long)ck.best_iteration);
  int best_ok = !run_dir || print_best(argv[1]);
  printf("rejected     %lld updates (non-finite numbers)\n", (long long)ck.rejected);
  printf("trained for  %.1f s\n", ck.elapsed);
  if (ck.opt_len > 0)
    printf("outer state  %zu numbers (the outer optimiser's, carried between iterations)\n",
           ck.opt_len);
  if (ck.n_step_sizes > 0 && !print_step_sizes(&ck)) {
    maml_checkpoint_free(&ck);
    return 1;
  }
  char dir[4200];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/'); /* the run's folder */
  if (slash)
    *slash = '\0';
  else
    snprintf(dir, sizeof dir, ".");
  print_choices(&ck, dir);
  printf("config:\n");
  const char *line = ck.config_text;
  while (line && *line) {
    const char *nl = strchr(line, '\n');
    int n = nl ? (int)(nl - line) : (int)strlen(line);
    printf("  %.*s\n", n, line);
    line = nl ? nl + 1 : NULL;
  }
  maml_checkpoint_free(&ck);
  return best_ok ? 0 : 1;
}
