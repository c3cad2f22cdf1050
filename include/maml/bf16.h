/* bfloat16 (bf16): the upper 16 bits of an IEEE binary32 float (sign, 8-bit exponent, 7
 * stored significand bits), as oneDNN's bf16 matmuls take their inputs.
 *
 * Rounding keeps the exponent range of float and 8 significand bits: a finite x becomes
 * x (1 + d) with |d| <= 2^-8 (or a bf16 subnormal within 2^-134 of x; beyond the largest
 * bf16 it becomes an infinity). Used by the matmul backends dnnl-bf16 and emulated-bf16
 * (maml/matmul.h) and by their tests. */
#ifndef MAML_BF16_H
#define MAML_BF16_H

#include <stdint.h>

#include "maml/build_config.h"

/* The bf16 nearest to x, ties to the even one (the significand's last bit 0); an infinity
 * stays one, a NaN stays a NaN (quiet, its sign kept) */
static inline uint16_t maml_bf16_from_float(float x) {
  union {
    float f;
    uint32_t u;
  } v = {x};
  uint32_t rounded = (v.u + 0x7fffu + ((v.u >> 16) & 1u)) >> 16;
  uint32_t nan = (v.u >> 16) | 0x40u; /* a NaN's upper bits, its quiet bit set */
  return (uint16_t)((v.u & 0x7fffffffu) > 0x7f800000u ? nan : rounded);
}

/* the float of the same value (exact) */
static inline float maml_bf16_to_float(uint16_t h) {
  union {
    uint32_t u;
    float f;
  } v = {(uint32_t)h << 16};
  return v.f;
}

/* x rounded to bf16, as a float */
static inline float maml_bf16_round(float x) {
  return maml_bf16_to_float(maml_bf16_from_float(x));
}

/* The rows x cols matrix x (row-major, row stride ld) in bf16, packed row-major (row
 * stride cols) into out */
void maml_bf16_pack(int rows, int cols, const float *x, int ld, uint16_t *out);

/* The same matrix rounded to bf16 but kept in float, packed likewise into out */
void maml_bf16_round_pack(int rows, int cols, const float *x, int ld, float *out);

#endif
