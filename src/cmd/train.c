/* `maml train`: meta-train into a run directory, or resume one. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <math.h>
#include <signal.h>
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
#include "maml/metrics.h"
#include "maml/train.h"

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
          "usage: maml train --env FAMILY [--config FILE] [--KEY VALUE ...] [--run-dir DIR]\n"
          "       maml train --resume RUN_DIR [--iterations N] [--threads N]\n"
          "\n"
          "Meta-train a policy with MAML-TRPO (or the pretrained / oracle baselines) and\n"
          "write a run directory: config.ini (the resolved config), metrics.csv and\n"
          "metrics.jsonl (one row per iteration), latest.ckpt (after every iteration),\n"
          "best.ckpt (the parameters of the best post-adaptation return) and\n"
          "iter-NNNNNN.ckpt every checkpoint_every iterations. Ctrl-C finishes the current\n"
          "iteration, saves and exits; `--resume` continues bit for bit where it stopped.\n"
          "Under `mpirun -np N` the ranks split each meta-batch's tasks and end with the\n"
          "same parameters as one process; rank 0 writes the run directory.\n"
          "\n"
          "options:\n"
          "  --config FILE      read settings from an INI file (configs/*.ini); flags override\n"
          "  --run-dir DIR      where to write (default runs/FAMILY[-MODE]-DATE-TIME)\n"
          "  --resume RUN_DIR   continue RUN_DIR/latest.ckpt; only iterations, threads and\n"
          "                     checkpoint_every may change\n"
          "  --assets DIR       look for the MJCF models in DIR only (recorded in the run:\n"
          "                     --resume, eval and view use it and refuse a changed model)\n"
          "  --first-order      same as --first-order 1\n"
          "  -h, --help         print this message\n"
          "\n"
          "settings (config keys; as flags: --key value, --key=value, dashes or underscores):\n");
  for (const maml_config_key *k = maml_config_keys(); k->name; k++) {
    fprintf(out, "  %-17s %s\n", k->name, k->syntax);
    print_wrapped(out, k->help, 8, 80);
  }
}

/* ---- signals ---------------------------------------------------------------------------- */

static volatile sig_atomic_t stop_signal = 0;

static void on_signal(int sig) { stop_signal = sig; }

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

/* ---- arguments -------------------------------------------------------------------------- */

typedef struct {
  const char *config_file, *run_dir, *resume, *assets;
  /* the settings given as flags, applied after the config file */
  int n_sets;
  const char *keys[256], *values[256];
} train_args;

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
    if (!strcmp(key, "config")) a->config_file = value;
    else if (!strcmp(key, "run-dir")) a->run_dir = value;
    else if (!strcmp(key, "resume")) a->resume = value;
    else if (!strcmp(key, "assets")) a->assets = value;
    else {
      a->keys[a->n_sets] = key;
      a->values[a->n_sets++] = value;
    }
  }
  return -1; /* go on */
}

/* The config of a new run: defaults, the file, the flags; resolved. */
static int new_run_config(const train_args *a, maml_config *c) {
  char err[8192];
  maml_config_defaults(c);
  if (a->config_file && maml_config_load(c, a->config_file, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "maml train: %s\n", err);
    return 0;
  }
  for (int i = 0; i < a->n_sets; i++)
    if (maml_config_set(c, a->keys[i], a->values[i], err, sizeof err) != MAML_OK) {
      fprintf(stderr, "maml train: --%s: %s\n", a->keys[i], err);
      return 0;
    }
  if (maml_config_resolve(c, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "maml train: %s\n", err);
    return 0;
  }
  return 1;
}

/* The config of a resumed run: the checkpoint's, with the few settings that do not change
 * the results' meaning. */
static int resume_config(const train_args *a, const maml_checkpoint *ck, maml_config *c) {
  char err[8192];
  maml_config_defaults(c);
  if (maml_config_parse_ini(c, ck->config_text, ck->config_len, "checkpoint config", err,
                            sizeof err) != MAML_OK) {
    fprintf(stderr, "maml train: %s\n", err);
    return 0;
  }
  if (a->config_file) {
    fprintf(stderr, "maml train: --config cannot be used with --resume: the run keeps the config "
                    "saved in its checkpoint\n");
    return 0;
  }
  for (int i = 0; i < a->n_sets; i++) {
    const char *k = a->keys[i];
    if (strcmp(k, "iterations") && strcmp(k, "threads") && strcmp(k, "checkpoint-every")) {
      fprintf(stderr,
              "maml train: --%s cannot change when resuming (allowed: --iterations, --threads, "
              "--checkpoint-every); start a new run to change it\n",
              k);
      return 0;
    }
    if (maml_config_set(c, k, a->values[i], err, sizeof err) != MAML_OK) {
      fprintf(stderr, "maml train: --%s: %s\n", k, err);
      return 0;
    }
  }
  if (maml_config_resolve(c, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "maml train: %s\n", err);
    return 0;
  }
  return 1;
}

/* runs/FAMILY[-MODE]-YYYYmmdd-HHMMSS, with -2, -3 ... if taken */
static void default_run_dir(const maml_config *c, char *out) {
  char stamp[32];
  time_t now = time(NULL);
  struct tm tm;
  localtime_r(&now, &tm);
  strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  char mode[32] = "";
  if (c->mode != MAML_MODE_MAML) snprintf(mode, sizeof mode, "-%s", maml_mode_name(c->mode));
  else if (c->first_order) snprintf(mode, sizeof mode, "-fo");
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

static void progress(const maml_iter_metrics *m, int64_t total, double mean_seconds, int tty) {
  char eta[32];
  format_duration(mean_seconds * (double)(total - m->iteration - 1), eta, sizeof eta);
  const char *flag = m->rejected ? " REJECTED"
                     : m->step.outcome == MAML_STEP_NO_IMPROVEMENT ? " no-step"
                                                                  : "";
  printf("%siter %lld/%lld  return pre %.2f post %.2f  kl %.4f  ls %d  %.2f s/it  left %s%s%s",
         tty ? "\r\033[K" : "", (long long)m->iteration + 1, (long long)total, m->pre_return,
         m->post_return, m->step.kl, m->step.ls_tries, m->seconds, eta, flag,
         m->new_best ? " *" : "");
  if (!tty) printf("\n");
  fflush(stdout);
}

/* ---- the command ------------------------------------------------------------------------ */

/* A save cut short by a crash leaves its temporary file (NAME.ckpt.tmp.PID) beside the
 * intact checkpoint: remove those of the run being resumed. */
static void remove_stale_temporaries(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  char path[PATH_LEN];
  while ((e = readdir(d)))
    if (strstr(e->d_name, ".ckpt.tmp.") && join(path, dir, e->d_name) && unlink(path) == 0)
      printf("removed %s (left by a save that was cut short)\n", path);
  closedir(d);
}

/* Rank 0's part of the start: the config (new run, or a checkpoint's), the run directory
 * and its config.ini. -1 to go on, else the exit status. */
static int start_run(const train_args *a, maml_config *cfg, char *dir, maml_checkpoint *ck) {
  char err[8192], path[PATH_LEN];
  if (a->resume) {
    if (a->run_dir) {
      fprintf(stderr, "maml train: --run-dir cannot be used with --resume (the run stays in %s)\n",
              a->resume);
      return 2;
    }
    snprintf(dir, PATH_LEN, "%s", a->resume);
    if (!join(path, dir, "latest.ckpt")) return 2;
    if (maml_checkpoint_load(path, ck, err, sizeof err) != MAML_OK) {
      fprintf(stderr, "maml train: cannot resume: %s\n", err);
      return 1;
    }
    if (!resume_config(a, ck, cfg) || !cmd_use_model(cfg, a->assets, "maml train")) return 2;
    remove_stale_temporaries(dir);
    return -1;
  }
  if (!new_run_config(a, cfg) || !cmd_use_model(cfg, a->assets, "maml train")) return 2;
  if (a->run_dir)
    snprintf(dir, PATH_LEN, "%s", a->run_dir);
  else
    default_run_dir(cfg, dir);
  if (!join(path, dir, "latest.ckpt")) return 2;
  if (file_exists(path)) {
    fprintf(stderr,
            "maml train: %s already holds a run; continue it with `maml train --resume %s` "
            "or choose another --run-dir\n",
            dir, dir);
    return 2;
  }
  if (cmd_make_dirs(dir) != 0) {
    fprintf(stderr, "maml train: cannot create %s: %s\n", dir, strerror(errno));
    return 1;
  }
  if (!join(path, dir, "config.ini") || maml_config_save(cfg, path, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "maml train: %s\n", err);
    return 1;
  }
  return -1;
}

/* Under several ranks: rank 0's start status, then its resolved config, to every rank.
 * -1 to go on, else the exit status (the same on every rank). */
static int share_start(maml_comm *comm, int rc, maml_config *cfg) {
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
    if (maml_config_parse_ini(cfg, text, (size_t)head[1], "rank 0's config", err, sizeof err) !=
            MAML_OK ||
        maml_config_resolve(cfg, err, sizeof err) != MAML_OK) {
      fprintf(stderr, "maml train: rank %d: %s\n", maml_comm_rank(comm), err);
      maml_comm_abort(comm, 1);
    }
  }
  free(text);
  return -1;
}

/* An error on one rank among several ends the whole job, naming the rank. */
static void fail_rank(maml_comm *comm, const char *err) {
  fprintf(stderr, "\nmaml train: rank %d of %d: %s; ending the job (the last checkpoint is "
                  "intact: continue with --resume)\n",
          maml_comm_rank(comm), maml_comm_size(comm), err);
  maml_comm_abort(comm, 1);
}

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
  char dir[PATH_LEN] = "";

  rc = lead ? start_run(&a, &cfg, dir, &ck) : -1;
  if (ranks > 1) rc = share_start(comm, rc, &cfg);
  if (rc >= 0) {
    maml_checkpoint_free(&ck);
    return rc;
  }

  cmd_quiet_mujoco();
  maml_trainer *t = NULL;
  int failed = maml_trainer_create(&t, &cfg, a.assets, comm, err, sizeof err) != MAML_OK;
  if (failed && ranks > 1) fprintf(stderr, "maml train: rank %d: %s\n", maml_comm_rank(comm), err);
  else if (failed) fprintf(stderr, "maml train: %s\n", err);
  if (!failed && lead && a.resume &&
      maml_trainer_restore(t, &ck, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "maml train: cannot resume from %s/latest.ckpt: %s\n", dir, err);
    failed = 1;
  }
  maml_checkpoint_free(&ck);
  maml_metrics metrics;
  int64_t start = 0;
  if (!failed && lead) {
    start = maml_trainer_iteration(t);
    if (maml_metrics_open(&metrics, dir, start, err, sizeof err) != MAML_OK) {
      fprintf(stderr, "maml train: %s\n", err);
      failed = 1;
    }
  }
  if (maml_comm_any(comm, failed)) {
    if (!failed) fprintf(stderr, "maml train: rank %d: another rank failed to start\n",
                         maml_comm_rank(comm));
    if (!failed && lead) maml_metrics_close(&metrics);
    maml_trainer_destroy(t);
    return 1;
  }
  if (maml_trainer_share_state(t, err, sizeof err) != MAML_OK) fail_rank(comm, err);

  if (lead) {
    const maml_policy *p = maml_trainer_policy(t);
    char shape[128];
    int len = snprintf(shape, sizeof shape, "%d", p->obs_dim);
    for (int l = 0; l < p->n_hidden; l++)
      len += snprintf(shape + len, sizeof shape - len, "-%d", p->hidden[l]);
    snprintf(shape + len, sizeof shape - len, "-%d %s", p->act_dim,
             p->activation == MAML_ACT_TANH ? "tanh" : "relu");
    char where[64] = "";
    if (ranks > 1) snprintf(where, sizeof where, " per rank, %d MPI ranks", ranks);
    printf("maml train: %s, %s%s, %d tasks x %d episodes x %d steps, network %s (%zu "
           "parameters), %d thread%s%s\n",
           cfg.env, maml_mode_name(cfg.mode),
           cfg.mode == MAML_MODE_MAML ? (cfg.first_order ? " first-order" : " second-order") : "",
           cfg.tasks, cfg.episodes, cfg.horizon, shape, p->n_params, maml_trainer_threads(t),
           maml_trainer_threads(t) == 1 ? "" : "s", where);
    printf("run directory: %s (%s iteration %lld of %d)\n", dir,
           a.resume ? "resuming at" : "from", (long long)start, cfg.iterations);
    fflush(stdout);
  }

  install_signals();
  /* mpirun hands rank 0 a pseudo-terminal even when its own output is a file */
  int tty = lead && isatty(STDOUT_FILENO) && !maml_comm_is_mpi(comm);
  double seconds = 0.0;
  int done = 0, stop = 0;
  char name[64];
  maml_iter_metrics m;
  memset(&m, 0, sizeof m);
  /* every rank stops after the same iteration: a signal or a failure on any of them */
  while (maml_trainer_iteration(t) < cfg.iterations &&
         !(stop = maml_comm_any(comm, stop_signal || failed))) {
    if (maml_trainer_iterate(t, &m, err, sizeof err) != MAML_OK) {
      if (ranks > 1) fail_rank(comm, err);
      fprintf(stderr, "\nmaml train: %s\n", err);
      failed = 1;
      break;
    }
    done++;
    seconds += m.seconds;
    if (!lead) continue;
    if (maml_metrics_write(&metrics, &m, maml_trainer_elapsed(t), err, sizeof err) != MAML_OK) {
      fprintf(stderr, "\nmaml train: %s\n", err);
      failed = 1;
    }
    int64_t it = maml_trainer_iteration(t);
    if (!save_checkpoint(t, 0, dir, "latest.ckpt")) failed = 1;
    if (m.new_best && !save_checkpoint(t, 1, dir, "best.ckpt")) failed = 1;
    snprintf(name, sizeof name, "iter-%06lld.ckpt", (long long)it);
    if (it % cfg.checkpoint_every == 0 && !save_checkpoint(t, 0, dir, name)) failed = 1;
    if (!failed) progress(&m, cfg.iterations, seconds / done, tty);
  }
  if (tty && done) printf("\n");
  if (lead) maml_metrics_close(&metrics);

  int64_t it = maml_trainer_iteration(t);
  int64_t best_it;
  double best_return = maml_trainer_best(t, &best_it);
  maml_trainer_destroy(t);
  /* the signal that stopped the job, whichever rank it reached (every rank has the same stop) */
  int sig = stop ? maml_comm_max(comm, stop_signal) : 0;
  if (failed) {
    rc = 1;
    fprintf(stderr, "maml train: stopped at iteration %lld; the last good checkpoint is %s/latest.ckpt\n",
            (long long)it, dir);
  } else if (sig) {
    rc = 128 + sig;
    printf("interrupted (%s) after iteration %lld: saved %s/latest.ckpt\n"
           "continue with: maml train --resume %s\n",
           sig == SIGINT ? "SIGINT" : "SIGTERM", (long long)it, dir, dir);
  } else if (stop) {
    rc = 1; /* another rank stopped the job: its message says why */
  } else {
    rc = 0;
    printf("done: %lld iterations in %s; best post-adaptation return %.3f at iteration %lld\n"
           "checkpoints: %s/best.ckpt, %s/latest.ckpt; metrics: %s/metrics.csv\n",
           (long long)it, dir, best_return, (long long)best_it, dir, dir, dir);
  }
  /* every rank leaves with rank 0's status */
  int32_t code = rc;
  if (maml_comm_broadcast(comm, &code, sizeof code, err, sizeof err) == MAML_OK) rc = code;
  return rc;
}
