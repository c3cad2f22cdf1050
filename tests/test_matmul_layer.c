/* The fused dense layer z = act(x w^T + bias) (maml_matmul_layer): every backend available
 * against a double reference, for every activation and odd shapes; OpenBLAS bit for bit the
 * sequence the policy's forward pass ran before the layer existed (bias rows, gemm, then the
 * activation); oneDNN's primitives created once per shape, never again on a new batch's or
 * new parameters' forward pass, and the same bits on any thread. */
#include <cblas.h>
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "maml/matmul.h"
#include "maml/policy.h"
#include "maml/rng.h"
#include "testutil.h"

static const maml_layer_act acts[3] = {MAML_LAYER_NONE, MAML_LAYER_RELU, MAML_LAYER_TANH};
static const char *const act_names[3] = {"none", "relu", "tanh"};

static maml_real *random_matrix(size_t count, double scale, maml_rng *r) {
  maml_real *x = malloc((count ? count : 1) * sizeof *x);
  cr_assert_not_null(x);
  for (size_t i = 0; i < count; i++) x[i] = (maml_real)(scale * maml_rng_normal(r));
  return x;
}

/* z = act(x w^T + bias) in double, by loops, with libm's tanh */
static double reference(int out, int in, const maml_real *x, int ldx, const maml_real *w,
                        const maml_real *bias, maml_layer_act act, int i, int j) {
  double s = bias[j];
  for (int p = 0; p < in; p++) s += (double)x[(size_t)i * ldx + p] * w[(size_t)j * in + p];
  (void)out;
  if (act == MAML_LAYER_RELU) return s > 0 ? s : 0;
  if (act == MAML_LAYER_TANH) return tanh(s);
  return s;
}

/* sum_p |x_ip w_jp|: what the rounding of a bf16 backend's inputs can move z_ij by, up to
 * 2^-7 + 2^-16 of it (each product of two inputs each within 2^-8 relative) */
static double abs_sum(int in, const maml_real *x, int ldx, const maml_real *w, int i, int j) {
  double s = 0;
  for (int p = 0; p < in; p++) s += fabs((double)x[(size_t)i * ldx + p] * w[(size_t)j * in + p]);
  return s;
}

static int is_bf16(int be) {
  return be == MAML_MATMUL_DNNL_BF16 || be == MAML_MATMUL_EMULATED_BF16;
}

typedef struct {
  int n, out, in;
} layer_shape;

/* odd sizes, one row, and the policy's layers at the paper's and pytorch-maml-rl's sizes */
static const layer_shape odd[] = {{37, 11, 13}, {1, 7, 5}, {3, 1, 1}, {101, 33, 64}};

Test(matmul_layer, every_backend_computes_the_layer_for_every_activation) {
  maml_rng r;
  maml_rng_init(&r, 21, 0, MAML_PHASE_TEST, 0, 0);
  for (size_t s = 0; s < sizeof odd / sizeof odd[0]; s++) {
    const layer_shape *sh = &odd[s];
    int ldx = sh->in + 3, ldz = sh->out + 2;
    maml_real *x = random_matrix((size_t)sh->n * ldx, 1.0, &r);
    maml_real *w = random_matrix((size_t)sh->out * sh->in, 1.0 / sqrt(sh->in), &r);
    maml_real *bias = random_matrix((size_t)sh->out, 0.5, &r);
    maml_real *z = malloc((size_t)sh->n * ldz * sizeof *z);
    cr_assert_not_null(z);
    for (int be = 0; be < MAML_MATMUL_COUNT; be++) {
      if (!maml_matmul_available((maml_matmul_backend)be, NULL, 0)) continue;
      for (int a = 0; a < 3; a++) {
        for (size_t i = 0; i < (size_t)sh->n * ldz; i++) z[i] = NAN; /* not read */
        maml_matmul_layer_with((maml_matmul_backend)be, sh->n, sh->out, sh->in, x, ldx, w, bias,
                               acts[a], z, ldz);
        for (int i = 0; i < sh->n; i++) {
          for (int j = 0; j < sh->out; j++) {
            double want = reference(sh->out, sh->in, x, ldx, w, bias, acts[a], i, j);
            double got = z[(size_t)i * ldz + j];
            double rounding =
                is_bf16(be) ? (0x1p-7 + 0x1p-16) * abs_sum(sh->in, x, ldx, w, i, j) : 0;
            cr_assert(fabs(got - want) <= rounding + 2e-6 * (1 + fabs(want)),
                      "%s, %s, %dx%d<-%d: z[%d][%d] = %.9g, want %.9g",
                      maml_matmul_name((maml_matmul_backend)be), act_names[a], sh->n, sh->out,
                      sh->in, i, j, got, want);
          }
          for (int j = sh->out; j < ldz; j++)
            cr_assert(isnan(z[(size_t)i * ldz + j]), "%s wrote past the row's end",
                      maml_matmul_name((maml_matmul_backend)be));
        }
        if (acts[a] == MAML_LAYER_RELU)
          for (size_t i = 0; i < (size_t)sh->n * ldz; i++)
            if (i % ldz < (size_t)sh->out) cr_assert(z[i] >= 0, "ReLU left a negative");
      }
    }
    free(x), free(w), free(bias), free(z);
  }
}

#ifndef MAML_DOUBLE
/* the float tanh the policy used before the layer existed, copied from it as it was */
static float old_tanh(float x) {
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
#define OLD_TANH old_tanh
#else
#define OLD_TANH tanh
#endif

/* the forward layer as policy.c ran it: bias rows, cblas gemm with beta 1, the activation */
static void old_layer(int n, int out, int in, const maml_real *x, const maml_real *w,
                      const maml_real *bias, maml_layer_act act, maml_real *z) {
  for (int i = 0; i < n; i++) memcpy(z + (size_t)i * out, bias, (size_t)out * sizeof *z);
  maml_gemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1, x, in, w, in, 1, z, out);
  for (size_t i = 0; i < (size_t)n * out; i++) {
    if (act == MAML_LAYER_RELU) z[i] = z[i] > 0 ? z[i] : 0;
    if (act == MAML_LAYER_TANH) z[i] = (maml_real)OLD_TANH(z[i]);
  }
}

static const layer_shape policy_layers[] = {{4000, 100, 20}, {4000, 100, 100}, {4000, 6, 100},
                                            {2000, 64, 20},  {2000, 64, 64},   {2000, 6, 64},
                                            {20, 64, 20},    {37, 11, 13}};

/* OpenBLAS's layer changes no bit of training: the same numbers as before it existed */
Test(matmul_layer, openblas_is_bit_identical_to_the_unfused_sequence) {
  maml_rng r;
  maml_rng_init(&r, 22, 0, MAML_PHASE_TEST, 0, 0);
  for (size_t s = 0; s < sizeof policy_layers / sizeof policy_layers[0]; s++) {
    const layer_shape *sh = &policy_layers[s];
    size_t count = (size_t)sh->n * sh->out;
    maml_real *x = random_matrix((size_t)sh->n * sh->in, 1.0, &r);
    maml_real *w = random_matrix((size_t)sh->out * sh->in, 1.0 / sqrt(sh->in), &r);
    maml_real *bias = random_matrix((size_t)sh->out, 0.5, &r);
    maml_real *got = malloc(count * sizeof *got), *want = malloc(count * sizeof *want);
    cr_assert(got && want);
    for (int a = 0; a < 3; a++) {
      old_layer(sh->n, sh->out, sh->in, x, w, bias, acts[a], want);
      maml_matmul_layer_with(MAML_MATMUL_OPENBLAS, sh->n, sh->out, sh->in, x, sh->in, w, bias,
                             acts[a], got, sh->out);
      cr_assert_eq(memcmp(got, want, count * sizeof *got), 0, "%s, %dx%d<-%d: bits differ",
                   act_names[a], sh->n, sh->out, sh->in);
    }
    free(x), free(w), free(bias), free(got), free(want);
  }
  cr_assert_eq(maml_matmul_created(), 0);
}

static int other_backends(void) {
  int count = 0;
  for (int be = 1; be < MAML_MATMUL_COUNT; be++)
    count += maml_matmul_available((maml_matmul_backend)be, NULL, 0);
  return count;
}

/* a policy at pytorch-maml-rl's sizes and its forward pass on a batch */
typedef struct {
  maml_policy p;
  maml_real *theta, *obs;
  maml_policy_cache c;
  int rows;
} network;

static void network_make(network *f, maml_activation act, int rows, maml_rng *r) {
  char err[256];
  const int hidden[2] = {64, 64};
  cr_assert_eq(maml_policy_init(&f->p, 20, 6, 2, hidden, act, 1.0, err, sizeof err), MAML_OK, "%s",
               err);
  f->theta = random_matrix(f->p.n_params, 1.0, r);
  maml_policy_init_params(&f->p, f->theta, r);
  for (int l = 0; l < f->p.n_layers; l++) /* biases not zero, as after training */
    for (int j = 0; j < f->p.out[l]; j++) f->theta[f->p.b_off[l] + j] = (maml_real)(0.3 * j / 64);
  f->obs = random_matrix((size_t)rows * 20, 1.0, r);
  f->rows = rows;
  cr_assert_eq(maml_policy_cache_alloc(&f->c, &f->p, rows), MAML_OK);
}

static void network_free(network *f) {
  free(f->theta), free(f->obs);
  maml_policy_cache_free(&f->c);
}

static double max_abs_diff(const maml_real *a, const maml_real *b, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - b[i]));
  return m;
}

/* every backend's forward pass, both activations, within float rounding of OpenBLAS's; after
 * the first pass on a batch size, passes with new parameters (a line search) or on another
 * batch of that size create no backend object */
Test(matmul_layer, every_backend_forward_agrees_and_creates_its_layers_once) {
  if (!other_backends()) cr_skip_test("OpenBLAS is the only backend of this build");
  maml_rng r;
  maml_rng_init(&r, 23, 0, MAML_PHASE_TEST, 0, 0);
  char err[256];
  for (int a = 0; a < 2; a++) {
    network f;
    network_make(&f, a ? MAML_ACT_TANH : MAML_ACT_RELU, 2000, &r);
    size_t count = (size_t)f.rows * 6;
    maml_real *want = malloc(count * sizeof *want);
    cr_assert_not_null(want);
    maml_policy_forward(&f.p, f.theta, f.obs, f.rows, &f.c);
    memcpy(want, f.c.mu, count * sizeof *want);
    for (int be = 1; be < MAML_MATMUL_COUNT; be++) {
      if (!maml_matmul_available((maml_matmul_backend)be, NULL, 0)) continue;
      const char *name = maml_matmul_name((maml_matmul_backend)be);
      cr_assert_eq(maml_matmul_use((maml_matmul_backend)be, err, sizeof err), MAML_OK, "%s", err);
      maml_policy_forward(&f.p, f.theta, f.obs, f.rows, &f.c);
      /* bf16 inputs: each layer's products within about 2^-8 relative (test_matmul.c) */
      double e = rel_err(f.c.mu, want, count), bound = is_bf16(be) ? 2e-2 : 1e-5;
      cr_assert(e < bound, "%s, %s: mu off by %g relative", name, act_names[a + 1], e);
      cr_assert(max_abs_diff(f.c.mu, want, count) < (is_bf16(be) ? 0.1 : 1e-4), "%s: mu off by %g",
                name, max_abs_diff(f.c.mu, want, count));
      if (is_bf16(be)) cr_assert(e > 1e-5, "%s does not round: mu off by only %g", name, e);
      size_t created = maml_matmul_created();
      for (size_t i = 0; i < f.p.n_params; i++) f.theta[i] *= (maml_real)0.99;
      for (size_t i = 0; i < (size_t)f.rows * 20; i++) f.obs[i] = -f.obs[i];
      maml_policy_forward(&f.p, f.theta, f.obs, f.rows, &f.c);
      cr_assert_eq(maml_matmul_created(), created, "%s created %zu objects on a repeated shape",
                   name, maml_matmul_created() - created);
      for (size_t i = 0; i < f.p.n_params; i++) f.theta[i] /= (maml_real)0.99;
      for (size_t i = 0; i < (size_t)f.rows * 20; i++) f.obs[i] = -f.obs[i];
      cr_assert_eq(maml_matmul_use(MAML_MATMUL_OPENBLAS, err, sizeof err), MAML_OK);
    }
    free(want);
    network_free(&f);
  }
}

/* a new layer shape creates one object, and only the first time; tanh, applied after a
 * bias-only primitive (src/matmul_layer.c), shares the one of no activation */
Test(matmul_layer, onednn_creates_one_object_a_new_shape) {
  if (!maml_matmul_available(MAML_MATMUL_DNNL_F32, NULL, 0))
    cr_skip_test("no dnnl-f32 backend in this build");
  maml_rng r;
  maml_rng_init(&r, 24, 0, MAML_PHASE_TEST, 0, 0);
  maml_real *x = random_matrix(50 * 9, 1, &r), *w = random_matrix(9 * 8, 1, &r);
  maml_real *bias = random_matrix(8, 1, &r), *z = malloc(50 * 8 * sizeof *z);
  cr_assert_not_null(z);
  for (int a = 0; a < 3; a++) {
    size_t before = maml_matmul_created();
    maml_matmul_layer_with(MAML_MATMUL_DNNL_F32, 50, 8, 9, x, 9, w, bias, acts[a], z, 8);
    size_t first = maml_matmul_created();
    size_t expect = acts[a] == MAML_LAYER_TANH ? 0 : 1;
    cr_assert_eq(first, before + expect, "%s: %zu objects for a new shape", act_names[a],
                 first - before);
    for (int k = 0; k < 3; k++)
      maml_matmul_layer_with(MAML_MATMUL_DNNL_F32, 50, 8, 9, x, 9, w, bias, acts[a], z, 8);
    cr_assert_eq(maml_matmul_created(), first, "%s: created again", act_names[a]);
  }
  free(x), free(w), free(bias), free(z);
}

typedef struct {
  maml_matmul_backend be;
  const layer_shape *sh;
  const maml_real *x, *w, *bias;
  maml_layer_act act;
  maml_real *z;
} job;

static void *run_job(void *arg) {
  job *j = arg;
  maml_matmul_layer_with(j->be, j->sh->n, j->sh->out, j->sh->in, j->x, j->sh->in, j->w, j->bias,
                         j->act, j->z, j->sh->out);
  return NULL;
}

/* two threads at once and the main thread compute the same bits */
Test(matmul_layer, every_backend_gives_the_same_bits_on_any_thread) {
  maml_rng r;
  maml_rng_init(&r, 25, 0, MAML_PHASE_TEST, 0, 0);
  const layer_shape *sh = &policy_layers[1];
  size_t count = (size_t)sh->n * sh->out;
  maml_real *x = random_matrix((size_t)sh->n * sh->in, 1, &r);
  maml_real *w = random_matrix((size_t)sh->out * sh->in, 0.1, &r);
  maml_real *bias = random_matrix((size_t)sh->out, 0.5, &r);
  for (int be = 0; be < MAML_MATMUL_COUNT; be++) {
    if (!maml_matmul_available((maml_matmul_backend)be, NULL, 0)) continue;
    for (int a = 1; a < 3; a++) {
      maml_real *z[3];
      for (int t = 0; t < 3; t++) cr_assert_not_null(z[t] = malloc(count * sizeof(maml_real)));
      job jobs[3];
      for (int t = 0; t < 3; t++)
        jobs[t] = (job){(maml_matmul_backend)be, sh, x, w, bias, acts[a], z[t]};
      run_job(&jobs[0]);
      pthread_t th[2];
      for (int t = 0; t < 2; t++)
        cr_assert_eq(pthread_create(&th[t], NULL, run_job, &jobs[t + 1]), 0);
      for (int t = 0; t < 2; t++) pthread_join(th[t], NULL);
      for (int t = 1; t < 3; t++)
        cr_assert_eq(memcmp(z[0], z[t], count * sizeof(maml_real)), 0, "%s, %s: thread %d differs",
                     maml_matmul_name((maml_matmul_backend)be), act_names[a], t);
      for (int t = 0; t < 3; t++) free(z[t]);
    }
  }
  free(x), free(w), free(bias);
}
