/* Task text, worlds (model search and load) and the reset and step of every family: the
 * robot's, then the task kind's. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "maml/env.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envs/assets.h"
#include "envs/family.h"
#include "envs/mujoco_env.h"
#include "maml/hash.h"
#include "maml/number.h"

/* ---- task text ----------------------------------------------------------------------- */

/* the shortest %g form of x that reads back as x */
static int format_number(double x, char *buf, size_t n) {
  char tmp[40];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*g", prec, x);
    if (strtod(tmp, NULL) == x) break;
  }
  if (x == 0.0) snprintf(tmp, sizeof tmp, "0");  // no "-0"
  return snprintf(buf, n, "%s", tmp);
}

int maml_env_format_task(const maml_env_family *f, const double *task, char *buf, size_t n) {
  if (!f || !task || (!buf && n > 0)) return -1;
  char text[MAML_TASK_MAX * 40];
  size_t len = 0;
  for (int i = 0; i < f->task_dim && i < MAML_TASK_MAX; i++) {
    if (i > 0) text[len++] = ',';
    len += (size_t)format_number(task[i], text + len, sizeof text - len);
  }
  text[len] = '\0';
  return snprintf(buf, n, "%s", text);
}

/* the text of one comma-separated field, cut to fit, for messages */
static void field_text(char *out, size_t n, const char *begin, const char *end) {
  size_t len = (size_t)(end - begin);
  if (len >= n) len = n - 1;
  memcpy(out, begin, len);
  out[len] = '\0';
}

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* parse exactly count comma-separated finite numbers */
static maml_status parse_numbers(const char *family, const char *text, int count, double *out,
                                 char *err, size_t err_sz) {
  if (!text) return maml_fail(err, err_sz, MAML_ERR_FORMAT, "%s: no goal given", family);
  const char *p = text;
  int k = 0;
  for (;;) {
    const char *begin = p, *end = p;
    while (*end && *end != ',') end++;
    char field[64];
    field_text(field, sizeof field, begin, end);
    if (k == count)
      return maml_fail(err, err_sz, MAML_ERR_FORMAT, "%s goal '%s': expected %d number%s, got more",
                       family, text, count, count > 1 ? "s separated by a comma" : "");
    const char *start = begin;
    while (start < end && is_space(*start)) start++;
    size_t span = maml_decimal_span(start);
    const char *stop = start + span;
    while (stop < end && is_space(*stop)) stop++;
    if (span == 0 || stop != end)
      return maml_fail(err, err_sz, MAML_ERR_FORMAT, "%s goal '%s': '%s' is not a number (%s)",
                       family, text, field, MAML_DECIMAL_SYNTAX);
    double x = strtod(start, NULL);
    if (!isfinite(x))
      return maml_fail(err, err_sz, MAML_ERR_FORMAT, "%s goal '%s': '%s' is not a finite number",
                       family, text, field);
    out[k++] = x;
    if (!*end) break;
    p = end + 1;
  }
  if (k != count)
    return maml_fail(err, err_sz, MAML_ERR_FORMAT, "%s goal '%s': expected %d number%s, got %d",
                     family, text, count, count > 1 ? "s separated by a comma" : "", k);
  return MAML_OK;
}

maml_status maml_task_parse_range(const char *family, const char *what, const char *text, int count,
                                  double lo, double hi, double *out, char *err, size_t err_sz) {
  double x[MAML_TASK_MAX] = {0};
  maml_status s = parse_numbers(family, text, count, x, err, err_sz);
  if (s != MAML_OK) return s;
  for (int i = 0; i < count; i++)
    if (!(x[i] >= lo && x[i] <= hi)) {
      char bad[40];
      format_number(x[i], bad, sizeof bad); /* every digit it takes: 2.0000001, not 2 */
      if (count == 1)
        return maml_fail(err, err_sz, MAML_ERR_ARG,
                         "%s goal '%s': %s %s is outside the allowed range [%g, %g]", family, text,
                         what, bad, lo, hi);
      return maml_fail(err, err_sz, MAML_ERR_ARG,
                       "%s goal '%s': %s %s %s is outside the allowed range [%g, %g] (the "
                       "goal must lie in [%g, %g]^%d)",
                       family, text, what, i == 0 ? "x" : "y", bad, lo, hi, lo, hi, count);
    }
  for (int i = 0; i < count; i++) out[i] = x[i];
  return MAML_OK;
}

maml_status maml_task_parse_direction(const char *family, const char *text, double *out, char *err,
                                      size_t err_sz) {
  double x = 0.0;
  maml_status s = parse_numbers(family, text, 1, &x, err, err_sz);
  if (s != MAML_OK) return s;
  if (x != -1.0 && x != 1.0) {
    char bad[40];
    format_number(x, bad, sizeof bad);
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%s goal '%s': direction %s is not allowed; use -1 or 1", family, text, bad);
  }
  *out = x;
  return MAML_OK;
}

double maml_task_sample_direction(maml_rng *rng) {
  return maml_rng_uniform(rng) < 0.5 ? -1.0 : 1.0;
}

/* ---- loading a model ------------------------------------------------------------------ */

/* printf onto the end of buf (len: its current length), never past n */
__attribute__((format(printf, 4, 5))) static void append(char *buf, size_t n, size_t *len,
                                                         const char *fmt, ...) {
  if (!buf || *len + 1 >= n) return;
  va_list ap;
  va_start(ap, fmt);
  int w = vsnprintf(buf + *len, n - *len, fmt, ap);
  va_end(ap);
  if (w > 0) *len = (*len + (size_t)w < n) ? *len + (size_t)w : n - 1;
}

/* load path into w; the file exists */
static maml_status load_model(maml_env_world *w, const char *path, char *err, size_t err_sz) {
  char mjerr[1000] = "";
  mjModel *m = mj_loadXML(path, NULL, mjerr, (int)sizeof mjerr);
  if (!m)
    return maml_fail(err, err_sz, MAML_ERR_FORMAT, "%s: cannot load the model %s: %s",
                     w->family->name, path, mjerr[0] ? mjerr : "(MuJoCo gave no reason)");
  char why[512] = "";
  const maml_env_robot *r = w->family->robot;
  /* the bodies and geoms counted where the layout depends on them: contact forces in the
   * observation, a dynamics task's numbers */
  const int layout = w->family->kind->family_dim != NULL;
  int nbody = layout ? r->nbody : -1;
  for (int p = 0; p < MAML_OBS_MAX_PARTS && r->obs_parts[p].kind != MAML_OBS_END; p++)
    if (r->obs_parts[p].kind == MAML_OBS_CFRC_EXT) nbody = r->nbody;
  maml_status s =
      maml_mj_check_sizes(m, w->family->name, r->nq, r->nv, r->nu, nbody, why, sizeof why);
  int torso = mj_name2id(m, mjOBJ_BODY, r->body);
  if (s == MAML_OK && torso < 0) {
    s = MAML_ERR_FORMAT;
    snprintf(why, sizeof why, "the model has no body named '%s'", r->body);
  }
  if (s == MAML_OK && layout && m->ngeom != r->ngeom) {
    s = MAML_ERR_FORMAT;
    snprintf(why, sizeof why, "the model has ngeom %d; %s needs %d", m->ngeom, w->family->name,
             r->ngeom);
  }
  if (s != MAML_OK) {
    mj_deleteModel(m);
    return maml_fail(err, err_sz, s, "%s: the model %s does not fit: %s", w->family->name, path,
                     why);
  }
  w->model = m;
  w->torso_body = torso;
  w->init_key = mj_name2id(m, mjOBJ_KEY, "init");
  snprintf(w->model_path, sizeof w->model_path, "%s", path);
  if (maml_mj_save_initial_state(w) != MAML_OK) {
    mj_deleteModel(m);
    w->model = NULL;
    return maml_fail(err, err_sz, MAML_ERR_NOMEM, "%s: cannot allocate the MuJoCo data",
                     w->family->name);
  }
  return MAML_OK;
}

/* ---- model files ---------------------------------------------------------------------- */

void maml_env_format_hash(uint64_t hash, char buf[17]) {
  snprintf(buf, 17, "%016llx", (unsigned long long)hash);
}

#define MODEL_MAX_BYTES (64u << 20) /* larger files are not models of ours */

/* the hash of a regular file's bytes */
static maml_status hash_file(const char *family, const char *path, uint64_t *hash, char *err,
                             size_t err_sz) {
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)MODEL_MAX_BYTES)
    return maml_fail(err, err_sz, MAML_ERR_IO,
                     "%s: the model %s is not a regular file of at most "
                     "%u bytes",
                     family, path, MODEL_MAX_BYTES);
  FILE *f = fopen(path, "rb");
  char *buf = f ? malloc((size_t)st.st_size + 1) : NULL;
  size_t n = buf ? fread(buf, 1, (size_t)st.st_size + 1, f) : 0;
  int bad = !f || !buf || ferror(f) || n != (size_t)st.st_size;
  int saved = errno;
  if (f) fclose(f);
  if (!bad) *hash = maml_hash(MAML_HASH_START, buf, n);
  free(buf);
  if (bad)
    return maml_fail(err, err_sz, MAML_ERR_IO, "%s: cannot read the model %s: %s", family, path,
                     f && buf ? "it changed while read" : strerror(saved));
  return MAML_OK;
}

maml_status maml_env_model_find(const char *family, const char *assets_dir, maml_env_model *m,
                                char *err, size_t err_sz) {
  memset(m, 0, sizeof *m);
  const maml_env_family *f = maml_env_find(family);
  if (!f)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "unknown environment '%s'; the families are: %s",
                     family ? family : "(none)", maml_env_names());
  if (!f->model_file) return MAML_OK;

  // the places to look at: a folder the user named, else the built-in ones
  const char *dirs[2], *labels[2];
  int ndirs = 0, named = 1;
  char builtin[MAML_PATH_MAX];
  const char *why = "no assets folder known to this build";
  const char *env_dir = getenv("MAML_ASSETS");
  if (assets_dir && !assets_dir[0])
    return maml_fail(err, err_sz, MAML_ERR_ARG, "%s: the assets folder given is empty", f->name);
  if (assets_dir) {
    dirs[ndirs] = assets_dir, labels[ndirs++] = "the assets folder given";
  } else if (env_dir && env_dir[0]) {
    dirs[ndirs] = env_dir, labels[ndirs++] = "$MAML_ASSETS";
  } else { /* the source tree's for the build tree, else the prefix's (envs/assets.c) */
    named = 0;
    if (maml_assets_builtin(builtin, sizeof builtin, &why))
      dirs[ndirs] = builtin, labels[ndirs++] = why;
  }

  char tried[2 * (MAML_PATH_MAX + 160)];
  size_t len = 0;
  tried[0] = '\0';
  if (f->model_file[0] == '/') { /* a family file's model: its own path, no search */
    snprintf(m->path, sizeof m->path, "%s", f->model_file);
    return hash_file(f->name, m->path, &m->hash, err, err_sz);
  }
  for (int i = 0; i < ndirs; i++) {
    char path[MAML_PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/%s", dirs[i], f->model_file);
    if (n < 0 || (size_t)n >= sizeof path) {
      append(tried, sizeof tried, &len, "%s%s/%s (%s; path too long)", i ? "; " : "", dirs[i],
             f->model_file, labels[i]);
      continue;
    }
    if (access(path, F_OK) == 0) {
      maml_status s = hash_file(f->name, path, &m->hash, err, err_sz);
      if (s != MAML_OK) return s;
      snprintf(m->path, sizeof m->path, "%s", path);
      if (named) { /* absolute, so that it names the same folder from anywhere */
        char *abs = realpath(dirs[i], NULL);
        const char *folder = abs && strlen(abs) < sizeof m->folder ? abs : dirs[i];
        snprintf(m->folder, sizeof m->folder, "%s", folder);
        free(abs);
      }
      return MAML_OK;
    }
    append(tried, sizeof tried, &len, "%s%s (%s; %s)", i ? "; " : "", path, labels[i],
           strerror(errno));
  }
  if (ndirs == 0) append(tried, sizeof tried, &len, "(%s)", why);
  return maml_fail(err, err_sz, MAML_ERR_IO,
                   "%s: cannot find the model file %s; looked in: %s. Name the folder that "
                   "holds %s (--assets DIR or MAML_ASSETS=DIR).",
                   f->name, f->model_file, tried, f->model_file);
}

/* ---- worlds -------------------------------------------------------------------------- */

maml_status maml_env_world_open(maml_env_world *w, const char *family, int oracle,
                                const char *assets_dir, char *err, size_t err_sz) {
  if (!w) return maml_fail(err, err_sz, MAML_ERR_ARG, "maml_env_world_open: no world given");
  memset(w, 0, sizeof *w);
  w->torso_body = -1;
  w->init_key = -1;
  maml_env_model *m = malloc(sizeof *m);
  if (!m) return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory");
  maml_status s = maml_env_model_find(family, assets_dir, m, err, err_sz);
  if (s == MAML_OK) {
    const maml_env_family *f = maml_env_find(family);
    w->family = f;
    w->oracle = oracle == MAML_ORACLE_SCALED ? MAML_ORACLE_SCALED
                : oracle                     ? MAML_ORACLE_RAW
                                             : MAML_ORACLE_NONE;
    w->oracle_scale =
        w->oracle == MAML_ORACLE_SCALED && f->kind->oracle_scale ? f->kind->oracle_scale(f) : 1.0;
    w->obs_dim = f->obs_dim + (oracle ? f->task_dim : 0);
    snprintf(w->assets_dir, sizeof w->assets_dir, "%s", m->folder);
    w->model_hash = m->hash;
    if (f->model_file) s = load_model(w, m->path, err, err_sz);
  }
  free(m);
  return s;
}

void maml_env_world_close(maml_env_world *w) {
  if (!w) return;
  if (w->model) mj_deleteModel(w->model);
  free(w->init_state);
  memset(w, 0, sizeof *w);
  w->torso_body = -1;
  w->init_key = -1;
}

/* ---- instances ----------------------------------------------------------------------- */

maml_status maml_env_init(maml_env *e, const maml_env_world *w, char *err, size_t err_sz) {
  if (!e) return maml_fail(err, err_sz, MAML_ERR_ARG, "maml_env_init: no instance given");
  memset(e, 0, sizeof *e);
  if (!w || !w->family)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "maml_env_init: the world is not open");
  if (w->family->model_file && !w->model)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "maml_env_init: %s has no model loaded",
                     w->family->name);
  e->world = w;
  e->model = w->model;
  if (w->model && w->family->kind->apply) {  /* its own copy: the task sets the physics */
    e->model = mj_copyModel(NULL, w->model); /* e->task is all 0: the copy is that task's */
    if (!e->model)
      return maml_fail(err, err_sz, MAML_ERR_NOMEM, "%s: cannot copy the MuJoCo model",
                       w->family->name);
  }
  if (w->model) {
    e->data = mj_makeData(e->model);
    if (!e->data) {
      maml_env_free(e);
      return maml_fail(err, err_sz, MAML_ERR_NOMEM, "%s: cannot allocate the MuJoCo data",
                       w->family->name);
    }
  }
  w->family->robot->reset(e, NULL);
  return MAML_OK;
}

void maml_env_free(maml_env *e) {
  if (!e) return;
  if (e->data) mj_deleteData(e->data);
  if (e->model && e->world && e->model != e->world->model) mj_deleteModel(e->model);
  memset(e, 0, sizeof *e);
}

/* the family's observation, then the task in an oracle world */
static void write_obs(const maml_env *e, maml_real *obs) {
  if (!obs) return;
  const maml_env_world *w = e->world;
  w->family->robot->observe(e, obs);
  if (w->oracle)
    for (int i = 0; i < w->family->task_dim; i++)
      obs[w->family->obs_dim + i] = (maml_real)(w->oracle_scale * e->task[i]);
}

void maml_env_reset(maml_env *e, const double *task, maml_rng *rng, maml_real *obs) {
  const maml_env_family *f = e->world->family;
  if (f->kind->apply && e->model) { /* the physics changes only when the task does */
    if (memcmp(e->task, task, (size_t)f->task_dim * sizeof *task) != 0) {
      memcpy(e->task, task, (size_t)f->task_dim * sizeof *task);
      f->kind->apply(e);
    }
  } else {
    for (int i = 0; i < MAML_TASK_MAX; i++) e->task[i] = i < f->task_dim ? task[i] : 0.0;
  }
  e->t = 0;
  memset(&e->info, 0, sizeof e->info);
  f->robot->reset(e, rng);
  if (f->kind->reset) f->kind->reset(e);
  write_obs(e, obs);
}

void maml_env_step(maml_env *e, const maml_real *action, maml_real *obs, double *reward,
                   int *done) {
  const maml_env_family *f = e->world->family;
  int d = 0;
  double shared = f->robot->advance(e, action, &d);
  double r = f->kind->reward(e, &d) + shared;
  e->t++;
  write_obs(e, obs);
  if (reward) *reward = r;
  if (done) *done = d;
}
