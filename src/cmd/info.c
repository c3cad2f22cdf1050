/* `maml info`: what a checkpoint holds. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "maml/checkpoint.h"

static void info_usage(FILE *out) {
  fprintf(out,
          "usage: maml info CHECKPOINT_or_RUN_DIR\n"
          "\n"
          "Print what a checkpoint holds: family, network, seed, iteration, best return, the\n"
          "config it was trained with and its action noise. Given a run directory, reads\n"
          "its latest.ckpt. Exits 1 when the file is missing, damaged or not a checkpoint.\n");
}

int cmd_info(int argc, char **argv) {
  if (argc != 2 || cmd_is_help(argv[1])) {
    int help = argc == 2;
    info_usage(help ? stdout : stderr);
    return help ? 0 : 2;
  }
  char path[4200];
  struct stat s;
  if (stat(argv[1], &s) == 0 && S_ISDIR(s.st_mode))
    snprintf(path, sizeof path, "%s/latest.ckpt", argv[1]);
  else
    snprintf(path, sizeof path, "%s", argv[1]);

  maml_checkpoint ck;
  char err[4096 + 256];
  if (maml_checkpoint_load(path, &ck, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "maml info: %s\n", err);
    return 1;
  }
  printf("checkpoint   %s (format version %u)\n", path, MAML_CHECKPOINT_VERSION);
  printf("env          %s%s\n", ck.env, ck.oracle ? " (oracle: task in the observation)" : "");
  printf("network      %d", ck.obs_dim);
  for (int l = 0; l < ck.n_hidden; l++) printf("-%d", ck.hidden[l]);
  printf("-%d %s, %zu parameters\n", ck.act_dim, ck.activation ? "tanh" : "relu", ck.n_params);
  printf("action std  ");
  for (int d = 0; d < ck.act_dim; d++) printf(" %.4g", exp(ck.theta[ck.n_params - ck.act_dim + d]));
  printf("\nseed         %llu\n", (unsigned long long)ck.seed);
  printf("iteration    %lld meta-updates applied\n", (long long)ck.iteration);
  if (ck.best_iteration >= 0)
    printf("best         post-adaptation return %.4f at iteration %lld\n", ck.best_return,
           (long long)ck.best_iteration);
  printf("rejected     %lld updates (non-finite numbers)\n", (long long)ck.rejected);
  printf("trained for  %.1f s\n", ck.elapsed);
  printf("config:\n");
  const char *line = ck.config_text;
  while (line && *line) {
    const char *nl = strchr(line, '\n');
    int n = nl ? (int)(nl - line) : (int)strlen(line);
    printf("  %.*s\n", n, line);
    line = nl ? nl + 1 : NULL;
  }
  maml_checkpoint_free(&ck);
  return 0;
}
