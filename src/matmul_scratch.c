/* Per-thread scratch buffers of the matmul backends (see matmul_scratch.h): a thread's
 * buffers hang from a pthread key whose destructor frees them. */
#include "matmul_scratch.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct {
  void *buf[MAML_SCRATCH_COUNT];
  size_t size[MAML_SCRATCH_COUNT];
  size_t grown;
} scratch;

static pthread_key_t key;
static int key_made; /* 0 until the key exists, -1 when it could not be made */
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *arg) {
  scratch *s = arg;
  for (int i = 0; i < MAML_SCRATCH_COUNT; i++) free(s->buf[i]);
  free(s);
}

static void key_make(void) {
  key_made = pthread_key_create(&key, scratch_free) == 0 ? 1 : -1;
}

static scratch *this_thread(int make) {
  pthread_once(&key_once, key_make);
  if (key_made != 1) return NULL;
  scratch *s = pthread_getspecific(key);
  if (s || !make) return s;
  s = calloc(1, sizeof *s);
  if (s && pthread_setspecific(key, s) != 0) free(s), s = NULL;
  return s;
}

void *maml_matmul_scratch(int which, size_t bytes) {
  if (which < 0 || which >= MAML_SCRATCH_COUNT) return NULL;
  scratch *s = this_thread(1);
  if (!s) return NULL;
  if (bytes <= s->size[which] && s->buf[which]) return s->buf[which];
  /* grow to the size asked for, plus room for a few more rows, so that growing batches
   * do not reallocate at every call */
  size_t want = bytes + bytes / 8 + 64;
  void *fresh = malloc(want); /* the old contents are not needed: no realloc's copy */
  if (!fresh) return NULL;
  free(s->buf[which]);
  s->buf[which] = fresh, s->size[which] = want;
  s->grown++;
  return fresh;
}

size_t maml_matmul_scratch_grown(void) {
  scratch *s = this_thread(0);
  return s ? s->grown : 0;
}
