/* The subcommands of the `maml` front end and what they share. Only this layer prints
 * for the user and decides the exit status. */
#ifndef MAML_CMD_H
#define MAML_CMD_H

int cmd_train(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_eval(int argc, char **argv);

/* 1 for -h or --help */
int cmd_is_help(const char *arg);

/* Route MuJoCo's warnings into a counter instead of stderr and MUJOCO_LOG.TXT: the
 * environments already end an unstable episode and count it. */
void cmd_quiet_mujoco(void);

#endif
