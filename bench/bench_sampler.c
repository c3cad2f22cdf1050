/* Benchmark: sampler throughput against the mj_step rate of the same robot.
 *
 * For each family (default cheetah-vel and ant-vel) and thread count (default 1, 2 and,
 * if larger, the machine's core count) it prints, measured in the same run, all rates in
 * steps of the environment (a robot with frame skip k takes k mj_steps a step: hopper-params
 * and walker-params 4, humanoid-dir 5):
 *   zero-ctrl  mj_step with zero control on the nominal model, one mjData per thread,
 *              restarted where the robot's height rule would end an episode: the rate of
 *              a robot that stands or falls, not the sampler's states (a robot that falls
 *              under the policy's actions, or whose physics a task changes, steps other
 *              states at another cost: the sampler can beat it);
 *   sampler    steps per second of maml_sampler_run at the paper's batch (40 tasks x 20
 *              episodes x horizon 200, 20 -> 100 -> 100 ReLU policy), all per-step work
 *              included (policy forward, action noise, observation, reward), timed
 *              without any clock inside (as training runs it); "of 0-ctrl" is its rate
 *              over zero-ctrl's;
 *   mj_step share  a second pass of the same batch with MuJoCo's clock (mjcb_time) set, so
 *              that the sampler's instances time their own mj_step-equivalent steps
 *              (maml_sampler_physics): (those seconds / threads) / the pass's wall seconds,
 *              the sampler's rate over the rate its own mj_step calls allow per thread,
 *              on the same states, controls and models (the rest: policy, observation,
 *              reward, resets, a robot's contact forces after the step, waiting);
 *              "own st/s" is that allowed rate (steps over physics seconds x threads);
 *              "clock" the second pass's rate over the first's (the clock's own cost);
 *   speedup    the sampler's rate over the first thread count's rate per thread.
 *   busy       the process's CPU seconds in the unclocked pass over threads x its wall
 *              seconds: how much of the pass the threads worked (the rest they waited:
 *              for the slowest task at the end, or off the CPU);
 *   cpu/step   CPU seconds per step over the first thread count's: above 1 when the same
 *              work costs more with more threads (caches, memory, a host's other load).
 * The speed-up is about threads x busy / cpu-step: the sampler's own share is busy.
 * With --repeat R the unclocked pass runs R times for each thread count, the counts
 * interleaved (1 2, 2 1, 1 2, ...: what drifts on a shared machine drifts for both): the
 * rate is the median of its R passes, the speed-up the median of the R per-round ratios,
 * "range" their least and greatest, busy and cpu/step medians likewise. A ratio of two
 * passes minutes apart says little on a machine whose rates move by 20-30% from pass to
 * pass; paired rounds say more.
 * nav2d has no MuJoCo model: its rows have the sampler's rate and speed-up only.
 *
 *   bench_sampler [--env cheetah-vel,ant-vel] [--tasks 40] [--episodes 20]
 *                 [--threads 1,2] [--raw-steps N] [--repeat R] */
#include <mujoco/mujoco.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "maml/sampler.h"
#include "src/cmd/blas_kernels.h"

#define MAX_COUNTS 8
#define MAX_REPEAT 64

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* the median of v[0..n) (sorted in place) */
static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static mjtNum bench_clock(void) {
  return bench_now();
}

/* One timed run of the batch with MuJoCo's clock set: its wall seconds, the instances'
 * physics seconds and mj_steps (maml_sampler_physics), and its environment steps. */
static double clocked_pass(maml_sampler *sampler, int tasks, const double *goals,
                           const maml_real *const *thetas, maml_task_batch *batches,
                           double *physics, long *mj_steps, long *steps) {
  char err[1024];
  maml_sampler_physics(sampler, physics, mj_steps); /* zero them */
  mjcb_time = bench_clock;
  double t0 = bench_now();
  maml_sampler_run(sampler, tasks, goals, thetas, 1, 1, MAML_PHASE_TEST, batches, err, sizeof err);
  double t = bench_now() - t0;
  mjcb_time = NULL;
  maml_sampler_physics(sampler, physics, mj_steps);
  *steps = 0;
  for (int i = 0; i < tasks; i++)
    for (int e = 0; e < batches[i].episodes; e++) *steps += batches[i].length[e];
  return t;
}

int main(int argc, char **argv) {
  cmd_select_blas_kernels(argv);
  const char *envs = "cheetah-vel,ant-vel";
  int tasks = 40, episodes = 20, raw_steps_n = 20000, repeat = 1;
  int thread_counts[MAX_COUNTS] = {1, 2}, n_counts = 2;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      printf(
          "usage: bench_sampler [--env cheetah-vel,ant-vel] [--tasks 40] [--episodes 20]\n"
          "                     [--threads 1,2] [--raw-steps 20000] [--repeat 1]\n\n"
          "Sampler steps per second at the paper's batch for each thread count, next to:\n"
          "  zero-ctrl st/s  mj_step of the nominal model with zero control (restarted on\n"
          "                  the height rule; --raw-steps mj_steps a thread): not the\n"
          "                  sampler's states, so \"of 0-ctrl\" may pass 100%%;\n"
          "  mj_step share   from a second pass with MuJoCo's clock (mjcb_time) set: the\n"
          "                  seconds of the sampler's own mj_step calls per thread over the\n"
          "                  pass's wall seconds (its rate over what its mj_steps allow);\n"
          "  own st/s        that allowed rate; clock: the clocked pass's rate over the\n"
          "                  unclocked one's (the clock's cost);\n"
          "  speedup         the rate over the first thread count's rate per thread;\n"
          "  busy            CPU seconds over threads x wall seconds (the rest: waiting);\n"
          "  cpu/step        CPU seconds per step over the first thread count's.\n"
          "--repeat R (1-64): R timed passes per thread count, the counts interleaved\n"
          "(1 2, 2 1, ...); the rate is their median, the speed-up the median of the R\n"
          "per-round ratios, range their least and greatest, busy and cpu/step medians.\n"
          "Rates are in steps of the environment (mj_steps over the robot's frame skip).\n"
          "nav2d (no MuJoCo model) shows the sampler's rate and speed-up only.\n");
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
    } else if (next && !strcmp(a, "--repeat")) {
      if (bench_int_option("bench_sampler", a, next, 1, MAX_REPEAT, &repeat)) return 2;
      i++;
    } else if (next && !strcmp(a, "--threads")) {
      n_counts = bench_parse_ints(next, thread_counts, MAX_COUNTS, 1, 256), i++;
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

  printf("sampler vs mj_step: %d tasks x %d episodes, policy 100x100 ReLU, %s, %d cores", tasks,
         episodes, MAML_REAL_NAME, maml_cpu_count());
  if (repeat > 1) printf(", %d interleaved passes per thread count (medians)", repeat);
  printf("\n%-13s %7s %14s %13s %9s %13s %13s %7s %8s %13s %6s %8s\n", "env", "threads",
         "zero-ctrl st/s", "sampler st/s", "of 0-ctrl", "mj_step share", "own st/s", "clock",
         "speedup", "range", "busy", "cpu/step");
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
    maml_pool *pools[MAX_COUNTS] = {0};
    maml_sampler *samplers[MAX_COUNTS] = {0};
    static double rates[MAX_COUNTS][MAX_REPEAT], cpu[MAX_COUNTS][MAX_REPEAT];
    double raw[MAX_COUNTS];
    for (int k = 0; k < n_counts; k++) {
      if (maml_pool_create(&pools[k], thread_counts[k], err, sizeof err) != MAML_OK ||
          maml_sampler_create(&samplers[k], &world, &policy, pools[k], episodes, err, sizeof err) !=
              MAML_OK) {
        fprintf(stderr, "bench_sampler: %s\n", err);
        return 1;
      }
      /* nav2d has no MuJoCo model: no mj_step to compare with */
      raw[k] = world.model ? bench_raw_rate(&world, pools[k], thread_counts[k], raw_steps_n) : 0.0;
      bench_sampler_pass(samplers[k], tasks, goals, thetas, batches, NULL); /* warm up */
      rates[k][0] = bench_sampler_pass(samplers[k], tasks, goals, thetas, batches, &cpu[k][0]);
    }
    for (int pass = 1; pass < repeat; pass++)
      for (int j = 0; j < n_counts; j++) {
        int k = pass % 2 ? n_counts - 1 - j : j; /* 1 2, 2 1, 1 2, ... */
        rates[k][pass] =
            bench_sampler_pass(samplers[k], tasks, goals, thetas, batches, &cpu[k][pass]);
      }
    for (int k = 0; k < n_counts; k++) {
      int threads = thread_counts[k];
      double ratio[MAX_REPEAT], busy[MAX_REPEAT], cpu_ratio[MAX_REPEAT], lo = 0, hi = 0;
      for (int pass = 0; pass < repeat; pass++) {
        ratio[pass] = rates[k][pass] * thread_counts[0] / rates[0][pass];
        busy[pass] = cpu[k][pass] * rates[k][pass] / threads; /* CPU s / (threads x wall s) */
        cpu_ratio[pass] = cpu[k][pass] / cpu[0][pass];
        lo = pass == 0 || ratio[pass] < lo ? ratio[pass] : lo;
        hi = pass == 0 || ratio[pass] > hi ? ratio[pass] : hi;
      }
      double speedup = median(ratio, repeat), rate = median(rates[k], repeat);
      double busy_m = median(busy, repeat), cpu_m = median(cpu_ratio, repeat);
      char range[32] = "-";
      if (repeat > 1) snprintf(range, sizeof range, "%.2f-%.2fx", lo, hi);
      if (!world.model) {
        printf("%-13s %7d %14s %13.0f %9s %13s %13s %7s %7.2fx %13s %5.0f%% %8.2f\n", name, threads,
               "-", rate, "-", "-", "-", "-", speedup, range, 100 * busy_m, cpu_m);
      } else {
        double physics;
        long mj_steps, steps;
        double t =
            clocked_pass(samplers[k], tasks, goals, thetas, batches, &physics, &mj_steps, &steps);
        const int skip = world.family->robot->frame_skip > 1 ? world.family->robot->frame_skip : 1;
        if (mj_steps != steps * skip)
          fprintf(stderr, "bench_sampler: %s: %ld mj_steps timed for %ld steps x frame skip %d\n",
                  name, mj_steps, steps, skip);
        printf(
            "%-13s %7d %14.0f %13.0f %8.0f%% %12.0f%% %13.0f %6.0f%% %7.2fx %13s %5.0f%% %8.2f\n",
            name, threads, raw[k], rate, 100.0 * rate / raw[k], 100.0 * physics / threads / t,
            physics > 0 ? steps * threads / physics : 0.0, 100.0 * steps / t / rate, speedup, range,
            100 * busy_m, cpu_m);
      }
      fflush(stdout);
    }
    for (int k = 0; k < n_counts; k++) {
      maml_sampler_destroy(samplers[k]);
      maml_pool_destroy(pools[k]);
    }
    for (int i = 0; i < tasks; i++) maml_task_batch_free(&batches[i]);
    free(batches), free(thetas), free(goals), free(theta);
    maml_env_world_close(&world);
  }
  return 0;
}
