/* sweep_summary.c - the sweep by scheme: cells, failures, verdict counts, the worst |cos|
 * between the predicted kernel and the measured bottom direction, and the range of the
 * floor lambda_min / lambda_max; on stdout (table | csv | json), as DIR/summary.csv, and
 * as a figure (plots/sweep.gp: the floor of every cell, by scheme). */
#include "sim/sweep/sweep.h"
#include "sim/base/atomic_file.h"
#include "sim/base/csv.h"
#include "sim/base/json_util.h"
#include "sim/diag/diag_report.h"
#include "sim/plot/gnuplot.h"
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const verdicts[] = {"PRESENT", "ABSENT", "MISMATCH", "UNDETERMINED", "NO_PREDICTION"};
#define N_VERDICTS 5

typedef struct {
    char scheme[64];
    long cells, failed, verdict[N_VERDICTS + 1]; /* the last: any other */
    double worst_cos, floor_lo, floor_hi;        /* NaN: none measured */
} group;

/* the scheme of a cell: its norm axis, else the norm its result names, else "all" */
static void scheme_of(const sweep_grid *g, long c, const cJSON *res, char *out, size_t n)
{
    for (int a = 0; a < g->n_axes; a++)
        if (strcmp(g->axes[a].key, "norm") == 0) {
            snprintf(out, n, "%s", sweep_cell_value(g, c, a));
            return;
        }
    const char *norm = cfg_str(res, "norm");
    snprintf(out, n, "%s", norm ? norm : "all");
}

static group *find_group(group *gs, int *n, const char *scheme)
{
    for (int i = 0; i < *n; i++)
        if (strcmp(gs[i].scheme, scheme) == 0)
            return &gs[i];
    group *g = &gs[(*n)++];
    memset(g, 0, sizeof *g);
    snprintf(g->scheme, sizeof g->scheme, "%s", scheme);
    g->worst_cos = g->floor_lo = g->floor_hi = NAN;
    return g;
}

/* the floor of a result: lambda_min / lambda_max (NaN when not reported) */
static double floor_of(const cJSON *res)
{
    double lo, hi;
    if (!cfg_num(res, "lambda_min", &lo) || !cfg_num(res, "lambda_max", &hi) || !(hi > 0))
        return NAN;
    return lo / hi;
}

static void add_cell(group *gr, const cJSON *rec, const cJSON *res)
{
    gr->cells++;
    if (!sweep_record_ok(rec)) {
        gr->failed++;
        return;
    }
    const char *v = cfg_str(res, "verdict");
    int i = 0;
    while (v && i < N_VERDICTS && strcmp(v, verdicts[i]) != 0)
        i++;
    if (v)
        gr->verdict[i]++;
    double cs, k, fl = floor_of(res);
    if (cfg_num(res, "cos", &cs) && cfg_num(res, "predicted_k", &k) && k >= 1 && isfinite(cs))
        gr->worst_cos = isnan(gr->worst_cos) ? cs : fmin(gr->worst_cos, cs);
    if (isfinite(fl)) {
        gr->floor_lo = isnan(gr->floor_lo) ? fl : fmin(gr->floor_lo, fl);
        gr->floor_hi = isnan(gr->floor_hi) ? fl : fmax(gr->floor_hi, fl);
    }
}

static void write_csv(FILE *f, const group *gs, int n)
{
    fputs("scheme,cells,failed", f);
    for (int v = 0; v < N_VERDICTS; v++)
        fprintf(f, ",%s", verdicts[v]);
    fputs(",other,worst_cos,floor_min,floor_max\n", f);
    for (int i = 0; i < n; i++) {
        csv_str(f, gs[i].scheme);
        fprintf(f, ",%ld,%ld", gs[i].cells, gs[i].failed);
        for (int v = 0; v <= N_VERDICTS; v++)
            fprintf(f, ",%ld", gs[i].verdict[v]);
        csv_num(f, gs[i].worst_cos);
        csv_num(f, gs[i].floor_lo);
        csv_num(f, gs[i].floor_hi);
        fputc('\n', f);
    }
}

static void write_table(FILE *f, const group *gs, int n)
{
    fprintf(f, "%-20s %6s %6s %8s %7s %9s %6s %12s  %s\n", "scheme", "cells", "failed", "PRESENT", "ABSENT",
            "MISMATCH", "UNDET", "worst|cos|", "floor lambda_min/lambda_max");
    for (int i = 0; i < n; i++) {
        const group *g = &gs[i];
        char cosbuf[32] = "-", fl[64] = "-";
        if (!isnan(g->worst_cos))
            snprintf(cosbuf, sizeof cosbuf, "%.9f", g->worst_cos);
        if (!isnan(g->floor_lo))
            snprintf(fl, sizeof fl, "%.2e .. %.2e", g->floor_lo, g->floor_hi);
        fprintf(f, "%-20s %6ld %6ld %8ld %7ld %9ld %6ld %12s  %s\n", g->scheme, g->cells, g->failed,
                g->verdict[0], g->verdict[1], g->verdict[2], g->verdict[3], cosbuf, fl);
    }
}

static int write_json(FILE *f, const group *gs, int n, ns_err *e)
{
    cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "schemes");
    for (int i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject(), *vc = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "scheme", gs[i].scheme);
        cJSON_AddNumberToObject(o, "cells", (double)gs[i].cells);
        cJSON_AddNumberToObject(o, "failed", (double)gs[i].failed);
        for (int v = 0; v < N_VERDICTS; v++)
            cJSON_AddNumberToObject(vc, verdicts[v], (double)gs[i].verdict[v]);
        cJSON_AddNumberToObject(vc, "other", (double)gs[i].verdict[N_VERDICTS]);
        cJSON_AddItemToObject(o, "verdicts", vc);
        cJSON_AddItemToObject(o, "worst_cos", json_num_or_null(gs[i].worst_cos));
        cJSON_AddItemToObject(o, "floor_min", json_num_or_null(gs[i].floor_lo));
        cJSON_AddItemToObject(o, "floor_max", json_num_or_null(gs[i].floor_hi));
        cJSON_AddItemToArray(arr, o);
    }
    return json_write(f, root, e);
}

/* DIR/floor.csv (cell, scheme index, scheme, floor) and the figure from it */
static void figure(const char *dir, const sweep_grid *g, cJSON **recs, group *gs, int n)
{
    char path[PATH_MAX + 32], script[PATH_MAX], vars[3 * PATH_MAX];
    atomic_file a;
    ns_err ignore;
    snprintf(path, sizeof path, "%s/floor.csv", dir);
    if (atomic_open(&a, path, &ignore))
        return;
    fputs("cell,scheme_index,scheme,floor\n", a.f);
    int finite = 0;
    for (long c = 0; c < g->n_cells; c++) {
        const cJSON *res = recs[c] ? cJSON_GetObjectItemCaseSensitive(recs[c], "result") : NULL;
        char scheme[64];
        scheme_of(g, c, res, scheme, sizeof scheme);
        fprintf(a.f, "%ld,%d,", c, (int)(find_group(gs, &n, scheme) - gs));
        csv_str(a.f, scheme);
        double fl = res ? floor_of(res) : NAN;
        finite += isfinite(fl) && fl != 0.0;
        csv_num(a.f, fl);
        fputc('\n', a.f);
    }
    if (atomic_commit(&a, &ignore) || !finite) /* nothing to draw (e.g. fisher cells) */
        return;
    const char *gp = gnuplot_program();
    if (!gnuplot_found(gp) || !gnuplot_find_script("sweep.gp", script, sizeof script) || strchr(dir, '\'')) {
        fprintf(stderr, "normsim: notice: gnuplot or plots/sweep.gp not found (or a quote in --out): "
                "wrote the data, no figure\n");
        return;
    }
    char names[2048] = "";
    for (int i = 0; i < n; i++) { /* words for gnuplot's word(): no quotes, no spaces */
        size_t at = strlen(names);
        snprintf(names + at, sizeof names - at, "%s%s", i ? " " : "", gs[i].scheme);
        for (char *p = names + at + (i ? 1 : 0); *p; p++)
            *p = *p == '\'' || *p == '\\' || *p == ' ' ? '_' : *p;
    }
    snprintf(vars, sizeof vars, "data='%s/floor.csv'; nschemes=%d; names='%s'", dir, n, names);
    snprintf(path, sizeof path, "%s/sweep", dir);
    if (gnuplot_figure(script, vars, path) != 0)
        fprintf(stderr, "normsim: notice: gnuplot failed on the sweep figure (see its messages above)\n");
}

int sweep_write_summary(FILE *out, int fmt, const char *dir, const sweep_grid *g, ns_err *e)
{
    cJSON **recs = calloc((size_t)g->n_cells, sizeof *recs);
    group *gs = calloc((size_t)g->n_cells, sizeof *gs);
    int n = 0, rc = NS_OK;
    char path[PATH_MAX + 32];
    if (!recs || !gs)
        rc = ns_fail(e, NS_ERUN, "out of memory");
    for (long c = 0; !rc && c < g->n_cells; c++) {
        recs[c] = sweep_record_load(dir, g, c);
        const cJSON *res = recs[c] ? cJSON_GetObjectItemCaseSensitive(recs[c], "result") : NULL;
        char scheme[64];
        scheme_of(g, c, res, scheme, sizeof scheme);
        add_cell(find_group(gs, &n, scheme), recs[c], res);
    }
    atomic_file a;
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    if (!rc && !(rc = atomic_open(&a, path, e))) {
        write_csv(a.f, gs, n);
        rc = atomic_commit(&a, e);
    }
    if (!rc)
        figure(dir, g, recs, gs, n);
    if (!rc)
        rc = fmt == FORMAT_JSON ? write_json(out, gs, n, e) : NS_OK;
    if (!rc && fmt == FORMAT_CSV)
        write_csv(out, gs, n);
    if (!rc && fmt == FORMAT_TABLE)
        write_table(out, gs, n);
    for (long c = 0; recs && c < g->n_cells; c++)
        cJSON_Delete(recs[c]);
    free(recs);
    free(gs);
    return rc;
}
