#include "blas_kernels.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cmd_select_blas_kernels(char **argv) {
  if (getenv("OPENBLAS_CORETYPE")) return;
  const char *core = openblas_get_corename();
  if (!core || (strcmp(core, "Haswell") != 0 && strcmp(core, "Zen") != 0)) return;
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw") ||
      !__builtin_cpu_supports("avx512dq") || !__builtin_cpu_supports("avx512vl"))
    return;
  if (setenv("OPENBLAS_CORETYPE", "SkylakeX", 1) != 0) return;
  execv("/proc/self/exe", argv);
  /* exec failed: go on with the kernels already loaded */
}
