/* libFuzzer target: the family-file parser (envs/family_file.c) on any text, without the
 * model: it must not crash, hang or leak, and every refusal must say why, naming the
 * origin. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "maml/env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[8192];
  err[0] = '\0';
  if (maml_env_file_check((const char *)data, size, "fuzz.ini", err, sizeof err) != MAML_OK &&
      (!err[0] || !strstr(err, "fuzz.ini")))
    abort(); /* every refusal says why, and where */
  return 0;
}
