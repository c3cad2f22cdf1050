/* `maml experiment`: a set of training runs (seeds x a small grid of settings) in one
 * folder, trained resumably, shown, and evaluated as groups over seeds. The runs are
 * ordinary run directories made by `maml train` (called in-process), so everything a run
 * promises (locks, atomic saves, resume bit for bit) holds for each. Under mpirun the runs
 * are spread over groups of ranks (MPI communicators split from the world's): a run trained
 * by a group of G ranks equals the one-process run bit for bit, so the experiment's files
 * are those of running its runs one by one. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "experiment_def.h"
#include "maml/checkpoint.h"
#include "maml/comm.h"
#include "maml/config.h"
#include "run_dir.h"

#define WHO_TRAIN "maml experiment train"
#define PATH_LEN 4096

static void usage(FILE *out) {
  fprintf(out,
          "usage: maml experiment train DIR [--config FILE] --seeds LIST [--vary KEY=V,V,...]...\n"
          "                             [--KEY VALUE ...] [--threads N] [--ranks-per-run N]\n"
          "       maml experiment train DIR [--seeds LIST] [--iterations N] [--threads N]\n"
          "       maml experiment status DIR\n"
          "       maml experiment eval DIR [eval options: --goals N --steps K --seed S ...]\n"
          "\n"
          "Train one run per seed and setting into DIR, see where they stand, and evaluate\n"
          "them over seeds. A setting is a point of the grid of --vary keys (every value of\n"
          "each key with every value of the others; none: one setting). Each run is a `maml\n"
          "train` run directory DIR/GROUP-sSEED: GROUP names the setting (KEY-VALUE, keys\n"
          "joined by '+', e.g. inner_loss-lvc; \"runs\" when nothing varies), and its config is\n"
          "--config FILE, then the --KEY VALUE settings, then the setting's values, then\n"
          "--seed SEED, as `maml train` would read them (every setting is checked before any\n"
          "run starts). DIR/experiment.ini records the definition and DIR/base.ini the\n"
          "config file.\n"
          "\n"
          "train      starts or continues every run in turn, seed by seed, skipping those\n"
          "           done and those another process is training: two train commands\n"
          "           on one DIR (one per core, say) share its runs, with the same\n"
          "           files. Interrupted (Ctrl-C), it saves the run in progress; the same\n"
          "           command continues. Given again on an existing DIR the definition\n"
          "           must be the recorded one; --seeds may add seeds and --iterations N\n"
          "           sets the new total of every run. --threads N: each run's threads.\n"
          "           Under `mpirun -np R`, --ranks-per-run G (a divisor of R; default R)\n"
          "           trains R/G runs at a time, each on G ranks: the same files, bit for\n"
          "           bit, as one process training them one by one.\n"
          "status     a line per run: seed, iterations done of those planned, best and\n"
          "           last post-adaptation return, hours trained, and done, training\n"
          "           (the process holding the run's lock), stopped or not started;\n"
          "           then the iterations left and the hours they would take at the\n"
          "           pace so far.\n"
          "eval       `maml eval` of every setting's finished runs as a --group (per-seed\n"
          "           scores, mean, IQM, bootstrap intervals, P(first > other)); other\n"
          "           options go to eval as they are (`maml eval --help`), --out defaults\n"
          "           to DIR/eval. Runs not yet done are left out, and named.\n"
          "\n"
          "LIST: seeds and ranges, e.g. 1-10 or 1,3,5-8. --vary KEY=V,V,...: values of a\n"
          "config key (separated by ';' instead when a value holds commas, e.g.\n"
          "hidden=64,64;100,100); at most %d keys of %d values. seed, threads and\n"
          "iterations cannot vary.\n"
          "\n"
          "exit status: 0 done; 1 an error; 2 a refused command line or experiment; 130/143\n"
          "stopped by SIGINT/SIGTERM after saving.\n",
          EXP_MAX_VARY, EXP_MAX_VALUES);
}

/* ---- where a run stands ----------------------------------------------------------------- */

typedef struct {
  int exists;              /* latest.ckpt is there and loads */
  long long done, planned; /* iterations done; of the run's config */
  double best;             /* best post-adaptation return (NaN: none) */
  long long best_it;
  double hours;
  long holder; /* process holding the lock, 0 none */
} run_state;

static void read_state(const experiment *e, int run, run_state *st) {
  char dir[PATH_LEN], path[PATH_LEN + 16], err[8192];
  memset(st, 0, sizeof *st);
  exp_run_dir(e, run, 1, dir, sizeof dir);
  st->holder = run_dir_holder(dir);
  snprintf(path, sizeof path, "%s/latest.ckpt", dir);
  maml_checkpoint ck;
  if (maml_checkpoint_load(path, &ck, err, sizeof err) != MAML_OK) return;
  maml_config c;
  maml_config_defaults(&c);
  st->exists = 1;
  st->done = ck.iteration;
  st->planned =
      maml_config_parse_ini(&c, ck.config_text, ck.config_len, path, err, sizeof err) == MAML_OK
          ? c.iterations
          : 0;
  st->best = ck.best_iteration >= 0 ? ck.best_return : NAN;
  st->best_it = ck.best_iteration;
  st->hours = ck.elapsed / 3600.0;
  maml_checkpoint_free(&ck);
}

/* the iterations run should reach: the experiment's, else its own config's */
static long long target(const experiment *e, const run_state *st) {
  long it = exp_iterations(e);
  return it > 0 ? it : st->planned;
}

static int is_done(const experiment *e, const run_state *st) {
  return st->exists && st->planned > 0 && st->done >= target(e, st);
}

/* ---- train ------------------------------------------------------------------------------ */

enum { RUN_SKIP, RUN_NEW, RUN_RESUME, RUN_HELD };

/* The arguments of run's `maml train`, in args (storage in buf). Returns their count. */
static int train_args(const experiment *e, int run, int action, const run_state *st, long threads,
                      char **args, char (*buf)[EXP_VALUE_MAX]) {
  int n = 0, b = 0;
  args[n++] = "train";
#define ARG(...) (snprintf(buf[b], EXP_VALUE_MAX, __VA_ARGS__), args[n++] = buf[b++])
  if (action == RUN_RESUME) {
    args[n++] = "--resume";
    exp_run_dir(e, run, 1, buf[b], EXP_VALUE_MAX), args[n++] = buf[b++];
    if (st->exists && target(e, st) != st->planned) {
      args[n++] = "--iterations";
      ARG("%lld", target(e, st));
    }
  } else {
    if (e->has_base) {
      args[n++] = "--config";
      ARG("%s/%s", e->dir, EXP_BASE);
    }
    for (int i = 0; i < e->n_set; i++) {
      ARG("--%s", e->set[i].key);
      args[n++] = (char *)e->set[i].value;
    }
    int s = exp_setting(e, run);
    for (int k = 0; k < e->n_vary; k++) {
      ARG("--%s", e->vary[k].key);
      args[n++] = (char *)exp_vary_value(e, s, k);
    }
    args[n++] = "--seed";
    ARG("%ld", exp_seed(e, run));
    args[n++] = "--run-dir";
    exp_run_dir(e, run, 1, buf[b], EXP_VALUE_MAX), args[n++] = buf[b++];
  }
  if (threads >= 0) {
    args[n++] = "--threads";
    ARG("%ld", threads);
  }
#undef ARG
  args[n] = NULL;
  return n;
}

#define MAX_ARGS (8 + 2 * (EXP_MAX_SET + EXP_MAX_VARY))

/* holder: its process id, or 0 where it let go of the run since */
static void held_message(const experiment *e, int run, const char *name, long holder) {
  char who[48] = "another process";
  if (holder > 0) snprintf(who, sizeof who, "process %ld", holder);
  printf("experiment %s: run %d of %d, %s: being trained by %s, left to it\n", e->dir, run + 1,
         exp_runs(e), name, who);
  fflush(stdout);
}

/* whether run's directory holds a latest.ckpt (the run was started) */
static int has_latest(const experiment *e, int run) {
  char dir[PATH_LEN], latest[PATH_LEN + 16];
  exp_run_dir(e, run, 1, dir, sizeof dir);
  snprintf(latest, sizeof latest, "%s/latest.ckpt", dir);
  struct stat s;
  return stat(latest, &s) == 0;
}

/* Train run on this process's group (a collective over it): 0, or train's status. */
static int train_run(const experiment *e, int run, long threads, maml_comm *group) {
  run_state st;
  int action = RUN_SKIP;
  if (maml_comm_rank(group) == 0) {
    read_state(e, run, &st);
    action = is_done(e, &st)      ? RUN_SKIP
             : st.holder          ? RUN_HELD
             : has_latest(e, run) ? RUN_RESUME
                                  : RUN_NEW;
  }
  char err[256];
  if (maml_comm_broadcast(group, &action, sizeof action, err, sizeof err) != MAML_OK ||
      maml_comm_broadcast(group, &st, sizeof st, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "%s: %s\n", WHO_TRAIN, err);
    return 1;
  }
  if (action == RUN_SKIP) return 0;
  char name[PATH_LEN];
  exp_run_dir(e, run, 0, name, sizeof name);
  if (action == RUN_HELD) { /* another `experiment train` on DIR: the run is its work */
    if (maml_comm_rank(group) == 0) held_message(e, run, name, st.holder);
    return 0;
  }
  printf("experiment %s: run %d of %d, %s: %s\n", e->dir, run + 1, exp_runs(e), name,
         action == RUN_NEW ? "new" : "continued");
  fflush(stdout);
  char *args[MAX_ARGS + 1];
  char(*buf)[EXP_VALUE_MAX] = malloc(MAX_ARGS * sizeof *buf);
  if (!buf) {
    fprintf(stderr, "%s: out of memory\n", WHO_TRAIN);
    return 1;
  }
  int argc = train_args(e, run, action, &st, threads, args, buf);
  int rc = cmd_train(argc, args);
  free(buf);
  if (rc == TRAIN_IN_USE) { /* taken between the look and the lock: the other process's */
    if (maml_comm_rank(group) == 0) {
      char dir[PATH_LEN];
      exp_run_dir(e, run, 1, dir, sizeof dir);
      held_message(e, run, name, run_dir_holder(dir));
    }
    rc = 0;
  }
  /* made (even finished) by another process between the look and the lock: look again */
  int again = rc == 2 && action == RUN_NEW && maml_comm_rank(group) == 0 && has_latest(e, run);
  if (maml_comm_size(group) > 1 &&
      (maml_comm_broadcast(group, &rc, sizeof rc, err, sizeof err) != MAML_OK ||
       maml_comm_broadcast(group, &again, sizeof again, err, sizeof err) != MAML_OK)) {
    fprintf(stderr, "%s: %s\n", WHO_TRAIN, err);
    return 1;
  }
  if (again) {
    if (maml_comm_rank(group) == 0) {
      printf("experiment %s: run %d of %d, %s: made by another process meanwhile, looking again\n",
             e->dir, run + 1, exp_runs(e), name);
      fflush(stdout);
    }
    return train_run(e, run, threads, group); /* a run that exists is never new again */
  }
  return rc == 3 ? 0 : rc; /* a run without an update is a result: status shows it */
}

/* Every run this process's group takes, in order; the worst status over the world. */
static int train_all(const experiment *e, const exp_options *o) {
  maml_comm *world = cmd_comm(), *group = NULL;
  int size = maml_comm_size(world), index = 0;
  long per = o->ranks_per_run ? o->ranks_per_run : size;
  char err[256];
  if (maml_comm_split_groups(world, (int)per, &group, &index, err, sizeof err) != MAML_OK) {
    if (maml_comm_rank(world) == 0) fprintf(stderr, "%s: --ranks-per-run: %s\n", WHO_TRAIN, err);
    if (size > 1) cmd_failed_on_every_rank();
    return 2;
  }
  int groups = size / (int)per, rc = 0;
  cmd_set_comm(group);
  for (int r = index; r < exp_runs(e) && rc == 0; r += groups)
    rc = train_run(e, r, o->threads, group);
  cmd_set_comm(world);
  maml_comm_finalize(group);
  rc = maml_comm_max(world, rc);
  if (rc && size > 1) cmd_failed_on_every_rank();
  if (rc >= 128)
    printf("experiment %s stopped: continue with: maml experiment train %s\n", e->dir, e->dir);
  if (rc == 0 && maml_comm_rank(world) == 0) {
    int done = 0, elsewhere = 0;
    for (int r = 0; r < exp_runs(e); r++) {
      run_state st;
      read_state(e, r, &st);
      done += is_done(e, &st);
      elsewhere += !is_done(e, &st) && st.holder != 0;
    }
    char held[64] = "";
    if (elsewhere) snprintf(held, sizeof held, ", %d training in another process", elsewhere);
    printf("experiment %s: %d of %d runs done%s (maml experiment status %s)\n", e->dir, done,
           exp_runs(e), held, e->dir);
  }
  return rc;
}

/* The definition to train: the command line's for a new experiment, else the record with
 * the command line's changes; recorded (rank 0) and shared with every rank. 1, or 0 after
 * a message. */
static int settle(experiment *rec, experiment *given, const exp_options *o) {
  int absent = 0, ok = exp_read(rec, &absent, WHO_TRAIN);
  if (absent) {
    ok = exp_check(given, o->config, WHO_TRAIN);
    if (ok) {
      memcpy(rec, given, sizeof *rec);
      rec->has_base = o->config != NULL;
      ok = cmd_make_dirs(rec->dir) == 0;
      if (!ok) perror(WHO_TRAIN ": cannot make the experiment folder");
    }
    return ok && exp_write(rec, o->config, WHO_TRAIN);
  }
  if (!ok) return 0;
  if (o->config && !exp_same_base(rec, o->config, WHO_TRAIN)) return 0;
  if (!exp_merge(rec, given, o->defined, WHO_TRAIN)) return 0;
  char base[PATH_LEN];
  snprintf(base, sizeof base, "%s/%s", rec->dir, EXP_BASE);
  return exp_check(rec, rec->has_base ? base : NULL, WHO_TRAIN) && exp_write(rec, NULL, WHO_TRAIN);
}

static int train_command(int argc, char **argv) {
  experiment *rec = calloc(1, sizeof *rec), *given = calloc(1, sizeof *given);
  exp_options o;
  int rc = 2;
  if (!rec || !given) {
    fprintf(stderr, "%s: out of memory\n", WHO_TRAIN);
    goto out;
  }
  snprintf(rec->dir, sizeof rec->dir, "%s", argv[1]);
  memcpy(given->dir, rec->dir, sizeof rec->dir);
  if (!exp_parse(given, &o, argc, argv, 2, WHO_TRAIN)) goto out;
  maml_comm *world = cmd_comm();
  int ok = maml_comm_rank(world) == 0 ? settle(rec, given, &o) : 1;
  char err[256];
  ok = !maml_comm_any(world, !ok);
  if (ok && maml_comm_broadcast(world, rec, sizeof *rec, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "%s: %s\n", WHO_TRAIN, err);
    ok = 0;
  }
  if (!ok) {
    if (maml_comm_size(world) > 1) cmd_failed_on_every_rank();
    goto out;
  }
  rc = train_all(rec, &o);
out:
  free(rec), free(given);
  return rc;
}

/* ---- status ----------------------------------------------------------------------------- */

/* the post-adaptation return of the last row of DIR/metrics.csv (NaN: none) */
static double last_return(const char *dir) {
  char path[PATH_LEN + 16], line[4096], last[4096] = "";
  snprintf(path, sizeof path, "%s/metrics.csv", dir);
  FILE *f = fopen(path, "r");
  if (!f) return NAN;
  while (fgets(line, sizeof line, f))
    if (line[0] >= '0' && line[0] <= '9') memcpy(last, line, sizeof last);
  fclose(f);
  const char *p = strchr(last, ',');
  p = p ? strchr(p + 1, ',') : NULL; /* iteration, pre_return, post_return */
  return p ? strtod(p + 1, NULL) : NAN;
}

/* The iterations still to train and, once some are done, the hours they would take at the
 * pace so far (hours over iterations of every run begun, one run at a time: the experiment
 * trains them in turn), and shared among the processes training runs now where there are
 * several (two train commands, one per core). A run not begun counts the experiment's
 * iterations, else the mean of the begun runs' targets. */
static void print_time_left(const experiment *e, const run_state *st, int runs, int training) {
  double hours = 0, begun_target = 0;
  long long done = 0, left = 0;
  int begun = 0;
  for (int r = 0; r < runs; r++)
    if (st[r].exists) {
      long long t = target(e, &st[r]);
      hours += st[r].hours, done += st[r].done, begun_target += (double)t, begun++;
      if (t > st[r].done) left += t - st[r].done;
    }
  long long per_new = exp_iterations(e) > 0 ? exp_iterations(e)
                      : begun > 0           ? (long long)(begun_target / begun + 0.5)
                                            : 0;
  left += per_new * (runs - begun);
  if (left == 0) {
    printf("left: nothing, every run is done\n");
  } else if (done > 0 && hours > 0) {
    double h = hours / (double)done * (double)left;
    char shared[80] = "";
    if (training > 1)
      snprintf(shared, sizeof shared, "; %.1f with the %d runs training now", h / training,
               training);
    printf(
        "left: %lld iterations, about %.1f hours at the pace so far (%.1f s an iteration, "
        "one run at a time%s)\n",
        left, h, hours * 3600.0 / (double)done, shared);
  } else if (per_new > 0 || begun > 0) {
    printf("left: %lld iterations (no pace yet)\n", left);
  }
}

static int print_status(const experiment *e) {
  int runs = exp_runs(e), count[4] = {0};
  run_state *st = calloc((size_t)runs, sizeof *st);
  if (!st) return 1;
  for (int r = 0; r < runs; r++) {
    read_state(e, r, &st[r]);
    count[st[r].holder ? 1 : is_done(e, &st[r]) ? 0 : st[r].exists ? 2 : 3]++;
  }
  printf(
      "experiment %s: %d setting%s x %d seed%s = %d runs: %d done, %d training, %d stopped, "
      "%d not started\n",
      e->dir, exp_settings(e), exp_settings(e) == 1 ? "" : "s", e->n_seeds,
      e->n_seeds == 1 ? "" : "s", runs, count[0], count[1], count[2], count[3]);
  printf("%-40s %6s %12s %22s %12s %7s  %s\n", "run", "seed", "iterations", "best return (at)",
         "last return", "hours", "state");
  for (int r = 0; r < runs; r++) {
    char name[PATH_LEN], dir[PATH_LEN], its[48] = "-", best[48] = "-", last[32] = "-",
                                        hours[16] = "-", state[48];
    exp_run_dir(e, r, 0, name, sizeof name);
    exp_run_dir(e, r, 1, dir, sizeof dir);
    const run_state *s = &st[r];
    if (s->exists) {
      double lr = last_return(dir);
      snprintf(its, sizeof its, "%lld/%lld", s->done, target(e, s));
      if (s->best_it >= 0) snprintf(best, sizeof best, "%.3f (%lld)", s->best, s->best_it);
      if (lr == lr) snprintf(last, sizeof last, "%.3f", lr);
      snprintf(hours, sizeof hours, "%.2f", s->hours);
    }
    if (s->holder)
      snprintf(state, sizeof state, "training (process %ld)", s->holder);
    else
      snprintf(state, sizeof state, "%s",
               is_done(e, s) ? "done"
               : s->exists   ? "stopped"
                             : "not started");
    printf("%-40s %6ld %12s %22s %12s %7s  %s\n", name, exp_seed(e, r), its, best, last, hours,
           state);
  }
  print_time_left(e, st, runs, count[1]);
  free(st);
  return 0;
}

/* ---- eval ------------------------------------------------------------------------------- */

static int eval_command(const experiment *e, int argc, char **argv) {
  int settings = exp_settings(e), runs = exp_runs(e), n = 0, left_out = 0, out_given = 0;
  for (int i = 2; i < argc; i++)
    out_given |= !strcmp(argv[i], "--out") || !strncmp(argv[i], "--out=", 6);
  char **args = calloc((size_t)(2 * settings + argc + 4), sizeof *args);
  char **lists = calloc((size_t)settings, sizeof *lists);
  char out[PATH_LEN];
  int rc = 2;
  if (!args || !lists) goto done;
  args[n++] = "eval";
  for (int s = 0; s < settings; s++) {
    size_t cap = 64 + (size_t)runs * PATH_LEN, len = 0;
    if (!(lists[s] = malloc(cap))) goto done;
    exp_group_name(e, s, lists[s], cap);
    len = strlen(lists[s]);
    lists[s][len++] = '=';
    int members = 0;
    for (int r = s; r < runs; r += settings) {
      run_state st;
      char dir[PATH_LEN];
      read_state(e, r, &st);
      exp_run_dir(e, r, 1, dir, sizeof dir);
      if (!is_done(e, &st) || strchr(dir, ',')) {
        fprintf(stderr, "maml experiment eval: %s is left out (%s)\n", dir,
                strchr(dir, ',') ? "a comma in its path" : "not done");
        left_out++;
        continue;
      }
      len += (size_t)snprintf(lists[s] + len, cap - len, "%s%s", members++ ? "," : "", dir);
    }
    if (members) {
      args[n++] = "--group";
      args[n++] = lists[s];
    }
  }
  if (n == 1) {
    fprintf(stderr,
            "maml experiment eval: %s has no finished run to evaluate (maml experiment "
            "status %s)\n",
            e->dir, e->dir);
    goto done;
  }
  for (int i = 2; i < argc; i++) args[n++] = argv[i];
  if (!out_given) {
    snprintf(out, sizeof out, "%s/eval", e->dir);
    args[n++] = "--out";
    args[n++] = out;
  }
  if (left_out)
    fprintf(stderr, "maml experiment eval: evaluating %d of %d runs\n", runs - left_out, runs);
  rc = cmd_eval(n, args);
done:
  for (int s = 0; lists && s < settings; s++) free(lists[s]);
  free(lists), free(args);
  if (rc == 2 && (!args || !lists)) fprintf(stderr, "maml experiment eval: out of memory\n");
  return rc;
}

/* ---- the command ------------------------------------------------------------------------ */

/* DIR's recorded experiment, for status and eval; NULL after a message */
static experiment *recorded(const char *dir, const char *who) {
  experiment *e = calloc(1, sizeof *e);
  int absent = 0;
  if (!e) return NULL;
  snprintf(e->dir, sizeof e->dir, "%s", dir);
  if (exp_read(e, &absent, who)) return e;
  if (absent)
    fprintf(stderr, "%s: %s holds no experiment (no %s): start one with maml experiment train\n",
            who, dir, EXP_FILE);
  free(e);
  return NULL;
}

int cmd_experiment(int argc, char **argv) {
  if (argc < 2 || cmd_is_help(argv[1])) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const char *sub = argv[1];
  int known = !strcmp(sub, "train") || !strcmp(sub, "status") || !strcmp(sub, "eval");
  if (!known) {
    fprintf(stderr, "maml experiment: unknown subcommand '%s': train, status or eval\n", sub);
    return 2;
  }
  if (argc < 3 || cmd_is_help(argv[2])) {
    usage(argc < 3 ? stderr : stdout);
    return argc < 3 ? 2 : 0;
  }
  if (strlen(argv[2]) > EXP_DIR_MAX || !argv[2][0]) {
    fprintf(stderr, "maml experiment %s: the folder path is empty or longer than %d characters\n",
            sub, EXP_DIR_MAX);
    return 2;
  }
  if (!strcmp(sub, "train")) return train_command(argc - 1, argv + 1);
  char who[64];
  snprintf(who, sizeof who, "maml experiment %s", sub);
  if (!strcmp(sub, "status") && argc > 3) {
    fprintf(stderr, "%s: unexpected argument '%s'\n", who, argv[3]);
    return 2;
  }
  experiment *e = recorded(argv[2], who);
  if (!e) return 2;
  int rc = !strcmp(sub, "status") ? print_status(e) : eval_command(e, argc - 1, argv + 1);
  free(e);
  return rc;
}
