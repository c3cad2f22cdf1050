/* Policies named on the command line: a checkpoint file or a run directory. Shared by
 * `maml eval` and `maml view`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "maml/checkpoint.h"
#include "maml/config.h"

int cmd_checkpoint_path(const char *arg, char *path, size_t n) {
  if (strlen(arg) + sizeof "/latest.ckpt" > n) return 0;
  struct stat s;
  strcpy(path, arg);
  if (stat(arg, &s) == 0 && S_ISDIR(s.st_mode)) {
    strcat(path, "/best.ckpt");
    if (stat(path, &s) != 0) strcpy(path + strlen(arg), "/latest.ckpt");
  }
  return 1;
}

/* a run with learned step sizes: the checkpoint's, spread over the parameters; 0 after a
 * message when the checkpoint does not hold the count its config learns */
static int load_step_sizes(const maml_checkpoint *ck, const maml_config *c, cmd_policy *out,
                           const char *path, char *err, size_t err_sz) {
  maml_learn_alpha mode = c->mode == MAML_MODE_MAML ? c->learn_alpha : MAML_ALPHA_FIXED;
  size_t m = maml_step_size_count(&out->policy, mode);
  if (ck->n_step_sizes != m) {
    snprintf(err, err_sz, "%s: holds %zu learned step sizes, its config (learn_alpha %s) %zu", path,
             ck->n_step_sizes, maml_learn_alpha_name(mode) ? maml_learn_alpha_name(mode) : "?", m);
    return 0;
  }
  if (m == 0) return 1;
  maml_real *a = malloc(m * sizeof *a);
  out->step_sizes = malloc(out->policy.n_params * sizeof *out->step_sizes);
  if (!a || !out->step_sizes) {
    free(a), free(out->step_sizes), out->step_sizes = NULL;
    snprintf(err, err_sz, "out of memory for %zu step sizes", m);
    return 0;
  }
  for (size_t i = 0; i < m; i++) a[i] = (maml_real)ck->step_sizes[i];
  maml_step_size_expand(&out->policy, mode, a, out->step_sizes);
  out->n_step_sizes = m;
  free(a);
  return 1;
}

int cmd_load_policy(const char *path, cmd_policy *out, char *err, size_t err_sz) {
  memset(out, 0, sizeof *out);
  maml_checkpoint ck;
  if (maml_checkpoint_load(path, &ck, err, err_sz) != MAML_OK) return 0;
  int ok = maml_policy_init(&out->policy, ck.obs_dim, ck.act_dim, ck.n_hidden, ck.hidden,
                            (maml_activation)ck.activation, 1.0, err, err_sz) == MAML_OK;
  if (ok && !(out->theta = malloc(ck.n_params * sizeof(maml_real)))) {
    snprintf(err, err_sz, "out of memory for %zu parameters", ck.n_params);
    ok = 0;
  }
  for (size_t k = 0; ok && k < ck.n_params; k++) out->theta[k] = (maml_real)ck.theta[k];
  snprintf(out->env, sizeof out->env, "%s", ck.env);
  out->oracle = ck.oracle;
  out->iteration = (long long)ck.iteration;
  maml_config c;
  maml_config_defaults(&c);
  char cfg_err[4096], dir[4096];
  snprintf(dir, sizeof dir, "%s", path); /* the run's: its copy of the family file */
  char *slash = strrchr(dir, '/');
  if (slash)
    *slash = '\0';
  else
    snprintf(dir, sizeof dir, ".");
  if (ok && !cmd_use_family_copy(dir, ck.config_text, ck.config_len, out->notice,
                                 sizeof out->notice, cfg_err, sizeof cfg_err)) {
    snprintf(err, err_sz, "%s: %s", path, cfg_err);
    ok = 0;
  }
  int parsed = ok && maml_config_parse_ini(&c, ck.config_text, ck.config_len, "checkpoint", cfg_err,
                                           sizeof cfg_err) == MAML_OK;
  if (ok && !parsed && (strstr(cfg_err, ": env: ") || strstr(cfg_err, ": family_hash: "))) {
    char hint[4200]; /* its family file is gone or changed */
    cmd_family_copy_hint(dir, hint, sizeof hint);
    snprintf(err, err_sz, "%s: %s%s", path, cfg_err, hint);
    ok = 0;
  }
  if (parsed && c.mode == MAML_MODE_MAML) out->alpha = c.alpha;
  if (parsed) maml_config_stored(&c);
  if (out->oracle) out->oracle = parsed ? (int)c.oracle_obs : (int)MAML_ORACLE_OBS_RAW;
  if (parsed && ok) ok = load_step_sizes(&ck, &c, out, path, err, err_sz);
  if (parsed && !cmd_note_model(path, &c)) {
    snprintf(err, err_sz, "%s: too many checkpoints loaded", path);
    ok = 0;
  }
  maml_checkpoint_free(&ck);
  if (!ok) free(out->theta), out->theta = NULL, free(out->step_sizes), out->step_sizes = NULL;
  return ok;
}
