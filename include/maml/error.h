/* Result codes shared by the library. Library functions never exit the process: a
 * recoverable failure returns one of these codes and, where the function takes them,
 * writes a human-readable message into the caller's (err, err_sz) buffer. */
#ifndef MAML_ERROR_H
#define MAML_ERROR_H

#include <stddef.h>

#include "maml/build_config.h"

typedef enum {
  MAML_OK = 0,
  MAML_ERR_ARG,     /* an argument is out of its allowed range */
  MAML_ERR_NOMEM,   /* an allocation failed or a size overflowed */
  MAML_ERR_NUMERIC, /* a result is not finite */
  MAML_ERR_IO,      /* a file could not be read or written */
  MAML_ERR_FORMAT   /* input is malformed */
} maml_status;

/* printf-style write into err (if err is not NULL); returns code unchanged, so that
 * `return maml_fail(err, err_sz, MAML_ERR_ARG, "...", ...)` reads naturally. */
maml_status maml_fail(char *err, size_t err_sz, maml_status code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
