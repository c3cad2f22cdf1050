#include "maml/policy.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "maml/matmul.h"

#define LOG_2PI 1.8378770664093453

/* ---- shape ---------------------------------------------------------------------------- */

maml_status maml_policy_init(maml_policy *p, int obs_dim, int act_dim, int n_hidden,
                             const int *hidden, maml_activation activation, double init_std,
                             char *err, size_t err_sz) {
  memset(p, 0, sizeof *p);
  if (obs_dim <= 0 || act_dim <= 0)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "policy: observation and action sizes must be positive (got %d, %d)", obs_dim,
                     act_dim);
  if (n_hidden < 0 || n_hidden > MAML_MAX_HIDDEN)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "policy: %d hidden layers requested; allowed 0 to %d", n_hidden,
                     MAML_MAX_HIDDEN);
  if (activation != MAML_ACT_RELU && activation != MAML_ACT_TANH)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "policy: unknown activation %d", (int)activation);
  if (!(init_std > 0.0) || !isfinite(init_std))
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "policy: initial std must be a positive finite number (got %g)", init_std);
  p->obs_dim = obs_dim;
  p->act_dim = act_dim;
  p->n_hidden = n_hidden;
  p->activation = activation;
  p->init_std = init_std;
  p->n_layers = n_hidden + 1;
  p->max_width = act_dim;
  size_t off = 0;
  int in = obs_dim;
  for (int l = 0; l < p->n_layers; l++) {
    int out = l < n_hidden ? hidden[l] : act_dim;
    if (out <= 0 || out > (1 << 20))
      return maml_fail(err, err_sz, MAML_ERR_ARG,
                       "policy: hidden layer %d has width %d; allowed 1 to %d", l + 1, out,
                       1 << 20);
    if (l < n_hidden) p->hidden[l] = out;
    if (out > p->max_width) p->max_width = out;
    p->in[l] = in;
    p->out[l] = out;
    p->w_off[l] = off;
    off += (size_t)out * (size_t)in;
    p->b_off[l] = off;
    off += (size_t)out;
    in = out;
  }
  p->log_std_off = off;
  p->n_params = off + (size_t)act_dim;
  return MAML_OK;
}

maml_policy_view maml_policy_views(const maml_policy *p, maml_real *theta) {
  maml_policy_view v;
  memset(&v, 0, sizeof v);
  for (int l = 0; l < p->n_layers; l++) {
    v.W[l] = theta + p->w_off[l];
    v.b[l] = theta + p->b_off[l];
  }
  v.log_std = theta + p->log_std_off;
  return v;
}

void maml_policy_init_params(const maml_policy *p, maml_real *theta, maml_rng *rng) {
  for (int l = 0; l < p->n_layers; l++) {
    double limit = sqrt(6.0 / (double)(p->in[l] + p->out[l]));
    size_t nw = (size_t)p->out[l] * (size_t)p->in[l];
    for (size_t i = 0; i < nw; i++)
      theta[p->w_off[l] + i] = (maml_real)maml_rng_uniform_range(rng, -limit, limit);
    memset(theta + p->b_off[l], 0, (size_t)p->out[l] * sizeof(maml_real));
  }
  for (int d = 0; d < p->act_dim; d++) theta[p->log_std_off + d] = (maml_real)log(p->init_std);
}

double maml_policy_forward_flops(const maml_policy *p, int n) {
  double f = 0.0;
  for (int l = 0; l < p->n_layers; l++) f += 2.0 * n * p->in[l] * p->out[l];
  return f;
}

/* Counted from the GEMMs below, with F the forward pass and F0 its first layer: backward
 * is dW for every layer and d input for all but the first (2F - F0); the R-forward pass is
 * V x for every layer and W R{h} for all but the first (2F - F0); the R-backward pass of
 * the Hessian product is R{dW} for every layer plus three more GEMMs per layer but the
 * first (4F - 3F0); the Fisher product is R-forward then backward. */
double maml_policy_product_flops(const maml_policy *p, int n, maml_product which) {
  double f = maml_policy_forward_flops(p, n), f0 = 2.0 * n * p->in[0] * p->out[0];
  switch (which) {
    case MAML_PRODUCT_FORWARD: return f;
    case MAML_PRODUCT_GRAD: return 2 * f - f0;
    case MAML_PRODUCT_HVP: return (2 * f - f0) + (4 * f - 3 * f0);
    case MAML_PRODUCT_FVP: return 2 * (2 * f - f0);
  }
  return 0.0;
}

/* ---- buffers -------------------------------------------------------------------------- */

/* Carve consecutive arrays of maml_real out of one zeroed block. sizes[i] counts numbers. */
static maml_status carve(void **block, int count, const size_t *sizes, maml_real **out[]) {
  size_t total = 0;
  for (int i = 0; i < count; i++) {
    if (sizes[i] > (SIZE_MAX / sizeof(maml_real)) - total) return MAML_ERR_NOMEM;
    total += sizes[i];
  }
  maml_real *base = calloc(total ? total : 1, sizeof(maml_real));
  if (!base) return MAML_ERR_NOMEM;
  *block = base;
  for (int i = 0; i < count; i++) {
    *out[i] = base;
    base += sizes[i];
  }
  return MAML_OK;
}

static size_t rows_times(int capacity, int width) {
  return (size_t)capacity * (size_t)width;
}

maml_status maml_policy_cache_alloc(maml_policy_cache *c, const maml_policy *p, int capacity) {
  memset(c, 0, sizeof *c);
  if (capacity <= 0) return MAML_ERR_ARG;
  size_t sizes[3 * MAML_MAX_HIDDEN + 3];
  maml_real **outs[3 * MAML_MAX_HIDDEN + 3];
  int k = 0;
  for (int l = 0; l < p->n_hidden; l++) {
    size_t s = rows_times(capacity, p->hidden[l]);
    sizes[k] = s, outs[k++] = &c->h[l];
    sizes[k] = s, outs[k++] = &c->g[l];
    sizes[k] = s, outs[k++] = &c->delta[l];
  }
  sizes[k] = rows_times(capacity, p->act_dim), outs[k++] = &c->mu;
  sizes[k] = rows_times(capacity, p->act_dim), outs[k++] = &c->dmu;
  sizes[k] = (size_t)capacity, outs[k++] = &c->coef;
  maml_status s = carve(&c->block, k, sizes, outs);
  if (s == MAML_OK) c->capacity = capacity;
  return s;
}

void maml_policy_cache_free(maml_policy_cache *c) {
  if (!c) return;
  free(c->block);
  memset(c, 0, sizeof *c);
}

maml_status maml_policy_work_alloc(maml_policy_work *w, const maml_policy *p, int capacity) {
  memset(w, 0, sizeof *w);
  if (capacity <= 0) return MAML_ERR_ARG;
  size_t sizes[MAML_MAX_HIDDEN + 5];
  maml_real **outs[MAML_MAX_HIDDEN + 5];
  int k = 0;
  for (int l = 0; l < p->n_hidden; l++)
    sizes[k] = rows_times(capacity, p->hidden[l]), outs[k++] = &w->rh[l];
  sizes[k] = rows_times(capacity, p->act_dim), outs[k++] = &w->rmu;
  sizes[k] = rows_times(capacity, p->act_dim), outs[k++] = &w->rdmu;
  sizes[k] = (size_t)capacity, outs[k++] = &w->rlogp;
  sizes[k] = rows_times(capacity, p->max_width), outs[k++] = &w->buf[0];
  sizes[k] = rows_times(capacity, p->max_width), outs[k++] = &w->buf[1];
  maml_status s = carve(&w->block, k, sizes, outs);
  if (s == MAML_OK) w->capacity = capacity;
  return s;
}

void maml_policy_work_free(maml_policy_work *w) {
  if (!w) return;
  free(w->block);
  memset(w, 0, sizeof *w);
}

/* ---- building blocks ------------------------------------------------------------------ */

/* rows of y (n, width) set to the vector b */
static void fill_rows(maml_real *y, const maml_real *b, int n, int width) {
  for (int i = 0; i < n; i++) memcpy(y + (size_t)i * width, b, (size_t)width * sizeof(maml_real));
}

/* out[j] = sum_i x[i, j] */
static void column_sums(const maml_real *x, int n, int width, maml_real *out) {
  memset(out, 0, (size_t)width * sizeof(maml_real));
  for (int i = 0; i < n; i++) {
    const maml_real *row = x + (size_t)i * width;
    for (int j = 0; j < width; j++) out[j] += row[j];
  }
}

/* y = x * phi'(z), with phi' written in terms of the activation h = phi(z) */
static void times_slope(maml_activation a, const maml_real *h, const maml_real *x, maml_real *y,
                        size_t count) {
  if (a == MAML_ACT_RELU) {
    /* a multiply by 0 or 1, which vectorises (with -fno-trapping-math, CMakeLists.txt);
     * a branch would mispredict, the signs of h being a coin toss */
    for (size_t i = 0; i < count; i++) y[i] = x[i] * (maml_real)(h[i] > 0);
  } else {
    for (size_t i = 0; i < count; i++) y[i] = x[i] * (1 - h[i] * h[i]);
  }
}

static double valid_count(const maml_real *mask, int n) {
  if (!mask) return n;
  double count = 0;
  for (int i = 0; i < n; i++) count += mask[i];
  return count;
}

/* the hidden layers' activation; none on the output layer (mu) */
static maml_layer_act layer_act(const maml_policy *p, int l) {
  if (l == p->n_layers - 1) return MAML_LAYER_NONE;
  return p->activation == MAML_ACT_RELU ? MAML_LAYER_RELU : MAML_LAYER_TANH;
}

static const maml_real *layer_input(const maml_real *obs, maml_real *const *h, int l) {
  return l == 0 ? obs : h[l - 1];
}

/* Backpropagate d loss / d mu (dmu) through the network at theta, writing the gradient of
 * every weight and bias into grad. The hidden layers' d loss / d h go to g[l] and
 * d loss / d preactivation to delta[l]; g[l] may be delta[l], and buffers of layers l and
 * l - 1 must differ. */
static void backward(const maml_policy *p, const maml_real *theta, int n, const maml_real *obs,
                     maml_real *const *h, const maml_real *dmu, maml_real *const *g,
                     maml_real *const *delta, maml_real *grad) {
  const maml_real *d = dmu;
  for (int l = p->n_layers - 1; l >= 0; l--) {
    int in = p->in[l], out = p->out[l];
    maml_matmul(MAML_TRANS, MAML_NO_TRANS, out, in, n, 1, d, out, layer_input(obs, h, l), in, 0,
                grad + p->w_off[l], in);
    column_sums(d, n, out, grad + p->b_off[l]);
    if (l == 0) break;
    maml_matmul(MAML_NO_TRANS, MAML_NO_TRANS, n, in, out, 1, d, out, theta + p->w_off[l], in, 0,
                g[l - 1], in);
    times_slope(p->activation, h[l - 1], g[l - 1], delta[l - 1], (size_t)n * in);
    d = delta[l - 1];
  }
}

/* Directional derivative of the forward pass along v: rh[l] = R{h_l}, rmu = R{mu}. */
static void r_forward(const maml_policy *p, const maml_real *theta, const maml_real *obs, int n,
                      maml_real *const *h, const maml_real *v, maml_real *const *rh,
                      maml_real *rmu) {
  for (int l = 0; l < p->n_layers; l++) {
    int in = p->in[l], out = p->out[l];
    maml_real *r = l == p->n_layers - 1 ? rmu : rh[l];
    fill_rows(r, v + p->b_off[l], n, out);
    maml_matmul(MAML_NO_TRANS, MAML_TRANS, n, out, in, 1, layer_input(obs, h, l), in,
                v + p->w_off[l], in, 1, r, out);
    if (l > 0)
      maml_matmul(MAML_NO_TRANS, MAML_TRANS, n, out, in, 1, rh[l - 1], in, theta + p->w_off[l], in,
                  1, r, out);
    if (l < p->n_layers - 1) times_slope(p->activation, h[l], r, r, (size_t)n * out);
  }
}

/* With c->coef holding per-row weights c_t, the gradient of F = sum_t c_t log pi(a_t|s_t):
 * d F / d mu into c->dmu, then (when grad is not NULL) the network part by backward and
 * the log-std part. */
static void weighted_logp_grad(const maml_policy *p, const maml_real *theta, const maml_real *act,
                               maml_policy_cache *c, maml_real *grad) {
  int n = c->n, A = p->act_dim;
  const maml_real *log_std = theta + p->log_std_off;
  if (grad) memset(grad + p->log_std_off, 0, (size_t)A * sizeof(maml_real));
  for (int d = 0; d < A; d++) {
    double inv_var = exp(-2.0 * log_std[d]);
    double dls = 0.0;
    for (int i = 0; i < n; i++) {
      size_t k = (size_t)i * A + d;
      if (c->coef[i] == 0) { /* padding: its values may be anything */
        c->dmu[k] = 0;
        continue;
      }
      double diff = (double)act[k] - (double)c->mu[k];
      c->dmu[k] = (maml_real)(c->coef[i] * diff * inv_var);
      dls += c->coef[i] * (diff * diff * inv_var - 1.0);
    }
    if (grad) grad[p->log_std_off + d] = (maml_real)dls;
  }
  if (grad) backward(p, theta, n, c->obs, c->h, c->dmu, c->g, c->delta, grad);
}

/* ---- public: sampling and densities --------------------------------------------------- */

void maml_policy_forward(const maml_policy *p, const maml_real *theta, const maml_real *obs, int n,
                         maml_policy_cache *c) {
  c->n = n;
  c->obs = obs;
  for (int l = 0; l < p->n_layers; l++) {
    int in = p->in[l], out = p->out[l];
    maml_real *z = l == p->n_layers - 1 ? c->mu : c->h[l];
    maml_matmul_layer(n, out, in, layer_input(obs, c->h, l), in, theta + p->w_off[l],
                      theta + p->b_off[l], layer_act(p, l), z, out);
  }
}

void maml_policy_log_prob(const maml_policy *p, const maml_real *theta, const maml_real *mu,
                          const maml_real *act, int n, maml_real *logp) {
  int A = p->act_dim;
  const maml_real *log_std = theta + p->log_std_off;
  double constant = 0.0;
  for (int d = 0; d < A; d++) constant -= log_std[d] + 0.5 * LOG_2PI;
  for (int i = 0; i < n; i++) {
    double sum = constant;
    for (int d = 0; d < A; d++) {
      double z = ((double)act[(size_t)i * A + d] - mu[(size_t)i * A + d]) * exp(-log_std[d]);
      sum -= 0.5 * z * z;
    }
    logp[i] = (maml_real)sum;
  }
}

void maml_policy_sample(const maml_policy *p, const maml_real *theta, const maml_real *mu, int n,
                        maml_rng *rngs, maml_real *act, maml_real *logp) {
  int A = p->act_dim;
  const maml_real *log_std = theta + p->log_std_off;
  for (int i = 0; i < n; i++)
    for (int d = 0; d < A; d++)
      act[(size_t)i * A + d] =
          (maml_real)(mu[(size_t)i * A + d] + exp(log_std[d]) * maml_rng_normal(&rngs[i]));
  if (logp) maml_policy_log_prob(p, theta, mu, act, n, logp);
}

double maml_policy_entropy(const maml_policy *p, const maml_real *theta) {
  double h = 0.0;
  for (int d = 0; d < p->act_dim; d++) h += theta[p->log_std_off + d] + 0.5 * (LOG_2PI + 1.0);
  return h;
}

/* ---- public: losses and their derivatives --------------------------------------------- */

double maml_inner_loss_grad(const maml_policy *p, const maml_real *theta, const maml_batch *b,
                            maml_policy_cache *c, maml_real *grad) {
  int n = b->n;
  double count = valid_count(b->mask, n);
  double scale = count > 0 ? -1.0 / count : 0.0;
  double loss = 0.0;
  maml_policy_log_prob(p, theta, c->mu, b->act, n, c->dmu); /* dmu as scratch for log pi */
  for (int i = 0; i < n; i++) {
    double m = b->mask ? b->mask[i] : 1.0;
    c->coef[i] = m != 0 ? (maml_real)(scale * m * b->adv[i]) : 0;
    if (m != 0) loss += (double)c->coef[i] * c->dmu[i];
  }
  weighted_logp_grad(p, theta, b->act, c, grad);
  return loss;
}

double maml_surrogate_grad(const maml_policy *p, const maml_real *theta, const maml_batch *b,
                           maml_policy_cache *c, maml_real *grad) {
  int n = b->n;
  double count = valid_count(b->mask, n);
  double scale = count > 0 ? -1.0 / count : 0.0;
  double loss = 0.0;
  maml_policy_log_prob(p, theta, c->mu, b->act, n, c->dmu);
  for (int i = 0; i < n; i++) {
    double m = b->mask ? b->mask[i] : 1.0;
    if (m == 0) {
      c->coef[i] = 0;
      continue;
    }
    double ratio = exp((double)c->dmu[i] - (double)b->logp_old[i]);
    double term = scale * m * b->adv[i] * ratio;
    loss += term;
    c->coef[i] = (maml_real)term;
  }
  if (grad) weighted_logp_grad(p, theta, b->act, c, grad);
  return loss;
}

/* A row's term of the clipped surrogate is flat in theta (its gradient zero) where the clip
 * is the smaller one: r above 1 + clip with a positive advantage, below 1 - clip with a
 * negative one. */
static int clipped_away(double ratio, double adv, double clip) {
  return (adv > 0 && ratio > 1.0 + clip) || (adv < 0 && ratio < 1.0 - clip);
}

double maml_clipped_surrogate_grad(const maml_policy *p, const maml_real *theta,
                                   const maml_batch *b, double clip, maml_policy_cache *c,
                                   maml_real *grad, int *n_clipped) {
  int n = b->n, clipped = 0;
  double count = valid_count(b->mask, n);
  double scale = count > 0 ? -1.0 / count : 0.0;
  double loss = 0.0;
  maml_policy_log_prob(p, theta, c->mu, b->act, n, c->dmu); /* dmu as scratch for log pi */
  for (int i = 0; i < n; i++) {
    double m = b->mask ? b->mask[i] : 1.0;
    c->coef[i] = 0;
    if (m == 0) continue;
    double adv = b->adv[i], ratio = exp((double)c->dmu[i] - (double)b->logp_old[i]);
    if (clipped_away(ratio, adv, clip)) {
      clipped++;
      loss += scale * m * adv * (adv > 0 ? 1.0 + clip : 1.0 - clip);
      continue;
    }
    double term = scale * m * adv * ratio;
    loss += term;
    c->coef[i] = (maml_real)term;
  }
  if (n_clipped) *n_clipped = clipped;
  if (grad) weighted_logp_grad(p, theta, b->act, c, grad);
  return loss;
}

/* rlogp[i] = R{log pi(a_i|s_i)} = grad log pi_i . v, from R{mu} (rows with weight 0 get 0) */
static void r_log_prob(const maml_policy *p, const maml_real *theta, const maml_batch *b,
                       const maml_policy_cache *c, const maml_real *v, maml_policy_work *w) {
  int n = c->n, A = p->act_dim;
  const maml_real *log_std = theta + p->log_std_off, *v_ls = v + p->log_std_off;
  for (int i = 0; i < n; i++) {
    double s = 0.0;
    for (int d = 0; c->coef[i] != 0 && d < A; d++) {
      size_t k = (size_t)i * A + d;
      double inv_var = exp(-2.0 * log_std[d]);
      double diff = (double)b->act[k] - (double)c->mu[k];
      s += diff * inv_var * w->rmu[k] + (diff * diff * inv_var - 1.0) * v_ls[d];
    }
    w->rlogp[i] = (maml_real)s;
  }
}

/* The Hessian-vector product of F = sum_t c_t log pi(a_t|s_t) (c_t = c->coef, fixed), plus,
 * with outer set, of the term sum_t c_t (g_t g_t^T) v, g_t = grad log pi(a_t|s_t): the
 * gradient of sum_t w_t log pi with w_t = c_t (g_t . v), which enters R{d F / d mu} and the
 * log-std block here and then rides the R-backward pass (linear in R{d F / d mu}). */
static void weighted_hvp(const maml_policy *p, const maml_real *theta, const maml_batch *b,
                         const maml_policy_cache *c, maml_policy_work *w, const maml_real *v,
                         int outer, maml_real *out) {
  int n = c->n, A = p->act_dim, L = p->n_layers;
  const maml_real *log_std = theta + p->log_std_off;
  const maml_real *v_ls = v + p->log_std_off;
  r_forward(p, theta, c->obs, n, c->h, v, w->rh, w->rmu);
  if (outer) r_log_prob(p, theta, b, c, v, w);

  /* R{d F / d mu} and the log-std block of the product, from the second derivatives of
   * log pi: d2/dmu2 = -1/s^2, d2/dmu dlog s = -2 (a - mu)/s^2, d2/dlog s2 = -2 (a - mu)^2/s^2;
   * the outer term adds w_t d log pi / d mu = w_t (a - mu)/s^2 and
   * w_t d log pi / d log s = w_t ((a - mu)^2/s^2 - 1) */
  for (int d = 0; d < A; d++) {
    double inv_var = exp(-2.0 * log_std[d]);
    double r_ls = 0.0;
    for (int i = 0; i < n; i++) {
      size_t k = (size_t)i * A + d;
      if (c->coef[i] == 0) { /* padding */
        w->rdmu[k] = 0;
        continue;
      }
      double diff = (double)b->act[k] - (double)c->mu[k];
      double rmu = w->rmu[k];
      double rdmu = c->coef[i] * (-inv_var * rmu - 2.0 * diff * inv_var * v_ls[d]);
      r_ls += c->coef[i] * (-2.0 * diff * inv_var * rmu - 2.0 * diff * diff * inv_var * v_ls[d]);
      if (outer) {
        double wt = (double)c->coef[i] * w->rlogp[i];
        rdmu += wt * diff * inv_var;
        r_ls += wt * (diff * diff * inv_var - 1.0);
      }
      w->rdmu[k] = (maml_real)rdmu;
    }
    out[p->log_std_off + d] = (maml_real)r_ls;
  }

  /* R-backward: the directional derivative of backward() */
  const maml_real *rd = w->rdmu;
  for (int l = L - 1; l >= 0; l--) {
    int in = p->in[l], out_w = p->out[l];
    const maml_real *d = l == L - 1 ? c->dmu : c->delta[l];
    const maml_real *x = layer_input(c->obs, c->h, l);
    maml_real *r_dw = out + p->w_off[l];
    maml_matmul(MAML_TRANS, MAML_NO_TRANS, out_w, in, n, 1, rd, out_w, x, in, 0, r_dw, in);
    if (l > 0)
      maml_matmul(MAML_TRANS, MAML_NO_TRANS, out_w, in, n, 1, d, out_w, w->rh[l - 1], in, 1, r_dw,
                  in);
    column_sums(rd, n, out_w, out + p->b_off[l]);
    if (l == 0) break;
    maml_real *rg = w->buf[(l - 1) % 2];
    maml_matmul(MAML_NO_TRANS, MAML_NO_TRANS, n, in, out_w, 1, rd, out_w, theta + p->w_off[l], in,
                0, rg, in);
    maml_matmul(MAML_NO_TRANS, MAML_NO_TRANS, n, in, out_w, 1, d, out_w, v + p->w_off[l], in, 1, rg,
                in);
    const maml_real *h = c->h[l - 1];
    size_t count = (size_t)n * in;
    if (p->activation == MAML_ACT_RELU) {
      times_slope(p->activation, h, rg, rg, count);
    } else {
      /* tanh: phi' = 1 - h^2 and phi'' R{z} = -2 h R{h} */
      const maml_real *g = c->g[l - 1], *rh = w->rh[l - 1];
      for (size_t i = 0; i < count; i++)
        rg[i] = rg[i] * (1 - h[i] * h[i]) - 2 * g[i] * h[i] * rh[i];
    }
    rd = rg;
  }
}

void maml_inner_loss_hvp(const maml_policy *p, const maml_real *theta, const maml_batch *b,
                         const maml_policy_cache *c, maml_policy_work *w, const maml_real *v,
                         maml_real *out) {
  weighted_hvp(p, theta, b, c, w, v, 0, out);
}

double maml_lvc_loss_grad(const maml_policy *p, const maml_real *theta, const maml_batch *b,
                          maml_policy_cache *c, maml_real *grad) {
  return maml_surrogate_grad(p, theta, b, c, grad);
}

void maml_lvc_loss_hvp(const maml_policy *p, const maml_real *theta, const maml_batch *b,
                       const maml_policy_cache *c, maml_policy_work *w, const maml_real *v,
                       maml_real *out) {
  weighted_hvp(p, theta, b, c, w, v, 1, out);
}

void maml_policy_fvp(const maml_policy *p, const maml_real *theta, const maml_policy_cache *c,
                     const maml_real *mask, maml_policy_work *w, const maml_real *v,
                     maml_real *out) {
  int n = c->n, A = p->act_dim;
  const maml_real *obs = c->obs;
  const maml_real *log_std = theta + p->log_std_off;
  double count = valid_count(mask, n);
  double scale = count > 0 ? 1.0 / count : 0.0;
  r_forward(p, theta, obs, n, c->h, v, w->rh, w->rmu);
  for (int d = 0; d < A; d++) {
    double s = scale * exp(-2.0 * log_std[d]);
    for (int i = 0; i < n; i++) {
      size_t k = (size_t)i * A + d;
      double m = mask ? mask[i] : 1.0;
      w->rdmu[k] = (maml_real)(s * m * w->rmu[k]);
    }
    out[p->log_std_off + d] = (maml_real)(count > 0 ? 2.0 * v[p->log_std_off + d] : 0.0);
  }
  maml_real *g[MAML_MAX_HIDDEN];
  for (int l = 0; l < p->n_hidden; l++) g[l] = w->buf[l % 2];
  backward(p, theta, n, obs, c->h, w->rdmu, g, g, out);
}

double maml_policy_kl(const maml_policy *p, const maml_real *theta_old, const maml_real *mu_old,
                      const maml_real *theta_new, const maml_real *mu_new, const maml_real *mask,
                      int n) {
  int A = p->act_dim;
  const maml_real *ls_old = theta_old + p->log_std_off, *ls_new = theta_new + p->log_std_off;
  double count = valid_count(mask, n);
  if (count <= 0) return 0.0;
  double total = 0.0;
  for (int d = 0; d < A; d++) {
    double log_ratio = (double)ls_new[d] - ls_old[d];
    double var_ratio = exp(-2.0 * log_ratio), inv_var_new = exp(-2.0 * ls_new[d]);
    double sum_sq = 0.0;
    for (int i = 0; i < n; i++) {
      double m = mask ? mask[i] : 1.0;
      double diff = (double)mu_old[(size_t)i * A + d] - mu_new[(size_t)i * A + d];
      sum_sq += m * diff * diff;
    }
    total += count * (log_ratio + 0.5 * var_ratio - 0.5) + 0.5 * inv_var_new * sum_sq;
  }
  return total / count;
}

void maml_policy_kl_grad(const maml_policy *p, const maml_real *theta_old, const maml_real *mu_old,
                         const maml_real *theta_new, maml_policy_cache *c, const maml_real *mask,
                         maml_real *grad) {
  int n = c->n, A = p->act_dim;
  const maml_real *obs = c->obs;
  const maml_real *ls_old = theta_old + p->log_std_off, *ls_new = theta_new + p->log_std_off;
  double count = valid_count(mask, n);
  double scale = count > 0 ? 1.0 / count : 0.0;
  for (int d = 0; d < A; d++) {
    double var_old = exp(2.0 * ls_old[d]), inv_var_new = exp(-2.0 * ls_new[d]);
    double dls = 0.0;
    for (int i = 0; i < n; i++) {
      size_t k = (size_t)i * A + d;
      double m = (mask ? mask[i] : 1.0) * scale;
      double diff = (double)c->mu[k] - mu_old[k];
      c->dmu[k] = (maml_real)(m * diff * inv_var_new);
      dls += m * (1.0 - (var_old + diff * diff) * inv_var_new);
    }
    grad[p->log_std_off + d] = (maml_real)dls;
  }
  backward(p, theta_new, n, obs, c->h, c->dmu, c->g, c->delta, grad);
}
