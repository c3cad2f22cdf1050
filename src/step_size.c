/* Learned inner step sizes (maml/step_size.h): their count, layout and summary. */
#include "maml/step_size.h"

#include <stdlib.h>

static const char *names[MAML_LEARN_ALPHA_COUNT] = {
    [MAML_ALPHA_FIXED] = "no", [MAML_ALPHA_PARAM] = "param", [MAML_ALPHA_LAYER] = "layer"};

const char *maml_learn_alpha_name(maml_learn_alpha mode) {
  return (int)mode >= 0 && (int)mode < MAML_LEARN_ALPHA_COUNT ? names[mode] : NULL;
}

size_t maml_step_size_count(const maml_policy *p, maml_learn_alpha mode) {
  switch (mode) {
    case MAML_ALPHA_PARAM: return p->n_params;
    case MAML_ALPHA_LAYER: return 2 * (size_t)p->n_layers + 1;
    default: return 0;
  }
}

void maml_step_size_index(const maml_policy *p, maml_learn_alpha mode, int *index) {
  if (mode == MAML_ALPHA_PARAM) {
    for (size_t j = 0; j < p->n_params; j++) index[j] = (int)j;
    return;
  }
  for (int l = 0; l < p->n_layers; l++) {
    size_t w = (size_t)p->out[l] * p->in[l];
    for (size_t j = 0; j < w; j++) index[p->w_off[l] + j] = 2 * l;
    for (int j = 0; j < p->out[l]; j++) index[p->b_off[l] + (size_t)j] = 2 * l + 1;
  }
  for (int j = 0; j < p->act_dim; j++) index[p->log_std_off + (size_t)j] = 2 * p->n_layers;
}

void maml_step_size_expand(const maml_policy *p, maml_learn_alpha mode, const maml_real *a,
                           maml_real *out) {
  if (mode == MAML_ALPHA_PARAM) {
    for (size_t j = 0; j < p->n_params; j++) out[j] = a[j];
    return;
  }
  for (int l = 0; l < p->n_layers; l++) {
    size_t w = (size_t)p->out[l] * p->in[l];
    for (size_t j = 0; j < w; j++) out[p->w_off[l] + j] = a[2 * l];
    for (int j = 0; j < p->out[l]; j++) out[p->b_off[l] + (size_t)j] = a[2 * l + 1];
  }
  for (int j = 0; j < p->act_dim; j++) out[p->log_std_off + (size_t)j] = a[2 * p->n_layers];
}

void maml_step_size_init(maml_real *a, size_t m, double alpha) {
  for (size_t i = 0; i < m; i++) a[i] = (maml_real)alpha;
}

static int by_value(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

void maml_step_size_summary(const maml_real *a, size_t m, double *scratch, double *min,
                            double *median, double *max) {
  for (size_t i = 0; i < m; i++) scratch[i] = a[i];
  qsort(scratch, m, sizeof *scratch, by_value);
  *min = scratch[0], *max = scratch[m - 1];
  *median = m % 2 ? scratch[m / 2] : 0.5 * (scratch[m / 2 - 1] + scratch[m / 2]);
}
