/* Checkpoints: the CRC, save/load round trips (bit-exact parameters, every field, the config
 * text), refusal of every truncation and of every single-bit change of a small file, the
 * specific messages (magic, version, checksum, sizes), the policy-shape check, and the
 * atomic save: a failed save leaves the previous file intact and no temporary file; the
 * refusal of non-finite parameters and, without waiting, of a FIFO in a checkpoint's place. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "maml/checkpoint.h"

#define ERR_SZ 2048

/* ---- helpers ------------------------------------------------------------------------- */

/* a checkpoint of a network obs-hidden...-act with recognisable values */
typedef struct {
  maml_checkpoint ck;
  double theta[4096];
  char config[8192];
} sample;

static void sample_make(sample *s, int obs_dim, int act_dim, int n_hidden, const int *hidden,
                        maml_activation act) {
  memset(s, 0, sizeof *s);
  maml_policy p;
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_policy_init(&p, obs_dim, act_dim, n_hidden, hidden, act, 1.0, err, sizeof err),
               MAML_OK, "%s", err);
  cr_assert(p.n_params <= 4096);
  maml_checkpoint *ck = &s->ck;
  strcpy(ck->env, "nav2d");
  ck->oracle = 1;
  ck->obs_dim = obs_dim;
  ck->act_dim = act_dim;
  ck->n_hidden = n_hidden;
  for (int l = 0; l < n_hidden; l++) ck->hidden[l] = hidden[l];
  ck->activation = (int)act;
  ck->seed = 0x0123456789ABCDEFull;
  ck->iteration = 42;
  ck->best_return = -12.375;
  ck->best_iteration = 37;
  ck->rejected = 3;
  ck->elapsed = 1234.5678;
  /* a real config's text */
  maml_config c;
  maml_config_defaults(&c);
  cr_assert_eq(maml_config_set(&c, "env", "nav2d", err, sizeof err), MAML_OK);
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_OK, "%s", err);
  int n = maml_config_format(&c, s->config, sizeof s->config);
  cr_assert(n > 0 && n < (int)sizeof s->config);
  ck->config_text = s->config;
  ck->config_len = (size_t)n;
  ck->n_params = p.n_params;
  ck->theta = s->theta;
  for (size_t i = 0; i < p.n_params; i++) s->theta[i] = sin(1.0 + (double)i) * exp((double)i / 7);
  if (p.n_params > 3) {
    s->theta[0] = -0.0;
    s->theta[1] = 4.9406564584124654e-324; /* subnormal */
    s->theta[2] = (double)(float)0.1;      /* a float build's number */
  }
}

/* a small sample: 2-3-2 relu, 19 parameters, a short config text */
static void sample_small(sample *s) {
  int hidden[1] = {3};
  sample_make(s, 2, 2, 1, hidden, MAML_ACT_RELU);
  strcpy(s->config, "alpha = 0.1\n");
  s->ck.config_text = s->config;
  s->ck.config_len = strlen(s->config);
}

static void assert_same(const maml_checkpoint *a, const maml_checkpoint *b) {
  cr_assert_str_eq(a->env, b->env);
  cr_assert_eq(a->oracle, b->oracle);
  cr_assert_eq(a->obs_dim, b->obs_dim);
  cr_assert_eq(a->act_dim, b->act_dim);
  cr_assert_eq(a->n_hidden, b->n_hidden);
  for (int l = 0; l < a->n_hidden; l++) cr_assert_eq(a->hidden[l], b->hidden[l]);
  cr_assert_eq(a->activation, b->activation);
  cr_assert_eq(a->seed, b->seed);
  cr_assert_eq(a->iteration, b->iteration);
  cr_assert_eq(memcmp(&a->best_return, &b->best_return, sizeof(double)), 0);
  cr_assert_eq(a->best_iteration, b->best_iteration);
  cr_assert_eq(a->rejected, b->rejected);
  cr_assert_eq(memcmp(&a->elapsed, &b->elapsed, sizeof(double)), 0);
  cr_assert_eq(a->config_len, b->config_len);
  cr_assert_eq(memcmp(a->config_text, b->config_text, a->config_len), 0);
  cr_assert_eq(a->n_params, b->n_params);
  cr_assert_eq(memcmp(a->theta, b->theta, a->n_params * sizeof(double)), 0, "bit-exact theta");
}

static unsigned char *read_file(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "%s", path);
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *buf = malloc(len > 0 ? (size_t)len : 1);
  cr_assert_not_null(buf);
  cr_assert_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
  fclose(f);
  *n = (size_t)len;
  return buf;
}

static void write_file(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f, "%s", path);
  cr_assert_eq(fwrite(data, 1, n, f), n);
  cr_assert_eq(fclose(f), 0);
}

/* a fresh folder for one test */
static void make_dir(char *dir) {
  strcpy(dir, "/tmp/maml_ckpt_XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
}

/* the entries of dir other than . and ..; names that contain ".tmp." counted in *tmp */
static int count_entries(const char *dir, int *tmp) {
  DIR *d = opendir(dir);
  cr_assert_not_null(d, "%s", dir);
  int n = 0;
  *tmp = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    n++;
    if (strstr(e->d_name, ".tmp.")) (*tmp)++;
  }
  closedir(d);
  return n;
}

/* dir holds the checkpoint alone: no temporary file left behind */
static void assert_only_target(const char *dir) {
  int tmp;
  cr_assert_eq(count_entries(dir, &tmp), 1);
  cr_assert_eq(tmp, 0);
}

static void remove_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  char path[512];
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (unlink(path) != 0) rmdir(path);
  }
  closedir(d);
  rmdir(dir);
}

/* the bytes of a saved sample */
static unsigned char *saved_bytes(const maml_checkpoint *ck, size_t *n) {
  char dir[64], path[128], err[ERR_SZ] = "";
  make_dir(dir);
  snprintf(path, sizeof path, "%s/ck.bin", dir);
  cr_assert_eq(maml_checkpoint_save(path, ck, err, sizeof err), MAML_OK, "%s", err);
  unsigned char *buf = read_file(path, n);
  remove_dir(dir);
  return buf;
}

static void put_le32(unsigned char *p, uint32_t x) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(x >> (8 * i));
}

static void put_le64(unsigned char *p, uint64_t x) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(x >> (8 * i));
}

/* rewrite the trailing checksum after an edit */
static void fix_crc(unsigned char *buf, size_t n) {
  put_le32(buf + n - 4, maml_crc32(buf, n - 4));
}

/* parse must fail with code and a message containing want (NULL: any), leaving ck zeroed */
static void refused(const unsigned char *buf, size_t n, maml_status code, const char *want) {
  maml_checkpoint ck;
  memset(&ck, 0x5A, sizeof ck);
  char err[ERR_SZ] = "";
  maml_status s = maml_checkpoint_parse(buf, n, &ck, err, sizeof err);
  cr_assert_eq(s, code, "status %d for %zu bytes (%s)", (int)s, n, err);
  cr_assert(err[0] != '\0');
  if (want) cr_assert_not_null(strstr(err, want), "'%s' should contain '%s'", err, want);
  maml_checkpoint zero;
  memset(&zero, 0, sizeof zero);
  cr_assert_eq(memcmp(&ck, &zero, sizeof ck), 0, "ck is left zeroed");
}

/* offsets in the small sample's file (env "nav2d", one hidden layer) */
enum {
  OFF_VERSION = 8,
  OFF_ENV_LEN = 12,
  OFF_OBS = 16 + 5 + 4,
  OFF_N_HIDDEN = OFF_OBS + 8,
  OFF_HIDDEN0 = OFF_N_HIDDEN + 4,
  OFF_CONFIG_LEN = OFF_HIDDEN0 + 4 + 4 + 6 * 8,
};

/* ---- tests ------------------------------------------------------------------------------- */

Test(checkpoint, crc32_known_answers) {
  cr_assert_eq(maml_crc32("123456789", 9), 0xCBF43926u);
  cr_assert_eq(maml_crc32("", 0), 0u);
  cr_assert_eq(maml_crc32("The quick brown fox jumps over the lazy dog", 43), 0x414FA339u);
}

Test(checkpoint, round_trip) {
  static sample s;
  int hidden[3] = {7, 5, 4};
  sample_make(&s, 6, 3, 3, hidden, MAML_ACT_TANH);
  s.ck.best_return = -INFINITY;
  s.ck.best_iteration = -1;
  char dir[64], path[128], err[ERR_SZ] = "";
  make_dir(dir);
  snprintf(path, sizeof path, "%s/ck.bin", dir);
  cr_assert_eq(maml_checkpoint_save(path, &s.ck, err, sizeof err), MAML_OK, "%s", err);
  maml_checkpoint got;
  cr_assert_eq(maml_checkpoint_load(path, &got, err, sizeof err), MAML_OK, "%s", err);
  assert_same(&s.ck, &got);
  cr_assert_eq(got.config_text[got.config_len], '\0', "NUL-terminated");
  /* the embedded config parses back */
  maml_config c;
  maml_config_defaults(&c);
  cr_assert_eq(maml_config_parse_ini(&c, got.config_text, got.config_len, "ck", err, sizeof err),
               MAML_OK, "%s", err);
  cr_assert_str_eq(c.env, "nav2d");
  maml_checkpoint_free(&got);
  maml_checkpoint zero;
  memset(&zero, 0, sizeof zero);
  cr_assert_eq(memcmp(&got, &zero, sizeof got), 0, "free leaves it zeroed");
  maml_checkpoint_free(&got); /* twice is fine */
  maml_checkpoint_free(NULL);

  /* saving again replaces the file; no temporary file stays */
  s.ck.iteration = 43;
  s.theta[5] = 99.0;
  cr_assert_eq(maml_checkpoint_save(path, &s.ck, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(maml_checkpoint_load(path, &got, err, sizeof err), MAML_OK, "%s", err);
  assert_same(&s.ck, &got);
  maml_checkpoint_free(&got);
  assert_only_target(dir);

  /* a linear policy and an empty config text */
  sample_make(&s, 3, 1, 0, NULL, MAML_ACT_RELU);
  s.ck.config_text = NULL;
  s.ck.config_len = 0;
  cr_assert_eq(maml_checkpoint_save(path, &s.ck, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(maml_checkpoint_load(path, &got, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(got.n_params, 5u);
  cr_assert_eq(got.config_len, 0u);
  cr_assert_str_eq(got.config_text, "");
  cr_assert_eq(memcmp(got.theta, s.theta, 5 * sizeof(double)), 0);
  maml_checkpoint_free(&got);
  remove_dir(dir);
}

Test(checkpoint, layout_is_the_documented_one) {
  static sample s;
  sample_small(&s);
  size_t n;
  unsigned char *buf = saved_bytes(&s.ck, &n);
  size_t want = 8 + 4 + 4 + 5 + 4 + 3 * 4 + 4 + 4 + 8 * 6 + 8 + s.ck.config_len + 8 + 19 * 8 + 4;
  cr_assert_eq(n, want);
  cr_assert_eq(memcmp(buf, "MAMLCKPT\x01\x00\x00\x00\x05\x00\x00\x00nav2d", 21), 0);
  cr_assert_eq(buf[OFF_OBS], 2);
  cr_assert_eq(buf[OFF_N_HIDDEN], 1);
  cr_assert_eq(buf[OFF_HIDDEN0], 3);
  cr_assert_eq(buf[OFF_CONFIG_LEN], s.ck.config_len);
  cr_assert_eq(memcmp(buf + OFF_CONFIG_LEN + 8, s.config, s.ck.config_len), 0);
  uint32_t crc = (uint32_t)buf[n - 4] | (uint32_t)buf[n - 3] << 8 | (uint32_t)buf[n - 2] << 16 |
                 (uint32_t)buf[n - 1] << 24;
  cr_assert_eq(crc, maml_crc32(buf, n - 4));
  free(buf);
}

Test(checkpoint, every_truncation_is_refused) {
  static sample s;
  sample_small(&s);
  size_t n;
  unsigned char *buf = saved_bytes(&s.ck, &n);
  for (size_t len = 0; len < n; len++) {
    /* a copy of exactly len bytes, so that ASan sees any read past the end */
    unsigned char *cut = malloc(len ? len : 1);
    cr_assert_not_null(cut);
    memcpy(cut, buf, len);
    refused(cut, len, MAML_ERR_FORMAT, NULL);
    free(cut);
  }
  refused(buf, n - 1, MAML_ERR_FORMAT, "truncated");
  refused(buf, 10, MAML_ERR_FORMAT, "truncated");
  /* and one byte more is refused too */
  unsigned char *longer = malloc(n + 1);
  memcpy(longer, buf, n);
  longer[n] = 0;
  refused(longer, n + 1, MAML_ERR_FORMAT, NULL);
  fix_crc(longer, n + 1); /* even with a checksum that matches what precedes it */
  refused(longer, n + 1, MAML_ERR_FORMAT, NULL);
  free(longer);
  free(buf);
}

Test(checkpoint, every_bit_flip_is_refused) {
  static sample s;
  sample_small(&s);
  size_t n;
  unsigned char *buf = saved_bytes(&s.ck, &n);
  unsigned char *copy = malloc(n);
  cr_assert_not_null(copy);
  for (size_t i = 0; i < n; i++)
    for (int b = 0; b < 8; b++) {
      memcpy(copy, buf, n);
      copy[i] ^= (unsigned char)(1u << b);
      refused(copy, n, MAML_ERR_FORMAT, NULL);
    }
  /* a whole byte changed in the parameters: the checksum says so */
  memcpy(copy, buf, n);
  copy[n - 20] ^= 0xFF;
  refused(copy, n, MAML_ERR_FORMAT, "checksum mismatch: the file is damaged");
  free(copy);
  free(buf);
}

Test(checkpoint, magic_version_and_sizes) {
  static sample s;
  sample_small(&s);
  size_t n;
  unsigned char *buf = saved_bytes(&s.ck, &n);
  unsigned char *copy = malloc(n);
  cr_assert_not_null(copy);

  memcpy(copy, buf, n);
  memcpy(copy, "PK\x03\x04", 4);
  refused(copy, n, MAML_ERR_FORMAT, "not a maml checkpoint");
  refused((const unsigned char *)"hello", 5, MAML_ERR_FORMAT, "not a maml checkpoint");
  refused(NULL, 0, MAML_ERR_FORMAT, "not a maml checkpoint");

  memcpy(copy, buf, n);
  put_le32(copy + OFF_VERSION, 4);
  fix_crc(copy, n);
  refused(copy, n, MAML_ERR_FORMAT,
          "checkpoint format version 4, this program reads versions 1 to 3");
  put_le32(copy + OFF_VERSION, 0);
  fix_crc(copy, n);
  refused(copy, n, MAML_ERR_FORMAT, "checkpoint format version 0");

  /* sizes that do not fit, under a valid checksum */
  memcpy(copy, buf, n);
  put_le32(copy + OFF_HIDDEN0, 4); /* 2-4-2 has 24 parameters, not 19 */
  fix_crc(copy, n);
  refused(copy, n, MAML_ERR_FORMAT, "parameters");

  memcpy(copy, buf, n);
  put_le32(copy + OFF_HIDDEN0, 0);
  fix_crc(copy, n);
  refused(copy, n, MAML_ERR_FORMAT, "width");

  memcpy(copy, buf, n);
  put_le32(copy + OFF_N_HIDDEN, 9);
  fix_crc(copy, n);
  refused(copy, n, MAML_ERR_FORMAT, "hidden layers");

  memcpy(copy, buf, n);
  put_le32(copy + OFF_OBS, 0x7FFFFFFFu);
  fix_crc(copy, n);
  refused(copy, n, MAML_ERR_FORMAT, "observation size");

  memcpy(copy, buf, n);
  put_le32(copy + OFF_ENV_LEN, 0xFFFFFFFFu);
  fix_crc(copy, n);
  refused(copy, n, MAML_ERR_FORMAT, "env");

  memcpy(copy, buf, n);
  copy[OFF_ENV_LEN + 4 + 2] = '\0'; /* a NUL inside the env name */
  fix_crc(copy, n);
  refused(copy, n, MAML_ERR_FORMAT, "NUL");

  /* lengths that would claim far more than the data: no huge allocation, a clear message */
  memcpy(copy, buf, n);
  put_le64(copy + OFF_CONFIG_LEN, UINT64_MAX);
  fix_crc(copy, n);
  refused(copy, n, MAML_ERR_FORMAT, "truncated");

  size_t off_n_params = OFF_CONFIG_LEN + 8 + s.ck.config_len;
  memcpy(copy, buf, n);
  put_le64(copy + off_n_params, (uint64_t)1 << 61);
  fix_crc(copy, n);
  refused(copy, n, MAML_ERR_FORMAT, "truncated");

  memcpy(copy, buf, n);
  put_le64(copy + off_n_params, 18); /* one parameter fewer: 8 bytes left over */
  fix_crc(copy, n);
  refused(copy, n, MAML_ERR_FORMAT, NULL);

  memcpy(copy, buf, n);
  copy[OFF_CONFIG_LEN + 8 + 3] = '\0'; /* a NUL inside the config text */
  fix_crc(copy, n);
  refused(copy, n, MAML_ERR_FORMAT, "NUL");

  /* the original is fine */
  maml_checkpoint ck;
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_checkpoint_parse(buf, n, &ck, err, sizeof err), MAML_OK, "%s", err);
  assert_same(&s.ck, &ck);
  maml_checkpoint_free(&ck);
  free(copy);
  free(buf);
}

Test(checkpoint, save_refuses_inconsistent_checkpoints) {
  static sample s;
  sample_small(&s);
  char dir[64], path[128], err[ERR_SZ] = "";
  make_dir(dir);
  snprintf(path, sizeof path, "%s/ck.bin", dir);
  s.ck.n_params = 18;
  cr_assert_eq(maml_checkpoint_save(path, &s.ck, err, sizeof err), MAML_ERR_ARG);
  cr_assert_not_null(strstr(err, "parameters"), "%s", err);
  s.ck.n_params = 19;
  s.ck.n_hidden = 9;
  cr_assert_eq(maml_checkpoint_save(path, &s.ck, err, sizeof err), MAML_ERR_ARG);
  s.ck.n_hidden = 1;
  s.ck.theta = NULL;
  cr_assert_eq(maml_checkpoint_save(path, &s.ck, err, sizeof err), MAML_ERR_ARG);
  int tmp;
  cr_assert_eq(count_entries(dir, &tmp), 0, "nothing written");
  remove_dir(dir);
}

Test(checkpoint, load_errors_name_the_file) {
  char dir[64], path[128], err[ERR_SZ] = "";
  make_dir(dir);
  maml_checkpoint ck;
  snprintf(path, sizeof path, "%s/missing.bin", dir);
  cr_assert_eq(maml_checkpoint_load(path, &ck, err, sizeof err), MAML_ERR_IO);
  cr_assert_not_null(strstr(err, path), "%s", err);
  cr_assert_eq(maml_checkpoint_load(dir, &ck, err, sizeof err), MAML_ERR_IO, "a folder: %s", err);
  snprintf(path, sizeof path, "%s/empty.bin", dir);
  write_file(path, "", 0);
  cr_assert_eq(maml_checkpoint_load(path, &ck, err, sizeof err), MAML_ERR_FORMAT);
  cr_assert_not_null(strstr(err, path), "%s", err);
  cr_assert_not_null(strstr(err, "not a maml checkpoint"), "%s", err);
  remove_dir(dir);
}

Test(checkpoint, check_policy) {
  int big[2] = {100, 100}, small[2] = {64, 64};
  maml_checkpoint ck;
  memset(&ck, 0, sizeof ck);
  ck.obs_dim = 20;
  ck.act_dim = 6;
  ck.n_hidden = 2;
  ck.hidden[0] = ck.hidden[1] = 100;
  ck.activation = MAML_ACT_RELU;
  maml_policy p;
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_policy_init(&p, 20, 6, 2, big, MAML_ACT_RELU, 1.0, err, sizeof err), MAML_OK);
  ck.n_params = p.n_params;
  cr_assert_eq(maml_checkpoint_check_policy(&ck, &p, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(maml_policy_init(&p, 20, 6, 2, small, MAML_ACT_TANH, 1.0, err, sizeof err), MAML_OK);
  cr_assert_eq(maml_checkpoint_check_policy(&ck, &p, err, sizeof err), MAML_ERR_FORMAT);
  cr_assert_str_eq(err, "checkpoint network 20-100-100-6 relu does not match 20-64-64-6 tanh");
  cr_assert_eq(maml_policy_init(&p, 22, 6, 2, big, MAML_ACT_RELU, 1.0, err, sizeof err), MAML_OK);
  cr_assert_eq(maml_checkpoint_check_policy(&ck, &p, err, sizeof err), MAML_ERR_FORMAT,
               "an oracle observation differs");
  cr_assert_eq(maml_policy_init(&p, 20, 6, 2, big, MAML_ACT_TANH, 1.0, err, sizeof err), MAML_OK);
  cr_assert_eq(maml_checkpoint_check_policy(&ck, &p, err, sizeof err), MAML_ERR_FORMAT);
}

/* save A (s) at path; returns A with its parameters copied into keep, for assert_holds
 * after s has changed */
static maml_checkpoint save_first(sample *s, const char *path, double keep[19]) {
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_checkpoint_save(path, &s->ck, err, sizeof err), MAML_OK, "%s", err);
  maml_checkpoint old = s->ck;
  memcpy(keep, s->theta, 19 * sizeof(double));
  old.theta = keep;
  return old;
}

/* save A, then a failing save of B: the file still holds A and no temporary file stays */
static void assert_holds(const char *path, const maml_checkpoint *want) {
  maml_checkpoint got;
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_checkpoint_load(path, &got, err, sizeof err), MAML_OK, "%s", err);
  assert_same(want, &got);
  maml_checkpoint_free(&got);
}

Test(checkpoint, failed_save_into_a_missing_folder) {
  static sample s;
  sample_small(&s);
  char dir[64], path[160], err[ERR_SZ] = "";
  make_dir(dir);
  snprintf(path, sizeof path, "%s/no/such/folder/ck.bin", dir);
  cr_assert_eq(maml_checkpoint_save(path, &s.ck, err, sizeof err), MAML_ERR_IO);
  cr_assert_not_null(strstr(err, path), "%s", err);
  cr_assert_not_null(strstr(err, "No such file"), "the system's reason: %s", err);
  int tmp;
  cr_assert_eq(count_entries(dir, &tmp), 0);
  remove_dir(dir);
}

Test(checkpoint, failed_save_into_an_unwritable_folder) {
  if (geteuid() == 0) cr_skip_test("root writes into read-only folders");
  static sample s;
  sample_small(&s);
  char dir[64], path[128], err[ERR_SZ] = "";
  make_dir(dir);
  snprintf(path, sizeof path, "%s/ck.bin", dir);
  static double old_theta[19];
  maml_checkpoint old = save_first(&s, path, old_theta);
  cr_assert_eq(chmod(dir, 0555), 0);
  s.theta[0] = 7.0;
  s.ck.iteration = 99;
  maml_status st = maml_checkpoint_save(path, &s.ck, err, sizeof err);
  chmod(dir, 0755);
  cr_assert_eq(st, MAML_ERR_IO);
  cr_assert_not_null(strstr(err, path), "%s", err);
  assert_holds(path, &old);
  assert_only_target(dir);
  remove_dir(dir);
}

/* a write that runs out of room part way (the file-size limit stands in for a full disk) */
Test(checkpoint, failed_write_keeps_the_old_file) {
  static sample s;
  sample_small(&s);
  char dir[64], path[128], err[ERR_SZ] = "";
  make_dir(dir);
  snprintf(path, sizeof path, "%s/ck.bin", dir);
  static double old_theta[19];
  maml_checkpoint old = save_first(&s, path, old_theta);

  /* the new checkpoint is larger than the limit; the old one is there already */
  static char big_config[20000];
  memset(big_config, 'x', sizeof big_config - 1);
  s.ck.config_text = big_config;
  s.ck.config_len = sizeof big_config - 1;
  s.ck.iteration = 99;
  signal(SIGXFSZ, SIG_IGN);
  struct rlimit saved, lim;
  cr_assert_eq(getrlimit(RLIMIT_FSIZE, &saved), 0);
  lim = saved;
  lim.rlim_cur = 10000;
  cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
  maml_status st = maml_checkpoint_save(path, &s.ck, err, sizeof err);
  setrlimit(RLIMIT_FSIZE, &saved);
  cr_assert_eq(st, MAML_ERR_IO);
  cr_assert_not_null(strstr(err, path), "%s", err);
  cr_assert_not_null(strstr(err, "write"), "%s", err);
  assert_holds(path, &old);
  assert_only_target(dir);
  remove_dir(dir);
}

Test(checkpoint, failed_rename_onto_a_folder) {
  static sample s;
  sample_small(&s);
  char dir[64], path[128], inner[160], err[ERR_SZ] = "";
  make_dir(dir);
  snprintf(path, sizeof path, "%s/ck.bin", dir);
  cr_assert_eq(mkdir(path, 0755), 0);
  snprintf(inner, sizeof inner, "%s/keep", path);
  write_file(inner, "k", 1);
  cr_assert_eq(maml_checkpoint_save(path, &s.ck, err, sizeof err), MAML_ERR_IO);
  cr_assert_not_null(strstr(err, path), "%s", err);
  struct stat st;
  cr_assert_eq(stat(inner, &st), 0, "the folder is untouched");
  assert_only_target(dir);
  unlink(inner);
  remove_dir(dir);
}

Test(checkpoint, stale_temporary_file_is_replaced) {
  static sample s;
  sample_small(&s);
  char dir[64], path[128], stale[192], err[ERR_SZ] = "";
  make_dir(dir);
  snprintf(path, sizeof path, "%s/ck.bin", dir);
  snprintf(stale, sizeof stale, "%s.tmp.%ld", path, (long)getpid());
  write_file(stale, "junk", 4);
  cr_assert_eq(maml_checkpoint_save(path, &s.ck, err, sizeof err), MAML_OK, "%s", err);
  assert_holds(path, &s.ck);
  assert_only_target(dir);
  remove_dir(dir);
}

Test(checkpoint, relative_path) {
  static sample s;
  sample_small(&s);
  char dir[64], cwd[512], err[ERR_SZ] = "";
  make_dir(dir);
  cr_assert_not_null(getcwd(cwd, sizeof cwd));
  cr_assert_eq(chdir(dir), 0);
  maml_status st = maml_checkpoint_save("ck.bin", &s.ck, err, sizeof err);
  cr_assert_eq(st, MAML_OK, "%s", err);
  assert_holds("ck.bin", &s.ck);
  cr_assert_eq(chdir(cwd), 0);
  remove_dir(dir);
}

Test(checkpoint, non_finite_parameters_are_refused) {
  static sample s;
  sample_small(&s);
  s.theta[5] = NAN;
  s.theta[7] = INFINITY;
  s.theta[18] = -INFINITY;
  char dir[64], path[128], err[ERR_SZ] = "";
  make_dir(dir);
  snprintf(path, sizeof path, "%s/ck.bin", dir);
  cr_assert_eq(maml_checkpoint_save(path, &s.ck, err, sizeof err), MAML_OK, "%s", err);
  maml_checkpoint ck;
  cr_assert_eq(maml_checkpoint_load(path, &ck, err, sizeof err), MAML_ERR_FORMAT);
  cr_assert_not_null(strstr(err, path), "%s", err);
  cr_assert_not_null(strstr(err, "parameter 5 is NaN"), "%s", err);
  cr_assert_not_null(strstr(err, "3 of the 19 parameters are not finite"), "%s", err);
  cr_assert_null(ck.theta, "nothing is kept");
  s.theta[5] = 0.5;
  size_t n;
  unsigned char *buf = saved_bytes(&s.ck, &n);
  refused(buf, n, MAML_ERR_FORMAT, "parameter 7 is infinite and 2 of the 19");
  free(buf);
  remove_dir(dir);
}

Test(checkpoint, fifo_is_refused_without_waiting, .timeout = 10) {
  char dir[64], path[128], err[ERR_SZ] = "";
  make_dir(dir);
  snprintf(path, sizeof path, "%s/latest.ckpt", dir);
  cr_assert_eq(mkfifo(path, 0644), 0);
  maml_checkpoint ck;
  cr_assert_eq(maml_checkpoint_load(path, &ck, err, sizeof err), MAML_ERR_IO);
  cr_assert_not_null(strstr(err, "not a regular file"), "%s", err);
  cr_assert_not_null(strstr(err, path), "%s", err);
  remove_dir(dir);
}

/* The outer optimiser's state (version 2): round trip bit for bit, the version written by
 * whether there is state (none: version 1, the layout above), every truncation refused,
 * and a version-1 file read with no state. */
Test(checkpoint, optimiser_state_round_trip) {
  static sample s;
  sample_small(&s);
  double state[7] = {3, -0.0, 1e-300, 4.9406564584124654e-324, NAN, 0.125, -7.5};
  s.ck.opt_state = state;
  s.ck.opt_len = 7;
  size_t n;
  unsigned char *buf = saved_bytes(&s.ck, &n);
  size_t v1 = 8 + 4 + 4 + 5 + 4 + 3 * 4 + 4 + 4 + 8 * 6 + 8 + s.ck.config_len + 8 + 19 * 8 + 4;
  cr_assert_eq(n, v1 + 8 + 7 * 8);
  cr_assert_eq(memcmp(buf, "MAMLCKPT\x02\x00\x00\x00", 12), 0);
  maml_checkpoint got;
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_checkpoint_parse(buf, n, &got, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(got.version, 2u);
  cr_assert_eq(got.opt_len, 7u);
  cr_assert_eq(memcmp(got.opt_state, state, sizeof state), 0, "the state bit for bit");
  cr_assert_eq(memcmp(got.theta, s.theta, 19 * sizeof(double)), 0);
  maml_checkpoint_free(&got);
  for (size_t len = 0; len < n; len++) {
    unsigned char *cut = malloc(len ? len : 1);
    memcpy(cut, buf, len);
    refused(cut, len, MAML_ERR_FORMAT, NULL);
    free(cut);
  }
  refused(buf, n - 9, MAML_ERR_FORMAT, "truncated");
  /* a state length that overruns the file, under a valid checksum */
  unsigned char *copy = malloc(n);
  memcpy(copy, buf, n);
  put_le64(copy + v1 - 4, 8);
  fix_crc(copy, n);
  refused(copy, n, MAML_ERR_FORMAT, "optimiser state");
  free(copy), free(buf);

  s.ck.opt_state = NULL;
  s.ck.opt_len = 0;
  buf = saved_bytes(&s.ck, &n);
  cr_assert_eq(n, v1);
  cr_assert_eq(buf[8], 1, "no state: version 1");
  cr_assert_eq(maml_checkpoint_parse(buf, n, &got, err, sizeof err), MAML_OK, "%s", err);
  cr_assert(got.version == 1 && got.opt_len == 0 && got.opt_state == NULL);
  maml_checkpoint_free(&got);
  free(buf);
}

/* The learned step sizes (version 3): round trip bit for bit with and without optimiser
 * state, every truncation refused, a count that overruns the file and a non-finite step
 * size refused; without step sizes the file is version 1 or 2 as before. */
Test(checkpoint, step_sizes_round_trip) {
  static sample s;
  sample_small(&s);
  double steps[5] = {0.1, -0.0, 0.25, 4.9406564584124654e-324, -0.03};
  double state[3] = {1, 2, 3};
  size_t v1 = 8 + 4 + 4 + 5 + 4 + 3 * 4 + 4 + 4 + 8 * 6 + 8 + s.ck.config_len + 8 + 19 * 8 + 4;
  for (int with_state = 0; with_state < 2; with_state++) {
    s.ck.step_sizes = steps, s.ck.n_step_sizes = 5;
    s.ck.opt_state = with_state ? state : NULL, s.ck.opt_len = with_state ? 3 : 0;
    size_t n;
    unsigned char *buf = saved_bytes(&s.ck, &n);
    cr_assert_eq(n, v1 + 8 + 8 * s.ck.opt_len + 8 + 5 * 8);
    cr_assert_eq(buf[8], 3, "step sizes: version 3");
    maml_checkpoint got;
    char err[ERR_SZ] = "";
    cr_assert_eq(maml_checkpoint_parse(buf, n, &got, err, sizeof err), MAML_OK, "%s", err);
    cr_assert(got.version == 3 && got.n_step_sizes == 5 && got.opt_len == s.ck.opt_len);
    cr_assert_eq(memcmp(got.step_sizes, steps, sizeof steps), 0, "the step sizes bit for bit");
    if (with_state) cr_assert_eq(memcmp(got.opt_state, state, sizeof state), 0);
    maml_checkpoint_free(&got);
    for (size_t len = 0; len < n; len++) {
      unsigned char *cut = malloc(len ? len : 1);
      memcpy(cut, buf, len);
      refused(cut, len, MAML_ERR_FORMAT, NULL);
      free(cut);
    }
    unsigned char *copy = malloc(n);
    memcpy(copy, buf, n);
    put_le64(copy + n - 4 - 5 * 8 - 8, 6); /* the count, one more than there are */
    fix_crc(copy, n);
    refused(copy, n, MAML_ERR_FORMAT, "step sizes");
    free(copy), free(buf);
  }
  double bad[2] = {0.1, NAN};
  s.ck.step_sizes = bad, s.ck.n_step_sizes = 2, s.ck.opt_state = NULL, s.ck.opt_len = 0;
  size_t n;
  unsigned char *buf = saved_bytes(&s.ck, &n);
  refused(buf, n, MAML_ERR_FORMAT, "step size 1 of 2 is NaN");
  free(buf);
  if (sizeof(maml_real) == sizeof(float)) { /* a double a float build cannot hold */
    bad[1] = 1e300;
    buf = saved_bytes(&s.ck, &n);
    refused(buf, n, MAML_ERR_FORMAT, "step size 1 of 2 is 1e+300, beyond this build's float range");
    free(buf);
    double keep = s.theta[3];
    bad[1] = 0.2, s.theta[3] = -1e39;
    buf = saved_bytes(&s.ck, &n);
    refused(buf, n, MAML_ERR_FORMAT, "parameter 3 is -1e+39, beyond this build's float range");
    free(buf);
    s.theta[3] = keep;
  }
  s.ck.step_sizes = NULL, s.ck.n_step_sizes = 0;
  buf = saved_bytes(&s.ck, &n);
  cr_assert(n == v1 && buf[8] == 1, "no step sizes, no state: version 1, as before");
  free(buf);
}
