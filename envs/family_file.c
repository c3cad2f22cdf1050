/* Families in files: an INI file names a robot (a built-in one, or a MuJoCo model with the
 * body whose motion counts and the observation's parts), a task kind with its distribution,
 * the reward weights, the termination rule, the horizon, the preset and the viewer's
 * hints. maml_env_use parses it, loads the model once to check it and registers the
 * family under the file's name. Every error names the file, the line and the key. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envs/family.h"
#include "envs/mujoco_env.h"
#include "maml/env.h"
#include "maml/file.h"
#include "maml/hash.h"
#include "maml/number.h"
#include "maml/suggest.h"

#define FILE_MAX_BYTES (1u << 20)
#define LINE_MAX 1024
#define VALUE_MAX 512

/* the keys a family file may hold; the code reads ranges of them (model to qvel_noise: a
 * robot of the file's own; norm to reach_tol: goal-position's), so keep the order */
static const char *const keys[] = {
    "name",          "robot",           "model",
    "body",          "observation",     "gait",
    "ctrl_cost",     "contact_cost",    "alive_bonus",
    "termination",   "height_index",    "qpos_noise",
    "qvel_noise",    "horizon",         "task",
    "goal_range",    "bonus",           "norm",
    "reach_tol",     "params",          "tasks",
    "episodes",      "iterations",      "eval_episodes",
    "eval_steps",    "camera_distance", "camera_elevation",
    "camera_height", "camera_top_down", "marker_scale",
};
#define NKEYS ((int)(sizeof keys / sizeof keys[0]))

/* the text of each key (its line, 0: not given) */
typedef struct {
  const char *origin;
  const char *base; /* relative paths are relative to its folder (NULL: origin's) */
  char value[NKEYS][VALUE_MAX];
  long line[NKEYS];
} family_text;

static int key_index(const char *k) {
  for (int i = 0; i < NKEYS; i++)
    if (!strcmp(keys[i], k)) return i;
  return -1;
}

static void key_list(char *buf, size_t n) {
  size_t len = 0;
  buf[0] = '\0';
  for (int i = 0; i < NKEYS && len < n; i++)
    len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? ", " : "", keys[i]);
}

static const char *trim(char *s) {
  while (*s == ' ' || *s == '\t' || *s == '\r') s++;
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = '\0';
  return s;
}

/* one line into t */
static maml_status read_line(family_text *t, char *line, long no, char *err, size_t err_sz) {
  const char *s = trim(line);
  if (!*s || *s == '#' || *s == ';') return MAML_OK;
  if (*s == '[') {
    if (!strcmp(s, "[family]")) return MAML_OK;
    return maml_fail(err, err_sz, MAML_ERR_FORMAT,
                     "%s:%ld: unknown section '%.80s': the only section is [family]", t->origin, no,
                     s);
  }
  char *eq = strchr(line, '=');
  if (!eq)
    return maml_fail(err, err_sz, MAML_ERR_FORMAT, "%s:%ld: expected 'key = value', got '%.80s'",
                     t->origin, no, s);
  *eq = '\0';
  const char *k = trim(line), *v = trim(eq + 1);
  int i = key_index(k);
  if (i < 0) {
    const char *guess = maml_closest(k, keys, NKEYS);
    char list[600];
    key_list(list, sizeof list);
    if (guess)
      return maml_fail(err, err_sz, MAML_ERR_ARG,
                       "%s:%ld: unknown key '%.64s' (did you mean '%s'?): the keys are %s",
                       t->origin, no, k, guess, list);
    return maml_fail(err, err_sz, MAML_ERR_ARG, "%s:%ld: unknown key '%.64s': the keys are %s",
                     t->origin, no, k, list);
  }
  if (t->line[i])
    return maml_fail(err, err_sz, MAML_ERR_ARG, "%s:%ld: %s is given twice (first on line %ld)",
                     t->origin, no, k, t->line[i]);
  if (strlen(v) >= VALUE_MAX)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "%s:%ld: %s: the value is longer than %d bytes",
                     t->origin, no, k, VALUE_MAX - 1);
  snprintf(t->value[i], VALUE_MAX, "%s", v);
  t->line[i] = no;
  return MAML_OK;
}

static maml_status read_text(family_text *t, const char *text, size_t len, char *err,
                             size_t err_sz) {
  size_t pos = 0;
  if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) pos = 3;
  for (long no = 1; pos < len; no++) {
    const char *begin = text + pos;
    const char *nl = memchr(begin, '\n', len - pos);
    size_t n = nl ? (size_t)(nl - begin) : len - pos;
    if (memchr(begin, '\0', n))
      return maml_fail(err, err_sz, MAML_ERR_FORMAT, "%s:%ld: NUL byte (not a text file?)",
                       t->origin, no);
    if (n >= LINE_MAX)
      return maml_fail(err, err_sz, MAML_ERR_FORMAT,
                       "%s:%ld: a line of %zu bytes is longer than the limit of %d", t->origin, no,
                       n, LINE_MAX - 1);
    char line[LINE_MAX];
    memcpy(line, begin, n);
    line[n] = '\0';
    maml_status s = read_line(t, line, no, err, err_sz);
    if (s != MAML_OK) return s;
    pos += n + (nl ? 1 : 0);
  }
  return MAML_OK;
}

/* ---- values -------------------------------------------------------------------------- */

/* the message prefix of key i: "file:line: key 'value'" */
#define AT(t, i) (t)->origin, (t)->line[i], keys[i], (t)->value[i]

static int whole_decimal(const char *s, double *x) {
  size_t span = maml_decimal_span(s);
  if (span == 0 || s[span] != '\0') return 0;
  *x = strtod(s, NULL);
  return isfinite(*x);
}

/* key i as a number in [lo, hi] (def when not given) */
static maml_status get_real(const family_text *t, int i, double lo, double hi, double def,
                            double *out, char *err, size_t err_sz) {
  *out = def;
  if (!t->line[i]) return MAML_OK;
  double x;
  if (!whole_decimal(t->value[i], &x))
    return maml_fail(err, err_sz, MAML_ERR_ARG, "%s:%ld: %s '%s' is not a number: expected %s",
                     AT(t, i), MAML_DECIMAL_SYNTAX);
  if (!(x >= lo && x <= hi))
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%s:%ld: %s '%s' is outside the allowed range [%g, %g]", AT(t, i), lo, hi);
  *out = x;
  return MAML_OK;
}

static maml_status get_int(const family_text *t, int i, long lo, long hi, int def, int *out,
                           char *err, size_t err_sz) {
  *out = def;
  if (!t->line[i]) return MAML_OK;
  const char *s = t->value[i];
  size_t span = maml_integer_span(s);
  long x = span && span < 12 && s[span] == '\0' ? strtol(s, NULL, 10) : lo - 1;
  if (!span || s[span] || span >= 12 || x < lo || x > hi)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%s:%ld: %s '%s': expected an integer in [%ld, %ld] (%s)", AT(t, i), lo, hi,
                     MAML_INTEGER_SYNTAX);
  *out = (int)x;
  return MAML_OK;
}

/* "LO, HI" with LO < HI, both finite */
static int two_numbers(const char *v, double *lo, double *hi) {
  char buf[VALUE_MAX];
  snprintf(buf, sizeof buf, "%s", v);
  char *comma = strchr(buf, ',');
  if (!comma) return 0;
  *comma = '\0';
  return whole_decimal(trim(buf), lo) && whole_decimal(trim(comma + 1), hi) && *lo < *hi;
}

/* ---- the robot ----------------------------------------------------------------------- */

/* a robot of a MuJoCo model, and the strings it points to: lives as long as the registry */
typedef struct {
  maml_env_robot r;
  char name[64], path[MAML_PATH_MAX], body[VALUE_MAX], gait[VALUE_MAX];
} file_robot;

static const char *const part_names =
    "qpos, qpos[N:] (the first N coordinates left out), qvel, qvel-clip (clipped to "
    "[-10, 10]), contact-forces, body-orientation, body-com";

/* one observation part's name */
static int parse_part(const char *s, maml_env_obs_part *p) {
  p->skip = 0;
  p->bound = 0.0;
  if (!strcmp(s, "qvel")) return p->kind = MAML_OBS_QVEL, 1;
  if (!strcmp(s, "qvel-clip")) return p->kind = MAML_OBS_QVEL_CLIP, p->bound = 10.0, 1;
  if (!strcmp(s, "contact-forces")) return p->kind = MAML_OBS_CFRC_EXT, 1;
  if (!strcmp(s, "body-orientation")) return p->kind = MAML_OBS_BODY_XMAT, 1;
  if (!strcmp(s, "body-com")) return p->kind = MAML_OBS_BODY_COM, 1;
  if (!strcmp(s, "qpos")) return p->kind = MAML_OBS_QPOS, 1;
  if (strncmp(s, "qpos[", 5) != 0) return 0;
  size_t span = maml_integer_span(s + 5);
  if (!span || span > 6 || s[5] == '-' || s[5] == '+' || strcmp(s + 5 + span, ":]") != 0) return 0;
  p->kind = MAML_OBS_QPOS;
  p->skip = atoi(s + 5);
  return 1;
}

static maml_status parse_parts(const family_text *t, int i, maml_env_obs_part *parts, char *err,
                               size_t err_sz) {
  char buf[VALUE_MAX];
  snprintf(buf, sizeof buf, "%s", t->value[i]);
  int n = 0;
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    const char *s = trim(tok);
    if (n == MAML_OBS_MAX_PARTS - 1)
      return maml_fail(err, err_sz, MAML_ERR_ARG, "%s:%ld: %s '%s': more than %d parts", AT(t, i),
                       MAML_OBS_MAX_PARTS - 1);
    if (!parse_part(s, &parts[n]))
      return maml_fail(err, err_sz, MAML_ERR_ARG,
                       "%s:%ld: %s '%s': '%.64s' is not an observation part: expected a "
                       "comma-separated list of %s",
                       AT(t, i), s, part_names);
    n++;
  }
  if (n == 0)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "%s:%ld: %s: no parts given: expected a list of %s",
                     t->origin, t->line[i], keys[i], part_names);
  parts[n].kind = MAML_OBS_END;
  return MAML_OK;
}

/* the model path: relative to the family file's folder */
static maml_status model_path(const family_text *t, int i, char *out, size_t n, char *err,
                              size_t err_sz) {
  const char *v = t->value[i], *base = t->base ? t->base : t->origin;
  char dir[MAML_PATH_MAX];
  char *abs = realpath(base, NULL);
  snprintf(dir, sizeof dir, "%s", abs ? abs : base);
  free(abs);
  char *slash = strrchr(dir, '/');
  if (slash)
    *slash = '\0';
  else
    snprintf(dir, sizeof dir, ".");
  int w = v[0] == '/' ? snprintf(out, n, "%s", v) : snprintf(out, n, "%s/%s", dir, v);
  if (w < 0 || (size_t)w >= n)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "%s:%ld: %s '%s': the path is too long", AT(t, i));
  char why[MAML_PATH_MAX + 200];
  FILE *f = maml_file_fopen_input(out, why, sizeof why); /* a FIFO refused, not waited on */
  if (!f)
    return maml_fail(err, err_sz, MAML_ERR_IO,
                     "%s:%ld: %s '%s': cannot open %s (the path is relative to the family "
                     "file%s%s): %s",
                     AT(t, i), out, t->base ? " the run was trained on, " : "",
                     t->base ? t->base : "", why);
  fclose(f);
  return MAML_OK;
}

/* load the model once: its sizes, the body, the observation's size */
static maml_status check_model(const family_text *t, file_robot *fr, char *err, size_t err_sz) {
  const int im = key_index("model"), ib = key_index("body"), io = key_index("observation");
  char mjerr[1000] = "";
  mjModel *m = mj_loadXML(fr->path, NULL, mjerr, (int)sizeof mjerr);
  if (!m)
    return maml_fail(err, err_sz, MAML_ERR_FORMAT, "%s:%ld: %s '%s': MuJoCo cannot load %s: %s",
                     AT(t, im), fr->path, mjerr[0] ? mjerr : "(no reason given)");
  maml_env_robot *r = &fr->r;
  r->nq = m->nq, r->nv = m->nv, r->nu = m->nu, r->nbody = m->nbody, r->ngeom = m->ngeom;
  int body = mj_name2id(m, mjOBJ_BODY, fr->body);
  char bodies[400] = "";
  for (int b = 1, len = 0; b < m->nbody && len < (int)sizeof bodies; b++) {
    const char *bn = mj_id2name(m, mjOBJ_BODY, b);
    if (bn) len += snprintf(bodies + len, sizeof bodies - (size_t)len, "%s%s", len ? ", " : "", bn);
  }
  mj_deleteModel(m);
  if (body < 0)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%s:%ld: %s '%s': the model %s has no such body: "
                     "its bodies are %s",
                     AT(t, ib), fr->path, bodies);
  if (r->nu < 1)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "%s:%ld: %s '%s': the model %s has no actuator",
                     AT(t, im), fr->path);
  char why[256] = "";
  int size = maml_mj_obs_size(r->obs_parts, r->nq, r->nv, r->nbody, why, sizeof why);
  if (size < 1)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%s:%ld: %s '%s': does not fit the model %s (nq %d, nv %d, nbody %d): %s",
                     AT(t, io), fr->path, r->nq, r->nv, r->nbody, why);
  r->obs_dim = size;
  r->act_dim = r->nu;
  return MAML_OK;
}

/* the view hints of a robot of the size of the half-cheetah, the camera from the file; the
 * markers' sizes times marker_scale (the reacher example's 0.2 m arm: 0.06); camera_top_down 1: the
 * camera looks at the origin from above (a robot fixed there), else it tracks the body */
static maml_status read_view(const family_text *t, maml_env_view *v, char *err, size_t err_sz) {
  *v = maml_robot_half_cheetah.view;
  maml_status s =
      get_real(t, key_index("camera_distance"), 0.1, 1000, v->distance, &v->distance, err, err_sz);
  if (s == MAML_OK)
    s = get_real(t, key_index("camera_elevation"), -90, 90, v->elevation, &v->elevation, err,
                 err_sz);
  if (s == MAML_OK)
    s = get_real(t, key_index("camera_height"), -1000, 1000, v->lookat_z, &v->lookat_z, err,
                 err_sz);
  if (s == MAML_OK)
    s = get_int(t, key_index("camera_top_down"), 0, 1, 0, &v->top_down, err, err_sz);
  double k = 1;
  if (s == MAML_OK) s = get_real(t, key_index("marker_scale"), 0.001, 1000, 1, &k, err, err_sz);
  double *sizes[] = {&v->arrow_scale,  &v->arrow_width, &v->arrow_height, &v->arrow_side,
                     &v->arrow_gap,    &v->post_height, &v->post_side,    &v->trail_width,
                     &v->trail_height, &v->goal_radius, &v->goal_height};
  for (size_t j = 0; j < sizeof sizes / sizeof sizes[0]; j++) *sizes[j] *= k;
  return s;
}

static maml_status read_costs(const family_text *t, maml_env_robot *r, char *err, size_t err_sz) {
  maml_status s = get_real(t, key_index("ctrl_cost"), 0, 1e6, 0, &r->ctrl_cost, err, err_sz);
  if (s == MAML_OK)
    s = get_real(t, key_index("contact_cost"), 0, 1e6, 0, &r->contact_cost, err, err_sz);
  if (s == MAML_OK)
    s = get_real(t, key_index("alive_bonus"), -1e6, 1e6, 0, &r->alive_bonus, err, err_sz);
  if (s == MAML_OK)
    s = get_real(t, key_index("qpos_noise"), 0, 1e3, MAML_MJ_QPOS_NOISE, &r->qpos_noise, err,
                 err_sz);
  if (s == MAML_OK)
    s = get_real(t, key_index("qvel_noise"), 0, 1e3, MAML_MJ_QVEL_NOISE, &r->qvel_noise, err,
                 err_sz);
  if (s != MAML_OK) return s;
  const int it = key_index("termination"), ih = key_index("height_index");
  if (t->line[it] && strcmp(t->value[it], "none") != 0 &&
      !two_numbers(t->value[it], &r->z_min, &r->z_max))
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%s:%ld: %s '%s': expected none, or the height range 'LO, HI' (LO < HI, %s)",
                     AT(t, it), MAML_DECIMAL_SYNTAX);
  s = get_int(t, ih, 0, 1000000, 2, &r->height_index, err, err_sz);
  if (s == MAML_OK && r->z_max > r->z_min && r->height_index >= r->nq)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%s:%ld: %s '%s': the model has %d position coordinates (0 to %d)", AT(t, ih),
                     r->nq, r->nq - 1);
  if (r->z_max <= r->z_min) r->height_index = 0;
  return s;
}

/* the robot the file describes: a built-in one by name, or a MuJoCo model */
static maml_status read_robot(const family_text *t, const maml_env_robot **out, char *err,
                              size_t err_sz) {
  const int irb = key_index("robot"), im = key_index("model"), ib = key_index("body"),
            io = key_index("observation");
  char names[512];
  maml_env_robot_names(names, sizeof names);
  if (t->line[irb]) {
    const maml_env_robot *r = maml_env_find_robot(t->value[irb]);
    if (!r)
      return maml_fail(err, err_sz, MAML_ERR_ARG,
                       "%s:%ld: %s '%s' is not a built-in robot: expected one of %s (or leave "
                       "robot out and give model, body and observation)",
                       AT(t, irb), names);
    for (int k = im; k < NKEYS; k++)
      if (t->line[k] && (k <= key_index("qvel_noise") || k >= key_index("camera_distance")))
        return maml_fail(err, err_sz, MAML_ERR_ARG,
                         "%s:%ld: %s: a built-in robot (robot = %s) takes no %s; describe a "
                         "robot of your own with model, body and observation instead",
                         t->origin, t->line[k], keys[k], t->value[irb], keys[k]);
    *out = r;
    return MAML_OK;
  }
  for (int k = im; k <= io; k++)
    if (!t->line[k])
      return maml_fail(err, err_sz, MAML_ERR_ARG,
                       "%s: no %s: give robot = one of %s, or model, body and observation",
                       t->origin, keys[k], names);
  file_robot *fr = calloc(1, sizeof *fr);
  if (!fr) return maml_fail(err, err_sz, MAML_ERR_NOMEM, "%s: out of memory", t->origin);
  maml_env_robot *r = &fr->r;
  maml_status s = model_path(t, im, fr->path, sizeof fr->path, err, err_sz);
  if (s == MAML_OK) s = parse_parts(t, io, r->obs_parts, err, err_sz);
  snprintf(fr->body, sizeof fr->body, "%s", t->value[ib]);
  if (s == MAML_OK) s = check_model(t, fr, err, err_sz);
  if (s == MAML_OK) s = read_costs(t, r, err, err_sz);
  if (s == MAML_OK) s = read_view(t, &r->view, err, err_sz);
  if (s != MAML_OK) {
    free(fr);
    return s;
  }
  const char *base = strrchr(fr->path, '/');
  snprintf(fr->name, sizeof fr->name, "%.63s", base ? base + 1 : fr->path);
  char *dot = strrchr(fr->name, '.');
  if (dot && dot != fr->name) *dot = '\0';
  snprintf(fr->gait, sizeof fr->gait, "%s",
           t->line[key_index("gait")] ? t->value[key_index("gait")] : "move");
  r->name = fr->name;
  r->model_file = fr->path;
  r->body = fr->body;
  r->gait = fr->gait;
  for (int k = 0; r->obs_parts[k].kind != MAML_OBS_END; k++)
    if (r->obs_parts[k].kind == MAML_OBS_CFRC_EXT) r->forces = 1;
  if (r->contact_cost > 0) r->forces = 1;
  r->reset = maml_mj_robot_reset;
  r->advance = maml_mj_robot_advance;
  r->observe = maml_mj_observe;
  *out = r;
  return MAML_OK;
}

/* ---- the task ------------------------------------------------------------------------ */

#define KIND_NAMES "goal-velocity, goal-direction, goal-position, goal-heading or dynamics"
#define PARAM_NAMES "mass, inertia, friction, damping"

/* params: a comma-separated subset of PARAM_NAMES into MAML_DYN_* bits */
static maml_status read_params(const family_text *t, int i, unsigned *params, char *err,
                               size_t err_sz) {
  static const char *const names[4] = {"mass", "inertia", "friction", "damping"};
  static const unsigned bits[4] = {MAML_DYN_MASS, MAML_DYN_INERTIA, MAML_DYN_FRICTION,
                                   MAML_DYN_DAMPING};
  *params = MAML_DYN_ALL;
  if (!t->line[i]) return MAML_OK;
  char buf[VALUE_MAX];
  snprintf(buf, sizeof buf, "%s", t->value[i]);
  unsigned p = 0;
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    const char *name = trim(tok);
    int j = 0;
    while (j < 4 && strcmp(name, names[j]) != 0) j++;
    if (j == 4)
      return maml_fail(err, err_sz, MAML_ERR_ARG,
                       "%s:%ld: %s '%s': '%.64s' is not a dynamics parameter: expected a "
                       "comma-separated list of " PARAM_NAMES,
                       AT(t, i), name);
    p |= bits[j];
  }
  if (!p)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%s:%ld: %s: none given: expected a comma-separated list of " PARAM_NAMES,
                     t->origin, t->line[i], keys[i]);
  *params = p;
  return MAML_OK;
}

/* goal_range: required (velocity, position), optional (heading: the full circle; dynamics:
 * u in [-3, 3]) or refused (direction) */
static maml_status read_range(const family_text *t, maml_env_family *f, char *err, size_t err_sz) {
  const int ik = key_index("task"), ir = key_index("goal_range");
  const maml_env_task_kind *k = f->kind;
  if (k == &maml_task_goal_direction && t->line[ir])
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%s:%ld: %s: goal-direction draws -1 or 1 and takes no range", t->origin,
                     t->line[ir], keys[ir]);
  if (k == &maml_task_goal_direction) return MAML_OK;
  if (!t->line[ir] && k == &maml_task_dynamics) return f->dist.lo = -3, f->dist.hi = 3, MAML_OK;
  if (!t->line[ir] && k == &maml_task_goal_heading) return MAML_OK; /* lo = hi = 0: [0, 2 pi) */
  if (!t->line[ir])
    return maml_fail(err, err_sz, MAML_ERR_ARG, "%s: %s needs goal_range = LO, HI", t->origin,
                     t->value[ik]);
  if (!two_numbers(t->value[ir], &f->dist.lo, &f->dist.hi))
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%s:%ld: %s '%s': expected 'LO, HI' with LO < HI (%s)", AT(t, ir),
                     MAML_DECIMAL_SYNTAX);
  return MAML_OK;
}

static maml_status read_task(const family_text *t, maml_env_family *f, char *err, size_t err_sz) {
  static const maml_env_task_kind *const kinds[] = {
      &maml_task_goal_velocity, &maml_task_goal_direction, &maml_task_goal_position,
      &maml_task_goal_heading, &maml_task_dynamics};
  const int ik = key_index("task"), ip = key_index("params");
  if (!t->line[ik])
    return maml_fail(err, err_sz, MAML_ERR_ARG, "%s: no task: expected task = " KIND_NAMES,
                     t->origin);
  for (size_t j = 0; j < sizeof kinds / sizeof kinds[0]; j++)
    if (!strcmp(t->value[ik], kinds[j]->name)) f->kind = kinds[j];
  if (!f->kind)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%s:%ld: %s '%s' is not a task kind: expected " KIND_NAMES, AT(t, ik));
  maml_status s = read_range(t, f, err, err_sz);
  if (s != MAML_OK) return s;
  int pos = f->kind == &maml_task_goal_position;
  for (int k = key_index("norm"); k <= key_index("reach_tol"); k++)
    if (!pos && t->line[k])
      return maml_fail(err, err_sz, MAML_ERR_ARG, "%s:%ld: %s: only goal-position takes %s",
                       t->origin, t->line[k], keys[k], keys[k]);
  if (f->kind != &maml_task_dynamics && t->line[ip])
    return maml_fail(err, err_sz, MAML_ERR_ARG, "%s:%ld: %s: only dynamics takes %s", t->origin,
                     t->line[ip], keys[ip], keys[ip]);
  s = get_real(t, key_index("bonus"), -1e6, 1e6, 0, &f->dist.bonus, err, err_sz);
  if (s == MAML_OK)
    s = get_int(t, key_index("norm"), 1, 2, pos ? 2 : 0, &f->dist.norm, err, err_sz);
  if (s == MAML_OK)
    s = get_real(t, key_index("reach_tol"), 0, 1e6, 0, &f->dist.reach_tol, err, err_sz);
  if (s == MAML_OK && f->kind == &maml_task_dynamics)
    s = read_params(t, ip, &f->dist.params, err, err_sz);
  return s;
}

static maml_status read_preset(const family_text *t, maml_env_family *f, char *err, size_t err_sz) {
  maml_env_preset *p = &f->preset;
  struct {
    const char *key;
    int *field;
    long lo, def;
  } ints[] = {{"horizon", &f->horizon, 1, 200},           {"tasks", &p->tasks, 0, 0},
              {"episodes", &p->episodes, 0, 0},           {"iterations", &p->iterations, 0, 0},
              {"eval_episodes", &p->eval_episodes, 0, 0}, {"eval_steps", &p->eval_steps, 0, 0}};
  for (size_t j = 0; j < sizeof ints / sizeof ints[0]; j++) {
    maml_status s = get_int(t, key_index(ints[j].key), ints[j].lo, 1000000, (int)ints[j].def,
                            ints[j].field, err, err_sz);
    if (s != MAML_OK) return s;
  }
  return MAML_OK;
}

/* ---- files --------------------------------------------------------------------------- */

/* a family registered from a file, that file's hash and its bytes (kept for the messages
 * that say what differs) */
typedef struct {
  char name[64];
  uint64_t hash;
  char path[MAML_PATH_MAX];
  char *text;
  size_t len;
} file_family;

static file_family loaded[MAML_ENV_MAX_FAMILIES];
static int n_loaded;

static int differences(const char *a, size_t a_len, const char *a_name, const family_text *tb,
                       char *buf, size_t n);

/* the family text's name and robot and task, registered (text: its bytes) */
static maml_status build(const family_text *t, const char *text, size_t len, uint64_t hash,
                         char *name, size_t name_n, char *err, size_t err_sz) {
  const int in = key_index("name");
  if (!t->line[in])
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%s: no name: give name = NAME (1 to 31 letters, "
                     "digits, - _ .)",
                     t->origin);
  for (int i = 0; i < n_loaded; i++)
    if (!strcmp(loaded[i].name, t->value[in])) {
      char what[2048];
      if (loaded[i].hash != hash &&
          differences(loaded[i].text, loaded[i].len, loaded[i].path, t, what, sizeof what) == 0)
        snprintf(what, sizeof what, "no key differs, only comments or spacing");
      if (loaded[i].hash != hash)
        return maml_fail(err, err_sz, MAML_ERR_ARG,
                         "%s:%ld: %s '%s': the family is already defined differently by %s: %s",
                         AT(t, in), loaded[i].path, what);
      snprintf(name, name_n, "%s", loaded[i].name);
      return MAML_OK;
    }
  if (maml_env_find(t->value[in]))
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%s:%ld: %s '%s' is taken by a built-in family: the families are %s",
                     AT(t, in), maml_env_names());
  maml_env_family f;
  memset(&f, 0, sizeof f);
  f.name = t->value[in];
  maml_status s = read_task(t, &f, err, err_sz);
  if (s == MAML_OK) s = read_preset(t, &f, err, err_sz);
  if (s == MAML_OK) s = read_robot(t, &f.robot, err, err_sz);
  if (s != MAML_OK) return s;
  char why[1200];
  if (maml_env_register(&f, why, sizeof why) != MAML_OK) {
    if (f.robot->reset == maml_mj_robot_reset && !t->line[key_index("robot")])
      free((void *)(uintptr_t)f.robot); /* the file's own robot (a file_robot) */
    return maml_fail(err, err_sz, MAML_ERR_ARG, "%s: %s", t->origin, why);
  }
  file_family *l = &loaded[n_loaded++]; /* fits: the registry has room for it */
  if ((l->text = malloc(len + 1))) memcpy(l->text, text, len), l->len = len;
  snprintf(l->name, sizeof l->name, "%s", f.name);
  snprintf(l->path, sizeof l->path, "%s", t->origin);
  l->hash = hash;
  snprintf(name, name_n, "%s", l->name);
  return MAML_OK;
}

int maml_env_is_file(const char *v) {
  if (!v) return 0;
  size_t n = strlen(v);
  return strchr(v, '/') || (n >= 4 && !strcmp(v + n - 4, ".ini"));
}

maml_status maml_env_file_read(const char *path, char **text, size_t *len, uint64_t *hash,
                               char *err, size_t err_sz) {
  *text = NULL;
  FILE *f = maml_file_fopen_input(path, err, err_sz);
  if (!f) return MAML_ERR_IO;
  char *buf = malloc(FILE_MAX_BYTES + 1);
  size_t n = buf ? fread(buf, 1, FILE_MAX_BYTES + 1, f) : 0;
  int bad = !buf || ferror(f);
  fclose(f);
  if (bad || n > FILE_MAX_BYTES) {
    free(buf);
    return maml_fail(err, err_sz, bad ? MAML_ERR_IO : MAML_ERR_FORMAT, "%s: %s", path,
                     bad ? "cannot read the family file" : "larger than 1 MiB: not a family file");
  }
  *text = buf;
  *len = n;
  if (hash) *hash = maml_hash(MAML_HASH_START, buf, n);
  return MAML_OK;
}

maml_status maml_env_file_check(const char *text, size_t len, const char *origin, char *err,
                                size_t err_sz) {
  family_text *t = calloc(1, sizeof *t);
  if (!t) return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory");
  t->origin = origin ? origin : "<family>";
  maml_status s = read_text(t, text, len, err, err_sz);
  maml_env_family f; /* the values that need no model */
  maml_env_robot r;
  memset(&f, 0, sizeof f);
  memset(&r, 0, sizeof r);
  r.nq = 1000000;
  const int io = key_index("observation");
  if (s == MAML_OK) s = read_task(t, &f, err, err_sz);
  if (s == MAML_OK) s = read_preset(t, &f, err, err_sz);
  if (s == MAML_OK && t->line[io]) s = parse_parts(t, io, r.obs_parts, err, err_sz);
  if (s == MAML_OK) s = read_costs(t, &r, err, err_sz);
  if (s == MAML_OK) s = read_view(t, &r.view, err, err_sz);
  free(t);
  return s;
}

static int stand_in(const char *path, char *name, size_t name_n, uint64_t *hash);

maml_status maml_env_use(const char *v, char *name, size_t name_n, uint64_t *hash, char *err,
                         size_t err_sz) {
  if (hash) *hash = 0;
  if (!maml_env_is_file(v)) {
    if (!maml_env_find(v))
      return maml_fail(err, err_sz, MAML_ERR_ARG,
                       "'%s' is not a known family: expected one of "
                       "%s, or a family file (a path with '/' or ending in .ini)",
                       v ? v : "(none)", maml_env_names());
    snprintf(name, name_n, "%s", v);
    return MAML_OK;
  }
  if (stand_in(v, name, name_n, hash)) return MAML_OK; /* a run's copy defines it */
  char *text;
  size_t len;
  uint64_t h;
  maml_status s = maml_env_file_read(v, &text, &len, &h, err, err_sz);
  if (s != MAML_OK) return s;
  family_text *t = calloc(1, sizeof *t);
  if (!t) {
    free(text);
    return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory");
  }
  t->origin = v;
  s = read_text(t, text, len, err, err_sz);
  if (s == MAML_OK) s = build(t, text, len, h, name, name_n, err, err_sz);
  free(text);
  free(t);
  if (s == MAML_OK && hash) *hash = h;
  return s;
}

/* ---- what two family files set differently, runs' copies ------------------------------- */

#define SHOWN_DIFFERENCES 4

/* key i's value in t, quoted, or "not set" */
static void shown_value(const family_text *t, int i, char *buf, size_t n) {
  if (t->line[i])
    snprintf(buf, n, "'%s'", t->value[i]);
  else
    snprintf(buf, n, "not set");
}

/* the keys ta and tb set differently: their number; the first few into buf */
static int compare_texts(const family_text *ta, const family_text *tb, char *buf, size_t n) {
  int count = 0;
  size_t len = 0;
  if (n) buf[0] = '\0';
  for (int i = 0; i < NKEYS; i++) {
    if (ta->line[i] == 0 && tb->line[i] == 0) continue;
    if (ta->line[i] && tb->line[i] && !strcmp(ta->value[i], tb->value[i])) continue;
    if (++count > SHOWN_DIFFERENCES || len >= n) continue;
    char va[VALUE_MAX + 2], vb[VALUE_MAX + 2];
    shown_value(ta, i, va, sizeof va);
    shown_value(tb, i, vb, sizeof vb);
    len += (size_t)snprintf(buf + len, n - len, "%s%s: %s in %s, %s in %s", count > 1 ? "; " : "",
                            keys[i], va, ta->origin, vb, tb->origin);
  }
  if (count > SHOWN_DIFFERENCES && len < n)
    snprintf(buf + len, n - len, "; and %d more", count - SHOWN_DIFFERENCES);
  return count;
}

/* text a (named a_name) against the parsed tb: compare_texts's, or -1 when a does not
 * parse (the reason in buf) */
static int differences(const char *a, size_t a_len, const char *a_name, const family_text *tb,
                       char *buf, size_t n) {
  family_text *ta = calloc(1, sizeof *ta);
  if (!ta || !a) {
    free(ta);
    snprintf(buf, n, "%s", ta ? "its text is not kept" : "out of memory");
    return -1;
  }
  ta->origin = a_name;
  int count = read_text(ta, a, a_len, buf, n) == MAML_OK ? compare_texts(ta, tb, buf, n) : -1;
  free(ta);
  return count;
}

int maml_env_file_diff(const char *a, size_t a_len, const char *a_name, const char *b, size_t b_len,
                       const char *b_name, char *buf, size_t n) {
  family_text *tb = calloc(1, sizeof *tb);
  if (!tb || !a || !b) {
    free(tb);
    snprintf(buf, n, "%s", tb ? "NULL argument" : "out of memory");
    return -1;
  }
  tb->origin = b_name ? b_name : "<b>";
  int count = read_text(tb, b, b_len, buf, n) == MAML_OK
                  ? differences(a, a_len, a_name ? a_name : "<a>", tb, buf, n)
                  : -1;
  free(tb);
  return count;
}

static const file_family *loaded_family(const char *name) {
  for (int i = 0; i < n_loaded; i++)
    if (!strcmp(loaded[i].name, name)) return &loaded[i];
  return NULL;
}

int maml_env_family_diff(const char *a, const char *b, char *buf, size_t n) {
  const file_family *fa = a ? loaded_family(a) : NULL, *fb = b ? loaded_family(b) : NULL;
  if (!fa || !fb) {
    snprintf(buf, n, "not a family file's family");
    return -1;
  }
  return maml_env_file_diff(fa->text, fa->len, fa->path, fb->text, fb->len, fb->path, buf, n);
}

/* family files whose family a run's copy defines (maml_env_use_copy) */
static struct {
  char path[MAML_PATH_MAX];
  int family; /* its index in loaded */
} stand_ins[MAML_ENV_MAX_FAMILIES];
static int n_stand_ins;

/* the family a copy defines for path (the latest one: a run's copy is made usable just
 * before its config is read): 1 and its name, else 0 */
static int stand_in(const char *path, char *name, size_t name_n, uint64_t *hash) {
  for (int i = n_stand_ins - 1; i >= 0; i--)
    if (!strcmp(stand_ins[i].path, path)) {
      snprintf(name, name_n, "%s", loaded[stand_ins[i].family].name);
      if (hash) *hash = loaded[stand_ins[i].family].hash;
      return 1;
    }
  return 0;
}

/* a copy whose bytes no longer hash as recorded: what to do */
static maml_status edited_copy(const char *copy, const char *recorded, uint64_t now, uint64_t hash,
                               char *err, size_t err_sz) {
  char h_now[17], h_rec[17], h_orig[17] = "";
  maml_env_format_hash(now, h_now);
  maml_env_format_hash(hash, h_rec);
  char *text = NULL, why[256];
  size_t len;
  uint64_t h;
  if (maml_env_file_read(recorded, &text, &len, &h, why, sizeof why) == MAML_OK)
    maml_env_format_hash(h, h_orig);
  free(text);
  return maml_fail(err, err_sz, MAML_ERR_ARG,
                   "%s, the run's copy of the family file it was trained on, has been edited: "
                   "its bytes hash to %s, the run recorded %s (family_hash)%s%s%s",
                   copy, h_now, h_rec,
                   !strcmp(h_orig, h_rec) ? "; the family file " : "; restore the copy",
                   !strcmp(h_orig, h_rec) ? recorded : ", or start a new run",
                   !strcmp(h_orig, h_rec) ? " still hashes as recorded: copy it back" : "");
}

/* the notice when the family file recorded exists and differs from the run's copy */
static void changed_original(const char *copy, const family_text *tc, const char *recorded,
                             uint64_t hash, char *notice, size_t n) {
  char *text = NULL, why[256];
  size_t len;
  uint64_t h;
  if (!n || maml_env_file_read(recorded, &text, &len, &h, why, sizeof why) != MAML_OK ||
      h == hash) {
    free(text);
    return;
  }
  family_text *tr = calloc(1, sizeof *tr);
  char *what = malloc(n);
  if (tr && what) {
    tr->origin = "the file";
    int count = read_text(tr, text, len, what, n) == MAML_OK ? compare_texts(tc, tr, what, n) : -1;
    snprintf(notice, n,
             "the family file %s has changed since the run was trained (%s%s); using the "
             "run's copy %s, the environment it was trained on",
             recorded, count < 0 ? "it does not read: " : "",
             count == 0 ? "no key differs, only comments or spacing" : what, copy);
  }
  free(tr), free(what), free(text);
}

maml_status maml_env_use_copy(const char *copy, const char *recorded, uint64_t hash, char *name,
                              size_t name_n, char *notice, size_t notice_n, char *err,
                              size_t err_sz) {
  if (notice && notice_n) notice[0] = '\0';
  if (!copy || !recorded) return maml_fail(err, err_sz, MAML_ERR_ARG, "NULL argument");
  uint64_t known;
  if (stand_in(recorded, name, name_n, &known) && known == hash) return MAML_OK;
  if (n_stand_ins == MAML_ENV_MAX_FAMILIES)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "%s: more than %d runs' family files", copy,
                     MAML_ENV_MAX_FAMILIES);
  char *text;
  size_t len;
  uint64_t h;
  maml_status s = maml_env_file_read(copy, &text, &len, &h, err, err_sz);
  if (s != MAML_OK) return s;
  family_text *t = h == hash ? calloc(1, sizeof *t) : NULL;
  if (h != hash)
    s = edited_copy(copy, recorded, h, hash, err, err_sz);
  else if (!t)
    s = maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory");
  if (t) {
    t->origin = copy;
    t->base = recorded; /* the model is where it was for the file the run read */
    s = read_text(t, text, len, err, err_sz);
  }
  if (s == MAML_OK) s = build(t, text, len, h, name, name_n, err, err_sz);
  if (s == MAML_OK) {
    snprintf(stand_ins[n_stand_ins].path, MAML_PATH_MAX, "%s", recorded);
    stand_ins[n_stand_ins++].family = (int)(loaded_family(name) - loaded);
    t->origin = "the copy";
    if (notice) changed_original(copy, t, recorded, hash, notice, notice_n);
  }
  free(t);
  free(text);
  return s;
}
