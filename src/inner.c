/* The built-in inner objectives (maml/inner.h): the policy's products (policy.c) that make
 * each one's gradient and Hessian-vector product. */
#include "maml/inner.h"

static const maml_inner_objective objectives[MAML_INNER_COUNT] = {
    [MAML_INNER_REINFORCE] = {"reinforce", maml_inner_loss_grad, maml_inner_loss_hvp, 0},
    [MAML_INNER_LVC] = {"lvc", maml_lvc_loss_grad, maml_lvc_loss_hvp, 1},
};

const maml_inner_objective *maml_inner_objective_get(maml_inner_loss loss) {
  return (int)loss >= 0 && (int)loss < MAML_INNER_COUNT ? &objectives[loss] : NULL;
}

const char *maml_inner_loss_name(maml_inner_loss loss) {
  const maml_inner_objective *o = maml_inner_objective_get(loss);
  return o ? o->name : NULL;
}
