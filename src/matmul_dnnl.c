/* The oneDNN backends of maml_matmul: f32, and bf16 inputs with f32 accumulation and output.
 *
 * One CPU engine for the process. Each thread that calls keeps its own stream and a small
 * cache of matmul primitives keyed by the product's shape (sizes, transposes, strides,
 * alpha, beta): a product is created once per shape and thread, so the learner's repeated
 * products (conjugate-gradient iterations) only execute. Debian's oneDNN threads with
 * OpenMP; each calling thread sets its own OpenMP thread count to 1, so a product runs on
 * the thread that asks for it, as OpenBLAS does in the pool's workers, and its result does
 * not depend on how many threads there are. The cache is freed when its thread ends.
 *
 * The bf16 backend takes float inputs like the f32 one: it rounds A and B to bf16
 * (maml/bf16.h) into the thread's scratch buffers (src/matmul_scratch.c), packed with the
 * rows of their storage, and runs a primitive whose A and B are bf16 and C f32. */
#include "matmul_dnnl.h"

#include <omp.h>
#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "maml/bf16.h"
#include "matmul_scratch.h"

#define CACHE_SIZE 64 /* the paper's network needs about 20 shapes per batch size */

typedef struct {
  int m, n, k, ta, tb, lda, ldb, ldc;
  float alpha, beta;
  int bf16; /* A and B in bf16 */
} shape;

typedef struct {
  shape s;
  dnnl_primitive_t prim;
  dnnl_memory_t mem[3]; /* A, B, C: descriptors only, the data handles set per call */
} entry;

typedef struct {
  dnnl_stream_t stream;
  entry e[CACHE_SIZE];
  int count, next; /* entries in use; the one to replace when full */
  size_t created;
} thread_cache;

static dnnl_engine_t engine;
static dnnl_status_t engine_status = dnnl_runtime_error;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static pthread_key_t cache_key;

static void entry_free(entry *e) {
  for (int i = 0; i < 3; i++)
    if (e->mem[i]) dnnl_memory_destroy(e->mem[i]);
  if (e->prim) dnnl_primitive_destroy(e->prim);
}

static void cache_free(void *arg) {
  thread_cache *tc = arg;
  for (int i = 0; i < tc->count; i++) entry_free(&tc->e[i]);
  if (tc->stream) dnnl_stream_destroy(tc->stream);
  free(tc);
}

static void engine_start(void) {
  if (pthread_key_create(&cache_key, cache_free) != 0) return;
  engine_status = dnnl_engine_create(&engine, dnnl_cpu, 0);
}

int maml_dnnl_available(char *why, size_t why_sz) {
  pthread_once(&engine_once, engine_start);
  if (engine_status == dnnl_success) return 1;
  if (why && why_sz)
    snprintf(why, why_sz, "oneDNN's CPU engine did not start (dnnl status %d)", (int)engine_status);
  return 0;
}

static thread_cache *this_thread(void) {
  if (!maml_dnnl_available(NULL, 0)) return NULL;
  thread_cache *tc = pthread_getspecific(cache_key);
  if (tc) return tc;
  tc = calloc(1, sizeof *tc);
  if (!tc) return NULL;
  if (dnnl_stream_create(&tc->stream, engine, dnnl_stream_default_flags) != dnnl_success ||
      pthread_setspecific(cache_key, tc) != 0) {
    cache_free(tc);
    return NULL;
  }
  omp_set_num_threads(1); /* this thread's OpenMP setting: oneDNN runs on it alone */
  return tc;
}

static int same(const shape *x, const shape *y) {
  return x->m == y->m && x->n == y->n && x->k == y->k && x->ta == y->ta && x->tb == y->tb &&
         x->lda == y->lda && x->ldb == y->ldb && x->ldc == y->ldc && x->alpha == y->alpha &&
         x->beta == y->beta && x->bf16 == y->bf16;
}

/* a rows x cols matrix stored row-major with row stride ld, or its transpose */
static dnnl_status_t matrix_desc(dnnl_memory_desc_t *md, int rows, int cols, int trans, int ld,
                                 dnnl_data_type_t type) {
  dnnl_dims_t dims = {rows, cols};
  dnnl_dims_t strides = {trans ? 1 : ld, trans ? ld : 1};
  return dnnl_memory_desc_init_by_strides(md, 2, dims, type, strides);
}

static dnnl_status_t make_attr(const shape *s, dnnl_primitive_attr_t *attr) {
  dnnl_status_t st = dnnl_primitive_attr_create(attr);
  if (st != dnnl_success) return st;
  if (s->alpha != 1.0f) st = dnnl_primitive_attr_set_output_scales(*attr, 1, 0, &s->alpha);
  if (st == dnnl_success && s->beta != 0.0f) {
    dnnl_post_ops_t po;
    st = dnnl_post_ops_create(&po);
    if (st != dnnl_success) return st;
    st = dnnl_post_ops_append_sum(po, s->beta); /* C = beta C + alpha A B */
    if (st == dnnl_success) st = dnnl_primitive_attr_set_post_ops(*attr, po);
    dnnl_post_ops_destroy(po);
  }
  return st;
}

/* the primitive and memory objects of shape s; dnnl_success or why not */
static dnnl_status_t entry_make(const shape *s, entry *e) {
  dnnl_memory_desc_t md[3];
  dnnl_data_type_t in = s->bf16 ? dnnl_bf16 : dnnl_f32;
  dnnl_status_t st = matrix_desc(&md[0], s->m, s->k, s->ta, s->lda, in);
  if (st == dnnl_success) st = matrix_desc(&md[1], s->k, s->n, s->tb, s->ldb, in);
  if (st == dnnl_success) st = matrix_desc(&md[2], s->m, s->n, 0, s->ldc, dnnl_f32);
  dnnl_matmul_desc_t desc;
  if (st == dnnl_success) st = dnnl_matmul_desc_init(&desc, &md[0], &md[1], NULL, &md[2]);
  if (st != dnnl_success) return st;
  dnnl_primitive_attr_t attr = NULL;
  dnnl_primitive_desc_t pd = NULL;
  st = make_attr(s, &attr);
  if (st == dnnl_success) st = dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL);
  if (attr) dnnl_primitive_attr_destroy(attr);
  if (st != dnnl_success) return st;
  *e = (entry){*s, NULL, {NULL, NULL, NULL}};
  st = dnnl_primitive_create(&e->prim, pd);
  dnnl_primitive_desc_destroy(pd);
  for (int i = 0; i < 3 && st == dnnl_success; i++)
    st = dnnl_memory_create(&e->mem[i], &md[i], engine, DNNL_MEMORY_NONE);
  if (st != dnnl_success) entry_free(e), *e = (entry){0};
  return st;
}

static entry *lookup(thread_cache *tc, const shape *s) {
  for (int i = 0; i < tc->count; i++)
    if (same(&tc->e[i].s, s)) return &tc->e[i];
  entry fresh;
  if (entry_make(s, &fresh) != dnnl_success) return NULL;
  tc->created++;
  entry *slot;
  if (tc->count < CACHE_SIZE) {
    slot = &tc->e[tc->count++];
  } else { /* full: replace the entries in turn */
    slot = &tc->e[tc->next];
    tc->next = (tc->next + 1) % CACHE_SIZE;
    entry_free(slot);
  }
  *slot = fresh;
  return slot;
}

/* C = the product of shape s of a and b (float or bf16 as s says), with its cached primitive */
static int execute(const shape *s, const void *a, const void *b, float *c) {
  thread_cache *tc = this_thread();
  if (!tc) return -1;
  entry *e = lookup(tc, s);
  if (!e) return -1;
  void *data[3] = {(void *)a, (void *)b, c};
  for (int i = 0; i < 3; i++)
    if (dnnl_memory_set_data_handle_v2(e->mem[i], data[i], tc->stream) != dnnl_success) return -1;
  dnnl_exec_arg_t args[3] = {
      {DNNL_ARG_SRC, e->mem[0]}, {DNNL_ARG_WEIGHTS, e->mem[1]}, {DNNL_ARG_DST, e->mem[2]}};
  if (dnnl_primitive_execute(e->prim, tc->stream, 3, args) != dnnl_success) return -1;
  return dnnl_stream_wait(tc->stream) == dnnl_success ? 0 : -1;
}

int maml_dnnl_matmul(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                     const float *b, int ldb, float beta, float *c, int ldc) {
  if (m <= 0 || n <= 0 || k <= 0) return -1;
  shape s = {m, n, k, ta != 0, tb != 0, lda, ldb, ldc, alpha, beta, 0};
  return execute(&s, a, b, c);
}

size_t maml_dnnl_created(void) {
  if (!maml_dnnl_available(NULL, 0)) return 0;
  thread_cache *tc = pthread_getspecific(cache_key);
  return tc ? tc->created : 0;
}

static const char *isa_name(dnnl_cpu_isa_t isa) {
  switch (isa) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

/* the version, the ISA, and the kernel of the paper's widest product (a forward layer) with
 * A and B in bf16 or not */
static void describe(int bf16, char *out, size_t out_sz) {
  if (!out || !out_sz) return;
  const dnnl_version_t *v = dnnl_version();
  const char *kernel = "?";
  entry e = {0};
  shape widest = {4000, 100, 100, 0, 1, 100, 100, 100, 1.0f, 1.0f, bf16};
  const_dnnl_primitive_desc_t pd;
  if (maml_dnnl_available(NULL, 0) && entry_make(&widest, &e) == dnnl_success &&
      dnnl_primitive_get_primitive_desc(e.prim, &pd) == dnnl_success)
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &kernel);
  snprintf(out, out_sz, "oneDNN %d.%d.%d, ISA %s, kernel %s", v->major, v->minor, v->patch,
           isa_name(dnnl_get_effective_cpu_isa()), kernel);
  entry_free(&e);
}

void maml_dnnl_describe(char *out, size_t out_sz) {
  describe(0, out, out_sz);
}

/* ---- bf16 inputs ------------------------------------------------------------------------ */

static int bf16_ok;
static char bf16_why[200];
static pthread_once_t bf16_once = PTHREAD_ONCE_INIT;

/* whether a bf16 matmul primitive can be created here, decided once; oneDNN 2.6 has bf16
 * matmuls from avx512_core on (emulating the bf16 dot products there) */
static void bf16_probe(void) {
  if (!maml_dnnl_available(bf16_why, sizeof bf16_why)) return;
  const dnnl_version_t *v = dnnl_version();
  dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
  int isa_ok = (isa & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core;
  entry e = {0};
  shape probe = {64, 64, 64, 0, 1, 64, 64, 64, 1.0f, 0.0f, 1};
  dnnl_status_t st = entry_make(&probe, &e);
  entry_free(&e);
  if (st == dnnl_success && isa_ok) {
    bf16_ok = 1;
  } else if (!isa_ok) {
    snprintf(bf16_why, sizeof bf16_why,
             "oneDNN %d.%d.%d has no bf16 matmul for this CPU (ISA %s; needs avx512_core, fast "
             "with avx512_core_bf16)",
             v->major, v->minor, v->patch, isa_name(isa));
  } else {
    snprintf(bf16_why, sizeof bf16_why,
             "oneDNN %d.%d.%d could not create a bf16 matmul on this CPU (ISA %s, dnnl status %d)",
             v->major, v->minor, v->patch, isa_name(isa), (int)st);
  }
}

int maml_dnnl_bf16_available(char *why, size_t why_sz) {
  pthread_once(&bf16_once, bf16_probe);
  if (!bf16_ok && why && why_sz) snprintf(why, why_sz, "%s", bf16_why);
  return bf16_ok;
}

int maml_dnnl_bf16_matmul(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                          const float *b, int ldb, float beta, float *c, int ldc) {
  if (m <= 0 || n <= 0 || k <= 0 || !maml_dnnl_bf16_available(NULL, 0)) return -1;
  /* A and B as stored (op(X) or its transpose), each packed with its own rows */
  int a_rows = ta ? k : m, a_cols = ta ? m : k, b_rows = tb ? n : k, b_cols = tb ? k : n;
  uint16_t *a16 = maml_matmul_scratch(MAML_SCRATCH_A, (size_t)a_rows * a_cols * sizeof *a16);
  uint16_t *b16 = maml_matmul_scratch(MAML_SCRATCH_B, (size_t)b_rows * b_cols * sizeof *b16);
  if (!a16 || !b16) return -1;
  maml_bf16_pack(a_rows, a_cols, a, lda, a16);
  maml_bf16_pack(b_rows, b_cols, b, ldb, b16);
  shape s = {m, n, k, ta != 0, tb != 0, a_cols, b_cols, ldc, alpha, beta, 1};
  return execute(&s, a16, b16, c);
}

void maml_dnnl_bf16_describe(char *out, size_t out_sz) {
  describe(1, out, out_sz);
}

/* ---- for the fused layers (src/matmul_dnnl_layer.c) --------------------------------- */

dnnl_engine_t maml_dnnl_engine(void) {
  return maml_dnnl_available(NULL, 0) ? engine : NULL;
}

dnnl_stream_t maml_dnnl_stream(void) {
  thread_cache *tc = this_thread();
  return tc ? tc->stream : NULL;
}

void maml_dnnl_count_created(void) {
  thread_cache *tc = this_thread();
  if (tc) tc->created++;
}
