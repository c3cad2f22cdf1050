/* `maml train`: meta-train into a run directory, or resume one. */
#include "maml/train.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "maml/checkpoint.h"
#include "maml/comm.h"
#include "maml/config.h"
#include "maml/env.h"
#include "maml/matmul.h"
#include "maml/metrics.h"
#include "maml/step_size.h"
#include "run_dir.h"

#define PATH_LEN 4096

/* text in lines of at most width columns, each indented */
static void print_wrapped(FILE *out, const char *text, int indent, int width) {
  const char *p = text;
  while (*p) {
    int room = width - indent, len = (int)strlen(p);
    if (len > room) {
      len = room;
      while (len > 0 && p[len] != ' ') len--;
      if (len == 0) len = room;
    }
    fprintf(out, "%*s%.*s\n", indent, "", len, p);
    p += len;
    while (*p == ' ') p++;
  }
}

static void train_usage(FILE *out) {
  fprintf(out,
          "usage: maml train --config FILE [--KEY VALUE ...] [--run-dir DIR]\n"
          "       maml train --env FAMILY|FAMILY_FILE [--KEY VALUE ...] [--run-dir DIR]\n"
          "       maml train --resume RUN_DIR [--iterations N] [--threads N] [--matmul NAME]\n"
          "\n"
          "Meta-train a policy with MAML-TRPO (or ProMP: --outer promp --inner-loss lvc;\n"
          "or the pretrained / oracle baselines) and write a run directory: config.ini\n"
          "(the resolved config), metrics.csv and\n"
          "metrics.jsonl (one row per iteration), latest.ckpt (at the start, then after\n"
          "every iteration), best.ckpt (the parameters of the best post-adaptation return)\n"
          "and iter-NNNNNN.ckpt every checkpoint_every iterations. Iterations count from 0,\n"
          "in the progress line as in metrics.csv. latest.ckpt is written last in each\n"
          "iteration: a run stopped at any moment resumes from it and rewrites the other\n"
          "files identically. Ctrl-C finishes the current iteration, saves and exits;\n"
          "`--resume` continues bit for bit where it stopped. A new run refuses a directory\n"
          "that already holds run files; while a run trains, RUN_DIR/.lock (holding its\n"
          "process id) keeps a second `maml train` out of the directory. Under\n"
          "`mpirun -np N` the ranks split each meta-batch's tasks and end with the same\n"
          "parameters as one process; rank 0 writes the run directory. A family file\n"
          "(--env with a path holding '/' or ending in .ini) is recorded in config.ini\n"
          "(env = its absolute path, family_hash = its content hash) and copied to\n"
          "RUN_DIR/family.ini. --resume, eval and view of the run (or of a checkpoint in\n"
          "its directory) read that copy, paths in it relative to the original's folder,\n"
          "so the run works after the file is edited (a note names the keys that now\n"
          "differ), moved or deleted; the model it names must still hash as recorded\n"
          "(model_hash), and a copy edited since is refused, naming both hashes. A\n"
          "checkpoint with no family.ini beside it reads the file recorded and refuses it\n"
          "once changed. --env with --resume is refused, naming the keys that differ.\n"
          "\n"
          "The progress line, one per iteration: the mean episode return before and after\n"
          "the inner step (one return in pretrain and oracle modes), the KL divergence of\n"
          "the step taken, the line-search tries, seconds per iteration, time left, then\n"
          "`*` when the post-adaptation return is the best so far (best.ckpt written),\n"
          "`no-step` when no line-search candidate improved within max_kl (theta kept) and\n"
          "`REJECTED` when the batch or the step held a NaN or Inf (theta kept, counted).\n"
          "\n"
          "options (each of --config, --run-dir, --resume and --assets at most once):\n"
          "  --config FILE      read settings from an INI file (configs/*.ini); flags override\n"
          "  --run-dir DIR      where to write (default runs/FAMILY[-MODE]-DATE-TIME)\n"
          "  --resume RUN_DIR   continue RUN_DIR/latest.ckpt; only iterations, threads,\n"
          "                     checkpoint_every and matmul may change; --iterations N is the\n"
          "                     new total (more than the iterations done), not N more\n"
          "  --assets DIR       look for the MJCF models in DIR only (recorded in the run:\n"
          "                     --resume, eval and view use it and refuse a changed model)\n"
          "  --first-order      same as --first-order 1\n");
  char names[256];
  cmd_matmul_names(", ", names, sizeof names);
  fprintf(out,
          "  --matmul NAME      the backend of the policy's matrix products (%s;\n"
          "                     `maml version` lists those this build and CPU can run): this\n"
          "                     flag, else the config key matmul, else $MAML_MATMUL, else\n"
          "                     openblas. config.ini and the checkpoints record the backend\n"
          "                     asked for (`maml info` shows it; runs without the key read as\n"
          "                     openblas), the first output line the one in use. --resume\n"
          "                     keeps the run's backend ($MAML_MATMUL aside) unless --matmul\n"
          "                     changes it: the numbers then differ from an uninterrupted\n"
          "                     run's, not their meaning. An unknown name exits 2 at once.\n",
          names);
  fprintf(out,
          "  -h, --help         print this message\n"
          "\n"
          "exit status: 0 done (or nothing left to do); 1 an error, named on stderr; 2 a\n"
          "refused command line or run directory; 3 the run ended but no update was ever\n"
          "applied (every step rejected or without improvement: the parameters are the\n"
          "initial ones); 4 the run directory is in use: another process trains it;\n"
          "130 / 143 stopped by SIGINT / SIGTERM after saving.\n"
          "\n"
          "settings (config keys; as flags: --key value, --key=value, dashes or underscores):\n");
  char syntax[256];
  cmd_matmul_names("|", syntax, sizeof syntax);
  for (const maml_config_key *k = maml_config_keys(); k->name; k++) {
    fprintf(out, "  %-17s %s\n", k->name, strcmp(k->name, "matmul") ? k->syntax : syntax);
    print_wrapped(out, k->help, 8, 80);
  }
}

/* "maml train: --KEY: MSG", without repeating the key when MSG starts with it ("env: ...",
 * "max_kl: ..." for --max-kl) */
static void print_key_error(const char *key, const char *msg) {
  size_t n = strlen(key), i = 0;
  while (i < n && (msg[i] == key[i] || (key[i] == '-' && msg[i] == '_'))) i++;
  if (i == n && msg[n] == ':')
    fprintf(stderr, "maml train: --%s\n", msg);
  else
    fprintf(stderr, "maml train: --%s: %s\n", key, msg);
}

/* ---- signals ---------------------------------------------------------------------------- */

static volatile sig_atomic_t stop_signal = 0;

static void on_signal(int sig) {
  stop_signal = sig;
}

/* The first SIGINT/SIGTERM asks to stop after the current iteration; a second one kills
 * at once (SA_RESETHAND), which loses nothing saved: checkpoints are written atomically. */
static void install_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

/* ---- files ------------------------------------------------------------------------------ */

static int file_exists(const char *path) {
  struct stat s;
  return stat(path, &s) == 0;
}

static int join(char *out, const char *dir, const char *name) {
  return snprintf(out, PATH_LEN, "%s/%s", dir, name) < PATH_LEN;
}

static int save_checkpoint(const maml_trainer *t, int best, const char *dir, const char *name) {
  char path[PATH_LEN], err[4096 + 256];
  if (!join(path, dir, name)) {
    fprintf(stderr, "maml train: path too long in %s\n", dir);
    return 0;
  }
  maml_checkpoint ck;
  maml_status st = maml_trainer_checkpoint(t, best, &ck, err, sizeof err);
  if (st == MAML_OK) st = maml_checkpoint_save(path, &ck, err, sizeof err);
  maml_checkpoint_free(&ck);
  if (st != MAML_OK) {
    fprintf(stderr, "\nmaml train: could not save a checkpoint: %s\n", err);
    return 0;
  }
  return 1;
}

/* A config as INI text (malloc'ed), or NULL after a message. */
static char *format_config(const maml_config *c) {
  int len = maml_config_format(c, NULL, 0);
  char *text = len < 0 ? NULL : malloc((size_t)len + 1);
  if (!text) {
    fprintf(stderr, "maml train: out of memory\n");
    return NULL;
  }
  maml_config_format(c, text, (size_t)len + 1);
  return text;
}

/* A small file's text (malloc'ed, NUL-terminated), or NULL if it cannot be read. */
static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  char *text = malloc(cap + 1);
  if (text) n = fread(text, 1, cap, f);
  if (text && ferror(f)) free(text), text = NULL;
  fclose(f);
  if (text) text[n] = '\0';
  return text;
}

/* ---- arguments -------------------------------------------------------------------------- */

typedef struct {
  const char *config_file, *run_dir, *resume, *assets;
  /* the settings given as flags, applied after the config file */
  int n_sets;
  const char *keys[256], *values[256];
} train_args;

/* an option that is not a config key, given once: 1, or 0 after a message */
static int set_once(const char **slot, const char *key, const char *value) {
  if (*slot) {
    fprintf(stderr, "maml train: --%s is given twice ('%s', then '%s'); give it once\n", key, *slot,
            value);
    return 0;
  }
  *slot = value;
  return 1;
}

static int given(const train_args *a, const char *key) {
  for (int i = 0; i < a->n_sets; i++)
    if (!strcmp(a->keys[i], key)) return 1;
  return 0;
}

static int parse_args(int argc, char **argv, train_args *a) {
  memset(a, 0, sizeof *a);
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (cmd_is_help(arg)) {
      train_usage(stdout);
      return 0;
    }
    if (strncmp(arg, "--", 2) != 0 || !arg[2]) {
      fprintf(stderr, "maml train: unexpected argument '%s' (options start with --; see --help)\n",
              arg);
      return 2;
    }
    static char keybuf[256][64];
    const char *name = arg + 2, *eq = strchr(name, '='), *value;
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    if (len >= sizeof keybuf[0] || a->n_sets >= 256) {
      fprintf(stderr, "maml train: option '%s' is too long or there are too many options\n", arg);
      return 2;
    }
    char *key = keybuf[a->n_sets];
    memcpy(key, name, len);
    key[len] = '\0';
    for (char *p = key; *p; p++)
      if (*p == '_') *p = '-';
    if (eq) {
      value = eq + 1;
    } else if (!strcmp(key, "first-order") &&
               (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0)) {
      value = "1";
    } else {
      if (i + 1 >= argc) {
        fprintf(stderr, "maml train: option --%s needs a value\n", key);
        return 2;
      }
      value = argv[++i];
    }
    int ok = 1;
    if (!strcmp(key, "config"))
      ok = set_once(&a->config_file, key, value);
    else if (!strcmp(key, "run-dir"))
      ok = set_once(&a->run_dir, key, value);
    else if (!strcmp(key, "resume"))
      ok = set_once(&a->resume, key, value);
    else if (!strcmp(key, "assets"))
      ok = set_once(&a->assets, key, value);
    else {
      a->keys[a->n_sets] = key;
      a->values[a->n_sets++] = value;
    }
    if (!ok) return 2;
  }
  return -1; /* go on */
}

/* A new run's backend when neither the file nor a flag named one (c->matmul is still
 * MAML_MATMUL_COUNT): $MAML_MATMUL's, else openblas. Where the name came from, for the
 * messages, in source (of n bytes). 1, or 0 after a message. */
static int new_run_matmul(const train_args *a, maml_config *c, char *source, size_t n) {
  char err[512];
  if (given(a, "matmul")) {
    snprintf(source, n, "--matmul");
  } else if (c->matmul != MAML_MATMUL_COUNT) {
    snprintf(source, n, "matmul in %s", a->config_file);
  } else {
    const char *from, *name = cmd_matmul_fallback(source, n, &from);
    if (from != source) snprintf(source, n, "%s", from);
    if (maml_config_set(c, "matmul", name, err, sizeof err) != MAML_OK) {
      fprintf(stderr, "maml train: %s: %s\n", source, err);
      return 0;
    }
  }
  return 1;
}

/* The config of a new run: defaults, the file, the flags; resolved; its backend in use. */
static int new_run_config(const train_args *a, maml_config *c) {
  char err[8192], source[PATH_LEN + 64];
  maml_config_defaults(c);
  c->matmul = MAML_MATMUL_COUNT; /* none named yet */
  if (a->config_file && maml_config_load(c, a->config_file, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "maml train: %s\n", err);
    return 0;
  }
  for (int i = 0; i < a->n_sets; i++)
    if (maml_config_set(c, a->keys[i], a->values[i], err, sizeof err) != MAML_OK) {
      print_key_error(a->keys[i], err);
      return 0;
    }
  if (!new_run_matmul(a, c, source, sizeof source)) return 0;
  if (maml_config_resolve(c, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "maml train: %s\n", err);
    return 0;
  }
  return cmd_use_matmul("maml train", maml_matmul_name(c->matmul), source);
}

/* A resumed run's backend: the run's own (before), or --matmul's with a notice when it
 * changes; $MAML_MATMUL is not used (a notice says so when it names another). Put in use:
 * 1, or 0 after a message. */
static int resume_matmul(const train_args *a, maml_matmul_backend before, const maml_config *c) {
  const char *now = maml_matmul_name(c->matmul), *was = maml_matmul_name(before);
  const char *env = cmd_matmul_env();
  if (c->matmul != before)
    fprintf(stderr,
            "maml train: resuming with matmul backend %s (the run so far used %s): results will "
            "not match an uninterrupted run bit for bit\n",
            now, was ? was : "?");
  else if (!given(a, "matmul") && env && strcmp(env, now) != 0)
    fprintf(stderr,
            "maml train: MAML_MATMUL=%s is not used: a resumed run keeps its matmul backend %s "
            "(--matmul changes it)\n",
            env, now);
  return cmd_use_matmul("maml train", now,
                        given(a, "matmul") ? "--matmul" : "the run's matmul (latest.ckpt)");
}

/* --env given to --resume: refused, saying what it sets differently from the run's family
 * (c: the run's config). 0. */
static int resume_env(const char *dir, const maml_config *c, const char *v) {
  char copy[PATH_LEN], what[2048] = "", err[PATH_LEN + 256];
  char *run_text = NULL, *text = NULL;
  size_t run_len = 0, len = 0;
  int count = -1;
  const char *run_file = join(copy, dir, "family.ini") && file_exists(copy) ? copy : c->family_file;
  if (c->family_file[0] && maml_env_is_file(v) &&
      maml_env_file_read(run_file, &run_text, &run_len, NULL, err, sizeof err) == MAML_OK &&
      maml_env_file_read(v, &text, &len, NULL, what, sizeof what) == MAML_OK)
    count = maml_env_file_diff(run_text, run_len, run_file, text, len, v, what, sizeof what);
  if (count > 0)
    fprintf(stderr,
            "maml train: --env %s is not the environment %s was trained on (%s): "
            "--env cannot change when resuming; leave it out\n",
            v, dir, what);
  else if (count == 0)
    fprintf(stderr,
            "maml train: --env %s sets the same keys as %s, the family the run keeps: "
            "leave --env out\n",
            v, run_file);
  else
    fprintf(stderr,
            "maml train: --env cannot change when resuming: %s was trained on %s%s%s "
            "and keeps it; leave --env out%s%s\n",
            dir, c->env, c->family_file[0] ? ", read from " : "", run_file, what[0] ? ": " : "",
            what);
  free(run_text), free(text);
  return 0;
}

/* The config of a resumed run: the checkpoint's, with the few settings that do not change
 * the results' meaning. */
static int resume_config(const train_args *a, const maml_checkpoint *ck, maml_config *c) {
  char err[8192], notice[2048];
  maml_config_defaults(c);
  if (!cmd_use_family_copy(a->resume, ck->config_text, ck->config_len, notice, sizeof notice, err,
                           sizeof err)) {
    fprintf(stderr, "maml train: cannot resume %s: %s\n", a->resume, err);
    return 0;
  }
  if (notice[0]) fprintf(stderr, "maml train: note: %s\n", notice);
  if (maml_config_parse_ini(c, ck->config_text, ck->config_len, "checkpoint config", err,
                            sizeof err) != MAML_OK) {
    char hint[4200];
    cmd_family_copy_hint(a->resume, hint, sizeof hint);
    fprintf(stderr, "maml train: %s%s\n", err, hint);
    return 0;
  }
  maml_config_stored(c); /* an oracle run from before oracle_obs continues raw */
  if (a->config_file) {
    fprintf(stderr,
            "maml train: --config cannot be used with --resume: the run keeps the config "
            "saved in its checkpoint\n");
    return 0;
  }
  maml_matmul_backend before = c->matmul;
  for (int i = 0; i < a->n_sets; i++) {
    const char *k = a->keys[i];
    if (!strcmp(k, "env")) return resume_env(a->resume, c, a->values[i]);
    if (strcmp(k, "iterations") && strcmp(k, "threads") && strcmp(k, "checkpoint-every") &&
        strcmp(k, "matmul")) {
      fprintf(stderr,
              "maml train: --%s cannot change when resuming (allowed: --iterations, --threads, "
              "--checkpoint-every, --matmul); start a new run to change it\n",
              k);
      return 0;
    }
    if (maml_config_set(c, k, a->values[i], err, sizeof err) != MAML_OK) {
      print_key_error(k, err);
      return 0;
    }
  }
  if (maml_config_resolve(c, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "maml train: %s\n", err);
    return 0;
  }
  return resume_matmul(a, before, c);
}

/* runs/FAMILY[-MODE]-YYYYmmdd-HHMMSS, with -2, -3 ... if taken; MODE names what differs
 * from MAML-TRPO (pretrain, oracle, fo, lvc, fresh, promp, alpha-param, alpha-layer) */
static void default_run_dir(const maml_config *c, char *out) {
  char stamp[32];
  time_t now = time(NULL);
  struct tm tm;
  localtime_r(&now, &tm);
  strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  char mode[64] = "";
  if (c->mode != MAML_MODE_MAML)
    snprintf(mode, sizeof mode, "-%s", maml_mode_name(c->mode));
  else if (c->first_order)
    snprintf(mode, sizeof mode, "-fo");
  if (c->mode == MAML_MODE_MAML && c->inner_loss != MAML_INNER_REINFORCE)
    snprintf(mode + strlen(mode), sizeof mode - strlen(mode), "-%s",
             maml_inner_loss_name(c->inner_loss));
  if (c->mode == MAML_MODE_MAML && c->inner_support == MAML_SUPPORT_FRESH)
    snprintf(mode + strlen(mode), sizeof mode - strlen(mode), "-fresh");
  if (c->outer != MAML_OUTER_TRPO)
    snprintf(mode + strlen(mode), sizeof mode - strlen(mode), "-%s", maml_outer_name(c->outer));
  if (c->mode == MAML_MODE_MAML && c->learn_alpha != MAML_ALPHA_FIXED)
    snprintf(mode + strlen(mode), sizeof mode - strlen(mode), "-alpha-%s",
             maml_learn_alpha_name(c->learn_alpha));
  snprintf(out, PATH_LEN, "runs/%s%s-%s", c->env, mode, stamp);
  for (int k = 2; file_exists(out) && k < 1000; k++)
    snprintf(out, PATH_LEN, "runs/%s%s-%s-%d", c->env, mode, stamp, k);
}

/* ---- progress --------------------------------------------------------------------------- */

static void format_duration(double s, char *out, size_t n) {
  if (!isfinite(s) || s < 0) s = 0;
  long t = (long)(s + 0.5);
  if (t >= 3600)
    snprintf(out, n, "%ldh%02ldm", t / 3600, t / 60 % 60);
  else if (t >= 60)
    snprintf(out, n, "%ldm%02lds", t / 60, t % 60);
  else
    snprintf(out, n, "%lds", t);
}

/* "iter I (N of TOTAL)": I counts from 0 as in metrics.csv, N is the iterations done */
static void progress(const maml_iter_metrics *m, int64_t total, double mean_seconds, int tty,
                     int adapting) {
  char eta[32], returns[64];
  if (adapting)
    snprintf(returns, sizeof returns, "return pre %.2f post %.2f", m->pre_return, m->post_return);
  else /* no inner step: one return */
    snprintf(returns, sizeof returns, "return %.2f", m->post_return);
  format_duration(mean_seconds * (double)(total - m->iteration - 1), eta, sizeof eta);
  const char *flag = m->rejected                                   ? " REJECTED"
                     : m->step.outcome == MAML_STEP_NO_IMPROVEMENT ? " no-step"
                                                                   : "";
  printf("%siter %lld (%lld of %lld)  %s  kl %.4f  ls %d  %.2f s/it  left %s%s%s",
         tty ? "\r\033[K" : "", (long long)m->iteration, (long long)m->iteration + 1,
         (long long)total, returns, m->step.kl, m->step.ls_tries, m->seconds, eta, flag,
         m->new_best ? " *" : "");
  if (!tty) printf("\n");
  fflush(stdout);
}

/* ---- the run directory (rank 0) --------------------------------------------------------- */

/* The run directory as rank 0 holds it. */
typedef struct {
  char dir[PATH_LEN];
  int lock;    /* DIR/.lock's descriptor while this process holds it, else -1 */
  int created; /* this process made the directory */
} run_place;

/* 1 if dir holds no run files, else 0 after a message saying what it holds and what to do */
static int holds_no_run(const char *dir) {
  char path[PATH_LEN], names[1024];
  int temporaries;
  if (!run_dir_list(dir, names, sizeof names, &temporaries)) return 1;
  if (join(path, dir, "latest.ckpt") && file_exists(path)) {
    fprintf(stderr,
            "maml train: %s already holds a run; continue it with `maml train --resume %s` "
            "or choose another --run-dir\n",
            dir, dir);
    return 0;
  }
  fprintf(
      stderr,
      "maml train: %s already holds files of a run (%s) but no latest.ckpt to resume "
      "from; move them away or choose another --run-dir%s\n",
      dir, names,
      temporaries ? " (the .tmp files were left by a save that was cut short: delete them)" : "");
  return 0;
}

/* The first differing lines of two texts, in a and b (empty at the end of one). */
static int first_difference(const char *x, const char *y, char *a, char *b, size_t n) {
  while (*x || *y) {
    size_t lx = strcspn(x, "\n"), ly = strcspn(y, "\n");
    if (lx != ly || strncmp(x, y, lx) != 0) {
      snprintf(a, n, "%.*s", (int)lx, x);
      snprintf(b, n, "%.*s", (int)ly, y);
      return 1;
    }
    x += lx + (x[lx] == '\n');
    y += ly + (y[ly] == '\n');
  }
  return 0;
}

/* The run's config.ini against its latest.ckpt's config (the settings a resume may change
 * aside, matmul too: a resume that changed it and was cut short may have written config.ini
 * only; latest.ckpt's goes on): 1 when they agree or config.ini is missing (it is written
 * again), else 0 after a message naming both. */
static int config_ini_matches(const char *dir, const maml_checkpoint *ck) {
  char path[PATH_LEN], err[8192];
  if (!join(path, dir, "config.ini") || !file_exists(path)) return 1;
  maml_config saved, ours;
  maml_config_defaults(&saved);
  maml_config_defaults(&ours);
  if (maml_config_parse_ini(&ours, ck->config_text, ck->config_len, "checkpoint config", err,
                            sizeof err) != MAML_OK ||
      (maml_config_stored(&ours), maml_config_resolve(&ours, err, sizeof err)) != MAML_OK) {
    fprintf(stderr, "maml train: cannot resume %s: its latest.ckpt's config: %s\n", dir, err);
    return 0;
  }
  if (maml_config_load(&saved, path, err, sizeof err) != MAML_OK ||
      (maml_config_stored(&saved), maml_config_resolve(&saved, err, sizeof err)) != MAML_OK) {
    fprintf(stderr,
            "maml train: cannot resume %s: its config.ini does not load (%s); move it away to "
            "have it written again from latest.ckpt\n",
            dir, err);
    return 0;
  }
  saved.iterations = ours.iterations, saved.threads = ours.threads;
  saved.checkpoint_every = ours.checkpoint_every, saved.matmul = ours.matmul;
  char *x = format_config(&ours), *y = format_config(&saved), a[256], b[256];
  int differ = x && y && first_difference(x, y, a, b, sizeof a);
  if (differ)
    fprintf(stderr,
            "maml train: cannot resume %s: its latest.ckpt is not a checkpoint of the run its "
            "config.ini describes: the checkpoint says '%s', config.ini says '%s'\n",
            dir, a, b);
  int ok = x && y && !differ;
  free(x), free(y);
  return ok;
}

/* Rank 0's start of a resumed run: the lock, latest.ckpt, the config, the checks of the
 * directory's files against each other, the clean-up. -1 to go on, else the exit status. */
static int start_resume(const train_args *a, maml_config *cfg, run_place *run,
                        maml_checkpoint *ck) {
  char err[8192], path[PATH_LEN];
  if (a->run_dir) {
    fprintf(stderr, "maml train: --run-dir cannot be used with --resume (the run stays in %s)\n",
            a->resume);
    return 2;
  }
  if (!run_dir_path_ok(a->resume, "--resume")) return 2;
  snprintf(run->dir, PATH_LEN, "%s", a->resume);
  const char *dir = run->dir;
  struct stat s;
  if (stat(dir, &s) != 0 || !S_ISDIR(s.st_mode)) {
    fprintf(stderr, "maml train: cannot resume %s: %s\n", dir,
            errno == ENOENT ? "no such directory" : "not a directory");
    return 1;
  }
  if ((run->lock = run_dir_lock(dir)) < 0) return run->lock == -2 ? TRAIN_IN_USE : 1;
  if (!join(path, dir, "latest.ckpt") || !file_exists(path)) {
    char names[1024];
    int temporaries;
    int n = run_dir_list(dir, names, sizeof names, &temporaries);
    fprintf(stderr, "maml train: cannot resume %s: it has no latest.ckpt%s%s%s\n", dir,
            n ? " (it holds " : "", names, n ? "); start a new run in another --run-dir" : "");
    return 1;
  }
  if (maml_checkpoint_load(path, ck, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "maml train: cannot resume: %s\n", err);
    return 1;
  }
  if (!resume_config(a, ck, cfg) || !cmd_use_model(cfg, a->assets, "maml train")) return 2;
  if (given(a, "iterations") && cfg->iterations <= ck->iteration) {
    long long done = (long long)ck->iteration;
    fprintf(stderr,
            "maml train: %s already has %lld iterations; --iterations is the new total, e.g. "
            "--iterations %lld\n",
            dir, done, done * 2 < 10000000 ? done * 2 : 10000000);
    return 2;
  }
  if (!config_ini_matches(dir, ck)) return 2;
  run_dir_remove_temporaries(dir);
  return -1;
}

/* Rank 0's start of a new run: its config and directory name, refused if the directory is
 * in use or holds run files (nothing is created yet). -1 to go on, else the exit status. */
static int start_new(const train_args *a, maml_config *cfg, run_place *run) {
  if (!new_run_config(a, cfg) || !cmd_use_model(cfg, a->assets, "maml train")) return 2;
  if (a->run_dir && !run_dir_path_ok(a->run_dir, "--run-dir")) return 2;
  if (a->run_dir)
    snprintf(run->dir, PATH_LEN, "%s", a->run_dir);
  else
    default_run_dir(cfg, run->dir);
  struct stat s;
  if (stat(run->dir, &s) == 0 && !S_ISDIR(s.st_mode)) {
    fprintf(stderr, "maml train: --run-dir %s is not a directory\n", run->dir);
    return 2;
  }
  if (!run_dir_is_free(run->dir)) return TRAIN_IN_USE;
  return holds_no_run(run->dir) ? -1 : 2;
}

/* A new run's directory once its trainer exists: made, locked, checked again under the lock,
 * and given latest.ckpt at iteration 0 (so that the run can resume from its first moment).
 * -1 to go on, else the exit status. */
static int make_run_dir(const maml_trainer *t, run_place *run) {
  int existed = file_exists(run->dir);
  if (cmd_make_dirs(run->dir) != 0) {
    fprintf(stderr, "maml train: cannot create %s: %s\n", run->dir, strerror(errno));
    return 1;
  }
  run->created = !existed;
  if ((run->lock = run_dir_lock(run->dir)) < 0) return run->lock == -2 ? TRAIN_IN_USE : 1;
  if (!holds_no_run(run->dir)) return 2;
  return save_checkpoint(t, 0, run->dir, "latest.ckpt") ? -1 : 1;
}

/* Undo make_run_dir after a failure: the directory goes if this process made it and holds
 * nothing else. */
static void abandon_run_dir(run_place *run) {
  char path[PATH_LEN];
  if (run->created && run->lock >= 0 && join(path, run->dir, RUN_DIR_LOCK)) {
    unlink(path);
    rmdir(run->dir);
  }
}

/* Write DIR/config.ini atomically (if_changed: only when it does not already say cfg). */
static int write_config_ini(const maml_config *cfg, const char *dir, int if_changed) {
  char path[PATH_LEN], err[PATH_LEN + 256];
  char *text = format_config(cfg);
  if (!text || !join(path, dir, "config.ini")) {
    free(text);
    return 0;
  }
  char *old = if_changed ? read_text(path) : NULL;
  int ok = 1;
  if (!old || strcmp(old, text) != 0) {
    ok = run_dir_write_atomic(path, text, strlen(text), err, sizeof err);
    if (!ok)
      fprintf(stderr, "maml train: %s\n", err);
    else if (if_changed)
      printf("%s %s (the run's config now)\n", old ? "updated" : "wrote", path);
  }
  free(old), free(text);
  return ok;
}

/* After a resume: say what metrics files could not be continued row for row. */
static void report_metrics(const maml_metrics *m, const char *dir, int64_t start) {
  if (start == 0 || m->complete) return;
  fprintf(
      stderr,
      "maml train: warning: %s/metrics.csv holds %lld and metrics.jsonl %lld of the rows of "
      "iterations 0 to %lld%s; the files go on from iteration %lld (the missing rows "
      "cannot be made again)\n",
      dir, (long long)m->csv_rows, (long long)m->jsonl_rows, (long long)start - 1,
      m->header_restored ? " (metrics.csv was missing or empty: its header is written again)" : "",
      (long long)start);
}

/* A new run on a family file: a copy of it in DIR/family.ini, for the record (the file's
 * bytes as the run read them: the same hash as config.ini's family_hash). */
static int copy_family_file(const maml_config *cfg, const char *dir) {
  char path[PATH_LEN], err[PATH_LEN + 256], hash[17];
  char *text = NULL;
  size_t len = 0;
  uint64_t h = 0;
  if (!cfg->family_file[0]) return 1;
  int ok = join(path, dir, "family.ini") &&
           maml_env_file_read(cfg->family_file, &text, &len, &h, err, sizeof err) == MAML_OK;
  if (ok) maml_env_format_hash(h, hash);
  if (ok && strcmp(hash, cfg->family_hash) != 0) {
    snprintf(err, sizeof err, "the family file %s changed while the run started", cfg->family_file);
    ok = 0;
  }
  if (ok) ok = run_dir_write_atomic(path, text, len, err, sizeof err);
  if (!ok) fprintf(stderr, "maml train: %s\n", err);
  free(text);
  return ok;
}

/* Rank 0's part once every rank has its trainer: the new run's directory, config.ini (new,
 * or updated after a resume), the metrics files. -1 to go on, else the exit status. */
static int open_run(const train_args *a, const maml_config *cfg, const maml_trainer *t,
                    run_place *run, maml_metrics *metrics) {
  char err[8192];
  int rc = a->resume ? -1 : make_run_dir(t, run);
  if (rc < 0 && !write_config_ini(cfg, run->dir, a->resume != NULL)) rc = 1;
  if (rc < 0 && !a->resume && !copy_family_file(cfg, run->dir)) rc = 1;
  int64_t start = maml_trainer_iteration(t);
  if (rc < 0 && maml_metrics_open(metrics, run->dir, start, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "maml train: %s\n", err);
    rc = 1;
  }
  if (rc >= 0 && !a->resume) abandon_run_dir(run);
  if (rc < 0 && a->resume) report_metrics(metrics, run->dir, start);
  return rc;
}

/* Rank 0's part of the start: the config (new run, or a checkpoint's), the run directory
 * checked. -1 to go on, else the exit status. */
static int start_run(const train_args *a, maml_config *cfg, run_place *run, maml_checkpoint *ck) {
  return a->resume ? start_resume(a, cfg, run, ck) : start_new(a, cfg, run);
}

/* ---- the ranks -------------------------------------------------------------------------- */

/* Under several ranks: rank 0's start status, then its resolved config, to every rank (a
 * resumed run's family from its copy of the family file, as on rank 0). -1 to go on, else
 * the exit status (the same on every rank). */
static int share_start(maml_comm *comm, int rc, const char *resume, maml_config *cfg) {
  char err[8192];
  int32_t head[2] = {rc, 0};
  char *text = NULL;
  if (maml_comm_rank(comm) == 0 && rc < 0) {
    int len = maml_config_format(cfg, NULL, 0);
    if (len < 0 || !(text = malloc((size_t)len + 1))) {
      fprintf(stderr, "maml train: out of memory\n");
      head[0] = rc = 1;
    } else {
      maml_config_format(cfg, text, (size_t)len + 1);
      head[1] = len;
    }
  }
  if (maml_comm_broadcast(comm, head, sizeof head, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "maml train: %s\n", err);
    maml_comm_abort(comm, 1);
  }
  rc = head[0];
  if (rc >= 0) {
    free(text);
    return rc;
  }
  if (maml_comm_rank(comm) != 0 && !(text = malloc((size_t)head[1] + 1))) {
    fprintf(stderr, "maml train: rank %d: out of memory\n", maml_comm_rank(comm));
    maml_comm_abort(comm, 1);
  }
  if (maml_comm_broadcast(comm, text, (size_t)head[1], err, sizeof err) != MAML_OK) {
    fprintf(stderr, "maml train: %s\n", err);
    maml_comm_abort(comm, 1);
  }
  if (maml_comm_rank(comm) != 0) {
    maml_config_defaults(cfg);
    if ((resume && !cmd_use_family_copy(resume, text, (size_t)head[1], NULL, 0, err, sizeof err)) ||
        maml_config_parse_ini(cfg, text, (size_t)head[1], "rank 0's config", err, sizeof err) !=
            MAML_OK ||
        maml_config_resolve(cfg, err, sizeof err) != MAML_OK) {
      fprintf(stderr, "maml train: rank %d: %s\n", maml_comm_rank(comm), err);
      maml_comm_abort(comm, 1);
    }
  }
  free(text);
  return -1;
}

/* Rank 0 put the run's backend in use; the other ranks put rank 0's config's in use. 1 when
 * every rank then uses rank 0's; else 0 on every rank, after a message. */
static int same_matmul(maml_comm *comm, const maml_config *cfg) {
  char who[64];
  snprintf(who, sizeof who, "maml train: rank %d of %d", maml_comm_rank(comm),
           maml_comm_size(comm));
  int failed = maml_comm_rank(comm) != 0 &&
               !cmd_use_matmul(who, maml_matmul_name(cfg->matmul), "rank 0's config");
  return !cmd_same_matmul("maml train", failed);
}

/* An error on one rank among several ends the whole job, naming the rank. */
static void fail_rank(maml_comm *comm, const char *err) {
  fprintf(stderr,
          "\nmaml train: rank %d of %d: %s; ending the job (the last checkpoint is "
          "intact: continue with --resume)\n",
          maml_comm_rank(comm), maml_comm_size(comm), err);
  maml_comm_abort(comm, 1);
}

/* Rank 0's exit status, on every rank. */
static int shared_status(maml_comm *comm, int rc) {
  char err[256];
  int32_t code = rc;
  if (maml_comm_broadcast(comm, &code, sizeof code, err, sizeof err) == MAML_OK) rc = code;
  return rc;
}

/* Every rank makes its trainer; rank 0 restores a resumed run's checkpoint. 0, or the exit
 * status after a message. */
static int create_trainer(const train_args *a, const maml_config *cfg, maml_comm *comm,
                          const maml_checkpoint *ck, const char *dir, maml_trainer **t) {
  char err[8192];
  int ranks = maml_comm_size(comm);
  if (maml_trainer_create(t, cfg, a->assets, comm, err, sizeof err) != MAML_OK) {
    if (ranks > 1)
      fprintf(stderr, "maml train: rank %d: %s\n", maml_comm_rank(comm), err);
    else
      fprintf(stderr, "maml train: %s\n", err);
    return 1;
  }
  if (maml_comm_rank(comm) == 0 && a->resume &&
      maml_trainer_restore(*t, ck, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "maml train: cannot resume from %s/latest.ckpt: %s\n", dir, err);
    return 1;
  }
  return 0;
}

/* A start that failed on some rank: every rank ends with rank 0's status (1 if rank 0's own
 * start went well). */
static int end_start(maml_comm *comm, maml_trainer *t, run_place *run, int rc) {
  if (!rc)
    fprintf(stderr, "maml train: rank %d: another rank failed to start\n", maml_comm_rank(comm));
  maml_trainer_destroy(t);
  run_dir_unlock(run->lock);
  rc = shared_status(comm, rc);
  return rc ? rc : 1;
}

static void print_start(const maml_config *cfg, const maml_trainer *t, int ranks, const char *dir,
                        int resume) {
  const maml_policy *p = maml_trainer_policy(t);
  char shape[128];
  int len = snprintf(shape, sizeof shape, "%d", p->obs_dim);
  for (int l = 0; l < p->n_hidden; l++)
    len += snprintf(shape + len, sizeof shape - len, "-%d", p->hidden[l]);
  snprintf(shape + len, sizeof shape - len, "-%d %s", p->act_dim,
           p->activation == MAML_ACT_TANH ? "tanh" : "relu");
  char where[64] = "";
  if (ranks > 1) snprintf(where, sizeof where, " per rank, %d MPI ranks", ranks);
  char mode[128] = "";
  if (cfg->mode == MAML_MODE_MAML)
    snprintf(mode, sizeof mode, " %s, inner loss %s%s",
             cfg->first_order ? "first-order" : "second-order",
             maml_inner_loss_name(cfg->inner_loss),
             cfg->inner_support == MAML_SUPPORT_FRESH ? ", fresh support per inner step" : "");
  snprintf(mode + strlen(mode), sizeof mode - strlen(mode), ", outer %s",
           maml_outer_name(cfg->outer));
  if (cfg->mode == MAML_MODE_MAML && cfg->learn_alpha != MAML_ALPHA_FIXED)
    snprintf(mode + strlen(mode), sizeof mode - strlen(mode), ", learned step sizes (%s)",
             maml_learn_alpha_name(cfg->learn_alpha));
  printf(
      "maml train: %s, %s%s, %d tasks x %d episodes x %d steps, network %s (%zu "
      "parameters), %d thread%s%s, matmul %s\n",
      cfg->env, maml_mode_name(cfg->mode), mode, cfg->tasks, cfg->episodes, cfg->horizon, shape,
      p->n_params, maml_trainer_threads(t), maml_trainer_threads(t) == 1 ? "" : "s", where,
      maml_matmul_name(maml_matmul_current()));
  long long start = (long long)maml_trainer_iteration(t);
  if (resume)
    printf("run directory: %s (resuming at iteration %lld; iterations 0 to %d)\n", dir, start,
           cfg->iterations - 1);
  else
    printf("run directory: %s (iterations 0 to %d)\n", dir, cfg->iterations - 1);
  fflush(stdout);
}

/* ---- the loop --------------------------------------------------------------------------- */

/* Rank 0 saves an iteration: its metrics rows, best.ckpt (a new best), the numbered
 * checkpoint, and last latest.ckpt, the commit point. A run stopped anywhere before
 * latest.ckpt is in place resumes at this iteration, does it again identically and writes
 * the same files. 1, or 0 after a message (nothing after the failed file is written). */
static int save_iteration(const maml_trainer *t, const maml_iter_metrics *m, maml_metrics *metrics,
                          const maml_config *cfg, const char *dir) {
  char err[8192], name[64];
  if (maml_metrics_write(metrics, m, maml_trainer_elapsed(t), err, sizeof err) != MAML_OK) {
    fprintf(stderr, "\nmaml train: %s\n", err);
    return 0;
  }
  if (m->new_best && !save_checkpoint(t, 1, dir, "best.ckpt")) return 0;
  int64_t it = maml_trainer_iteration(t);
  snprintf(name, sizeof name, "iter-%06lld.ckpt", (long long)it);
  if (it % cfg->checkpoint_every == 0 && !save_checkpoint(t, 0, dir, name)) return 0;
  return save_checkpoint(t, 0, dir, "latest.ckpt");
}

/* What the loop did, for the report. */
typedef struct {
  int64_t start, done, applied; /* iterations at the start, done here, with an update */
  int64_t committed;            /* iterations latest.ckpt holds */
  int64_t rejected;             /* the run's rejected updates */
  int failed, stop;
} run_outcome;

/* No update was ever applied: none here, and none before a resume (as metrics.csv says). */
static int no_update_ever(const run_outcome *o, const maml_metrics *m) {
  if (o->done == 0 || o->applied > 0) return 0;
  return o->start == 0 || (m->complete && m->accepted == 0);
}

/* Rank 0's last words; returns the exit status. */
static int report_end(const run_outcome *o, int sig, const maml_metrics *metrics,
                      const maml_config *cfg, const maml_trainer *t, const char *dir) {
  int64_t best_it, it = maml_trainer_iteration(t);
  double best_return = maml_trainer_best(t, &best_it);
  if (o->failed) {
    fprintf(stderr,
            "maml train: stopped at iteration %lld; the last good checkpoint is %s/latest.ckpt "
            "(%lld iterations): continue with maml train --resume %s\n",
            (long long)o->committed, dir, (long long)o->committed, dir);
    return 1;
  }
  if (sig) {
    printf(
        "interrupted (%s) with %lld of %d iterations done: saved %s/latest.ckpt\n"
        "continue with: maml train --resume %s\n",
        sig == SIGINT ? "SIGINT" : "SIGTERM", (long long)it, cfg->iterations, dir, dir);
    return 128 + sig;
  }
  if (o->stop) return 1; /* another rank stopped the job: its message says why */
  char path[PATH_LEN], best[PATH_LEN + 16] = "";
  if (join(path, dir, "best.ckpt") && file_exists(path)) snprintf(best, sizeof best, "%s, ", path);
  const char *plural = it == 1 ? "" : "s";
  const char *what = cfg->mode == MAML_MODE_MAML ? "post-adaptation return" : "return";
  if (best_it >= 0)
    printf("done: %lld iteration%s in %s; best %s %.3f at iteration %lld\n", (long long)it, plural,
           dir, what, best_return, (long long)best_it);
  else
    printf("done: %lld iteration%s in %s; no iteration had a usable %s\n", (long long)it, plural,
           dir, what);
  printf("checkpoints: %s%s/latest.ckpt; metrics: %s/metrics.csv\n", best, dir, dir);
  if (!no_update_ever(o, metrics)) return 0;
  fflush(stdout);
  fprintf(stderr,
          "maml train: warning: no update was applied in any of the run's %lld iterations "
          "(%lld rejected for non-finite numbers, the others without improvement within "
          "max_kl): the parameters are the initial ones; a smaller alpha or fewer inner_steps "
          "may help (exit status 3)\n",
          (long long)it, (long long)o->rejected);
  return 3;
}

/* ---- the command ------------------------------------------------------------------------ */

int cmd_train(int argc, char **argv) {
  train_args a;
  int rc = parse_args(argc, argv, &a);
  if (rc >= 0) return rc;
  maml_comm *comm = cmd_comm();
  int lead = maml_comm_rank(comm) == 0, ranks = maml_comm_size(comm);
  char err[8192];
  maml_config cfg;
  maml_checkpoint ck;
  memset(&ck, 0, sizeof ck);
  run_place run = {.dir = "", .lock = -1, .created = 0};

  rc = lead ? start_run(&a, &cfg, &run, &ck) : -1;
  if (ranks > 1) rc = share_start(comm, rc, a.resume, &cfg);
  if (rc < 0 && !same_matmul(comm, &cfg)) rc = 2;
  if (rc >= 0) {
    maml_checkpoint_free(&ck);
    run_dir_unlock(run.lock);
    return rc;
  }

  /* the run directory is made only once every rank has its trainer */
  cmd_quiet_mujoco();
  maml_trainer *t = NULL;
  rc = create_trainer(&a, &cfg, comm, &ck, run.dir, &t);
  maml_checkpoint_free(&ck);
  if (maml_comm_any(comm, rc != 0)) return end_start(comm, t, &run, rc);
  maml_metrics metrics;
  memset(&metrics, 0, sizeof metrics);
  rc = lead ? open_run(&a, &cfg, t, &run, &metrics) : -1;
  if (maml_comm_any(comm, rc >= 0)) return end_start(comm, t, &run, rc >= 0 ? rc : 0);
  if (maml_trainer_share_state(t, err, sizeof err) != MAML_OK) fail_rank(comm, err);
  if (lead) print_start(&cfg, t, ranks, run.dir, a.resume != NULL);

  install_signals();
  /* mpirun hands rank 0 a pseudo-terminal even when its own output is a file */
  int tty = lead && isatty(STDOUT_FILENO) && !maml_comm_is_mpi(comm);
  double seconds = 0.0;
  run_outcome o = {.start = maml_trainer_iteration(t)};
  o.committed = o.start;
  maml_iter_metrics m;
  memset(&m, 0, sizeof m);
  /* every rank stops after the same iteration: a signal or a failure on any of them */
  while (maml_trainer_iteration(t) < cfg.iterations &&
         !(o.stop = maml_comm_any(comm, stop_signal || o.failed))) {
    if (maml_trainer_iterate(t, &m, err, sizeof err) != MAML_OK) {
      if (ranks > 1) fail_rank(comm, err);
      fprintf(stderr, "\nmaml train: %s\n", err);
      o.failed = 1;
      break;
    }
    o.done++;
    o.applied += !m.rejected && m.step.outcome == MAML_STEP_ACCEPTED;
    o.rejected = m.rejected_total;
    seconds += m.seconds;
    if (!lead) continue;
    if (!save_iteration(t, &m, &metrics, &cfg, run.dir)) {
      o.failed = 1;
      continue;
    }
    o.committed = maml_trainer_iteration(t);
    progress(&m, cfg.iterations, seconds / (double)o.done, tty, cfg.mode == MAML_MODE_MAML);
  }
  if (tty && o.done) printf("\n");
  /* the signal that stopped the job, whichever rank it reached (every rank has the same stop) */
  int sig = o.stop ? maml_comm_max(comm, stop_signal) : 0;
  if (lead) {
    maml_metrics_close(&metrics);
    rc = report_end(&o, sig, &metrics, &cfg, t, run.dir);
  }
  maml_trainer_destroy(t);
  run_dir_unlock(run.lock);
  /* every rank leaves with rank 0's status */
  return shared_status(comm, rc);
}
