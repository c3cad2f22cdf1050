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
  if (parsed && !cmd_note_model(path, &c)) {
    snprintf(err, err_sz, "%s: too many checkpoints loaded", path);
    ok = 0;
  }
  maml_checkpoint_free(&ck);
  if (!ok) free(out->theta), out->theta = NULL;
  return ok;
}
