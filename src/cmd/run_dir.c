/* The run directory's lock, listing, clean-up and atomic writes (run_dir.h). */
#include "run_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define PATH_LEN 4096

static int join(char *out, const char *dir, const char *name) {
  return snprintf(out, PATH_LEN, "%s/%s", dir, name) < PATH_LEN;
}

static int starts_with(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

int run_dir_path_ok(const char *dir, const char *option) {
  size_t n = strlen(dir);
  if (n == 0) {
    fprintf(stderr, "maml train: %s: the run directory path is empty\n", option);
    return 0;
  }
  if (n > RUN_DIR_MAX) {
    fprintf(stderr,
            "maml train: %s: the run directory path is %zu characters long; at most %d are "
            "allowed (its files' paths must fit in %d)\n",
            option, n, RUN_DIR_MAX, PATH_LEN);
    return 0;
  }
  return 1;
}

/* ---- the lock --------------------------------------------------------------------------- */

/* the process id written in an open lock file, or 0 if it holds none */
static long lock_holder(int fd) {
  char text[32];
  ssize_t n = pread(fd, text, sizeof text - 1, 0);
  if (n <= 0) return 0;
  text[n] = '\0';
  return strtol(text, NULL, 10);
}

static void say_busy(const char *dir, int fd) {
  long pid = lock_holder(fd);
  /* the holder writes its id just after taking the lock */
  for (int k = 0; k < 20 && pid <= 0; k++) {
    nanosleep(&(struct timespec){.tv_nsec = 5000000}, NULL);
    pid = lock_holder(fd);
  }
  char who[48] = "another process";
  if (pid > 0) snprintf(who, sizeof who, "process %ld", pid);
  fprintf(stderr,
          "maml train: %s is in use: %s (a `maml train` on it) holds its lock %s/%s; wait for "
          "it to end or choose another --run-dir\n",
          dir, who, dir, RUN_DIR_LOCK);
}

int run_dir_lock(const char *dir) {
  char path[PATH_LEN];
  if (!join(path, dir, RUN_DIR_LOCK)) {
    fprintf(stderr, "maml train: path too long in %s\n", dir);
    return -1;
  }
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    fprintf(stderr, "maml train: cannot open the lock file %s: %s\n", path, strerror(errno));
    return -1;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int busy = errno == EWOULDBLOCK;
    if (busy)
      say_busy(dir, fd);
    else
      fprintf(stderr, "maml train: cannot lock %s: %s\n", path, strerror(errno));
    close(fd);
    return busy ? -2 : -1;
  }
  char text[32];
  int len = snprintf(text, sizeof text, "%ld\n", (long)getpid());
  if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)len, 0) != len) {
    fprintf(stderr, "maml train: cannot write the lock file %s: %s\n", path, strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

void run_dir_unlock(int fd) {
  if (fd >= 0) close(fd); /* closing the last descriptor releases the flock */
}

/* 1 when another process holds dir's lock (fd: its lock file opened, -1 without one) */
static int lock_busy(const char *dir, int *fd) {
  char path[PATH_LEN];
  *fd = join(path, dir, RUN_DIR_LOCK) ? open(path, O_RDONLY | O_CLOEXEC) : -1;
  if (*fd < 0) return 0; /* no lock file: no run has held it */
  return flock(*fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
}

int run_dir_is_free(const char *dir) {
  int fd, busy = lock_busy(dir, &fd);
  if (busy) say_busy(dir, fd);
  if (fd >= 0) close(fd);
  return !busy;
}

long run_dir_holder(const char *dir) {
  int fd, busy = lock_busy(dir, &fd);
  long pid = busy ? lock_holder(fd) : 0;
  if (fd >= 0) close(fd);
  return busy && pid <= 0 ? 1 : pid;
}

/* ---- what the directory holds ----------------------------------------------------------- */

int run_dir_is_temporary(const char *name) {
  return strstr(name, ".ckpt.tmp.") != NULL || starts_with(name, "config.ini.tmp") ||
         starts_with(name, "metrics.csv.tmp") || starts_with(name, "metrics.jsonl.tmp");
}

static int is_run_file(const char *name) {
  return !strcmp(name, "config.ini") || !strcmp(name, "metrics.csv") ||
         !strcmp(name, "metrics.jsonl") || ends_with(name, ".ckpt") || run_dir_is_temporary(name);
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int run_dir_list(const char *dir, char *out, size_t n, int *temporaries) {
  if (n) out[0] = '\0';
  *temporaries = 0;
  DIR *d = opendir(dir);
  if (!d) return 0;
  char **names = NULL;
  int count = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!is_run_file(e->d_name)) continue;
    *temporaries += run_dir_is_temporary(e->d_name);
    if (count == cap) {
      cap = cap ? 2 * cap : 16;
      char **more = realloc(names, (size_t)cap * sizeof *names);
      if (!more) break;
      names = more;
    }
    if (!(names[count] = strdup(e->d_name))) break;
    count++;
  }
  closedir(d);
  if (count) qsort(names, (size_t)count, sizeof *names, by_name);
  size_t used = 0;
  for (int i = 0; i < count; i++) {
    size_t need = strlen(names[i]) + (i ? 2 : 0);
    if (used + need + 4 >= n) {
      if (used + 4 < n) snprintf(out + used, n - used, "%s...", i ? ", " : "");
      break;
    }
    used += (size_t)snprintf(out + used, n - used, "%s%s", i ? ", " : "", names[i]);
  }
  for (int i = 0; i < count; i++) free(names[i]);
  free(names);
  return count;
}

void run_dir_remove_temporaries(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  char path[PATH_LEN];
  while ((e = readdir(d)))
    if (run_dir_is_temporary(e->d_name) && join(path, dir, e->d_name) && unlink(path) == 0)
      printf("removed %s (left by a save that was cut short)\n", path);
  closedir(d);
}

/* ---- atomic replacement ----------------------------------------------------------------- */

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t k = write(fd, p, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return 0;
    p += k, n -= (size_t)k;
  }
  return 1;
}

/* fsync the folder holding path, so that a rename in it is on disk */
static int sync_folder_of(const char *path) {
  char dir[PATH_LEN];
  const char *slash = strrchr(path, '/');
  if (!slash)
    snprintf(dir, sizeof dir, ".");
  else if (slash == path)
    snprintf(dir, sizeof dir, "/");
  else
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return 0;
  int ok = fsync(fd) == 0 || errno == EINVAL; /* some file systems cannot sync a folder */
  close(fd);
  return ok;
}

int run_dir_write_atomic(const char *path, const char *text, size_t len, char *err, size_t err_sz) {
  char tmp[PATH_LEN + 32];
  snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
  unlink(tmp); /* only this process (or a dead one with the same id) makes this name */
  int fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) {
    snprintf(err, err_sz, "%s: cannot create %s: %s", path, tmp, strerror(errno));
    return 0;
  }
  const char *step = NULL;
  if (!write_all(fd, text, len))
    step = "cannot write";
  else if (fsync(fd) != 0)
    step = "cannot sync";
  int e = errno;
  if (close(fd) != 0 && !step) step = "cannot close", e = errno;
  if (!step && rename(tmp, path) != 0) step = "cannot rename the temporary file onto", e = errno;
  if (step) {
    unlink(tmp);
    snprintf(err, err_sz, "%s: %s it: %s", path, step, strerror(e));
    return 0;
  }
  if (!sync_folder_of(path)) {
    snprintf(err, err_sz, "%s: written, but its folder cannot be synced: %s", path,
             strerror(errno));
    return 0;
  }
  return 1;
}
