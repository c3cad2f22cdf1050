/* The symbol that tells a program built against this library's headers that it links the
 * library of the same version and float type (maml/build_config.h). */
#include "maml/build_config.h"

const char MAML_ABI_SYMBOL = 1;
