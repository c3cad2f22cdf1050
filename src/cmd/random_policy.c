/* The random baseline of `maml eval` and `maml view` (its network options, a freshly
 * initialised policy) and a network as text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "maml/rng.h"

void cmd_format_network(const maml_policy *p, char *out, size_t n) {
  int k = snprintf(out, n, "%d-", p->obs_dim);
  for (int l = 0; l < p->n_hidden && k > 0 && (size_t)k < n; l++)
    k += snprintf(out + k, n - k, "%d-", p->hidden[l]);
  if (k > 0 && (size_t)k < n)
    snprintf(out + k, n - k, "%d %s", p->act_dim, p->activation == MAML_ACT_TANH ? "tanh" : "relu");
}

void cmd_random_options_init(cmd_random_options *r) {
  memset(r, 0, sizeof *r);
  maml_config_defaults(&r->set);
}

int cmd_random_option(const char *who, const char *opt, const char *v, cmd_random_options *r,
                      int *ok) {
  int hidden = !strcmp(opt, "--random-hidden");
  if (!hidden && strcmp(opt, "--random-activation") != 0) return 0;
  char err[512];
  *ok = maml_config_set(&r->set, hidden ? "hidden" : "activation", v, err, sizeof err) == MAML_OK;
  if (!*ok)
    fprintf(stderr, "%s: %s: %s\n", who, opt, err);
  else if (hidden)
    r->hidden_given = 1;
  else
    r->activation_given = 1;
  return 1;
}

int cmd_random_policy(const char *who, int obs_dim, int act_dim, int n_hidden, const int *hidden,
                      maml_activation activation, uint64_t seed, maml_policy *p,
                      maml_real **theta) {
  char err[512];
  if (maml_policy_init(p, obs_dim, act_dim, n_hidden, hidden, activation, 1.0, err, sizeof err) !=
      MAML_OK) {
    fprintf(stderr, "%s: random policy: %s\n", who, err);
    return 0;
  }
  if (!(*theta = malloc(p->n_params * sizeof(maml_real)))) {
    fprintf(stderr, "%s: out of memory for the random policy's %zu parameters\n", who, p->n_params);
    return 0;
  }
  maml_rng rng;
  maml_rng_init(&rng, seed, 0, MAML_PHASE_INIT, 0, 0);
  maml_policy_init_params(p, *theta, &rng);
  return 1;
}
