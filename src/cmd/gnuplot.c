/* Drawing with gnuplot on a pipe (gnuplot.h). */
#include "gnuplot.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

int gnuplot_close(FILE *p, const char *base, const char *who) {
  fprintf(p, "set terminal svg size 960,600 font ',11'\nset output '%s.svg'\nreplot\n", base);
  int status = pclose(p);
  if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 127)
    fprintf(stderr, "%s: gnuplot is not installed (apt-get install gnuplot-nox): no plot\n", who);
  else
    fprintf(stderr, "%s: gnuplot failed: no plot\n", who);
  return 1;
}

FILE *gnuplot_begin(const char *dir, const char *name, const char *who, char *base, size_t n) {
  FILE *p = popen("gnuplot", "w");
  if (!p) {
    fprintf(stderr, "%s: cannot run gnuplot\n", who);
    return NULL;
  }
  snprintf(base, n, "%s/%s", dir, name);
  fprintf(p, "set terminal pngcairo size 960,600 font ',11'\nset output '%s.png'\n", base);
  /* eight colours that stay apart on white, none as faint as gnuplot's yellow */
  static const char *const colours[] = {"#0072b2", "#d55e00", "#009e73", "#cc79a7",
                                        "#56b4e9", "#e69f00", "#000000", "#999999"};
  for (int k = 0; k < 8; k++)
    fprintf(p, "set linetype %d lc rgb '%s' lw 2 pt %d\n", k + 1, colours[k], k + 1);
  fprintf(p, "set linetype cycle 8\n");
  return p;
}

int gnuplot_quotable(const char *text, const char *who) {
  if (strchr(text, '\'') || strchr(text, '"') || strchr(text, '\n')) {
    fprintf(stderr, "%s: cannot plot with a quote or newline in '%s'\n", who, text);
    return 0;
  }
  return 1;
}
