/* The policy's matrix products, through one of several backends chosen at run time.
 *
 * maml_matmul has the meaning of a row-major BLAS gemm,
 *   C (m x n) = alpha op(A) op(B) + beta C,  op(A) m x k, op(B) k x n,
 * with op(X) = X or its transpose and lda, ldb, ldc the row strides of A, B and C as
 * stored. The backend is process-wide: select it once, before threads start (the command
 * reads $MAML_MATMUL), and every thread's products use it.
 *
 *   openblas       OpenBLAS's sgemm or dgemm, one thread per call (the default, and the only
 *                  backend of the double build)
 *   dnnl-f32       oneDNN's f32 matmul (float builds configured with MAML_DNNL), single-
 *                  threaded per call, its primitives created once per shape and thread and
 *                  then reused
 *   dnnl-bf16      oneDNN's matmul with A and B in bf16 and the products summed in f32 into
 *                  an f32 C, otherwise as dnnl-f32. The inputs, float, are rounded to bf16
 *                  (maml/bf16.h) into per-thread buffers reused from call to call. Needs a
 *                  CPU where oneDNN has bf16 matmuls (avx512_core; fast with
 *                  avx512_core_bf16); the error of a product is that of its inputs' rounding,
 *                  up to 2^-8 relative each (see maml/bf16.h)
 *   emulated-bf16  the numbers of dnnl-bf16 on any CPU, for accuracy studies: A and B rounded
 *                  to bf16 the same way, then OpenBLAS's sgemm (the same products, summed in
 *                  f32 in another order). Slower than openblas (the rounding copies come on
 *                  top of the same sgemm); every float build has it
 *
 * The double build has openblas alone: oneDNN has no f64 matmul, and bf16 inputs would
 * defeat what that build is for (finite-difference checks in double).
 *
 * maml_matmul_request selects a backend falling back to one available (dnnl-bf16 ->
 * dnnl-f32 -> openblas, emulated-bf16 -> openblas) with a notice; maml_matmul_select is the
 * strict variant. For a given backend the results do not depend on the number of threads or
 * MPI ranks. */
#ifndef MAML_MATMUL_H
#define MAML_MATMUL_H

#include <stddef.h>

#include "maml/error.h"
#include "maml/real.h"

typedef enum {
  MAML_MATMUL_OPENBLAS = 0,
  MAML_MATMUL_DNNL_F32 = 1,
  MAML_MATMUL_DNNL_BF16 = 2,
  MAML_MATMUL_EMULATED_BF16 = 3,
  MAML_MATMUL_COUNT
} maml_matmul_backend;

typedef enum { MAML_NO_TRANS = 0, MAML_TRANS = 1 } maml_trans;

/* The backend's name as maml_matmul_select takes it ("openblas", "dnnl-f32", "dnnl-bf16",
 * "emulated-bf16"); NULL when b is not a backend. */
const char *maml_matmul_name(maml_matmul_backend b);

/* 1 when backend b can run in this build on this CPU; otherwise 0, with the reason in why
 * (if not NULL). */
int maml_matmul_available(maml_matmul_backend b, char *why, size_t why_sz);

/* Use backend b from now on. MAML_ERR_ARG, with a message naming it and why, when it is
 * not available; the backend in use is then unchanged. */
maml_status maml_matmul_use(maml_matmul_backend b, char *err, size_t err_sz);

/* maml_matmul_use by name. MAML_ERR_ARG for an unknown name (the message lists the
 * names allowed) or a backend not available. */
maml_status maml_matmul_select(const char *name, char *err, size_t err_sz);

/* maml_matmul_select that falls back: a known backend not available here is replaced by the
 * first available along dnnl-bf16 -> dnnl-f32 -> openblas (emulated-bf16 -> openblas),
 * which is selected, and notice (if not NULL) gets one line saying so ("matmul backend
 * 'dnnl-bf16' is not available: REASON; using dnnl-f32"); otherwise notice is "". MAML_ERR_ARG
 * only for an unknown name (the message lists the names allowed). */
maml_status maml_matmul_request(const char *name, char *notice, size_t notice_sz, char *err,
                                size_t err_sz);

/* The backend in use (MAML_MATMUL_OPENBLAS until one is selected). */
maml_matmul_backend maml_matmul_current(void);

/* A one-line description of the backend in use and of those available, for `maml version`
 * ("openblas (available: openblas, dnnl-f32, emulated-bf16)"); for a dnnl backend, oneDNN's
 * version, ISA and the kernel of the paper's widest product in that backend's types. */
void maml_matmul_describe(char *out, size_t out_sz);

/* C = alpha op(A) op(B) + beta C with the backend in use (see the top of this file). With
 * beta 0, C is written without being read. */
void maml_matmul(maml_trans ta, maml_trans tb, int m, int n, int k, maml_real alpha,
                 const maml_real *a, int lda, const maml_real *b, int ldb, maml_real beta,
                 maml_real *c, int ldc);

/* The same product with a given backend (which must be available), for tests and benchmarks
 * comparing backends in one process. */
void maml_matmul_with(maml_matmul_backend backend, maml_trans ta, maml_trans tb, int m, int n,
                      int k, maml_real alpha, const maml_real *a, int lda, const maml_real *b,
                      int ldb, maml_real beta, maml_real *c, int ldc);

/* How many backend objects (oneDNN primitives, bf16 scratch buffers allocated or grown) the
 * calling thread has created so far: a product repeated on the same shapes creates none.
 * 0 with OpenBLAS. */
size_t maml_matmul_created(void);

/* ---- fused layers (src/matmul_layer.c) ---------------------------------------------- */

/* the element-wise function a layer applies after its product and bias */
typedef enum { MAML_LAYER_NONE = 0, MAML_LAYER_RELU = 1, MAML_LAYER_TANH = 2 } maml_layer_act;

/* One dense layer on n rows: z = act(x w^T + bias), with x n x in (row stride ldx), w out x in
 * row-major (row stride in), bias out numbers and z n x out (row stride ldz), written without
 * being read. OpenBLAS: the bias copied into z's rows, a gemm adding x w^T, then the
 * activation (ReLU, or tanh as a float rational function; libm's in the double build).
 * dnnl-f32: one oneDNN matmul with the bias fused, and ReLU as its post-op, created once per
 * shape and thread as maml_matmul's are; tanh (ours: oneDNN's costs more, src/matmul_layer.c)
 * applied after it. */
void maml_matmul_layer(int n, int out, int in, const maml_real *x, int ldx, const maml_real *w,
                       const maml_real *bias, maml_layer_act act, maml_real *z, int ldz);

/* The same layer with a given backend (which must be available). */
void maml_matmul_layer_with(maml_matmul_backend backend, int n, int out, int in, const maml_real *x,
                            int ldx, const maml_real *w, const maml_real *bias, maml_layer_act act,
                            maml_real *z, int ldz);

#endif
