/* Adam (maml/adam.h) against a hand computation of TensorFlow's form of its update. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "maml/adam.h"

/* the build's type holds the parameters: float keeps about 7 digits */
#define TOL (sizeof(maml_real) == sizeof(double) ? 1e-14 : 1e-6)

/* Two parameters from (1, 1), lr 0.1, the gradients (1, -2), (0.5, 0), (-3, 1e-9):
 *   t = 1: m = (0.1, -0.2), v = (0.001, 0.004), lr_1 = 0.1 sqrt(0.001) / 0.1, so each
 *          parameter moves by 0.1 / (1 + 1e-8 / sqrt(v_j)) against its gradient's sign
 *   t = 2: m = (0.14, -0.18), v = (0.001249, 0.003996), lr_2 = 0.1 sqrt(0.001999) / 0.19
 *   t = 3: m = (-0.174, -0.1619999999), v = (0.010247751, 0.003992004),
 *          lr_3 = 0.1 sqrt(1 - 0.999^3) / (1 - 0.9^3)
 * (the positions below worked out from these by hand, in double). */
Test(adam, matches_a_hand_computation) {
  char err[256];
  maml_adam a;
  cr_assert_eq(maml_adam_init(&a, 2, 0.1, err, sizeof err), MAML_OK, "%s", err);
  cr_assert(a.beta1 == 0.9 && a.beta2 == 0.999 && a.eps == 1e-8, "TensorFlow's defaults");
  maml_real th[2] = {1, 1};
  const double g[3][2] = {{1, -2}, {0.5, 0}, {-3, 1e-9}};
  double want[3][2] = {
      {1 - 0.1 / (1 + 1e-8 / sqrt(0.001)), 1 + 0.1 / (1 + 1e-8 / sqrt(0.004))},
      {0.8067820941181935, 1.1670057990024172},
      {0.8415044413844583, 1.2188014880211575},
  };
  double lr2 = 0.1 * sqrt(0.001999) / 0.19;
  cr_assert_float_eq(want[1][0], want[0][0] - lr2 * 0.14 / (sqrt(0.001249) + 1e-8), 1e-15);
  for (int t = 0; t < 3; t++) {
    maml_adam_step(&a, g[t], th);
    cr_assert_eq(a.t, t + 1);
    for (int j = 0; j < 2; j++)
      cr_assert(fabs(th[j] - want[t][j]) <= TOL * fabs(want[t][j]),
                "t = %d, j = %d: %.17g, by hand %.17g", t + 1, j, (double)th[j], want[t][j]);
  }
  cr_assert_float_eq(a.m[0], -0.174, 1e-15);
  cr_assert_float_eq(a.v[1], 0.003992004, 1e-15);

  /* reset: the first step again, from where it stands */
  maml_adam_reset(&a);
  cr_assert(a.t == 0 && a.m[0] == 0 && a.v[1] == 0);
  maml_real from[2] = {th[0], th[1]};
  maml_adam_step(&a, g[0], th);
  cr_assert(fabs((from[0] - th[0]) - (1 - want[0][0])) <= TOL, "after reset: %g",
            (double)(from[0] - th[0]));
  maml_adam_free(&a);
  maml_adam_free(&a); /* leaves it zeroed: twice is fine */
}

/* a zero gradient leaves the parameters where they are (the moments stay zero) */
Test(adam, zero_gradient_does_not_move) {
  char err[256];
  maml_adam a;
  cr_assert_eq(maml_adam_init(&a, 3, 1e-3, err, sizeof err), MAML_OK);
  maml_real th[3] = {0.5f, -2, 7};
  const double g[3] = {0, 0, 0};
  for (int t = 0; t < 4; t++) maml_adam_step(&a, g, th);
  cr_assert(th[0] == 0.5f && th[1] == -2 && th[2] == 7);
  maml_adam_free(&a);
}

Test(adam, bad_learning_rates_are_refused) {
  char err[256];
  maml_adam a;
  const double bad[] = {0, -1e-3, NAN, INFINITY};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cr_assert_eq(maml_adam_init(&a, 3, bad[i], err, sizeof err), MAML_ERR_ARG);
    cr_assert(strstr(err, "learning rate"), "%s", err);
    cr_assert_null(a.m);
  }
}
