/* Drawing with gnuplot (Debian's gnuplot-nox) on a pipe: a PNG, then the same plot as SVG.
 * Shared by the evaluation plots (plot.c) and the training curves (plot_curves.c). */
#ifndef MAML_CMD_GNUPLOT_H
#define MAML_CMD_GNUPLOT_H

#include <stddef.h>
#include <stdio.h>

/* gnuplot started on a pipe, drawing into DIR/NAME.png (base receives DIR/NAME for
 * gnuplot_close), or NULL after a message prefixed by who; its own messages go to stderr */
FILE *gnuplot_begin(const char *dir, const char *name, const char *who, char *base, size_t n);

/* Finish the script: the same plot again as BASE.svg. 0 when gnuplot succeeded, else 1
 * after a message (gnuplot missing: how to install it). */
int gnuplot_close(FILE *p, const char *base, const char *who);

/* 1 when text fits in gnuplot's quotes (no quote, double quote or newline), else 0 after
 * a message */
int gnuplot_quotable(const char *text, const char *who);

#endif
