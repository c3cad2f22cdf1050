/* The oneDNN backends of maml_matmul, f32 and bf16 (float builds with MAML_DNNL; see
 * maml/matmul.h).
 * Private to src/matmul.c. */
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
int maml_dnnl_bf16_matmul(int ta, int tb, int m, int n, int k, float alpha, const float *a,
                          int lda, const float *b, int ldb, float beta, float *c, int ldc);

/* as maml_dnnl_describe, with the kernel of a bf16 primitive */
void maml_dnnl_bf16_describe(char *out, size_t out_sz);

#endif
