#include "maml/error.h"

#include <stdarg.h>
#include <stdio.h>

maml_status maml_fail(char *err, size_t err_sz, maml_status code, const char *fmt, ...) {
  if (err && err_sz > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_sz, fmt, ap);
    va_end(ap);
  }
  return code;
}
