/* track.h - a training run's track.csv (docs/formats.md): the writer (the training loop)
 * and the reader (the demo) of the one format, side by side. One row per tracked
 * precision every K steps; numbers with CSV_TRACK_DIGITS significant digits, NaN as an
 * empty cell. */
#ifndef NS_TRACK_H
#define NS_TRACK_H
#include <stdio.h>
#include "sim/base/err.h"
#include "sim/diag/diag.h"

/* what a row says besides the diagnostic */
typedef struct {
    long step;
    double lr, train_loss, val_loss; /* NaN: not known (step 0) */
    const char *precision;           /* "f64", "bf16", ... */
    double gain[3];                  /* min, max and std of log g of the final norm (NaN: none) */
} track_point;

/* the header line of a model of `layers` blocks */
void track_write_header(FILE *f, int layers);
/* one row: p and the diagnostic r of the probe set */
void track_write_row(FILE *f, const track_point *p, const diag_report *r);
/* Keep the header and the rows of steps <= step (a killed run may have written later
 * ones), atomically; a missing file is left missing. */
int track_truncate(const char *path, long step, ns_err *e);

#define TRACK_MAX_ROWS 64

/* one precision's rows of a track.csv */
typedef struct {
    int n;
    long step[TRACK_MAX_ROWS];
    double eig0[TRACK_MAX_ROWS];   /* |smallest eigenvalue| / lambda_max */
    double eig1[TRACK_MAX_ROWS];   /* second smallest / lambda_max */
    double logstd[TRACK_MAX_ROWS]; /* std of log g of the final norm */
} track_series;

/* Read the rows of precision prec ("f64", ...) from path; at least 2, else NS_ERUN. */
int track_read(const char *path, const char *prec, track_series *t, ns_err *e);

#endif
