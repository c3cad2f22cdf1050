/* The model file a run trains on: found, hashed and recorded in its config (the assets
 * and model_hash keys), so that a resumed run, eval and view use the same model or say
 * why not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maml/config.h"
#include "maml/env.h"

maml_status maml_config_use_model(maml_config *c, const char *assets, char *err, size_t err_sz) {
  if (!c) return maml_fail(err, err_sz, MAML_ERR_ARG, "config: NULL argument");
  const maml_env_family *f = maml_env_find(c->env);
  if (!f) return maml_fail(err, err_sz, MAML_ERR_ARG, "env: '%s' is not a known family", c->env);
  if (!f->model_file) return MAML_OK; /* a robot without a model file */
  const char *folder = assets ? assets : c->assets[0] ? c->assets : NULL;
  maml_env_model *m = malloc(sizeof *m);
  if (!m) return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory");
  maml_status s = maml_env_model_find(c->env, folder, m, err, err_sz);
  if (s != MAML_OK && !assets && c->assets[0] && err && err_sz > 0) {
    char *why = malloc(err_sz);
    if (why) {
      snprintf(why, err_sz, "%s", err);
      maml_fail(err, err_sz, s,
                "%s (the run recorded %s as the folder of the model it was trained on; name "
                "the folder that holds that model now with --assets DIR)",
                why, c->assets);
      free(why);
    }
  }
  char hash[17];
  maml_env_format_hash(m->hash, hash);
  if (s == MAML_OK && c->model_hash[0] && strcmp(hash, c->model_hash) != 0 &&
      f->model_file[0] == '/') /* a family file's model: its own path, no search */
    s = maml_fail(err, err_sz, MAML_ERR_ARG,
                  "the model %s%s%s%s hashes to %s, the run was trained on a model hashing to "
                  "%s: restore the model, or start a new run",
                  m->path, c->family_file[0] ? " (named by the family file " : "", c->family_file,
                  c->family_file[0] ? ")" : "", hash, c->model_hash);
  else if (s == MAML_OK && c->model_hash[0] && strcmp(hash, c->model_hash) != 0)
    s = maml_fail(err, err_sz, MAML_ERR_ARG,
                  "the model %s hashes to %s, the run was trained on a model hashing to %s (from "
                  "%s): name the folder holding that model with --assets DIR, or start a new run",
                  m->path, hash, c->model_hash,
                  c->assets[0] ? c->assets
                               : "the default search: $MAML_ASSETS, else the "
                                 "built-in models");
  if (s == MAML_OK && strlen(m->folder) >= sizeof c->assets)
    s = maml_fail(err, err_sz, MAML_ERR_ARG,
                  "assets: the folder %s is longer than the %d characters a run records", m->folder,
                  MAML_ASSETS_MAX - 1);
  if (s == MAML_OK) {
    memcpy(c->assets, m->folder, strlen(m->folder) + 1); /* fits: checked above */
    snprintf(c->model_hash, sizeof c->model_hash, "%s", hash);
  }
  free(m);
  return s;
}
