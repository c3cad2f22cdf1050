/* Input files: opened without blocking, checked to be regular files, then read normally. */
#include "maml/file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "maml/error.h"

int maml_file_open_input(const char *path, struct stat *st, char *err, size_t err_sz) {
  /* O_NONBLOCK: a FIFO opens at once (to be refused below) instead of waiting for a writer */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    maml_fail(err, err_sz, MAML_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    return -1;
  }
  struct stat s;
  if (fstat(fd, &s) != 0) {
    int e = errno;
    close(fd);
    maml_fail(err, err_sz, MAML_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
    return -1;
  }
  if (!S_ISREG(s.st_mode)) {
    close(fd);
    maml_fail(err, err_sz, MAML_ERR_IO, "%s: not a regular file", path);
    return -1;
  }
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  if (st) *st = s;
  return fd;
}

FILE *maml_file_fopen_input(const char *path, char *err, size_t err_sz) {
  int fd = maml_file_open_input(path, NULL, err, err_sz);
  if (fd < 0) return NULL;
  FILE *f = fdopen(fd, "rb");
  if (!f) {
    int e = errno;
    close(fd);
    maml_fail(err, err_sz, MAML_ERR_IO, "%s: cannot open: %s", path, strerror(e));
  }
  return f;
}
