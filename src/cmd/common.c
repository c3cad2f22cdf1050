/* What every subcommand of `maml` shares: the ranks it works with, help flags, folders,
 * MuJoCo's warnings (cmd.h). main.c starts the process and dispatches; this file is what
 * the subcommands call back, so that they never depend on main.c. */
#include <errno.h>
#include <mujoco/mujoco.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "maml/comm.h"

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

maml_comm *cmd_comm(void) {
  return the_comm;
}

void cmd_set_comm(maml_comm *c) {
  the_comm = c;
}

static int failed_together; /* cmd_failed_on_every_rank */

void cmd_failed_on_every_rank(void) {
  failed_together = 1;
}
int cmd_failed_together(void) {
  return failed_together;
}

int cmd_is_help(const char *arg) {
  return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

/* the environment counts an unstable simulation itself (info.unstable, metrics' unstable
 * column), so MuJoCo's warning adds nothing once work starts */
static void ignore_warning(const char *msg) {
  (void)msg;
}

void cmd_quiet_mujoco(void) {
  mju_user_warning = ignore_warning;
}
