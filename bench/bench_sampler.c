/* Benchmark: sampler throughput against the raw MuJoCo step rate of the same model.
 *
 * For each family (default cheetah-vel and ant-vel) and thread count (default 1, 2 and,
 * if larger, the machine's core count) it prints, measured in the same run:
 *   raw    mj_step with zero control, one mjData per thread (the limit; restarted where the
 *          robot's termination rule would end an episode), in steps of the environment:
 *          mj_steps per second over the robot's frame skip (hopper-params and
 *          walker-params: 4 mj_steps an action, humanoid-dir 5);
 *   sampler  steps per second of maml_sampler_run at the paper's batch (40 tasks x 20
 *            episodes x horizon 200, 20 -> 100 -> 100 ReLU policy), all per-step work
 *            included (policy forward, action noise, observation, reward); "of raw"
 *            is the sampler's rate over raw's, both in environment steps (a robot with
 *            frame skip k takes k model steps per step, in both).
 *
 *   bench_sampler [--env cheetah-vel,ant-vel] [--tasks 40] [--episodes 20]
 *                 [--threads 1,2] [--raw-steps N] */
#include <mujoco/mujoco.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "maml/sampler.h"
#include "src/cmd/blas_kernels.h"

int main(int argc, char **argv) {
  cmd_select_blas_kernels(argv);
  const char *envs = "cheetah-vel,ant-vel";
  int tasks = 40, episodes = 20, raw_steps_n = 20000;
  int thread_counts[8] = {1, 2}, n_counts = 2;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      printf(
          "usage: bench_sampler [--env cheetah-vel,ant-vel] [--tasks 40] [--episodes 20]\n"
          "                     [--threads 1,2] [--raw-steps 20000]\n\n"
          "Sampler steps per second at the paper's batch, next to the raw mj_step rate\n"
          "of the same model with zero control (over the robot's frame skip: steps of\n"
          "the environment), for each thread count.\n");
      return 0;
    } else if (next && !strcmp(a, "--env")) {
      envs = next, i++;
    } else if (next && !strcmp(a, "--tasks")) {
      if (bench_int_option("bench_sampler", a, next, 1, 100000, &tasks)) return 2;
      i++;
    } else if (next && !strcmp(a, "--episodes")) {
      if (bench_int_option("bench_sampler", a, next, 1, 65536, &episodes)) return 2;
      i++;
    } else if (next && !strcmp(a, "--raw-steps")) {
      if (bench_int_option("bench_sampler", a, next, 1, 100000000, &raw_steps_n)) return 2;
      i++;
    } else if (next && !strcmp(a, "--threads")) {
      n_counts = bench_parse_ints(next, thread_counts, 8, 1, 256), i++;
      if (n_counts <= 0) {
        fprintf(stderr, "bench_sampler: --threads takes a list like 1,2,4 (got '%s')\n", next);
        return 2;
      }
    } else {
      fprintf(stderr, "bench_sampler: unknown or incomplete option '%s' (see --help)\n", a);
      return 2;
    }
  }
  if (argc == 1 && maml_cpu_count() > 2) thread_counts[n_counts++] = maml_cpu_count();

  printf("sampler vs raw mj_step: %d tasks x %d episodes, policy 100x100 ReLU, %s, %d cores\n",
         tasks, episodes, MAML_REAL_NAME, maml_cpu_count());
  printf("%-12s %7s %14s %14s %9s %9s\n", "env", "threads", "raw steps/s", "sampler st/s", "of raw",
         "speedup");
  char list[256];
  snprintf(list, sizeof list, "%s", envs);
  char *save = NULL;
  for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
    char err[2048];
    maml_env_world world;
    if (maml_env_world_open(&world, name, 0, NULL, err, sizeof err) != MAML_OK) {
      fprintf(stderr, "bench_sampler: %s\n", err);
      return 1;
    }
    maml_policy policy;
    int hidden[2] = {100, 100};
    maml_policy_init(&policy, world.obs_dim, world.family->act_dim, 2, hidden, MAML_ACT_RELU, 1.0,
                     NULL, 0);
    maml_real *theta = calloc(policy.n_params, sizeof *theta);
    maml_rng r;
    maml_rng_init(&r, 1, 0, MAML_PHASE_INIT, 0, 0);
    maml_policy_init_params(&policy, theta, &r);
    double *goals = calloc((size_t)tasks * MAML_TASK_MAX, sizeof *goals);
    const maml_real **thetas = calloc((size_t)tasks, sizeof *thetas);
    maml_task_batch *batches = calloc((size_t)tasks, sizeof *batches);
    for (int i = 0; i < tasks; i++) {
      world.family->sample_task(&r, goals + (size_t)i * MAML_TASK_MAX);
      thetas[i] = theta;
      if (maml_task_batch_alloc(&batches[i], episodes, world.family->horizon, world.obs_dim,
                                world.family->act_dim) != MAML_OK) {
        fprintf(stderr, "bench_sampler: out of memory\n");
        return 1;
      }
    }
    double base = 0;
    for (int k = 0; k < n_counts; k++) {
      int threads = thread_counts[k];
      maml_pool *pool;
      maml_sampler *sampler;
      if (maml_pool_create(&pool, threads, err, sizeof err) != MAML_OK ||
          maml_sampler_create(&sampler, &world, &policy, pool, episodes, err, sizeof err) !=
              MAML_OK) {
        fprintf(stderr, "bench_sampler: %s\n", err);
        return 1;
      }
      /* nav2d has no MuJoCo model: no raw rate to compare with */
      double raw = world.model ? bench_raw_rate(&world, pool, threads, raw_steps_n) : 0.0;
      double rate = bench_sampler_rate(sampler, tasks, goals, thetas, batches);
      if (k == 0) base = rate / threads;
      if (raw > 0)
        printf("%-12s %7d %14.0f %14.0f %8.0f%% %8.2fx\n", name, threads, raw, rate,
               100.0 * rate / raw, rate / base);
      else
        printf("%-12s %7d %14s %14.0f %9s %8.2fx\n", name, threads, "-", rate, "-", rate / base);
      maml_sampler_destroy(sampler);
      maml_pool_destroy(pool);
    }
    for (int i = 0; i < tasks; i++) maml_task_batch_free(&batches[i]);
    free(batches), free(thetas), free(goals), free(theta);
    maml_env_world_close(&world);
  }
  return 0;
}
