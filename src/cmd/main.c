/* The `maml` command: one front end over the library's subcommands. Only this layer
 * decides to end the process; the library returns status codes. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "blas_kernels.h"
#include "cmd.h"
#include "envs/env.h"
#include "maml/comm.h"
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
          "  plot       draw a run's training curves (PNG and SVG, with gnuplot)\n"
          "  view       watch a policy adapt to a goal (window, or recorded PNG/video)\n"
          "  info       print what a checkpoint holds\n"
          "  envs       list the task families: sizes, horizon, tasks, --goal syntax\n"
          "  version    print the version and build settings\n"
          "  help       print this message\n"
          "\n"
          "Run `maml <command> --help` for a command's options.\n");
}

int cmd_make_dirs(const char *path) {
  char buf[4096];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
  return 0;
}

static maml_comm *the_comm;

maml_comm *cmd_comm(void) { return the_comm; }

int cmd_is_help(const char *arg) { return !strcmp(arg, "--help") || !strcmp(arg, "-h"); }

static atomic_long mujoco_warnings;

static void count_warning(const char *msg) {
  (void)msg;
  atomic_fetch_add(&mujoco_warnings, 1);
}

void cmd_quiet_mujoco(void) { mju_user_warning = count_warning; }

static int cmd_version(int argc, char **argv) {
  if (argc > 1 && cmd_is_help(argv[1])) {
    printf("usage: maml version\n\nPrint the version and the build's settings.\n");
    return 0;
  }
  printf("maml %s (network math in %s)\n", MAML_VERSION, MAML_REAL_NAME);
  printf("BLAS: %s; kernels %s\n", openblas_get_config(), openblas_get_corename());
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
          "usage: maml envs [--check] [--assets DIR]\n"
          "\n"
          "List the task families: observation size (and the oracle's, which appends the\n"
          "task), action size, horizon, task distribution and what --goal accepts.\n"
          "\n"
          "options:\n"
          "  --check        also load each family's model and say where it was found\n"
          "  --assets DIR   look for the models in DIR only (default: $MAML_ASSETS, else\n"
          "                the source tree's assets/, else the installed ones)\n"
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
    } else {
      fprintf(stderr, "maml envs: unknown option '%s'\n\n", argv[i]);
      envs_usage(stderr);
      return 2;
    }
  }

  int count;
  const maml_env_family *const *fams = maml_env_families(&count);
  printf("%-12s %-13s %4s %7s %4s %8s  %s\n", "family", "robot", "obs", "oracle", "act", "horizon",
         "tasks");
  for (int i = 0; i < count; i++) {
    const maml_env_family *f = fams[i];
    printf("%-12s %-13s %4d %7d %4d %8d  %s\n", f->name, f->robot, f->obs_dim,
           f->obs_dim + f->task_dim, f->act_dim, f->horizon, f->task_desc);
  }
  printf("\n--goal syntax:\n");
  for (int i = 0; i < count; i++) printf("  %-12s %s\n", fams[i]->name, fams[i]->goal_syntax);

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
    printf("  %-12s %s (nq %d, nv %d, nu %d, timestep %g)\n", f->name, w.model_path, w.model->nq,
           w.model->nv, w.model->nu, w.model->opt.timestep);
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
  if (!strcmp(cmd, "eval")) return cmd_eval(argc - 1, argv + 1);
  if (!strcmp(cmd, "plot")) return cmd_plot(argc - 1, argv + 1);
  if (!strcmp(cmd, "view")) return cmd_view(argc - 1, argv + 1);
  fprintf(stderr, "maml: unknown command '%s'; run `maml help` for the list of commands\n", cmd);
  return 2;
}

int main(int argc, char **argv) {
  cmd_select_blas_kernels(argv);
  char err[256];
  if (maml_comm_init(&argc, &argv, &the_comm, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "maml: %s\n", err);
    return 1;
  }
  /* under mpirun, rank 0 alone talks to the user; errors still name their rank */
  if (maml_comm_rank(the_comm) > 0 && !freopen("/dev/null", "w", stdout)) fclose(stdout);
  int rc = run_command(argc, argv);
  /* a rank that fails while the others may still wait for it ends the whole job (its
   * message is printed already); finalizing instead could wait for them forever */
  if (rc != 0 && rc < 128 && maml_comm_size(the_comm) > 1) maml_comm_abort(the_comm, rc);
  maml_comm_finalize(the_comm);
  return rc;
}
