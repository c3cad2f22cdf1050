/* The `maml` command: one front end over the library's subcommands. Only this layer
 * decides to end the process; the library returns status codes. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blas_kernels.h"
#include "cmd.h"
#include "maml/comm.h"
#include "maml/env.h"
#include "maml/matmul.h"
#include "maml/real.h"

#ifndef MAML_VERSION
#define MAML_VERSION "unknown"
#endif

static void usage(FILE *out) {
  fprintf(out,
          "usage: maml <command> [options]\n"
          "\n"
          "MAML (model-agnostic meta-learning) for reinforcement learning, in C.\n"
          "\n"
          "commands:\n"
          "  train      meta-train a policy (MAML-TRPO, or the pretrained/oracle baselines)\n"
          "  eval       evaluate few-shot adaptation on held-out goals, against baselines\n"
          "  experiment train, follow and evaluate runs over seeds and settings in one folder\n"
          "  plot       draw a run's training curves (PNG and SVG, with gnuplot)\n"
          "  view       watch a policy adapt to a goal (window, or recorded PNG/video)\n"
          "  info       print what a checkpoint holds\n"
          "  export     write a checkpoint's policy as JSON or NumPy arrays, for other programs\n"
          "  envs       list the task families: sizes, horizon, tasks, --goal syntax\n"
          "  version    print the version and build settings\n"
          "  help       print this message\n"
          "\n"
          "Run `maml <command> --help` for a command's options.\n"
          "\n"
          "A standard output that goes away (a pipe into head) does not stop a command: training\n"
          "and evaluation finish and save their files. One that cannot be written (a full disk)\n"
          "makes the exit status 1. A MuJoCo error (out of memory) ends the command: status 1.\n");
}

/* ---- MuJoCo's errors ---------------------------------------------------------------------- */

/* "maml: WHAT: MSG" or, among several ranks, "maml: rank R of N: WHAT: MSG" on stderr, in
 * one write so that the lines of ranks failing together never interleave */
static void print_line(const char *what, const char *msg) {
  if (maml_comm_size(cmd_comm()) > 1)
    fprintf(stderr, "maml: rank %d of %d: %s: %s\n", maml_comm_rank(cmd_comm()),
            maml_comm_size(cmd_comm()), what, msg);
  else
    fprintf(stderr, "maml: %s: %s\n", what, msg);
}

/* MuJoCo calls this for an error it cannot recover from (out of memory, a broken model) and
 * expects it not to return. Its default prints "Press Enter to exit" and waits for a key;
 * this ends the process at once, from whichever thread, with status 1 (under mpirun the
 * launcher then ends the other ranks). Checkpoints are written atomically: nothing saved
 * is lost. */
static void on_mujoco_error(const char *msg) {
  print_line("MuJoCo error", msg);
  _exit(1);
}

/* warnings on stderr rather than in ./MUJOCO_LOG.TXT (train, eval and view count them) */
static void on_mujoco_warning(const char *msg) {
  print_line("MuJoCo warning", msg);
}

/* ---- the standard output ------------------------------------------------------------------ */

/* stdout is a pipe or socket whose reader has gone (`maml train | head`) */
static int reader_gone(void) {
  struct stat s;
  if (fstat(STDOUT_FILENO, &s) != 0 || !(S_ISFIFO(s.st_mode) || S_ISSOCK(s.st_mode))) return 0;
  struct pollfd p = {.fd = STDOUT_FILENO, .events = POLLOUT, .revents = 0};
  return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

/* 1 after a message when what was printed could not all be written (a full disk, a closed
 * or bad descriptor). A reader that stopped reading (a pipe into head) is not an error: the
 * command's work (a training run, an evaluation's files) was done all the same. */
static int stdout_failed(void) {
  int bad = ferror(stdout);
  errno = 0;
  if (fflush(stdout) != 0) bad = 1;
  int e = errno;
  if (!bad || e == EPIPE || reader_gone()) return 0;
  print_line("cannot write the standard output", e ? strerror(e) : "an earlier write failed");
  return 1;
}

static int cmd_version(int argc, char **argv) {
  if (argc > 1 && cmd_is_help(argv[1])) {
    char names[256];
    cmd_matmul_names(", ", names, sizeof names);
    printf(
        "usage: maml version\n\nPrint the version and the build's settings, the backend of the\n"
        "policy's matrix products in use ($MAML_MATMUL, else openblas; the names: %s;\n"
        "one not available here falls back to dnnl-f32, then openblas, with a notice),\n"
        "those available, oneDNN's kernel for a dnnl backend, and why each other backend\n"
        "is not available.\n",
        names);
    return 0;
  }
  char buf[160];
  const char *source, *name = cmd_matmul_fallback(buf, sizeof buf, &source);
  if (!cmd_use_matmul("maml", name, source)) return 2;
  printf("maml %s (network math in %s)\n", MAML_VERSION, MAML_REAL_NAME);
  printf("BLAS: %s; kernels %s\n", openblas_get_config(), openblas_get_corename());
  char matmul[256];
  maml_matmul_describe(matmul, sizeof matmul);
  printf("matmul: %s\n", matmul);
  for (int b = 0; b < MAML_MATMUL_COUNT; b++) {
    char why[256];
    if (!maml_matmul_available((maml_matmul_backend)b, why, sizeof why))
      printf("matmul: %s not available: %s\n", maml_matmul_name((maml_matmul_backend)b), why);
  }
#ifdef MAML_MPI
  printf("MPI: built in (mpirun -np N maml train ...)\n");
#else
  printf("MPI: not built (MAML_MPI=OFF)\n");
#endif
#ifdef MAML_VIEWER
  printf("viewer: built in (maml view)\n");
#else
  printf("viewer: not built (MAML_VIEWER=OFF)\n");
#endif
  return 0;
}

static void envs_usage(FILE *out) {
  fprintf(out,
          "usage: maml envs [--check] [--assets DIR] [[--env] FAMILY_FILE ...]\n"
          "\n"
          "List the task families: observation size (and the oracle's, which appends the\n"
          "task), action size, horizon, task distribution and what --goal accepts.\n"
          "\n"
          "options:\n"
          "  --check        also load each family's model and say where it was found\n"
          "  --env FILE     also list the family a family file defines (a path with '/'\n"
          "                or ending in .ini; the --env of train, eval and view takes it too)\n"
          "  --assets DIR   look for the models in DIR only (default: $MAML_ASSETS, else\n"
          "                the source tree's assets/ for a maml of the build tree, and\n"
          "                PREFIX/share/maml/assets for one installed in PREFIX)\n"
          "  -h, --help     print this message\n");
}

static int cmd_envs(int argc, char **argv) {
  int check = 0;
  const char *assets = NULL;
  for (int i = 1; i < argc; i++) {
    if (cmd_is_help(argv[i])) {
      envs_usage(stdout);
      return 0;
    } else if (!strcmp(argv[i], "--check")) {
      check = 1;
    } else if (!strcmp(argv[i], "--assets")) {
      if (i + 1 >= argc) {
        fprintf(stderr, "maml envs: --assets needs a folder\n");
        return 2;
      }
      assets = argv[++i];
      check = 1;
    } else if (!strcmp(argv[i], "--env") || maml_env_is_file(argv[i])) {
      const char *file = argv[i];
      if (!strcmp(argv[i], "--env") && ++i >= argc) {
        fprintf(stderr, "maml envs: --env needs a family file\n");
        return 2;
      }
      file = argv[i];
      char name[64], msg[2048];
      if (maml_env_use(file, name, sizeof name, NULL, msg, sizeof msg) != MAML_OK) {
        fprintf(stderr, "maml envs: %s\n", msg);
        return 2;
      }
    } else {
      fprintf(stderr, "maml envs: unknown option '%s'\n\n", argv[i]);
      envs_usage(stderr);
      return 2;
    }
  }

  int count;
  const maml_env_family *const *fams = maml_env_families(&count);
  printf("%-14s %-13s %4s %7s %4s %8s  %s\n", "family", "robot", "obs", "oracle", "act", "horizon",
         "tasks");
  for (int i = 0; i < count; i++) {
    const maml_env_family *f = fams[i];
    printf("%-14s %-13s %4d %7d %4d %8d  %s\n", f->name, f->robot->name, f->obs_dim,
           f->obs_dim + f->task_dim, f->act_dim, f->horizon, f->task_desc);
  }
  printf("\n--goal syntax:\n");
  for (int i = 0; i < count; i++) printf("  %-14s %s\n", fams[i]->name, fams[i]->goal_syntax);
  int notes = 0; /* where a definition comes from, a preset inner step size */
  for (int i = 0; i < count; i++) {
    const maml_env_family *f = fams[i];
    if (!f->note && !(f->preset.alpha > 0)) continue;
    printf("%s  %-14s %s", notes++ ? "" : "\nnotes:\n", f->name, f->note ? f->note : "");
    if (f->preset.alpha > 0)
      printf("%sdefault alpha %g (the preset's inner step size)", f->note ? "; " : "",
             f->preset.alpha);
    printf("\n");
  }

  if (!check) return 0;
  printf("\nmodels:\n");
  int failed = 0;
  for (int i = 0; i < count; i++) {
    const maml_env_family *f = fams[i];
    if (!f->model_file) continue;
    maml_env_world w;
    char err[8192];
    if (maml_env_world_open(&w, f->name, 0, assets, err, sizeof err) != MAML_OK) {
      fprintf(stderr, "maml envs: %s\n", err);
      failed = 1;
      continue;
    }
    printf("  %-12s %s (nq %d, nv %d, nu %d, timestep %g, frame skip %d)\n", f->name, w.model_path,
           w.model->nq, w.model->nv, w.model->nu, w.model->opt.timestep,
           f->robot->frame_skip > 1 ? f->robot->frame_skip : 1);
    maml_env_world_close(&w);
  }
  return failed;
}

static int run_command(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) return cmd_version(argc - 1, argv + 1);
  if (!strcmp(cmd, "envs")) return cmd_envs(argc - 1, argv + 1);
  if (!strcmp(cmd, "train")) return cmd_train(argc - 1, argv + 1);
  if (!strcmp(cmd, "info")) return cmd_info(argc - 1, argv + 1);
  if (!strcmp(cmd, "export")) return cmd_export(argc - 1, argv + 1);
  if (!strcmp(cmd, "eval")) return cmd_eval(argc - 1, argv + 1);
  if (!strcmp(cmd, "plot")) return cmd_plot(argc - 1, argv + 1);
  if (!strcmp(cmd, "view")) return cmd_view(argc - 1, argv + 1);
  if (!strcmp(cmd, "experiment")) return cmd_experiment(argc - 1, argv + 1);
  fprintf(stderr, "maml: unknown command '%s'; run `maml help` for the list of commands\n", cmd);
  return 2;
}

/* $MAML_MATMUL names the backend of the policy's matrix products (for benchmarks; unset or
 * empty: none). An unknown name is refused before any work, whatever the command; the
 * commands that compute (train, eval, view, version) put it in use themselves, after
 * --matmul and the config key. */
static int matmul_env_known(void) {
  char buf[160];
  const char *source, *name = cmd_matmul_fallback(buf, sizeof buf, &source);
  return cmd_matmul_known("maml", name, source);
}

int main(int argc, char **argv) {
  /* a closed stdout (a pipe into head) fails printf with EPIPE instead of killing the
   * process: training and evaluation go on and save their files */
  signal(SIGPIPE, SIG_IGN);
  mju_user_error = on_mujoco_error;
  mju_user_warning = on_mujoco_warning;
  cmd_select_blas_kernels(argv);
  if (!matmul_env_known()) return 2;
  char err[256];
  maml_comm *world = NULL;
  maml_status started = maml_comm_init(&argc, &argv, &world, err, sizeof err);
  cmd_set_comm(world);
  if (started != MAML_OK) {
    fprintf(stderr, "maml: %s\n", err);
    return 1;
  }
  /* under mpirun, rank 0 alone talks to the user; errors still name their rank */
  if (maml_comm_rank(cmd_comm()) > 0 && !freopen("/dev/null", "w", stdout)) fclose(stdout);
  if (cmd_same_command(argc, argv)) {
    maml_comm_finalize(world);
    return 2;
  }
  int rc = run_command(argc, argv);
  /* a rank that fails while the others may still wait for it ends the whole job (its
   * message is printed already); finalizing instead could wait for them forever */
  if (rc != 0 && rc < 128 && maml_comm_size(cmd_comm()) > 1 && !cmd_failed_together())
    maml_comm_abort(world, rc);
  if (maml_comm_rank(cmd_comm()) == 0 && stdout_failed() && rc == 0) rc = 1;
  maml_comm_finalize(world);
  return rc;
}
