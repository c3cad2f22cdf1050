/* A preloaded library (LD_PRELOAD) that makes checkpoint writes fail the way machines do,
 * for tests/cli_faults.sh. It wraps write() and acts only on files whose path holds
 * ".ckpt.tmp" (the temporary file of an atomic checkpoint save):
 *   MAML_FAULT_KILL_WRITE=N    the N-th such write writes half its bytes, then the process
 *                              gets SIGKILL (a crash in the middle of a save)
 *   MAML_FAULT_ENOSPC_WRITE=N  from the N-th such write on, write fails with ENOSPC (a full
 *                              disk)
 * and wraps rename() and renameat(), of any file:
 *   MAML_FAULT_KILL_RENAME=N   the process gets SIGKILL instead of doing its N-th rename (a
 *                              crash between two saves: every file before is in place, the
 *                              N-th is not) */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static atomic_long writes, renames;

static long env_long(const char *name) {
  const char *v = getenv(name);
  return v ? atol(v) : 0;
}

static int is_checkpoint_tmp(int fd) {
  char link[64], path[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n <= 0) return 0;
  path[n] = '\0';
  return strstr(path, ".ckpt.tmp") != NULL;
}

ssize_t write(int fd, const void *buf, size_t count) {
  static ssize_t (*real_write)(int, const void *, size_t);
  if (!real_write) real_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
  if (is_checkpoint_tmp(fd)) {
    long k = atomic_fetch_add(&writes, 1) + 1;
    long kill_at = env_long("MAML_FAULT_KILL_WRITE"), full_at = env_long("MAML_FAULT_ENOSPC_WRITE");
    if (kill_at > 0 && k == kill_at) {
      real_write(fd, buf, count / 2);
      raise(SIGKILL);
    }
    if (full_at > 0 && k >= full_at) {
      errno = ENOSPC;
      return -1;
    }
  }
  return real_write(fd, buf, count);
}

/* SIGKILL before the N-th rename, if MAML_FAULT_KILL_RENAME=N */
static void before_rename(void) {
  long k = atomic_fetch_add(&renames, 1) + 1, kill_at = env_long("MAML_FAULT_KILL_RENAME");
  if (kill_at > 0 && k == kill_at) raise(SIGKILL);
}

int rename(const char *from, const char *to) {
  static int (*real_rename)(const char *, const char *);
  if (!real_rename) real_rename = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
  before_rename();
  return real_rename(from, to);
}

int renameat(int from_dir, const char *from, int to_dir, const char *to) {
  static int (*real_renameat)(int, const char *, int, const char *);
  if (!real_renameat)
    real_renameat = (int (*)(int, const char *, int, const char *))dlsym(RTLD_NEXT, "renameat");
  before_rename();
  return real_renameat(from_dir, from, to_dir, to);
}
