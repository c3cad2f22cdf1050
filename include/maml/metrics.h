/* A run's metrics files: one row per meta-iteration, as CSV (metrics.csv, for
 * spreadsheets and gnuplot) and as JSON lines (metrics.jsonl, for scripts), in the run
 * directory. Rows are flushed after every iteration, so an interrupted run keeps all of
 * its finished iterations. Reopening for a resumed run first drops the rows of
 * iterations at or after the resume point (they are about to be redone), so the files
 * hold each iteration once. */
#ifndef MAML_METRICS_H
#define MAML_METRICS_H

#include <stdint.h>
#include <stdio.h>

#include "maml/error.h"
#include "maml/train.h"

typedef struct {
  FILE *csv, *jsonl;
  /* what maml_metrics_open found of the iterations before the start */
  int64_t csv_rows, jsonl_rows; /* rows kept in each file */
  int64_t accepted;             /* kept CSV rows whose step was accepted (outcome column) */
  int complete;                 /* both files hold iterations 0 .. start - 1, in order, once */
  int header_restored;          /* metrics.csv was missing or empty: its header was written */
} maml_metrics;

/* Open (create or continue) the files in dir for a run that starts at start_iteration:
 * rows of iterations at or after it, and rows cut short, are dropped; a missing or emptied
 * metrics.csv gets its header (the rows of the iterations before the start are not made
 * up: see complete). A metrics.csv with other columns is refused. */
maml_status maml_metrics_open(maml_metrics *m, const char *dir, int64_t start_iteration, char *err,
                              size_t err_sz);

/* Append one iteration's row to both files; elapsed = the run's training seconds so far. */
maml_status maml_metrics_write(maml_metrics *m, const maml_iter_metrics *it, double elapsed,
                               char *err, size_t err_sz);

void maml_metrics_close(maml_metrics *m); /* NULL-safe */

/* The CSV header line (no newline), for documentation and tests. */
const char *maml_metrics_csv_header(void);

/* "accepted", "no_improvement", "nonfinite" */
const char *maml_step_outcome_name(maml_step_outcome o);

#endif
