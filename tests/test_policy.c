/* Policy: forward pass, densities, and every derivative the learner uses, checked
 * against central finite differences of the functions they differentiate. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "maml/policy.h"
#include "testutil.h"

/* a policy, two parameter vectors near each other, and a batch with padded rows */
typedef struct {
  maml_policy p;
  int n;
  maml_real *theta, *theta_old, *obs, *act, *adv, *mask, *logp_old, *mu_old;
  maml_policy_cache c, c_old;
  maml_policy_work w;
  maml_batch b;
} fixture;

static maml_real *alloc_real(size_t n) {
  maml_real *x = calloc(n ? n : 1, sizeof(maml_real));
  cr_assert_not_null(x);
  return x;
}

static void fixture_make(fixture *f, int obs_dim, int act_dim, int n_hidden, const int *hidden,
                         maml_activation act, int n, uint32_t seed) {
  char err[256];
  cr_assert_eq(
      maml_policy_init(&f->p, obs_dim, act_dim, n_hidden, hidden, act, 1.0, err, sizeof err),
      MAML_OK, "%s", err);
  size_t np = f->p.n_params;
  f->n = n;
  f->theta = alloc_real(np);
  f->theta_old = alloc_real(np);
  f->obs = alloc_real((size_t)n * obs_dim);
  f->act = alloc_real((size_t)n * act_dim);
  f->adv = alloc_real(n);
  f->mask = alloc_real(n);
  f->logp_old = alloc_real(n);
  f->mu_old = alloc_real((size_t)n * act_dim);
  maml_rng r;
  maml_rng_init(&r, seed, 0, MAML_PHASE_TEST, 0, 0);
  maml_policy_init_params(&f->p, f->theta, &r);
  /* move every parameter off its initial value so biases and log-std are not zero */
  for (size_t i = 0; i < np; i++) f->theta[i] += (maml_real)(0.2 * maml_rng_normal(&r));
  for (size_t i = 0; i < np; i++)
    f->theta_old[i] = f->theta[i] + (maml_real)(0.05 * maml_rng_normal(&r));
  for (size_t i = 0; i < (size_t)n * obs_dim; i++) f->obs[i] = (maml_real)maml_rng_normal(&r);
  cr_assert_eq(maml_policy_cache_alloc(&f->c, &f->p, n), MAML_OK);
  cr_assert_eq(maml_policy_cache_alloc(&f->c_old, &f->p, n), MAML_OK);
  cr_assert_eq(maml_policy_work_alloc(&f->w, &f->p, n), MAML_OK);
  maml_policy_forward(&f->p, f->theta_old, f->obs, n, &f->c_old);
  memcpy(f->mu_old, f->c_old.mu, (size_t)n * act_dim * sizeof(maml_real));
  maml_rng *rngs = calloc(n, sizeof *rngs);
  for (int i = 0; i < n; i++) maml_rng_init(&rngs[i], seed, 1, MAML_PHASE_TEST, 0, i);
  maml_policy_sample(&f->p, f->theta_old, f->mu_old, n, rngs, f->act, f->logp_old);
  free(rngs);
  for (int i = 0; i < n; i++) {
    f->adv[i] = (maml_real)maml_rng_normal(&r);
    f->mask[i] = (i % 5 == 4) ? 0 : 1; /* every fifth row is padding ... */
    if (f->mask[i] == 0) {             /* ... whose values must not matter */
      f->adv[i] = NAN;
      for (int d = 0; d < act_dim; d++) f->act[(size_t)i * act_dim + d] = NAN;
    }
  }
  f->b = (maml_batch){n, f->obs, f->act, f->adv, f->mask, f->logp_old};
  maml_policy_forward(&f->p, f->theta, f->obs, n, &f->c);
}

static void fixture_free(fixture *f) {
  free(f->theta), free(f->theta_old), free(f->obs), free(f->act), free(f->adv), free(f->mask);
  free(f->logp_old), free(f->mu_old);
  maml_policy_cache_free(&f->c);
  maml_policy_cache_free(&f->c_old);
  maml_policy_work_free(&f->w);
}

/* the network shapes every derivative is checked on */
typedef struct {
  int obs_dim, act_dim, n_hidden, hidden[3];
  maml_activation act;
} shape;

static const shape shapes[] = {
    {5, 3, 2, {8, 6}, MAML_ACT_RELU},    {5, 3, 2, {8, 6}, MAML_ACT_TANH},
    {4, 2, 0, {0}, MAML_ACT_TANH},       {3, 1, 1, {7}, MAML_ACT_RELU},
    {6, 4, 3, {5, 9, 4}, MAML_ACT_TANH}, {20, 6, 2, {16, 16}, MAML_ACT_RELU},
};
#define N_SHAPES (sizeof shapes / sizeof shapes[0])

/* Finite differences of a float gradient across ReLU kinks are too coarse to check a
 * second-order product; the float build checks those on the smooth (tanh) shapes only,
 * the double build on every shape. */
static int second_order_checkable(size_t s) {
#ifdef MAML_DOUBLE
  (void)s;
  return 1;
#else
  return shapes[s].act == MAML_ACT_TANH;
#endif
}
#define ROWS 30

typedef enum { LOSS_INNER, LOSS_SURROGATE, LOSS_KL } loss_kind;

/* value and (when grad is not NULL) gradient of a loss at theta, on a fresh cache */
static double eval_loss(fixture *f, loss_kind kind, const maml_real *theta, maml_real *grad) {
  maml_policy_cache c;
  cr_assert_eq(maml_policy_cache_alloc(&c, &f->p, f->n), MAML_OK);
  maml_policy_forward(&f->p, theta, f->obs, f->n, &c);
  double v = 0.0;
  switch (kind) {
    case LOSS_INNER: v = maml_inner_loss_grad(&f->p, theta, &f->b, &c, grad); break;
    case LOSS_SURROGATE: v = maml_surrogate_grad(&f->p, theta, &f->b, &c, grad); break;
    case LOSS_KL:
      v = maml_policy_kl(&f->p, f->theta_old, f->mu_old, theta, c.mu, f->mask, f->n);
      if (grad) maml_policy_kl_grad(&f->p, f->theta_old, f->mu_old, theta, &c, f->mask, grad);
      break;
  }
  maml_policy_cache_free(&c);
  return v;
}

/* the gradient against central differences of the value, coordinate by coordinate */
static void check_gradient(loss_kind kind, const char *name) {
  for (size_t s = 0; s < N_SHAPES; s++) {
    fixture f;
    fixture_make(&f, shapes[s].obs_dim, shapes[s].act_dim, shapes[s].n_hidden, shapes[s].hidden,
                 shapes[s].act, ROWS, 100 + (uint32_t)s);
    size_t np = f.p.n_params;
    maml_real *grad = alloc_real(np), *fd = alloc_real(np), *t = alloc_real(np);
    eval_loss(&f, kind, f.theta, grad);
    memcpy(t, f.theta, np * sizeof(maml_real));
    for (size_t i = 0; i < np; i++) {
      t[i] = f.theta[i] + (maml_real)FD_STEP;
      double up = eval_loss(&f, kind, t, NULL);
      t[i] = f.theta[i] - (maml_real)FD_STEP;
      double down = eval_loss(&f, kind, t, NULL);
      t[i] = f.theta[i];
      fd[i] = (maml_real)((up - down) / ((double)(maml_real)(f.theta[i] + (maml_real)FD_STEP) -
                                         (double)(maml_real)(f.theta[i] - (maml_real)FD_STEP)));
    }
    double e = rel_err(grad, fd, np);
    cr_assert(vec_norm(grad, np) > 1e-3, "%s gradient is near zero (shape %zu)", name, s);
    cr_assert(e <= FD_TOL, "%s gradient, shape %zu: relative error %.3g > %.1g", name, s, e,
              FD_TOL);
    free(grad), free(fd), free(t);
    fixture_free(&f);
  }
}

Test(policy, inner_loss_gradient_matches_finite_differences) {
  check_gradient(LOSS_INNER, "inner loss");
}

Test(policy, surrogate_gradient_matches_finite_differences) {
  check_gradient(LOSS_SURROGATE, "surrogate");
}

Test(policy, kl_gradient_matches_finite_differences) {
  check_gradient(LOSS_KL, "KL");
}

/* a random unit direction touching every parameter */
static void random_direction(maml_real *v, size_t n, uint32_t seed) {
  maml_rng r;
  maml_rng_init(&r, seed, 7, MAML_PHASE_TEST, 0, 0);
  for (size_t i = 0; i < n; i++) v[i] = (maml_real)maml_rng_normal(&r);
  double norm = vec_norm(v, n); /* unit length: the step FD_STEP is then a step in theta */
  for (size_t i = 0; i < n; i++) v[i] = (maml_real)(v[i] / norm);
}

/* d/de grad(theta + e v) at e = 0, by central differences of the analytic gradient */
static void gradient_derivative(fixture *f, loss_kind kind, const maml_real *theta,
                                const maml_real *v, maml_real *out) {
  size_t np = f->p.n_params;
  maml_real *t = alloc_real(np), *gu = alloc_real(np), *gd = alloc_real(np);
  for (size_t i = 0; i < np; i++) t[i] = theta[i] + (maml_real)FD_STEP * v[i];
  eval_loss(f, kind, t, gu);
  for (size_t i = 0; i < np; i++) t[i] = theta[i] - (maml_real)FD_STEP * v[i];
  eval_loss(f, kind, t, gd);
  for (size_t i = 0; i < np; i++) out[i] = (maml_real)((gu[i] - gd[i]) / (2 * FD_STEP));
  free(t), free(gu), free(gd);
}

Test(policy, inner_loss_hvp_matches_finite_differences_of_gradient) {
  for (size_t s = 0; s < N_SHAPES; s++) {
    if (!second_order_checkable(s)) continue;
    fixture f;
    fixture_make(&f, shapes[s].obs_dim, shapes[s].act_dim, shapes[s].n_hidden, shapes[s].hidden,
                 shapes[s].act, ROWS, 200 + (uint32_t)s);
    size_t np = f.p.n_params;
    maml_real *v = alloc_real(np), *hv = alloc_real(np), *fd = alloc_real(np);
    maml_real *grad = alloc_real(np);
    random_direction(v, np, (uint32_t)s);
    maml_inner_loss_grad(&f.p, f.theta, &f.b, &f.c, grad);
    maml_inner_loss_hvp(&f.p, f.theta, &f.b, &f.c, &f.w, v, hv);
    gradient_derivative(&f, LOSS_INNER, f.theta, v, fd);
    double e = rel_err(hv, fd, np);
    cr_assert(vec_norm(hv, np) > 1e-3,
              "Hessian-vector product is near zero (shape %zu): %g vs fd %g", s, vec_norm(hv, np),
              vec_norm(fd, np));
    cr_assert(e <= FD_TOL, "Hv, shape %zu: relative error %.3g > %.1g", s, e, FD_TOL);
    free(v), free(hv), free(fd), free(grad);
    fixture_free(&f);
  }
}

/* the Fisher matrix is the Hessian of KL(pi_theta || pi_theta') at theta' = theta */
Test(policy, fvp_equals_kl_hessian_at_equality) {
  for (size_t s = 0; s < N_SHAPES; s++) {
    if (!second_order_checkable(s)) continue;
    fixture f;
    fixture_make(&f, shapes[s].obs_dim, shapes[s].act_dim, shapes[s].n_hidden, shapes[s].hidden,
                 shapes[s].act, ROWS, 300 + (uint32_t)s);
    size_t np = f.p.n_params;
    /* make theta_old the point of equality */
    memcpy(f.theta_old, f.theta, np * sizeof(maml_real));
    memcpy(f.mu_old, f.c.mu, (size_t)f.n * f.p.act_dim * sizeof(maml_real));
    maml_real *v = alloc_real(np), *fv = alloc_real(np), *fd = alloc_real(np);
    random_direction(v, np, 10 + (uint32_t)s);
    maml_policy_fvp(&f.p, f.theta, &f.c, f.mask, &f.w, v, fv);
    gradient_derivative(&f, LOSS_KL, f.theta, v, fd);
    double e = rel_err(fv, fd, np);
    cr_assert(vec_norm(fv, np) > 1e-3, "Fisher-vector product is near zero (shape %zu)", s);
    cr_assert(e <= FD_TOL, "Fv, shape %zu: relative error %.3g > %.1g", s, e, FD_TOL);
    /* and v^T F v > 0: the Fisher matrix is positive definite here */
    double vfv = 0.0;
    for (size_t i = 0; i < np; i++) vfv += (double)v[i] * fv[i];
    cr_assert(vfv > 0, "v^T F v = %g", vfv);
    free(v), free(fv), free(fd);
    fixture_free(&f);
  }
}

Test(policy, kl_is_zero_between_identical_parameters) {
  fixture f;
  int hidden[2] = {8, 6};
  fixture_make(&f, 5, 3, 2, hidden, MAML_ACT_RELU, ROWS, 1);
  double kl_same = maml_policy_kl(&f.p, f.theta, f.c.mu, f.theta, f.c.mu, f.mask, f.n);
  double kl_diff = maml_policy_kl(&f.p, f.theta_old, f.mu_old, f.theta, f.c.mu, f.mask, f.n);
  cr_assert_eq(kl_same, 0.0, "KL(theta || theta) = %g", kl_same);
  cr_assert(kl_diff > 1e-4, "KL between different parameters = %g", kl_diff);
  fixture_free(&f);
}

/* the forward pass against a plain triple loop */
Test(policy, forward_matches_reference_loops) {
  for (size_t s = 0; s < N_SHAPES; s++) {
    fixture f;
    fixture_make(&f, shapes[s].obs_dim, shapes[s].act_dim, shapes[s].n_hidden, shapes[s].hidden,
                 shapes[s].act, ROWS, 400 + (uint32_t)s);
    maml_policy_view view = maml_policy_views(&f.p, f.theta);
    double x[64], y[64];
    for (int i = 0; i < f.n; i++) {
      int width = f.p.obs_dim;
      for (int j = 0; j < width; j++) x[j] = f.obs[(size_t)i * width + j];
      for (int l = 0; l < f.p.n_layers; l++) {
        for (int o = 0; o < f.p.out[l]; o++) {
          double z = view.b[l][o];
          for (int j = 0; j < width; j++) z += view.W[l][(size_t)o * width + j] * x[j];
          int last = l == f.p.n_layers - 1;
          y[o] = last ? z : shapes[s].act == MAML_ACT_RELU ? fmax(z, 0.0) : tanh(z);
        }
        width = f.p.out[l];
        memcpy(x, y, sizeof(double) * width);
      }
      for (int d = 0; d < f.p.act_dim; d++)
        cr_assert_float_eq(f.c.mu[(size_t)i * f.p.act_dim + d], x[d], 1e-5 * (1 + fabs(x[d])));
    }
    fixture_free(&f);
  }
}

Test(policy, log_prob_and_entropy_match_closed_forms) {
  maml_policy p;
  cr_assert_eq(maml_policy_init(&p, 2, 2, 0, NULL, MAML_ACT_RELU, 1.0, NULL, 0), MAML_OK);
  maml_real theta[2 * 2 + 2 + 2] = {0};
  maml_policy_view view = maml_policy_views(&p, theta);
  view.log_std[0] = (maml_real)log(0.5);
  view.log_std[1] = (maml_real)log(2.0);
  maml_real mu[2] = {1.0f, -1.0f}, act[2] = {1.5f, 1.0f}, logp;
  maml_policy_log_prob(&p, theta, mu, act, 1, &logp);
  /* N(1.5; 1, 0.5^2) * N(1; -1, 2^2) */
  double expected = -0.5 * 1.0 - log(0.5) - 0.5 * 1.0 - log(2.0) - log(2 * 3.14159265358979323846);
  cr_assert_float_eq(logp, expected, 1e-5);
  double entropy = log(0.5) + log(2.0) + 1.0 + log(2 * 3.14159265358979323846);
  cr_assert_float_eq(maml_policy_entropy(&p, theta), entropy, 1e-5);
}

Test(policy, samples_have_the_policy_mean_and_std) {
  maml_policy p;
  cr_assert_eq(maml_policy_init(&p, 1, 2, 0, NULL, MAML_ACT_RELU, 1.0, NULL, 0), MAML_OK);
  maml_real theta[1 * 2 + 2 + 2] = {0};
  maml_policy_view view = maml_policy_views(&p, theta);
  view.log_std[0] = (maml_real)log(0.3);
  view.log_std[1] = (maml_real)log(3.0);
  enum { N = 20000 };
  static maml_real mu[N * 2], act[N * 2];
  static maml_rng rngs[N];
  for (int i = 0; i < N; i++) {
    mu[2 * i] = 2.0f, mu[2 * i + 1] = -1.0f;
    maml_rng_init(&rngs[i], 5, 0, MAML_PHASE_TEST, 0, (uint32_t)i);
  }
  maml_policy_sample(&p, theta, mu, N, rngs, act, NULL);
  double mean[2] = {0}, sq[2] = {0};
  for (int i = 0; i < N; i++)
    for (int d = 0; d < 2; d++) mean[d] += act[2 * i + d], sq[d] += act[2 * i + d] * act[2 * i + d];
  for (int d = 0; d < 2; d++) mean[d] /= N, sq[d] = sqrt(sq[d] / N - mean[d] * mean[d]);
  cr_assert(fabs(mean[0] - 2.0) < 0.02 && fabs(mean[1] + 1.0) < 0.2, "means %g %g", mean[0],
            mean[1]);
  cr_assert(fabs(sq[0] - 0.3) < 0.01 && fabs(sq[1] - 3.0) < 0.1, "stds %g %g", sq[0], sq[1]);
}

Test(policy, xavier_init_respects_its_bounds) {
  maml_policy p;
  int hidden[2] = {100, 100};
  cr_assert_eq(maml_policy_init(&p, 20, 6, 2, hidden, MAML_ACT_RELU, 1.0, NULL, 0), MAML_OK);
  cr_assert_eq(p.n_params, (size_t)(20 * 100 + 100 + 100 * 100 + 100 + 100 * 6 + 6 + 6));
  maml_real *theta = alloc_real(p.n_params);
  maml_rng r;
  maml_rng_init(&r, 3, 0, MAML_PHASE_INIT, 0, 0);
  maml_policy_init_params(&p, theta, &r);
  maml_policy_view v = maml_policy_views(&p, theta);
  double limit = sqrt(6.0 / (100 + 100)), maxabs = 0;
  for (int i = 0; i < 100 * 100; i++) maxabs = fmax(maxabs, fabs(v.W[1][i]));
  cr_assert(maxabs <= limit && maxabs > 0.9 * limit, "max |W| %g, limit %g", maxabs, limit);
  for (int i = 0; i < 100; i++) cr_assert_eq(v.b[0][i], 0);
  for (int d = 0; d < 6; d++) cr_assert_eq(v.log_std[d], 0); /* init std 1.0 */
  free(theta);
}

Test(policy, bad_shapes_are_refused_with_a_message) {
  maml_policy p;
  char err[256] = "";
  int bad[1] = {0};
  cr_assert_eq(maml_policy_init(&p, 0, 2, 0, NULL, MAML_ACT_RELU, 1.0, err, sizeof err),
               MAML_ERR_ARG);
  cr_assert(strstr(err, "positive") != NULL, "message: %s", err);
  cr_assert_eq(maml_policy_init(&p, 3, 2, 1, bad, MAML_ACT_RELU, 1.0, err, sizeof err),
               MAML_ERR_ARG);
  cr_assert(strstr(err, "width 0") != NULL, "message: %s", err);
  cr_assert_eq(
      maml_policy_init(&p, 3, 2, MAML_MAX_HIDDEN + 1, bad, MAML_ACT_RELU, 1.0, err, sizeof err),
      MAML_ERR_ARG);
  cr_assert_eq(maml_policy_init(&p, 3, 2, 0, NULL, MAML_ACT_RELU, -1.0, err, sizeof err),
               MAML_ERR_ARG);
}

/* ---- the LVC inner loss ---------------------------------------------------------------- */

/* log pi(a|s) of one row in double, with plain loops over the layers (theta in double) */
static double ref_log_pi(const maml_policy *p, const double *theta, const maml_real *obs,
                         const maml_real *act) {
  double x[64], y[64];
  int width = p->obs_dim;
  for (int j = 0; j < width; j++) x[j] = obs[j];
  for (int l = 0; l < p->n_layers; l++) {
    for (int o = 0; o < p->out[l]; o++) {
      double z = theta[p->b_off[l] + (size_t)o];
      for (int j = 0; j < width; j++) z += theta[p->w_off[l] + (size_t)o * width + j] * x[j];
      int last = l == p->n_layers - 1;
      y[o] = last ? z : p->activation == MAML_ACT_RELU ? fmax(z, 0.0) : tanh(z);
    }
    width = p->out[l];
    memcpy(x, y, sizeof(double) * width);
  }
  double lp = 0.0;
  for (int d = 0; d < p->act_dim; d++) {
    double ls = theta[p->log_std_off + d], z = (act[d] - x[d]) * exp(-ls);
    lp -= 0.5 * z * z + ls + 0.5 * log(2 * 3.14159265358979323846);
  }
  return lp;
}

/* L_lvc(theta) = -mean_valid [adv * pi_theta / pi_theta0], pi_theta0 from f->logp_old */
static double ref_lvc_loss(const fixture *f, const double *theta) {
  double sum = 0.0, count = 0.0;
  for (int i = 0; i < f->n; i++) {
    if (f->mask[i] == 0) continue;
    double lp = ref_log_pi(&f->p, theta, f->obs + (size_t)i * f->p.obs_dim,
                           f->act + (size_t)i * f->p.act_dim);
    sum += f->adv[i] * exp(lp - f->logp_old[i]);
    count += 1.0;
  }
  return -sum / count;
}

/* At the sampling parameters (logp_old from the same forward pass) the LVC gradient is the
 * REINFORCE gradient, bit for bit: the first adapted parameters do not change. */
Test(policy, lvc_gradient_at_sampling_parameters_is_reinforce) {
  for (size_t s = 0; s < N_SHAPES; s++) {
    fixture f;
    fixture_make(&f, shapes[s].obs_dim, shapes[s].act_dim, shapes[s].n_hidden, shapes[s].hidden,
                 shapes[s].act, ROWS, 500 + (uint32_t)s);
    size_t np = f.p.n_params;
    maml_real *g_in = alloc_real(np), *g_lvc = alloc_real(np);
    maml_policy_log_prob(&f.p, f.theta, f.c.mu, f.act, f.n, f.logp_old);
    maml_inner_loss_grad(&f.p, f.theta, &f.b, &f.c, g_in);
    double loss = maml_lvc_loss_grad(&f.p, f.theta, &f.b, &f.c, g_lvc);
    cr_assert(vec_norm(g_in, np) > 1e-3, "gradient is near zero (shape %zu)", s);
    cr_assert_eq(memcmp(g_in, g_lvc, np * sizeof(maml_real)), 0,
                 "shape %zu: LVC gradient at theta0 differs from REINFORCE's", s);
    double mean_adv = 0.0, count = 0.0; /* r = 1: the loss is -mean adv */
    for (int i = 0; i < f.n; i++)
      if (f.mask[i] != 0) mean_adv += f.adv[i], count += 1;
    cr_assert_float_eq(loss, -mean_adv / count, 1e-6, "shape %zu: loss %g", s, loss);
    free(g_in), free(g_lvc);
    fixture_free(&f);
  }
}

/* Away from theta0 (r != 1): the gradient against central differences of ref_lvc_loss, and
 * the Hessian-vector product against mixed second differences u^T H v of it and against
 * central differences of the gradient; the outer-product term must matter. */
Test(policy, lvc_gradient_and_hvp_match_finite_differences_of_the_loss) {
  for (size_t s = 0; s < N_SHAPES; s++) {
    fixture f;
    fixture_make(&f, shapes[s].obs_dim, shapes[s].act_dim, shapes[s].n_hidden, shapes[s].hidden,
                 shapes[s].act, ROWS, 600 + (uint32_t)s);
    size_t np = f.p.n_params;
    maml_real *grad = alloc_real(np), *fd = alloc_real(np);
    double *t = calloc(np, sizeof *t), *th = calloc(np, sizeof *th);
    for (size_t i = 0; i < np; i++) th[i] = f.theta[i];
    double loss = maml_lvc_loss_grad(&f.p, f.theta, &f.b, &f.c, grad);
    cr_assert_float_eq(loss, ref_lvc_loss(&f, th), 1e-5 * (1 + fabs(loss)), "shape %zu", s);
    double h = 1e-5; /* the reference is in double whatever the build */
    memcpy(t, th, np * sizeof *t);
    for (size_t i = 0; i < np; i++) {
      t[i] = th[i] + h;
      double up = ref_lvc_loss(&f, t);
      t[i] = th[i] - h;
      double down = ref_lvc_loss(&f, t);
      t[i] = th[i];
      fd[i] = (maml_real)((up - down) / (2 * h));
    }
    double e = rel_err(grad, fd, np);
    cr_assert(vec_norm(grad, np) > 1e-3, "LVC gradient is near zero (shape %zu)", s);
    cr_assert(e <= FD_TOL, "LVC gradient, shape %zu: relative error %.3g > %.1g", s, e, FD_TOL);

    if (second_order_checkable(s)) {
      maml_real *u = alloc_real(np), *v = alloc_real(np), *hv = alloc_real(np);
      maml_real *hv_in = alloc_real(np), *fdv = alloc_real(np);
      random_direction(u, np, 40 + (uint32_t)s);
      random_direction(v, np, 50 + (uint32_t)s);
      maml_lvc_loss_hvp(&f.p, f.theta, &f.b, &f.c, &f.w, v, hv);
      /* the product without the outer-product term, from the same weights adv * r */
      maml_inner_loss_hvp(&f.p, f.theta, &f.b, &f.c, &f.w, v, hv_in);
      cr_assert(vec_norm(hv, np) > 1e-3, "LVC Hv is near zero (shape %zu)", s);
      cr_assert(rel_err(hv, hv_in, np) > 1e-2, "shape %zu: the outer-product term is missing", s);
      /* second differences of the loss itself on the smooth (tanh) shapes: on a ReLU
       * network a step of 1e-3 moves units across their kinks */
      if (shapes[s].act == MAML_ACT_TANH) {
        double k4[4], hh = 1e-3;
        int q = 0;
        for (int sa = 1; sa >= -1; sa -= 2)
          for (int sb = 1; sb >= -1; sb -= 2) {
            for (size_t i = 0; i < np; i++) t[i] = th[i] + sa * hh * u[i] + sb * hh * v[i];
            k4[q++] = ref_lvc_loss(&f, t);
          }
        double fd_uhv = (k4[0] - k4[1] - k4[2] + k4[3]) / (4 * hh * hh), uhv = 0;
        for (size_t i = 0; i < np; i++) uhv += (double)u[i] * hv[i];
        double scale = vec_norm(hv, np);
        cr_assert(fabs(uhv - fd_uhv) <= FD_TOL * scale,
                  "LVC u^T H v, shape %zu: %.8g, second differences %.8g (|Hv| %g)", s, uhv, fd_uhv,
                  scale);
      }
      /* and as a vector: central differences of the analytic gradient along v */
      maml_real *tu = alloc_real(np), *gu = alloc_real(np), *gd = alloc_real(np);
      maml_policy_cache c;
      cr_assert_eq(maml_policy_cache_alloc(&c, &f.p, f.n), MAML_OK);
      for (size_t i = 0; i < np; i++) tu[i] = f.theta[i] + (maml_real)FD_STEP * v[i];
      maml_policy_forward(&f.p, tu, f.obs, f.n, &c);
      maml_lvc_loss_grad(&f.p, tu, &f.b, &c, gu);
      for (size_t i = 0; i < np; i++) tu[i] = f.theta[i] - (maml_real)FD_STEP * v[i];
      maml_policy_forward(&f.p, tu, f.obs, f.n, &c);
      maml_lvc_loss_grad(&f.p, tu, &f.b, &c, gd);
      for (size_t i = 0; i < np; i++) fdv[i] = (maml_real)((gu[i] - gd[i]) / (2 * FD_STEP));
      e = rel_err(hv, fdv, np);
      cr_assert(e <= FD_TOL, "LVC Hv, shape %zu: relative error %.3g > %.1g", s, e, FD_TOL);
      maml_policy_cache_free(&c);
      free(u), free(v), free(hv), free(hv_in), free(fdv), free(tu), free(gu), free(gd);
    }
    free(grad), free(fd), free(t), free(th);
    fixture_free(&f);
  }
}

/* ---- the clipped surrogate (ProMP's outer objective) ----------------------------------- */

/* -mean_valid [min(r adv, clip(r, 1 - eps, 1 + eps) adv)], r = pi_theta / pi_old, with
 * pi_old from f->logp_old; *clipped counts the rows whose clipped term is the smaller */
static double ref_clipped_loss(const fixture *f, const double *theta, double eps, int *clipped) {
  double sum = 0.0, count = 0.0;
  if (clipped) *clipped = 0;
  for (int i = 0; i < f->n; i++) {
    if (f->mask[i] == 0) continue;
    double lp = ref_log_pi(&f->p, theta, f->obs + (size_t)i * f->p.obs_dim,
                           f->act + (size_t)i * f->p.act_dim);
    double r = exp(lp - f->logp_old[i]), a = f->adv[i];
    double rc = r < 1 - eps ? 1 - eps : r > 1 + eps ? 1 + eps : r;
    if (clipped && rc * a < r * a) ++*clipped;
    sum += fmin(r * a, rc * a);
    count += 1.0;
  }
  return -sum / count;
}

/* Away from the sampling parameters (some rows clipped away, some not): the value and the
 * gradient against central differences of ref_clipped_loss, and the clipped rows' share
 * of the gradient missing (it differs from the unclipped surrogate's). */
Test(policy, clipped_surrogate_gradient_matches_finite_differences) {
  for (size_t s = 0; s < N_SHAPES; s++) {
    fixture f;
    fixture_make(&f, shapes[s].obs_dim, shapes[s].act_dim, shapes[s].n_hidden, shapes[s].hidden,
                 shapes[s].act, ROWS, 700 + (uint32_t)s);
    size_t np = f.p.n_params;
    maml_real *grad = alloc_real(np), *fd = alloc_real(np), *g_un = alloc_real(np);
    double *t = calloc(np, sizeof *t), *th = calloc(np, sizeof *th);
    for (size_t i = 0; i < np; i++) th[i] = f.theta[i];
    double eps = 0.1;
    int clipped = -1, ref_clipped = -1;
    double loss = maml_clipped_surrogate_grad(&f.p, f.theta, &f.b, eps, &f.c, grad, &clipped);
    double ref = ref_clipped_loss(&f, th, eps, &ref_clipped);
    cr_assert_float_eq(loss, ref, 1e-5 * (1 + fabs(ref)), "shape %zu: %g, by hand %g", s, loss,
                       ref);
    cr_assert_eq(clipped, ref_clipped, "shape %zu: %d rows clipped, by hand %d", s, clipped,
                 ref_clipped);
    cr_assert(clipped > 0 && clipped < ROWS * 4 / 5, "shape %zu: %d of %d rows clipped", s, clipped,
              ROWS * 4 / 5);
    double h = 1e-6; /* the reference is in double whatever the build */
    memcpy(t, th, np * sizeof *t);
    for (size_t i = 0; i < np; i++) {
      t[i] = th[i] + h;
      double up = ref_clipped_loss(&f, t, eps, NULL);
      t[i] = th[i] - h;
      double down = ref_clipped_loss(&f, t, eps, NULL);
      t[i] = th[i];
      fd[i] = (maml_real)((up - down) / (2 * h));
    }
    double e = rel_err(grad, fd, np);
    cr_assert(vec_norm(grad, np) > 1e-3, "clipped gradient is near zero (shape %zu)", s);
    cr_assert(e <= FD_TOL, "clipped gradient, shape %zu: relative error %.3g > %.1g", s, e, FD_TOL);
    maml_policy_forward(&f.p, f.theta, f.obs, f.n, &f.c);
    maml_surrogate_grad(&f.p, f.theta, &f.b, &f.c, g_un);
    cr_assert(rel_err(grad, g_un, np) > 1e-3, "shape %zu: clipping changed nothing", s);
    free(grad), free(fd), free(g_un), free(t), free(th);
    fixture_free(&f);
  }
}

/* At the sampling parameters (r = 1 on every row) nothing is clipped: the value and the
 * gradient are the unclipped surrogate's, bit for bit. */
Test(policy, clipped_surrogate_at_sampling_parameters_is_the_surrogate) {
  for (size_t s = 0; s < N_SHAPES; s++) {
    fixture f;
    fixture_make(&f, shapes[s].obs_dim, shapes[s].act_dim, shapes[s].n_hidden, shapes[s].hidden,
                 shapes[s].act, ROWS, 800 + (uint32_t)s);
    size_t np = f.p.n_params;
    maml_real *g_clip = alloc_real(np), *g_un = alloc_real(np);
    maml_policy_log_prob(&f.p, f.theta, f.c.mu, f.act, f.n, f.logp_old);
    int clipped = -1;
    double lc = maml_clipped_surrogate_grad(&f.p, f.theta, &f.b, 0.2, &f.c, g_clip, &clipped);
    double lu = maml_surrogate_grad(&f.p, f.theta, &f.b, &f.c, g_un);
    cr_assert_eq(clipped, 0);
    cr_assert(lc == lu, "shape %zu: %.17g vs %.17g", s, lc, lu);
    cr_assert(vec_norm(g_un, np) > 1e-3, "gradient is near zero (shape %zu)", s);
    cr_assert_eq(memcmp(g_clip, g_un, np * sizeof(maml_real)), 0, "shape %zu", s);
    free(g_clip), free(g_un);
    fixture_free(&f);
  }
}
