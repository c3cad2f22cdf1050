/* Returns, GAE and standardisation against values computed by hand. */
#include <criterion/criterion.h>
#include <math.h>

#include "maml/episodes.h"

/* two episodes, horizon 4; the second ends after 2 steps */
static const maml_real rewards[8] = {1, 2, 3, 4, 10, 20, 99, 99};
static const maml_real mask[8] = {1, 1, 1, 1, 1, 1, 0, 0};

Test(episodes, discounted_returns_by_hand) {
  maml_real ret[8];
  maml_discounted_returns(rewards, mask, 2, 4, 0.5, ret);
  /* episode 1: 4; 3 + 2 = 5; 2 + 2.5 = 4.5; 1 + 2.25 = 3.25 ; episode 2: 20; 10 + 10 = 20 */
  const double expected[8] = {3.25, 4.5, 5, 4, 20, 20, 0, 0};
  for (int i = 0; i < 8; i++) cr_assert_float_eq(ret[i], expected[i], 1e-6, "step %d", i);
}

Test(episodes, gae_by_hand) {
  const maml_real values[8] = {1, 1, 2, 2, 5, 4, 0, 0};
  maml_real adv[8];
  maml_gae(rewards, values, mask, 2, 4, 0.5, 0.5, adv);
  /* deltas, episode 1: t3: 4 - 2 = 2; t2: 3 + 1 - 2 = 2; t1: 2 + 1 - 1 = 2; t0: 1 + .5 - 1 = .5
   * adv (gamma lambda = .25): t3 2; t2 2 + .5 = 2.5; t1 2 + .625 = 2.625; t0 .5 + .65625
   * episode 2: t1: 20 - 4 = 16; t0: 10 + 2 - 5 = 7, adv 7 + 4 = 11 */
  const double expected[8] = {1.15625, 2.625, 2.5, 2, 11, 16, 0, 0};
  for (int i = 0; i < 8; i++) cr_assert_float_eq(adv[i], expected[i], 1e-6, "step %d", i);
}

Test(episodes, gae_with_lambda_one_is_returns_minus_values) {
  const maml_real values[8] = {1, -1, 2, 0.5f, 5, 4, 0, 0};
  maml_real adv[8], ret[8];
  maml_gae(rewards, values, mask, 2, 4, 0.9, 1.0, adv);
  maml_discounted_returns(rewards, mask, 2, 4, 0.9, ret);
  for (int i = 0; i < 8; i++)
    cr_assert_float_eq(adv[i], mask[i] ? ret[i] - values[i] : 0, 1e-5, "step %d", i);
}

Test(episodes, standardize_over_valid_steps) {
  maml_real x[8] = {1, 2, 3, 4, 5, 6, 1000, -1000};
  maml_standardize(x, mask, 8);
  double mean = 0, var = 0;
  for (int i = 0; i < 6; i++) mean += x[i];
  mean /= 6;
  for (int i = 0; i < 6; i++) var += (x[i] - mean) * (x[i] - mean);
  cr_assert_float_eq(mean, 0.0, 1e-6);
  cr_assert_float_eq(var / 6, 1.0, 1e-5);
  cr_assert_eq(x[6], 0);
  cr_assert_eq(x[7], 0);
  /* 1..6 have mean 3.5 and std sqrt(35/12) */
  cr_assert_float_eq(x[0], (1 - 3.5) / sqrt(35.0 / 12), 1e-5);
}

Test(episodes, standardize_constant_and_empty_batches_stay_finite) {
  maml_real same[4] = {3, 3, 3, 3}, none[2] = {5, 6};
  const maml_real zero_mask[2] = {0, 0};
  maml_standardize(same, NULL, 4);
  for (int i = 0; i < 4; i++) cr_assert_eq(same[i], 0);
  maml_standardize(none, zero_mask, 2);
  cr_assert(none[0] == 0 && none[1] == 0);
}

Test(episodes, mean_episode_return_ignores_padding) {
  cr_assert_float_eq(maml_mean_episode_return(rewards, mask, 2, 4), (10.0 + 30.0) / 2, 1e-9);
}
