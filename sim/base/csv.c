/* csv.c - CSV number cells (see csv.h). */
#include "sim/base/csv.h"
#include <math.h>
#include <string.h>

/* ",%.<digits>g" of v; "," for NaN */
void csv_num_digits(FILE *out, double v, int digits)
{
    if (isnan(v))
        fputc(',', out);
    else
        fprintf(out, ",%.*g", digits, v);
}

void csv_num(FILE *out, double v) { csv_num_digits(out, v, CSV_DIGITS); }

/* a CSV field, quoted when it holds a comma, a quote or a newline */
void csv_str(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}
