/* Private to envs/: where the built-in MJCF models are looked for when no folder is named. */
#ifndef MAML_ENVS_ASSETS_H
#define MAML_ENVS_ASSETS_H

#include <stddef.h>

/* The built-in assets folder, written into dir (n bytes); *label receives what it is, for
 * messages. A program or library in the build tree (its file under MAML_BUILD_TREE) uses
 * the source tree's assets/ (MAML_SOURCE_ASSETS); an installed one the share folder of the
 * prefix it is installed in, found from its own file: the shared library's folder joined
 * with MAML_ASSETS_FROM_LIB, the program's (/proc/self/exe, which a static libmaml is part
 * of) with MAML_ASSETS_FROM_BIN; both relative, so the prefix can be moved. Returns 0 when
 * no folder is known (*label then says why). */
int maml_assets_builtin(char *dir, size_t n, const char **label);

#endif
