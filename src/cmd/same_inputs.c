/* Under several MPI ranks: every rank runs rank 0's command (its build and arguments), and
 * what each rank read for itself (`maml eval`'s checkpoints and goals) is rank 0's, by
 * digest. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "maml/comm.h"

#ifndef MAML_VERSION
#define MAML_VERSION "unknown"
#endif

/* "maml: rank R of N: MESSAGE" on stderr in one write, so that the lines of ranks that fail
 * together never interleave in mpirun's output */
static void print_ranked(const char *msg) {
  fprintf(stderr, "maml: rank %d of %d: %s\n", maml_comm_rank(cmd_comm()),
          maml_comm_size(cmd_comm()), msg);
}

/* The build and the arguments, NUL-separated: what every rank must share. NULL without
 * memory. */
static char *command_text(int argc, char **argv, size_t *len) {
  const char *build = "maml " MAML_VERSION " " MAML_REAL_NAME;
  size_t n = strlen(build) + 1;
  for (int i = 1; i < argc; i++) n += strlen(argv[i]) + 1;
  char *text = malloc(n);
  if (!text) return NULL;
  size_t at = 0;
  for (int i = 0; i < argc; i++) {
    const char *a = i == 0 ? build : argv[i];
    size_t k = strlen(a) + 1;
    memcpy(text + at, a, k);
    at += k;
  }
  *len = n;
  return text;
}

/* Compare this rank's command text with rank 0's (of len0 bytes); 0 when they are the same,
 * else 1 after a message naming the first difference. */
static int compare_command(const char *mine, size_t len, const char *rank0, size_t len0) {
  size_t a = 0, b = 0;
  int k = 0;
  while (a < len && b < len0 && !strcmp(mine + a, rank0 + b)) {
    a += strlen(mine + a) + 1;
    b += strlen(rank0 + b) + 1;
    k++;
  }
  if (a >= len && b >= len0) return 0;
  char what[640];
  if (k == 0)
    snprintf(what, sizeof what, "this rank runs %.200s, rank 0 runs %.200s", mine, rank0);
  else if (a >= len)
    snprintf(what, sizeof what,
             "this rank has %d arguments, rank 0 more: its argument %d is '%.200s'", k - 1, k,
             rank0 + b);
  else if (b >= len0)
    snprintf(what, sizeof what, "argument %d is '%.200s', but rank 0 has only %d arguments", k,
             mine + a, k - 1);
  else
    snprintf(what, sizeof what, "argument %d is '%.200s', rank 0's is '%.200s'", k, mine + a,
             rank0 + b);
  char msg[768];
  snprintf(msg, sizeof msg,
           "%s; every rank must run the same command (mpirun -np N maml ...): nothing run", what);
  print_ranked(msg);
  return 1;
}

int cmd_same_command(int argc, char **argv) {
  if (maml_comm_size(cmd_comm()) == 1) return 0;
  char err[256];
  size_t len = 0;
  char *mine = command_text(argc, argv, &len);
  uint64_t len0 = len;
  if (!mine || maml_comm_broadcast(cmd_comm(), &len0, sizeof len0, err, sizeof err) != MAML_OK) {
    print_ranked(mine ? err : "out of memory");
    maml_comm_abort(cmd_comm(), 1);
  }
  char *rank0 = maml_comm_rank(cmd_comm()) == 0 ? mine : malloc(len0 > 0 ? len0 : 1);
  if (!rank0 || maml_comm_broadcast(cmd_comm(), rank0, len0, err, sizeof err) != MAML_OK) {
    print_ranked(rank0 ? err : "out of memory");
    maml_comm_abort(cmd_comm(), 1);
  }
  int differ = compare_command(mine, len, rank0, len0);
  if (rank0 != mine) free(rank0);
  free(mine);
  int any = maml_comm_any(cmd_comm(), differ);
  if (any && maml_comm_rank(cmd_comm()) == 0) {
    print_ranked(
        "another rank was started with other arguments (its message says which); "
        "nothing run");
  }
  return any;
}

int cmd_same_as_rank0(const char *who, const uint64_t *digests, const char *const *labels, int n) {
  maml_comm *comm = cmd_comm();
  int rank = maml_comm_rank(comm), size = maml_comm_size(comm);
  if (size == 1 || n <= 0) return 0;
  char err[256];
  uint64_t *rank0 = malloc((size_t)n * sizeof *rank0);
  if (!rank0) {
    fprintf(stderr, "%s: rank %d of %d: out of memory\n", who, rank, size);
    maml_comm_abort(comm, 1);
    return 1;
  }
  memcpy(rank0, digests, (size_t)n * sizeof *rank0);
  if (maml_comm_broadcast(comm, rank0, (size_t)n * sizeof *rank0, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "%s: rank %d of %d: %s\n", who, rank, size, err);
    free(rank0);
    maml_comm_abort(comm, 1);
    return 1;
  }
  int differ = 0;
  for (int k = 0; k < n; k++) {
    if (digests[k] == rank0[k]) continue;
    fprintf(stderr,
            "%s: rank %d of %d: %s: not the same as rank 0's (digest %016" PRIx64
            ", rank 0's %016" PRIx64
            "): another file behind the same path? Every rank must "
            "read the same files\n",
            who, rank, size, labels[k], digests[k], rank0[k]);
    differ = 1;
  }
  free(rank0);
  int any = maml_comm_any(comm, differ);
  if (any && rank == 0)
    fprintf(stderr,
            "%s: rank 0 of %d: another rank read other inputs behind the same paths (its "
            "message says which): nothing done\n",
            who, size);
  if (any) cmd_failed_on_every_rank();
  return any;
}
