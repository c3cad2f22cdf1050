/* The built-in outer optimisers (maml/outer.h): src/outer_trpo.c, src/outer_promp.c. */
#include "maml/outer.h"

extern const maml_outer_optimizer maml_outer_trpo, maml_outer_promp;

const maml_outer_optimizer *maml_outer_optimizer_get(maml_outer_kind kind) {
  switch (kind) {
    case MAML_OUTER_TRPO: return &maml_outer_trpo;
    case MAML_OUTER_PROMP: return &maml_outer_promp;
  }
  return NULL;
}

const char *maml_outer_name(maml_outer_kind kind) {
  const maml_outer_optimizer *o = maml_outer_optimizer_get(kind);
  return o ? o->name : NULL;
}
