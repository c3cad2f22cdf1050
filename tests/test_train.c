/* The training loop: the thread count changes nothing, a run restored from a checkpoint
 * ends exactly where an uninterrupted one does, a short nav2d run learns to adapt, and the
 * metrics files hold each iteration once across a resume. */
#include <criterion/criterion.h>
#include <math.h>
#include <mujoco/mujoco.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maml/metrics.h"
#include "maml/train.h"

static maml_config small_config(const char *env, maml_mode mode, int threads) {
  maml_config c;
  char err[1024];
  maml_config_defaults(&c);
  snprintf(c.env, sizeof c.env, "%s", env);
  c.mode = mode;
  c.tasks = 4, c.episodes = 4, c.horizon = 30, c.iterations = 10;
  c.n_hidden = 2, c.hidden[0] = c.hidden[1] = 16;
  c.threads = threads;
  c.seed = 3;
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_OK, "%s", err);
  return c;
}

static maml_trainer *make(const maml_config *c) {
  maml_trainer *t;
  char err[4096];
  cr_assert_eq(maml_trainer_create(&t, c, NULL, NULL, err, sizeof err), MAML_OK, "%s", err);
  return t;
}

static void iterate(maml_trainer *t, int n) {
  char err[1024];
  maml_iter_metrics m;
  for (int i = 0; i < n; i++)
    cr_assert_eq(maml_trainer_iterate(t, &m, err, sizeof err), MAML_OK, "%s", err);
}

static void same_theta(const maml_trainer *a, const maml_trainer *b, const char *what) {
  size_t n = maml_trainer_policy(a)->n_params;
  cr_assert_eq(memcmp(maml_trainer_theta(a), maml_trainer_theta(b), n * sizeof(maml_real)), 0,
               "%s: parameters differ", what);
}

static void check_threads(const char *env, maml_mode mode, int first_order) {
  maml_config c1 = small_config(env, mode, 1), c2 = small_config(env, mode, 2);
  c1.first_order = c2.first_order = first_order && mode == MAML_MODE_MAML;
  maml_trainer *a = make(&c1), *b = make(&c2);
  cr_assert_eq(maml_trainer_threads(a), 1);
  cr_assert_eq(maml_trainer_threads(b), 2);
  iterate(a, 3), iterate(b, 3);
  same_theta(a, b, env);
  maml_trainer_destroy(a), maml_trainer_destroy(b);
}

Test(train, one_and_two_threads_give_identical_parameters_nav2d) {
  check_threads("nav2d", MAML_MODE_MAML, 0);
}
Test(train, one_and_two_threads_give_identical_parameters_cheetah) {
  check_threads("cheetah-vel", MAML_MODE_MAML, 0);
}
Test(train, one_and_two_threads_give_identical_parameters_first_order_ant) {
  check_threads("ant-vel", MAML_MODE_MAML, 1);
}
Test(train, one_and_two_threads_give_identical_parameters_oracle) {
  check_threads("cheetah-dir", MAML_MODE_ORACLE, 0);
}

/* 5 iterations straight, against 2 + save + load + restore into a new trainer + 3 */
Test(train, resume_equals_uninterrupted) {
  char dir[] = "/tmp/maml-test-train-XXXXXX", path[256], err[4096];
  cr_assert(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/latest.ckpt", dir);
  maml_config c = small_config("cheetah-vel", MAML_MODE_MAML, 2);
  maml_trainer *whole = make(&c), *first = make(&c);
  iterate(whole, 5);
  iterate(first, 2);
  maml_checkpoint ck, back;
  cr_assert_eq(maml_trainer_checkpoint(first, 0, &ck, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(maml_checkpoint_save(path, &ck, err, sizeof err), MAML_OK, "%s", err);
  maml_checkpoint_free(&ck);
  maml_trainer_destroy(first);

  cr_assert_eq(maml_checkpoint_load(path, &back, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(back.iteration, 2);
  maml_config rc;
  maml_config_defaults(&rc);
  cr_assert_eq(
      maml_config_parse_ini(&rc, back.config_text, back.config_len, "ckpt", err, sizeof err),
      MAML_OK, "%s", err);
  rc.threads = 1; /* the thread count may change on resume */
  maml_trainer *second = make(&rc);
  cr_assert_eq(maml_trainer_restore(second, &back, err, sizeof err), MAML_OK, "%s", err);
  maml_checkpoint_free(&back);
  iterate(second, 3);
  cr_assert_eq(maml_trainer_iteration(second), 5);
  same_theta(whole, second, "resumed run");
  maml_trainer_destroy(whole), maml_trainer_destroy(second);
  remove(path);
  rmdir(dir);
}

Test(train, restore_refuses_another_network_or_family) {
  char err[4096];
  maml_config c = small_config("nav2d", MAML_MODE_MAML, 1);
  maml_trainer *a = make(&c);
  maml_checkpoint ck;
  cr_assert_eq(maml_trainer_checkpoint(a, 1, &ck, err, sizeof err), MAML_ERR_ARG,
               "no best before any iteration");
  cr_assert_eq(maml_trainer_checkpoint(a, 0, &ck, err, sizeof err), MAML_OK, "%s", err);
  maml_config wide = c;
  wide.hidden[1] = 17;
  maml_trainer *b = make(&wide);
  cr_assert_neq(maml_trainer_restore(b, &ck, err, sizeof err), MAML_OK);
  maml_config other = small_config("cheetah-vel", MAML_MODE_MAML, 1);
  maml_trainer *d = make(&other);
  cr_assert_neq(maml_trainer_restore(d, &ck, err, sizeof err), MAML_OK);
  cr_assert(strstr(err, "nav2d"), "%s", err);
  maml_checkpoint_free(&ck);
  maml_trainer_destroy(a), maml_trainer_destroy(b), maml_trainer_destroy(d);
}

/* A short second-order run on nav2d with a fixed seed: adaptation helps (post > pre on
 * average), and meta-training improves the post-adaptation return. */
Test(train, short_nav2d_run_learns_to_adapt) {
  maml_config c;
  char err[1024];
  maml_config_defaults(&c);
  snprintf(c.env, sizeof c.env, "nav2d");
  c.tasks = 10, c.episodes = 10, c.iterations = 15, c.seed = 1;
  c.n_hidden = 2, c.hidden[0] = c.hidden[1] = 32;
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_OK, "%s", err);
  maml_trainer *t = make(&c);
  double gain = 0.0, first_post = 0.0, last_post = 0.0;
  maml_iter_metrics m;
  for (int i = 0; i < c.iterations; i++) {
    cr_assert_eq(maml_trainer_iterate(t, &m, err, sizeof err), MAML_OK, "%s", err);
    gain += m.post_return - m.pre_return;
    if (i < 3) first_post += m.post_return / 3;
    if (i >= c.iterations - 3) last_post += m.post_return / 3;
    cr_assert_eq(m.rejected, 0);
  }
  cr_expect(gain / c.iterations > 5.0, "mean post - pre return %g: adaptation does not help",
            gain / c.iterations);
  cr_expect(last_post > first_post + 30.0, "post-adaptation return %g -> %g: no meta-learning",
            first_post, last_post);
  maml_trainer_destroy(t);
}

/* A NaN in a reward or an observation: the iteration is rejected, theta is untouched, the
 * rejection is counted, and the next iteration goes on normally. */
static void check_nan_rejected(const char *env, maml_fault fault) {
  maml_config c = small_config(env, MAML_MODE_MAML, 2);
  maml_trainer *t = make(&c);
  iterate(t, 1);
  size_t n = maml_trainer_policy(t)->n_params;
  maml_real *before = malloc(n * sizeof *before);
  memcpy(before, maml_trainer_theta(t), n * sizeof *before);
  char err[1024];
  maml_iter_metrics m;
  maml_trainer_inject(t, fault);
  cr_assert_eq(maml_trainer_iterate(t, &m, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(m.rejected, 1, "%s: fault %d not rejected", env, (int)fault);
  cr_assert_eq(m.rejected_total, 1);
  cr_assert_eq(m.step.outcome, MAML_STEP_NONFINITE);
  cr_assert_eq(memcmp(before, maml_trainer_theta(t), n * sizeof *before), 0,
               "%s: a rejected iteration changed theta", env);
  cr_assert_eq(maml_trainer_iteration(t), 2, "the rejected iteration still counts as done");
  cr_assert_eq(maml_trainer_iterate(t, &m, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(m.rejected, 0);
  cr_assert_eq(m.rejected_total, 1);
  cr_assert(isfinite(m.post_return));
  cr_assert_neq(memcmp(before, maml_trainer_theta(t), n * sizeof *before), 0,
                "the next iteration did not update theta");
  free(before);
  maml_trainer_destroy(t);
}

Test(train, nan_reward_is_rejected_without_touching_theta) {
  check_nan_rejected("nav2d", MAML_FAULT_NAN_REWARD);
  check_nan_rejected("cheetah-vel", MAML_FAULT_NAN_REWARD);
}

Test(train, nan_observation_is_rejected_without_touching_theta) {
  check_nan_rejected("nav2d", MAML_FAULT_NAN_OBS);
  check_nan_rejected("ant-dir", MAML_FAULT_NAN_OBS);
}

static void silent_warning(const char *msg) {
  (void)msg;
}

/* A simulation that goes unstable ends its episode and is counted; the iteration goes on. */
Test(train, unstable_simulation_ends_its_episode_and_is_counted) {
  mju_user_warning = silent_warning; /* no MUJOCO_LOG.TXT from this test */
  const char *envs[] = {"cheetah-dir", "ant-vel"};
  for (int k = 0; k < 2; k++) {
    maml_config c = small_config(envs[k], MAML_MODE_MAML, 1);
    maml_trainer *t = make(&c);
    char err[1024];
    maml_iter_metrics m;
    maml_trainer_inject(t, MAML_FAULT_UNSTABLE);
    cr_assert_eq(maml_trainer_iterate(t, &m, err, sizeof err), MAML_OK, "%s", err);
    cr_assert_eq(m.unstable, 1, "%s: %d unstable episodes counted", envs[k], m.unstable);
    cr_assert_eq(m.rejected, 0, "%s: an unstable episode rejected the iteration", envs[k]);
    cr_assert(isfinite(m.pre_return) && isfinite(m.post_return));
    cr_assert_eq(m.step.outcome == MAML_STEP_NONFINITE, 0);
    maml_trainer_destroy(t);
  }
}

/* Metrics: a resumed run drops the rows it is about to redo, and a row cut short by a crash. */
Test(train, metrics_keep_each_iteration_once_across_resume) {
  char dir[] = "/tmp/maml-test-metrics-XXXXXX", path[256], err[1024];
  cr_assert(mkdtemp(dir));
  maml_metrics m;
  maml_iter_metrics it;
  memset(&it, 0, sizeof it);
  cr_assert_eq(maml_metrics_open(&m, dir, 0, err, sizeof err), MAML_OK, "%s", err);
  for (int i = 0; i < 5; i++) {
    it.iteration = i;
    cr_assert_eq(maml_metrics_write(&m, &it, i, err, sizeof err), MAML_OK, "%s", err);
  }
  maml_metrics_close(&m);
  snprintf(path, sizeof path, "%s/metrics.csv", dir);
  FILE *f = fopen(path, "a");
  fputs("5,1.5,2", f); /* a crash mid-row */
  fclose(f);
  cr_assert_eq(maml_metrics_open(&m, dir, 3, err, sizeof err), MAML_OK, "%s", err);
  it.iteration = 3;
  cr_assert_eq(maml_metrics_write(&m, &it, 3, err, sizeof err), MAML_OK, "%s", err);
  maml_metrics_close(&m);

  const char *names[2] = {"metrics.csv", "metrics.jsonl"};
  for (int k = 0; k < 2; k++) {
    snprintf(path, sizeof path, "%s/%s", dir, names[k]);
    f = fopen(path, "r");
    char line[4096];
    int rows = 0, expect[4] = {0, 1, 2, 3};
    if (k == 0) cr_assert(fgets(line, sizeof line, f) && !strncmp(line, "iteration,", 10));
    while (fgets(line, sizeof line, f)) {
      const char *p = k ? line + strlen("{\"iteration\":") : line;
      cr_assert(rows < 4, "%s: too many rows", names[k]);
      cr_assert_eq(atoi(p), expect[rows], "%s row %d: %s", names[k], rows, line);
      rows++;
    }
    fclose(f);
    cr_assert_eq(rows, 4, "%s: %d rows", names[k], rows);
    remove(path);
  }
  rmdir(dir);
}

/* Metrics: an emptied metrics.csv gets its header back on a resume, and open says which rows
 * of the iterations before the start it kept (and how many had an accepted step). */
Test(train, metrics_emptied_file_gets_its_header_and_open_counts_rows) {
  char dir[] = "/tmp/maml-test-metrics-XXXXXX", csv[256], jsonl[256], err[1024];
  cr_assert(mkdtemp(dir));
  snprintf(csv, sizeof csv, "%s/metrics.csv", dir);
  snprintf(jsonl, sizeof jsonl, "%s/metrics.jsonl", dir);
  maml_metrics m;
  maml_iter_metrics it;
  memset(&it, 0, sizeof it);
  cr_assert_eq(maml_metrics_open(&m, dir, 0, err, sizeof err), MAML_OK, "%s", err);
  cr_assert(m.complete && m.header_restored && m.csv_rows == 0);
  for (int i = 0; i < 4; i++) {
    it.iteration = i;
    it.step.outcome = i == 2 ? MAML_STEP_ACCEPTED : MAML_STEP_NO_IMPROVEMENT;
    cr_assert_eq(maml_metrics_write(&m, &it, i, err, sizeof err), MAML_OK, "%s", err);
  }
  maml_metrics_close(&m);
  cr_assert_eq(maml_metrics_open(&m, dir, 3, err, sizeof err), MAML_OK, "%s", err);
  cr_assert(m.complete && !m.header_restored, "a whole file: complete, its header kept");
  cr_assert_eq(m.csv_rows, 3);
  cr_assert_eq(m.jsonl_rows, 3);
  cr_assert_eq(m.accepted, 1, "%lld accepted rows", (long long)m.accepted);
  maml_metrics_close(&m);

  fclose(fopen(csv, "w")); /* emptied */
  cr_assert_eq(maml_metrics_open(&m, dir, 3, err, sizeof err), MAML_OK, "%s", err);
  cr_assert(m.header_restored && !m.complete && m.csv_rows == 0 && m.jsonl_rows == 3);
  it.iteration = 3;
  cr_assert_eq(maml_metrics_write(&m, &it, 3, err, sizeof err), MAML_OK, "%s", err);
  maml_metrics_close(&m);
  FILE *f = fopen(csv, "r");
  char line[4096];
  cr_assert(fgets(line, sizeof line, f));
  cr_assert_eq(strncmp(line, maml_metrics_csv_header(), strlen(maml_metrics_csv_header())), 0,
               "first line: %s", line);
  cr_assert(fgets(line, sizeof line, f) && atoi(line) == 3, "row: %s", line);
  cr_assert_null(fgets(line, sizeof line, f));
  fclose(f);
  remove(csv), remove(jsonl);
  rmdir(dir);
}

/* balanced_tasks: every meta-batch of cheetah-dir holds each direction twice (of 4 tasks),
 * in task order -1, 1, -1, 1; drawn at random, the split still counts every task; either
 * way each goal's means weighted by its tasks give the batch's means */
static void check_split(const maml_iter_metrics *m, int tasks) {
  cr_assert_eq(m->goals, 2);
  cr_assert_str_eq(m->goal[0], "-1");
  cr_assert_str_eq(m->goal[1], "1");
  cr_assert_eq(m->goal_tasks[0] + m->goal_tasks[1], tasks);
  double pre = 0, post = 0;
  for (int g = 0; g < 2; g++)
    if (m->goal_tasks[g])
      pre += m->goal_tasks[g] * m->goal_pre[g], post += m->goal_tasks[g] * m->goal_post[g];
  cr_assert_float_eq(pre / tasks, m->pre_return, 1e-9 * (1 + fabs(m->pre_return)));
  cr_assert_float_eq(post / tasks, m->post_return, 1e-9 * (1 + fabs(m->post_return)));
}

Test(train, balanced_tasks_hold_each_goal_equally_often) {
  maml_config c = small_config("cheetah-dir", MAML_MODE_MAML, 1);
  c.iterations = 3, c.horizon = 10;
  char err[1024];
  maml_iter_metrics m;
  maml_trainer *drawn = make(&c);
  int unequal = 0;
  for (int i = 0; i < 6; i++) {
    cr_assert_eq(maml_trainer_iterate(drawn, &m, err, sizeof err), MAML_OK, "%s", err);
    check_split(&m, 4);
    unequal += m.goal_tasks[0] != 2;
  }
  cr_assert_gt(unequal, 0, "six random batches of 4 tasks all held each direction twice");
  maml_trainer_destroy(drawn);

  c.balanced_tasks = 1;
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_OK, "%s", err);
  maml_trainer *t = make(&c);
  for (int i = 0; i < 3; i++) {
    cr_assert_eq(maml_trainer_iterate(t, &m, err, sizeof err), MAML_OK, "%s", err);
    check_split(&m, 4);
    cr_assert_eq(m.goal_tasks[0], 2);
    cr_assert_eq(m.goal_tasks[1], 2);
  }
  maml_trainer_destroy(t);

  c.tasks = 5; /* not a multiple of 2 goals */
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_ERR_ARG);
  cr_assert(strstr(err, "balanced_tasks: 5 tasks do not split evenly over cheetah-dir's 2 goals"),
            "%s", err);
  maml_config v = small_config("nav2d", MAML_MODE_MAML, 1);
  v.balanced_tasks = 1;
  cr_assert_eq(maml_config_resolve(&v, err, sizeof err), MAML_ERR_ARG);
  cr_assert(strstr(err, "nav2d's goals do not repeat") && strstr(err, "cheetah-dir, ant-dir"), "%s",
            err);
}
