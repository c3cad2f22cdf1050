/* The rollout engine: many tasks x many episodes, on a pool of threads, deterministic.
 *
 * The unit of work is a task: a worker resets that task's episodes together and steps
 * them in lock step, so the policy runs as one batched forward pass per step. Every
 * random number (reset noise, action noise) comes from the episode's own stream
 * (seed, iteration, phase, task, episode): the batches are bit-identical whatever the
 * number of threads. Nothing is allocated while sampling. */
#ifndef MAML_SAMPLER_H
#define MAML_SAMPLER_H

#include <stdint.h>

#include "maml/env.h"
#include "maml/policy.h"
#include "maml/pool.h"

/* The episodes of one task, in the layout of episodes.h: step t of episode e at row
 * e * horizon + t; rows after an episode's end are zero with mask 0. */
typedef struct {
  int episodes, horizon, obs_dim, act_dim;
  double task[MAML_TASK_MAX];
  maml_real *obs;         /* (E*H, obs_dim) observation the action was taken in */
  maml_real *act;         /* (E*H, act_dim) the sampled action, before clipping */
  maml_real *reward;      /* (E*H) */
  maml_real *mask;        /* (E*H) 1 for steps that happened */
  maml_real *forward_vel; /* (E*H) diagnostics of each step (maml_step_info) */
  maml_real *goal_dist;   /* (E*H) */
  int *length;            /* (E) steps of each episode */
  int unstable;           /* episodes ended by an unstable simulation */
  void *block;
} maml_task_batch;

maml_status maml_task_batch_alloc(maml_task_batch *b, int episodes, int horizon, int obs_dim,
                                  int act_dim);
void maml_task_batch_free(maml_task_batch *b);

/* The steps that happened, packed for the losses: moves the rows with mask 1 to the front
 * of obs, act and adv (the batch's advantages, E*H in its layout; may be NULL), in their
 * order, and returns the view of them (n those rows, every one valid: mask and logp_old
 * NULL). A row after an episode's end weighs nothing in any loss, so the losses and their
 * derivatives are those of the whole batch, without the products over rows that weigh
 * nothing: where episodes end early (the hopper, walker, humanoid and ant when they fall),
 * most of the learner's work. Their sums then run over other blocks of rows, so the last
 * bits differ from the whole batch's. Afterwards obs and act are in that packed order,
 * reward, mask, length and the diagnostics still in the episode layout: pack a batch after
 * everything that reads obs or act by episode (the baseline's fit, finiteness checks). */
maml_batch maml_task_batch_pack(maml_task_batch *b, maml_real *adv);

typedef struct maml_sampler maml_sampler;

/* A sampler for world and policy with room for `episodes` episodes per task, running on
 * pool (not owned). Environment instances and buffers are made here, once. */
maml_status maml_sampler_create(maml_sampler **out, const maml_env_world *world,
                                const maml_policy *policy, maml_pool *pool, int episodes, char *err,
                                size_t err_sz);
void maml_sampler_destroy(maml_sampler *s);

/* Sample batches[i]->episodes episodes of task i (tasks[i * MAML_TASK_MAX ...]) with
 * parameters thetas[i], for i < n_tasks. Episode e of task i draws from the stream
 * (seed, iteration, phase, i, e). Each batch must have been allocated with this world's
 * sizes, at most the sampler's episodes and at most the family's horizon. */
maml_status maml_sampler_run(maml_sampler *s, int n_tasks, const double *tasks,
                             const maml_real *const *thetas, uint64_t seed, uint32_t iteration,
                             maml_phase phase, maml_task_batch *batches, char *err, size_t err_sz);

/* For benchmarks: the simulation steps the sampler's environment instances took since it
 * was made or since the last call, and the time they took (maml_env's physics_time and
 * physics_steps, summed over the instances and zeroed): the mj_step-equivalent steps of the
 * MuJoCo robots (frame_skip a step), timed by MuJoCo's clock mjcb_time (seconds for a clock
 * in seconds) and counted only while it is set, so both are 0 when mjcb_time is NULL (its
 * default: a step then only tests that pointer), for nav2d and for a robot of its own
 * advance. Set mjcb_time before a run and clear it after, with no other run in flight. */
void maml_sampler_physics(maml_sampler *s, double *seconds, long *steps);

/* Fault injection, for the tests of what must survive bad numbers: the next run's episode
 * 0 of task `task` gets, at its second step, a NaN reward (MAML_FAULT_NAN_REWARD), a NaN
 * in its recorded observation (MAML_FAULT_NAN_OBS), or a simulation that goes unstable
 * (MAML_FAULT_UNSTABLE: its velocities set to NaN before the step; MuJoCo families only).
 * One shot: the next run consumes it (if that run holds the task). */
typedef enum {
  MAML_FAULT_NONE = 0,
  MAML_FAULT_NAN_REWARD,
  MAML_FAULT_NAN_OBS,
  MAML_FAULT_UNSTABLE
} maml_fault;
void maml_sampler_inject(maml_sampler *s, maml_fault fault, int task);

/* The same for tasks first .. first + n_tasks - 1 only (one rank's share of a meta-batch):
 * tasks, thetas and batches are indexed by the task's index in the whole meta-batch, and
 * the streams are keyed by it, so a task's episodes do not depend on the split. */
maml_status maml_sampler_run_range(maml_sampler *s, int first, int n_tasks, const double *tasks,
                                   const maml_real *const *thetas, uint64_t seed,
                                   uint32_t iteration, maml_phase phase, maml_task_batch *batches,
                                   char *err, size_t err_sz);

#endif
