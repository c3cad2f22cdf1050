/* An experiment's definition: parsed, checked, recorded, read back (experiment_def.h). */
#include "experiment_def.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "maml/config.h"
#include "maml/file.h"
#include "maml/number.h"
#include "run_dir.h"

#define TEXT_MAX (1 << 20) /* experiment.ini and base.ini at most */

/* ---- small parts ------------------------------------------------------------------------ */

/* key with dashes as underscores, into out; 0 when too long */
static int normal_key(const char *key, char *out) {
  size_t n = strlen(key);
  if (n == 0 || n >= EXP_KEY_MAX) return 0;
  for (size_t i = 0; i <= n; i++) out[i] = key[i] == '-' ? '_' : key[i];
  return 1;
}

static int add_seed(experiment *e, long s, const char *who) {
  for (int i = 0; i < e->n_seeds; i++)
    if (e->seeds[i] == s) {
      fprintf(stderr, "%s: --seeds: seed %ld is named twice\n", who, s);
      return 0;
    }
  if (e->n_seeds == EXP_MAX_SEEDS) {
    fprintf(stderr, "%s: --seeds: more than %d seeds\n", who, EXP_MAX_SEEDS);
    return 0;
  }
  e->seeds[e->n_seeds++] = s;
  return 1;
}

/* a seed: an integer in [0, 2^31) */
static int seed_value(const char *text, size_t len, long *out) {
  char buf[32];
  if (len == 0 || len >= sizeof buf) return 0;
  memcpy(buf, text, len);
  buf[len] = '\0';
  if (maml_integer_span(buf) != len || buf[0] == '-' || buf[0] == '+') return 0;
  errno = 0;
  long v = strtol(buf, NULL, 10);
  if (errno || v > 2147483647L) return 0;
  *out = v;
  return 1;
}

/* "1-10,12": seeds and ranges of seeds, appended to e */
static int parse_seeds(experiment *e, const char *text, const char *who) {
  const char *p = text;
  for (;;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    const char *dash = memchr(p, '-', len);
    long lo, hi;
    int ok = dash ? seed_value(p, (size_t)(dash - p), &lo) &&
                        seed_value(dash + 1, len - (size_t)(dash - p) - 1, &hi) && lo <= hi
                  : seed_value(p, len, &lo);
    if (!dash) hi = lo;
    if (!ok) {
      fprintf(stderr,
              "%s: --seeds: '%.*s' in '%s' is not a seed or a range of seeds (integers in [0, "
              "2147483647], A-B with A <= B; e.g. 1-10,12)\n",
              who, (int)len, p, text);
      return 0;
    }
    if (hi - lo >= EXP_MAX_SEEDS) {
      fprintf(stderr, "%s: --seeds: the range %ld-%ld holds more than %d seeds\n", who, lo, hi,
              EXP_MAX_SEEDS);
      return 0;
    }
    for (long s = lo; s <= hi; s++)
      if (!add_seed(e, s, who)) return 0;
    if (!end) return 1;
    p = end + 1;
  }
}

/* "KEY=V,V,..." (';' separates the values instead when one holds ',', as hidden's do) */
static int parse_vary(experiment *e, const char *text, const char *who) {
  const char *eq = strchr(text, '=');
  char key[EXP_KEY_MAX + 64];
  if (!eq || (size_t)(eq - text) >= sizeof key) {
    fprintf(stderr, "%s: --vary: '%s' is not KEY=VALUE,VALUE,... (e.g. inner_steps=1,2)\n", who,
            text);
    return 0;
  }
  memcpy(key, text, (size_t)(eq - text));
  key[eq - text] = '\0';
  if (e->n_vary == EXP_MAX_VARY) {
    fprintf(stderr, "%s: --vary: at most %d keys vary\n", who, EXP_MAX_VARY);
    return 0;
  }
  exp_vary *v = &e->vary[e->n_vary];
  if (!normal_key(key, v->key)) {
    fprintf(stderr, "%s: --vary: '%s' is not a config key\n", who, key);
    return 0;
  }
  const char *p = eq + 1;
  char sep = strchr(p, ';') ? ';' : ',';
  v->n = 0;
  for (;;) {
    const char *end = strchr(p, sep);
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == 0 || len >= sizeof v->values[0] || memchr(p, '\n', len)) {
      fprintf(stderr, "%s: --vary: %s: an empty value or one longer than %zu bytes in '%s'\n", who,
              v->key, sizeof v->values[0] - 1, text);
      return 0;
    }
    if (v->n == EXP_MAX_VALUES) {
      fprintf(stderr, "%s: --vary: %s takes more than %d values\n", who, v->key, EXP_MAX_VALUES);
      return 0;
    }
    memcpy(v->values[v->n], p, len);
    v->values[v->n][len] = '\0';
    for (int i = 0; i < v->n; i++)
      if (!strcmp(v->values[i], v->values[v->n])) {
        fprintf(stderr, "%s: --vary: %s: '%s' is named twice\n", who, v->key, v->values[i]);
        return 0;
      }
    v->n++;
    if (!end) break;
    p = end + 1;
  }
  e->n_vary++;
  return 1;
}

static int find_set(const experiment *e, const char *key) {
  for (int i = 0; i < e->n_set; i++)
    if (!strcmp(e->set[i].key, key)) return i;
  return -1;
}

static int find_vary(const experiment *e, const char *key) {
  for (int i = 0; i < e->n_vary; i++)
    if (!strcmp(e->vary[i].key, key)) return i;
  return -1;
}

static int add_set(experiment *e, const char *key, const char *value, const char *who) {
  char k[EXP_KEY_MAX];
  if (!normal_key(key, k)) {
    fprintf(stderr, "%s: '--%s' is not a config key (maml train --help lists them)\n", who, key);
    return 0;
  }
  if (find_set(e, k) >= 0) {
    fprintf(stderr, "%s: --%s is given twice\n", who, k);
    return 0;
  }
  if (e->n_set == EXP_MAX_SET || strlen(value) >= EXP_VALUE_MAX || strchr(value, '\n')) {
    fprintf(stderr, "%s: --%s: too many keys, or a value too long or holding a line break\n", who,
            k);
    return 0;
  }
  snprintf(e->set[e->n_set].key, EXP_KEY_MAX, "%s", k);
  snprintf(e->set[e->n_set].value, EXP_VALUE_MAX, "%s", value);
  e->n_set++;
  return 1;
}

/* ---- the command line ------------------------------------------------------------------- */

int exp_parse(experiment *e, exp_options *o, int argc, char **argv, int first, const char *who) {
  o->config = NULL;
  o->threads = -1;
  o->ranks_per_run = 0;
  o->defined = 0;
  for (int i = first; i < argc; i++) {
    const char *a = argv[i], *v = NULL;
    char opt[EXP_KEY_MAX + 8];
    if (strncmp(a, "--", 2) != 0) {
      fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", who, a);
      return 0;
    }
    const char *eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    if (len >= sizeof opt) len = sizeof opt - 1;
    memcpy(opt, a, len);
    opt[len] = '\0';
    if (eq)
      v = eq + 1;
    else if (i + 1 < argc)
      v = argv[++i];
    if (!v) {
      fprintf(stderr, "%s: %s needs a value (see --help)\n", who, opt);
      return 0;
    }
    char key[EXP_KEY_MAX];
    int is_key = normal_key(opt + 2, key);
    if (!strcmp(opt, "--seeds")) {
      if (!parse_seeds(e, v, who)) return 0;
    } else if (!strcmp(opt, "--vary")) {
      if (!parse_vary(e, v, who)) return 0;
      o->defined = 1;
    } else if (!strcmp(opt, "--config")) {
      if (o->config) {
        fprintf(stderr, "%s: --config is given twice\n", who);
        return 0;
      }
      o->config = v;
      o->defined = 1;
    } else if (!strcmp(opt, "--threads")) {
      if (!cmd_parse_long(who, opt, v, 0, 1024, &o->threads)) return 0;
    } else if (!strcmp(opt, "--ranks-per-run")) {
      if (!cmd_parse_long(who, opt, v, 1, 1 << 20, &o->ranks_per_run)) return 0;
    } else if (is_key && !strcmp(key, "seed")) {
      fprintf(stderr, "%s: --seed: an experiment's runs take their seeds from --seeds\n", who);
      return 0;
    } else if (is_key && !strcmp(key, "threads")) {
      if (!cmd_parse_long(who, opt, v, 0, 1024, &o->threads)) return 0;
    } else {
      if (!add_set(e, opt + 2, v, who)) return 0;
      if (!is_key || strcmp(key, "iterations") != 0) o->defined = 1;
    }
  }
  for (int k = 0; k < e->n_vary; k++) {
    if (!strcmp(e->vary[k].key, "seed") || !strcmp(e->vary[k].key, "threads") ||
        !strcmp(e->vary[k].key, "iterations")) {
      fprintf(stderr,
              "%s: --vary: %s cannot vary (seeds come from --seeds; threads and iterations "
              "are the same for every run)\n",
              who, e->vary[k].key);
      return 0;
    }
    if (find_set(e, e->vary[k].key) >= 0) {
      fprintf(stderr, "%s: --vary %s and --%s: the key both varies and is set\n", who,
              e->vary[k].key, e->vary[k].key);
      return 0;
    }
    for (int j = 0; j < k; j++)
      if (!strcmp(e->vary[j].key, e->vary[k].key)) {
        fprintf(stderr, "%s: --vary %s is given twice\n", who, e->vary[k].key);
        return 0;
      }
  }
  return 1;
}

/* ---- the settings and runs -------------------------------------------------------------- */

int exp_settings(const experiment *e) {
  int n = 1;
  for (int k = 0; k < e->n_vary; k++) n *= e->vary[k].n;
  return n;
}

int exp_runs(const experiment *e) {
  return exp_settings(e) * e->n_seeds;
}
long exp_seed(const experiment *e, int run) {
  return e->seeds[run / exp_settings(e)];
}
int exp_setting(const experiment *e, int run) {
  return run % exp_settings(e);
}

const char *exp_vary_value(const experiment *e, int setting, int k) {
  for (int j = e->n_vary - 1; j > k; j--) setting /= e->vary[j].n;
  return e->vary[k].values[setting % e->vary[k].n];
}

/* a value as a folder name may hold it: letters, digits and . _ - kept, the rest '-' */
static void name_part(const char *s, char *out, size_t n) {
  size_t i = 0;
  for (; s[i] && i + 1 < n; i++) {
    char c = s[i];
    int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
    out[i] = keep ? c : '-';
  }
  out[i] = '\0';
}

void exp_group_name(const experiment *e, int setting, char *out, size_t n) {
  if (e->n_vary == 0) {
    snprintf(out, n, "runs");
    return;
  }
  size_t len = 0;
  out[0] = '\0';
  for (int k = 0; k < e->n_vary && len < n; k++) {
    char part[300];
    name_part(exp_vary_value(e, setting, k), part, sizeof part);
    len += (size_t)snprintf(out + len, n - len, "%s%s-%s", k ? "+" : "", e->vary[k].key, part);
  }
}

void exp_run_dir(const experiment *e, int run, int dir_too, char *out, size_t n) {
  char group[512];
  exp_group_name(e, exp_setting(e, run), group, sizeof group);
  if (dir_too)
    snprintf(out, n, "%s/%s-s%ld", e->dir, group, exp_seed(e, run));
  else
    snprintf(out, n, "%s-s%ld", group, exp_seed(e, run));
}

long exp_iterations(const experiment *e) {
  int i = find_set(e, "iterations");
  return i < 0 ? 0 : strtol(e->set[i].value, NULL, 10);
}

/* ---- reading and writing ---------------------------------------------------------------- */

static char *read_all(const char *path, size_t *len, const char *who) {
  char err[4400];
  FILE *f = maml_file_fopen_input(path, err, sizeof err);
  if (!f) {
    fprintf(stderr, "%s: %s\n", who, err);
    return NULL;
  }
  char *buf = malloc(TEXT_MAX + 1);
  size_t n = buf ? fread(buf, 1, TEXT_MAX + 1, f) : 0;
  int bad = !buf || ferror(f) || n > TEXT_MAX;
  fclose(f);
  if (bad) {
    fprintf(stderr, "%s: %s: cannot be read, or is larger than %d bytes\n", who, path, TEXT_MAX);
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

static int join(char *out, size_t n, const char *dir, const char *name) {
  return snprintf(out, n, "%s/%s", dir, name) < (int)n;
}

/* one line of experiment.ini */
static int read_line(experiment *e, char *line, const char *path, long no, const char *who) {
  char *s = line;
  while (*s == ' ' || *s == '\t') s++;
  size_t n = strlen(s);
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = '\0';
  if (!*s || *s == '#' || !strcmp(s, "[experiment]")) return 1;
  char *eq = strchr(s, '=');
  if (!eq) {
    fprintf(stderr, "%s: %s:%ld: expected 'key = value', got '%.80s'\n", who, path, no, s);
    return 0;
  }
  char *k = s, *v = eq + 1;
  *eq = '\0';
  for (char *t = eq - 1; t >= k && (*t == ' ' || *t == '\t'); t--) *t = '\0';
  while (*v == ' ' || *v == '\t') v++;
  char what[EXP_DIR_MAX + 96];
  snprintf(what, sizeof what, "%s:%ld", path, no);
  if (!strcmp(k, "config") && !strcmp(v, EXP_BASE)) {
    e->has_base = 1;
    return 1;
  }
  if (!strcmp(k, "seeds")) return parse_seeds(e, v, who);
  if (!strcmp(k, "vary")) return parse_vary(e, v, who);
  char *veq = strchr(v, '=');
  if (!strcmp(k, "set") && veq) {
    *veq = '\0';
    return add_set(e, v, veq + 1, who);
  }
  fprintf(stderr, "%s: %s: unknown line '%s = %.80s' (the keys are config, seeds, vary, set)\n",
          who, what, k, v);
  return 0;
}

int exp_read(experiment *e, int *absent, const char *who) {
  char path[EXP_DIR_MAX + 64];
  join(path, sizeof path, e->dir, EXP_FILE);
  FILE *probe = fopen(path, "rb");
  *absent = !probe && errno == ENOENT;
  if (probe) fclose(probe);
  if (*absent) return 0;
  size_t len;
  char *text = read_all(path, &len, who);
  if (!text) return 0;
  e->has_base = 0;
  e->n_seeds = e->n_vary = e->n_set = 0;
  int ok = 1;
  long no = 1;
  for (char *line = text; ok && line && *line; no++) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = '\0';
    ok = read_line(e, line, path, no, who);
    line = nl ? nl + 1 : NULL;
  }
  free(text);
  if (ok && e->n_seeds == 0) {
    fprintf(stderr, "%s: %s names no seeds\n", who, path);
    ok = 0;
  }
  return ok;
}

/* vary value lists as experiment.ini writes them */
static int format_vary(const exp_vary *v, char *out, size_t n) {
  int comma = 0;
  for (int i = 0; i < v->n; i++) comma |= strchr(v->values[i], ',') != NULL;
  size_t len = (size_t)snprintf(out, n, "%s=", v->key);
  for (int i = 0; i < v->n && len < n; i++)
    len += (size_t)snprintf(out + len, n - len, "%s%s", i ? (comma ? ";" : ",") : "", v->values[i]);
  return len < n;
}

int exp_write(const experiment *e, const char *config, const char *who) {
  size_t cap = 64 * 1024 + (size_t)e->n_set * EXP_VALUE_MAX, len = 0;
  char *text = malloc(cap), err[8192], path[EXP_DIR_MAX + 64];
  if (!text) {
    fprintf(stderr, "%s: out of memory\n", who);
    return 0;
  }
#define PUT(...) len += (size_t)snprintf(text + len, len < cap ? cap - len : 0, __VA_ARGS__)
  PUT("# maml experiment: one training run per seed and setting, in the folders beside this\n"
      "# file (GROUP-sSEED). `maml experiment status DIR` shows where each stands and\n"
      "# `maml experiment train DIR` continues them; written by maml, not meant to be edited.\n"
      "[experiment]\n");
  if (e->has_base) PUT("config = %s\n", EXP_BASE);
  PUT("seeds = ");
  for (int i = 0; i < e->n_seeds; i++) PUT("%s%ld", i ? "," : "", e->seeds[i]);
  PUT("\n");
  for (int k = 0; k < e->n_vary; k++) {
    char buf[EXP_MAX_VALUES * 260];
    format_vary(&e->vary[k], buf, sizeof buf);
    PUT("vary = %s\n", buf);
  }
  for (int i = 0; i < e->n_set; i++) PUT("set = %s=%s\n", e->set[i].key, e->set[i].value);
#undef PUT
  int ok = len < cap;
  if (ok && config) {
    size_t blen;
    char *base = read_all(config, &blen, who);
    ok = base && join(path, sizeof path, e->dir, EXP_BASE) &&
         run_dir_write_atomic(path, base, blen, err, sizeof err);
    if (base && !ok) fprintf(stderr, "%s: %s\n", who, err);
    free(base);
  }
  if (ok) {
    join(path, sizeof path, e->dir, EXP_FILE);
    ok = run_dir_write_atomic(path, text, len, err, sizeof err);
    if (!ok) fprintf(stderr, "%s: %s\n", who, err);
  }
  free(text);
  return ok;
}

int exp_same_base(const experiment *e, const char *config, const char *who) {
  char path[EXP_DIR_MAX + 64];
  join(path, sizeof path, e->dir, EXP_BASE);
  size_t a_len = 0, b_len = 0;
  char *a = e->has_base ? read_all(path, &a_len, who) : NULL;
  char *b = read_all(config, &b_len, who);
  int same = a && b && a_len == b_len && !memcmp(a, b, a_len);
  if (a && b && !same)
    fprintf(stderr,
            "%s: --config %s differs from the config the experiment started from (%s): "
            "continue it without --config, or start another experiment folder\n",
            who, config, path);
  else if (b && !e->has_base)
    fprintf(stderr, "%s: the experiment in %s started without --config; continue it without one\n",
            who, e->dir);
  free(a), free(b);
  return same;
}

/* ---- merging a command line into the record --------------------------------------------- */

static int same_vary(const exp_vary *a, const exp_vary *b) {
  if (strcmp(a->key, b->key) != 0 || a->n != b->n) return 0;
  for (int i = 0; i < a->n; i++)
    if (strcmp(a->values[i], b->values[i]) != 0) return 0;
  return 1;
}

/* the first key whose setting differs between a and b, iterations aside ("" if none) */
static const char *first_difference(const experiment *a, const experiment *b) {
  for (int pass = 0; pass < 2; pass++) {
    const experiment *x = pass ? b : a, *y = pass ? a : b;
    for (int k = 0; k < x->n_vary; k++) {
      int j = find_vary(y, x->vary[k].key);
      if (j != k || !same_vary(&x->vary[k], &y->vary[j])) return x->vary[k].key;
    }
    for (int i = 0; i < x->n_set; i++) {
      if (!strcmp(x->set[i].key, "iterations")) continue;
      int j = find_set(y, x->set[i].key);
      if (j < 0 || strcmp(x->set[i].value, y->set[j].value) != 0) return x->set[i].key;
    }
  }
  return "";
}

/* key's value in e, quoted, as a message shows it ("not set" when e has none) */
static void describe(const experiment *e, const char *key, char *out, size_t n) {
  int i = find_set(e, key), k = find_vary(e, key);
  char list[EXP_MAX_VALUES * 260];
  if (k >= 0 && format_vary(&e->vary[k], list, sizeof list))
    snprintf(out, n, "'--vary %s'", list);
  else if (i >= 0)
    snprintf(out, n, "'%s'", e->set[i].value);
  else
    snprintf(out, n, "not set");
}

int exp_merge(experiment *rec, const experiment *given, int defined, const char *who) {
  if (defined) {
    const char *diff = first_difference(rec, given);
    if (*diff) {
      char was[EXP_VALUE_MAX + 32], now[EXP_VALUE_MAX + 32];
      describe(rec, diff, was, sizeof was);
      describe(given, diff, now, sizeof now);
      fprintf(stderr,
              "%s: %s: the experiment there was defined otherwise: %s: %s recorded, %s given "
              "(see its %s); continue it with `maml experiment train %s` (--seeds may add "
              "seeds, --iterations change the total), or start another folder\n",
              who, rec->dir, diff, was, now, EXP_FILE, rec->dir);
      return 0;
    }
  }
  for (int i = 0; i < rec->n_seeds && given->n_seeds; i++) {
    int found = 0;
    for (int j = 0; j < given->n_seeds; j++) found |= given->seeds[j] == rec->seeds[i];
    if (!found) {
      fprintf(stderr,
              "%s: --seeds leaves out seed %ld, which the experiment in %s has: --seeds may "
              "only add seeds\n",
              who, rec->seeds[i], rec->dir);
      return 0;
    }
  }
  for (int j = 0; j < given->n_seeds; j++) {
    int found = 0;
    for (int i = 0; i < rec->n_seeds; i++) found |= given->seeds[j] == rec->seeds[i];
    if (!found && !add_seed(rec, given->seeds[j], who)) return 0;
  }
  int gi = find_set(given, "iterations"), ri = find_set(rec, "iterations");
  if (gi >= 0 && ri >= 0)
    snprintf(rec->set[ri].value, EXP_VALUE_MAX, "%s", given->set[gi].value);
  else if (gi >= 0 && !add_set(rec, "iterations", given->set[gi].value, who))
    return 0;
  return 1;
}

/* ---- checking ---------------------------------------------------------------------------- */

int exp_check(const experiment *e, const char *base, const char *who) {
  if (e->n_seeds == 0) {
    fprintf(stderr, "%s: a new experiment needs --seeds (e.g. --seeds 1-10)\n", who);
    return 0;
  }
  char err[8192], seed[32], group[512], other[512];
  snprintf(seed, sizeof seed, "%ld", e->seeds[0]);
  for (int s = 0; s < exp_settings(e); s++) {
    exp_group_name(e, s, group, sizeof group);
    if (strlen(group) >= EXP_GROUP_MAX || strlen(e->dir) + strlen(group) + 16 > EXP_DIR_MAX) {
      fprintf(stderr,
              "%s: setting %s: the name is longer than %d characters (shorter values, or "
              "fewer keys that vary)\n",
              who, group, EXP_GROUP_MAX - 1);
      return 0;
    }
    for (int t = 0; t < s; t++) {
      exp_group_name(e, t, other, sizeof other);
      if (!strcmp(group, other)) {
        fprintf(stderr,
                "%s: two settings share the folder name %s: give values that differ "
                "in letters or digits\n",
                who, group);
        return 0;
      }
    }
    maml_config c;
    maml_config_defaults(&c);
    maml_status st = base ? maml_config_load(&c, base, err, sizeof err) : MAML_OK;
    for (int i = 0; st == MAML_OK && i < e->n_set; i++)
      st = maml_config_set(&c, e->set[i].key, e->set[i].value, err, sizeof err);
    for (int k = 0; st == MAML_OK && k < e->n_vary; k++)
      st = maml_config_set(&c, e->vary[k].key, exp_vary_value(e, s, k), err, sizeof err);
    if (st == MAML_OK) st = maml_config_set(&c, "seed", seed, err, sizeof err);
    if (st == MAML_OK) st = maml_config_resolve(&c, err, sizeof err);
    if (st != MAML_OK) {
      fprintf(stderr, "%s: setting %s: %s\n", who, group, err);
      return 0;
    }
  }
  return 1;
}
