/* Where the built-in models are: the source tree's for the build tree's programs, else the
 * share folder next to the installed program or library (never a path fixed at build time
 * outside the prefix it is installed in). */
#define _GNU_SOURCE /* dladdr1, struct link_map */
#include "envs/assets.h"

#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* an object of this file, whose address dladdr1 maps back to the file holding it */
static const char anchor = 0;

/* A program whose file was replaced while it runs (rebuilt under a long `maml experiment`):
 * /proc/self/exe then names "PATH (deleted)", which realpath cannot follow; its folder
 * still holds what it held. 1 with PATH in path. */
static int deleted_program(char *path, size_t n) {
  static const char tail[] = " (deleted)";
  const size_t tail_len = sizeof tail - 1;
  ssize_t len = readlink("/proc/self/exe", path, n - 1);
  if (len <= 0 || (size_t)len >= n - 1 || path[0] != '/') return 0;
  path[len] = '\0';
  if ((size_t)len > tail_len && !strcmp(path + len - tail_len, tail)) path[len - tail_len] = '\0';
  return 1;
}

/* the absolute path of the file this code was loaded from (libmaml.so, or the program a
 * static libmaml is linked into); *shared: 1 for a shared library. 0 when unknown. */
static int own_file(char *path, size_t n, int *shared) {
  Dl_info info;
  struct link_map *map = NULL;
  const char *file = "/proc/self/exe";
  *shared = 0;
  if (dladdr1(&anchor, &info, (void **)&map, RTLD_DL_LINKMAP) && map && map->l_name &&
      map->l_name[0])
    file = map->l_name, *shared = 1;
  char *abs = realpath(file, NULL);
  int ok = abs && strlen(abs) < n;
  if (ok) snprintf(path, n, "%s", abs);
  free(abs);
  return ok || (!*shared && deleted_program(path, n));
}

/* 1 when path is folder or inside it (both absolute, symbolic links resolved) */
static int inside(const char *path, const char *folder) {
  char *f = realpath(folder, NULL);
  size_t len = f ? strlen(f) : 0;
  int in = f && !strncmp(path, f, len) && (path[len] == '/' || path[len] == '\0');
  free(f);
  return in;
}

int maml_assets_builtin(char *dir, size_t n, const char **label) {
  char self[PATH_MAX];
  int shared;
  if (!own_file(self, sizeof self, &shared)) {
    *label = "the installed assets (the program's own path could not be read)";
    return 0;
  }
#if defined(MAML_BUILD_TREE) && defined(MAML_SOURCE_ASSETS)
  if (inside(self, MAML_BUILD_TREE)) {
    *label = "the source tree";
    snprintf(dir, n, "%s", MAML_SOURCE_ASSETS);
    return 1;
  }
#else
  (void)inside;
#endif
#if defined(MAML_ASSETS_FROM_BIN) && defined(MAML_ASSETS_FROM_LIB)
  /* the file's folder, then up one folder for each leading "../" of the relative path */
  const char *rel = shared ? MAML_ASSETS_FROM_LIB : MAML_ASSETS_FROM_BIN;
  *strrchr(self, '/') = '\0';
  for (; !strncmp(rel, "../", 3); rel += 3) {
    char *up = strrchr(self, '/');
    if (up) *up = '\0';
  }
  *label =
      shared ? "the installed assets, beside libmaml" : "the installed assets, beside the program";
  return snprintf(dir, n, "%s/%s", self, rel) < (int)n;
#else
  (void)dir, (void)n;
  *label = "the installed assets (not known to this build)";
  return 0;
#endif
}
