/* Thread pool: every item runs exactly once, worker ids stay in range, and repeated jobs
 * neither deadlock nor lose items. */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <string.h>

#include "maml/pool.h"

enum { ITEMS = 1000 };

typedef struct {
  atomic_int runs[ITEMS];
  atomic_int bad_worker;
  int threads;
} job;

static void count_item(void *ctx, int item, int worker) {
  job *j = ctx;
  atomic_fetch_add(&j->runs[item], 1);
  if (worker < 0 || worker >= j->threads) atomic_fetch_add(&j->bad_worker, 1);
}

Test(pool, every_item_runs_once_for_1_2_4_threads) {
  int counts[] = {1, 2, 4};
  for (int k = 0; k < 3; k++) {
    maml_pool *pool;
    char err[128];
    cr_assert_eq(maml_pool_create(&pool, counts[k], err, sizeof err), MAML_OK, "%s", err);
    cr_assert_eq(maml_pool_threads(pool), counts[k]);
    static job j;
    j.threads = counts[k];
    for (int rep = 0; rep < 200; rep++) {
      for (int i = 0; i < ITEMS; i++) atomic_store(&j.runs[i], 0);
      atomic_store(&j.bad_worker, 0);
      int n = rep % 2 ? ITEMS : 3; /* fewer items than threads too */
      maml_pool_run(pool, n, count_item, &j);
      for (int i = 0; i < ITEMS; i++)
        cr_assert_eq(atomic_load(&j.runs[i]), i < n ? 1 : 0, "threads %d rep %d item %d", counts[k],
                     rep, i);
      cr_assert_eq(atomic_load(&j.bad_worker), 0);
    }
    maml_pool_run(pool, 0, count_item, &j); /* nothing to do: returns */
    maml_pool_destroy(pool);
  }
}

Test(pool, bad_thread_counts_are_refused) {
  maml_pool *pool;
  char err[128] = "";
  cr_assert_eq(maml_pool_create(&pool, 0, err, sizeof err), MAML_ERR_ARG);
  cr_assert(strstr(err, "got 0") != NULL, "message: %s", err);
  cr_assert_null(pool);
}
