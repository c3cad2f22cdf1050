/* Adapt a meta-trained policy to one goal with a few episodes, then roll it out:
 *   adapt CKPT|RUN_DIR GOAL [EPISODES [STEPS [THREADS]]]
 * GOAL in the family's --goal syntax (cheetah-vel: a velocity, 1.5; nav2d: 0.3,-0.2).
 * The adaptation is maml eval's on a list holding this goal only (maml_eval_adapt: STEPS
 * policy-gradient steps on EPISODES episodes each, default 20 and 1, the step size the
 * checkpoint was trained with, evaluation seed 1), so its returns are the ones
 * `maml eval --policy CKPT --goal GOAL --episodes EPISODES --steps STEPS` reports. Then one
 * episode with the mean action (no noise, from the model's initial state) before and
 * after adaptation. Prints
 *   return after k steps: R        for k = 0 .. STEPS (the mean over the EPISODES)
 *   mean-action rollout: before R0, after RK */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "maml/checkpoint.h"
#include "maml/config.h"
#include "maml/env.h"
#include "maml/eval.h"
#include "maml/policy.h"
#include "maml/pool.h"

typedef struct {
  maml_checkpoint ck;
  maml_config cfg; /* the run's, from the checkpoint */
  maml_policy policy;
  maml_real *theta;
} loaded;

static void checkpoint_path(const char *arg, char *path, size_t n) {
  struct stat s;
  snprintf(path, n, "%s", arg);
  if (stat(arg, &s) != 0 || !S_ISDIR(s.st_mode)) return;
  snprintf(path, n, "%s/best.ckpt", arg);
  if (stat(path, &s) != 0) snprintf(path, n, "%s/latest.ckpt", arg);
}

/* the checkpoint, its config and its policy; 0 after a message */
static int load(const char *path, loaded *l) {
  char err[4096];
  memset(l, 0, sizeof *l);
  if (maml_checkpoint_load(path, &l->ck, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "adapt: %s\n", err);
    return 0;
  }
  maml_config_defaults(&l->cfg);
  if (maml_config_parse_ini(&l->cfg, l->ck.config_text, l->ck.config_len, path, err, sizeof err) !=
          MAML_OK ||
      maml_policy_init(&l->policy, l->ck.obs_dim, l->ck.act_dim, l->ck.n_hidden, l->ck.hidden,
                       (maml_activation)l->ck.activation, 1.0, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "adapt: %s\n", err);
    return 0;
  }
  if (!(l->theta = malloc(l->ck.n_params * sizeof *l->theta))) {
    fprintf(stderr, "adapt: out of memory\n");
    return 0;
  }
  for (size_t j = 0; j < l->ck.n_params; j++) l->theta[j] = (maml_real)l->ck.theta[j];
  return 1;
}

/* one episode of goal with the mean action from the initial state: its return */
static double rollout(const maml_env_world *w, const maml_policy *p, const maml_real *theta,
                      const double *goal, int horizon, maml_policy_cache *cache, maml_real *obs) {
  char err[1024];
  maml_env env;
  if (maml_env_init(&env, w, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "adapt: %s\n", err);
    return NAN;
  }
  maml_env_reset(&env, goal, NULL, obs);
  double total = 0.0;
  for (int t = 0; t < horizon; t++) {
    double reward;
    int done;
    maml_policy_forward(p, theta, obs, 1, cache);
    maml_env_step(&env, cache->mu, obs, &reward, &done);
    total += reward;
    if (done) break;
  }
  maml_env_free(&env);
  return total;
}

int main(int argc, char **argv) {
  if (argc < 3 || argc > 6) {
    fprintf(stderr, "usage: adapt CKPT|RUN_DIR GOAL [EPISODES [STEPS [THREADS]]]\n");
    return 2;
  }
  int episodes = argc > 3 ? atoi(argv[3]) : 20, steps = argc > 4 ? atoi(argv[4]) : 1;
  int threads = argc > 5 ? atoi(argv[5]) : 1;
  if (episodes < 1 || steps < 1 || threads < 1) {
    fprintf(stderr, "adapt: EPISODES, STEPS and THREADS are whole numbers >= 1\n");
    return 2;
  }
  char path[4096], err[4096];
  checkpoint_path(argv[1], path, sizeof path);
  loaded l;
  maml_env_world world = {0};
  maml_pool *pool = NULL;
  maml_policy_cache cache = {0};
  maml_real *thetas = NULL, *obs = NULL;
  double *returns = NULL;
  int rc = 1;
  if (!load(path, &l)) goto done;
  const maml_env_family *f = maml_env_find(l.ck.env);
  double goal[MAML_TASK_MAX] = {0};
  if (!f) {
    fprintf(stderr, "adapt: %s: unknown family '%s'\n", path, l.ck.env);
    goto done;
  }
  if (f->parse_task(argv[2], goal, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "adapt: %s\n", err);
    rc = 2;
    goto done;
  }
  /* the model the run trained on: the folder it recorded, else the installed models */
  if (maml_env_world_open(&world, f->name, l.ck.oracle, l.cfg.assets[0] ? l.cfg.assets : NULL, err,
                          sizeof err) != MAML_OK ||
      maml_pool_create(&pool, threads, err, sizeof err) != MAML_OK) {
    fprintf(stderr, "adapt: %s\n", err);
    goto done;
  }
  size_t n = l.policy.n_params;
  thetas = malloc((size_t)(steps + 1) * n * sizeof *thetas);
  returns = malloc((size_t)(steps + 1) * sizeof *returns);
  obs = malloc((size_t)world.obs_dim * sizeof *obs);
  if (!thetas || !returns || !obs || maml_policy_cache_alloc(&cache, &l.policy, 1) != MAML_OK) {
    fprintf(stderr, "adapt: out of memory\n");
    goto done;
  }
  maml_eval_params ep = {.episodes = episodes,
                         .steps = steps,
                         .horizon = f->horizon,
                         .alpha = l.cfg.mode == MAML_MODE_MAML ? l.cfg.alpha : 0.1,
                         .gamma = 0.99,
                         .gae_lambda = 1.0,
                         .seed = 1};
  if (maml_eval_adapt(&world, &l.policy, l.theta, goal, &ep, pool, thetas, returns, err,
                      sizeof err) != MAML_OK) {
    fprintf(stderr, "adapt: %s\n", err);
    goto done;
  }
  for (int k = 0; k <= steps; k++) printf("return after %d steps: %.6f\n", k, returns[k]);
  double before = rollout(&world, &l.policy, thetas, goal, f->horizon, &cache, obs);
  double after =
      rollout(&world, &l.policy, thetas + (size_t)steps * n, goal, f->horizon, &cache, obs);
  printf("mean-action rollout: before %.6f, after %.6f\n", before, after);
  rc = 0;
done:
  maml_policy_cache_free(&cache);
  free(obs), free(returns), free(thetas);
  maml_pool_destroy(pool);
  maml_env_world_close(&world);
  free(l.theta);
  maml_checkpoint_free(&l.ck);
  return rc;
}
