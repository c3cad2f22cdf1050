/* The subcommands of the `maml` front end and what they share. Only this layer prints
 * for the user and decides the exit status. */
#ifndef MAML_CMD_H
#define MAML_CMD_H

#include <stddef.h>
#include <stdint.h>

#include "args.h"
#include "maml/config.h"
#include "maml/policy.h"

/* cmd_train's exit status when another process holds the run directory's lock */
enum { TRAIN_IN_USE = 4 };

int cmd_train(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_view(int argc, char **argv);
int cmd_experiment(int argc, char **argv);

/* Draw DIR/eval.png and DIR/eval.svg from DIR/eval.csv (return vs steps, one line per
 * policy; oracle policies as a level line). 0 on success; else a message, prefixed by who. */
int cmd_plot_eval(const char *dir, const char *env, const char *const *names, const int *oracle,
                  int n, int steps, const char *who);

/* Draw DIR/eval-seeds.png and .svg from DIR/eval-seeds.csv: each group's mean over runs
 * with its confidence band, and its runs' scores as points, against steps. 0 on success;
 * else a message, prefixed by who. */
int cmd_plot_seeds(const char *dir, const char *env, const char *const *names, int n, int steps,
                   const char *who);

/* A policy read from a checkpoint. */
typedef struct {
  char env[MAML_NAME_MAX]; /* the family it was trained on */
  int oracle;              /* its observation holds the task: MAML_ORACLE_RAW or _SCALED
                              (its config's oracle_obs), else 0 */
  maml_policy policy;
  maml_real *theta;      /* (policy.n_params), malloc'ed */
  double alpha;          /* the run's inner step size for a MAML run, else 0 */
  maml_real *step_sizes; /* (policy.n_params) each parameter's learned step size (a run
                            with learn_alpha; maml_step_size_expand), malloc'ed; NULL:
                            alpha */
  size_t n_step_sizes;   /* the learned step sizes in the checkpoint (0: none) */
  long long iteration;   /* meta-iterations behind theta (the checkpoint's iteration) */
  char notice[2048];     /* its family file changed: it is read from the run's copy ("": none) */
} cmd_policy;

/* The checkpoint a command-line path names: the file itself, or a run directory's
 * best.ckpt (latest.ckpt when it has no best.ckpt), the rule of `maml eval` and `maml
 * view` (`maml info` shows a run's latest.ckpt and names its best.ckpt). 0 when the path
 * is too long for n. */
int cmd_checkpoint_path(const char *arg, char *path, size_t n);

/* Load a checkpoint's policy: 1 on success, else 0 and a message in err. */
int cmd_load_policy(const char *path, cmd_policy *out, char *err, size_t err_sz);

/* The model a run trains on (maml_config_use_model): 1, or 0 after a message prefixed by
 * who. assets: --assets (NULL: the folder the config recorded, else the default search). */
int cmd_use_model(maml_config *cfg, const char *assets, const char *who);

/* Where the run in dir keeps a copy of the family file it was trained on (DIR/family.ini,
 * written by maml train for a family file): " (the run's copy of ...: PATH)" for a message
 * about a changed family file, or "" when dir holds none. */
void cmd_family_copy_hint(const char *dir, char *buf, size_t n);

/* Before reading a checkpoint's config (config_text): when dir (the run directory, or the
 * folder of a checkpoint) holds family.ini and the config names a family file and its
 * family_hash, that copy defines the family in place of the file recorded
 * (maml_env_use_copy: refused when the copy's bytes changed). 1 (notice: a line when the
 * recorded file exists and differs, else ""), or 0 and a message in err. */
int cmd_use_family_copy(const char *dir, const char *config_text, size_t len, char *notice,
                        size_t notice_n, char *err, size_t err_sz);

/* For a refusal of family given where a run was trained on family trained: " (N keys
 * differ: ...)" when both come from family files (maml_env_family_diff), else "". */
void cmd_family_difference(const char *trained, const char *given, char *buf, size_t n);

/* Remember the model a loaded checkpoint's config recorded (cmd_load_policy does it), for
 * cmd_open_world. 0 when too many checkpoints were loaded. */
int cmd_note_model(const char *checkpoint, const maml_config *c);

/* Open the world of family env for the checkpoints loaded: from assets (--assets), else
 * the folder they recorded, else the default search. A model that does not hash as one of
 * them recorded is refused (0, after a message prefixed by who naming both hashes and
 * paths), unless the user named it with --assets: then a warning says so. 1 on success. */
struct maml_env_world;
int cmd_open_world(struct maml_env_world *w, const char *env, int oracle, const char *assets,
                   const char *who);

/* The ranks this process shares its work with (comm.h); never NULL. */
struct maml_comm *cmd_comm(void);
/* Make c the ranks the commands share their work with (maml experiment: a group's, for
 * the runs it trains; then the world's again). */
void cmd_set_comm(struct maml_comm *c);

/* The random baseline's network options (maml eval, maml view): --random-hidden W,W,...
 * and --random-activation relu|tanh, as the config keys hidden and activation read them. */
typedef struct {
  maml_config set; /* hidden and activation as given, the rest defaults */
  int hidden_given, activation_given;
} cmd_random_options;

void cmd_random_options_init(cmd_random_options *r);

/* 1 when opt is --random-hidden or --random-activation: *ok then says whether its value v
 * was read (0 after "WHO: OPT: ..." on stderr). 0 for another option. */
int cmd_random_option(const char *who, const char *opt, const char *v, cmd_random_options *r,
                      int *ok);

/* "20-16-16-6 relu": a policy's whole network, inputs to outputs */
void cmd_format_network(const maml_policy *p, char *out, size_t n);

/* A fresh policy of that network, its parameters (*theta, malloc'ed) from the seed's
 * initialisation stream: 1, or 0 after a message prefixed by who. */
int cmd_random_policy(const char *who, int obs_dim, int act_dim, int n_hidden, const int *hidden,
                      maml_activation activation, uint64_t seed, maml_policy *p, maml_real **theta);

/* Under several ranks: 0 when every rank was started with rank 0's build and arguments,
 * else 1 on every rank (the ranks that differ say how, naming the first difference). Files
 * named by the arguments are compared where every rank reads them (cmd_same_as_rank0). */
int cmd_same_command(int argc, char **argv);

/* Under several ranks, compare n digests of what this rank read for itself with rank 0's
 * (a collective: every rank calls it with the same n). 0 when every rank has rank 0's; else
 * 1 on every rank, after "WHO: rank R of N: LABEL: not the same as rank 0's ..." on stderr for
 * each digest that differs, and cmd_failed_on_every_rank. */
int cmd_same_as_rank0(const char *who, const uint64_t *digests, const char *const *labels, int n);

/* The command fails on every rank at once (a collective check said so): main then ends MPI
 * normally with the command's status, instead of MPI_Abort and its report. */
void cmd_failed_on_every_rank(void);
/* 1 once cmd_failed_on_every_rank was called (main then finalizes instead of aborting) */
int cmd_failed_together(void);

/* ---- the matmul backend (matmul_choice.c) ----
 * A command's backend comes from --matmul, else (maml train) the config key matmul, else
 * $MAML_MATMUL, else openblas. The messages name where the name came from (source:
 * "--matmul", "matmul in FILE", "MAML_MATMUL=NAME", ...). */

/* $MAML_MATMUL, or NULL when it is unset or empty. */
const char *cmd_matmul_env(void);

/* The name a command uses without --matmul (or a config key): $MAML_MATMUL, else
 * "openblas"; *source says which ("MAML_MATMUL=NAME", written in buf, or "the default"). */
const char *cmd_matmul_fallback(char *buf, size_t n, const char **source);

/* The backend names (maml_matmul_name's), joined by sep, in out. */
void cmd_matmul_names(const char *sep, char *out, size_t n);

/* 1 when name is a backend's name, else 0 after "WHO: SOURCE: unknown matmul backend 'NAME';
 * allowed: ..." on stderr. */
int cmd_matmul_known(const char *who, const char *name, const char *source);

/* Put backend name in use for the rest of the command (before any thread starts): 1, or 0
 * after "WHO: SOURCE: why" on stderr (the command then exits 2). The only caller of
 * maml_matmul_select. */
int cmd_use_matmul(const char *who, const char *name, const char *source);

/* Under several ranks (a collective): 1 on every rank when failed is set on any of them or
 * a rank's backend in use is not rank 0's (that rank says so, and cmd_failed_on_every_rank);
 * else 0. With one process: failed. */
int cmd_same_matmul(const char *who, int failed);

/* mkdir -p: 0 on success, else -1 with errno set */
int cmd_make_dirs(const char *path);

/* 1 for -h or --help */
int cmd_is_help(const char *arg);

/* Silence MuJoCo's warnings (main prints them on stderr): the environments already end an
 * unstable episode and count it. */
void cmd_quiet_mujoco(void);

#endif
