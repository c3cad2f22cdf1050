/* What `maml eval`'s tables, files and groups of runs share (eval_common.h). */
#include "eval_common.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* 1 to NAME_LEN letters, digits and - _ . +: a CSV field and a JSON string as it is */
int eval_valid_name(const char *s) {
  size_t n = strlen(s);
  if (n < 1 || n > NAME_LEN) return 0;
  for (; *s; s++) {
    char c = *s;
    if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
        !strchr("-_.+", c))
      return 0;
  }
  return 1;
}

/* how many of the n goals diverged at step k or before */
int eval_diverged_by(const int *diverged, int n, int k) {
  int c = 0;
  for (int i = 0; i < n; i++) c += diverged[i] >= 0 && diverged[i] <= k;
  return c;
}

/* Mean and standard error of the finite numbers among x[0 .. n) (the goals that did not
 * diverge); returns how many they are (0: the mean is NaN). */
int eval_finite_mean(const double *x, int n, double *mean, double *se) {
  double s = 0, s2 = 0;
  int m = 0;
  for (int i = 0; i < n; i++)
    if (isfinite(x[i])) s += x[i], m++;
  *mean = m ? s / m : NAN;
  for (int i = 0; i < n; i++)
    if (isfinite(x[i])) s2 += (x[i] - *mean) * (x[i] - *mean);
  *se = m > 1 ? sqrt(s2 / (m - 1) / m) : 0.0;
  return m;
}

/* a number of the CSV files: empty when there is none */
void eval_csv_number(FILE *f, double x) {
  if (isfinite(x)) fprintf(f, "%.9g", x);
}

/* a CSV field, quoted when it holds a comma, a quote or a line break */
void eval_csv_text(FILE *f, const char *s) {
  if (!strpbrk(s, ",\"\r\n")) {
    fputs(s, f);
    return;
  }
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"') fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

/* a JSON number, null when not finite */
void eval_json_number(FILE *f, double x) {
  if (isfinite(x))
    fprintf(f, "%.9g", x);
  else
    fputs("null", f);
}

void eval_json_text(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c < 0x20)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
  fputc('"', f);
}

/* dir/name created for writing (its path in path); NULL after a message */
FILE *eval_create_in(const char *dir, const char *name, char *path, size_t n) {
  snprintf(path, n, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (!f) fprintf(stderr, "maml eval: cannot write %s: %s\n", path, strerror(errno));
  return f;
}

/* close f; 0 after a message if writing or closing it failed */
int eval_close_written(FILE *f, const char *path) {
  int ok = !ferror(f);
  ok &= fclose(f) == 0;
  if (!ok) fprintf(stderr, "maml eval: writing %s failed\n", path);
  return ok;
}

int eval_goals_outside(const maml_env_family *f, const double *goals, int n) {
  int outside = 0;
  for (int i = 0; i < n; i++)
    outside += maml_env_task_outside(f, goals + (size_t)i * MAML_TASK_MAX);
  return outside;
}
