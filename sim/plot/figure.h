/* figure.h - figures for the teaching demo (its steps are sim/cli/demo_steps.c).
 * Figures: drawn in the terminal by gnuplot (dumb terminal), written as PNG (pngcairo),
 * or, when gnuplot is missing or the terminal is narrower than 80 columns, printed as a
 * table of the same numbers after a one-line notice. gnuplot is NORMSIM_GNUPLOT if set
 * (a path or a command name), else "gnuplot" (sim/plot/gnuplot.h). Also: word-wrapped
 * narration. (A training run's track.csv is read by sim/train/track.h.) */
#ifndef NS_FIGURE_H
#define NS_FIGURE_H
#include <stdio.h>
#include "sim/base/err.h"

#define FIG_MAX_SERIES 6
#define FIG_MIN_COLUMNS 80 /* narrower terminals get tables */

typedef struct {
    const char *label;
    const double *x, *y; /* n points */
    int n;
} fig_series;

typedef struct {
    const char *name;   /* file stem of the PNG, e.g. "2-spectrum" */
    const char *title, *xlabel, *ylabel;
    int logy;           /* log-scale y axis (values must be > 0) */
    const char *key;    /* gnuplot key position, e.g. "center right" */
    const char *extra;  /* more gnuplot commands before the plot, or NULL */
    const char *under;  /* plot terms drawn first, under the series ("x title 'x' with
                           lines, "), or NULL */
    double xmin, xmax;  /* x range; equal: gnuplot's choice */
    int n_series;
    fig_series s[FIG_MAX_SERIES];
    int table_rows;     /* rows of the table fallback: the first rows-1 and the last */
} figure;

typedef struct {
    char gnuplot[1024]; /* NORMSIM_GNUPLOT or "gnuplot" */
    int have_gnuplot;   /* found by `command -v` */
    int columns;        /* terminal width */
    const char *png_dir;/* NULL: no PNGs */
    int noticed;        /* the one-line notice has been printed */
} fig_ctx;

/* Width of the terminal: COLUMNS if set to a number, else TIOCGWINSZ on stdout, else 80. */
int term_columns(void);
/* Find gnuplot and the terminal width; with png_dir, create it if missing (NS_EUSAGE if
 * it cannot be) and require gnuplot (NS_ERUN if missing). */
int fig_ctx_init(fig_ctx *c, const char *png_dir, ns_err *e);
/* Draw f on out: a plot, or a table (with a notice saying why, the first time). */
void fig_show(fig_ctx *c, const figure *f, FILE *out);
/* Write f as <png_dir>/<name>.png: rendered to a temporary name, then renamed. */
int fig_png(const fig_ctx *c, const figure *f, ns_err *e);

/* text on out line by line, each with a two-space indent, then a blank line */
void demo_para(FILE *out, const char *text);
/* printf-style prose on out, word-wrapped before column 79 with a two-space indent, then
 * a blank line; '~' prints as a space that does not break */
void demo_say(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
