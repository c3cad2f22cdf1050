/* Small helpers shared by the benchmark programs. */
#ifndef MAML_BENCH_UTIL_H
#define MAML_BENCH_UTIL_H

#include <stdlib.h>
#include <time.h>

/* monotonic seconds */
static inline double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Parse a comma-separated list of integers in [lo, hi] ("100,100") into out (at most max).
 * Returns how many were read, or -1 on malformed text or a value out of range. */
static inline int bench_parse_ints(const char *text, int *out, int max, long lo, long hi) {
  int n = 0;
  const char *p = text;
  while (*p) {
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p || v < lo || v > hi || n == max || (*end && *end != ',')) return -1;
    out[n++] = (int)v;
    p = *end == ',' ? end + 1 : end;
  }
  return n;
}

#endif
