/* Checkpoints: the policy's parameters and everything needed to resume a run exactly.
 *
 * A checkpoint file is written atomically (a temporary file in the same folder, fsync,
 * rename over the target, fsync of the folder), so a crash leaves either the old file or
 * the new one, never a mix. Layout (all integers little-endian, doubles IEEE-754 LE):
 *   magic "MAMLCKPT" (8 bytes), format version (u32), then the fields below in order,
 *   and last a CRC-32 (u32, the zlib polynomial) of every byte before it.
 * The random-number position of a run is (seed, iteration): every stream is keyed by it
 * (rng.h), so no generator state needs saving. Parameters are stored as doubles whatever
 * the build's float type (float -> double -> float is exact, so resume stays bit-exact).
 *
 * Loading refuses, with a message naming the problem, files that are truncated, carry
 * another magic or version, fail the checksum, hold sizes that do not fit together, or
 * hold parameters that are not all finite (NaN or infinite: a run that diverged; saving
 * does not check the values). It never reads past the data it was given, and refuses
 * (without waiting) a path that is not a regular file, such as a FIFO. */
#ifndef MAML_CHECKPOINT_H
#define MAML_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "maml/config.h"
#include "maml/error.h"
#include "maml/policy.h"

/* Version 2 adds, after the parameters, the outer optimiser's state (opt_len, then opt_len
 * doubles); a checkpoint without such state (opt_len 0: every TRPO run) is still written
 * as version 1, byte for byte as before. Version 3 adds, after the optimiser's state (its
 * count 0 for none), the learned inner step sizes (n_step_sizes, then that many doubles);
 * only a run with learned step sizes writes it. All three versions are read. */
#define MAML_CHECKPOINT_VERSION 3u

typedef struct {
  /* what the parameters are for */
  char env[MAML_NAME_MAX]; /* family */
  int oracle;              /* observation includes the task */
  int obs_dim, act_dim, n_hidden;
  int hidden[MAML_MAX_HIDDEN];
  int activation; /* maml_activation */
  /* where the run stands */
  uint64_t seed;
  int64_t iteration;      /* meta-updates applied to theta */
  double best_return;     /* best post-adaptation mean return so far (-inf if none) */
  int64_t best_iteration; /* iteration of that return (-1 if none) */
  int64_t rejected;       /* updates rejected so far for non-finite numbers */
  double elapsed;         /* seconds of training so far */
  /* the resolved config (INI text, maml_config_format) */
  char *config_text;
  size_t config_len;
  /* the parameters, n_params of them */
  double *theta;
  size_t n_params;
  /* the outer optimiser's state between meta-iterations (maml_learner_outer_state; ProMP:
   * Adam's step count and moments), opt_len numbers, stored as they are (not checked for
   * finiteness); NULL and 0 for none */
  double *opt_state;
  size_t opt_len;
  /* the learned inner step sizes (step_size.h; config learn_alpha), n_step_sizes of them,
   * finite; NULL and 0 for none (the fixed alpha of the config) */
  double *step_sizes;
  size_t n_step_sizes;
  uint32_t version; /* of the file parsed (set by parse; save writes 1, 2 or 3: 3 with step
                       sizes, else 2 with optimiser state, else 1) */
} maml_checkpoint;

/* Serialise to path atomically. MAML_ERR_IO with the path and the system's reason. */
maml_status maml_checkpoint_save(const char *path, const maml_checkpoint *ck, char *err,
                                 size_t err_sz);

/* Parse n bytes of a checkpoint; on success ck owns config_text (NUL-terminated), theta and
 * opt_state (free with maml_checkpoint_free). MAML_ERR_FORMAT on any malformed input. */
maml_status maml_checkpoint_parse(const void *data, size_t n, maml_checkpoint *ck, char *err,
                                  size_t err_sz);

/* Read and parse a file (MAML_ERR_IO when it cannot be read or is not a regular file). */
maml_status maml_checkpoint_load(const char *path, maml_checkpoint *ck, char *err, size_t err_sz);

void maml_checkpoint_free(maml_checkpoint *ck); /* NULL-safe; leaves ck zeroed */

/* MAML_ERR_FORMAT unless the checkpoint's network is exactly policy p's shape (the
 * message names both shapes). */
maml_status maml_checkpoint_check_policy(const maml_checkpoint *ck, const maml_policy *p, char *err,
                                         size_t err_sz);

/* CRC-32 (zlib's), exposed for tests. */
uint32_t maml_crc32(const void *data, size_t n);

#endif
