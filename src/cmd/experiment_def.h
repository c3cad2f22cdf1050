/* What an experiment is: training runs over a list of seeds times a small grid of
 * settings, in one folder (maml experiment, experiment.c). The definition is read from the
 * command line, checked, and recorded in DIR/experiment.ini; a later command reads it back.
 * A run's folder is DIR/GROUP-sSEED, GROUP naming its setting ("inner_loss-lvc", several
 * keys joined by '+'; "runs" when nothing varies). Functions that can refuse print their
 * own message, prefixed by who, and return 0. */
#ifndef MAML_CMD_EXPERIMENT_DEF_H
#define MAML_CMD_EXPERIMENT_DEF_H

#include <stddef.h>

#define EXP_FILE "experiment.ini"
#define EXP_BASE "base.ini" /* the copy of --config FILE in DIR */
#define EXP_DIR_MAX 3800    /* a run folder's name must still fit under RUN_DIR_MAX */
#define EXP_MAX_SEEDS 1000
#define EXP_MAX_VARY 4    /* keys that vary */
#define EXP_MAX_VALUES 16 /* values a key takes */
#define EXP_MAX_SET 48    /* keys set for every run */
#define EXP_KEY_MAX 64
#define EXP_VALUE_MAX 4200
#define EXP_GROUP_MAX 64 /* a group's name, as eval's --group NAME allows */

typedef struct {
  char key[EXP_KEY_MAX];
  char values[EXP_MAX_VALUES][256];
  int n;
} exp_vary;

typedef struct {
  char key[EXP_KEY_MAX];
  char value[EXP_VALUE_MAX];
} exp_set;

typedef struct {
  char dir[EXP_DIR_MAX + 1];
  int has_base; /* DIR/base.ini holds the config file every run starts from */
  long seeds[EXP_MAX_SEEDS];
  int n_seeds;
  exp_vary vary[EXP_MAX_VARY];
  int n_vary;
  exp_set set[EXP_MAX_SET]; /* config keys, as --KEY VALUE; iterations among them */
  int n_set;
} experiment;

/* The options of `maml experiment train` beside the definition. */
typedef struct {
  const char *config; /* --config FILE (NULL: none) */
  long threads;       /* --threads N for every run (-1: the runs' own) */
  long ranks_per_run; /* --ranks-per-run N (0: every rank in one group) */
  int defined;        /* the command line gave --seeds, --vary, --config or a key */
} exp_options;

/* Parse `maml experiment train DIR [options]`'s options (argv[first:]) into e (which holds
 * DIR) and o. Every value is checked: seeds, the keys' names, and each setting's config as
 * maml train would resolve it. 1, or 0 after a message (exit status 2). */
int exp_parse(experiment *e, exp_options *o, int argc, char **argv, int first, const char *who);

/* Read DIR/experiment.ini into e (e->dir set by the caller). 1, 0 after a message; *absent
 * is 1 (and nothing said) when the folder holds no experiment. */
int exp_read(experiment *e, int *absent, const char *who);

/* Merge a command line's definition (given) into the recorded one (rec): seeds added,
 * iterations changed; when the command line defined settings (defined), they must be the
 * recorded ones. 1 (rec updated), or 0 after a message naming what differs. */
int exp_merge(experiment *rec, const experiment *given, int defined, const char *who);

/* Check every setting's config as maml train resolves it (base: the config file every run
 * starts from, or NULL), and the settings' folder names. 1, or 0 after a message naming the
 * setting. */
int exp_check(const experiment *e, const char *base, const char *who);

/* Write e to DIR/experiment.ini atomically (and DIR/base.ini from config when not NULL
 * and the experiment is new). 1, or 0 after a message. */
int exp_write(const experiment *e, const char *config, const char *who);

/* 1 when config's bytes equal DIR/base.ini's (0 after a message when they differ). */
int exp_same_base(const experiment *e, const char *config, const char *who);

/* The experiment's settings (the vary grid's points) and runs: run r is seed
 * seeds[r / settings] with setting r % settings. */
int exp_settings(const experiment *e);
int exp_runs(const experiment *e);
long exp_seed(const experiment *e, int run);
int exp_setting(const experiment *e, int run);

/* A setting's group name ("inner_loss-lvc+first_order-1", "runs" when nothing varies). */
void exp_group_name(const experiment *e, int setting, char *out, size_t n);
/* The value vary key k takes in setting s. */
const char *exp_vary_value(const experiment *e, int setting, int k);
/* A run's folder, DIR/GROUP-sSEED (its name alone when dir_too is 0). */
void exp_run_dir(const experiment *e, int run, int dir_too, char *out, size_t n);
/* The iterations the experiment asks of every run (0: each run's config decides). */
long exp_iterations(const experiment *e);

#endif
