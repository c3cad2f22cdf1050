/* The fused layers of the oneDNN f32 backend: z = act(x w^T + bias) as one matmul primitive
 * whose bias is an input and whose activation (ReLU, or none) is an eltwise post-op, so that
 * z is written once. Tanh is not fused: src/matmul_layer.c says why.
 *
 * Each thread that calls keeps a small cache of these primitives keyed by the layer's shape
 * (rows, widths, strides, activation), as src/matmul_dnnl.c keeps its products, and runs them
 * on the stream that file gives the thread (one OpenMP thread, the caller). The cache is
 * freed when its thread ends; what it creates counts in maml_dnnl_created. */
#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <stdlib.h>

#include "maml/matmul.h"
#include "matmul_dnnl.h"

#define CACHE_SIZE 32 /* a network has at most MAML_MAX_HIDDEN + 1 layers a batch size */

typedef struct {
  int n, out, in, ldx, ldz, act;
} shape;

enum { SRC, WEIGHTS, BIAS, DST, N_MEM };

typedef struct {
  shape s;
  dnnl_primitive_t prim;
  dnnl_memory_t mem[N_MEM]; /* descriptors only, the data handles set per call */
} entry;

typedef struct {
  entry e[CACHE_SIZE];
  int count, next; /* entries in use; the one to replace when full */
} layer_cache;

static pthread_key_t cache_key;
static int key_made;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void entry_free(entry *e) {
  for (int i = 0; i < N_MEM; i++)
    if (e->mem[i]) dnnl_memory_destroy(e->mem[i]);
  if (e->prim) dnnl_primitive_destroy(e->prim);
}

static void cache_free(void *arg) {
  layer_cache *lc = arg;
  for (int i = 0; i < lc->count; i++) entry_free(&lc->e[i]);
  free(lc);
}

static void key_make(void) {
  key_made = pthread_key_create(&cache_key, cache_free) == 0;
}

static layer_cache *this_thread(void) {
  pthread_once(&key_once, key_make);
  if (!key_made) return NULL;
  layer_cache *lc = pthread_getspecific(cache_key);
  if (lc) return lc;
  lc = calloc(1, sizeof *lc);
  if (lc && pthread_setspecific(cache_key, lc) != 0) free(lc), lc = NULL;
  return lc;
}

static int same(const shape *x, const shape *y) {
  return x->n == y->n && x->out == y->out && x->in == y->in && x->ldx == y->ldx &&
         x->ldz == y->ldz && x->act == y->act;
}

static dnnl_status_t desc(dnnl_memory_desc_t *md, int rows, int cols, int row_stride,
                          int col_stride) {
  dnnl_dims_t dims = {rows, cols}, strides = {row_stride, col_stride};
  return dnnl_memory_desc_init_by_strides(md, 2, dims, dnnl_f32, strides);
}

/* ReLU as an eltwise post-op; none for MAML_LAYER_NONE */
static dnnl_status_t make_attr(int act, dnnl_primitive_attr_t *attr) {
  dnnl_status_t st = dnnl_primitive_attr_create(attr);
  if (st != dnnl_success || act == MAML_LAYER_NONE) return st;
  dnnl_post_ops_t po;
  st = dnnl_post_ops_create(&po);
  if (st != dnnl_success) return st;
  st = dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f);
  if (st == dnnl_success) st = dnnl_primitive_attr_set_post_ops(*attr, po);
  dnnl_post_ops_destroy(po);
  return st;
}

/* the primitive and memory objects of layer s; dnnl_success or why not */
static dnnl_status_t entry_make(const shape *s, entry *e) {
  dnnl_engine_t engine = maml_dnnl_engine();
  if (!engine) return dnnl_runtime_error;
  dnnl_memory_desc_t md[N_MEM];
  dnnl_status_t st = desc(&md[SRC], s->n, s->in, s->ldx, 1);
  if (st == dnnl_success) st = desc(&md[WEIGHTS], s->in, s->out, 1, s->in); /* w^T */
  if (st == dnnl_success) st = desc(&md[BIAS], 1, s->out, s->out, 1);
  if (st == dnnl_success) st = desc(&md[DST], s->n, s->out, s->ldz, 1);
  dnnl_matmul_desc_t mm;
  if (st == dnnl_success)
    st = dnnl_matmul_desc_init(&mm, &md[SRC], &md[WEIGHTS], &md[BIAS], &md[DST]);
  if (st != dnnl_success) return st;
  dnnl_primitive_attr_t attr = NULL;
  dnnl_primitive_desc_t pd = NULL;
  st = make_attr(s->act, &attr);
  if (st == dnnl_success) st = dnnl_primitive_desc_create(&pd, &mm, attr, engine, NULL);
  if (attr) dnnl_primitive_attr_destroy(attr);
  if (st != dnnl_success) return st;
  *e = (entry){*s, NULL, {NULL, NULL, NULL, NULL}};
  st = dnnl_primitive_create(&e->prim, pd);
  dnnl_primitive_desc_destroy(pd);
  for (int i = 0; i < N_MEM && st == dnnl_success; i++)
    st = dnnl_memory_create(&e->mem[i], &md[i], engine, DNNL_MEMORY_NONE);
  if (st != dnnl_success) entry_free(e), *e = (entry){0};
  return st;
}

static entry *lookup(layer_cache *lc, const shape *s) {
  for (int i = 0; i < lc->count; i++)
    if (same(&lc->e[i].s, s)) return &lc->e[i];
  entry fresh;
  if (entry_make(s, &fresh) != dnnl_success) return NULL;
  maml_dnnl_count_created();
  entry *slot;
  if (lc->count < CACHE_SIZE) {
    slot = &lc->e[lc->count++];
  } else { /* full: replace the entries in turn */
    slot = &lc->e[lc->next];
    lc->next = (lc->next + 1) % CACHE_SIZE;
    entry_free(slot);
  }
  *slot = fresh;
  return slot;
}

int maml_dnnl_layer(int n, int out, int in, const float *x, int ldx, const float *w,
                    const float *bias, int act, float *z, int ldz) {
  if (n <= 0 || out <= 0 || in <= 0 || (act != MAML_LAYER_NONE && act != MAML_LAYER_RELU))
    return -1;
  dnnl_stream_t stream = maml_dnnl_stream();
  layer_cache *lc = stream ? this_thread() : NULL;
  if (!lc) return -1;
  shape s = {n, out, in, ldx, ldz, act};
  entry *e = lookup(lc, &s);
  if (!e) return -1;
  void *data[N_MEM] = {(void *)x, (void *)w, (void *)bias, z};
  for (int i = 0; i < N_MEM; i++)
    if (dnnl_memory_set_data_handle_v2(e->mem[i], data[i], stream) != dnnl_success) return -1;
  dnnl_exec_arg_t args[N_MEM] = {{DNNL_ARG_SRC, e->mem[SRC]},
                                 {DNNL_ARG_WEIGHTS, e->mem[WEIGHTS]},
                                 {DNNL_ARG_BIAS, e->mem[BIAS]},
                                 {DNNL_ARG_DST, e->mem[DST]}};
  if (dnnl_primitive_execute(e->prim, stream, N_MEM, args) != dnnl_success) return -1;
  return dnnl_stream_wait(stream) == dnnl_success ? 0 : -1;
}
