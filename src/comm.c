#include "maml/comm.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef MAML_MPI
#include <mpi.h>
#endif

struct maml_comm {
#ifdef MAML_MPI
  MPI_Comm comm; /* MPI_COMM_WORLD, or a group's (maml_comm_split_groups) */
#endif
  int rank, size, mpi;
  int group;      /* 1: made by maml_comm_split_groups (freed, never finalized) */
  int local_size; /* ranks on this machine */
  double seconds, bytes;
  int *counts, *displs; /* (size) scratch of the gathers, in bytes */
};

#ifdef MAML_MPI
static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int launched_by_mpi(void) {
  return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}
#endif

maml_status maml_comm_init(int *argc, char ***argv, maml_comm **out, char *err, size_t err_sz) {
  maml_comm *c = calloc(1, sizeof *c);
  *out = c;
  if (!c) return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory");
  c->size = c->local_size = 1;
#ifdef MAML_MPI
  if (launched_by_mpi()) {
    if (MPI_Init(argc, argv) != MPI_SUCCESS)
      return maml_fail(err, err_sz, MAML_ERR_IO, "MPI_Init failed");
    c->mpi = 1;
    c->comm = MPI_COMM_WORLD;
    /* an error in one rank ends the job (our own messages name the rank first) */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
    MPI_Comm_rank(MPI_COMM_WORLD, &c->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c->size);
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, c->rank, MPI_INFO_NULL, &node);
    MPI_Comm_size(node, &c->local_size);
    MPI_Comm_free(&node);
  }
#else
  (void)argc, (void)argv;
#endif
  c->counts = calloc((size_t)c->size, sizeof *c->counts);
  c->displs = calloc((size_t)c->size, sizeof *c->displs);
  if (!c->counts || !c->displs) return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory");
  return MAML_OK;
}

void maml_comm_finalize(maml_comm *c) {
  if (!c) return;
#ifdef MAML_MPI
  if (c->mpi && c->group)
    MPI_Comm_free(&c->comm);
  else if (c->mpi)
    MPI_Finalize();
#endif
  free(c->counts), free(c->displs);
  free(c);
}

maml_status maml_comm_split_groups(maml_comm *c, int group_size, maml_comm **group, int *index,
                                   char *err, size_t err_sz) {
  *group = NULL;
  int size = maml_comm_size(c);
  if (group_size < 1 || size % group_size != 0)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "%d ranks do not split into groups of %d (a divisor of %d is needed)", size,
                     group_size, size);
  maml_comm *g = calloc(1, sizeof *g);
  if (!g) return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory");
  *index = maml_comm_rank(c) / group_size;
  g->size = g->local_size = group_size;
  g->rank = maml_comm_rank(c) % group_size;
  g->group = 1;
#ifdef MAML_MPI
  if (c && c->mpi) {
    g->mpi = 1;
    if (MPI_Comm_split(c->comm, *index, g->rank, &g->comm) != MPI_SUCCESS) {
      free(g);
      return maml_fail(err, err_sz, MAML_ERR_IO, "MPI_Comm_split failed");
    }
    MPI_Comm node;
    MPI_Comm_split_type(g->comm, MPI_COMM_TYPE_SHARED, g->rank, MPI_INFO_NULL, &node);
    MPI_Comm_size(node, &g->local_size);
    MPI_Comm_free(&node);
  }
#endif
  g->counts = calloc((size_t)g->size, sizeof *g->counts);
  g->displs = calloc((size_t)g->size, sizeof *g->displs);
  if (!g->counts || !g->displs) {
    maml_comm_finalize(g);
    return maml_fail(err, err_sz, MAML_ERR_NOMEM, "out of memory");
  }
  *group = g;
  return MAML_OK;
}

int maml_comm_rank(const maml_comm *c) {
  return c ? c->rank : 0;
}
int maml_comm_size(const maml_comm *c) {
  return c ? c->size : 1;
}
int maml_comm_is_mpi(const maml_comm *c) {
  return c ? c->mpi : 0;
}
int maml_comm_local_size(const maml_comm *c) {
  return c ? c->local_size : 1;
}

void maml_comm_block(int n, int size, int r, int *lo, int *hi) {
  /* the first n % size ranks take one item more */
  int base = n / size, extra = n % size;
  *lo = r * base + (r < extra ? r : extra);
  *hi = *lo + base + (r < extra);
}

void maml_comm_split(const maml_comm *c, int n, int *lo, int *hi) {
  maml_comm_block(n, maml_comm_size(c), maml_comm_rank(c), lo, hi);
}

maml_status maml_comm_gather_items(maml_comm *c, void *buf, size_t item_bytes, int n, char *err,
                                   size_t err_sz) {
  if (!c || c->size == 1) return MAML_OK;
#ifdef MAML_MPI
  if ((double)item_bytes * n > (double)INT_MAX)
    return maml_fail(err, err_sz, MAML_ERR_ARG,
                     "a gather of %d items of %zu bytes exceeds MPI's int count", n, item_bytes);
  for (int r = 0; r < c->size; r++) {
    int lo, hi;
    maml_comm_block(n, c->size, r, &lo, &hi);
    c->counts[r] = (int)((size_t)(hi - lo) * item_bytes);
    c->displs[r] = (int)((size_t)lo * item_bytes);
  }
  double t0 = now_seconds();
  MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_BYTE, buf, c->counts, c->displs, MPI_BYTE, c->comm);
  c->seconds += now_seconds() - t0;
  c->bytes += (double)item_bytes * n;
  return MAML_OK;
#else
  (void)buf, (void)item_bytes, (void)n;
  return maml_fail(err, err_sz, MAML_ERR_ARG, "several ranks without MPI");
#endif
}

maml_status maml_comm_broadcast(maml_comm *c, void *buf, size_t bytes, char *err, size_t err_sz) {
  if (!c || c->size == 1) return MAML_OK;
#ifdef MAML_MPI
  if (bytes > (size_t)INT_MAX)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "a broadcast of %zu bytes exceeds MPI's int count",
                     bytes);
  double t0 = now_seconds();
  MPI_Bcast(buf, (int)bytes, MPI_BYTE, 0, c->comm);
  c->seconds += now_seconds() - t0;
  c->bytes += (double)bytes;
  return MAML_OK;
#else
  (void)buf, (void)bytes;
  return maml_fail(err, err_sz, MAML_ERR_ARG, "several ranks without MPI");
#endif
}

int maml_comm_any(maml_comm *c, int flag) {
  if (!c || c->size == 1) return flag != 0;
#ifdef MAML_MPI
  int in = flag != 0, any = 0;
  double t0 = now_seconds();
  MPI_Allreduce(&in, &any, 1, MPI_INT, MPI_LOR, c->comm);
  c->seconds += now_seconds() - t0;
  return any;
#else
  return flag != 0;
#endif
}

int maml_comm_max(maml_comm *c, int value) {
  if (!c || c->size == 1) return value;
#ifdef MAML_MPI
  int max = value;
  double t0 = now_seconds();
  MPI_Allreduce(&value, &max, 1, MPI_INT, MPI_MAX, c->comm);
  c->seconds += now_seconds() - t0;
  return max;
#else
  return value;
#endif
}

void maml_comm_abort(maml_comm *c, int code) {
#ifdef MAML_MPI
  if (c && c->mpi) MPI_Abort(MPI_COMM_WORLD, code); /* the whole job, from a group too */
#else
  (void)c, (void)code;
#endif
}

double maml_comm_seconds(const maml_comm *c) {
  return c ? c->seconds : 0.0;
}
double maml_comm_bytes(const maml_comm *c) {
  return c ? c->bytes : 0.0;
}
