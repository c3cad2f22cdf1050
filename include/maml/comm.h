/* Processes that share one meta-batch (MPI ranks), and what they exchange.
 *
 * A meta-batch's tasks are split in contiguous blocks, one per rank (maml_comm_split).
 * Each rank samples, adapts and differentiates its own tasks; per-task results (vectors
 * and scalars) are then gathered so that every rank holds every task's result and sums
 * them in task order. Every rank thus computes the same numbers, bit for bit, as one
 * process would: the split changes where a task is computed, never the arithmetic.
 *
 * Messages per meta-iteration with T tasks, n parameters, R ranks and C CG iterations: one
 * gather of the per-task gradients (T n floats), one gather of per-task curvature
 * products per CG iteration (C, of T n floats each), small gathers of per-task scalars
 * (returns, surrogate and KL of each line-search candidate), and an OR of the stop flag. The
 * library never calls MPI directly; a NULL maml_comm is one process.
 *
 * Built with MPI when MAML_MPI is defined (CMake option MAML_MPI). MPI is started only
 * when the program was launched by an MPI launcher (mpirun sets OMPI_COMM_WORLD_SIZE,
 * PMI_SIZE or PMIX_RANK): a plain `maml train` stays a single process. */
#ifndef MAML_COMM_H
#define MAML_COMM_H

#include <stddef.h>

#include "maml/error.h"

typedef struct maml_comm maml_comm;

/* Start: under an MPI launcher (and an MPI build), MPI_Init and the world communicator;
 * else one process. *out is always set (never NULL) unless memory runs out. */
maml_status maml_comm_init(int *argc, char ***argv, maml_comm **out, char *err, size_t err_sz);
/* MPI_Finalize when MPI was started (for a group: its communicator freed, MPI left
 * running). NULL-safe. */
void maml_comm_finalize(maml_comm *c);

/* Split c's ranks into consecutive groups of group_size (a divisor of c's size): *group
 * receives this rank's group, a maml_comm of its own (rank and size within the group: the
 * collectives below then involve the group's ranks only), *index the group's number.
 * Without MPI (one process) the one group is that process. A collective over c. Errors:
 * MAML_ERR_ARG when group_size does not divide the size (the message names both). Free the
 * group with maml_comm_finalize. */
maml_status maml_comm_split_groups(maml_comm *c, int group_size, maml_comm **group, int *index,
                                   char *err, size_t err_sz);

int maml_comm_rank(const maml_comm *c); /* 0 for NULL */
int maml_comm_size(const maml_comm *c); /* 1 for NULL */
int maml_comm_is_mpi(const maml_comm *c);
int maml_comm_local_size(const maml_comm *c); /* ranks on this machine (1 for NULL) */

/* This rank's block [*lo, *hi) of n items (ranks beyond n get empty blocks). */
void maml_comm_split(const maml_comm *c, int n, int *lo, int *hi);
/* Rank r's block of n items among size ranks. */
void maml_comm_block(int n, int size, int r, int *lo, int *hi);

/* buf holds n items of item_bytes each; item i is valid on the rank whose block holds i.
 * Afterwards every rank holds every item. */
maml_status maml_comm_gather_items(maml_comm *c, void *buf, size_t item_bytes, int n, char *err,
                                   size_t err_sz);
/* bytes from rank 0 to every rank */
maml_status maml_comm_broadcast(maml_comm *c, void *buf, size_t bytes, char *err, size_t err_sz);
/* 1 on every rank when flag is non-zero on any rank (a collective: every rank calls it) */
int maml_comm_any(maml_comm *c, int flag);
/* the largest of every rank's value, on every rank (a collective) */
int maml_comm_max(maml_comm *c, int value);

/* End the whole job now (MPI_Abort) with status code; returns only without MPI. */
void maml_comm_abort(maml_comm *c, int code);

/* Seconds spent in and bytes moved by the calls above since maml_comm_init. */
double maml_comm_seconds(const maml_comm *c);
double maml_comm_bytes(const maml_comm *c);

#endif
