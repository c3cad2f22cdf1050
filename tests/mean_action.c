/* mean_action CHECKPOINT X1,X2,...: the mean action of a checkpoint's policy for one
 * observation, computed by the library (maml_policy_forward, in the build's float type), one
 * number a line with %.17g. For tests/cli_export.sh, which compares it with the Python
 * reader of `maml export`'s files (examples/python/mean_action.py). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maml/checkpoint.h"
#include "maml/policy.h"

/* comma-separated numbers from text into x[0 .. n): 1 when there are exactly n */
static int parse_obs(const char *text, maml_real *x, int n) {
  const char *p = text;
  for (int i = 0; i < n; i++) {
    char *end;
    double v = strtod(p, &end);
    if (end == p) return 0;
    x[i] = (maml_real)v;
    if (i + 1 < n && *end != ',') return 0;
    p = end + 1;
    if (i + 1 == n && *end != '\0') return 0;
  }
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: mean_action CHECKPOINT X1,X2,...\n");
    return 2;
  }
  maml_checkpoint ck;
  char err[4600];
  if (maml_checkpoint_load(argv[1], &ck, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "mean_action: %s\n", err);
    return 1;
  }
  maml_policy p;
  maml_policy_cache c;
  int rc = 1;
  maml_real *theta = malloc(ck.n_params * sizeof *theta);
  maml_real *obs = malloc((size_t)ck.obs_dim * sizeof *obs);
  if (!theta || !obs ||
      maml_policy_init(&p, ck.obs_dim, ck.act_dim, ck.n_hidden, ck.hidden,
                       (maml_activation)ck.activation, 1.0, err, sizeof err) != MAML_OK ||
      maml_policy_cache_alloc(&c, &p, 1) != MAML_OK) {
    fprintf(stderr, "mean_action: cannot set up the policy\n");
    goto done;
  }
  if (!parse_obs(argv[2], obs, ck.obs_dim)) {
    fprintf(stderr, "mean_action: '%s': expected %d comma-separated numbers\n", argv[2],
            ck.obs_dim);
    maml_policy_cache_free(&c);
    goto done;
  }
  for (size_t k = 0; k < ck.n_params; k++) theta[k] = (maml_real)ck.theta[k];
  maml_policy_forward(&p, theta, obs, 1, &c);
  for (int d = 0; d < ck.act_dim; d++) printf("%.17g\n", (double)c.mu[d]);
  maml_policy_cache_free(&c);
  rc = 0;
done:
  free(theta);
  free(obs);
  maml_checkpoint_free(&ck);
  return rc;
}
