/* The model file a command simulates: the one its run or checkpoints recorded (the config
 * keys assets and model_hash), or a refusal that names both models. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "maml/env.h"

int cmd_use_model(maml_config *cfg, const char *assets, const char *who) {
  char err[2 * MAML_PATH_MAX + 1024];
  if (maml_config_use_model(cfg, assets, err, sizeof err) == MAML_OK) return 1;
  fprintf(stderr, "%s: %s\n", who, err);
  return 0;
}

/* ---- the models of the checkpoints loaded ------------------------------------------------ */

#define MAX_NOTED 32

static struct {
  char checkpoint[MAML_PATH_MAX];
  char env[MAML_NAME_MAX];
  char assets[MAML_ASSETS_MAX];
  char hash[17];
} noted[MAX_NOTED];
static int n_noted;

int cmd_note_model(const char *checkpoint, const maml_config *c) {
  if (!c->model_hash[0] && !c->assets[0]) return 1; /* a checkpoint older than the record */
  if (n_noted == MAX_NOTED) return 0;
  snprintf(noted[n_noted].checkpoint, sizeof noted[n_noted].checkpoint, "%s", checkpoint);
  snprintf(noted[n_noted].env, sizeof noted[n_noted].env, "%s", c->env);
  snprintf(noted[n_noted].assets, sizeof noted[n_noted].assets, "%s", c->assets);
  snprintf(noted[n_noted].hash, sizeof noted[n_noted].hash, "%s", c->model_hash);
  n_noted++;
  return 1;
}

int cmd_open_world(maml_env_world *w, const char *env, int oracle, const char *assets,
                   const char *who) {
  const char *folder = assets, *from = NULL;
  for (int i = 0; !folder && i < n_noted; i++)
    if (!strcmp(noted[i].env, env) && noted[i].assets[0])
      folder = noted[i].assets, from = noted[i].checkpoint;
  char err[2 * MAML_PATH_MAX + 1024];
  if (maml_env_world_open(w, env, oracle, folder, err, sizeof err) != MAML_OK) {
    if (from)
      fprintf(stderr,
              "%s: %s\n%s: %s was trained on the model in %s (recorded in its config); name "
              "the folder that holds that model now with --assets DIR\n",
              who, err, who, from, folder);
    else
      fprintf(stderr, "%s: %s\n", who, err);
    return 0;
  }
  if (!w->model) return 1; /* a robot without a model file */
  char hash[17];
  maml_env_format_hash(w->model_hash, hash);
  for (int i = 0; i < n_noted; i++)
    if (!strcmp(noted[i].env, env) && noted[i].hash[0] && strcmp(noted[i].hash, hash) != 0) {
      const char *trained = noted[i].assets[0]
                                ? noted[i].assets
                                : "the default search: $MAML_ASSETS, else the built-in models";
      if (assets) { /* a model named on purpose: used, and said so */
        fprintf(stderr,
                "%s: warning: the model %s (given with --assets) hashes to %s, but %s was "
                "trained on a model hashing to %s (from %s); using the model given\n",
                who, w->model_path, hash, noted[i].checkpoint, noted[i].hash, trained);
        continue;
      }
      fprintf(stderr,
              "%s: the model %s hashes to %s, but %s was trained on a model hashing to %s "
              "(from %s): name the folder holding that model with --assets DIR (a folder "
              "named with --assets is used whatever its model)\n",
              who, w->model_path, hash, noted[i].checkpoint, noted[i].hash, trained);
      maml_env_world_close(w);
      return 0;
    }
  return 1;
}

void cmd_family_copy_hint(const char *dir, char *buf, size_t n) {
  char path[4096];
  FILE *f = NULL;
  if (snprintf(path, sizeof path, "%s/family.ini", dir) < (int)sizeof path) f = fopen(path, "rb");
  if (!f) {
    if (n) buf[0] = '\0';
    return;
  }
  fclose(f);
  snprintf(buf, n,
           " (the run keeps a copy of the family file it was trained on: %s; diff it against "
           "the file named)",
           path);
}
