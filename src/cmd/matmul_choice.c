/* The backend of the policy's matrix products a command runs with (cmd.h): the name it was
 * given (--matmul, the config key, $MAML_MATMUL) checked and put in use, the same on every
 * MPI rank. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "maml/comm.h"
#include "maml/matmul.h"

const char *cmd_matmul_env(void) {
  const char *name = getenv("MAML_MATMUL");
  return name && *name ? name : NULL;
}

const char *cmd_matmul_fallback(char *buf, size_t n, const char **source) {
  const char *env = cmd_matmul_env();
  if (!env) {
    *source = "the default";
    return "openblas";
  }
  snprintf(buf, n, "MAML_MATMUL=%.100s", env);
  *source = buf;
  return env;
}

void cmd_matmul_names(const char *sep, char *out, size_t n) {
  if (!n) return;
  out[0] = '\0';
  size_t len = 0;
  for (int b = 0; b < MAML_MATMUL_COUNT && len < n; b++) {
    const char *name = maml_matmul_name((maml_matmul_backend)b);
    if (name) len += (size_t)snprintf(out + len, n - len, "%s%s", len ? sep : "", name);
  }
}

int cmd_matmul_known(const char *who, const char *name, const char *source) {
  for (int b = 0; b < MAML_MATMUL_COUNT; b++) {
    const char *known = maml_matmul_name((maml_matmul_backend)b);
    if (known && !strcmp(name, known)) return 1;
  }
  char names[256];
  cmd_matmul_names(", ", names, sizeof names);
  fprintf(stderr, "%s: %s: unknown matmul backend '%s'; allowed: %s\n", who, source, name, names);
  return 0;
}

/* The one place that puts a backend in use for a command. A backend that is known but
 * cannot run here falls back (maml_matmul_request) with a notice, printed by rank 0. */
int cmd_use_matmul(const char *who, const char *name, const char *source) {
  char err[512], notice[512];
  if (maml_matmul_request(name, notice, sizeof notice, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "%s: %s: %s\n", who, source, err);
    return 0;
  }
  if (notice[0] && maml_comm_rank(cmd_comm()) == 0)
    fprintf(stderr, "%s: %s: %s\n", who, source, notice);
  return 1;
}

int cmd_same_matmul(const char *who, int failed) {
  maml_comm *comm = cmd_comm();
  int rank = maml_comm_rank(comm), size = maml_comm_size(comm);
  if (size == 1) return failed;
  char err[256];
  int32_t mine = (int32_t)maml_matmul_current(), rank0 = mine;
  if (maml_comm_broadcast(comm, &rank0, sizeof rank0, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "%s: rank %d of %d: %s\n", who, rank, size, err);
    maml_comm_abort(comm, 1);
  }
  int differ = !failed && mine != rank0;
  if (differ) {
    const char *a = maml_matmul_name((maml_matmul_backend)mine);
    const char *b = maml_matmul_name((maml_matmul_backend)rank0);
    fprintf(stderr,
            "%s: rank %d of %d: uses matmul backend %s, rank 0 uses %s ($MAML_MATMUL differs, "
            "or this machine cannot run it): every rank must use the same; nothing done\n",
            who, rank, size, a ? a : "?", b ? b : "?");
  }
  int any = maml_comm_any(comm, failed || differ);
  if (any) cmd_failed_on_every_rank();
  return any;
}
