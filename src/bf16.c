/* Matrices rounded to bf16 (see maml/bf16.h): loops over rows the compiler vectorises. */
#include "maml/bf16.h"

#include <stddef.h>

void maml_bf16_pack(int rows, int cols, const float *x, int ld, uint16_t *out) {
  for (int i = 0; i < rows; i++) {
    const float *row = x + (size_t)i * ld;
    uint16_t *dst = out + (size_t)i * cols;
    for (int j = 0; j < cols; j++) dst[j] = maml_bf16_from_float(row[j]);
  }
}

void maml_bf16_round_pack(int rows, int cols, const float *x, int ld, float *out) {
  for (int i = 0; i < rows; i++) {
    const float *row = x + (size_t)i * ld;
    float *dst = out + (size_t)i * cols;
    for (int j = 0; j < cols; j++) dst[j] = maml_bf16_round(row[j]);
  }
}
