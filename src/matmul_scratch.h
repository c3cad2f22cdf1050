/* Per-thread scratch buffers of the matmul backends that convert their inputs (the bf16
 * ones, see maml/matmul.h). Private to src/matmul*.c. */
#ifndef MAML_MATMUL_SCRATCH_H
#define MAML_MATMUL_SCRATCH_H

#include <stddef.h>

enum { MAML_SCRATCH_A, MAML_SCRATCH_B, MAML_SCRATCH_COUNT };

/* The calling thread's buffer `which` (MAML_SCRATCH_A or _B), at least `bytes` long: the
 * same memory call after call, grown only when a product needs more than ever before, freed
 * when the thread ends. NULL when it cannot be had (out of memory). */
void *maml_matmul_scratch(int which, size_t bytes);

/* how many times the calling thread's buffers have been allocated or grown */
size_t maml_matmul_scratch_grown(void);

#endif
