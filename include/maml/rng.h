/* Counter-based random streams (Philox4x32-10).
 *
 * A stream is named by a key of integers (seed, iteration, phase, task, episode). The
 * numbers a stream yields depend only on that key and on how many have been drawn, never
 * on the thread that draws them or on other streams: this is what makes a batch sampled
 * by 1, 2 or 16 threads bit-identical. Two different keys give unrelated sequences: the
 * key maps one-to-one onto Philox's key and counter words, and the draw index occupies a
 * counter word of its own, so streams never overlap. */
#ifndef MAML_RNG_H
#define MAML_RNG_H

#include <stdint.h>

#include "maml/build_config.h"

/* What a stream is used for; part of its key. Add new phases at the end. */
typedef enum {
  MAML_PHASE_INIT = 0,    /* parameter initialisation */
  MAML_PHASE_TASKS,       /* drawing the meta-batch's tasks */
  MAML_PHASE_SUPPORT,     /* rollouts with theta (pre-adaptation) */
  MAML_PHASE_QUERY,       /* rollouts with theta'_i (post-adaptation) */
  MAML_PHASE_EVAL_TASKS,  /* held-out evaluation goals: never used by training */
  MAML_PHASE_EVAL,        /* evaluation rollouts */
  MAML_PHASE_TEST,        /* tests and benchmarks */
  MAML_PHASE_SWEEP_TASKS, /* goals of the evaluation's step-size sweep */
  MAML_PHASE_SWEEP,       /* rollouts of the step-size sweep */
  MAML_PHASE_VIEW,        /* the episodes the viewer shows */
  MAML_PHASE_BOOTSTRAP,   /* resampling runs for confidence intervals (maml eval --group) */
  /* rollouts with theta^k for inner step k >= 1 (inner_support = fresh): phase
   * MAML_PHASE_INNER_SUPPORT + k - 1, a block of its own above the phases listed before */
  MAML_PHASE_INNER_SUPPORT = 0x100
} maml_phase;

/* Largest values a key component may take (the key packs into 128 + 64 bits). */
#define MAML_RNG_MAX_EPISODE 0xFFFFu
#define MAML_RNG_MAX_PHASE 0xFFFFu

typedef struct {
  uint32_t key[2];   /* Philox key: the seed */
  uint32_t ctr[4];   /* ctr[0] = block index, ctr[1] = iteration, ctr[2] = task,
                        ctr[3] = phase << 16 | episode */
  uint32_t block[4]; /* the current output block */
  int used;          /* words of block already handed out (4 = empty) */
  int has_spare;     /* Box-Muller yields normals in pairs */
  double spare;
} maml_rng;

/* One Philox4x32-10 block: out = philox(ctr, key). Exposed for known-answer tests. */
void maml_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* Start the stream (seed, iteration, phase, task, episode) at its first number.
 * episode and phase are taken modulo 2^16 (see the limits above). */
void maml_rng_init(maml_rng *r, uint64_t seed, uint32_t iteration, uint32_t phase, uint32_t task,
                   uint32_t episode);

uint32_t maml_rng_u32(maml_rng *r);
/* Uniform in [0, 1), 53 random bits. */
double maml_rng_uniform(maml_rng *r);
/* Uniform in [lo, hi). */
double maml_rng_uniform_range(maml_rng *r, double lo, double hi);
/* Standard normal. */
double maml_rng_normal(maml_rng *r);

#endif
