/* Statistics over runs against numbers worked out by hand: the IQM with fractional weights,
 * quantiles, the probability of improvement with ties, bootstrap intervals that hold the
 * statistic, shrink with more runs and repeat with the stream. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "maml/stats.h"

Test(stats, mean) {
  double x[] = {1, 2, 6};
  cr_assert_float_eq(maml_stats_mean(x, 3), 3.0, 1e-15);
  cr_assert(isnan(maml_stats_mean(x, 0)));
}

Test(stats, iqm_of_one_to_eight_is_the_mean_of_three_to_six) {
  double x[] = {8, 1, 7, 2, 6, 3, 5, 4}, s[8];
  cr_assert_float_eq(maml_stats_iqm(x, 8, s), (3 + 4 + 5 + 6) / 4.0, 1e-15);
}

Test(stats, iqm_of_five_weighs_the_quartile_numbers_by_three_quarters) {
  /* [5/4, 15/4) covers 3/4 of x2's unit, all of x3's, 3/4 of x4's: (0.75*2 + 4 + 0.75*8) / 2.5 */
  double x[] = {16, 4, 1, 8, 2}, s[5];
  cr_assert_float_eq(maml_stats_iqm(x, 5, s), 4.6, 1e-14);
  /* n = 9 (Wikipedia's example): 1, 3, ..., 17 gives 9 */
  double y[] = {1, 3, 5, 7, 9, 11, 13, 15, 17};
  cr_assert_float_eq(maml_stats_iqm_sorted(y, 9), 9.0, 1e-14);
  /* n = 6: [1.5, 4.5): 0.5*x2 + x3 + x4 + 0.5*x5 over 3 */
  double z[] = {0, 10, 20, 40, 80, 1000};
  cr_assert_float_eq(maml_stats_iqm_sorted(z, 6), (5 + 20 + 40 + 40) / 3.0, 1e-13);
}

Test(stats, iqm_of_one_two_and_three) {
  double a[] = {7}, b[] = {1, 4}, c[] = {0, 4, 100};
  cr_assert_float_eq(maml_stats_iqm_sorted(a, 1), 7.0, 1e-15);
  cr_assert_float_eq(maml_stats_iqm_sorted(b, 2), 2.5, 1e-15);
  /* [0.75, 2.25): 0.25*0 + 1*4 + 0.25*100 over 1.5 */
  cr_assert_float_eq(maml_stats_iqm_sorted(c, 3), 29 / 1.5, 1e-13);
  cr_assert(isnan(maml_stats_iqm_sorted(a, 0)));
}

Test(stats, quantiles_interpolate_between_order_statistics) {
  double x[] = {10, 20, 30, 40, 50};
  cr_assert_float_eq(maml_stats_quantile_sorted(x, 5, 0.0), 10.0, 1e-15);
  cr_assert_float_eq(maml_stats_quantile_sorted(x, 5, 1.0), 50.0, 1e-15);
  cr_assert_float_eq(maml_stats_quantile_sorted(x, 5, 0.5), 30.0, 1e-15);
  cr_assert_float_eq(maml_stats_quantile_sorted(x, 5, 0.025), 11.0, 1e-13); /* 0.1 of the way */
  cr_assert_float_eq(maml_stats_quantile_sorted(x, 5, 0.975), 49.0, 1e-13);
}

Test(stats, probability_of_improvement_counts_ties_as_half) {
  double x[] = {1, 2, 3}, y[] = {2, 2}, s[64];
  /* 1: 0 + 0; 2: 1/2 + 1/2; 3: 1 + 1 -> 3 of 6 */
  cr_assert_float_eq(maml_stats_prob_improvement(x, 3, y, 2, s), 0.5, 1e-15);
  double a[] = {4, 3}, b[] = {5, 1, 3};
  /* 3: 1 + 1/2 + 0; 4: 1 + 1 + 0 -> 3.5 of 6 */
  cr_assert_float_eq(maml_stats_prob_improvement(a, 2, b, 3, s), 3.5 / 6, 1e-15);
  cr_assert_float_eq(maml_stats_prob_improvement(b, 3, a, 2, s), 1 - 3.5 / 6, 1e-15);
  cr_assert(isnan(maml_stats_prob_improvement(a, 0, b, 3, s)));
}

Test(stats, probability_of_improvement_agrees_with_every_pair) {
  /* many ties: values on a grid of 5 */
  double x[20], y[13], s[40];
  for (int i = 0; i < 20; i++) x[i] = (i * 7) % 5;
  for (int j = 0; j < 13; j++) y[j] = (j * 3 + 1) % 5;
  double pairs = 0;
  for (int i = 0; i < 20; i++)
    for (int j = 0; j < 13; j++) pairs += x[i] > y[j] ? 1 : x[i] == y[j] ? 0.5 : 0;
  cr_assert_float_eq(maml_stats_prob_improvement(x, 20, y, 13, s), pairs / 260, 1e-15);
  cr_assert_float_eq(maml_stats_prob_improvement(x, 20, x, 20, s), 0.5, 1e-15);
}

/* n scores 0, 1, ..., n-1 scaled to the same spread whatever n: the mean is 0 */
static void spread(double *x, int n) {
  for (int i = 0; i < n; i++) x[i] = (i - (n - 1) / 2.0) / (n - 1) * 10;
}

static void bootstrap(const double *x, int n, uint64_t seed, maml_interval *m, maml_interval *q) {
  maml_rng rng;
  char err[256];
  maml_rng_init(&rng, seed, 0, MAML_PHASE_BOOTSTRAP, 0, 0);
  cr_assert_eq(maml_stats_bootstrap(x, n, 2000, 0.95, &rng, m, q, err, sizeof err), MAML_OK, "%s",
               err);
}

Test(stats, bootstrap_interval_holds_the_statistic_and_shrinks_with_more_runs) {
  double x5[5], x40[40], s[40];
  spread(x5, 5), spread(x40, 40);
  maml_interval m5, q5, m40, q40;
  bootstrap(x5, 5, 1, &m5, &q5);
  bootstrap(x40, 40, 1, &m40, &q40);
  cr_assert(m5.low < 0 && m5.high > 0, "[%g, %g]", m5.low, m5.high);
  cr_assert(m40.low < 0 && m40.high > 0, "[%g, %g]", m40.low, m40.high);
  double iqm5 = maml_stats_iqm(x5, 5, s), iqm40 = maml_stats_iqm(x40, 40, s);
  cr_assert(q5.low <= iqm5 && q5.high >= iqm5, "%g not in [%g, %g]", iqm5, q5.low, q5.high);
  cr_assert(q40.low <= iqm40 && q40.high >= iqm40);
  /* within the data's range, narrower with 8 times the runs (about sqrt(8) for the mean) */
  cr_assert(m5.low >= -5 && m5.high <= 5);
  cr_assert(m40.high - m40.low < 0.6 * (m5.high - m5.low), "%g vs %g", m40.high - m40.low,
            m5.high - m5.low);
  cr_assert(q40.high - q40.low < 0.6 * (q5.high - q5.low));
  /* the standard error of the mean of 40 is 10 * 0.2925 / sqrt(40): the 95% interval
   * should span about 2 * 1.96 of it, 1.81; 2000 resamples land within 15% */
  double width = m40.high - m40.low;
  cr_assert(width > 1.55 && width < 2.1, "width %g", width);
}

Test(stats, bootstrap_repeats_with_the_seed_and_moves_with_another) {
  double x[7] = {3, -1, 4, 1, -5, 9, 2};
  maml_interval a, b, c, qa, qb, qc;
  bootstrap(x, 7, 11, &a, &qa);
  bootstrap(x, 7, 11, &b, &qb);
  bootstrap(x, 7, 12, &c, &qc);
  cr_assert(a.low == b.low && a.high == b.high && qa.low == qb.low && qa.high == qb.high);
  cr_assert(a.low != c.low || a.high != c.high);
}

Test(stats, bootstrap_of_one_run_is_its_score_and_of_none_is_nan) {
  double x[1] = {4.5};
  maml_interval m, q;
  bootstrap(x, 1, 1, &m, &q);
  cr_assert(m.low == 4.5 && m.high == 4.5 && q.low == 4.5 && q.high == 4.5);
  bootstrap(x, 0, 1, &m, &q);
  cr_assert(isnan(m.low) && isnan(q.high));
}

Test(stats, bootstrap_refuses_bad_arguments) {
  double x[2] = {1, 2};
  maml_interval m, q;
  maml_rng rng;
  char err[256];
  maml_rng_init(&rng, 1, 0, MAML_PHASE_BOOTSTRAP, 0, 0);
  cr_assert_eq(maml_stats_bootstrap(x, 2, 0, 0.95, &rng, &m, &q, err, sizeof err), MAML_ERR_ARG);
  cr_assert_eq(maml_stats_bootstrap(x, 2, 10, 1.0, &rng, &m, &q, err, sizeof err), MAML_ERR_ARG);
}

Test(stats, improvement_interval_agrees_with_the_pairs_and_separates_far_groups) {
  double x[6] = {10, 11, 12, 13, 14, 15}, y[5] = {0, 1, 2, 3, 14};
  maml_rng rng;
  char err[256];
  maml_interval ci, again;
  maml_rng_init(&rng, 3, 0, MAML_PHASE_BOOTSTRAP, 0, 1);
  cr_assert_eq(maml_stats_bootstrap_improvement(x, 6, y, 5, 2000, 0.95, &rng, &ci, err, sizeof err),
               MAML_OK);
  /* the pairs: x beats the four low y always; against 14, 10..13 lose, 14 ties, 15 wins:
   * (24 + 1.5) / 30 */
  double s[11], p = maml_stats_prob_improvement(x, 6, y, 5, s);
  cr_assert_float_eq(p, 25.5 / 30, 1e-15);
  cr_assert(ci.low < p && ci.high > p && ci.high <= 1 && ci.low >= 0.25, "[%g, %g]", ci.low,
            ci.high);
  maml_rng_init(&rng, 3, 0, MAML_PHASE_BOOTSTRAP, 0, 1);
  maml_stats_bootstrap_improvement(x, 6, y, 5, 2000, 0.95, &rng, &again, err, sizeof err);
  cr_assert(again.low == ci.low && again.high == ci.high);
  /* ties only: every resample gives 1/2 */
  double t[3] = {2, 2, 2};
  maml_stats_bootstrap_improvement(t, 3, t, 2, 50, 0.95, &rng, &ci, err, sizeof err);
  cr_assert(ci.low == 0.5 && ci.high == 0.5, "[%g, %g]", ci.low, ci.high);
}
