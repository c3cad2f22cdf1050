/* The family registry: the built-in families, registered on first use, and those a
 * program registers at run time; the texts made from it (names, preset defaults). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "envs/family.h"
#include "envs/mujoco_env.h"
#include "maml/env.h"

#define NAME_MAX_LEN 31
#define TEXT_MAX 128

/* a registered family and the texts made for it */
typedef struct {
  maml_env_family f;
  char name[NAME_MAX_LEN + 1];
  char desc[TEXT_MAX], syntax[TEXT_MAX];
} slot;

static slot slots[MAML_ENV_MAX_FAMILIES];
static const maml_env_family *list[MAML_ENV_MAX_FAMILIES];
static int count;
static char names[MAML_ENV_MAX_FAMILIES * (NAME_MAX_LEN + 2) + 1];

/* The families' sample_task and parse_task take no family: each slot has its own pair of
 * trampolines into the kind's functions. */
static void sample_in(int i, maml_rng *rng, double *task) {
  slots[i].f.kind->sample(&slots[i].f, rng, task);
}
static maml_status parse_in(int i, const char *text, double *task, char *err, size_t err_sz) {
  return slots[i].f.kind->parse(&slots[i].f, text, task, err, err_sz);
}
// clang-format off
#define TRAMPOLINES(i)                                                                      \
  static void sample_##i(maml_rng *rng, double *task) { sample_in(i, rng, task); }           \
  static maml_status parse_##i(const char *text, double *task, char *err, size_t err_sz) { \
    return parse_in(i, text, task, err, err_sz);                                           \
  }
TRAMPOLINES(0) TRAMPOLINES(1) TRAMPOLINES(2) TRAMPOLINES(3) TRAMPOLINES(4) TRAMPOLINES(5)
TRAMPOLINES(6) TRAMPOLINES(7) TRAMPOLINES(8) TRAMPOLINES(9) TRAMPOLINES(10) TRAMPOLINES(11)
TRAMPOLINES(12) TRAMPOLINES(13) TRAMPOLINES(14) TRAMPOLINES(15) TRAMPOLINES(16)
TRAMPOLINES(17) TRAMPOLINES(18) TRAMPOLINES(19) TRAMPOLINES(20) TRAMPOLINES(21)
TRAMPOLINES(22) TRAMPOLINES(23) TRAMPOLINES(24) TRAMPOLINES(25) TRAMPOLINES(26)
TRAMPOLINES(27) TRAMPOLINES(28) TRAMPOLINES(29) TRAMPOLINES(30) TRAMPOLINES(31)
#define T4(a, b, c, d) x(a), x(b), x(c), x(d)
#define x(i) sample_##i
static void (*const samplers[MAML_ENV_MAX_FAMILIES])(maml_rng *, double *) = {
    T4(0, 1, 2, 3),     T4(4, 5, 6, 7),     T4(8, 9, 10, 11),   T4(12, 13, 14, 15),
    T4(16, 17, 18, 19), T4(20, 21, 22, 23), T4(24, 25, 26, 27), T4(28, 29, 30, 31)};
#undef x
#define x(i) parse_##i
static maml_status (*const parsers[MAML_ENV_MAX_FAMILIES])(const char *, double *, char *,
                                                           size_t) = {
    T4(0, 1, 2, 3),     T4(4, 5, 6, 7),     T4(8, 9, 10, 11),   T4(12, 13, 14, 15),
    T4(16, 17, 18, 19), T4(20, 21, 22, 23), T4(24, 25, 26, 27), T4(28, 29, 30, 31)};
#undef x
#undef T4
// clang-format on

static int name_char_ok(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

/* 0 when the robot's observation parts (if any) make obs_dim numbers, else why not */
static int parts_bad(const maml_env_robot *r, char *why, size_t n) {
  if (r->obs_parts[0].kind == MAML_OBS_END) return 0;
  char what[200] = "";
  int size = maml_mj_obs_size(r->obs_parts, r->nq, r->nv, r->nbody, what, sizeof what);
  if (size == r->obs_dim) return 0;
  if (size < 0)
    snprintf(why, n, "the robot %s: %s", r->name, what);
  else
    snprintf(why, n, "the robot %s: its observation parts make %d numbers, not obs_dim %d", r->name,
             size, r->obs_dim);
  return 1;
}

/* 1 when the robot observes the contact forces */
static int reads_forces(const maml_env_robot *r) {
  for (int p = 0; p < MAML_OBS_MAX_PARTS && r->obs_parts[p].kind != MAML_OBS_END; p++)
    if (r->obs_parts[p].kind == MAML_OBS_CFRC_EXT ||
        r->obs_parts[p].kind == MAML_OBS_CFRC_EXT_RAW ||
        r->obs_parts[p].kind == MAML_OBS_QFRC_ACTUATOR)
      return 1;
  return 0;
}

/* 0 when the robot can be stepped, else why not */
static int robot_bad(const maml_env_robot *r, char *why, size_t n) {
  if (!r->name || !r->reset || !r->advance || !r->observe)
    snprintf(why, n, "the robot lacks its name, reset, advance or observe");
  else if (r->obs_dim < 1 || r->act_dim < 1)
    snprintf(why, n, "the robot %s has obs_dim %d, act_dim %d: expected at least 1", r->name,
             r->obs_dim, r->act_dim);
  else if (r->model_file && !r->body)
    snprintf(why, n, "the robot %s has a model but no body whose motion counts", r->name);
  else if (r->obs_parts[0].kind != MAML_OBS_END && !r->model_file)
    snprintf(why, n, "the robot %s has observation parts but no model to read them from", r->name);
  else if (parts_bad(r, why, n))
    return 1;
  else if (r->model_file && r->z_max > r->z_min &&
           (r->height_index < 0 || r->height_index >= r->nq))
    snprintf(why, n, "the robot %s: height_index %d outside [0, nq %d)", r->name, r->height_index,
             r->nq);
  else if (r->model_file && r->angle_max > 0 && (r->angle_index < 0 || r->angle_index >= r->nq))
    snprintf(why, n, "the robot %s: angle_index %d outside [0, nq %d)", r->name, r->angle_index,
             r->nq);
  else if (r->frame_skip < 0 || r->frame_skip > MAML_FRAME_SKIP_MAX)
    snprintf(why, n, "the robot %s: frame_skip %d outside [0, %d]", r->name, r->frame_skip,
             MAML_FRAME_SKIP_MAX);
  else if (r->root_velocity && (!r->model_file || r->nq < 1))
    snprintf(why, n, "the robot %s: root_velocity needs a model with qpos", r->name);
  else if (!(r->contact_max >= 0.0))
    snprintf(why, n, "the robot %s: contact_max %g: expected >= 0", r->name, r->contact_max);
  else if (r->model_file && !r->forces && (r->contact_cost != 0.0 || reads_forces(r)))
    snprintf(why, n, "the robot %s has a contact cost or observes contact forces: set forces 1",
             r->name);
  else
    return 0;
  return 1;
}

static int kind_bad(const maml_env_task_kind *k, char *why, size_t n) {
  if (!k->name || !k->sample || !k->parse || !k->describe || !k->goal_text || !k->reward ||
      !k->check)
    snprintf(why, n, "the task kind lacks its name or one of its functions");
  else if (k->family_dim ? k->dim != 0 : k->dim < 1 || k->dim > MAML_TASK_MAX)
    snprintf(why, n, "the task kind %s has %d numbers: expected 1 to %d", k->name, k->dim,
             MAML_TASK_MAX);
  else if (k->discrete && !k->goals)
    snprintf(why, n, "the task kind %s is discrete but does not list its goals", k->name);
  else
    return 0;
  return 1;
}

/* 0 when f may be registered, else a message naming the bad field */
static int family_bad(const maml_env_family *f, char *why, size_t n) {
  if (!f) return snprintf(why, n, "no family given (NULL)"), 1;
  size_t len = f->name ? strlen(f->name) : 0;
  int name_ok = len >= 1 && len <= NAME_MAX_LEN;
  for (size_t i = 0; name_ok && i < len; i++) name_ok = name_char_ok(f->name[i]);
  if (!name_ok)
    return snprintf(why, n, "the name '%.64s' is not 1 to %d letters, digits, - _ .",
                    f->name ? f->name : "(none)", NAME_MAX_LEN),
           1;
  if (maml_env_find(f->name))
    return snprintf(why, n, "%s: the name is taken: the families are %.900s", f->name,
                    maml_env_names()),
           1;
  if (!f->robot) return snprintf(why, n, "%s: no robot", f->name), 1;
  if (!f->kind) return snprintf(why, n, "%s: no task kind", f->name), 1;
  char what[256];
  if (robot_bad(f->robot, what, sizeof what) || kind_bad(f->kind, what, sizeof what) ||
      f->kind->check(&f->dist, what, sizeof what) ||
      (f->kind->robot_check && f->kind->robot_check(f->robot, what, sizeof what)))
    return snprintf(why, n, "%s: %s", f->name, what), 1;
  int dim = f->kind->family_dim ? f->kind->family_dim(f) : f->kind->dim;
  if (dim < 1 || dim > MAML_TASK_MAX) /* a dynamics task's numbers come from the robot */
    return snprintf(why, n,
                    "%s: the task kind %s gives the robot %s %d numbers a task: expected 1 "
                    "to %d (does the robot give nbody, ngeom and nv?)",
                    f->name, f->kind->name, f->robot->name, dim, MAML_TASK_MAX),
           1;
  const maml_env_preset *p = &f->preset;
  if (f->horizon < 1 || p->tasks < 0 || p->episodes < 0 || p->iterations < 0 ||
      p->eval_episodes < 0 || p->eval_steps < 0 ||
      !(p->alpha == 0 || (p->alpha >= 1e-8 && p->alpha <= 100)))
    return snprintf(why, n,
                    "%s: horizon %d (expected >= 1), preset tasks %d, episodes %d, iterations "
                    "%d, eval_episodes %d, eval_steps %d (expected >= 0, 0: the default), alpha "
                    "%g (expected 0 or in [1e-8, 100])",
                    f->name, f->horizon, p->tasks, p->episodes, p->iterations, p->eval_episodes,
                    p->eval_steps, p->alpha),
           1;
  if (count == MAML_ENV_MAX_FAMILIES)
    return snprintf(why, n, "%s: the registry is full (%d families)", f->name,
                    MAML_ENV_MAX_FAMILIES),
           1;
  return 0;
}

/* copy f into the next slot and fill its derived fields; f is valid */
static void add(const maml_env_family *f) {
  int i = count;
  slot *s = &slots[i];
  s->f = *f;
  snprintf(s->name, sizeof s->name, "%s", f->name);
  s->f.name = s->name;
  s->f.model_file = f->robot->model_file;
  s->f.obs_dim = f->robot->obs_dim;
  s->f.act_dim = f->robot->act_dim;
  s->f.task_dim = f->kind->family_dim ? f->kind->family_dim(f) : f->kind->dim;
  f->kind->describe(&s->f, s->desc, sizeof s->desc, s->syntax, sizeof s->syntax);
  s->f.task_desc = s->desc;
  s->f.goal_syntax = s->syntax;
  s->f.sample_task = samplers[i];
  s->f.parse_task = parsers[i];
  list[i] = &s->f;
  size_t len = strlen(names);
  snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "", s->name);
  count++;
}

static pthread_once_t builtins_once = PTHREAD_ONCE_INIT;

static void add_builtins(void) {
  for (int i = 0; i < maml_builtin_family_count; i++) add(maml_builtin_families[i]);
}

static void builtins(void) {
  pthread_once(&builtins_once, add_builtins);
}

maml_status maml_env_register(const maml_env_family *f, char *err, size_t err_sz) {
  builtins();
  char why[1024];
  if (family_bad(f, why, sizeof why))
    return maml_fail(err, err_sz, MAML_ERR_ARG, "maml_env_register: %s", why);
  add(f);
  return MAML_OK;
}

const maml_env_family *const *maml_env_families(int *n) {
  builtins();
  if (n) *n = count;
  return list;
}

const maml_env_family *maml_env_find(const char *name) {
  builtins();
  if (!name) return NULL;
  for (int i = 0; i < count; i++)
    if (!strcmp(list[i]->name, name)) return list[i];
  return NULL;
}

const char *maml_env_names(void) {
  builtins();
  return names;
}

/* ---- texts from the registry ---------------------------------------------------------- */

int maml_env_preset_value(const maml_env_family *f, maml_env_preset_field field) {
  const maml_env_preset *p = &f->preset;
  switch (field) {
    case MAML_PRESET_TASKS: return p->tasks ? p->tasks : MAML_ENV_TASKS;
    case MAML_PRESET_EPISODES: return p->episodes ? p->episodes : MAML_ENV_EPISODES;
    case MAML_PRESET_ITERATIONS: return p->iterations ? p->iterations : MAML_ENV_ITERATIONS;
    case MAML_PRESET_HORIZON: return f->horizon;
    case MAML_PRESET_EVAL_EPISODES:
      return p->eval_episodes ? p->eval_episodes : MAML_ENV_EVAL_EPISODES;
    case MAML_PRESET_EVAL_STEPS: return p->eval_steps ? p->eval_steps : MAML_ENV_EVAL_STEPS;
  }
  return 0;
}

int maml_env_preset_text(maml_env_preset_field field, char *buf, size_t n) {
  builtins();
  if (!buf && n > 0) return -1;
  int values[MAML_ENV_MAX_FAMILIES], seen[MAML_ENV_MAX_FAMILIES] = {0};
  for (int i = 0; i < count; i++) values[i] = maml_env_preset_value(list[i], field);
  int common = 0, most = 0; /* the value most families have; the first on a tie */
  for (int i = 0; i < count; i++) {
    int same = 0;
    for (int j = 0; j < count; j++) same += values[j] == values[i];
    if (same > most) most = same, common = values[i];
  }
  char text[MAML_ENV_MAX_FAMILIES * (NAME_MAX_LEN + 16) + 32];
  size_t len = (size_t)snprintf(text, sizeof text, "%d", common);
  for (int i = 0; i < count; i++) { /* each other value: its families, in order */
    if (values[i] == common || seen[i]) continue;
    len += (size_t)snprintf(text + len, sizeof text - len, "; ");
    for (int j = i; j < count; j++)
      if (values[j] == values[i]) {
        seen[j] = 1;
        len += (size_t)snprintf(text + len, sizeof text - len, "%s%s", j > i ? ", " : "",
                                list[j]->name);
      }
    len += (size_t)snprintf(text + len, sizeof text - len, " %d", values[i]);
  }
  return snprintf(buf, n, "%s", text);
}

int maml_env_discrete_names(char *buf, size_t n) {
  builtins();
  if (!buf && n > 0) return -1;
  char text[sizeof names];
  size_t len = 0;
  text[0] = '\0';
  for (int i = 0; i < count; i++)
    if (list[i]->kind->discrete)
      len +=
          (size_t)snprintf(text + len, sizeof text - len, "%s%s", len ? ", " : "", list[i]->name);
  return snprintf(buf, n, "%s", text);
}

int maml_env_goal_set(const maml_env_family *f, double *tasks, int max) {
  return f && f->kind->discrete && f->kind->goals ? f->kind->goals(f, tasks, max) : 0;
}

maml_status maml_env_parse_task_outside(const maml_env_family *f, const char *text, double *task,
                                        char *err, size_t err_sz) {
  if (!f) return maml_fail(err, err_sz, MAML_ERR_ARG, "no family");
  maml_env_family wide = *f; /* the kind's syntax, without its range */
  if (!f->kind->discrete) wide.dist.lo = -1e12, wide.dist.hi = 1e12;
  return f->kind->parse(&wide, text, task, err, err_sz);
}

int maml_env_task_outside(const maml_env_family *f, const double *task) {
  char text[MAML_TASK_MAX * 26], err[512];
  double back[MAML_TASK_MAX];
  if (maml_env_format_task(f, task, text, sizeof text) >= (int)sizeof text) return 1;
  return f->parse_task(text, back, err, sizeof err) != MAML_OK;
}

/* the robots of the built-in families, each once, in the families' order */
static int builtin_robots(const maml_env_robot **out, int max) {
  int n = 0;
  for (int i = 0; i < maml_builtin_family_count; i++) {
    const maml_env_robot *r = maml_builtin_families[i]->robot;
    int seen = 0;
    for (int j = 0; j < n; j++) seen |= out[j] == r;
    if (!seen && n < max) out[n++] = r;
  }
  return n;
}

const maml_env_robot *maml_env_find_robot(const char *name) {
  const maml_env_robot *robots[MAML_ENV_MAX_FAMILIES];
  int n = builtin_robots(robots, MAML_ENV_MAX_FAMILIES);
  for (int i = 0; name && i < n; i++)
    if (!strcmp(robots[i]->name, name)) return robots[i];
  return NULL;
}

int maml_env_robot_names(char *buf, size_t n) {
  const maml_env_robot *robots[MAML_ENV_MAX_FAMILIES];
  int robots_n = builtin_robots(robots, MAML_ENV_MAX_FAMILIES), len = 0;
  if (n) buf[0] = '\0';
  for (int i = 0; i < robots_n; i++)
    len += snprintf(buf + (len < (int)n ? len : (int)n), len < (int)n ? n - (size_t)len : 0, "%s%s",
                    i ? ", " : "", robots[i]->name);
  return len;
}
