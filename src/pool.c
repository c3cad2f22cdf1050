#include "maml/pool.h"

#include <cblas.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct maml_pool {
  int threads;
  pthread_t *workers; /* threads - 1 of them: the caller is worker 0 */
  int started;        /* how many were started */
  pthread_mutex_t lock;
  pthread_cond_t wake, finished;
  unsigned long generation; /* bumped for every job */
  int stop;
  int busy; /* background workers still in the current job */
  /* the current job */
  maml_pool_fn fn;
  void *ctx;
  int n_items;
  atomic_int next_item;
};

typedef struct {
  maml_pool *pool;
  int id;
} worker_arg;

static void work_on_items(maml_pool *p, int worker) {
  for (;;) {
    int item = atomic_fetch_add(&p->next_item, 1);
    if (item >= p->n_items) return;
    p->fn(p->ctx, item, worker);
  }
}

static void *worker_main(void *arg) {
  worker_arg a = *(worker_arg *)arg;
  free(arg);
  maml_pool *p = a.pool;
  unsigned long seen = 0;
  pthread_mutex_lock(&p->lock);
  for (;;) {
    while (!p->stop && p->generation == seen) pthread_cond_wait(&p->wake, &p->lock);
    if (p->stop) break;
    seen = p->generation;
    pthread_mutex_unlock(&p->lock);
    work_on_items(p, a.id);
    pthread_mutex_lock(&p->lock);
    if (--p->busy == 0) pthread_cond_signal(&p->finished);
  }
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

int maml_cpu_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n >= 1 ? (int)n : 1;
}

maml_status maml_pool_create(maml_pool **out, int threads, char *err, size_t err_sz) {
  *out = NULL;
  if (threads < 1 || threads > 4096)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "threads must be in [1, 4096] (got %d)", threads);
  maml_pool *p = calloc(1, sizeof *p);
  if (!p) return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory for the thread pool");
  p->threads = threads;
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->wake, NULL);
  pthread_cond_init(&p->finished, NULL);
  atomic_init(&p->next_item, 0);
  openblas_set_num_threads(1);
  if (threads > 1) {
    p->workers = calloc((size_t)threads - 1, sizeof *p->workers);
    if (!p->workers) {
      maml_pool_destroy(p);
      return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory for the thread pool");
    }
    for (int i = 1; i < threads; i++) {
      worker_arg *a = malloc(sizeof *a);
      if (a) a->pool = p, a->id = i;
      if (!a || pthread_create(&p->workers[i - 1], NULL, worker_main, a) != 0) {
        free(a);
        maml_pool_destroy(p);
        return maml_fail(err, err_sz, MAML_ERR_NOMEM, "could not start worker thread %d of %d",
                         i + 1, threads);
      }
      p->started++;
    }
  }
  *out = p;
  return MAML_OK;
}

void maml_pool_destroy(maml_pool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->lock);
  p->stop = 1;
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->lock);
  for (int i = 0; i < p->started; i++) pthread_join(p->workers[i], NULL);
  pthread_mutex_destroy(&p->lock);
  pthread_cond_destroy(&p->wake);
  pthread_cond_destroy(&p->finished);
  free(p->workers);
  free(p);
}

int maml_pool_threads(const maml_pool *p) {
  return p->threads;
}

void maml_pool_run(maml_pool *p, int n_items, maml_pool_fn fn, void *ctx) {
  if (n_items <= 0) return;
  if (p->started == 0) { /* no helpers: run inline */
    for (int i = 0; i < n_items; i++) fn(ctx, i, 0);
    return;
  }
  pthread_mutex_lock(&p->lock);
  p->fn = fn;
  p->ctx = ctx;
  p->n_items = n_items;
  atomic_store(&p->next_item, 0);
  p->busy = p->started;
  p->generation++;
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->lock);
  work_on_items(p, 0);
  pthread_mutex_lock(&p->lock);
  while (p->busy > 0) pthread_cond_wait(&p->finished, &p->lock);
  pthread_mutex_unlock(&p->lock);
}
