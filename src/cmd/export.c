/* `maml export`: a checkpoint's policy for other programs, as one JSON file or as a folder
 * of NumPy arrays (.npy, format 1.0) beside a meta.json. The numbers are the checkpoint's
 * doubles, written so that they read back bit for bit. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "maml/checkpoint.h"
#include "maml/config.h"
#include "maml/env.h"
#include "run_dir.h"

#define PATH_LEN 4096
#define EXPORT_VERSION 1 /* of the files written here (meta.json, the JSON file) */

static void export_usage(FILE *out) {
  fprintf(out,
          "usage: maml export CHECKPOINT_or_RUN_DIR [--format json|npy] [--out PATH]\n"
          "\n"
          "Write a checkpoint's policy for use outside maml (docs/checkpoint-format.md; a\n"
          "Python reader: examples/python/mean_action.py). The policy is a Gaussian MLP:\n"
          "mean = W_L(...act(W_0 obs + b_0)...) + b_L (act on the hidden layers, the output\n"
          "linear), standard deviation exp(log_std), the same for every observation.\n"
          "\n"
          "options:\n"
          "  CHECKPOINT_or_RUN_DIR  a checkpoint, or a run directory (its best.ckpt, else\n"
          "                     latest.ckpt, as `maml eval` and `maml view` read it)\n"
          "  --format json      one JSON file (the default): the fields below, layers[i] with\n"
          "                     its weight as a list of out rows of in numbers, its bias, and\n"
          "                     log_std, every number the checkpoint's double (in the fewest\n"
          "                     digits that read back bit for bit)\n"
          "  --format npy       a folder: layerI_weight.npy (out x in), layerI_bias.npy (out),\n"
          "                     log_std.npy (act_size), NumPy format 1.0, little-endian\n"
          "                     doubles (<f8), C order; and meta.json, the fields below with\n"
          "                     the arrays' file names in their place\n"
          "  --out PATH         the file (json; default policy.json) or the folder (npy;\n"
          "                     default policy) to write; the folder it goes into must exist.\n"
          "                     Each file is replaced atomically (a temporary file, then a\n"
          "                     rename); npy: layer files of a deeper network exported there\n"
          "                     before are removed\n"
          "  -h, --help         print this message\n"
          "\n"
          "fields: format (\"maml-policy\"), version (%d), checkpoint (its path),\n"
          "checkpoint_version, family, family_file (the family file a run was trained on, or\n"
          "null), task_size (numbers in one of the family's tasks), oracle (true: the\n"
          "observation ends with the task's task_size numbers, included in obs_size),\n"
          "oracle_task_scale (an oracle's: those numbers are the task's times it, 1 but for\n"
          "dynamics tasks, the config's oracle_obs; null otherwise), mode\n"
          "(maml, pretrain or oracle), obs_size, act_size, hidden (widths), activation (relu\n"
          "or tanh, the hidden layers'), seed, iteration (meta-updates behind the\n"
          "parameters), n_params, inner_steps and inner_step_size (the run's adaptation\n"
          "steps and their fixed step size; 0 and null outside maml mode), learned_step_sizes\n"
          "(null, or for a run with learn_alpha (checkpoint version %u) {layout: param or\n"
          "layer, count, values: in the order of the parameters (param) or one per weight\n"
          "matrix, bias vector and log_std, as the layers below (layer); npy: the file\n"
          "step_sizes.npy}; eval's first step uses them, later steps half),\n"
          "layers (name layerI, in, out, activation: relu, tanh or linear, weight, bias) and\n"
          "log_std. Exits 1 when the checkpoint is missing, truncated, damaged or not a\n"
          "checkpoint, or a file cannot be written; 2 for bad options.\n",
          EXPORT_VERSION, MAML_CHECKPOINT_VERSION);
}

typedef enum { FORMAT_JSON, FORMAT_NPY } export_format;

typedef struct {
  const char *source; /* the checkpoint or run directory */
  const char *out;
  export_format format;
} export_args;

/* what the checkpoint's config and the family add to its fields */
typedef struct {
  maml_config config;
  int task_size;     /* -1: the family is not known here */
  double task_scale; /* an oracle's: the factor its appended task is multiplied by */
} export_meta;

/* -1 to go on, else the exit status */
static int parse_args(int argc, char **argv, export_args *a) {
  memset(a, 0, sizeof *a);
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i];
    if (cmd_is_help(o)) {
      export_usage(stdout);
      return 0;
    }
    if (!strcmp(o, "--format") || !strcmp(o, "--out")) {
      if (i + 1 >= argc) {
        fprintf(stderr, "maml export: %s needs a value (see --help)\n", o);
        return 2;
      }
      const char *v = argv[++i];
      if (!strcmp(o, "--out")) {
        if (!*v) {
          fprintf(stderr, "maml export: --out: an empty path\n");
          return 2;
        }
        a->out = v;
      } else if (!strcmp(v, "json")) {
        a->format = FORMAT_JSON;
      } else if (!strcmp(v, "npy")) {
        a->format = FORMAT_NPY;
      } else {
        fprintf(stderr, "maml export: --format: unknown format '%s'; allowed: json, npy\n", v);
        return 2;
      }
    } else if (o[0] == '-' && o[1] != '\0') {
      fprintf(stderr, "maml export: unknown option '%s' (see --help)\n", o);
      return 2;
    } else if (a->source) {
      fprintf(stderr, "maml export: one checkpoint at a time ('%s' and '%s')\n", a->source, o);
      return 2;
    } else {
      a->source = o;
    }
  }
  if (!a->source) {
    export_usage(stderr);
    return 2;
  }
  if (!a->out) a->out = a->format == FORMAT_JSON ? "policy.json" : "policy";
  if (strlen(a->out) > PATH_LEN - 64) {
    fprintf(stderr, "maml export: --out: a path of %zu bytes; at most %d\n", strlen(a->out),
            PATH_LEN - 64);
    return 2;
  }
  return -1;
}

/* the folder that holds path ("." for a bare name) */
static void folder_of(const char *path, char *dir, size_t n) {
  snprintf(dir, n, "%s", path);
  size_t len = strlen(dir);
  while (len > 1 && dir[len - 1] == '/') dir[--len] = '\0'; /* "out/": the folder out */
  char *slash = strrchr(dir, '/');
  if (!slash)
    snprintf(dir, n, ".");
  else if (slash == dir)
    dir[1] = '\0';
  else
    *slash = '\0';
}

/* The checkpoint's config (the run's copy of its family file, when it keeps one) and its
 * family's task size: 1, or 0 after a message. */
static int read_meta(const char *path, const maml_checkpoint *ck, export_meta *m) {
  char dir[PATH_LEN + 64], err[4096], hint[4200] = "";
  folder_of(path, dir, sizeof dir);
  maml_config_defaults(&m->config);
  if (!cmd_use_family_copy(dir, ck->config_text, ck->config_len, NULL, 0, err, sizeof err)) {
    fprintf(stderr, "maml export: %s: %s\n", path, err);
    return 0;
  }
  if (maml_config_parse_ini(&m->config, ck->config_text, ck->config_len, "checkpoint config", err,
                            sizeof err) != MAML_OK) {
    if (strstr(err, ": env: ") || strstr(err, ": family_hash: "))
      cmd_family_copy_hint(dir, hint, sizeof hint);
    fprintf(stderr, "maml export: %s: %s%s\n", path, err, hint);
    return 0;
  }
  maml_config_stored(&m->config);
  const maml_env_family *f = maml_env_find(ck->env);
  m->task_size = f ? f->task_dim : -1;
  m->task_scale = 1.0;
  if (f && m->config.oracle_obs == MAML_ORACLE_OBS_SCALED && f->kind->oracle_scale)
    m->task_scale = f->kind->oracle_scale(f);
  if (!f)
    fprintf(stderr,
            "maml export: warning: %s: family '%s' is not known to this program (the families "
            "are %s): task_size is null\n",
            path, ck->env, maml_env_names());
  return 1;
}

/* ---- JSON ------------------------------------------------------------------------------- */

static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\')
      fprintf(f, "\\%c", *p);
    else if (*p < 0x20)
      fprintf(f, "\\u%04x", *p);
    else
      fputc(*p, f);
  }
  fputc('"', f);
}

/* a double in the fewest digits that read back bit for bit (0.1, not 0.10000000000000001);
 * null for what JSON cannot hold */
static void json_number(FILE *f, double x) {
  if (!isfinite(x)) {
    fputs("null", f);
    return;
  }
  char buf[32];
  for (int digits = 15; digits <= 17; digits++) {
    snprintf(buf, sizeof buf, "%.*g", digits, x);
    if (strtod(buf, NULL) == x) break;
  }
  fputs(buf, f);
}

static void json_numbers(FILE *f, const double *x, size_t n) {
  fputc('[', f);
  for (size_t i = 0; i < n; i++) {
    if (i) fputs(", ", f);
    json_number(f, x[i]);
  }
  fputc(']', f);
}

static const char *activation_name(int activation) {
  return activation == MAML_ACT_TANH ? "tanh" : "relu";
}

/* learned_step_sizes' value: null, or the layout, the count and the values (inline, or the
 * .npy file that holds them) */
static void write_step_sizes(FILE *f, const maml_checkpoint *ck, const maml_config *c,
                             int inline_arrays) {
  if (ck->n_step_sizes == 0) {
    fputs("null", f);
    return;
  }
  const char *layout = maml_learn_alpha_name(c->learn_alpha);
  fprintf(f, "{\"layout\": \"%s\", \"count\": %zu, \"values\": ",
          layout && c->learn_alpha != MAML_ALPHA_FIXED ? layout : "unknown", ck->n_step_sizes);
  if (inline_arrays)
    json_numbers(f, ck->step_sizes, ck->n_step_sizes);
  else
    fputs("\"step_sizes.npy\"", f);
  fputc('}', f);
}

/* The whole document. inline_arrays: the arrays themselves (json), else the names of the
 * .npy files that hold them (meta.json). */
static void write_document(FILE *f, const char *path, const maml_checkpoint *ck,
                           const export_meta *m, const maml_policy *p, int inline_arrays) {
  const maml_config *c = &m->config;
  fprintf(f, "{\n  \"format\": \"maml-policy\",\n  \"version\": %d,\n  \"checkpoint\": ",
          EXPORT_VERSION);
  json_string(f, path);
  fprintf(f, ",\n  \"checkpoint_version\": %u,\n  \"family\": ", ck->version);
  json_string(f, ck->env);
  fputs(",\n  \"family_file\": ", f);
  if (c->family_file[0])
    json_string(f, c->family_file);
  else
    fputs("null", f);
  if (m->task_size >= 0)
    fprintf(f, ",\n  \"task_size\": %d", m->task_size);
  else
    fputs(",\n  \"task_size\": null", f);
  fprintf(f, ",\n  \"oracle\": %s,\n  \"oracle_task_scale\": ", ck->oracle ? "true" : "false");
  if (ck->oracle && m->task_size >= 0)
    json_number(f, m->task_scale);
  else
    fputs("null", f);
  fprintf(f, ",\n  \"mode\": \"%s\",\n", maml_mode_name(c->mode));
  fprintf(f, "  \"obs_size\": %d,\n  \"act_size\": %d,\n  \"hidden\": [", ck->obs_dim, ck->act_dim);
  for (int l = 0; l < ck->n_hidden; l++) fprintf(f, "%s%d", l ? ", " : "", ck->hidden[l]);
  fprintf(f, "],\n  \"activation\": \"%s\",\n  \"seed\": %llu,\n  \"iteration\": %lld,\n",
          activation_name(ck->activation), (unsigned long long)ck->seed, (long long)ck->iteration);
  fprintf(f, "  \"n_params\": %zu,\n", ck->n_params);
  int maml = c->mode == MAML_MODE_MAML;
  fprintf(f, "  \"inner_steps\": %d,\n  \"inner_step_size\": ", maml ? c->inner_steps : 0);
  if (maml)
    json_number(f, c->alpha);
  else
    fputs("null", f);
  fputs(",\n  \"learned_step_sizes\": ", f);
  write_step_sizes(f, ck, c, inline_arrays);
  fputs(",\n  \"layers\": [\n", f);
  for (int l = 0; l < p->n_layers; l++) {
    int last = l == p->n_layers - 1;
    fprintf(f, "    {\"name\": \"layer%d\", \"in\": %d, \"out\": %d, \"activation\": \"%s\",\n", l,
            p->in[l], p->out[l], last ? "linear" : activation_name(ck->activation));
    if (inline_arrays) {
      fputs("     \"weight\": [", f);
      for (int r = 0; r < p->out[l]; r++) {
        fputs(r ? ",\n                " : "", f);
        json_numbers(f, ck->theta + p->w_off[l] + (size_t)r * p->in[l], (size_t)p->in[l]);
      }
      fputs("],\n     \"bias\": ", f);
      json_numbers(f, ck->theta + p->b_off[l], (size_t)p->out[l]);
      fputs("}", f);
    } else {
      fprintf(f, "     \"weight\": \"layer%d_weight.npy\", \"bias\": \"layer%d_bias.npy\"}", l, l);
    }
    fputs(last ? "\n" : ",\n", f);
  }
  fputs("  ],\n  \"log_std\": ", f);
  if (inline_arrays)
    json_numbers(f, ck->theta + p->log_std_off, (size_t)p->act_dim);
  else
    fputs("\"log_std.npy\"", f);
  fputs("\n}\n", f);
}

/* write_document into path atomically: 1, or 0 after a message */
static int write_json_file(const char *out, const char *path, const maml_checkpoint *ck,
                           const export_meta *m, const maml_policy *p, int inline_arrays) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) {
    fprintf(stderr, "maml export: %s: out of memory\n", out);
    return 0;
  }
  write_document(f, path, ck, m, p, inline_arrays);
  int bad = ferror(f);
  if (fclose(f) != 0) bad = 1;
  char err[PATH_LEN + 256];
  int ok = !bad && run_dir_write_atomic(out, text, len, err, sizeof err);
  if (bad)
    fprintf(stderr, "maml export: %s: out of memory\n", out);
  else if (!ok)
    fprintf(stderr, "maml export: %s\n", err);
  free(text);
  return ok;
}

/* ---- NumPy ------------------------------------------------------------------------------ */

/* A .npy file (format 1.0) of rows x cols little-endian doubles in C order (cols 0: a
 * vector of rows), replaced atomically: 1, or 0 after a message. */
static int write_npy(const char *path, const double *x, int rows, int cols) {
  char header[128];
  int h = cols > 0 ? snprintf(header, sizeof header,
                              "{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }", rows,
                              cols)
                   : snprintf(header, sizeof header,
                              "{'descr': '<f8', 'fortran_order': False, 'shape': (%d,), }", rows);
  size_t preamble = 10, header_len = (size_t)h + 1;       /* the header ends with '\n' */
  header_len += (64 - (preamble + header_len) % 64) % 64; /* data aligned to 64 bytes */
  size_t count = (size_t)rows * (size_t)(cols > 0 ? cols : 1);
  size_t total = preamble + header_len + 8 * count;
  unsigned char *buf = malloc(total);
  if (!buf) {
    fprintf(stderr, "maml export: %s: out of memory (%zu bytes)\n", path, total);
    return 0;
  }
  memcpy(buf, "\x93NUMPY\x01\x00", 8);
  buf[8] = (unsigned char)(header_len & 0xff);
  buf[9] = (unsigned char)(header_len >> 8);
  memset(buf + preamble, ' ', header_len);
  memcpy(buf + preamble, header, (size_t)h);
  buf[preamble + header_len - 1] = '\n';
  unsigned char *d = buf + preamble + header_len;
  for (size_t i = 0; i < count; i++) {
    uint64_t bits;
    memcpy(&bits, &x[i], sizeof bits);
    for (int b = 0; b < 8; b++) d[8 * i + (size_t)b] = (unsigned char)(bits >> (8 * b));
  }
  char err[PATH_LEN + 256];
  int ok = run_dir_write_atomic(path, (const char *)buf, total, err, sizeof err);
  if (!ok) fprintf(stderr, "maml export: %s\n", err);
  free(buf);
  return ok;
}

/* the folder out, made when missing (its parent must exist): 1, or 0 after a message */
static int make_folder(const char *out) {
  struct stat s;
  if (stat(out, &s) == 0) {
    if (S_ISDIR(s.st_mode)) return 1;
    fprintf(stderr, "maml export: --out %s exists and is not a folder (npy writes a folder)\n",
            out);
    return 0;
  }
  if (mkdir(out, 0755) != 0) {
    fprintf(stderr, "maml export: --out %s: cannot create the folder: %s\n", out, strerror(errno));
    return 0;
  }
  return 1;
}

static int write_npy_folder(const char *out, const char *path, const maml_checkpoint *ck,
                            const export_meta *m, const maml_policy *p) {
  if (!make_folder(out)) return 0;
  char file[PATH_LEN + 64];
  for (int l = 0; l < p->n_layers; l++) {
    snprintf(file, sizeof file, "%s/layer%d_weight.npy", out, l);
    if (!write_npy(file, ck->theta + p->w_off[l], p->out[l], p->in[l])) return 0;
    snprintf(file, sizeof file, "%s/layer%d_bias.npy", out, l);
    if (!write_npy(file, ck->theta + p->b_off[l], p->out[l], 0)) return 0;
  }
  snprintf(file, sizeof file, "%s/log_std.npy", out);
  if (!write_npy(file, ck->theta + p->log_std_off, p->act_dim, 0)) return 0;
  snprintf(file, sizeof file, "%s/step_sizes.npy", out);
  if (ck->n_step_sizes > 0 && !write_npy(file, ck->step_sizes, (int)ck->n_step_sizes, 0)) return 0;
  if (ck->n_step_sizes == 0 && unlink(file) != 0 && errno != ENOENT) { /* an older export's */
    fprintf(stderr, "maml export: %s: cannot remove this file of an older export: %s\n", file,
            strerror(errno));
    return 0;
  }
  /* the layers of a deeper network exported here before would be read as this one's */
  for (int l = p->n_layers; l <= MAML_MAX_HIDDEN; l++) {
    const char *parts[2] = {"weight", "bias"};
    for (int k = 0; k < 2; k++) {
      snprintf(file, sizeof file, "%s/layer%d_%s.npy", out, l, parts[k]);
      if (unlink(file) != 0 && errno != ENOENT) {
        fprintf(stderr, "maml export: %s: cannot remove this file of an older export: %s\n", file,
                strerror(errno));
        return 0;
      }
    }
  }
  snprintf(file, sizeof file, "%s/meta.json", out);
  return write_json_file(file, path, ck, m, p, 0); /* last: the arrays it names are there */
}

/* ---- the command ------------------------------------------------------------------------ */

/* 1 when the folder out goes into exists, else 0 after a message */
static int out_folder_exists(const char *out) {
  char dir[PATH_LEN + 64];
  folder_of(out, dir, sizeof dir);
  struct stat s;
  if (stat(dir, &s) == 0 && S_ISDIR(s.st_mode)) return 1;
  fprintf(stderr, "maml export: --out %s: the folder %s %s\n", out, dir,
          stat(dir, &s) == 0 ? "is not a folder" : "does not exist");
  return 0;
}

int cmd_export(int argc, char **argv) {
  export_args a;
  int rc = parse_args(argc, argv, &a);
  if (rc >= 0) return rc;
  struct stat s;
  if (a.format == FORMAT_JSON && stat(a.out, &s) == 0 && S_ISDIR(s.st_mode)) {
    fprintf(stderr, "maml export: --out %s is a folder: json writes a file (give its name)\n",
            a.out);
    return 2;
  }
  if (!out_folder_exists(a.out)) return 1;
  char path[PATH_LEN + 32];
  if (!cmd_checkpoint_path(a.source, path, sizeof path)) {
    fprintf(stderr, "maml export: %s: the path is too long\n", a.source);
    return 2;
  }
  maml_checkpoint ck;
  char err[PATH_LEN + 1024];
  if (maml_checkpoint_load(path, &ck, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "maml export: %s\n", err);
    return 1;
  }
  export_meta m;
  maml_policy p;
  int ok = read_meta(path, &ck, &m);
  if (ok && maml_policy_init(&p, ck.obs_dim, ck.act_dim, ck.n_hidden, ck.hidden,
                             (maml_activation)ck.activation, 1.0, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "maml export: %s: %s\n", path, err);
    ok = 0;
  }
  if (ok)
    ok = a.format == FORMAT_JSON ? write_json_file(a.out, path, &ck, &m, &p, 1)
                                 : write_npy_folder(a.out, path, &ck, &m, &p);
  if (ok) {
    char net[160];
    cmd_format_network(&p, net, sizeof net);
    printf("wrote %s (%s policy of %s, iteration %lld, %s, %zu parameters) from %s\n", a.out,
           a.format == FORMAT_JSON ? "json" : "npy", ck.env, (long long)ck.iteration, net,
           ck.n_params, path);
  }
  maml_checkpoint_free(&ck);
  return ok ? 0 : 1;
}
