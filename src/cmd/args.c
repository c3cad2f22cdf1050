/* Command-line values: parse, check the range, and say what was wrong. Only plain decimal
 * numbers are read (maml/number.h): no hexadecimal, inf, nan or white space. */
#include "args.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "maml/number.h"

int cmd_parse_long(const char *who, const char *opt, const char *v, long lo, long hi, long *out) {
  size_t span = maml_integer_span(v);
  errno = 0;
  long x = span ? strtol(v, NULL, 10) : 0;
  if (span == 0 || v[span] || errno || x < lo || x > hi) {
    fprintf(stderr, "%s: %s: '%s' is not an integer in [%ld, %ld] (%s)\n", who, opt, v, lo, hi,
            MAML_INTEGER_SYNTAX);
    return 0;
  }
  *out = x;
  return 1;
}

int cmd_parse_double(const char *who, const char *opt, const char *v, double lo, double hi,
                     double *out) {
  size_t span = maml_decimal_span(v);
  double x = span ? strtod(v, NULL) : NAN;
  /* a subnormal x is too small to compute with */
  if (span == 0 || v[span] || !isfinite(x) || !(x > lo) || x > hi ||
      (x != 0 && fabs(x) < DBL_MIN)) {
    fprintf(stderr, "%s: %s: '%s' is not a number in (%g, %g] (%s)\n", who, opt, v, lo, hi,
            MAML_DECIMAL_SYNTAX);
    return 0;
  }
  *out = x;
  return 1;
}
