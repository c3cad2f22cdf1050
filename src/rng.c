#include "maml/rng.h"

#include <math.h>

/* Philox4x32 round constants (Salmon et al., SC 2011). */
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

void maml_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
  uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
  uint32_t k0 = key[0], k1 = key[1];
  for (int round = 0; round < 10; round++) {
    uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
    uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
    uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
    uint32_t n1 = (uint32_t)p1;
    uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
    uint32_t n3 = (uint32_t)p0;
    c0 = n0, c1 = n1, c2 = n2, c3 = n3;
    k0 += PHILOX_W0;
    k1 += PHILOX_W1;
  }
  out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

void maml_rng_init(maml_rng *r, uint64_t seed, uint32_t iteration, uint32_t phase, uint32_t task,
                   uint32_t episode) {
  r->key[0] = (uint32_t)seed;
  r->key[1] = (uint32_t)(seed >> 32);
  r->ctr[0] = 0;
  r->ctr[1] = iteration;
  r->ctr[2] = task;
  r->ctr[3] = ((phase & MAML_RNG_MAX_PHASE) << 16) | (episode & MAML_RNG_MAX_EPISODE);
  r->used = 4;
  r->has_spare = 0;
  r->spare = 0.0;
}

uint32_t maml_rng_u32(maml_rng *r) {
  if (r->used == 4) {
    maml_philox4x32_10(r->ctr, r->key, r->block);
    r->ctr[0]++;
    r->used = 0;
  }
  return r->block[r->used++];
}

double maml_rng_uniform(maml_rng *r) {
  uint64_t hi = maml_rng_u32(r) >> 5; /* 27 bits */
  uint64_t lo = maml_rng_u32(r) >> 6; /* 26 bits */
  return (double)((hi << 26) | lo) * (1.0 / 9007199254740992.0);
}

double maml_rng_uniform_range(maml_rng *r, double lo, double hi) {
  return lo + (hi - lo) * maml_rng_uniform(r);
}

double maml_rng_normal(maml_rng *r) {
  if (r->has_spare) {
    r->has_spare = 0;
    return r->spare;
  }
  /* Box-Muller; 1 - u lies in (0, 1], so the log is finite */
  double u1 = 1.0 - maml_rng_uniform(r);
  double u2 = maml_rng_uniform(r);
  double radius = sqrt(-2.0 * log(u1));
  double angle = 6.283185307179586 * u2;
  r->spare = radius * sin(angle);
  r->has_spare = 1;
  return radius * cos(angle);
}
