/* The built-in families' trajectories, bit for bit: for each family, plain and oracle, a few
 * fixed-seed episodes of random actions (some beyond the action bounds), their
 * observations, rewards, terminations and step diagnostics hashed into one fingerprint and
 * compared with the one recorded when the environment layer was last known right. A change
 * to envs/ that alters any number a family produces (an observation part, a reward term,
 * a reset, a termination rule) fails here, naming the family.
 *
 * The fingerprints depend on the precision of maml_real (observations and actions) and on
 * MuJoCo's version (Debian 12's 2.2.2). To see the fingerprints this build computes:
 *   MAML_PRINT_FINGERPRINTS=1 build/tests/test_env_fingerprints */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maml/env.h"
#include "maml/hash.h"

#define ERR_SZ 8192
#define EPISODES 3
#define STEPS 150

typedef struct {
  const char *family;
  uint64_t plain, oracle;
} fingerprint;

/* recorded before the environment layer became robots x task kinds (issue 21) */
static const fingerprint recorded[] = {
#ifdef MAML_DOUBLE
    {"nav2d", 0x49e8aa9788427535ull, 0x4bf9cd648e62b9e9ull},
    {"cheetah-vel", 0xef97f96e561f8a94ull, 0xdcb5942981d2e2cdull},
    {"cheetah-dir", 0x4e5415b0fb8ba885ull, 0x64e929a0f6c65418ull},
    {"ant-vel", 0x7e25f3e1278e445bull, 0x17f9764e98fc1f98ull},
    {"ant-dir", 0xcc1d13b5ff8b6d9full, 0x2e9e2bd3081e699aull},
    {"ant-goal", 0x3ba77c62435657ccull, 0xa46a217aa634e3e3ull},
    /* the dynamics families, recorded when they were added (issue 21) */
    {"cheetah-params", 0xbefab477942f57ebull, 0x21387506614e1d01ull},
    {"ant-params", 0x8d2d1a3f2f352945ull, 0x4f956928f2b61c96ull},
    /* the humanoid, recorded when it was added (issue 23) */
    {"humanoid-dir", 0xbe4c3aaa81dc8d54ull, 0x3a0a01661ceea002ull},
    /* rand_param_envs' hopper and walker, recorded when they were added (issue 23) */
    {"hopper-params", 0x2514a45a8b07237bull, 0xe521ef5e99d4212aull},
    {"walker-params", 0x4841797665dc1b1aull, 0xd74ec93e525e8046ull},
#else
    {"nav2d", 0x9bb246570aab43a9ull, 0xaee66f4b0b3e85d1ull},
    {"cheetah-vel", 0x2aba5fc99df6b07eull, 0xf2e38cb1be73e86cull},
    {"cheetah-dir", 0x681a3221d38a8adaull, 0xeb971c8748c0849bull},
    {"ant-vel", 0x28196648f7ef44d6ull, 0x6fa3cbd59f6be758ull},
    {"ant-dir", 0xaf364750eb907d29ull, 0x0d526566361a1370ull},
    {"ant-goal", 0x5d2e36e717e93f66ull, 0x7dc334b27e9ef5b6ull},
    /* the dynamics families, recorded when they were added (issue 21) */
    {"cheetah-params", 0x7ec9991bd060722full, 0xd66f5aef9ae8d975ull},
    {"ant-params", 0xb9f2931845401982ull, 0x331cd562a8af4df1ull},
    /* the humanoid, recorded when it was added (issue 23) */
    {"humanoid-dir", 0xccca3defc349804dull, 0x9a8ae8b92915da48ull},
    /* rand_param_envs' hopper and walker, recorded when they were added (issue 23) */
    {"hopper-params", 0xe04ab4a842896c67ull, 0x27a46aeba70adaeaull},
    {"walker-params", 0x3369ef0a78176c55ull, 0xc6706b61c9922d25ull},
#endif
};

static uint64_t hash_double(uint64_t h, double x) {
  return maml_hash(h, &x, sizeof x);
}

static uint64_t hash_reals(uint64_t h, const maml_real *x, int n) {
  for (int i = 0; i < n; i++) h = hash_double(h, (double)x[i]);
  return h;
}

static uint64_t hash_info(uint64_t h, const maml_step_info *in) {
  const double v[] = {in->forward_vel,  in->x,        in->y, in->ctrl_cost,
                      in->contact_cost, in->goal_dist};
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) h = hash_double(h, v[i]);
  return hash_double(h, in->unstable);
}

/* the fingerprint of EPISODES episodes of family (oracle or not) */
static uint64_t trajectories(const char *family, int oracle) {
  char err[ERR_SZ] = "";
  maml_env_world w;
  maml_env e;
  cr_assert_eq(maml_env_world_open(&w, family, oracle, NULL, err, sizeof err), MAML_OK,
               "open %s: %s", family, err);
  cr_assert_eq(maml_env_init(&e, &w, err, sizeof err), MAML_OK, "init %s: %s", family, err);
  const maml_env_family *f = w.family;
  maml_real *obs = calloc((size_t)w.obs_dim, sizeof *obs);
  maml_real *act = calloc((size_t)f->act_dim, sizeof *act);
  cr_assert(obs && act);
  uint64_t h = MAML_HASH_START;
  for (int ep = 0; ep < EPISODES; ep++) {
    maml_rng rng;
    maml_rng_init(&rng, 7, 0, 0, (uint32_t)ep, 0);
    double task[MAML_TASK_MAX] = {0};
    f->sample_task(&rng, task);
    for (int k = 0; k < f->task_dim; k++) h = hash_double(h, task[k]);
    maml_env_reset(&e, task, &rng, obs);
    h = hash_reals(h, obs, w.obs_dim);
    int steps = f->horizon < STEPS ? f->horizon : STEPS;
    for (int t = 0; t < steps; t++) {
      for (int a = 0; a < f->act_dim; a++) act[a] = (maml_real)(1.5 * maml_rng_normal(&rng));
      double reward = 0;
      int done = 0;
      maml_env_step(&e, act, obs, &reward, &done);
      h = hash_reals(h, obs, w.obs_dim);
      h = hash_double(hash_double(h, reward), done);
      h = hash_info(h, &e.info);
      if (done) break;
    }
  }
  free(act);
  free(obs);
  maml_env_free(&e);
  maml_env_world_close(&w);
  return h;
}

Test(env_fingerprints, every_family_is_recorded) {
  int n = 0;
  const maml_env_family *const *all = maml_env_families(&n);
  cr_assert_eq((size_t)n, sizeof recorded / sizeof recorded[0],
               "%d families registered, %zu fingerprints recorded", n,
               sizeof recorded / sizeof recorded[0]);
  for (int i = 0; i < n; i++) {
    int found = 0;
    for (size_t k = 0; k < sizeof recorded / sizeof recorded[0]; k++)
      found |= !strcmp(all[i]->name, recorded[k].family);
    cr_assert(found, "family %s has no recorded fingerprint", all[i]->name);
  }
}

Test(env_fingerprints, trajectories_are_unchanged) {
  int print = getenv("MAML_PRINT_FINGERPRINTS") != NULL;
  for (size_t k = 0; k < sizeof recorded / sizeof recorded[0]; k++) {
    const fingerprint *r = &recorded[k];
    uint64_t plain = trajectories(r->family, 0), oracle = trajectories(r->family, 1);
    if (print)
      printf("    {\"%s\", 0x%016" PRIx64 "ull, 0x%016" PRIx64 "ull},\n", r->family, plain, oracle);
    else {
      cr_expect_eq(plain, r->plain,
                   "%s: trajectories changed (fingerprint %016" PRIx64 ", recorded %016" PRIx64 ")",
                   r->family, plain, r->plain);
      cr_expect_eq(oracle, r->oracle,
                   "%s (oracle): trajectories changed (fingerprint %016" PRIx64
                   ", recorded %016" PRIx64 ")",
                   r->family, oracle, r->oracle);
    }
  }
}
