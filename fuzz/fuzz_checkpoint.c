/* libFuzzer target: the checkpoint parser. Any bytes: it must refuse with a message or
 * return a checkpoint whose sizes fit together, never read past the input, never leak. A
 * refused input gets through only with a valid CRC-32, so the target also tries the input
 * with its last four bytes replaced by the CRC of the rest: that lets the fuzzer reach the
 * field checks behind the checksum. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "maml/checkpoint.h"

static void check(const uint8_t *data, size_t size) {
  maml_checkpoint ck;
  char err[4096];
  err[0] = '\0';
  if (maml_checkpoint_parse(data, size, &ck, err, sizeof err) != MAML_OK) {
    if (!err[0]) abort();
    return;
  }
  if (!ck.theta || !ck.config_text || ck.config_text[ck.config_len] != '\0') abort();
  if (ck.n_hidden < 0 || ck.n_hidden > MAML_MAX_HIDDEN || ck.obs_dim < 1 || ck.act_dim < 1) abort();
  volatile double sink = 0.0; /* touch every parameter: ASan checks the allocation's size */
  for (size_t j = 0; j < ck.n_params; j++) sink += ck.theta[j];
  (void)sink;
  maml_checkpoint_free(&ck);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check(data, size);
  if (size < 12 || size > (1u << 20)) return 0;
  uint8_t *copy = malloc(size);
  if (!copy) return 0;
  memcpy(copy, data, size);
  uint32_t crc = maml_crc32(copy, size - 4);
  for (int k = 0; k < 4; k++) copy[size - 4 + k] = (uint8_t)(crc >> (8 * k));
  check(copy, size);
  free(copy);
  return 0;
}
