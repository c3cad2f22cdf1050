#include "maml/hash.h"

uint64_t maml_hash(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull; /* the FNV prime */
  return h;
}
