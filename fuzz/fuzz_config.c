/* libFuzzer target: the INI config parser and the config's round trip.
 * Any input: parse it over the defaults; it must not crash or leak, and an error must come
 * with a message. When it parses and resolves, the formatted config must parse back to a
 * config that formats to the same text (what config.ini and checkpoints rely on). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "maml/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  maml_config c;
  char err[8192];
  err[0] = '\0';
  maml_config_defaults(&c);
  if (maml_config_parse_ini(&c, (const char *)data, size, "fuzz", err, sizeof err) != MAML_OK) {
    if (!err[0]) abort(); /* every refusal says why */
    return 0;
  }
  if (maml_config_resolve(&c, err, sizeof err) != MAML_OK) {
    if (!err[0]) abort();
    return 0;
  }
  int len = maml_config_format(&c, NULL, 0);
  if (len < 0) abort();
  char *a = malloc((size_t)len + 1), *b = NULL;
  if (!a) return 0;
  maml_config_format(&c, a, (size_t)len + 1);
  maml_config back;
  maml_config_defaults(&back);
  if (maml_config_parse_ini(&back, a, (size_t)len, "round trip", err, sizeof err) != MAML_OK ||
      maml_config_resolve(&back, err, sizeof err) != MAML_OK)
    abort(); /* the formatted config must read back */
  int len2 = maml_config_format(&back, NULL, 0);
  if (len2 != len || !(b = malloc((size_t)len2 + 1))) abort();
  maml_config_format(&back, b, (size_t)len2 + 1);
  if (memcmp(a, b, (size_t)len) != 0) abort();
  free(a), free(b);
  return 0;
}
