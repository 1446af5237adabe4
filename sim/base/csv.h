/* csv.h - the one CSV number cell: ",<value>", or "," (an empty cell) for NaN. */
#ifndef NS_CSV_H
#define NS_CSV_H
#include <stdio.h>

#define CSV_DIGITS 17       /* significant digits: every double reads back exactly */
#define CSV_TRACK_DIGITS 10 /* track.csv's (sim/train/track.c) */

/* ",%.<digits>g" of v, or "," for NaN (inf prints as "inf") */
void csv_num_digits(FILE *out, double v, int digits);
/* csv_num_digits(out, v, CSV_DIGITS) */
void csv_num(FILE *out, double v);
/* a CSV text field (no leading comma), quoted when it holds a comma, a quote or a newline */
void csv_str(FILE *out, const char *s);

#endif
