/* Random streams: Philox known answers, reproducibility, independence of keys, and the
 * moments of the uniform and normal draws. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "maml/rng.h"

/* Random123's published known-answer vectors for philox4x32-10 (counter, key, result). */
Test(rng, philox_known_answers) {
  static const uint32_t vectors[3][10] = {
      {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
      {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d,
       0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
      {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09,
       0x94fdcceb, 0x5001e420, 0x24126ea1},
  };
  for (int v = 0; v < 3; v++) {
    uint32_t out[4];
    maml_philox4x32_10(vectors[v], vectors[v] + 4, out);
    for (int i = 0; i < 4; i++)
      cr_assert_eq(out[i], vectors[v][6 + i], "vector %d word %d: %08x != %08x", v, i, out[i],
                   vectors[v][6 + i]);
  }
}

Test(rng, same_key_same_numbers) {
  maml_rng a, b;
  maml_rng_init(&a, 42, 3, MAML_PHASE_SUPPORT, 7, 11);
  maml_rng_init(&b, 42, 3, MAML_PHASE_SUPPORT, 7, 11);
  for (int i = 0; i < 1000; i++) {
    cr_assert_eq(maml_rng_u32(&a), maml_rng_u32(&b));
    cr_assert_eq(maml_rng_normal(&a), maml_rng_normal(&b));
  }
}

static int compare_u64(const void *x, const void *y) {
  uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
  return a < b ? -1 : a > b;
}

/* Keys that differ in one component each, and the first 4096 words of each stream:
 * no two streams share a window of 4 consecutive words. */
Test(rng, different_keys_do_not_repeat_each_other) {
  enum { STREAMS = 11, WORDS = 4096 };
  const uint32_t keys[STREAMS][5] = {
      {1, 0, 0, 0, 0}, {2, 0, 0, 0, 0}, {1, 1, 0, 0, 0}, {1, 0, 1, 0, 0},
      {1, 0, 0, 1, 0}, {1, 0, 0, 0, 1}, {1, 0, 0, 1, 1}, {1, 1, 1, 1, 1},
      {1, 0, 0, 0, 2}, {1, 0, 0, 2, 0}, {1, 2, 0, 0, 0},
  };
  static uint64_t windows[STREAMS * WORDS];
  size_t count = 0;
  for (int s = 0; s < STREAMS; s++) {
    maml_rng r;
    maml_rng_init(&r, keys[s][0], keys[s][1], keys[s][2], keys[s][3], keys[s][4]);
    uint32_t prev = maml_rng_u32(&r);
    for (int i = 0; i < WORDS; i++) {
      uint32_t next = maml_rng_u32(&r);
      windows[count++] = ((uint64_t)prev << 32) | next;
      prev = next;
    }
  }
  qsort(windows, count, sizeof windows[0], compare_u64);
  for (size_t i = 1; i < count; i++)
    cr_assert_neq(windows[i], windows[i - 1], "two streams share the pair %016llx",
                  (unsigned long long)windows[i]);
}

Test(rng, uniform_and_normal_moments) {
  maml_rng r;
  maml_rng_init(&r, 9, 0, MAML_PHASE_TEST, 0, 0);
  enum { N = 200000 };
  double su = 0, su2 = 0, sn = 0, sn2 = 0, sn4 = 0, umin = 1, umax = 0;
  for (int i = 0; i < N; i++) {
    double u = maml_rng_uniform(&r), z = maml_rng_normal(&r);
    su += u, su2 += u * u, sn += z, sn2 += z * z, sn4 += z * z * z * z;
    umin = fmin(umin, u), umax = fmax(umax, u);
  }
  cr_assert(umin >= 0.0 && umax < 1.0);
  cr_assert(fabs(su / N - 0.5) < 0.005, "uniform mean %g", su / N);
  cr_assert(fabs(su2 / N - 1.0 / 3) < 0.005, "uniform second moment %g", su2 / N);
  cr_assert(fabs(sn / N) < 0.01, "normal mean %g", sn / N);
  cr_assert(fabs(sn2 / N - 1.0) < 0.015, "normal variance %g", sn2 / N);
  cr_assert(fabs(sn4 / N - 3.0) < 0.1, "normal fourth moment %g", sn4 / N);
}

Test(rng, uniform_range_stays_inside) {
  maml_rng r;
  maml_rng_init(&r, 9, 0, MAML_PHASE_TEST, 1, 0);
  for (int i = 0; i < 10000; i++) {
    double x = maml_rng_uniform_range(&r, -0.5, 0.5);
    cr_assert(x >= -0.5 && x < 0.5);
  }
}
