/* Config: defaults and the paper's per-family values, setting every key from text, range
 * and syntax errors (messages name the key and the value), suggestions for unknown keys,
 * the INI reader (comments, CRLF, section, duplicates, malformed and long lines), format ->
 * parse round trips, and the file functions. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "maml/config.h"
#include "maml/env.h"
#include "maml/matmul.h"

#define ERR_SZ 2048

/* field-by-field equality (the struct has padding, so no memcmp of arbitrary values) */
static void assert_same(const maml_config *a, const maml_config *b) {
  cr_assert_str_eq(a->env, b->env);
  cr_assert_eq(a->mode, b->mode);
  cr_assert_eq(a->first_order, b->first_order);
  cr_assert_eq(a->inner_loss, b->inner_loss);
  cr_assert_eq(a->inner_support, b->inner_support);
  cr_assert_eq(a->oracle_obs, b->oracle_obs);
  cr_assert_eq(a->seed, b->seed);
  cr_assert_eq(a->iterations, b->iterations);
  cr_assert_eq(a->tasks, b->tasks);
  cr_assert_eq(a->episodes, b->episodes);
  cr_assert_eq(a->query_episodes, b->query_episodes);
  cr_assert_eq(a->horizon, b->horizon);
  cr_assert_eq(a->n_hidden, b->n_hidden);
  for (int l = 0; l < a->n_hidden; l++) cr_assert_eq(a->hidden[l], b->hidden[l], "layer %d", l);
  cr_assert_eq(a->activation, b->activation);
  cr_assert_eq(memcmp(&a->init_std, &b->init_std, sizeof(double)), 0, "init_std");
  cr_assert_eq(a->inner_steps, b->inner_steps);
  cr_assert_eq(memcmp(&a->alpha, &b->alpha, sizeof(double)), 0, "alpha");
  cr_assert_eq(memcmp(&a->gamma, &b->gamma, sizeof(double)), 0, "gamma");
  cr_assert_eq(memcmp(&a->gae_lambda, &b->gae_lambda, sizeof(double)), 0, "gae_lambda");
  cr_assert_eq(memcmp(&a->max_kl, &b->max_kl, sizeof(double)), 0, "max_kl");
  cr_assert_eq(a->cg_iters, b->cg_iters);
  cr_assert_eq(memcmp(&a->cg_damping, &b->cg_damping, sizeof(double)), 0, "cg_damping");
  cr_assert_eq(memcmp(&a->ls_backtrack, &b->ls_backtrack, sizeof(double)), 0, "ls_backtrack");
  cr_assert_eq(a->ls_steps, b->ls_steps);
  cr_assert_eq(a->outer, b->outer);
  cr_assert_eq(memcmp(&a->promp_clip, &b->promp_clip, sizeof(double)), 0, "promp_clip");
  cr_assert_eq(memcmp(&a->promp_kl_coef, &b->promp_kl_coef, sizeof(double)), 0, "kl_coef");
  cr_assert_eq(a->promp_steps, b->promp_steps);
  cr_assert_eq(memcmp(&a->promp_lr, &b->promp_lr, sizeof(double)), 0, "promp_lr");
  cr_assert_eq(a->threads, b->threads);
  cr_assert_eq(a->matmul, b->matmul);
  cr_assert_eq(a->checkpoint_every, b->checkpoint_every);
  cr_assert_str_eq(a->assets, b->assets);
  cr_assert_str_eq(a->model_hash, b->model_hash);
}

/* format c, parse the text into fresh defaults, and compare */
static void assert_round_trip(const maml_config *c) {
  char text[8192], err[ERR_SZ] = "";
  int n = maml_config_format(c, text, sizeof text);
  cr_assert(n > 0 && n < (int)sizeof text);
  cr_assert_eq((size_t)n, strlen(text));
  cr_assert_eq(maml_config_format(c, NULL, 0), n, "the length without a buffer");
  maml_config d;
  maml_config_defaults(&d);
  cr_assert_eq(maml_config_parse_ini(&d, text, (size_t)n, "round-trip", err, sizeof err), MAML_OK,
               "%s\n%s", err, text);
  assert_same(c, &d);
}

static void set_ok(maml_config *c, const char *key, const char *value) {
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_config_set(c, key, value, err, sizeof err), MAML_OK, "%s = %s: %s", key, value,
               err);
}

/* a refused value: the message names the key and the value, and c is unchanged */
static void set_bad(const char *key, const char *value) {
  maml_config c, before;
  maml_config_defaults(&c);
  before = c;
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_config_set(&c, key, value, err, sizeof err), MAML_ERR_ARG, "%s = '%s'", key,
               value);
  cr_assert_not_null(strstr(err, key), "message '%s' does not name the key %s", err, key);
  cr_assert_not_null(strstr(err, value), "message '%s' does not name the value '%s'", err, value);
  assert_same(&c, &before);
}

/* ---- defaults and resolution --------------------------------------------------------- */

Test(config, defaults) {
  maml_config c;
  maml_config_defaults(&c);
  cr_assert_str_eq(c.env, "");
  cr_assert_eq(c.mode, MAML_MODE_MAML);
  cr_assert_eq(c.first_order, 0);
  cr_assert_eq(c.inner_loss, MAML_INNER_REINFORCE);
  cr_assert_eq(c.seed, 1);
  cr_assert_eq(c.iterations, 0);
  cr_assert_eq(c.tasks, 0);
  cr_assert_eq(c.episodes, 0);
  cr_assert_eq(c.query_episodes, 0);
  cr_assert_eq(c.horizon, 0);
  cr_assert_eq(c.n_hidden, 2);
  cr_assert_eq(c.hidden[0], 100);
  cr_assert_eq(c.hidden[1], 100);
  cr_assert_eq(c.activation, MAML_ACT_RELU);
  cr_assert_eq(c.init_std, 1.0);
  cr_assert_eq(c.inner_steps, 1);
  cr_assert_eq(c.alpha, 0.1);
  cr_assert_eq(c.gamma, 0.99);
  cr_assert_eq(c.gae_lambda, 1.0);
  cr_assert_eq(c.max_kl, 0.01);
  cr_assert_eq(c.cg_iters, 10);
  cr_assert_eq(c.cg_damping, 1e-5);
  cr_assert_eq(c.ls_backtrack, 0.8);
  cr_assert_eq(c.ls_steps, 15);
  cr_assert_eq(c.threads, 0);
  cr_assert_eq(c.matmul, MAML_MATMUL_OPENBLAS);
  cr_assert_eq(c.checkpoint_every, 10);
  assert_round_trip(&c); /* unset values too */
}

Test(config, resolve_gives_the_papers_values) {
  static const struct {
    const char *env;
    int tasks, episodes, horizon, iterations;
  } want[] = {
      {"cheetah-vel", 40, 20, 200, 500}, {"cheetah-dir", 40, 20, 200, 500},
      {"ant-vel", 40, 20, 200, 500},     {"ant-dir", 40, 40, 200, 500},
      {"ant-goal", 40, 20, 200, 500},    {"nav2d", 20, 20, 100, 100},
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    maml_config c;
    char err[ERR_SZ] = "";
    maml_config_defaults(&c);
    set_ok(&c, "env", want[i].env);
    cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_OK, "%s: %s", want[i].env, err);
    cr_assert_eq(c.tasks, want[i].tasks, "%s tasks", want[i].env);
    cr_assert_eq(c.episodes, want[i].episodes, "%s episodes", want[i].env);
    cr_assert_eq(c.query_episodes, want[i].episodes, "%s query episodes", want[i].env);
    cr_assert_eq(c.horizon, want[i].horizon, "%s horizon", want[i].env);
    cr_assert_eq(c.iterations, want[i].iterations, "%s iterations", want[i].env);
    cr_assert_eq(c.inner_steps, 1);
    cr_assert_eq(c.alpha, 0.1);
    cr_assert_eq(c.n_hidden, 2);
    /* resolving again changes nothing */
    maml_config again = c;
    cr_assert_eq(maml_config_resolve(&again, err, sizeof err), MAML_OK, "%s", err);
    assert_same(&c, &again);
    assert_round_trip(&c);
  }
}

Test(config, resolve_keeps_given_values_and_checks_them) {
  maml_config c;
  char err[ERR_SZ] = "";
  maml_config_defaults(&c);
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_ERR_ARG);
  cr_assert_not_null(strstr(err, "no env"), "%s", err);
  cr_assert_not_null(strstr(err, "nav2d"), "the families are listed: %s", err);

  set_ok(&c, "env", "nav2d");
  set_ok(&c, "episodes", "7");
  set_ok(&c, "tasks", "3");
  set_ok(&c, "horizon", "50");
  set_ok(&c, "threads", "0");
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(c.episodes, 7);
  cr_assert_eq(c.query_episodes, 7);
  cr_assert_eq(c.tasks, 3);
  cr_assert_eq(c.horizon, 50);
  cr_assert_eq(c.threads, 0, "0 = auto is left to the trainer");

  set_ok(&c, "horizon", "101"); /* within the key's range but over nav2d's 100 */
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_ERR_ARG);
  cr_assert_not_null(strstr(err, "horizon"), "%s", err);
  cr_assert_not_null(strstr(err, "101"), "%s", err);
  set_ok(&c, "horizon", "50");

  set_ok(&c, "threads", "4"); /* more threads than the 3 tasks */
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_ERR_ARG);
  cr_assert_not_null(strstr(err, "threads"), "%s", err);
  cr_assert_not_null(strstr(err, "[0, 3]"), "the allowed range is named: %s", err);
  set_ok(&c, "threads", "3");
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_OK, "%s", err);

  /* values placed in the struct directly are checked too */
  maml_config_defaults(&c);
  set_ok(&c, "env", "cheetah-vel");
  c.gamma = 1.5;
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_ERR_ARG);
  cr_assert_not_null(strstr(err, "gamma"), "%s", err);
  maml_config_defaults(&c);
  strcpy(c.env, "cheetah-fly");
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_ERR_ARG);
  cr_assert_not_null(strstr(err, "cheetah-fly"), "%s", err);
}

Test(config, modes) {
  maml_config c;
  char err[ERR_SZ] = "";
  maml_config_defaults(&c);
  set_ok(&c, "env", "ant-dir");
  set_ok(&c, "inner_steps", "0");
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_ERR_ARG, "maml needs a step");
  cr_assert_not_null(strstr(err, "inner_steps"), "%s", err);

  for (int m = 0; m < 2; m++) {
    maml_config_defaults(&c);
    set_ok(&c, "env", "ant-dir");
    set_ok(&c, "first_order", "yes");
    set_ok(&c, "inner_steps", "3");
    set_ok(&c, "mode", m ? "oracle" : "pretrain");
    cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_OK, "%s", err);
    cr_assert_eq(c.mode, m ? MAML_MODE_ORACLE : MAML_MODE_PRETRAIN);
    cr_assert_eq(c.inner_steps, 0);
    cr_assert_eq(c.first_order, 0);
    assert_round_trip(&c);
  }
  cr_assert_str_eq(maml_mode_name(MAML_MODE_MAML), "maml");
  cr_assert_str_eq(maml_mode_name(MAML_MODE_PRETRAIN), "pretrain");
  cr_assert_str_eq(maml_mode_name(MAML_MODE_ORACLE), "oracle");
}

/* ---- setting keys -------------------------------------------------------------------- */

Test(config, every_key_from_text) {
  maml_config c;
  maml_config_defaults(&c);
  set_ok(&c, "env", "ant-goal");
  set_ok(&c, "mode", "pretrain");
  set_ok(&c, "first-order", "true"); /* dashes work */
  set_ok(&c, "seed", "18446744073709551615");
  set_ok(&c, "iterations", "10000000");
  set_ok(&c, "tasks", "100000");
  set_ok(&c, "episodes", "1");
  set_ok(&c, "query_episodes", "65536");
  set_ok(&c, "horizon", "  17 ");
  set_ok(&c, "hidden", "64, 32,16");
  set_ok(&c, "activation", "tanh");
  set_ok(&c, "init_std", "0.3");
  set_ok(&c, "inner_steps", "100");
  set_ok(&c, "alpha", "1e-3");
  set_ok(&c, "gamma", "1");
  set_ok(&c, "gae_lambda", "0");
  set_ok(&c, "max-kl", "0.02");
  set_ok(&c, "cg_iters", "1000");
  set_ok(&c, "cg_damping", "0");
  set_ok(&c, "ls_backtrack", "0.5");
  set_ok(&c, "ls_steps", "1");
  set_ok(&c, "threads", "1024");
  set_ok(&c, "matmul", " dnnl-f32 ");
  set_ok(&c, "checkpoint_every", "7");
  cr_assert_str_eq(c.env, "ant-goal");
  cr_assert_eq(c.mode, MAML_MODE_PRETRAIN);
  cr_assert_eq(c.first_order, 1);
  cr_assert_eq(c.seed, UINT64_MAX);
  cr_assert_eq(c.iterations, 10000000);
  cr_assert_eq(c.tasks, 100000);
  cr_assert_eq(c.episodes, 1);
  cr_assert_eq(c.query_episodes, 65536);
  cr_assert_eq(c.horizon, 17);
  cr_assert_eq(c.n_hidden, 3);
  cr_assert_eq(c.hidden[0], 64);
  cr_assert_eq(c.hidden[1], 32);
  cr_assert_eq(c.hidden[2], 16);
  cr_assert_eq(c.activation, MAML_ACT_TANH);
  cr_assert_eq(c.init_std, 0.3);
  cr_assert_eq(c.inner_steps, 100);
  cr_assert_eq(c.alpha, 1e-3);
  cr_assert_eq(c.gamma, 1.0);
  cr_assert_eq(c.gae_lambda, 0.0);
  cr_assert_eq(c.max_kl, 0.02);
  cr_assert_eq(c.cg_iters, 1000);
  cr_assert_eq(c.cg_damping, 0.0);
  cr_assert_eq(c.ls_backtrack, 0.5);
  cr_assert_eq(c.ls_steps, 1);
  cr_assert_eq(c.threads, 1024);
  cr_assert_eq(c.matmul, MAML_MATMUL_DNNL_F32);
  cr_assert_eq(c.checkpoint_every, 7);
  assert_round_trip(&c);

  /* awkward doubles come back bit for bit */
  set_ok(&c, "alpha", "0.1234567890123456789");
  set_ok(&c, "cg_damping", "2.2250738585072014e-308"); /* the smallest normal number */
  set_ok(&c, "gamma", "0.30000000000000004");
  set_ok(&c, "max_kl", "0.1000000000000000055511151231257827");
  set_ok(&c, "hidden", "none");
  assert_round_trip(&c);
  cr_assert_eq(c.n_hidden, 0);
  set_ok(&c, "hidden", "1,2,3,4,5,6,7,4096");
  cr_assert_eq(c.n_hidden, 8);
  assert_round_trip(&c);

  static const char *const yes[] = {"1", "true", "yes", "on", "TRUE"};
  static const char *const no[] = {"0", "false", "no", "off", "Off"};
  for (int i = 0; i < 5; i++) {
    set_ok(&c, "first_order", yes[i]);
    cr_assert_eq(c.first_order, 1, "%s", yes[i]);
    set_ok(&c, "first_order", no[i]);
    cr_assert_eq(c.first_order, 0, "%s", no[i]);
  }
}

Test(config, bad_values_name_key_and_value) {
  set_bad("alpha", "-1");
  set_bad("alpha", "0");
  set_bad("alpha", "100.5");
  set_bad("alpha", "0.1x");
  set_bad("alpha", "nan");
  set_bad("alpha", "inf");
  set_bad("alpha", "1e999");
  set_bad("alpha", "");
  set_bad("init_std", "0");
  set_bad("init_std", "101");
  set_bad("gamma", "1.0000001");
  set_bad("gamma", "-0.1");
  set_bad("gae_lambda", "2");
  set_bad("max_kl", "0");
  set_bad("max_kl", "11");
  set_bad("cg_damping", "-1e-9");
  set_bad("cg_damping", "2e6");
  set_bad("ls_backtrack", "1");
  set_bad("ls_backtrack", "0");
  set_bad("iterations", "0");
  set_bad("iterations", "10000001");
  set_bad("iterations", "1.5");
  set_bad("iterations", "1e3");
  set_bad("iterations", "99999999999999999999999");
  set_bad("tasks", "100001");
  set_bad("tasks", "-3");
  set_bad("episodes", "65537");
  set_bad("query_episodes", "0");
  set_bad("horizon", "100001");
  set_bad("inner_steps", "101");
  set_bad("inner_steps", "-1");
  set_bad("cg_iters", "0");
  set_bad("ls_steps", "1001");
  set_bad("threads", "1025");
  set_bad("threads", "-1");
  set_bad("checkpoint_every", "0");
  set_bad("seed", "-1");
  set_bad("seed", "18446744073709551616");
  set_bad("seed", "12abc");
  set_bad("seed", "");
  set_bad("hidden", "100,0");
  set_bad("hidden", "100,4097");
  set_bad("hidden", "100,,100");
  set_bad("hidden", "100,");
  set_bad("hidden", "-5");
  set_bad("hidden", "1,2,3,4,5,6,7,8,9");
  set_bad("hidden", "64x64");
  set_bad("activation", "sigmoid");
  set_bad("mode", "reptile");
  set_bad("first_order", "maybe");
  set_bad("first_order", "2");
  set_bad("env", "cheetah");
  set_bad("env", "");

  char err[ERR_SZ] = "";
  maml_config c;
  maml_config_defaults(&c);
  cr_assert_eq(maml_config_set(&c, "alpha", "-1", err, sizeof err), MAML_ERR_ARG);
  cr_assert_str_eq(err, "alpha: '-1' is out of range: expected a number in [1e-08, 100]");
  cr_assert_eq(maml_config_set(&c, "env", "ant-vell", err, sizeof err), MAML_ERR_ARG);
  cr_assert_not_null(strstr(err, "ant-vel, ant-dir"), "the families are listed: %s", err);
  cr_assert_not_null(strstr(err, "did you mean 'ant-vel'"), "%s", err);

  /* a huge value is refused without overflowing anything */
  size_t n = 100000;
  char *big = malloc(n + 1);
  cr_assert_not_null(big);
  memset(big, '9', n);
  big[n] = '\0';
  cr_assert_eq(maml_config_set(&c, "alpha", big, err, sizeof err), MAML_ERR_ARG);
  cr_assert_not_null(strstr(err, "alpha"), "%s", err);
  cr_assert_eq(maml_config_set(&c, big, "1", err, sizeof err), MAML_ERR_ARG);
  cr_assert_not_null(strstr(err, "unknown key"), "%s", err);
  free(big);
}

static maml_status parse_text(maml_config *c, const char *text, char *err) {
  return maml_config_parse_ini(c, text, strlen(text), "x.ini", err, ERR_SZ);
}

/* a refused value whose message also contains want */
static void set_bad_saying(const char *key, const char *value, const char *want) {
  set_bad(key, value);
  maml_config c;
  maml_config_defaults(&c);
  char err[ERR_SZ] = "";
  maml_config_set(&c, key, value, err, sizeof err);
  cr_assert_not_null(strstr(err, want), "%s = '%s': '%s' should contain '%s'", key, value, err,
                     want);
}

/* strtod alone reads hexadecimal, inf, nan: only plain decimals are numbers here */
Test(config, numbers_are_plain_decimals) {
  static const char *const not_decimal[] = {"0x10",   "0X1p-3",    "0x1.999999999999ap-4",
                                            "inf",    "-infinity", "nan",
                                            "NAN(1)", "1e",        "1e+",
                                            ".",      "+",         "- 1",
                                            "1.2.3",  "1,5"};
  for (size_t i = 0; i < sizeof not_decimal / sizeof not_decimal[0]; i++) {
    set_bad_saying("alpha", not_decimal[i], "plain decimal");
    set_bad("gamma", not_decimal[i]);
  }
  set_bad_saying("tasks", "0x10", "not an integer");
  set_bad("iterations", "+0x5");
  set_bad("seed", "0x10");
  maml_config c;
  maml_config_defaults(&c);
  set_ok(&c, "alpha", "+.5");
  cr_assert_eq(c.alpha, 0.5);
  set_ok(&c, "alpha", "5.");
  cr_assert_eq(c.alpha, 5.0);
  set_ok(&c, "alpha", "1E-3");
  cr_assert_eq(c.alpha, 1e-3);
  set_ok(&c, "gamma", "-0");
  set_ok(&c, "tasks", "+7");
  cr_assert_eq(c.tasks, 7);
}

/* an empty hidden list is not a silent linear policy: that is `none` */
Test(config, empty_hidden_is_refused) {
  set_bad_saying("hidden", "", "none for a linear policy");
  set_bad_saying("hidden", "", "such as 100,100");
  maml_config c;
  maml_config_defaults(&c);
  char err[ERR_SZ] = "";
  cr_assert_eq(parse_text(&c, "hidden =\n", err), MAML_ERR_ARG);
  cr_assert_not_null(strstr(err, "x.ini:1: hidden: '' is empty"), "%s", err);
  cr_assert_eq(c.n_hidden, 2, "the defaults are kept");
  set_ok(&c, "hidden", "None");
  cr_assert_eq(c.n_hidden, 0);
}

/* values that cannot train are outside the ranges: a subnormal number anywhere, and
 * init_std, alpha and max_kl below what float parameters can use */
Test(config, ranges_exclude_values_that_cannot_work) {
  set_bad_saying("init_std", "1e-320", "too small to compute with");
  set_bad_saying("init_std", "9.9e-7", "[1e-06, 100]");
  set_bad("init_std", "0.0000001");
  set_bad_saying("alpha", "1e-9", "[1e-08, 100]");
  set_bad_saying("alpha", "4.9e-324", "too small");
  set_bad_saying("max_kl", "1e-13", "[1e-12, 10]");
  set_bad_saying("cg_damping", "1e-310", "too small");
  set_bad_saying("ls_backtrack", "1e-320", "too small");
  set_bad_saying("gamma", "2e-320", "too small");
  set_bad_saying("gae_lambda", "-2e-320", "too small");
  maml_config c;
  maml_config_defaults(&c);
  set_ok(&c, "init_std", "1e-6");
  set_ok(&c, "init_std", "100");
  set_ok(&c, "alpha", "1e-8");
  set_ok(&c, "max_kl", "1e-12");
  set_ok(&c, "cg_damping", "0");
  set_ok(&c, "gamma", "0");
  set_ok(&c, "ls_backtrack", "1e-300");
  /* the help shows the ranges */
  for (const maml_config_key *k = maml_config_keys(); k->name; k++) {
    if (!strcmp(k->name, "init_std")) cr_assert_str_eq(k->syntax, "X in [1e-6, 100]");
    if (!strcmp(k->name, "alpha")) cr_assert_str_eq(k->syntax, "X in [1e-8, 100]");
    if (!strcmp(k->name, "max_kl")) cr_assert_str_eq(k->syntax, "X in [1e-12, 10]");
  }
}

Test(config, unknown_keys_suggest_the_closest) {
  static const struct {
    const char *typo, *want;
  } cases[] = {
      {"max-k", "max_kl"},         {"max_kll", "max_kl"},           {"alhpa", "alpha"},
      {"iteration", "iterations"}, {"inner-step", "inner_steps"},   {"gae-lamda", "gae_lambda"},
      {"hiden", "hidden"},         {"ls-backtrak", "ls_backtrack"}, {"thread", "threads"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    maml_config c;
    maml_config_defaults(&c);
    char err[ERR_SZ] = "", want[128];
    cr_assert_eq(maml_config_set(&c, cases[i].typo, "1", err, sizeof err), MAML_ERR_ARG);
    snprintf(want, sizeof want, "unknown key '%s' (did you mean '%s'?)", cases[i].typo,
             cases[i].want);
    cr_assert_str_eq(err, want);
  }
  maml_config c;
  maml_config_defaults(&c);
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_config_set(&c, "learning_rate", "1", err, sizeof err), MAML_ERR_ARG);
  cr_assert_not_null(strstr(err, "unknown key 'learning_rate'"), "%s", err);
  cr_assert_null(strstr(err, "did you mean"), "nothing is close: %s", err);
  cr_assert_eq(maml_config_set(&c, "", "1", err, sizeof err), MAML_ERR_ARG);
}

Test(config, keys_table) {
  const maml_config_key *k = maml_config_keys();
  int n = 0;
  maml_config c;
  maml_config_defaults(&c);
  char text[8192];
  maml_config_format(&c, text, sizeof text);
  for (; k[n].name; n++) {
    cr_assert_not_null(k[n].syntax);
    cr_assert_not_null(k[n].help);
    char line[64];
    snprintf(line, sizeof line, "%s = ", k[n].name);
    if (strcmp(k[n].name, "oracle_obs")) /* written in oracle mode only (oracle_obs_key) */
      cr_assert_not_null(strstr(text, line), "%s is formatted", k[n].name);
    if (strcmp(k[n].name, "env"))
      cr_assert_not_null(strstr(k[n].help, "default"), "%s mentions its default", k[n].name);
  }
  cr_assert_eq(n, 37);
}

/* ---- INI ----------------------------------------------------------------------------- */

static maml_status parse(maml_config *c, const char *text, char *err) {
  return maml_config_parse_ini(c, text, strlen(text), "x.ini", err, ERR_SZ);
}

Test(config, ini_syntax) {
  const char *text =
      "\xEF\xBB\xBF# a comment\r\n"
      "  ; another comment\r\n"
      "\r\n"
      "[train]\r\n"
      "env = cheetah-dir\r\n"
      "  alpha=0.05  \r\n"
      "\tmax-kl\t=\t0.02\r\n"
      "hidden = 32,32\r\n"
      "alpha = 0.2\r\n" /* the last one wins */
      "[ train ]\n"
      "tasks = 5"; /* no newline at the end */
  maml_config c;
  maml_config_defaults(&c);
  char err[ERR_SZ] = "";
  cr_assert_eq(parse(&c, text, err), MAML_OK, "%s", err);
  cr_assert_str_eq(c.env, "cheetah-dir");
  cr_assert_eq(c.alpha, 0.2);
  cr_assert_eq(c.max_kl, 0.02);
  cr_assert_eq(c.n_hidden, 2);
  cr_assert_eq(c.hidden[0], 32);
  cr_assert_eq(c.tasks, 5);
  /* len bounds the text: what follows is not read */
  const char *cut = "tasks = 7\ngarbage";
  cr_assert_eq(maml_config_parse_ini(&c, cut, 10, "cut", err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(c.tasks, 7);
  cr_assert_eq(maml_config_parse_ini(&c, "", 0, "empty", err, sizeof err), MAML_OK);
}

/* text refused with a message containing want; c is left as it was */
static void ini_bad(const char *text, size_t len, maml_status code, const char *want) {
  maml_config c, before;
  maml_config_defaults(&c);
  before = c;
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_config_parse_ini(&c, text, len, "x.ini", err, sizeof err), code, "%s", err);
  cr_assert_not_null(strstr(err, want), "'%s' should contain '%s'", err, want);
  assert_same(&c, &before);
}

/* a string literal's bytes, embedded NULs included */
#define INI_BAD(lit, code, want) ini_bad(lit, sizeof(lit) - 1, code, want)

Test(config, ini_errors_name_the_line) {
  INI_BAD("alpha = 0.2\njust words\n", MAML_ERR_FORMAT, "x.ini:2: expected 'key = value'");
  INI_BAD("# c\n\n[eval]\nalpha = 1\n", MAML_ERR_FORMAT, "x.ini:3:");
  INI_BAD("[train\n", MAML_ERR_FORMAT, "x.ini:1:");
  INI_BAD("= 3\n", MAML_ERR_FORMAT, "x.ini:1:");
  INI_BAD("\n\n\nalpha = -1\n", MAML_ERR_ARG, "x.ini:4: alpha: '-1' is out of range");
  INI_BAD("tasks = 3\r\nmax-k = 1\r\n", MAML_ERR_ARG,
          "x.ini:2: unknown key 'max-k' (did you mean 'max_kl'?)");
  INI_BAD("alpha = 0.2\nga\0mma = 1\n", MAML_ERR_FORMAT, "x.ini:2:");
  INI_BAD("alpha = 0.2\r\n\0", MAML_ERR_FORMAT, "x.ini:2:");
  /* a valid first line is not applied when a later one fails */
  INI_BAD("alpha = 0.5\nbeta = 1\n", MAML_ERR_ARG, "x.ini:2:");
}

Test(config, long_lines) {
  size_t n = 1u << 20;
  char *text = malloc(n);
  cr_assert_not_null(text);
  memcpy(text, "alpha = 0.2\nhidden = ", 21);
  memset(text + 21, '1', n - 21);
  ini_bad(text, n, MAML_ERR_FORMAT, "x.ini:2:");
  memset(text, '#', n); /* a long comment is still a long line */
  ini_bad(text, n, MAML_ERR_FORMAT, "x.ini:1:");
  free(text);
}

/* ---- files --------------------------------------------------------------------------- */

Test(config, save_and_load) {
  char dir[] = "/tmp/maml_config_XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char path[256], err[ERR_SZ] = "";
  snprintf(path, sizeof path, "%s/run.ini", dir);
  maml_config c, d;
  maml_config_defaults(&c);
  set_ok(&c, "env", "nav2d");
  set_ok(&c, "gamma", "0.95");
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(maml_config_save(&c, path, err, sizeof err), MAML_OK, "%s", err);
  maml_config_defaults(&d);
  cr_assert_eq(maml_config_load(&d, path, err, sizeof err), MAML_OK, "%s", err);
  assert_same(&c, &d);
  unlink(path);

  cr_assert_eq(maml_config_load(&d, path, err, sizeof err), MAML_ERR_IO);
  cr_assert_not_null(strstr(err, path), "%s", err);
  cr_assert_eq(maml_config_load(&d, dir, err, sizeof err), MAML_ERR_IO, "a folder: %s", err);
  snprintf(path, sizeof path, "%s/no/such/folder.ini", dir);
  cr_assert_eq(maml_config_save(&c, path, err, sizeof err), MAML_ERR_IO);
  cr_assert_not_null(strstr(err, path), "%s", err);

  /* a load error names the file and the line */
  snprintf(path, sizeof path, "%s/bad.ini", dir);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs("[train]\nepisodes = many\n", f);
  fclose(f);
  cr_assert_eq(maml_config_load(&d, path, err, sizeof err), MAML_ERR_ARG);
  char want[300];
  snprintf(want, sizeof want, "%s:2: episodes: 'many'", path);
  cr_assert_not_null(strstr(err, want), "%s", err);
  unlink(path);
  rmdir(dir);
}

/* a FIFO in the config's place is refused at once (opening it for reading would wait for a
 * writer forever); so is a folder */
Test(config, fifo_is_refused_without_waiting, .timeout = 10) {
  char dir[] = "/tmp/maml_config_XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char path[256], err[ERR_SZ] = "";
  snprintf(path, sizeof path, "%s/run.ini", dir);
  cr_assert_eq(mkfifo(path, 0600), 0);
  maml_config c;
  maml_config_defaults(&c);
  cr_assert_eq(maml_config_load(&c, path, err, sizeof err), MAML_ERR_IO);
  cr_assert_not_null(strstr(err, "not a regular file"), "%s", err);
  cr_assert_not_null(strstr(err, path), "%s", err);
  cr_assert_eq(maml_config_load(&c, dir, err, sizeof err), MAML_ERR_IO);
  cr_assert_not_null(strstr(err, "not a regular file"), "a folder: %s", err);
  unlink(path);
  rmdir(dir);
}

/* ---- the model a run trains on ------------------------------------------------------- */

Test(config, model_keys) {
  maml_config c;
  maml_config_defaults(&c);
  char text[8192];
  maml_config_format(&c, text, sizeof text);
  cr_assert_not_null(strstr(text, "# assets = (the default search)\n"), "%s", text);
  cr_assert_not_null(strstr(text, "# model_hash = (not recorded)\n"), "%s", text);
  set_ok(&c, "env", "cheetah-vel");
  set_ok(&c, "assets", "/some where/assets");
  set_ok(&c, "model-hash", "0123456789ABCDEF");
  cr_assert_str_eq(c.assets, "/some where/assets");
  cr_assert_str_eq(c.model_hash, "0123456789abcdef", "kept in lowercase");
  assert_round_trip(&c);
  char err[ERR_SZ] = "";
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_OK, "%s", err);
  set_bad_saying("model_hash", "0123", "16 hexadecimal digits");
  set_bad("model_hash", "0123456789abcdefg");
  set_bad("model_hash", "0123456789abcdeg");
  set_bad_saying("assets", "", "leave the key out");
  set_bad_saying("assets", "a\tb", "control character");
  char long_path[MAML_ASSETS_MAX + 1];
  memset(long_path, 'a', MAML_ASSETS_MAX);
  long_path[MAML_ASSETS_MAX] = '\0';
  cr_assert_eq(maml_config_set(&c, "assets", long_path, err, sizeof err), MAML_ERR_ARG);
  long_path[MAML_ASSETS_MAX - 1] = '\0';
  set_ok(&c, "assets", long_path);
  assert_round_trip(&c);
}

/* every backend by its name (whether or not it can run here), in the text as such; a text
 * without the key (an older maml's) reads as openblas; names are refused otherwise */
Test(config, matmul_key) {
  maml_config c;
  maml_config_defaults(&c);
  char text[8192], err[ERR_SZ] = "", line[128];
  for (int b = 0; b < MAML_MATMUL_COUNT; b++) {
    const char *name = maml_matmul_name((maml_matmul_backend)b);
    cr_assert_not_null(name, "backend %d has a name", b);
    set_ok(&c, "matmul", name);
    cr_assert_eq(c.matmul, (maml_matmul_backend)b, "%s", name);
    maml_config_format(&c, text, sizeof text);
    snprintf(line, sizeof line, "\nmatmul = %s\n", name);
    cr_assert_not_null(strstr(text, line), "%s is formatted: %s", name, text);
    assert_round_trip(&c);
  }
  set_ok(&c, "matmul", "dnnl-f32");
  static const char old[] = "env = nav2d\nthreads = 2\n";
  cr_assert_eq(maml_config_parse_ini(&c, old, strlen(old), "old.ini", err, sizeof err), MAML_OK);
  cr_assert_eq(c.matmul, MAML_MATMUL_DNNL_F32, "a text without the key leaves it as it was");
  maml_config_defaults(&c);
  cr_assert_eq(maml_config_parse_ini(&c, old, strlen(old), "old.ini", err, sizeof err), MAML_OK);
  cr_assert_eq(c.matmul, MAML_MATMUL_OPENBLAS, "a text without the key reads as openblas");
  static const char *const bad[] = {"blas", "OpenBLAS", "dnnl", "dnnl-f32x", "0"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    set_bad_saying("matmul", bad[i], "not a matmul backend");
    maml_config_defaults(&c);
    maml_config_set(&c, "matmul", bad[i], err, sizeof err);
    for (int b = 0; b < MAML_MATMUL_COUNT; b++) /* the message lists the names allowed */
      cr_assert_not_null(strstr(err, maml_matmul_name((maml_matmul_backend)b)), "%s", err);
  }
  cr_assert_eq(maml_config_set(&c, "matmul", "", err, sizeof err), MAML_ERR_ARG);
  static const char file[] = "env = nav2d\n\nmatmul = blas\n";
  cr_assert_eq(maml_config_parse_ini(&c, file, strlen(file), "x.ini", err, sizeof err),
               MAML_ERR_ARG);
  cr_assert_not_null(strstr(err, "x.ini:3: matmul: 'blas'"), "%s", err);
  cr_assert_eq(c.matmul, MAML_MATMUL_OPENBLAS, "unchanged");
  set_ok(&c, "env", "nav2d");
  c.matmul = MAML_MATMUL_COUNT; /* not a backend */
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_ERR_ARG);
  cr_assert_not_null(strstr(err, "matmul"), "%s", err);
}

/* inner_loss: the names in any case, a typo refused with a suggestion and the allowed
 * names, a text without the key (runs made before it) reads as reinforce, round trips,
 * reinforce outside maml mode, and a value that is not an inner loss refused by resolve */
Test(config, inner_loss_key) {
  maml_config c;
  char err[ERR_SZ] = "", text[8192];
  maml_config_defaults(&c);
  set_ok(&c, "inner_loss", "lvc");
  cr_assert_eq(c.inner_loss, MAML_INNER_LVC);
  set_ok(&c, "inner-loss", "REINFORCE");
  cr_assert_eq(c.inner_loss, MAML_INNER_REINFORCE);
  set_ok(&c, "inner_loss", " LVC ");
  cr_assert_eq(c.inner_loss, MAML_INNER_LVC);

  set_bad("inner_loss", "lcv");
  set_bad("inner_loss", "dice");
  set_bad("inner_loss", "1");
  cr_assert_eq(maml_config_set(&c, "inner_loss", "lvcc", err, sizeof err), MAML_ERR_ARG);
  cr_assert_str_eq(err,
                   "inner_loss: 'lvcc' is not an inner loss (did you mean 'lvc'?): expected "
                   "reinforce or lvc");
  cr_assert_eq(maml_config_set(&c, "inner_loss", "reinfroce", err, sizeof err), MAML_ERR_ARG);
  cr_assert_not_null(strstr(err, "(did you mean 'reinforce'?)"), "%s", err);
  cr_assert_eq(maml_config_set(&c, "inner_loss", "ppo", err, sizeof err), MAML_ERR_ARG);
  cr_assert_str_eq(err, "inner_loss: 'ppo' is not an inner loss: expected reinforce or lvc");
  cr_assert_eq(maml_config_set(&c, "inner_loss", "", err, sizeof err), MAML_ERR_ARG);
  cr_assert_eq(c.inner_loss, MAML_INNER_LVC, "unchanged by the refused values");
  cr_assert_eq(maml_config_set(&c, "inner_los", "lvc", err, sizeof err), MAML_ERR_ARG);
  cr_assert_str_eq(err, "unknown key 'inner_los' (did you mean 'inner_loss'?)");

  set_ok(&c, "env", "cheetah-dir");
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(c.inner_loss, MAML_INNER_LVC);
  maml_config_format(&c, text, sizeof text);
  cr_assert_not_null(strstr(text, "\ninner_loss = lvc\n"), "%s", text);
  assert_round_trip(&c);

  maml_config old;
  maml_config_defaults(&old);
  static const char file[] = "env = nav2d\nmode = maml\n";
  cr_assert_eq(maml_config_parse_ini(&old, file, strlen(file), "x.ini", err, sizeof err), MAML_OK);
  cr_assert_eq(old.inner_loss, MAML_INNER_REINFORCE, "a config without the key");
  static const char bad[] = "env = nav2d\n\ninner_loss = lvcc\n";
  cr_assert_eq(maml_config_parse_ini(&old, bad, strlen(bad), "x.ini", err, sizeof err),
               MAML_ERR_ARG);
  cr_assert_not_null(strstr(err, "x.ini:3: inner_loss: 'lvcc'"), "%s", err);

  set_ok(&c, "mode", "pretrain");
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(c.inner_loss, MAML_INNER_REINFORCE, "no inner step outside maml mode");

  maml_config_defaults(&c);
  set_ok(&c, "env", "nav2d");
  c.inner_loss = (maml_inner_loss)MAML_INNER_COUNT; /* not an inner loss */
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_ERR_ARG);
  cr_assert_not_null(strstr(err, "inner_loss"), "%s", err);
}

static void write_text(const char *path, const char *text, const char *mode) {
  FILE *f = fopen(path, mode);
  cr_assert_not_null(f, "%s", path);
  fputs(text, f);
  fclose(f);
}

Test(config, use_model_records_and_checks_the_model) {
  unsetenv("MAML_ASSETS");
  char err[ERR_SZ] = "";
  maml_env_model stock;
  cr_assert_eq(maml_env_model_find("cheetah-vel", NULL, &stock, err, sizeof err), MAML_OK, "%s",
               err);
  char stock_hash[17];
  maml_env_format_hash(stock.hash, stock_hash);

  /* the built-in model: no folder, its hash */
  maml_config c;
  maml_config_defaults(&c);
  set_ok(&c, "env", "cheetah-vel");
  cr_assert_eq(maml_config_use_model(&c, NULL, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_str_eq(c.assets, "");
  cr_assert_str_eq(c.model_hash, stock_hash);

  /* a folder: recorded absolute, with the hash of its model */
  char dir[] = "/tmp/maml_config_model_XXXXXX", path[256];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/half_cheetah.xml", dir);
  FILE *in = fopen(stock.path, "r");
  cr_assert_not_null(in);
  static char xml[1 << 16];
  size_t n = fread(xml, 1, sizeof xml - 1, in);
  fclose(in);
  xml[n] = '\0';
  write_text(path, xml, "w");
  write_text(path, "<!-- changed -->\n", "a");
  char *abs = realpath(dir, NULL);
  cr_assert_not_null(abs);
  maml_config d;
  maml_config_defaults(&d);
  set_ok(&d, "env", "cheetah-vel");
  cr_assert_eq(maml_config_use_model(&d, dir, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_str_eq(d.assets, abs);
  cr_assert_eq(strlen(d.model_hash), 16);
  cr_assert_str_neq(d.model_hash, stock_hash);
  maml_config recorded = d;

  /* the recorded folder is used when none is given (a resume) */
  cr_assert_eq(maml_config_use_model(&d, NULL, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_str_eq(d.assets, abs);

  /* another model is refused, naming both hashes and both places */
  d = recorded;
  char stock_dir[MAML_PATH_MAX];
  snprintf(stock_dir, sizeof stock_dir, "%s", stock.path);
  *strrchr(stock_dir, '/') = '\0';
  cr_assert_eq(maml_config_use_model(&d, stock_dir, err, sizeof err), MAML_ERR_ARG);
  cr_assert_not_null(strstr(err, stock_hash), "%s", err);
  cr_assert_not_null(strstr(err, recorded.model_hash), "%s", err);
  cr_assert_not_null(strstr(err, abs), "%s", err);
  cr_assert_str_eq(d.assets, abs, "a refusal changes nothing");
  /* and so is the recorded folder's model once changed */
  write_text(path, "<!-- changed again -->\n", "a");
  cr_assert_eq(maml_config_use_model(&d, NULL, err, sizeof err), MAML_ERR_ARG);
  cr_assert_not_null(strstr(err, "hashes to"), "%s", err);
  cr_assert_not_null(strstr(err, recorded.model_hash), "%s", err);
  /* a missing folder: the message says it was the recorded one */
  unlink(path);
  rmdir(dir);
  d = recorded;
  cr_assert_eq(maml_config_use_model(&d, NULL, err, sizeof err), MAML_ERR_IO);
  cr_assert_not_null(strstr(err, "the run recorded"), "%s", err);
  cr_assert_not_null(strstr(err, "--assets DIR"), "%s", err);

  /* an old config (no hash recorded) takes any model; nav2d records nothing */
  maml_config old;
  maml_config_defaults(&old);
  set_ok(&old, "env", "cheetah-vel");
  cr_assert_eq(maml_config_use_model(&old, NULL, err, sizeof err), MAML_OK, "%s", err);
  maml_config nav;
  maml_config_defaults(&nav);
  set_ok(&nav, "env", "nav2d");
  cr_assert_eq(maml_config_use_model(&nav, NULL, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_str_eq(nav.model_hash, "");
  free(abs);
}

/* outer and ProMP's keys: the published defaults, the names in any case, typos refused
 * with a suggestion, the ranges, round trips, and a text without them (runs made before
 * them) reading as TRPO with the defaults */
Test(config, outer_and_promp_keys) {
  maml_config c;
  char err[ERR_SZ] = "", text[8192];
  maml_config_defaults(&c);
  cr_assert(c.outer == MAML_OUTER_TRPO && c.promp_clip == 0.3 && c.promp_kl_coef == 5e-4 &&
            c.promp_steps == 5 && c.promp_lr == 1e-3);
  set_ok(&c, "outer", "PROMP");
  cr_assert_eq(c.outer, MAML_OUTER_PROMP);
  set_ok(&c, "outer", " trpo ");
  cr_assert_eq(c.outer, MAML_OUTER_TRPO);
  cr_assert_eq(maml_config_set(&c, "outer", "prom", err, sizeof err), MAML_ERR_ARG);
  cr_assert_str_eq(err,
                   "outer: 'prom' is not an outer optimiser (did you mean 'promp'?): "
                   "expected trpo or promp");
  set_bad("outer", "ppo");
  set_bad("outer", "1");
  set_bad_saying("promp_clip", "0", "> 0 and <= 1");
  set_bad("promp_clip", "1.5");
  set_bad("promp_kl_coef", "-1");
  set_bad_saying("promp_steps", "0", "[1, 1000]");
  set_bad("promp_steps", "2.5");
  set_bad("promp_lr", "0");
  set_bad("promp_lr", "nan");
  set_ok(&c, "outer", "promp");
  set_ok(&c, "promp-clip", "1");
  set_ok(&c, "promp_kl_coef", "0");
  set_ok(&c, "promp_steps", "1000");
  set_ok(&c, "promp_lr", "0.1");
  set_ok(&c, "env", "nav2d");
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_OK, "%s", err);
  maml_config_format(&c, text, sizeof text);
  cr_assert_not_null(strstr(text, "\nouter = promp\n"), "%s", text);
  cr_assert_not_null(strstr(text, "\npromp_steps = 1000\n"), "%s", text);
  assert_round_trip(&c);

  maml_config old;
  maml_config_defaults(&old);
  static const char file[] = "env = nav2d\nmode = maml\n";
  cr_assert_eq(maml_config_parse_ini(&old, file, strlen(file), "x.ini", err, sizeof err), MAML_OK);
  cr_assert(old.outer == MAML_OUTER_TRPO && old.promp_steps == 5, "a config without the keys");

  maml_config_defaults(&c);
  set_ok(&c, "env", "nav2d");
  c.outer = (maml_outer_kind)MAML_OUTER_COUNT; /* not an outer optimiser */
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_ERR_ARG);
  cr_assert_not_null(strstr(err, "outer"), "%s", err);
}

/* inner_support: reuse (the default, also of a text without the key) or fresh in any case,
 * a typo refused with a suggestion and the allowed names, round trips, fresh refused with
 * one inner step and set back to reuse outside maml mode */
Test(config, inner_support_key) {
  maml_config c;
  char err[ERR_SZ] = "", text[8192];
  maml_config_defaults(&c);
  cr_assert_eq(c.inner_support, MAML_SUPPORT_REUSE);
  set_ok(&c, "inner-support", "FRESH");
  cr_assert_eq(c.inner_support, MAML_SUPPORT_FRESH);
  set_ok(&c, "inner_support", " reuse ");
  cr_assert_eq(c.inner_support, MAML_SUPPORT_REUSE);
  set_bad("inner_support", "new");
  set_bad("inner_support", "1");
  cr_assert_eq(maml_config_set(&c, "inner_support", "frsh", err, sizeof err), MAML_ERR_ARG);
  cr_assert_str_eq(err,
                   "inner_support: 'frsh' is not an inner support mode (did you mean 'fresh'?): "
                   "expected reuse or fresh");
  cr_assert_eq(c.inner_support, MAML_SUPPORT_REUSE, "unchanged by a refused value");

  set_ok(&c, "env", "nav2d");
  set_ok(&c, "inner_support", "fresh");
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_ERR_ARG);
  cr_assert_str_eq(err,
                   "inner_support: fresh with inner_steps = 1: fresh samples new support "
                   "episodes for inner steps 2 .. K, so it needs inner_steps >= 2 (expected "
                   "reuse with one inner step)");
  set_ok(&c, "inner_steps", "3");
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_OK, "%s", err);
  maml_config_format(&c, text, sizeof text);
  cr_assert_not_null(strstr(text, "\ninner_support = fresh\n"), "%s", text);
  assert_round_trip(&c);

  maml_config old;
  maml_config_defaults(&old);
  static const char file[] = "env = nav2d\ninner_steps = 2\n";
  cr_assert_eq(maml_config_parse_ini(&old, file, strlen(file), "x.ini", err, sizeof err), MAML_OK);
  cr_assert_eq(old.inner_support, MAML_SUPPORT_REUSE, "a config without the key");

  set_ok(&c, "mode", "pretrain");
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(c.inner_support, MAML_SUPPORT_REUSE, "no inner step outside maml mode");
  maml_config_defaults(&c);
  set_ok(&c, "env", "nav2d");
  c.inner_support = (maml_inner_support)MAML_SUPPORT_COUNT;
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_ERR_ARG);
  cr_assert_not_null(strstr(err, "inner_support"), "%s", err);
  cr_assert_str_eq(maml_inner_support_name(MAML_SUPPORT_FRESH), "fresh");
  cr_assert_null(maml_inner_support_name((maml_inner_support)MAML_SUPPORT_COUNT));
}

/* oracle_obs: scaled or raw in any case (a typo refused with a suggestion); not given, a
 * new oracle run resolves it to scaled and writes it, a run's own config that predates it
 * reads as raw (maml_config_stored), and outside oracle mode it is unset and not written */
Test(config, oracle_obs_key) {
  maml_config c;
  char err[ERR_SZ] = "", text[8192];
  maml_config_defaults(&c);
  cr_assert_eq(c.oracle_obs, MAML_ORACLE_OBS_UNSET);
  set_ok(&c, "env", "hopper-params");
  set_ok(&c, "mode", "oracle");
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(c.oracle_obs, MAML_ORACLE_OBS_SCALED, "a new oracle run: scaled");
  maml_config_format(&c, text, sizeof text);
  cr_assert_not_null(strstr(text, "\noracle_obs = scaled\n"), "%s", text);
  assert_round_trip(&c);
  set_ok(&c, "oracle-obs", " RAW ");
  cr_assert_eq(c.oracle_obs, MAML_ORACLE_OBS_RAW);
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(c.oracle_obs, MAML_ORACLE_OBS_RAW, "given: kept");
  assert_round_trip(&c);
  set_bad("oracle_obs", "1");
  cr_assert_eq(maml_config_set(&c, "oracle_obs", "scaeld", err, sizeof err), MAML_ERR_ARG);
  cr_assert_str_eq(err,
                   "oracle_obs: 'scaeld' is not an oracle observation (did you mean 'scaled'?): "
                   "expected scaled or raw");
  cr_assert_eq(c.oracle_obs, MAML_ORACLE_OBS_RAW, "unchanged by a refused value");

  static const char run[] = "env = hopper-params\nmode = oracle\n"; /* an older run's */
  maml_config old;
  maml_config_defaults(&old);
  cr_assert_eq(maml_config_parse_ini(&old, run, strlen(run), "ckpt", err, sizeof err), MAML_OK);
  maml_config fresh = old;
  maml_config_stored(&old);
  cr_assert_eq(maml_config_resolve(&old, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(old.oracle_obs, MAML_ORACLE_OBS_RAW, "a stored config without the key: raw");
  cr_assert_eq(maml_config_resolve(&fresh, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(fresh.oracle_obs, MAML_ORACLE_OBS_SCALED, "the same text for a new run: scaled");

  set_ok(&c, "mode", "maml");
  set_ok(&c, "inner_steps", "1"); /* oracle mode had set it to 0 */
  cr_assert_eq(maml_config_resolve(&c, err, sizeof err), MAML_OK, "%s", err);
  cr_assert_eq(c.oracle_obs, MAML_ORACLE_OBS_UNSET, "outside oracle mode: unset");
  maml_config_format(&c, text, sizeof text);
  cr_assert_null(strstr(text, "oracle_obs"), "%s", text);
  cr_assert_str_eq(maml_oracle_obs_name(MAML_ORACLE_OBS_SCALED), "scaled");
  cr_assert_null(maml_oracle_obs_name(MAML_ORACLE_OBS_UNSET));
}
