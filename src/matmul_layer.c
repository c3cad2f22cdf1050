/* The policy's dense layers, z = act(x w^T + bias) (see maml/matmul.h): the bias copied into
 * z, the product added with the backend in use, then the activation; or, with dnnl-f32,
 * oneDNN's fused primitive (src/matmul_dnnl_layer.c) for what fusing pays for. */
#include <math.h>
#include <string.h>

#include "maml/matmul.h"

#ifdef MAML_HAVE_DNNL
#include "matmul_dnnl.h"
#endif

#ifndef MAML_DOUBLE
/* tanh in float as a rational function of x (odd degree-13 over even degree-6, the
 * coefficients of Eigen's fast float tanh), on x clamped to where tanh rounds to +-1:
 * plain arithmetic, so the loop vectorises, where libm's tanhf is a scalar call ten
 * times the cost of the layer's GEMM. Relative error below 4e-7 on [-12, 12]. */
static inline float tanh_rational(float x) {
  const float clamp = 7.90531110763549805f;
  float xc = x < -clamp ? -clamp : (x > clamp ? clamp : x);
  float x2 = xc * xc;
  float p = -2.76076847742355e-16f;
  p = p * x2 + 2.00018790482477e-13f;
  p = p * x2 - 8.60467152213735e-11f;
  p = p * x2 + 5.12229709037114e-08f;
  p = p * x2 + 1.48572235717979e-05f;
  p = p * x2 + 6.37261928875436e-04f;
  p = p * x2 + 4.89352455891786e-03f;
  float q = 1.19825839466702e-06f;
  q = q * x2 + 1.18534705686654e-04f;
  q = q * x2 + 2.26843463243900e-03f;
  q = q * x2 + 4.89352518554385e-03f;
  return p * xc / q;
}
#define TANH tanh_rational
#else
#define TANH tanh
#endif

static void activate(maml_layer_act a, maml_real *z, size_t count) {
  if (a == MAML_LAYER_RELU) {
    for (size_t i = 0; i < count; i++) z[i] = z[i] > 0 ? z[i] : 0; /* maxss: no branch */
  } else if (a == MAML_LAYER_TANH) {
    for (size_t i = 0; i < count; i++) z[i] = TANH(z[i]);
  }
}

static void activate_rows(maml_layer_act act, maml_real *z, int n, int out, int ldz) {
  if (ldz == out) {
    activate(act, z, (size_t)n * out);
  } else {
    for (int i = 0; i < n; i++) activate(act, z + (size_t)i * ldz, (size_t)out);
  }
}

static void unfused(maml_matmul_backend backend, int n, int out, int in, const maml_real *x,
                    int ldx, const maml_real *w, const maml_real *bias, maml_layer_act act,
                    maml_real *z, int ldz) {
  for (int i = 0; i < n; i++) memcpy(z + (size_t)i * ldz, bias, (size_t)out * sizeof *z);
  maml_matmul_with(backend, MAML_NO_TRANS, MAML_TRANS, n, out, in, 1, x, ldx, w, in, 1, z, ldz);
  activate_rows(act, z, n, out, ldz);
}

#ifdef MAML_HAVE_DNNL
/* oneDNN's layer: the bias always fused, and ReLU; tanh is ours, after the primitive.
 * Measured on one AVX2 core (oneDNN 2.6.3, gemm:jit; medians of 3), the fused bias and ReLU
 * take 4-15% off oneDNN's sequence of bias rows, product and activation on the paper's and
 * pytorch-maml-rl's layers (1 to 4000 rows), but its tanh post-op makes the layer 1.5-2x
 * slower (4000 x 20 -> 100: 1.90 ms against 1.09 ms), where our rational tanh after a fused
 * bias costs 0-7% less than the sequence, and keeps tanh the same function under every
 * backend. 0 when done. */
static int dnnl_layer(int n, int out, int in, const maml_real *x, int ldx, const maml_real *w,
                      const maml_real *bias, maml_layer_act act, maml_real *z, int ldz) {
  maml_layer_act fused = act == MAML_LAYER_TANH ? MAML_LAYER_NONE : act;
  if (maml_dnnl_layer(n, out, in, x, ldx, w, bias, (int)fused, z, ldz) != 0) return -1;
  if (fused != act) activate_rows(act, z, n, out, ldz);
  return 0;
}
#endif

void maml_matmul_layer_with(maml_matmul_backend backend, int n, int out, int in, const maml_real *x,
                            int ldx, const maml_real *w, const maml_real *bias, maml_layer_act act,
                            maml_real *z, int ldz) {
#ifdef MAML_HAVE_DNNL
  /* a shape oneDNN refuses (it should not happen) still gets its layer */
  if (backend == MAML_MATMUL_DNNL_F32 && dnnl_layer(n, out, in, x, ldx, w, bias, act, z, ldz) == 0)
    return;
#endif
  unfused(backend, n, out, in, x, ldx, w, bias, act, z, ldz);
}

void maml_matmul_layer(int n, int out, int in, const maml_real *x, int ldx, const maml_real *w,
                       const maml_real *bias, maml_layer_act act, maml_real *z, int ldz) {
  maml_matmul_layer_with(maml_matmul_current(), n, out, in, x, ldx, w, bias, act, z, ldz);
}
