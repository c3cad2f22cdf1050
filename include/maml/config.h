/* The training configuration: every hyperparameter of a run, read from an INI file and
 * overridden by command-line flags, validated, and written back out as the run's resolved
 * config (also embedded in every checkpoint).
 *
 * INI syntax: one `key = value` per line; `#` or `;` starts a comment line; blank lines
 * are ignored; an optional `[train]` section header is accepted (the only section). Keys
 * use underscores (max_kl); on the command line the same key is a flag with dashes or
 * underscores (--max-kl 0.02, --max_kl=0.02).
 *
 * Some defaults depend on the family (tasks, horizon, iterations, episodes): they stay
 * "unset" (0) until maml_config_resolve fills them from the paper's values for that
 * family (docs/tasks.md). */
#ifndef MAML_CONFIG_H
#define MAML_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "maml/error.h"
#include "maml/inner.h"
#include "maml/matmul.h"
#include "maml/outer.h"
#include "maml/policy.h"
#include "maml/step_size.h"

/* What the outer loop meta-trains. */
typedef enum {
  MAML_MODE_MAML = 0, /* K inner REINFORCE steps, TRPO through them */
  MAML_MODE_PRETRAIN, /* no inner step: multi-task TRPO (the paper's "pretrained") */
  MAML_MODE_ORACLE    /* no inner step, the task appended to the observation */
} maml_mode;

/* The support episodes of inner steps 2 .. K (meta.h). */
typedef enum {
  MAML_SUPPORT_REUSE = 0, /* S_i, sampled with theta, at every step (the default) */
  MAML_SUPPORT_FRESH = 1  /* step k on episodes of its own, sampled with theta^k */
} maml_inner_support;
#define MAML_SUPPORT_COUNT 2

/* How an oracle run appends its task to the observation (maml/env.h's MAML_ORACLE_*):
 * scaled by the task kind's oracle_scale (a dynamics task's u / (3 sqrt(n))), or raw. */
typedef enum {
  MAML_ORACLE_OBS_UNSET = 0, /* not given: scaled for a new run (maml_config_resolve), raw
                                for a run's own config that predates the key
                                (maml_config_stored) */
  MAML_ORACLE_OBS_RAW = 1,   /* = MAML_ORACLE_RAW */
  MAML_ORACLE_OBS_SCALED = 2 /* = MAML_ORACLE_SCALED */
} maml_oracle_obs;

#define MAML_NAME_MAX 64
#define MAML_ASSETS_MAX 1024 /* longest assets folder recorded, with its NUL */

typedef struct {
  char env[MAML_NAME_MAX]; /* family name; "" until set */
  maml_mode mode;
  int first_order;            /* 1: J = I (MAML mode only) */
  int balanced_tasks;         /* 1: each meta-batch holds every goal of a discrete family
                                 equally often (task i: goal i mod their count) */
  maml_inner_loss inner_loss; /* the inner objective (MAML mode only; reinforce otherwise) */
  /* the support episodes of inner steps 2 .. K: reuse or fresh (MAML mode only; fresh
   * needs K >= 2; a text without the key reads as reuse) */
  maml_inner_support inner_support;
  maml_oracle_obs oracle_obs; /* oracle mode only (UNSET in the others once resolved) */
  uint64_t seed;
  int iterations;     /* meta-iterations (0: family default) */
  int tasks;          /* tasks per meta-batch (0: family default) */
  int episodes;       /* support episodes per task (0: family default) */
  int query_episodes; /* query episodes per task (0: same as episodes) */
  int horizon;        /* steps per episode, at most the family's (0: the family's) */
  int n_hidden;       /* hidden layers, 0..MAML_MAX_HIDDEN */
  int hidden[MAML_MAX_HIDDEN];
  maml_activation activation;
  double init_std;              /* initial sigma */
  int inner_steps;              /* K (MAML mode; 0 in the other modes) */
  double alpha;                 /* inner step size (default 0.1, or the family's preset alpha
                                   when it has one and alpha was not set: maml_config_resolve) */
  maml_learn_alpha learn_alpha; /* learned step sizes (step_size.h; MAML mode only; default
                                   no: alpha fixed) */
  int alpha_given;              /* 1 once alpha was set by maml_config_set (a file, a flag) */
  double gamma, gae_lambda;
  double max_kl; /* TRPO's KL bound delta */
  int cg_iters;
  double cg_damping;
  double ls_backtrack;        /* step shrink factor per line-search try, in (0, 1) */
  int ls_steps;               /* line-search tries */
  maml_outer_kind outer;      /* the outer optimiser (outer.h; default trpo; a text without
                                 the key reads as trpo) */
  double promp_clip;          /* ProMP: the ratio's clip range eps */
  double promp_kl_coef;       /* ProMP: the support KL penalty's coefficient eta */
  int promp_steps;            /* ProMP: Adam steps per meta-iteration */
  double promp_lr;            /* ProMP: Adam's learning rate */
  int threads;                /* worker threads (0: all cores, at most the tasks); results do
                                 not depend on it */
  maml_matmul_backend matmul; /* the backend of the policy's products asked for (default
                                 openblas; a text without the key reads as openblas) */
  int checkpoint_every;       /* keep a numbered checkpoint every N iterations */
  /* the model file the run trains on (maml_config_use_model records both) */
  char assets[MAML_ASSETS_MAX]; /* the folder it is read from; "": the default search */
  char model_hash[17];          /* its content hash, 16 lowercase hex digits; "": none */
  /* a family file named by env (its absolute path, written as env's value) and its
   * content hash; "": env names a registered family */
  char family_file[MAML_ASSETS_MAX];
  char family_hash[17];
} maml_config;

/* The paper's locomotion defaults with the family-dependent fields unset. */
void maml_config_defaults(maml_config *c);

/* Set one key from text. Errors: MAML_ERR_ARG for an unknown key (the message suggests the
 * closest known key: "did you mean 'max_kl'?") or a value that does not parse or is out of
 * range (the message names the key, the value and the allowed range). key may use dashes. */
maml_status maml_config_set(maml_config *c, const char *key, const char *value, char *err,
                            size_t err_sz);

/* Apply INI text of len bytes (need not be NUL-terminated); origin names it in messages
 * ("configs/x.ini:12: ..."). MAML_ERR_FORMAT for a malformed line, MAML_ERR_ARG as above. */
maml_status maml_config_parse_ini(maml_config *c, const char *text, size_t len, const char *origin,
                                  char *err, size_t err_sz);

/* Read and apply an INI file (MAML_ERR_IO when it cannot be read). */
maml_status maml_config_load(maml_config *c, const char *path, char *err, size_t err_sz);

/* Fill the family-dependent defaults (tasks, episodes, horizon, iterations; alpha from
 * the family's preset when it has one and alpha was not given) and check the whole config
 * for consistency: the family exists, horizon <= the family's, inner_steps >= 1 in MAML
 * mode (forced to 0 in pretrain and oracle modes, as is first_order, and inner_loss set to
 * reinforce, learn_alpha to no, inner_support to reuse), inner_steps >= 2 with
 * inner_support = fresh; oracle_obs scaled in oracle mode where not given, unset in the
 * others. */
maml_status maml_config_resolve(maml_config *c, char *err, size_t err_sz);

/* For a config read back from a run (its checkpoint's text, its config.ini): the values
 * keys it predates had when it was trained (oracle_obs: raw). Before maml_config_resolve. */
void maml_config_stored(maml_config *c);

/* Find the model file of c's family (maml/env.h's search) in assets, else in c->assets
 * when set, else $MAML_ASSETS or the built-in models; refuse it when c->model_hash is set
 * and the file hashes differently (MAML_ERR_ARG, the message names both hashes, the file
 * and the folder the run was trained with); then record the folder (absolute, "" for the
 * built-in models) and the hash in c. For a new run, a resumed one (assets overrides the
 * recorded folder) and a trainer. Errors of the search as maml_env_model_find's; a robot
 * without a model file (nav2d's point) records nothing. */
maml_status maml_config_use_model(maml_config *c, const char *assets, char *err, size_t err_sz);

/* The config as INI text (every key, one per line, values that parse back to the same
 * config). Returns the length like snprintf. */
int maml_config_format(const maml_config *c, char *buf, size_t n);

/* Write maml_config_format's text to path (MAML_ERR_IO on failure). */
maml_status maml_config_save(const maml_config *c, const char *path, char *err, size_t err_sz);

/* The keys, for --help: name, value syntax and a one-line description, NULL-terminated. */
typedef struct {
  const char *name;   /* "max_kl" */
  const char *syntax; /* "X > 0" */
  const char *help;   /* "TRPO's bound on the mean KL divergence (default 0.01)" */
} maml_config_key;
const maml_config_key *maml_config_keys(void);

const char *maml_mode_name(maml_mode m); /* "maml", "pretrain", "oracle" */
/* "reuse", "fresh"; NULL for a value that is not a maml_inner_support */
const char *maml_inner_support_name(maml_inner_support m);
/* "raw", "scaled"; NULL for UNSET or a value that is not a maml_oracle_obs */
const char *maml_oracle_obs_name(maml_oracle_obs m);

#endif
