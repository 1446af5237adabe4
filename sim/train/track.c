/* track.c - track.csv: header, rows, truncation on resume, and reading it back. */
#include "sim/train/track.h"
#include "sim/base/atomic_file.h"
#include "sim/base/csv.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- writing ---- */

void track_write_header(FILE *f, int layers)
{
    fputs("step,lr,train_loss,val_loss,precision,tokens,predicted_k,cos,cos_ones,rayleigh_rel,dead", f);
    for (int i = 0; i < 8; i++)
        fprintf(f, ",eig%d_rel", i);
    for (int l = 0; l <= layers; l++)
        fprintf(f, ",sigma_min.%d", l);
    fputs(",g_min,g_max,g_logstd,verdict\n", f);
}

static void num(FILE *f, double v) { csv_num_digits(f, v, CSV_TRACK_DIGITS); }

/* eig<k>_rel = lambda_k / lambda_max for the 8 smallest, sigma_min.<l> per layer */
void track_write_row(FILE *f, const track_point *p, const diag_report *r)
{
    fprintf(f, "%ld", p->step);
    num(f, p->lr);
    num(f, p->train_loss);
    num(f, p->val_loss);
    fprintf(f, ",%s,%ld,%d", p->precision, r->tokens, r->predicted_k);
    num(f, r->cos);
    num(f, r->cos_ones);
    num(f, r->rayleigh_rel);
    fprintf(f, ",%d", r->dead);
    for (int k = 0; k < 8; k++)
        num(f, k < r->d ? r->eig[k] / r->lam_max : NAN);
    for (int l = 0; l <= r->layers; l++)
        num(f, r->sigma_min[l]);
    for (int k = 0; k < 3; k++)
        num(f, p->gain[k]);
    fprintf(f, ",%s\n", verdict_name(r->verdict));
}

int track_truncate(const char *path, long step, ns_err *e)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NS_OK;
    char line[65536];
    atomic_file a;
    int rc = atomic_open(&a, path, e);
    if (rc) {
        fclose(f);
        return rc;
    }
    for (int first = 1; fgets(line, sizeof line, f); first = 0)
        if (first || strtol(line, NULL, 10) <= step)
            fputs(line, a.f);
    fclose(f);
    return atomic_commit(&a, e);
}

/* ---- reading ---- */

/* column index of name in a CSV header, or -1 */
static int csv_col(const char *header, const char *name)
{
    int col = 0;
    size_t n = strlen(name);
    for (const char *s = header; s; s = strchr(s, ','), s = s ? s + 1 : NULL, col++)
        if (strncmp(s, name, n) == 0 && (s[n] == ',' || s[n] == '\n' || s[n] == '\r' || s[n] == '\0'))
            return col;
    return -1;
}

/* field col of a CSV line (the text up to the next comma), or "" */
static const char *csv_field(const char *line, int col)
{
    for (; col > 0 && line; col--)
        if ((line = strchr(line, ',')))
            line++;
    return line ? line : "";
}

int track_read(const char *path, const char *prec, track_series *t, ns_err *e)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return ns_fail(e, NS_ERUN, "cannot read %s: %s", path, strerror(errno));
    static const char *const names[] = {"step", "precision", "eig0_rel", "eig1_rel", "g_logstd"};
    char header[4096], line[4096];
    int c[5] = {-1, -1, -1, -1, -1}, have = 1;
    if (fgets(header, sizeof header, f))
        for (int i = 0; i < 5; i++)
            have &= (c[i] = csv_col(header, names[i])) >= 0;
    t->n = 0;
    size_t np = strlen(prec);
    while (have && t->n < TRACK_MAX_ROWS && fgets(line, sizeof line, f)) {
        const char *pr = csv_field(line, c[1]);
        if (strncmp(pr, prec, np) != 0 || pr[np] != ',')
            continue;
        t->step[t->n] = strtol(csv_field(line, c[0]), NULL, 10);
        t->eig0[t->n] = fabs(strtod(csv_field(line, c[2]), NULL));
        t->eig1[t->n] = strtod(csv_field(line, c[3]), NULL);
        t->logstd[t->n] = strtod(csv_field(line, c[4]), NULL);
        t->n++;
    }
    fclose(f);
    return t->n >= 2 ? NS_OK : ns_fail(e, NS_ERUN, "%s: fewer than 2 rows at %s", path, prec);
}

