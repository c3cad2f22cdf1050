/* Content hashes: FNV-1a, 64 bits. The hash a run records of its model file, and the
 * digests MPI ranks compare of what each read for itself. Not cryptographic: it tells a
 * changed or different file, not a forged one. */
#ifndef MAML_HASH_H
#define MAML_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "maml/build_config.h"

#define MAML_HASH_START 0xcbf29ce484222325ull /* FNV-1a's offset basis: the empty input's hash */

/* h carried on over n more bytes (start with MAML_HASH_START) */
uint64_t maml_hash(uint64_t h, const void *data, size_t n);

#endif
