/* The linear feature baseline: exact recovery of a target in its span, and finite values
 * on degenerate batches. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "maml/baseline.h"
#include "maml/rng.h"

enum { E = 6, H = 100, D = 3 };

/* a target the features can express exactly */
static double target(const maml_real *o, int t) {
  double s = t / 100.0;
  return 2.0 * o[0] - 1.0 * o[1] + 0.5 * o[2] * o[2] + 3.0 * s - 4.0 * s * s * s + 0.7;
}

Test(baseline, recovers_a_linear_target) {
  static maml_real obs[E * H * D], ret[E * H], mask[E * H], values[E * H];
  maml_rng r;
  maml_rng_init(&r, 1, 0, MAML_PHASE_TEST, 0, 0);
  for (int k = 0; k < E * H; k++) {
    for (int j = 0; j < D; j++) obs[k * D + j] = (maml_real)maml_rng_normal(&r);
    mask[k] = (k % H) < H - (k / H) ? 1 : 0; /* episode e loses its last e steps */
    ret[k] = mask[k] ? (maml_real)target(obs + k * D, k % H) : 0;
  }
  maml_baseline b;
  cr_assert_eq(maml_baseline_alloc(&b, D, E * H), MAML_OK);
  cr_assert_eq(b.n_features, 2 * D + 4);
  cr_assert_eq(maml_baseline_fit(&b, obs, ret, mask, E, H), MAML_OK);
  maml_baseline_predict(&b, obs, mask, E, H, values);
  double max_err = 0, max_target = 0;
  for (int k = 0; k < E * H; k++) {
    if (!mask[k]) {
      cr_assert_eq(values[k], 0);
      continue;
    }
    max_err = fmax(max_err, fabs(values[k] - ret[k]));
    max_target = fmax(max_target, fabs(ret[k]));
  }
  cr_assert(max_target > 1.0);
#ifdef MAML_DOUBLE
  cr_assert(max_err < 1e-4, "largest error %g", max_err);
#else
  cr_assert(max_err < 1e-3, "largest error %g", max_err);
#endif
  maml_baseline_free(&b);
}

static void check_finite(const maml_real *obs, const maml_real *ret, const maml_real *mask, int e,
                         int h, const char *what) {
  maml_baseline b;
  maml_real *values = calloc((size_t)e * h, sizeof(maml_real));
  cr_assert_eq(maml_baseline_alloc(&b, D, e * h), MAML_OK);
  maml_status s = maml_baseline_fit(&b, obs, ret, mask, e, h);
  cr_assert_eq(s, MAML_OK, "%s: fit failed", what);
  maml_baseline_predict(&b, obs, mask, e, h, values);
  for (int k = 0; k < e * h; k++)
    cr_assert(isfinite(values[k]), "%s: value %d is %g", what, k, values[k]);
  for (int j = 0; j < b.n_features; j++) cr_assert(isfinite(b.weights[j]), "%s", what);
  free(values);
  maml_baseline_free(&b);
}

Test(baseline, degenerate_batches_stay_finite) {
  static maml_real obs[E * H * D], ret[E * H], mask[E * H];
  /* all-zero observations, padded steps everywhere but step 0 (one-step episodes) */
  for (int k = 0; k < E * H; k++) {
    mask[k] = (k % H) == 0;
    ret[k] = mask[k] ? (maml_real)(k / H) : 0;
  }
  check_finite(obs, ret, mask, E, H, "one-step episodes with zero observations");
  /* no valid step at all */
  memset(mask, 0, sizeof mask);
  check_finite(obs, ret, mask, E, H, "no valid step");
  /* huge observations (clipped) and constant returns */
  for (int k = 0; k < E * H; k++) {
    mask[k] = 1;
    ret[k] = 5;
    for (int j = 0; j < D; j++) obs[k * D + j] = 1e30f;
  }
  check_finite(obs, ret, mask, E, H, "huge observations");
  /* a single episode of one step */
  check_finite(obs, ret, mask, 1, 1, "a single step");
}

Test(baseline, non_finite_returns_are_reported) {
  maml_real obs[2 * D] = {0}, ret[2] = {1, NAN}, values[2];
  maml_baseline b;
  cr_assert_eq(maml_baseline_alloc(&b, D, 2), MAML_OK);
  cr_assert_eq(maml_baseline_fit(&b, obs, ret, NULL, 1, 2), MAML_ERR_NUMERIC);
  maml_baseline_predict(&b, obs, NULL, 1, 2, values);
  cr_assert(values[0] == 0 && values[1] == 0);
  maml_baseline_free(&b);
}
