/* libFuzzer target: the parsers of command-line values. The first byte picks a config key
 * (maml_config_set, what every `maml train --key value` goes through) or a family's goal
 * parser (`--goal G`); the rest is the value. Refusals must say why; accepted goals must be
 * finite numbers. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "maml/config.h"
#include "maml/env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > 4096) return 0;
  char *value = malloc(size);
  if (!value) return 0;
  memcpy(value, data + 1, size - 1);
  value[size - 1] = '\0';
  char err[8192];
  err[0] = '\0';

  int n_keys = 0;
  const maml_config_key *keys = maml_config_keys();
  while (keys[n_keys].name) n_keys++;
  int n_fams;
  const maml_env_family *const *fams = maml_env_families(&n_fams);
  int pick = data[0] % (n_keys + n_fams + 1);
  if (pick < n_keys) {
    maml_config c;
    maml_config_defaults(&c);
    if (maml_config_set(&c, keys[pick].name, value, err, sizeof err) != MAML_OK && !err[0]) abort();
  } else if (pick < n_keys + n_fams) {
    const maml_env_family *f = fams[pick - n_keys];
    double task[MAML_TASK_MAX];
    if (f->parse_task(value, task, err, sizeof err) != MAML_OK) {
      if (!err[0]) abort();
    } else {
      for (int d = 0; d < f->task_dim; d++)
        if (!isfinite(task[d])) abort();
    }
  } else { /* an unknown key: refused with a message */
    maml_config c;
    maml_config_defaults(&c);
    if (maml_config_set(&c, value, "1", err, sizeof err) == MAML_OK) {
      int known = 0;
      for (int k = 0; k < n_keys; k++) {
        char dashed[64];
        size_t L = strlen(keys[k].name);
        if (L >= sizeof dashed) continue;
        for (size_t j = 0; j <= L; j++) dashed[j] = keys[k].name[j] == '_' ? '-' : keys[k].name[j];
        known |= !strcmp(value, keys[k].name) || !strcmp(value, dashed);
      }
      if (!known) abort();
    } else if (!err[0]) {
      abort();
    }
  }
  free(value);
  return 0;
}
