#include "maml/metrics.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CSV_HEADER                                                                        \
  "iteration,pre_return,post_return,adaptation_gain,surr_before,surr_after,surr_gain,kl," \
  "ls_tries,cg_iters,outcome,grad_norm,step_norm,entropy,unstable,rejected_total,"        \
  "learner_gflop,sample_seconds,learn_seconds,iteration_seconds,elapsed_seconds"

const char *maml_metrics_csv_header(void) {
  return CSV_HEADER;
}

const char *maml_step_outcome_name(maml_step_outcome o) {
  switch (o) {
    case MAML_STEP_ACCEPTED: return "accepted";
    case MAML_STEP_NO_IMPROVEMENT: return "no_improvement";
    case MAML_STEP_NONFINITE: return "nonfinite";
  }
  return "unknown";
}

/* The iteration a row is about: CSV rows start with it, JSON lines with {"iteration":N. */
static int row_iteration(const char *line, int json, int64_t *it) {
  const char *p = line;
  if (json) {
    const char *key = "{\"iteration\":";
    if (strncmp(p, key, strlen(key)) != 0) return 0;
    p += strlen(key);
  }
  char *end;
  errno = 0;
  long long v = strtoll(p, &end, 10);
  if (end == p || errno) return 0;
  *it = v;
  return 1;
}

/* The outcome field (the 11th) of a CSV row is "accepted". */
static int row_accepted(const char *line) {
  const char *p = line;
  for (int field = 0; field < 10 && p; field++) {
    p = strchr(p, ',');
    if (p) p++;
  }
  return p && strncmp(p, "accepted,", 9) == 0;
}

/* What keep_rows_before found. */
typedef struct {
  int64_t rows, accepted;
  int in_order, header_restored;
} kept_rows;

/* Keep the rows of iterations before start, rewriting the file through a temporary file, an
 * fsync and a rename; a missing or empty CSV file gets its header back. A file that is not
 * ours is an error, not overwritten. */
static maml_status keep_rows_before(const char *path, int json, int64_t start, kept_rows *k,
                                    char *err, size_t err_sz) {
  memset(k, 0, sizeof *k);
  k->in_order = 1;
  struct stat s; /* a FIFO would block the open; a folder is no metrics file */
  if (stat(path, &s) == 0 && !S_ISREG(s.st_mode))
    return maml_fail(err, err_sz, MAML_ERR_IO, "%s: not a regular file", path);
  FILE *in = fopen(path, "r");
  if (!in && errno != ENOENT)
    return maml_fail(err, err_sz, MAML_ERR_IO, "%s: %s", path, strerror(errno));
  char tmp[4200];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
    if (in) fclose(in);
    return maml_fail(err, err_sz, MAML_ERR_ARG, "path too long: %s", path);
  }
  FILE *out = fopen(tmp, "w");
  if (!out) {
    if (in) fclose(in);
    return maml_fail(err, err_sz, MAML_ERR_IO, "%s: %s", tmp, strerror(errno));
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  int first = 1;
  maml_status st = MAML_OK;
  while (in && (len = getline(&line, &cap, in)) > 0) {
    if (!json && first) {
      first = 0;
      if (strncmp(line, CSV_HEADER, strlen(CSV_HEADER)) != 0) {
        st = maml_fail(err, err_sz, MAML_ERR_FORMAT,
                       "%s does not have this version's columns; move it away to resume", path);
        break;
      }
      fputs(line, out);
      continue;
    }
    int64_t it;
    if (!row_iteration(line, json, &it) || line[len - 1] != '\n')
      continue; /* a row cut short by a crash, or a stray line */
    if (it >= start) continue;
    fputs(line, out);
    k->in_order &= it == k->rows;
    k->rows++;
    if (!json) k->accepted += row_accepted(line);
  }
  free(line);
  if (in) fclose(in);
  if (st == MAML_OK && !json && first) {
    fprintf(out, "%s\n", CSV_HEADER);
    k->header_restored = 1;
  }
  if ((fflush(out) != 0 || fsync(fileno(out)) != 0) && st == MAML_OK)
    st = maml_fail(err, err_sz, MAML_ERR_IO, "%s: %s", tmp, strerror(errno));
  if (fclose(out) != 0 && st == MAML_OK)
    st = maml_fail(err, err_sz, MAML_ERR_IO, "%s: %s", tmp, strerror(errno));
  if (st == MAML_OK && rename(tmp, path) != 0)
    st = maml_fail(err, err_sz, MAML_ERR_IO, "%s: %s", path, strerror(errno));
  if (st != MAML_OK) remove(tmp);
  return st;
}

maml_status maml_metrics_open(maml_metrics *m, const char *dir, int64_t start_iteration, char *err,
                              size_t err_sz) {
  memset(m, 0, sizeof *m);
  char csv[4200], jsonl[4200];
  if (snprintf(csv, sizeof csv, "%s/metrics.csv", dir) >= (int)sizeof csv - 8 ||
      snprintf(jsonl, sizeof jsonl, "%s/metrics.jsonl", dir) >= (int)sizeof jsonl - 8)
    return maml_fail(err, err_sz, MAML_ERR_ARG, "run directory path too long: %s", dir);
  kept_rows kc, kj;
  maml_status st = keep_rows_before(csv, 0, start_iteration, &kc, err, err_sz);
  if (st == MAML_OK) st = keep_rows_before(jsonl, 1, start_iteration, &kj, err, err_sz);
  if (st != MAML_OK) return st;
  m->csv_rows = kc.rows, m->jsonl_rows = kj.rows, m->accepted = kc.accepted;
  m->complete =
      kc.in_order && kj.in_order && kc.rows == start_iteration && kj.rows == start_iteration;
  m->header_restored = kc.header_restored;
  m->csv = fopen(csv, "a");
  m->jsonl = fopen(jsonl, "a");
  if (!m->csv || !m->jsonl) {
    st = maml_fail(err, err_sz, MAML_ERR_IO, "%s: %s", m->csv ? jsonl : csv, strerror(errno));
    maml_metrics_close(m);
    return st;
  }
  return MAML_OK;
}

/* JSON has no NaN or Infinity: write null */
static void json_number(FILE *f, const char *key, double v) {
  if (isfinite(v))
    fprintf(f, ",\"%s\":%.9g", key, v);
  else
    fprintf(f, ",\"%s\":null", key);
}

maml_status maml_metrics_write(maml_metrics *m, const maml_iter_metrics *it, double elapsed,
                               char *err, size_t err_sz) {
  const maml_step_stats *s = &it->step;
  double gain = it->post_return - it->pre_return, surr_gain = s->surr_before - s->surr_after;
  fprintf(m->csv,
          "%lld,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%d,%d,%s,%.9g,%.9g,%.9g,%d,%lld,%.6g,%.4f,"
          "%.4f,%.4f,%.3f\n",
          (long long)it->iteration, it->pre_return, it->post_return, gain, s->surr_before,
          s->surr_after, surr_gain, s->kl, s->ls_tries, s->cg_iters,
          maml_step_outcome_name(s->outcome), s->grad_norm, s->step_norm, it->entropy, it->unstable,
          (long long)it->rejected_total, s->flops * 1e-9, it->sample_seconds, it->learn_seconds,
          it->seconds, elapsed);
  FILE *j = m->jsonl;
  fprintf(j, "{\"iteration\":%lld", (long long)it->iteration);
  json_number(j, "pre_return", it->pre_return);
  json_number(j, "post_return", it->post_return);
  json_number(j, "adaptation_gain", gain);
  json_number(j, "surr_before", s->surr_before);
  json_number(j, "surr_after", s->surr_after);
  json_number(j, "surr_gain", surr_gain);
  json_number(j, "kl", s->kl);
  fprintf(j, ",\"ls_tries\":%d,\"cg_iters\":%d,\"outcome\":\"%s\"", s->ls_tries, s->cg_iters,
          maml_step_outcome_name(s->outcome));
  json_number(j, "grad_norm", s->grad_norm);
  json_number(j, "step_norm", s->step_norm);
  json_number(j, "entropy", it->entropy);
  fprintf(j, ",\"unstable\":%d,\"rejected_total\":%lld,\"env_steps\":%lld", it->unstable,
          (long long)it->rejected_total, (long long)it->env_steps);
  json_number(j, "learner_gflop", s->flops * 1e-9);
  json_number(j, "sample_seconds", it->sample_seconds);
  json_number(j, "learn_seconds", it->learn_seconds);
  json_number(j, "iteration_seconds", it->seconds);
  json_number(j, "elapsed_seconds", elapsed);
  if (it->goals > 0) { /* a family whose goals repeat: the batch split by goal */
    fprintf(j, ",\"goals\":[");
    for (int g = 0; g < it->goals; g++) {
      fprintf(j, "%s{\"goal\":\"%s\",\"tasks\":%d", g ? "," : "", it->goal[g], it->goal_tasks[g]);
      json_number(j, "pre_return", it->goal_pre[g]);
      json_number(j, "post_return", it->goal_post[g]);
      fprintf(j, "}");
    }
    fprintf(j, "]");
  }
  if (it->step_sizes > 0) { /* learned step sizes: their spread */
    fprintf(j, ",\"step_size\":{\"count\":%zu", it->step_sizes);
    json_number(j, "min", it->step_size_min);
    json_number(j, "median", it->step_size_median);
    json_number(j, "max", it->step_size_max);
    fprintf(j, "}");
  }
  fprintf(j, "}\n");
  if (fflush(m->csv) != 0 || fflush(m->jsonl) != 0 || ferror(m->csv) || ferror(m->jsonl))
    return maml_fail(err, err_sz, MAML_ERR_IO, "writing the metrics files: %s", strerror(errno));
  return MAML_OK;
}

void maml_metrics_close(maml_metrics *m) {
  if (!m) return;
  if (m->csv) fclose(m->csv);
  if (m->jsonl) fclose(m->jsonl);
  m->csv = m->jsonl = NULL;
}
