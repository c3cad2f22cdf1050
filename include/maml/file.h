/* Opening a file the user named as input (a config, a checkpoint, a goals file). */
#ifndef MAML_FILE_H
#define MAML_FILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

#include "maml/build_config.h"

/* Open path for reading, refusing at once what is not a regular file: a FIFO (whose open
 * would wait for a writer, forever), a device, a folder. Returns a blocking descriptor
 * (close-on-exec) and fills *st (when not NULL); else -1 after "PATH: cannot open:
 * REASON" or "PATH: not a regular file" in err. */
int maml_file_open_input(const char *path, struct stat *st, char *err, size_t err_sz);

/* The same as a stdio stream (binary mode); NULL after the message in err. */
FILE *maml_file_fopen_input(const char *path, char *err, size_t err_sz);

#endif
