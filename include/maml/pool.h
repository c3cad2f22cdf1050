/* A fixed pool of worker threads that runs a function over a range of items.
 *
 * Items are handed out one at a time to whichever worker is free; callers store each
 * item's result in a slot of its own and combine them in item order afterwards, so the
 * results do not depend on which thread ran what. The calling thread works too (as worker
 * 0): a pool of 1 thread starts no thread at all. */
#ifndef MAML_POOL_H
#define MAML_POOL_H

#include "maml/error.h"

typedef struct maml_pool maml_pool;

/* fn(ctx, item, worker) with worker in [0, threads) for per-worker scratch. */
typedef void (*maml_pool_fn)(void *ctx, int item, int worker);

/* threads >= 1. Also pins OpenBLAS to one thread: the pool owns the cores. */
maml_status maml_pool_create(maml_pool **out, int threads, char *err, size_t err_sz);
void maml_pool_destroy(maml_pool *pool);
int maml_pool_threads(const maml_pool *pool);

/* Run fn on items 0..n_items-1 and return when all are done. Not reentrant. */
void maml_pool_run(maml_pool *pool, int n_items, maml_pool_fn fn, void *ctx);

/* Number of online processors (at least 1). */
int maml_cpu_count(void);

#endif
