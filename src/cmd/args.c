/* Command-line values: parse, check the range, and say what was wrong. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"

int cmd_parse_long(const char *who, const char *opt, const char *v, long lo, long hi, long *out) {
  char *end;
  errno = 0;
  long x = strtol(v, &end, 10);
  if (end == v || *end || errno || x < lo || x > hi) {
    fprintf(stderr, "%s: %s: '%s' is not an integer in [%ld, %ld]\n", who, opt, v, lo, hi);
    return 0;
  }
  *out = x;
  return 1;
}

int cmd_parse_double(const char *who, const char *opt, const char *v, double lo, double hi,
                     double *out) {
  char *end;
  errno = 0;
  double x = strtod(v, &end);
  if (end == v || *end || errno || !isfinite(x) || !(x > lo) || x > hi) {
    fprintf(stderr, "%s: %s: '%s' is not a number in (%g, %g]\n", who, opt, v, lo, hi);
    return 0;
  }
  *out = x;
  return 1;
}
