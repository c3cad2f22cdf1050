/* The oneDNN backends of maml_matmul, f32 and bf16 (float builds with MAML_DNNL; see
 * maml/matmul.h). Private to src/matmul.c and the fused layers (src/matmul_layer.c,
 * src/matmul_dnnl_layer.c). */
#ifndef MAML_MATMUL_DNNL_H
#define MAML_MATMUL_DNNL_H

#include <stddef.h>

/* 1 when oneDNN's CPU engine starts; otherwise 0 with the reason in why (if not NULL). */
int maml_dnnl_available(char *why, size_t why_sz);

/* C = alpha op(A) op(B) + beta C, row-major, on one thread, with a primitive created for
 * the shape on the first call in this thread and reused after. 0 when done; otherwise
 * nothing was written and the caller computes the product another way. */
int maml_dnnl_matmul(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                     const float *b, int ldb, float beta, float *c, int ldc);

/* the primitives the calling thread has created */
size_t maml_dnnl_created(void);

/* "oneDNN 2.6.3, ISA avx2, kernel brg:avx2" (the kernel of the paper's widest product) */
void maml_dnnl_describe(char *out, size_t out_sz);

/* 1 when oneDNN creates a bf16 matmul primitive on this CPU (decided once); otherwise 0 with
 * the reason, naming the ISA found and the one needed, in why (if not NULL). */
int maml_dnnl_bf16_available(char *why, size_t why_sz);

/* maml_dnnl_matmul with A and B rounded to bf16 (into the thread's scratch buffers) and
 * the products summed in f32: same arguments, same meaning of the result. */
int maml_dnnl_bf16_matmul(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                          const float *b, int ldb, float beta, float *c, int ldc);

/* as maml_dnnl_describe, with the kernel of a bf16 primitive */
void maml_dnnl_bf16_describe(char *out, size_t out_sz);

/* ---- for the fused layers (src/matmul_dnnl_layer.c) --------------------------------- */

#include <oneapi/dnnl/dnnl_types.h>

/* the process's CPU engine; NULL when oneDNN is not available */
dnnl_engine_t maml_dnnl_engine(void);

/* the calling thread's stream, made on first use with the thread set to run oneDNN on
 * itself alone (as maml_dnnl_matmul does); NULL when oneDNN is not available */
dnnl_stream_t maml_dnnl_stream(void);

/* one more object created by the calling thread, for maml_dnnl_created */
void maml_dnnl_count_created(void);

/* z = act(x w^T + bias), act MAML_LAYER_NONE or MAML_LAYER_RELU, row-major, x n x in, w
 * out x in, bias out numbers, z n x out, as one primitive with the bias and the activation
 * fused, created for the shape on the first call in this thread and reused after. 0 when
 * done; otherwise (tanh among others) nothing was written and the caller computes the layer
 * another way. */
int maml_dnnl_layer(int n, int out, int in, const float *x, int ldx, const float *w,
                    const float *bias, int act, float *z, int ldz);

#endif
