/* The model file a command simulates: the one its run or checkpoints recorded (the config
 * keys assets and model_hash), or a refusal that names both models. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
      if (w->family->model_file[0] == '/') { /* a family file's model: its own path */
        fprintf(stderr,
                "%s: the model %s hashes to %s, but %s was trained on a model hashing to %s: "
                "restore the model its family file names, or train a new run\n",
                who, w->model_path, hash, noted[i].checkpoint, noted[i].hash);
        maml_env_world_close(w);
        return 0;
      }
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

/* key's value in a config text as maml_config_format writes it ("key = value"), or "" */
static void config_value(const char *text, size_t len, const char *key, char *out, size_t n) {
  size_t k = strlen(key);
  out[0] = '\0';
  for (size_t pos = 0; text && pos < len;) {
    const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
    size_t line_len = nl ? (size_t)(nl - line) : len - pos;
    if (line_len > k + 3 && !strncmp(line, key, k) && !strncmp(line + k, " = ", 3)) {
      if (line_len - k - 3 < n) snprintf(out, n, "%.*s", (int)(line_len - k - 3), line + k + 3);
      return;
    }
    pos += line_len + 1;
  }
}

int cmd_use_family_copy(const char *dir, const char *config_text, size_t len, char *notice,
                        size_t notice_n, char *err, size_t err_sz) {
  char copy[MAML_PATH_MAX], env[MAML_PATH_MAX], hash[20], name[MAML_NAME_MAX];
  struct stat s;
  if (notice_n) notice[0] = '\0';
  if (snprintf(copy, sizeof copy, "%s/family.ini", dir) >= (int)sizeof copy || stat(copy, &s))
    return 1; /* no copy: the file recorded is read */
  config_value(config_text, len, "env", env, sizeof env);
  config_value(config_text, len, "family_hash", hash, sizeof hash);
  if (!maml_env_is_file(env) || strlen(hash) != 16 || strspn(hash, "0123456789abcdef") != 16)
    return 1; /* not a family file's run, or one older than the record */
  return maml_env_use_copy(copy, env, strtoull(hash, NULL, 16), name, sizeof name, notice, notice_n,
                           err, err_sz) == MAML_OK;
}

void cmd_family_difference(const char *trained, const char *given, char *buf, size_t n) {
  char what[2048];
  int count = maml_env_family_diff(trained, given, what, sizeof what);
  if (n) buf[0] = '\0';
  if (count > 0)
    snprintf(buf, n, " (%d key%s: %s)", count, count > 1 ? "s differ" : " differs", what);
}
