/* The subcommands of the `maml` front end and what they share. Only this layer prints
 * for the user and decides the exit status. */
#ifndef MAML_CMD_H
#define MAML_CMD_H

int cmd_train(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_plot(int argc, char **argv);

/* Draw DIR/eval.png and DIR/eval.svg from DIR/eval.csv (return vs steps, one line per
 * policy; oracle policies as a level line). 0 on success; else a message, prefixed by who. */
int cmd_plot_eval(const char *dir, const char *env, const char *const *names, const int *oracle,
                  int n, int steps, const char *who);

/* mkdir -p: 0 on success, else -1 with errno set */
int cmd_make_dirs(const char *path);

/* 1 for -h or --help */
int cmd_is_help(const char *arg);

/* Route MuJoCo's warnings into a counter instead of stderr and MUJOCO_LOG.TXT: the
 * environments already end an unstable episode and count it. */
void cmd_quiet_mujoco(void);

#endif
