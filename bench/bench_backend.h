/* The matmul backends a benchmark times (maml/matmul.h): every one available by default, or
 * those of a --backend list. Shared by the benchmark programs. */
#ifndef MAML_BENCH_BACKEND_H
#define MAML_BENCH_BACKEND_H

#include <stdio.h>
#include <string.h>

#include "maml/matmul.h"

/* "openblas, dnnl-f32, dnnl-bf16, emulated-bf16": every backend's name, available or not */
static inline const char *bench_backend_names(void) {
  static char names[256];
  names[0] = 0;
  for (int b = 0; b < MAML_MATMUL_COUNT; b++) {
    size_t used = strlen(names);
    snprintf(names + used, sizeof names - used, "%s%s", b ? ", " : "",
             maml_matmul_name((maml_matmul_backend)b));
  }
  return names;
}

/* Every backend available in this build on this CPU, into out (MAML_MATMUL_COUNT room);
 * returns how many (at least 1: openblas always runs). */
static inline int bench_backends_available(maml_matmul_backend *out) {
  int count = 0;
  for (int b = 0; b < MAML_MATMUL_COUNT; b++)
    if (maml_matmul_available((maml_matmul_backend)b, NULL, 0))
      out[count++] = (maml_matmul_backend)b;
  return count;
}

/* The backends named in a comma-separated list, each known, available and named once;
 * returns how many, or -1 with a message from prog naming the bad name and those allowed. */
static inline int bench_parse_backends(const char *prog, const char *list,
                                       maml_matmul_backend *out) {
  int count = 0;
  char buf[256];
  if (snprintf(buf, sizeof buf, "%s", list) >= (int)sizeof buf) {
    fprintf(stderr, "%s: --backend list too long; allowed names: %s\n", prog,
            bench_backend_names());
    return -1;
  }
  for (char *save = NULL, *name = strtok_r(buf, ",", &save); name;
       name = strtok_r(NULL, ",", &save)) {
    int found = -1;
    for (int b = 0; b < MAML_MATMUL_COUNT; b++)
      if (!strcmp(name, maml_matmul_name((maml_matmul_backend)b))) found = b;
    char why[256];
    if (found < 0) {
      fprintf(stderr, "%s: unknown backend '%s'; allowed: %s\n", prog, name, bench_backend_names());
      return -1;
    }
    if (!maml_matmul_available((maml_matmul_backend)found, why, sizeof why)) {
      fprintf(stderr, "%s: backend '%s' is not available: %s\n", prog, name, why);
      return -1;
    }
    for (int j = 0; j < count; j++)
      if (out[j] == (maml_matmul_backend)found) {
        fprintf(stderr, "%s: --backend names '%s' twice\n", prog, name);
        return -1;
      }
    out[count++] = (maml_matmul_backend)found;
  }
  if (count == 0)
    fprintf(stderr, "%s: --backend needs a comma-separated list of: %s\n", prog,
            bench_backend_names());
  return count ? count : -1;
}

/* One line on stdout: the backends timed, and each one left out with why ("dnnl-f32 not
 * available: ..."), so that a double build's output says it runs OpenBLAS alone. */
static inline void bench_print_backends(const maml_matmul_backend *list, int count) {
  printf("matmul backends:");
  for (int i = 0; i < count; i++) printf("%s %s", i ? "," : "", maml_matmul_name(list[i]));
  for (int b = 0; b < MAML_MATMUL_COUNT; b++) {
    char why[256];
    if (!maml_matmul_available((maml_matmul_backend)b, why, sizeof why))
      printf("; %s not available: %s", maml_matmul_name((maml_matmul_backend)b), why);
  }
  printf("\n");
}

#endif
