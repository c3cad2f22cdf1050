/* Gaussian MLP policy: mu = MLP(s), sigma = exp(log_std), state-independent log-std.
 *
 * The policy object only describes a network's shape; its parameters live in a flat
 * vector of maml_policy.n_params numbers laid out as
 *   W_0 (out_0 x in_0, row-major), b_0, W_1, b_1, ..., W_{L-1}, b_{L-1}, log_std (act_dim)
 * Gradients, search directions and adapted parameters share this layout, so an inner
 * update is one axpy and conjugate gradient works on flat vectors.
 *
 * The loss and product functions work on a batch of n rows (states, actions, advantage
 * weights, valid-step mask). Means are over the valid rows. They reuse the activations a
 * maml_policy_forward call left in a maml_policy_cache, so that CG iterations do not
 * redo the forward pass, and they allocate nothing. */
#ifndef MAML_POLICY_H
#define MAML_POLICY_H

#include <stddef.h>

#include "maml/error.h"
#include "maml/real.h"
#include "maml/rng.h"

#define MAML_MAX_HIDDEN 8

typedef enum { MAML_ACT_RELU = 0, MAML_ACT_TANH = 1 } maml_activation;

typedef struct {
  int obs_dim, act_dim;
  int n_hidden;                /* hidden layers (0 gives a linear policy) */
  int hidden[MAML_MAX_HIDDEN]; /* their widths */
  maml_activation activation;  /* nonlinearity of the hidden layers; output is linear */
  double init_std;             /* sigma at initialisation */
  /* derived by maml_policy_init */
  int n_layers;                 /* n_hidden + 1 */
  int in[MAML_MAX_HIDDEN + 1];  /* layer l maps in[l] numbers ... */
  int out[MAML_MAX_HIDDEN + 1]; /* ... to out[l] numbers */
  size_t w_off[MAML_MAX_HIDDEN + 1], b_off[MAML_MAX_HIDDEN + 1], log_std_off;
  size_t n_params;
  int max_width; /* widest hidden layer (at least act_dim) */
} maml_policy;

/* Typed views into a flat parameter vector. */
typedef struct {
  maml_real *W[MAML_MAX_HIDDEN + 1]; /* (out[l], in[l]) */
  maml_real *b[MAML_MAX_HIDDEN + 1]; /* (out[l]) */
  maml_real *log_std;                /* (act_dim) */
} maml_policy_view;

/* A batch of rows for the losses. mask and logp_old may be NULL where not needed
 * (mask NULL: every row is valid). */
typedef struct {
  int n;
  const maml_real *obs;      /* (n, obs_dim) */
  const maml_real *act;      /* (n, act_dim) */
  const maml_real *adv;      /* (n) advantages, the weights of the loss */
  const maml_real *mask;     /* (n) 1 valid step, 0 padding */
  const maml_real *logp_old; /* (n) log-probability under the policy that sampled the rows */
} maml_batch;

/* Activations of one batch at one parameter vector, kept for the products. */
typedef struct {
  int capacity;                  /* rows it can hold */
  int n;                         /* rows of the last forward pass */
  const maml_real *obs;          /* (n, obs_dim) its states (borrowed, not copied) */
  maml_real *h[MAML_MAX_HIDDEN]; /* (n, hidden[l]) activations of hidden layer l */
  maml_real *mu;                 /* (n, act_dim) */
  /* left by the inner-loss gradient, read by its Hessian-vector product */
  maml_real *g[MAML_MAX_HIDDEN];     /* (n, hidden[l]) d loss / d h_l */
  maml_real *delta[MAML_MAX_HIDDEN]; /* (n, hidden[l]) d loss / d preactivation of layer l */
  maml_real *dmu;                    /* (n, act_dim) d loss / d mu */
  maml_real *coef;                   /* (n) per-row weight of log pi in the loss */
  void *block;                       /* the one allocation behind the arrays */
} maml_policy_cache;

/* Scratch for the directional-derivative (R-operator) passes. */
typedef struct {
  int capacity;
  maml_real *rh[MAML_MAX_HIDDEN]; /* (n, hidden[l]) R{h_l} */
  maml_real *rmu;                 /* (n, act_dim) R{mu} */
  maml_real *rdmu;                /* (n, act_dim) R{d loss / d mu} */
  maml_real *rlogp;               /* (n) R{log pi(a|s)} = grad log pi . v (LVC) */
  maml_real *buf[2];              /* (n, max_width) ping-pong for backward passes */
  void *block;
} maml_policy_work;

/* Describe a network. hidden may be NULL when n_hidden is 0. Fails with MAML_ERR_ARG
 * (message in err) on a non-positive size or too many layers. */
maml_status maml_policy_init(maml_policy *p, int obs_dim, int act_dim, int n_hidden,
                             const int *hidden, maml_activation activation, double init_std,
                             char *err, size_t err_sz);

maml_policy_view maml_policy_views(const maml_policy *p, maml_real *theta);

/* Xavier-uniform weights, zero biases, log_std = log(init_std), drawn from rng. */
void maml_policy_init_params(const maml_policy *p, maml_real *theta, maml_rng *rng);

maml_status maml_policy_cache_alloc(maml_policy_cache *c, const maml_policy *p, int capacity);
void maml_policy_cache_free(maml_policy_cache *c);
maml_status maml_policy_work_alloc(maml_policy_work *w, const maml_policy *p, int capacity);
void maml_policy_work_free(maml_policy_work *w);

/* mu for n states (n <= c->capacity), one GEMM per layer; activations kept in c. */
void maml_policy_forward(const maml_policy *p, const maml_real *theta, const maml_real *obs, int n,
                         maml_policy_cache *c);

/* log pi(act | s) for n rows given their mu (from a forward pass). */
void maml_policy_log_prob(const maml_policy *p, const maml_real *theta, const maml_real *mu,
                          const maml_real *act, int n, maml_real *logp);

/* act = mu + sigma * eps, eps ~ N(0, I) drawn from rngs[i] for row i; logp may be NULL. */
void maml_policy_sample(const maml_policy *p, const maml_real *theta, const maml_real *mu, int n,
                        maml_rng *rngs, maml_real *act, maml_real *logp);

/* Entropy of the action distribution (the same for every state). */
double maml_policy_entropy(const maml_policy *p, const maml_real *theta);

/* Inner (REINFORCE) loss L = -mean_valid [adv * log pi(act | obs)] and its gradient
 * (grad may be NULL for the value alone). c must hold a forward pass of b->obs at theta.
 * Leaves in c what maml_inner_loss_hvp needs. */
double maml_inner_loss_grad(const maml_policy *p, const maml_real *theta, const maml_batch *b,
                            maml_policy_cache *c, maml_real *grad);

/* Exact Hessian-vector product of the inner loss (Pearlmutter's R-operator):
 * out = (d^2 L / d theta^2) v. Requires maml_inner_loss_grad(p, theta, b, c, ...) to have
 * run on this cache with the same theta and batch. out must not alias v. */
void maml_inner_loss_hvp(const maml_policy *p, const maml_real *theta, const maml_batch *b,
                         const maml_policy_cache *c, maml_policy_work *w, const maml_real *v,
                         maml_real *out);

/* Likelihood-ratio surrogate L = -mean_valid [adv * exp(log pi(act|obs) - logp_old)] and
 * its gradient (grad may be NULL). c must hold a forward pass of b->obs at theta. */
double maml_surrogate_grad(const maml_policy *p, const maml_real *theta, const maml_batch *b,
                           maml_policy_cache *c, maml_real *grad);

/* The clipped surrogate of PPO and ProMP's outer step (Rothfuss et al., ICLR 2019):
 *   L = -mean_valid [min(r adv, clip(r, 1 - clip, 1 + clip) adv)],
 *   r = exp(log pi(act|obs) - logp_old),
 *   grad L = -mean_valid [adv r grad log pi] over the rows whose term is not clipped away
 * (a row is clipped away, its gradient zero, where r > 1 + clip with adv > 0 or
 * r < 1 - clip with adv < 0; at the boundary itself the unclipped branch is taken). With
 * r = 1 on every row (theta the sampling parameters) nothing is clipped and the value and
 * gradient are maml_surrogate_grad's, bit for bit. clip > 0. grad may be NULL; n_clipped
 * (may be NULL) receives the number of valid rows clipped away. c must hold a forward pass
 * of b->obs at theta. */
double maml_clipped_surrogate_grad(const maml_policy *p, const maml_real *theta,
                                   const maml_batch *b, double clip, maml_policy_cache *c,
                                   maml_real *grad, int *n_clipped);

/* The LVC inner loss (Rothfuss et al., ProMP, ICLR 2019) on a support batch sampled with
 * theta0, whose log pi_theta0(act|obs) is b->logp_old (held fixed):
 *   L = -mean_valid [adv * r],  r = pi_theta(act|obs) / pi_theta0(act|obs),
 *   grad L = -mean_valid [adv * r * grad log pi]
 * the same function as maml_surrogate_grad, here as an inner loss. At theta = theta0
 * (logp_old computed by maml_policy_log_prob from the same forward pass) r is exactly 1 and
 * the gradient equals maml_inner_loss_grad's bit for bit. c must hold a forward pass of
 * b->obs at theta; with grad not NULL it leaves in c what maml_lvc_loss_hvp needs. */
double maml_lvc_loss_grad(const maml_policy *p, const maml_real *theta, const maml_batch *b,
                          maml_policy_cache *c, maml_real *grad);

/* Exact Hessian-vector product of the LVC inner loss at any theta:
 *   out = -mean_valid [adv * r * (grad^2 log pi + grad log pi grad log pi^T)] v
 * maml_inner_loss_hvp's product with the weights adv * r, plus the outer-product term
 * mean [adv r (g . v) g], g = grad log pi: g . v per row comes from the same directional
 * pass (R{log pi} from R{mu}), and its weighted backward pass rides on the R-backward pass
 * (it is linear in R{d loss / d mu}), so the product costs maml_inner_loss_hvp's matrix
 * products and no more. Requires maml_lvc_loss_grad(p, theta, b, c, grad != NULL) to have
 * run on this cache with the same theta and batch. out must not alias v. */
void maml_lvc_loss_hvp(const maml_policy *p, const maml_real *theta, const maml_batch *b,
                       const maml_policy_cache *c, maml_policy_work *w, const maml_real *v,
                       maml_real *out);

/* Fisher-vector product of the policy over the valid states in c (a forward pass at
 * theta, whose states must still be alive): out = mean_valid [Jmu^T diag(1/sigma^2) Jmu v_net] (+)
 * 2 v_logstd. */
void maml_policy_fvp(const maml_policy *p, const maml_real *theta, const maml_policy_cache *c,
                     const maml_real *mask, maml_policy_work *w, const maml_real *v,
                     maml_real *out);

/* mean_valid KL(pi_old(.|s) || pi_new(.|s)) given both policies' mu for the same n states. */
double maml_policy_kl(const maml_policy *p, const maml_real *theta_old, const maml_real *mu_old,
                      const maml_real *theta_new, const maml_real *mu_new, const maml_real *mask,
                      int n);

/* Gradient of maml_policy_kl with respect to theta_new; c holds a forward pass at theta_new. */
void maml_policy_kl_grad(const maml_policy *p, const maml_real *theta_old, const maml_real *mu_old,
                         const maml_real *theta_new, maml_policy_cache *c, const maml_real *mask,
                         maml_real *grad);

/* Floating-point operations of one forward pass of n rows (multiply-adds count 2). */
double maml_policy_forward_flops(const maml_policy *p, int n);

/* The matrix-product FLOPs of one call on n rows (element-wise work not counted). */
typedef enum {
  MAML_PRODUCT_FORWARD, /* maml_policy_forward */
  MAML_PRODUCT_GRAD,    /* the backward pass of a loss gradient (after its forward) */
  MAML_PRODUCT_HVP,     /* maml_inner_loss_hvp, maml_lvc_loss_hvp */
  MAML_PRODUCT_FVP      /* maml_policy_fvp */
} maml_product;
double maml_policy_product_flops(const maml_policy *p, int n, maml_product which);

#endif
