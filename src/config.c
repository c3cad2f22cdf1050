/* The training configuration: defaults, one table of keys (name, type, range, help) that
 * drives setting from text, validation, formatting and --help, the INI reader, and the
 * family-dependent resolution. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "maml/config.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maml/env.h"
#include "maml/file.h"
#include "maml/number.h"
#include "maml/suggest.h"

#define VALUE_MAX MAML_ASSETS_MAX /* longest value text accepted (after trimming) */
#define KEY_MAX 64                /* longest key looked up (longer ones are unknown) */
#define LINE_MAX_BYTES 4096       /* longest INI line */
#define FILE_MAX_BYTES (16u << 20)
#define MSG_MAX 1024

/* ---- the key table ----------------------------------------------------------------- */

typedef enum {
  K_ENV,
  K_MODE,
  K_BOOL,
  K_SEED,
  K_INT,
  K_REAL,
  K_HIDDEN,
  K_ACTIVATION,
  K_PATH,
  K_HASH,
  K_MATMUL,
  K_FAMILY_HASH,
  K_INNER_LOSS,
  K_OUTER,
  K_LEARN_ALPHA,
  K_INNER_SUPPORT,
  K_ORACLE_OBS
} key_kind;

typedef struct {
  key_kind kind;
  size_t off;           /* offset of the field in maml_config */
  long long lo, hi;     /* K_INT: the closed range */
  double dlo, dhi;      /* K_REAL: the range ... */
  int lo_open, hi_open; /* ... with open ends where set */
  int unset_zero;       /* 0 means "family default" (left out of the formatted text as such) */
} key_spec;

#define INT_KEY(field, lo, hi, unset) \
  { K_INT, offsetof(maml_config, field), lo, hi, 0, 0, 0, 0, unset }
#define REAL_KEY(field, lo, hi, lo_open, hi_open) \
  { K_REAL, offsetof(maml_config, field), 0, 0, lo, hi, lo_open, hi_open, 0 }
#define OTHER_KEY(kind, field) \
  { kind, offsetof(maml_config, field), 0, 0, 0, 0, 0, 0, 0 }

/* The public table (for --help) and the specs, in the same order. The help texts that
 * name families or their defaults are made from the registry (family_help below). */
static maml_config_key keys[] = {
    {"env", "NAME|FILE", "task family (required)"},
    {"mode", "maml|pretrain|oracle",
     "what to meta-train: MAML, multi-task pretraining (no inner step), or the oracle (task in "
     "the observation) (default maml)"},
    {"first_order", "0|1", "first-order MAML: drop the inner step's Hessian (default 0)"},
    {"balanced_tasks", "0|1",
     "families whose goals repeat (goal direction): every meta-batch holds each goal equally "
     "often, task i the goal i mod the goal count (tasks must be a multiple of it), instead "
     "of drawing each task's goal at random (default 0)"},
    {"inner_loss", "reinforce|lvc",
     "the inner step's loss: reinforce, -mean[A log pi] (the paper's), or lvc, -mean[A pi / "
     "pi_sampling] (ProMP's LVC: the same first step, but its Hessian credits the pre-update "
     "policy's exploration in the meta-gradient; with inner_steps >= 2 the later steps "
     "differ too) (default reinforce)"},
    {"inner_support", "reuse|fresh",
     "the support episodes of inner steps 2 .. K: reuse, the episodes sampled with theta at "
     "every step, or fresh, new episodes for each step k sampled with the parameters "
     "theta^k it starts from (what the paper's code and pytorch-maml-rl do: K - 1 more "
     "support batches per task and iteration; their dependence on theta is not "
     "differentiated; the pre-update return stays theta's); fresh needs inner_steps >= 2 "
     "(default reuse)"},
    {"oracle_obs", "scaled|raw",
     "how an oracle run (mode = oracle) appends its task to the observation: scaled, times "
     "the task kind's factor (a dynamics task's u / (3 sqrt(n)) for n numbers of U(-3, 3), "
     "whose raw values slowed the oracle's learning fourfold; every other kind's is 1), or "
     "raw, as drawn; oracle runs trained before the key existed read as raw (default "
     "scaled)"},
    {"seed", "N >= 0", "random seed; every random stream is keyed by it (default 1)"},
    {"iterations", "N in [1, 10000000]", "meta-iterations"},
    {"tasks", "N in [1, 100000]", "tasks per meta-batch"},
    {"episodes", "N in [1, 65536]", "support episodes per task, for the inner step"},
    {"query_episodes", "N in [1, 65536]",
     "query episodes per task, for the outer step (default: the same as episodes)"},
    {"horizon", "N in [1, 100000]", "steps per episode, at most the family's"},
    {"hidden", "W,W,...|none",
     "hidden layer widths, each in [1, 4096], at most 8 layers; none (not an empty value) for "
     "a linear policy (default 100,100)"},
    {"activation", "relu|tanh", "hidden-layer nonlinearity (default relu)"},
    {"init_std", "X in [1e-6, 100]",
     "initial standard deviation of the actions; far smaller ones overflow the "
     "likelihoods; a small one needs a small alpha (the inner gradient grows as 1/std^2) "
     "(default 1)"},
    {"inner_steps", "K in [0, 100]",
     "inner policy-gradient steps, at least 1 in maml mode (default 1; 0 in the other modes)"},
    {"alpha", "X in [1e-8, 100]",
     "inner step size; smaller steps move the float parameters by about their rounding "
     "error (default 0.1, or the family's preset: `maml envs`)"},
    {"learn_alpha", "no|param|layer",
     "learned inner step sizes (Meta-SGD; ProMP's trainable_inner_step_size): no, the fixed "
     "alpha (the paper's); param, a step size per parameter; layer, one per weight matrix, "
     "bias vector and the log-std vector; they start at alpha, are meta-learned with the "
     "outer step (TRPO's curvature and KL bound, or ProMP's Adam, cover them), unconstrained "
     "(one may turn negative; under TRPO they move fast where the inner gradient is small, "
     "as it hardly changes the KL), are kept in the checkpoints and are what eval and view "
     "adapt with (MAML mode only) (default no)"},
    {"gamma", "X in [0, 1]", "discount factor (default 0.99)"},
    {"gae_lambda", "X in [0, 1]", "GAE lambda (default 1)"},
    {"max_kl", "X in [1e-12, 10]",
     "TRPO's bound on the mean KL divergence; smaller bounds allow steps of about the "
     "float parameters' rounding error (default 0.01)"},
    {"cg_iters", "N in [1, 1000]", "conjugate-gradient iterations (default 10)"},
    {"cg_damping", "X in [0, 1e6]", "damping added to the Fisher matrix in CG (default 1e-5)"},
    {"ls_backtrack", "X in (0, 1)", "line-search step shrink factor per try (default 0.8)"},
    {"ls_steps", "N in [1, 1000]", "line-search tries (default 15)"},
    {"outer", "trpo|promp",
     "the outer (meta) step: trpo, MAML-TRPO's conjugate-gradient step within the KL bound "
     "max_kl and its line search (the paper's), or promp, ProMP's promp_steps Adam steps on "
     "the clipped surrogate of the adapted policies plus promp_kl_coef times the pre-update "
     "policy's KL on the support states, every task re-adapted at each step (Rothfuss et "
     "al. 2019; ProMP as published is outer = promp with inner_loss = lvc; max_kl, cg_* "
     "and ls_* are then unused) (default trpo)"},
    {"promp_clip", "X in (0, 1]",
     "ProMP's clip range eps: the ratio of the adapted policy to the one that sampled the "
     "query batch is clipped to [1 - eps, 1 + eps] (default 0.3, the paper's)"},
    {"promp_kl_coef", "X in [0, 1e6]",
     "ProMP's coefficient eta of the penalty KL(pi_theta_old || pi_theta) on the support "
     "states, fixed as in the reference code's run scripts (its adaptive variant is not "
     "here) (default 5e-4, theirs)"},
    {"promp_steps", "N in [1, 1000]",
     "ProMP's Adam steps per meta-iteration on the same batches (default 5)"},
    {"promp_lr", "X in [1e-8, 1]",
     "ProMP's Adam learning rate; Adam's moments carry over from one meta-iteration to "
     "the next, as in the reference code, and are kept in latest.ckpt (default 1e-3)"},
    {"threads", "N in [0, 1024]",
     "worker threads; 0 = all cores (under MPI: shared among the ranks on a machine), at most the "
     "tasks (default 0); results do not depend on it"},
    {"matmul", "NAME",
     "backend of the policy's matrix products (`maml version` lists those this build and "
     "CPU can run); the results depend on it, bit for bit, but not their meaning. Taken "
     "from --matmul, else this key, else $MAML_MATMUL (default openblas); --resume keeps "
     "the run's unless --matmul changes it"},
    {"checkpoint_every", "N in [1, 10000000]",
     "keep a numbered checkpoint every N iterations (default 10)"},
    {"assets", "DIR",
     "the folder the model file was read from, recorded by maml train (--assets DIR, else "
     "$MAML_ASSETS); --resume, eval and view read the model there unless --assets names "
     "another (default: the built-in models)"},
    {"model_hash", "16 hex digits",
     "FNV-1a 64-bit hash of the model file's bytes (the MJCF file itself, not files it "
     "includes), recorded by maml train; training and --resume refuse a model that hashes "
     "differently, eval and view too unless it is named with --assets (then they warn) "
     "(default: not recorded, no check)"},
    {"family_hash", "16 hex digits",
     "FNV-1a 64-bit hash of the family file's bytes when env names a family file, recorded "
     "by maml train; --resume, eval and view refuse the file when it hashes differently "
     "(default: not recorded, no check)"},
    {NULL, NULL, NULL},
};

static const key_spec specs[] = {
    OTHER_KEY(K_ENV, env),
    OTHER_KEY(K_MODE, mode),
    OTHER_KEY(K_BOOL, first_order),
    OTHER_KEY(K_BOOL, balanced_tasks),
    OTHER_KEY(K_INNER_LOSS, inner_loss),
    OTHER_KEY(K_INNER_SUPPORT, inner_support),
    OTHER_KEY(K_ORACLE_OBS, oracle_obs),
    OTHER_KEY(K_SEED, seed),
    INT_KEY(iterations, 1, 10000000, 1),
    INT_KEY(tasks, 1, 100000, 1),
    INT_KEY(episodes, 1, 65536, 1),
    INT_KEY(query_episodes, 1, 65536, 1),
    INT_KEY(horizon, 1, 100000, 1),
    OTHER_KEY(K_HIDDEN, hidden),
    OTHER_KEY(K_ACTIVATION, activation),
    REAL_KEY(init_std, 1e-6, 100.0, 0, 0),
    INT_KEY(inner_steps, 0, 100, 0),
    REAL_KEY(alpha, 1e-8, 100.0, 0, 0),
    OTHER_KEY(K_LEARN_ALPHA, learn_alpha),
    REAL_KEY(gamma, 0.0, 1.0, 0, 0),
    REAL_KEY(gae_lambda, 0.0, 1.0, 0, 0),
    REAL_KEY(max_kl, 1e-12, 10.0, 0, 0),
    INT_KEY(cg_iters, 1, 1000, 0),
    REAL_KEY(cg_damping, 0.0, 1e6, 0, 0),
    REAL_KEY(ls_backtrack, 0.0, 1.0, 1, 1),
    INT_KEY(ls_steps, 1, 1000, 0),
    OTHER_KEY(K_OUTER, outer),
    REAL_KEY(promp_clip, 0.0, 1.0, 1, 0),
    REAL_KEY(promp_kl_coef, 0.0, 1e6, 0, 0),
    INT_KEY(promp_steps, 1, 1000, 0),
    REAL_KEY(promp_lr, 1e-8, 1.0, 0, 0),
    INT_KEY(threads, 0, 1024, 0),
    OTHER_KEY(K_MATMUL, matmul),
    INT_KEY(checkpoint_every, 1, 10000000, 0),
    OTHER_KEY(K_PATH, assets),
    OTHER_KEY(K_HASH, model_hash),
    OTHER_KEY(K_FAMILY_HASH, family_hash),
};

enum { NKEYS = (int)(sizeof specs / sizeof specs[0]) };
_Static_assert(sizeof keys / sizeof keys[0] == sizeof specs / sizeof specs[0] + 1,
               "keys[] and specs[] must list the same keys");

/* the help texts that depend on the families registered */
static struct {
  const char *key, *text;
  int field; /* a maml_env_preset_field, or -1: the list of families */
  const char *prefix;
  char buf[1024];
} family_help[] = {
    {"env",
     "task family, or a family file (a path with '/' or ending in .ini, read and "
     "recorded with its content hash)",
     -1, "", ""},
    {"iterations", "meta-iterations", MAML_PRESET_ITERATIONS, "", ""},
    {"tasks", "tasks per meta-batch", MAML_PRESET_TASKS, "", ""},
    {"episodes", "support episodes per task, for the inner step", MAML_PRESET_EPISODES, "", ""},
    {"horizon", "steps per episode, at most the family's", MAML_PRESET_HORIZON,
     "the family's: ", ""},
};

/* "a, b or c": the families' names */
static void family_list(char *buf, size_t n) {
  int count = 0;
  const maml_env_family *const *f = maml_env_families(&count);
  size_t len = 0;
  buf[0] = '\0';
  for (int i = 0; i < count && len < n; i++)
    len += (size_t)snprintf(buf + len, n - len, "%s%s",
                            i == 0           ? ""
                            : i == count - 1 ? " or "
                                             : ", ",
                            f[i]->name);
}

const maml_config_key *maml_config_keys(void) {
  for (size_t h = 0; h < sizeof family_help / sizeof family_help[0]; h++) {
    char values[800];
    if (family_help[h].field < 0)
      family_list(values, sizeof values);
    else
      maml_env_preset_text((maml_env_preset_field)family_help[h].field, values, sizeof values);
    snprintf(family_help[h].buf, sizeof family_help[h].buf,
             family_help[h].field < 0 ? "%s: %s%s (required)" : "%s (default %s%s)",
             family_help[h].text, family_help[h].prefix, values);
    for (int i = 0; i < NKEYS; i++)
      if (!strcmp(keys[i].name, family_help[h].key)) keys[i].help = family_help[h].buf;
  }
  return keys;
}

const char *maml_oracle_obs_name(maml_oracle_obs m) {
  return m == MAML_ORACLE_OBS_RAW ? "raw" : m == MAML_ORACLE_OBS_SCALED ? "scaled" : NULL;
}

const char *maml_inner_support_name(maml_inner_support m) {
  switch (m) {
    case MAML_SUPPORT_REUSE: return "reuse";
    case MAML_SUPPORT_FRESH: return "fresh";
  }
  return NULL;
}

const char *maml_mode_name(maml_mode m) {
  switch (m) {
    case MAML_MODE_MAML: return "maml";
    case MAML_MODE_PRETRAIN: return "pretrain";
    case MAML_MODE_ORACLE: return "oracle";
  }
  return "unknown";
}

static const char *activation_name(maml_activation a) {
  return a == MAML_ACT_RELU ? "relu" : a == MAML_ACT_TANH ? "tanh" : "unknown";
}

_Static_assert((int)MAML_ORACLE_OBS_RAW == (int)MAML_ORACLE_RAW &&
                   (int)MAML_ORACLE_OBS_SCALED == (int)MAML_ORACLE_SCALED,
               "config.h's oracle_obs values are env.h's oracle modes");

void maml_config_stored(maml_config *c) {
  if (c->oracle_obs == MAML_ORACLE_OBS_UNSET) c->oracle_obs = MAML_ORACLE_OBS_RAW;
}

void maml_config_defaults(maml_config *c) {
  memset(c, 0, sizeof *c);
  c->env[0] = '\0';
  c->mode = MAML_MODE_MAML;
  c->first_order = 0;
  c->inner_loss = MAML_INNER_REINFORCE;
  c->inner_support = MAML_SUPPORT_REUSE;
  c->seed = 1;
  c->n_hidden = 2;
  c->hidden[0] = 100;
  c->hidden[1] = 100;
  c->activation = MAML_ACT_RELU;
  c->init_std = 1.0;
  c->inner_steps = 1;
  c->alpha = 0.1;
  c->gamma = 0.99;
  c->gae_lambda = 1.0;
  c->max_kl = 0.01;
  c->cg_iters = 10;
  c->cg_damping = 1e-5;
  c->ls_backtrack = 0.8;
  c->ls_steps = 15;
  c->outer = MAML_OUTER_TRPO;
  c->promp_clip = 0.3;
  c->promp_kl_coef = 5e-4;
  c->promp_steps = 5;
  c->promp_lr = 1e-3;
  c->threads = 0;
  c->matmul = MAML_MATMUL_OPENBLAS;
  c->checkpoint_every = 10;
}

/* ---- small text helpers ------------------------------------------------------------- */

static int is_space(char ch) {
  return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' || ch == '\f';
}

static int lower(char ch) {
  return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

/* case-insensitive equality of a NUL-terminated text and a word */
static int word_eq(const char *text, const char *word) {
  for (; *text && *word; text++, word++)
    if (lower(*text) != lower(*word)) return 0;
  return *text == '\0' && *word == '\0';
}

/* key text with dashes as underscores; 0 when it does not fit */
static int normalise_key(const char *key, char *out, size_t n) {
  size_t len = strlen(key);
  if (len >= n) return 0;
  for (size_t i = 0; i <= len; i++) out[i] = key[i] == '-' ? '_' : key[i];
  return 1;
}

static int find_key(const char *name) {
  for (int i = 0; i < NKEYS; i++)
    if (!strcmp(keys[i].name, name)) return i;
  return -1;
}

/* the range of a real key as words: "a number > 0 and <= 100", "a number in [0, 1]" */
static void real_range_text(const key_spec *s, char *buf, size_t n) {
  if (!s->lo_open && !s->hi_open)
    snprintf(buf, n, "a number in [%g, %g]", s->dlo, s->dhi);
  else
    snprintf(buf, n, "a number %s %g and %s %g", s->lo_open ? ">" : ">=", s->dlo,
             s->hi_open ? "<" : "<=", s->dhi);
}

/* ---- setting one key ------------------------------------------------------------------ */

static maml_status parse_real(const char *key, const key_spec *s, const char *v, double *out,
                              char *err, size_t err_sz) {
  char range[96];
  real_range_text(s, range, sizeof range);
  size_t span = maml_decimal_span(v);
  if (span == 0 || v[span] != '\0') /* hexadecimal, inf, nan, "1e" are not plain decimals */
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%s: '%s' is not a plain decimal number (such as 0.05 or 1e-4): expected %s",
                     key, v, range);
  double x = strtod(v, NULL);
  if (!isfinite(x)) /* overflow (HUGE_VAL) */
    return maml_fail(err, err_sz, MAML_ERR_ARG, "%s: '%s' is not a finite number: expected %s", key,
                     v, range);
  if (x != 0.0 && fabs(x) < DBL_MIN) /* a subnormal: too small to compute with */
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%s: '%s' is too small to compute with (below %g): expected %s", key, v,
                     DBL_MIN, range);
  int ok = (s->lo_open ? x > s->dlo : x >= s->dlo) && (s->hi_open ? x < s->dhi : x <= s->dhi);
  if (!ok)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "%s: '%s' is out of range: expected %s", key, v,
                     range);
  *out = x;
  return MAML_OK;
}

static maml_status parse_int(const char *key, long long lo, long long hi, const char *v, int *out,
                             char *err, size_t err_sz) {
  errno = 0;
  size_t span = maml_integer_span(v);
  long long x = span ? strtoll(v, NULL, 10) : 0;
  if (span == 0 || v[span] != '\0')
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%s: '%s' is not an integer: expected an integer in [%lld, %lld]", key, v, lo,
                     hi);
  if (errno == ERANGE || x < lo || x > hi)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%s: '%s' is out of range: expected an integer in [%lld, %lld]", key, v, lo,
                     hi);
  *out = (int)x;
  return MAML_OK;
}

static maml_status parse_seed(const char *key, const char *v, uint64_t *out, char *err,
                              size_t err_sz) {
  const char *p = v;
  if (*p == '+') p++;
  int digits = *p >= '0' && *p <= '9';
  char *end = NULL;
  errno = 0;
  unsigned long long x = digits ? strtoull(p, &end, 10) : 0;
  if (!digits || *end != '\0')
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%s: '%s' is not an unsigned integer: expected an integer in [0, %llu]", key,
                     v, (unsigned long long)UINT64_MAX);
  if (errno == ERANGE)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%s: '%s' is out of range: expected an integer in [0, %llu]", key, v,
                     (unsigned long long)UINT64_MAX);
  *out = (uint64_t)x;
  return MAML_OK;
}

static maml_status parse_hidden(const char *key, const char *v, int *n_hidden, int *hidden,
                                char *err, size_t err_sz) {
  static const char *expect =
      "expected 1 to 8 comma-separated widths in [1, 4096] such as 100,100, or none for a "
      "linear policy";
  if (word_eq(v, "none")) {
    *n_hidden = 0;
    return MAML_OK;
  }
  if (v[0] == '\0') return maml_fail(err, err_sz, MAML_ERR_ARG, "%s: '' is empty: %s", key, expect);
  int widths[MAML_MAX_HIDDEN];
  int k = 0;
  const char *p = v;
  for (;;) {
    if (k == MAML_MAX_HIDDEN)
      return maml_fail(err, err_sz, MAML_ERR_ARG, "%s: '%s' has more than %d layers: %s", key, v,
                       MAML_MAX_HIDDEN, expect);
    while (is_space(*p)) p++;
    if (*p < '0' || *p > '9')
      return maml_fail(err, err_sz, MAML_ERR_ARG, "%s: '%s' is not a list of widths: %s", key, v,
                       expect);
    char *end;
    errno = 0;
    long x = strtol(p, &end, 10);
    if (errno == ERANGE || x < 1 || x > 4096)
      return maml_fail(err, err_sz, MAML_ERR_ARG,
                       "%s: '%s' is out of range: layer %d has width %.*s; %s", key, v, k + 1,
                       (int)(end - p), p, expect);
    widths[k++] = (int)x;
    p = end;
    while (is_space(*p)) p++;
    if (*p == '\0') break;
    if (*p != ',')
      return maml_fail(err, err_sz, MAML_ERR_ARG, "%s: '%s' is not a list of widths: %s", key, v,
                       expect);
    p++;
  }
  *n_hidden = k;
  for (int i = 0; i < MAML_MAX_HIDDEN; i++) hidden[i] = i < k ? widths[i] : 0;
  return MAML_OK;
}

/* a folder: no control characters (the INI holds it on one line) */
static maml_status parse_path(const char *key, const char *v, char *out, char *err, size_t err_sz) {
  size_t len = strlen(v);
  if (len == 0)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%s: '' is empty: expected a folder (leave the key out for the built-in "
                     "models)",
                     key);
  if (len >= MAML_ASSETS_MAX)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "%s: '%.40s...' is longer than %d characters", key,
                     v, MAML_ASSETS_MAX - 1);
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
      return maml_fail(err, err_sz, MAML_ERR_ARG,
                       "%s: '%s' holds a control character: expected a folder", key, v);
  memcpy(out, v, len + 1);
  return MAML_OK;
}

/* 16 hexadecimal digits, kept in lowercase */
static maml_status parse_hash(const char *key, const char *v, char *out, char *err, size_t err_sz) {
  int ok = strlen(v) == 16;
  for (int i = 0; ok && i < 16; i++)
    ok = (v[i] >= '0' && v[i] <= '9') || (lower(v[i]) >= 'a' && lower(v[i]) <= 'f');
  if (!ok)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%s: '%s' is not a hash: expected 16 hexadecimal digits (as maml train "
                     "records it)",
                     key, v);
  for (int i = 0; i <= 16; i++) out[i] = (char)lower(v[i]);
  return MAML_OK;
}

/* a backend name as maml_matmul_name spells it */
static maml_status parse_matmul(const char *key, const char *v, maml_matmul_backend *out, char *err,
                                size_t err_sz) {
  char names[256] = "";
  size_t len = 0;
  for (int b = 0; b < MAML_MATMUL_COUNT; b++) {
    const char *name = maml_matmul_name((maml_matmul_backend)b);
    if (!name) continue;
    if (!strcmp(v, name)) {
      *out = (maml_matmul_backend)b;
      return MAML_OK;
    }
    if (len < sizeof names)
      len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", len ? ", " : "", name);
  }
  return maml_fail(err, err_sz, MAML_ERR_ARG,
                   "%s: '%s' is not a matmul backend: expected one of %s (`maml version` lists "
                   "those available here)",
                   key, v, names);
}

/* v as one of names[0..n) (any case): its index, or -1 after the message "KEY: 'V' is not
 * WHAT (did you mean 'X'?): expected EXPECTED" */
static int pick_word(const char *key, const char *v, const char *const *names, int n,
                     const char *what, const char *expected, char *err, size_t err_sz) {
  for (int k = 0; k < n; k++)
    if (word_eq(v, names[k])) return k;
  const char *guess = maml_closest(v, names, n);
  char hint[64] = "";
  if (guess) snprintf(hint, sizeof hint, " (did you mean '%s'?)", guess);
  maml_fail(err, err_sz, MAML_ERR_ARG, "%s: '%s' is not %s%s: expected %s", key, v, what, hint,
            expected);
  return -1;
}

static maml_status parse_inner_loss(const char *key, const char *v, maml_inner_loss *out, char *err,
                                    size_t err_sz) {
  const char *names[MAML_INNER_COUNT];
  for (int k = 0; k < MAML_INNER_COUNT; k++) names[k] = maml_inner_loss_name((maml_inner_loss)k);
  int k =
      pick_word(key, v, names, MAML_INNER_COUNT, "an inner loss", "reinforce or lvc", err, err_sz);
  if (k >= 0) *out = (maml_inner_loss)k;
  return k >= 0 ? MAML_OK : MAML_ERR_ARG;
}

static maml_status parse_learn_alpha(const char *key, const char *v, maml_learn_alpha *out,
                                     char *err, size_t err_sz) {
  const char *names[MAML_LEARN_ALPHA_COUNT];
  for (int k = 0; k < MAML_LEARN_ALPHA_COUNT; k++)
    names[k] = maml_learn_alpha_name((maml_learn_alpha)k);
  int k = pick_word(key, v, names, MAML_LEARN_ALPHA_COUNT, "a step-size mode", "no, param or layer",
                    err, err_sz);
  if (k >= 0) *out = (maml_learn_alpha)k;
  return k >= 0 ? MAML_OK : MAML_ERR_ARG;
}

static maml_status parse_oracle_obs(const char *key, const char *v, maml_oracle_obs *out, char *err,
                                    size_t err_sz) {
  static const char *const names[] = {"raw", "scaled"}; /* MAML_ORACLE_OBS_RAW, _SCALED */
  int k = pick_word(key, v, names, 2, "an oracle observation", "scaled or raw", err, err_sz);
  if (k >= 0) *out = k == 0 ? MAML_ORACLE_OBS_RAW : MAML_ORACLE_OBS_SCALED;
  return k >= 0 ? MAML_OK : MAML_ERR_ARG;
}

static maml_status parse_inner_support(const char *key, const char *v, maml_inner_support *out,
                                       char *err, size_t err_sz) {
  const char *names[MAML_SUPPORT_COUNT];
  for (int k = 0; k < MAML_SUPPORT_COUNT; k++)
    names[k] = maml_inner_support_name((maml_inner_support)k);
  int k = pick_word(key, v, names, MAML_SUPPORT_COUNT, "an inner support mode", "reuse or fresh",
                    err, err_sz);
  if (k >= 0) *out = (maml_inner_support)k;
  return k >= 0 ? MAML_OK : MAML_ERR_ARG;
}

static maml_status parse_outer(const char *key, const char *v, maml_outer_kind *out, char *err,
                               size_t err_sz) {
  const char *names[MAML_OUTER_COUNT];
  for (int k = 0; k < MAML_OUTER_COUNT; k++) names[k] = maml_outer_name((maml_outer_kind)k);
  int k = pick_word(key, v, names, MAML_OUTER_COUNT, "an outer optimiser", "trpo or promp", err,
                    err_sz);
  if (k >= 0) *out = (maml_outer_kind)k;
  return k >= 0 ? MAML_OK : MAML_ERR_ARG;
}

/* a family file: parsed and its family registered (maml/env.h); c records its absolute
 * path and its content hash */
static maml_status parse_family_file(const char *key, const char *v, maml_config *c, char *err,
                                     size_t err_sz) {
  char msg[2048], *abs = realpath(v, NULL); /* NULL: gone (a run's copy may stand in) */
  if (strlen(abs ? abs : v) >= sizeof c->family_file) {
    free(abs);
    return maml_fail(err, err_sz, MAML_ERR_ARG, "%s: the path of %s is longer than %d characters",
                     key, v, (int)sizeof c->family_file - 1);
  }
  uint64_t hash = 0;
  maml_status s = maml_env_use(abs ? abs : v, c->env, sizeof c->env, &hash, msg, sizeof msg);
  if (s == MAML_OK) {
    snprintf(c->family_file, sizeof c->family_file, "%s", abs ? abs : v);
    maml_env_format_hash(hash, c->family_hash);
  }
  free(abs);
  return s == MAML_OK ? s : maml_fail(err, err_sz, s, "%s: %s", key, msg);
}

/* the family_hash key: a recorded family file's hash, checked against the file env names */
static maml_status parse_family_hash(const char *key, const char *v, maml_config *c, char *err,
                                     size_t err_sz) {
  char recorded[17];
  maml_status s = parse_hash(key, v, recorded, err, err_sz);
  if (s != MAML_OK) return s;
  if (c->family_file[0] && strcmp(recorded, c->family_hash) != 0)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%s: the family file %s has changed since it was recorded: its content "
                     "hashes to %s now, %s then (restore the file, or start a new run)",
                     key, c->family_file, c->family_hash, recorded);
  memcpy(c->family_hash, recorded, sizeof recorded);
  return MAML_OK;
}

static maml_status parse_env(const char *key, const char *v, maml_config *c, char *err,
                             size_t err_sz) {
  char *out = c->env;
  c->family_file[0] = c->family_hash[0] = '\0';
  if (maml_env_is_file(v)) return parse_family_file(key, v, c, err, err_sz);
  if (maml_env_find(v) && strlen(v) < MAML_NAME_MAX) {
    strcpy(out, v);
    return MAML_OK;
  }
  int count = 0;
  const maml_env_family *const *fam = maml_env_families(&count);
  const char *names[32];
  if (count > 32) count = 32;
  for (int i = 0; i < count; i++) names[i] = fam[i]->name;
  const char *guess = maml_closest(v, names, count);
  if (guess)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%s: '%s' is not a known family (did you mean '%s'?): expected one of %s", key,
                     v, guess, maml_env_names());
  return maml_fail(err, err_sz, MAML_ERR_ARG, "%s: '%s' is not a known family: expected one of %s",
                   key, v, maml_env_names());
}

/* set key index i of c from the trimmed value v; c is unchanged on error */
static maml_status set_value(maml_config *c, int i, const char *v, char *err, size_t err_sz) {
  const key_spec *s = &specs[i];
  const char *key = keys[i].name;
  char *field = (char *)c + s->off;
  switch (s->kind) {
    case K_ENV: return parse_env(key, v, c, err, err_sz);
    case K_MODE:
      for (int m = MAML_MODE_MAML; m <= MAML_MODE_ORACLE; m++)
        if (word_eq(v, maml_mode_name((maml_mode)m))) {
          c->mode = (maml_mode)m;
          return MAML_OK;
        }
      return maml_fail(err, err_sz, MAML_ERR_ARG,
                       "%s: '%s' is not a mode: expected maml, pretrain or oracle", key, v);
    case K_ACTIVATION:
      if (word_eq(v, "relu") || word_eq(v, "tanh")) {
        c->activation = word_eq(v, "relu") ? MAML_ACT_RELU : MAML_ACT_TANH;
        return MAML_OK;
      }
      return maml_fail(err, err_sz, MAML_ERR_ARG,
                       "%s: '%s' is not an activation: expected relu or tanh", key, v);
    case K_BOOL: {
      static const char *const yes[] = {"1", "true", "yes", "on"};
      static const char *const no[] = {"0", "false", "no", "off"};
      for (int k = 0; k < 4; k++)
        if (word_eq(v, yes[k]) || word_eq(v, no[k])) {
          *(int *)(void *)field = word_eq(v, yes[k]);
          return MAML_OK;
        }
      return maml_fail(err, err_sz, MAML_ERR_ARG,
                       "%s: '%s' is not a boolean: expected 0/1, true/false, yes/no or on/off", key,
                       v);
    }
    case K_SEED: return parse_seed(key, v, &c->seed, err, err_sz);
    case K_INT: return parse_int(key, s->lo, s->hi, v, (int *)(void *)field, err, err_sz);
    case K_REAL: return parse_real(key, s, v, (double *)(void *)field, err, err_sz);
    case K_HIDDEN: return parse_hidden(key, v, &c->n_hidden, c->hidden, err, err_sz);
    case K_PATH: return parse_path(key, v, c->assets, err, err_sz);
    case K_HASH: return parse_hash(key, v, c->model_hash, err, err_sz);
    case K_MATMUL: return parse_matmul(key, v, &c->matmul, err, err_sz);
    case K_FAMILY_HASH: return parse_family_hash(key, v, c, err, err_sz);
    case K_INNER_LOSS: return parse_inner_loss(key, v, &c->inner_loss, err, err_sz);
    case K_OUTER: return parse_outer(key, v, &c->outer, err, err_sz);
    case K_LEARN_ALPHA: return parse_learn_alpha(key, v, &c->learn_alpha, err, err_sz);
    case K_INNER_SUPPORT: return parse_inner_support(key, v, &c->inner_support, err, err_sz);
    case K_ORACLE_OBS: return parse_oracle_obs(key, v, &c->oracle_obs, err, err_sz);
  }
  return maml_fail(err, err_sz, MAML_ERR_ARG, "%s: internal error: unknown key kind", key);
}

maml_status maml_config_set(maml_config *c, const char *key, const char *value, char *err,
                            size_t err_sz) {
  if (!c || !key || !value) return maml_fail(err, err_sz, MAML_ERR_ARG, "config: NULL argument");
  char name[KEY_MAX + 1];
  int i = normalise_key(key, name, sizeof name) ? find_key(name) : -1;
  if (i < 0) {
    const char *names[NKEYS];
    for (int k = 0; k < NKEYS; k++) names[k] = keys[k].name;
    const char *guess = strlen(key) <= KEY_MAX ? maml_closest(name, names, NKEYS) : NULL;
    if (guess)
      return maml_fail(err, err_sz, MAML_ERR_ARG, "unknown key '%.*s' (did you mean '%s'?)",
                       KEY_MAX, key, guess);
    char list[1024];
    size_t len = 0;
    for (int k = 0; k < NKEYS && len < sizeof list; k++)
      len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", k ? ", " : "", keys[k].name);
    return maml_fail(err, err_sz, MAML_ERR_ARG, "unknown key '%.*s%s' (the keys: %s)", KEY_MAX, key,
                     strlen(key) > KEY_MAX ? "..." : "", list);
  }
  /* the value without surrounding white space */
  const char *begin = value;
  while (is_space(*begin)) begin++;
  size_t len = strlen(begin);
  while (len > 0 && is_space(begin[len - 1])) len--;
  if (len > VALUE_MAX)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "%s: '%.40s...' is too long (%zu characters)",
                     keys[i].name, begin, len);
  char v[VALUE_MAX + 1];
  memcpy(v, begin, len);
  v[len] = '\0';
  maml_config tmp = *c;
  maml_status s = set_value(&tmp, i, v, err, err_sz);
  if (s == MAML_OK && specs[i].off == offsetof(maml_config, alpha)) tmp.alpha_given = 1;
  if (s == MAML_OK) *c = tmp;
  return s;
}

/* ---- formatting ------------------------------------------------------------------------ */

/* the shortest %g text of x that reads back as exactly x */
static void format_real(double x, char *buf, size_t n) {
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, n, "%.*g", prec, x);
    if (strtod(buf, NULL) == x) return;
  }
  snprintf(buf, n, "%.17g", x);
}

/* the value of key i as text; returns 0 when it is an unset family default */
/* an enumerated key's name, or its number when it has none (refused by
 * maml_config_resolve): 1 */
static int format_name(char *buf, size_t n, const char *name, int value) {
  if (name)
    snprintf(buf, n, "%s", name);
  else
    snprintf(buf, n, "%d", value);
  return 1;
}

static int format_value(const maml_config *c, int i, char *buf, size_t n) {
  const key_spec *s = &specs[i];
  const char *field = (const char *)c + s->off;
  switch (s->kind) {
    case K_ENV:
      if (c->family_file[0]) /* the file, so that reading the text back registers it */
        return snprintf(buf, n, "%.*s", MAML_ASSETS_MAX - 1, c->family_file), 1;
      snprintf(buf, n, "%.*s", MAML_NAME_MAX - 1, c->env);
      return c->env[0] != '\0';
    case K_MODE: {
      const char *name = maml_mode_name(c->mode);
      if (!strcmp(name, "unknown"))
        snprintf(buf, n, "%d", (int)c->mode);
      else
        snprintf(buf, n, "%s", name);
      return 1;
    }
    case K_ACTIVATION:
      if (c->activation == MAML_ACT_RELU || c->activation == MAML_ACT_TANH)
        snprintf(buf, n, "%s", activation_name(c->activation));
      else
        snprintf(buf, n, "%d", (int)c->activation);
      return 1;
    case K_BOOL: snprintf(buf, n, "%d", *(const int *)(const void *)field); return 1;
    case K_SEED: snprintf(buf, n, "%" PRIu64, c->seed); return 1;
    case K_INT: {
      int x = *(const int *)(const void *)field;
      snprintf(buf, n, "%d", x);
      return !(s->unset_zero && x == 0);
    }
    case K_REAL: format_real(*(const double *)(const void *)field, buf, n); return 1;
    case K_PATH: snprintf(buf, n, "%.*s", MAML_ASSETS_MAX - 1, c->assets); return c->assets[0] != 0;
    case K_HASH: snprintf(buf, n, "%.16s", c->model_hash); return c->model_hash[0] != 0;
    case K_FAMILY_HASH: snprintf(buf, n, "%.16s", c->family_hash); return c->family_hash[0] != 0;
    case K_INNER_LOSS:
      return format_name(buf, n, maml_inner_loss_name(c->inner_loss), (int)c->inner_loss);
    case K_LEARN_ALPHA:
      return format_name(buf, n, maml_learn_alpha_name(c->learn_alpha), (int)c->learn_alpha);
    case K_OUTER: return format_name(buf, n, maml_outer_name(c->outer), (int)c->outer);
    case K_ORACLE_OBS: /* written in oracle mode only (unset in the others) */
      return c->oracle_obs != MAML_ORACLE_OBS_UNSET &&
             format_name(buf, n, maml_oracle_obs_name(c->oracle_obs), (int)c->oracle_obs);
    case K_INNER_SUPPORT:
      return format_name(buf, n, maml_inner_support_name(c->inner_support), (int)c->inner_support);
    case K_MATMUL: return format_name(buf, n, maml_matmul_name(c->matmul), (int)c->matmul);
    case K_HIDDEN: {
      if (c->n_hidden <= 0 || c->n_hidden > MAML_MAX_HIDDEN) {
        snprintf(buf, n, c->n_hidden == 0 ? "none" : "(%d layers)", c->n_hidden);
        return 1;
      }
      size_t len = 0;
      buf[0] = '\0';
      for (int l = 0; l < c->n_hidden && len < n; l++) {
        int w = snprintf(buf + len, n - len, "%s%d", l ? "," : "", c->hidden[l]);
        if (w < 0) break;
        len += (size_t)w;
      }
      return 1;
    }
  }
  snprintf(buf, n, "?");
  return 1;
}

/* append printf-style text to (buf, n) like snprintf, counting the full length */
typedef struct {
  char *buf;
  size_t n, len;
} text_out;

static void out_printf(text_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_printf(text_out *o, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *dst = o->len < o->n ? o->buf + o->len : NULL;
  size_t room = o->len < o->n ? o->n - o->len : 0;
  int w = vsnprintf(dst, room, fmt, ap);
  va_end(ap);
  if (w > 0) o->len += (size_t)w;
}

int maml_config_format(const maml_config *c, char *buf, size_t n) {
  if (!c || (!buf && n > 0)) return -1;
  text_out o = {buf, n, 0};
  if (n > 0) buf[0] = '\0';
  out_printf(&o, "# maml training config: key = value (maml train --help lists the keys)\n");
  for (int i = 0; i < NKEYS; i++) {
    char v[VALUE_MAX];
    if (format_value(c, i, v, sizeof v))
      out_printf(&o, "%s = %s\n", keys[i].name, v);
    else if (specs[i].kind == K_ORACLE_OBS) /* oracle mode's only: no line in the others */
      continue;
    else
      out_printf(&o, "# %s = (%s)\n", keys[i].name,
                 specs[i].kind == K_ENV    ? "not set"
                 : specs[i].kind == K_PATH ? "the default search"
                 : specs[i].kind == K_HASH || specs[i].kind == K_FAMILY_HASH
                     ? "not recorded"
                     : "the family's default");
  }
  return o.len > (size_t)INT32_MAX ? -1 : (int)o.len;
}

/* ---- INI text ------------------------------------------------------------------------ */

/* one trimmed line, [begin, end) */
static maml_status apply_line(maml_config *c, const char *begin, const char *end,
                              const char *origin, long line, char *err, size_t err_sz) {
  while (begin < end && is_space(*begin)) begin++;
  while (end > begin && is_space(end[-1])) end--;
  if (begin == end || *begin == '#' || *begin == ';') return MAML_OK;
  size_t len = (size_t)(end - begin);
  if (*begin == '[') {
    const char *close = memchr(begin, ']', len);
    if (!close || close != end - 1)
      return maml_fail(err, err_sz, MAML_ERR_FORMAT,
                       "%s:%ld: malformed section header '%.*s': expected [train]", origin, line,
                       (int)(len > 80 ? 80 : len), begin);
    const char *s = begin + 1, *e = close;
    while (s < e && is_space(*s)) s++;
    while (e > s && is_space(e[-1])) e--;
    if ((size_t)(e - s) == 5 && !memcmp(s, "train", 5)) return MAML_OK;
    return maml_fail(err, err_sz, MAML_ERR_FORMAT,
                     "%s:%ld: unknown section '%.*s': the only section is [train]", origin, line,
                     (int)(len > 80 ? 80 : len), begin);
  }
  const char *eq = memchr(begin, '=', len);
  if (!eq)
    return maml_fail(err, err_sz, MAML_ERR_FORMAT, "%s:%ld: expected 'key = value', got '%.*s%s'",
                     origin, line, (int)(len > 80 ? 80 : len), begin, len > 80 ? "..." : "");
  const char *kend = eq;
  while (kend > begin && is_space(kend[-1])) kend--;
  if (kend == begin)
    return maml_fail(err, err_sz, MAML_ERR_FORMAT,
                     "%s:%ld: expected 'key = value', no key before '='", origin, line);
  char key[LINE_MAX_BYTES + 1], value[LINE_MAX_BYTES + 1];
  memcpy(key, begin, (size_t)(kend - begin));
  key[kend - begin] = '\0';
  memcpy(value, eq + 1, (size_t)(end - eq - 1));
  value[end - eq - 1] = '\0';
  char msg[MSG_MAX];
  maml_status s = maml_config_set(c, key, value, msg, sizeof msg);
  if (s != MAML_OK) return maml_fail(err, err_sz, s, "%s:%ld: %s", origin, line, msg);
  return MAML_OK;
}

maml_status maml_config_parse_ini(maml_config *c, const char *text, size_t len, const char *origin,
                                  char *err, size_t err_sz) {
  if (!origin) origin = "<config>";
  if (!c || (!text && len > 0))
    return maml_fail(err, err_sz, MAML_ERR_ARG, "%s: NULL argument", origin);
  maml_config tmp = *c; /* applied all or nothing */
  size_t pos = 0;
  if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) pos = 3; /* a UTF-8 byte-order mark */
  for (long line = 1; pos < len; line++) {
    const char *begin = text + pos;
    const char *nl = memchr(begin, '\n', len - pos);
    size_t line_len = nl ? (size_t)(nl - begin) : len - pos;
    if (memchr(begin, '\0', line_len))
      return maml_fail(err, err_sz, MAML_ERR_FORMAT,
                       "%s:%ld: NUL byte in the text (not a text file?)", origin, line);
    if (line_len > LINE_MAX_BYTES)
      return maml_fail(err, err_sz, MAML_ERR_FORMAT,
                       "%s:%ld: line of %zu bytes is longer than the limit of %d", origin, line,
                       line_len, LINE_MAX_BYTES);
    maml_status s = apply_line(&tmp, begin, begin + line_len, origin, line, err, err_sz);
    if (s != MAML_OK) return s;
    pos += line_len + (nl ? 1 : 0);
  }
  *c = tmp;
  return MAML_OK;
}

maml_status maml_config_load(maml_config *c, const char *path, char *err, size_t err_sz) {
  if (!c || !path) return maml_fail(err, err_sz, MAML_ERR_ARG, "config: NULL argument");
  FILE *f = maml_file_fopen_input(path, err, err_sz); /* a FIFO is refused, not waited on */
  if (!f) return MAML_ERR_IO;
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  if (!buf) {
    fclose(f);
    return maml_fail(err, err_sz, MAML_ERR_NOMEM, "%s: out of memory", path);
  }
  for (;;) {
    if (len == cap) {
      if (cap >= FILE_MAX_BYTES) {
        free(buf);
        fclose(f);
        return maml_fail(err, err_sz, MAML_ERR_FORMAT,
                         "%s: larger than %u bytes: not a config file", path, FILE_MAX_BYTES);
      }
      char *bigger = realloc(buf, cap * 2);
      if (!bigger) {
        free(buf);
        fclose(f);
        return maml_fail(err, err_sz, MAML_ERR_NOMEM, "%s: out of memory", path);
      }
      buf = bigger;
      cap *= 2;
    }
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0) break;
  }
  int failed = ferror(f);
  int saved_errno = errno;
  fclose(f);
  if (failed) {
    free(buf);
    return maml_fail(err, err_sz, MAML_ERR_IO, "%s: cannot read: %s", path, strerror(saved_errno));
  }
  maml_status s = maml_config_parse_ini(c, buf, len, path, err, err_sz);
  free(buf);
  return s;
}

maml_status maml_config_save(const maml_config *c, const char *path, char *err, size_t err_sz) {
  if (!c || !path) return maml_fail(err, err_sz, MAML_ERR_ARG, "config: NULL argument");
  int n = maml_config_format(c, NULL, 0);
  if (n < 0) return maml_fail(err, err_sz, MAML_ERR_ARG, "%s: config cannot be formatted", path);
  char *text = malloc((size_t)n + 1);
  if (!text) return maml_fail(err, err_sz, MAML_ERR_NOMEM, "%s: out of memory", path);
  maml_config_format(c, text, (size_t)n + 1);
  FILE *f = fopen(path, "wb");
  if (!f) {
    free(text);
    return maml_fail(err, err_sz, MAML_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
  }
  size_t put = fwrite(text, 1, (size_t)n, f);
  int saved_errno = errno;
  free(text);
  if (put != (size_t)n) {
    fclose(f);
    return maml_fail(err, err_sz, MAML_ERR_IO, "%s: cannot write: %s", path, strerror(saved_errno));
  }
  if (fclose(f) != 0)
    return maml_fail(err, err_sz, MAML_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
  return MAML_OK;
}

/* ---- resolution ------------------------------------------------------------------------ */

/* balanced_tasks: a family whose goals repeat, and tasks a multiple of their count */
static maml_status check_balanced(const maml_config *r, const maml_env_family *f, char *err,
                                  size_t err_sz) {
  if (!r->balanced_tasks) return MAML_OK;
  double goals[8 * MAML_TASK_MAX];
  int n = maml_env_goal_set(f, goals, 8);
  char names[512];
  maml_env_discrete_names(names, sizeof names);
  if (n < 1)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "balanced_tasks: %s's goals do not repeat (it draws them from a range): "
                     "balanced_tasks = 1 needs a family of a discrete kind: %s",
                     f->name, names);
  if (r->tasks % n != 0)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "balanced_tasks: %d tasks do not split evenly over %s's %d goals: expected "
                     "tasks to be a multiple of %d",
                     r->tasks, f->name, n, n);
  return MAML_OK;
}

maml_status maml_config_resolve(maml_config *c, char *err, size_t err_sz) {
  if (!c) return maml_fail(err, err_sz, MAML_ERR_ARG, "config: NULL argument");
  if (c->env[0] == '\0')
    return maml_fail(err, err_sz, MAML_ERR_ARG, "no env: set env = <family> (one of %s)",
                     maml_env_names());
  if (!memchr(c->env, '\0', sizeof c->env))
    return maml_fail(err, err_sz, MAML_ERR_ARG, "env: the name is not terminated");
  const maml_env_family *f = maml_env_find(c->env);
  if (!f)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "env: '%s' is not a known family: expected one of %s", c->env,
                     maml_env_names());
  maml_config r = *c; /* the family's preset where unset */
  if (r.tasks == 0) r.tasks = maml_env_preset_value(f, MAML_PRESET_TASKS);
  if (r.episodes == 0) r.episodes = maml_env_preset_value(f, MAML_PRESET_EPISODES);
  if (r.query_episodes == 0) r.query_episodes = r.episodes;
  if (r.horizon == 0) r.horizon = maml_env_preset_value(f, MAML_PRESET_HORIZON);
  if (r.iterations == 0) r.iterations = maml_env_preset_value(f, MAML_PRESET_ITERATIONS);
  if (!r.alpha_given && f->preset.alpha > 0) r.alpha = f->preset.alpha;
  r.alpha_given = 1; /* resolving again keeps it */
  if (r.mode != MAML_MODE_ORACLE)
    r.oracle_obs = MAML_ORACLE_OBS_UNSET;
  else if (r.oracle_obs == MAML_ORACLE_OBS_UNSET)
    r.oracle_obs = MAML_ORACLE_OBS_SCALED;
  if (r.mode != MAML_MODE_MAML) {
    r.inner_steps = 0;
    r.first_order = 0;
    r.inner_loss = MAML_INNER_REINFORCE;
    r.learn_alpha = MAML_ALPHA_FIXED;
    r.inner_support = MAML_SUPPORT_REUSE;
  }
  /* every value must be one that its key accepts as text */
  if (r.n_hidden < 0 || r.n_hidden > MAML_MAX_HIDDEN)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "hidden: %d layers: expected 0 to %d", r.n_hidden,
                     MAML_MAX_HIDDEN);
  for (int i = 0; i < NKEYS; i++) {
    char v[VALUE_MAX];
    if (!format_value(&r, i, v, sizeof v)) continue; /* unset: the default search, no hash */
    maml_config scratch = r;
    maml_status s = set_value(&scratch, i, v, err, err_sz);
    if (s != MAML_OK) return s;
  }
  if (r.horizon > f->horizon)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "horizon: %d is more than %s's horizon: expected an integer in [1, %d]",
                     r.horizon, f->name, f->horizon);
  if (r.mode == MAML_MODE_MAML && r.inner_steps < 1)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "inner_steps: %d in maml mode: expected an integer in [1, 100] (mode = "
                     "pretrain trains without an inner step)",
                     r.inner_steps);
  if (r.inner_support == MAML_SUPPORT_FRESH && r.inner_steps < 2)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "inner_support: fresh with inner_steps = %d: fresh samples new support "
                     "episodes for inner steps 2 .. K, so it needs inner_steps >= 2 (expected "
                     "reuse with one inner step)",
                     r.inner_steps);
  maml_status bs = check_balanced(&r, f, err, err_sz);
  if (bs != MAML_OK) return bs;
  if (r.threads > r.tasks)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "threads: %d is more than the %d tasks (a thread works on whole tasks): "
                     "expected an integer in [0, %d], 0 for all cores",
                     r.threads, r.tasks, r.tasks);
  *c = r;
  return MAML_OK;
}
