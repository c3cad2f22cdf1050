/* A run directory as `maml train` guards it: the lock held for a run's life, what the
 * directory already holds, the clean-up of saves cut short, and files replaced atomically.
 * Under MPI only rank 0 calls these. Functions that can refuse print their own message
 * (prefixed "maml train: ") and return 0. */
#ifndef MAML_CMD_RUN_DIR_H
#define MAML_CMD_RUN_DIR_H

#include <stddef.h>

/* The longest run directory path: its files' paths (DIR/iter-NNNNNN.ckpt.tmp.PID) must fit
 * in PATH_MAX (4096) with room to spare. */
#define RUN_DIR_MAX 4000

/* The lock file in a run directory: holds the id of the process that holds its lock. */
#define RUN_DIR_LOCK ".lock"

/* 1 if dir is a usable run directory path (not empty, at most RUN_DIR_MAX characters), else
 * 0 after a message naming the limit; option names the flag it came from. */
int run_dir_path_ok(const char *dir, const char *option);

/* Take the lock of dir (an exclusive flock() on DIR/.lock, not waiting) and write this
 * process's id into the file. The lock lasts until run_dir_unlock or the end of the process,
 * however it ends: a lock file left by a dead process is taken over. Returns the lock's file
 * descriptor; else a message and -2 when another process holds it (naming its process
 * id), -1 for another failure. */
int run_dir_lock(const char *dir);
void run_dir_unlock(int fd); /* -1 is a no-op */

/* 0 after a message when another process holds dir's lock; else 1 (nothing is created). */
int run_dir_is_free(const char *dir);

/* The id of the process that holds dir's lock (1 when it wrote none yet), 0 when none does;
 * quiet (for status reports). */
long run_dir_holder(const char *dir);

/* The names of the run files dir holds (config.ini, metrics.csv, metrics.jsonl, *.ckpt and
 * the temporary files of saves cut short), sorted, ", "-separated, in out (cut short with
 * "..." when n is too small). Returns their count (0 when dir does not exist); *temporaries
 * gets how many of them are temporary files. */
int run_dir_list(const char *dir, char *out, size_t n, int *temporaries);

/* 1 for a temporary file of a save that was cut short (NAME.ckpt.tmp.PID, config.ini.tmp.PID,
 * metrics.csv.tmp, metrics.jsonl.tmp). */
int run_dir_is_temporary(const char *name);

/* Remove dir's temporary files, saying so for each: only by the holder of its lock. */
void run_dir_remove_temporaries(const char *dir);

/* Replace path with len bytes of text atomically: a temporary file beside it, fsync, rename,
 * fsync of the folder. 1, or 0 with a message in err. */
int run_dir_write_atomic(const char *path, const char *text, size_t len, char *err, size_t err_sz);

#endif
