#include "maml/error.h"

#include <stdarg.h>
#include <stdio.h>

const char *maml_status_str(maml_status s) {
  switch (s) {
    case MAML_OK: return "ok";
    case MAML_ERR_ARG: return "bad argument";
    case MAML_ERR_NOMEM: return "out of memory";
    case MAML_ERR_NUMERIC: return "non-finite result";
    case MAML_ERR_IO: return "input/output error";
    case MAML_ERR_FORMAT: return "malformed input";
  }
  return "unknown status";
}

maml_status maml_fail(char *err, size_t err_sz, maml_status code, const char *fmt, ...) {
  if (err && err_sz > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_sz, fmt, ap);
    va_end(ap);
  }
  return code;
}
