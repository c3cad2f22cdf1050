/* Load a checkpoint and print its policy's mean action (and standard deviation) for one
 * observation given on the command line:
 *   policy_action CKPT|RUN_DIR OBS...
 * OBS: the observation's obs_dim numbers (`maml info CKPT` shows the network's sizes),
 * as separate arguments or separated by commas. Prints
 *   mean: a_1 ... a_act_dim      the network's output, before the environment clips it
 *   std:  s_1 ... s_act_dim      exp(log_std)
 * A run directory stands for its best.ckpt (else latest.ckpt), as `maml eval` reads it. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "maml/checkpoint.h"
#include "maml/policy.h"

/* path, or the checkpoint of the run directory path names */
static void checkpoint_path(const char *arg, char *path, size_t n) {
  struct stat s;
  snprintf(path, n, "%s", arg);
  if (stat(arg, &s) != 0 || !S_ISDIR(s.st_mode)) return;
  snprintf(path, n, "%s/best.ckpt", arg);
  if (stat(path, &s) != 0) snprintf(path, n, "%s/latest.ckpt", arg);
}

/* the numbers of argv[0 .. argc), each a number or a comma-separated list: exactly want of
 * them into obs; 0 after a message */
static int read_observation(int argc, char **argv, int want, maml_real *obs) {
  int k = 0;
  for (int i = 0; i < argc; i++)
    for (const char *p = argv[i]; *p;) {
      char *end;
      errno = 0;
      double x = strtod(p, &end);
      if (end == p || (*end && *end != ',') || errno == ERANGE || !isfinite(x)) {
        fprintf(stderr, "policy_action: '%s' is not a list of finite numbers\n", argv[i]);
        return 0;
      }
      if (k < want) obs[k] = (maml_real)x;
      k++;
      p = *end ? end + 1 : end;
    }
  if (k != want) {
    fprintf(stderr, "policy_action: the policy observes %d numbers, %d given\n", want, k);
    return 0;
  }
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: policy_action CKPT|RUN_DIR OBS...\n");
    return 2;
  }
  char path[4096], err[1024];
  checkpoint_path(argv[1], path, sizeof path);
  maml_checkpoint ck;
  if (maml_checkpoint_load(path, &ck, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "policy_action: %s\n", err);
    return 1;
  }
  maml_policy p;
  maml_policy_cache cache = {0};
  maml_real *theta = malloc(ck.n_params * sizeof *theta);
  maml_real *obs = malloc((size_t)ck.obs_dim * sizeof *obs);
  int rc = 1;
  if (!theta || !obs) {
    fprintf(stderr, "policy_action: out of memory\n");
    goto done;
  }
  if (maml_policy_init(&p, ck.obs_dim, ck.act_dim, ck.n_hidden, ck.hidden,
                       (maml_activation)ck.activation, 1.0, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "policy_action: %s: %s\n", path, err);
    goto done;
  }
  /* a checkpoint stores doubles whatever the float type: float -> double -> float is exact */
  for (size_t j = 0; j < ck.n_params; j++) theta[j] = (maml_real)ck.theta[j];
  if (!read_observation(argc - 2, argv + 2, ck.obs_dim, obs)) {
    rc = 2;
    goto done;
  }
  if (maml_policy_cache_alloc(&cache, &p, 1) != MAML_OK) {
    fprintf(stderr, "policy_action: out of memory\n");
    goto done;
  }
  maml_policy_forward(&p, theta, obs, 1, &cache);
  printf("mean:");
  for (int a = 0; a < p.act_dim; a++) printf(" %.9g", (double)cache.mu[a]);
  printf("\nstd:");
  for (int a = 0; a < p.act_dim; a++) printf(" %.9g", exp((double)theta[p.log_std_off + a]));
  printf("\n");
  rc = 0;
done:
  maml_policy_cache_free(&cache);
  free(obs);
  free(theta);
  maml_checkpoint_free(&ck);
  return rc;
}
