/* Under several MPI ranks: what each rank read for itself (`maml eval`'s checkpoints and
 * goals) compared with rank 0's, by digest. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "maml/comm.h"

uint64_t cmd_digest(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull; /* FNV-1a, 64 bits */
  return h;
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
