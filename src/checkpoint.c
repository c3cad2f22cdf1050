/* Checkpoints: explicit little-endian serialisation into memory, an atomic write (temporary
 * file, fsync, rename, fsync of the folder), and a bounds-checked parser that trusts no size
 * before the checksum has matched. */
#include "maml/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "maml/file.h"

_Static_assert(sizeof(double) == 8, "checkpoints store IEEE-754 doubles");

static const char magic[8] = {'M', 'A', 'M', 'L', 'C', 'K', 'P', 'T'};

#define MAX_DIM (1 << 20) /* largest observation, action or layer size accepted */
#define MAX_FILE_BYTES (1ull << 30)

/* ---- CRC-32 ------------------------------------------------------------------------------ */

/* zlib's CRC-32 (reflected polynomial 0xEDB88320), four bits at a time */
uint32_t maml_crc32(const void *data, size_t n) {
  static const uint32_t nibble[16] = {
      0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
      0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
      0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
  };
  const unsigned char *p = data;
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    crc ^= p[i];
    crc = (crc >> 4) ^ nibble[crc & 15u];
    crc = (crc >> 4) ^ nibble[crc & 15u];
  }
  return crc ^ 0xFFFFFFFFu;
}

/* ---- the shape ----------------------------------------------------------------------------- */

/* a network as text: "20-100-100-6 relu" */
static void shape_text(int obs_dim, int act_dim, int n_hidden, const int *hidden, int activation,
                       char *buf, size_t n) {
  size_t len = 0;
  int w = snprintf(buf, n, "%d", obs_dim);
  if (w > 0) len = (size_t)w;
  if (n_hidden > MAML_MAX_HIDDEN) n_hidden = MAML_MAX_HIDDEN;
  for (int l = 0; l < n_hidden && len < n; l++) {
    w = snprintf(buf + len, n - len, "-%d", hidden[l]);
    if (w > 0) len += (size_t)w;
  }
  if (len < n)
    snprintf(buf + len, n - len, "-%d %s", act_dim,
             activation == MAML_ACT_RELU   ? "relu"
             : activation == MAML_ACT_TANH ? "tanh"
                                           : "?");
}

/* Check that the fields describe a network and a run that fit together; code is the status
 * for a failure (MAML_ERR_ARG when saving, MAML_ERR_FORMAT when loading). */
static maml_status check_fields(const maml_checkpoint *ck, maml_status code, char *err,
                                size_t err_sz) {
  if (!memchr(ck->env, '\0', sizeof ck->env))
    return maml_fail(err, err_sz, code, "env name longer than %d bytes", MAML_NAME_MAX - 1);
  if (ck->oracle != 0 && ck->oracle != 1)
    return maml_fail(err, err_sz, code, "oracle flag %d: expected 0 or 1", ck->oracle);
  if (ck->obs_dim < 1 || ck->obs_dim > MAX_DIM || ck->act_dim < 1 || ck->act_dim > MAX_DIM)
    return maml_fail(err, err_sz, code,
                     "observation size %d and action size %d: each must be in [1, %d]", ck->obs_dim,
                     ck->act_dim, MAX_DIM);
  if (ck->n_hidden < 0 || ck->n_hidden > MAML_MAX_HIDDEN)
    return maml_fail(err, err_sz, code, "%d hidden layers: expected 0 to %d", ck->n_hidden,
                     MAML_MAX_HIDDEN);
  for (int l = 0; l < ck->n_hidden; l++)
    if (ck->hidden[l] < 1 || ck->hidden[l] > MAX_DIM)
      return maml_fail(err, err_sz, code, "hidden layer %d has width %d: expected 1 to %d", l + 1,
                       ck->hidden[l], MAX_DIM);
  if (ck->activation != MAML_ACT_RELU && ck->activation != MAML_ACT_TANH)
    return maml_fail(err, err_sz, code, "activation %d: expected %d (relu) or %d (tanh)",
                     ck->activation, MAML_ACT_RELU, MAML_ACT_TANH);
  if (ck->iteration < 0)
    return maml_fail(err, err_sz, code, "iteration %lld is negative", (long long)ck->iteration);
  if (ck->best_iteration < -1)
    return maml_fail(err, err_sz, code, "best iteration %lld: expected -1 or more",
                     (long long)ck->best_iteration);
  if (ck->rejected < 0)
    return maml_fail(err, err_sz, code, "rejected-update count %lld is negative",
                     (long long)ck->rejected);
  maml_policy p;
  char perr[256];
  if (maml_policy_init(&p, ck->obs_dim, ck->act_dim, ck->n_hidden, ck->hidden,
                       (maml_activation)ck->activation, 1.0, perr, sizeof perr) != MAML_OK)
    return maml_fail(err, err_sz, code, "%s", perr);
  if (p.n_params != ck->n_params) {
    char shape[160];
    shape_text(ck->obs_dim, ck->act_dim, ck->n_hidden, ck->hidden, ck->activation, shape,
               sizeof shape);
    return maml_fail(err, err_sz, code, "%zu parameters, but network %s has %zu", ck->n_params,
                     shape, p.n_params);
  }
  return MAML_OK;
}

/* ---- writing ------------------------------------------------------------------------------ */

static unsigned char *put_u32(unsigned char *p, uint32_t x) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(x >> (8 * i));
  return p + 4;
}

static unsigned char *put_u64(unsigned char *p, uint64_t x) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(x >> (8 * i));
  return p + 8;
}

static unsigned char *put_f64(unsigned char *p, double x) {
  uint64_t bits;
  memcpy(&bits, &x, sizeof bits);
  return put_u64(p, bits);
}

/* the whole file in memory; MAML_ERR_ARG for a checkpoint that would not load */
static maml_status serialise(const maml_checkpoint *ck, unsigned char **out, size_t *out_n,
                             char *err, size_t err_sz) {
  char msg[512];
  if (check_fields(ck, MAML_ERR_ARG, msg, sizeof msg) != MAML_OK)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "cannot save this checkpoint: %s", msg);
  if ((ck->n_params > 0 && !ck->theta) || (ck->config_len > 0 && !ck->config_text))
    return maml_fail(err, err_sz, MAML_ERR_ARG, "cannot save this checkpoint: NULL data");
  if (ck->config_text && memchr(ck->config_text, '\0', ck->config_len))
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "cannot save this checkpoint: the config text holds a NUL byte");
  size_t env_len = strlen(ck->env);
  size_t fixed = 8 + 4 + 4 + env_len + 4 + 3 * 4 + 4 * (size_t)ck->n_hidden + 4 + 8 + 8 + 8 + 8 +
                 8 + 8 + 8 + 8 + 4;
  /* n_params is bounded by the shape check (at most ~2^43), config_len by the caller */
  if (ck->config_len > SIZE_MAX - fixed || ck->n_params > (SIZE_MAX - fixed - ck->config_len) / 8)
    return maml_fail(err, err_sz, MAML_ERR_NOMEM, "checkpoint too large for memory");
  if ((ck->opt_len > 0 && !ck->opt_state) ||
      ck->opt_len + 1 > (SIZE_MAX - fixed - ck->config_len) / 8 - ck->n_params)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "cannot save this checkpoint: optimiser state");
  if ((ck->n_step_sizes > 0 && !ck->step_sizes) ||
      ck->n_step_sizes + 1 >
          (SIZE_MAX - fixed - ck->config_len) / 8 - ck->n_params - ck->opt_len - 1)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "cannot save this checkpoint: step sizes");
  uint32_t version = ck->n_step_sizes > 0 ? 3u : ck->opt_len > 0 ? 2u : 1u;
  size_t total = fixed + ck->config_len + 8 * ck->n_params +
                 (version > 1 ? 8 + 8 * ck->opt_len : 0) +
                 (version > 2 ? 8 + 8 * ck->n_step_sizes : 0);
  unsigned char *buf = malloc(total);
  if (!buf) return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory (%zu bytes)", total);
  unsigned char *p = buf;
  memcpy(p, magic, 8);
  p += 8;
  p = put_u32(p, version);
  p = put_u32(p, (uint32_t)env_len);
  memcpy(p, ck->env, env_len);
  p += env_len;
  p = put_u32(p, (uint32_t)ck->oracle);
  p = put_u32(p, (uint32_t)ck->obs_dim);
  p = put_u32(p, (uint32_t)ck->act_dim);
  p = put_u32(p, (uint32_t)ck->n_hidden);
  for (int l = 0; l < ck->n_hidden; l++) p = put_u32(p, (uint32_t)ck->hidden[l]);
  p = put_u32(p, (uint32_t)ck->activation);
  p = put_u64(p, ck->seed);
  p = put_u64(p, (uint64_t)ck->iteration);
  p = put_f64(p, ck->best_return);
  p = put_u64(p, (uint64_t)ck->best_iteration);
  p = put_u64(p, (uint64_t)ck->rejected);
  p = put_f64(p, ck->elapsed);
  p = put_u64(p, (uint64_t)ck->config_len);
  if (ck->config_len > 0) memcpy(p, ck->config_text, ck->config_len);
  p += ck->config_len;
  p = put_u64(p, (uint64_t)ck->n_params);
  for (size_t i = 0; i < ck->n_params; i++) p = put_f64(p, ck->theta[i]);
  if (version > 1) {
    p = put_u64(p, (uint64_t)ck->opt_len);
    for (size_t i = 0; i < ck->opt_len; i++) p = put_f64(p, ck->opt_state[i]);
  }
  if (version > 2) {
    p = put_u64(p, (uint64_t)ck->n_step_sizes);
    for (size_t i = 0; i < ck->n_step_sizes; i++) p = put_f64(p, ck->step_sizes[i]);
  }
  p = put_u32(p, maml_crc32(buf, (size_t)(p - buf)));
  *out = buf;
  *out_n = total;
  return MAML_OK;
}

static int write_all(int fd, const unsigned char *p, size_t n) {
  while (n > 0) {
    size_t chunk = n > ((size_t)1 << 30) ? ((size_t)1 << 30) : n;
    ssize_t w = write(fd, p, chunk);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (w == 0) {
      errno = EIO;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* fsync the folder holding path, so that the rename is on disk */
static int sync_folder(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir;
  if (!slash)
    dir = strdup(".");
  else if (slash == path)
    dir = strdup("/");
  else {
    dir = malloc((size_t)(slash - path) + 1);
    if (dir) {
      memcpy(dir, path, (size_t)(slash - path));
      dir[slash - path] = '\0';
    }
  }
  if (!dir) {
    errno = ENOMEM;
    return -1;
  }
  int fd = open(dir, O_RDONLY);
  free(dir);
  if (fd < 0) return errno == EACCES ? 0 : -1; /* a folder we may write but not read */
  int rc = fsync(fd);
  int saved = errno;
  close(fd);
  /* some file systems cannot sync a folder; the rename itself has happened */
  if (rc != 0 && (saved == EINVAL || saved == ENOTSUP)) rc = 0;
  errno = saved;
  return rc;
}

maml_status maml_checkpoint_save(const char *path, const maml_checkpoint *ck, char *err,
                                 size_t err_sz) {
  if (!path || !ck) return maml_fail(err, err_sz, MAML_ERR_ARG, "checkpoint: NULL argument");
  unsigned char *buf = NULL;
  size_t n = 0;
  char msg[600];
  maml_status s = serialise(ck, &buf, &n, msg, sizeof msg);
  if (s != MAML_OK) return maml_fail(err, err_sz, s, "%s: %s", path, msg);
  size_t tmp_sz = strlen(path) + 32;
  char *tmp = malloc(tmp_sz);
  if (!tmp) {
    free(buf);
    return maml_fail(err, err_sz, MAML_ERR_NOMEM, "%s: out of memory", path);
  }
  snprintf(tmp, tmp_sz, "%s.tmp.%ld", path, (long)getpid());
  int fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EEXIST) {
    /* only this process (or a dead one with the same id) makes this name: a stale left-over */
    unlink(tmp);
    fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  }
  if (fd < 0) {
    int e = errno;
    free(buf);
    s = maml_fail(err, err_sz, MAML_ERR_IO, "%s: cannot create the temporary file %s: %s", path,
                  tmp, strerror(e));
    free(tmp);
    return s;
  }
  const char *step = NULL;
  if (write_all(fd, buf, n) != 0)
    step = "cannot write";
  else if (fsync(fd) != 0)
    step = "cannot sync";
  int e = step ? errno : 0;
  free(buf);
  if (close(fd) != 0 && !step) {
    step = "cannot close";
    e = errno;
  }
  if (!step && rename(tmp, path) != 0) {
    step = "cannot rename the temporary file onto";
    e = errno;
  }
  if (step) {
    unlink(tmp);
    free(tmp);
    return maml_fail(err, err_sz, MAML_ERR_IO, "%s: %s it: %s", path, step, strerror(e));
  }
  free(tmp);
  if (sync_folder(path) != 0)
    return maml_fail(err, err_sz, MAML_ERR_IO, "%s: written, but its folder cannot be synced: %s",
                     path, strerror(errno));
  return MAML_OK;
}

/* ---- reading ------------------------------------------------------------------------------- */

typedef struct {
  const unsigned char *p;
  size_t n, pos;       /* n: bytes of fields (the checksum excluded) */
  const char *missing; /* the field that ran out of data */
} reader;

static int take(reader *r, size_t k, const char *field, const unsigned char **at) {
  if (k > r->n - r->pos) {
    r->missing = field;
    return 0;
  }
  *at = r->p + r->pos;
  r->pos += k;
  return 1;
}

static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p) {
  return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int get_u32(reader *r, const char *field, uint32_t *x) {
  const unsigned char *at;
  if (!take(r, 4, field, &at)) return 0;
  *x = le32(at);
  return 1;
}

static int get_u64(reader *r, const char *field, uint64_t *x) {
  const unsigned char *at;
  if (!take(r, 8, field, &at)) return 0;
  *x = le64(at);
  return 1;
}

/* a count (field count_field), then that many 8-byte numbers (field): *count and *at */
static int take_counted(reader *r, const char *count_field, const char *field, size_t *count,
                        const unsigned char **at) {
  uint64_t q;
  if (!get_u64(r, count_field, &q)) return 0;
  if (q > (r->n - r->pos) / 8) {
    r->missing = field;
    return 0;
  }
  *count = (size_t)q;
  return take(r, 8 * *count, field, at);
}

static int get_f64(reader *r, const char *field, double *x) {
  uint64_t bits;
  if (!get_u64(r, field, &bits)) return 0;
  memcpy(x, &bits, sizeof *x);
  return 1;
}

/* a u32 size field as an int in [lo, hi] */
static int get_dim(reader *r, const char *field, int *x, char *msg, size_t msg_sz) {
  uint32_t v;
  if (!get_u32(r, field, &v)) return 0;
  if (v > MAX_DIM) {
    snprintf(msg, msg_sz, "%s %lu is larger than %d", field, (unsigned long)v, MAX_DIM);
    return 0;
  }
  *x = (int)v;
  return 1;
}

typedef enum { READ_OK, READ_SHORT, READ_BAD } read_result;

/* Read every field after the version. With copy == 0 only the structure is walked (nothing
 * is allocated, sizes are only checked against the data); with copy == 1 config_text and
 * theta are allocated (READ_BAD with *nomem set when that fails). msg receives the reason. */
static read_result read_fields(reader *r, maml_checkpoint *ck, uint32_t version, int copy,
                               int *nomem, char *msg, size_t msg_sz) {
  const unsigned char *at;
  uint32_t u;
  uint64_t q;
  msg[0] = '\0';
#define NEED(x)                                      \
  do {                                               \
    if (!(x)) return msg[0] ? READ_BAD : READ_SHORT; \
  } while (0)
  NEED(get_u32(r, "env length", &u));
  if (u >= MAML_NAME_MAX) {
    snprintf(msg, msg_sz, "env name of %lu bytes: at most %d allowed", (unsigned long)u,
             MAML_NAME_MAX - 1);
    return READ_BAD;
  }
  NEED(take(r, u, "env name", &at));
  if (memchr(at, '\0', u)) {
    snprintf(msg, msg_sz, "the env name holds a NUL byte");
    return READ_BAD;
  }
  memcpy(ck->env, at, u);
  ck->env[u] = '\0';
  NEED(get_u32(r, "oracle flag", &u));
  if (u > 1) {
    snprintf(msg, msg_sz, "oracle flag %lu: expected 0 or 1", (unsigned long)u);
    return READ_BAD;
  }
  ck->oracle = (int)u;
  NEED(get_dim(r, "observation size", &ck->obs_dim, msg, msg_sz));
  NEED(get_dim(r, "action size", &ck->act_dim, msg, msg_sz));
  NEED(get_u32(r, "hidden layer count", &u));
  if (u > MAML_MAX_HIDDEN) {
    snprintf(msg, msg_sz, "%lu hidden layers: at most %d allowed", (unsigned long)u,
             MAML_MAX_HIDDEN);
    return READ_BAD;
  }
  ck->n_hidden = (int)u;
  for (int l = 0; l < ck->n_hidden; l++)
    NEED(get_dim(r, "hidden width", &ck->hidden[l], msg, msg_sz));
  NEED(get_u32(r, "activation", &u));
  if (u > 1) {
    snprintf(msg, msg_sz, "activation %lu: expected 0 (relu) or 1 (tanh)", (unsigned long)u);
    return READ_BAD;
  }
  ck->activation = (int)u;
  NEED(get_u64(r, "seed", &ck->seed));
  NEED(get_u64(r, "iteration", &q));
  ck->iteration = (int64_t)q;
  NEED(get_f64(r, "best return", &ck->best_return));
  NEED(get_u64(r, "best iteration", &q));
  ck->best_iteration = (int64_t)q;
  NEED(get_u64(r, "rejected count", &q));
  ck->rejected = (int64_t)q;
  NEED(get_f64(r, "elapsed time", &ck->elapsed));
  NEED(get_u64(r, "config length", &q));
  if (q > r->n - r->pos) {
    r->missing = "config text";
    return READ_SHORT;
  }
  size_t config_len = (size_t)q;
  NEED(take(r, config_len, "config text", &at));
  if (memchr(at, '\0', config_len)) {
    snprintf(msg, msg_sz, "the config text holds a NUL byte");
    return READ_BAD;
  }
  const unsigned char *config_at = at;
  NEED(get_u64(r, "parameter count", &q));
  if (q > (r->n - r->pos) / 8) {
    r->missing = "parameters";
    return READ_SHORT;
  }
  ck->n_params = (size_t)q;
  const unsigned char *theta_at;
  NEED(take(r, 8 * ck->n_params, "parameters", &theta_at));
  const unsigned char *opt_at = NULL;
  size_t opt_len = 0;
  if (version > 1)
    NEED(take_counted(r, "optimiser state length", "optimiser state", &opt_len, &opt_at));
  const unsigned char *steps_at = NULL;
  size_t n_steps = 0;
  if (version > 2) NEED(take_counted(r, "step size count", "step sizes", &n_steps, &steps_at));
  if (r->pos != r->n) {
    snprintf(msg, msg_sz, "%zu unexpected bytes after the %s", r->n - r->pos,
             version > 2   ? "step sizes"
             : version > 1 ? "optimiser state"
                           : "parameters");
    return READ_BAD;
  }
  if (check_fields(ck, MAML_ERR_FORMAT, msg, msg_sz) != MAML_OK) return READ_BAD;
#undef NEED
  if (!copy) return READ_OK;
  ck->config_text = malloc(config_len + 1);
  ck->theta = malloc(ck->n_params > 0 ? 8 * ck->n_params : 1);
  if (opt_len > 0) ck->opt_state = malloc(8 * opt_len);
  if (n_steps > 0) ck->step_sizes = malloc(8 * n_steps);
  if (!ck->config_text || !ck->theta || (opt_len > 0 && !ck->opt_state) ||
      (n_steps > 0 && !ck->step_sizes)) {
    *nomem = 1;
    snprintf(msg, msg_sz, "out of memory");
    return READ_BAD;
  }
  memcpy(ck->config_text, config_at, config_len);
  ck->config_text[config_len] = '\0';
  ck->config_len = config_len;
  for (size_t i = 0; i < ck->n_params; i++) {
    uint64_t bits = le64(theta_at + 8 * i);
    memcpy(&ck->theta[i], &bits, sizeof bits);
  }
  ck->opt_len = opt_len;
  for (size_t i = 0; i < opt_len; i++) {
    uint64_t bits = le64(opt_at + 8 * i);
    memcpy(&ck->opt_state[i], &bits, sizeof bits);
  }
  ck->n_step_sizes = n_steps;
  for (size_t i = 0; i < n_steps; i++) {
    uint64_t bits = le64(steps_at + 8 * i);
    memcpy(&ck->step_sizes[i], &bits, sizeof bits);
  }
  return READ_OK;
}

/* 0 when x is a number this build's maml_real holds (finite there), else 1 and what it is
 * in what */
static int unusable(double x, char *what, size_t what_sz) {
  if (isfinite((maml_real)x)) return 0;
  if (isnan(x) || isinf(x))
    snprintf(what, what_sz, "%s", isnan(x) ? "NaN" : "infinite");
  else
    snprintf(what, what_sz, "%g, beyond this build's float range", x);
  return 1;
}

/* 1 when every parameter and step size is a finite maml_real, else 0 and msg names the first
 * bad one and the count (a run that diverged, or numbers a float build cannot hold: such
 * parameters cannot act, adapt or train) */
static int check_finite(const maml_checkpoint *ck, char *msg, size_t msg_sz) {
  size_t bad = 0, first = 0;
  char what[64];
  for (size_t i = 0; i < ck->n_params; i++)
    if (unusable(ck->theta[i], what, sizeof what) && bad++ == 0) first = i;
  for (size_t i = 0; bad == 0 && i < ck->n_step_sizes; i++)
    if (unusable(ck->step_sizes[i], what, sizeof what)) {
      snprintf(msg, msg_sz,
               "step size %zu of %zu is %s: the step sizes of a run that diverged cannot be used",
               i, ck->n_step_sizes, what);
      return 0;
    }
  if (bad == 0) return 1;
  unusable(ck->theta[first], what, sizeof what);
  snprintf(msg, msg_sz,
           "parameter %zu is %s and %zu of the %zu parameters are not finite: the parameters of "
           "a run that diverged cannot be used",
           first, what, bad, ck->n_params);
  return 0;
}

void maml_checkpoint_free(maml_checkpoint *ck) {
  if (!ck) return;
  free(ck->config_text);
  free(ck->theta);
  free(ck->opt_state);
  free(ck->step_sizes);
  memset(ck, 0, sizeof *ck);
}

maml_status maml_checkpoint_parse(const void *data, size_t n, maml_checkpoint *ck, char *err,
                                  size_t err_sz) {
  if (!ck) return maml_fail(err, err_sz, MAML_ERR_ARG, "checkpoint: NULL argument");
  memset(ck, 0, sizeof *ck);
  if (!data && n > 0) return maml_fail(err, err_sz, MAML_ERR_ARG, "checkpoint: NULL data");
  const unsigned char *p = data;
  if (n < 8) {
    if (n == 0 || memcmp(p, magic, n) != 0)
      return maml_fail(err, err_sz, MAML_ERR_FORMAT, "not a maml checkpoint (%zu bytes)", n);
    return maml_fail(err, err_sz, MAML_ERR_FORMAT, "truncated: only %zu bytes", n);
  }
  if (memcmp(p, magic, 8) != 0)
    return maml_fail(err, err_sz, MAML_ERR_FORMAT,
                     "not a maml checkpoint (it does not start with MAMLCKPT)");
  if (n < 12) return maml_fail(err, err_sz, MAML_ERR_FORMAT, "truncated: only %zu bytes", n);
  uint32_t version = le32(p + 8);
  if (version < 1 || version > MAML_CHECKPOINT_VERSION)
    return maml_fail(err, err_sz, MAML_ERR_FORMAT,
                     "checkpoint format version %lu, this program reads versions 1 to %u",
                     (unsigned long)version, MAML_CHECKPOINT_VERSION);
  if (n < 16) return maml_fail(err, err_sz, MAML_ERR_FORMAT, "truncated: only %zu bytes", n);
  char msg[512];
  int nomem = 0;
  reader r = {p, n - 4, 12, NULL};
  if (maml_crc32(p, n - 4) != le32(p + n - 4)) {
    /* say whether the data is cut short rather than damaged; nothing is allocated */
    maml_checkpoint scratch;
    memset(&scratch, 0, sizeof scratch);
    read_result rr = read_fields(&r, &scratch, version, 0, &nomem, msg, sizeof msg);
    memset(ck, 0, sizeof *ck);
    if (rr == READ_SHORT)
      return maml_fail(err, err_sz, MAML_ERR_FORMAT,
                       "truncated: the data ends in the %s (%zu bytes; checksum mismatch)",
                       r.missing, n);
    return maml_fail(err, err_sz, MAML_ERR_FORMAT, "checksum mismatch: the file is damaged");
  }
  read_result rr = read_fields(&r, ck, version, 1, &nomem, msg, sizeof msg);
  ck->version = version;
  if (rr == READ_OK && check_finite(ck, msg, sizeof msg)) return MAML_OK;
  if (rr == READ_OK) {
    maml_checkpoint_free(ck);
    return maml_fail(err, err_sz, MAML_ERR_FORMAT, "%s", msg);
  }
  maml_checkpoint_free(ck);
  if (nomem) return maml_fail(err, err_sz, MAML_ERR_NOMEM, "checkpoint: out of memory");
  if (rr == READ_SHORT)
    return maml_fail(err, err_sz, MAML_ERR_FORMAT, "truncated: the data ends in the %s", r.missing);
  return maml_fail(err, err_sz, MAML_ERR_FORMAT, "inconsistent checkpoint: %s", msg);
}

maml_status maml_checkpoint_load(const char *path, maml_checkpoint *ck, char *err, size_t err_sz) {
  if (!ck || !path) return maml_fail(err, err_sz, MAML_ERR_ARG, "checkpoint: NULL argument");
  memset(ck, 0, sizeof *ck);
  struct stat st;
  int fd = maml_file_open_input(path, &st, err, err_sz);
  if (fd < 0) return MAML_ERR_IO;
  if (st.st_size < 0 || (unsigned long long)st.st_size > MAX_FILE_BYTES) {
    close(fd);
    return maml_fail(err, err_sz, MAML_ERR_FORMAT,
                     "%s: %lld bytes, more than a checkpoint may hold (%llu)", path,
                     (long long)st.st_size, MAX_FILE_BYTES);
  }
  size_t size = (size_t)st.st_size;
  unsigned char *buf = malloc(size > 0 ? size : 1);
  if (!buf) {
    close(fd);
    return maml_fail(err, err_sz, MAML_ERR_NOMEM, "%s: out of memory (%zu bytes)", path, size);
  }
  size_t got = 0;
  while (got < size) {
    ssize_t k = read(fd, buf + got, size - got);
    if (k < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      free(buf);
      close(fd);
      return maml_fail(err, err_sz, MAML_ERR_IO, "%s: cannot read: %s", path, strerror(e));
    }
    if (k == 0) break; /* shrank meanwhile: the parser reports it as truncated */
    got += (size_t)k;
  }
  close(fd);
  char msg[600];
  maml_status s = maml_checkpoint_parse(buf, got, ck, msg, sizeof msg);
  free(buf);
  if (s != MAML_OK) return maml_fail(err, err_sz, s, "%s: %s", path, msg);
  return MAML_OK;
}

maml_status maml_checkpoint_check_policy(const maml_checkpoint *ck, const maml_policy *p, char *err,
                                         size_t err_sz) {
  if (!ck || !p) return maml_fail(err, err_sz, MAML_ERR_ARG, "checkpoint: NULL argument");
  int same = ck->obs_dim == p->obs_dim && ck->act_dim == p->act_dim &&
             ck->n_hidden == p->n_hidden && ck->activation == (int)p->activation &&
             ck->n_params == p->n_params;
  for (int l = 0; same && l < ck->n_hidden && l < MAML_MAX_HIDDEN; l++)
    same = ck->hidden[l] == p->hidden[l];
  if (same) return MAML_OK;
  char a[160], b[160];
  shape_text(ck->obs_dim, ck->act_dim, ck->n_hidden, ck->hidden, ck->activation, a, sizeof a);
  shape_text(p->obs_dim, p->act_dim, p->n_hidden, p->hidden, (int)p->activation, b, sizeof b);
  if (!strcmp(a, b))
    return maml_fail(err, err_sz, MAML_ERR_FORMAT,
                     "checkpoint network %s has %zu parameters, the policy %zu", a, ck->n_params,
                     p->n_params);
  return maml_fail(err, err_sz, MAML_ERR_FORMAT, "checkpoint network %s does not match %s", a, b);
}
