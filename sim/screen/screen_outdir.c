/* screen_files.c - `normsim screen --out DIR`: the report as files (summary.csv,
 * measurements.csv, screen.json), each scheme's spectra (CSV) and gnuplot figures
 * (plots/screen.gp per scheme, plots/screen_all.gp for a comparison). Every file is
 * written to <name>.tmp and renamed, and the folder is filled as DIR.tmp-XXXXXX and renamed
 * to DIR when complete (sim/base/out_path.h), so nothing is ever half-written. */
#include "sim/screen/screen.h"
#include "sim/diag/diag_report.h"
#include "sim/base/atomic_file.h"
#include "sim/base/out_path.h"
#include "sim/base/csv.h"
#include "sim/plot/gnuplot.h"
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

typedef int (*file_writer)(FILE *f, const screen_result *rs, int n, ns_err *e);

static int write_atomic(const char *path, file_writer w, const screen_result *rs, int n, ns_err *e)
{
    atomic_file a;
    int rc = atomic_open(&a, path, e);
    if (rc)
        return rc;
    if ((rc = w(a.f, rs, n, e))) {
        atomic_abort(&a);
        return rc;
    }
    return atomic_commit(&a, e);
}

static int w_summary(FILE *f, const screen_result *rs, int n, ns_err *e) { return screen_write(f, FORMAT_CSV, rs, n, e); }
static int w_json(FILE *f, const screen_result *rs, int n, ns_err *e) { return screen_write(f, FORMAT_JSON, rs, n, e); }
static int w_table(FILE *f, const screen_result *rs, int n, ns_err *e) { return screen_write(f, FORMAT_TABLE, rs, n, e); }
static int w_measure(FILE *f, const screen_result *rs, int n, ns_err *e)
{
    (void)e;
    screen_write_measurements(f, rs, n);
    return NS_OK;
}

/* lambda_i / lambda_max, one column per spectrum: random params on each input, each
 * model's final.out, init params on each input, zero-gain on each input */
static int w_spectra(FILE *f, const screen_result *rs, int n, ns_err *e)
{
    (void)n;
    (void)e;
    const screen_result *r = rs;
    const int d = r->cfg.d, order[] = {SCREEN_RANDOM, SCREEN_INIT, SCREEN_ZERO_GAIN};
    fputs("index", f);
    for (int i = 0; i < SCREEN_N_INPUTS; i++)
        fprintf(f, ",random.%s", screen_input_name(i));
    for (int a = 0; a < r->n_arch; a++)
        fprintf(f, ",model.%s", r->arch[a].arch);
    for (int s = 1; s < 3; s++)
        for (int i = 0; i < SCREEN_N_INPUTS && r->alone[order[s]][i].eig; i++)
            fprintf(f, ",%s.%s", screen_setting_name(order[s]), screen_input_name(i));
    fputc('\n', f);
    for (int j = 0; j < d; j++) {
        fprintf(f, "%d", j + 1);
        for (int s = 0; s < 3; s++) {
            for (int i = 0; i < SCREEN_N_INPUTS && r->alone[order[s]][i].eig; i++) {
                const double *w = r->alone[order[s]][i].eig;
                csv_num(f, w[d - 1] > 0 ? w[j] / w[d - 1] : 0.0);
            }
            for (int a = 0; s == 0 && a < r->n_arch; a++) {
                const diag_report *m = &r->arch[a].r;
                csv_num(f, m->lam_max > 0 && j < m->d ? m->eig[j] / m->lam_max : 0.0);
            }
        }
        fputc('\n', f);
    }
    return NS_OK;
}

/* the scheme's spec as a file-name part: anything but [A-Za-z0-9._-] becomes '_' */
static void safe_name(char *out, size_t n, const char *spec)
{
    size_t i = 0;
    for (; spec[i] && i + 1 < n; i++) {
        char c = spec[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '-' || c == '_';
        out[i] = ok ? c : '_';
    }
    out[i] = '\0';
}

/* ---- gnuplot ---- */

/* every figure; prints one notice on stderr for whatever could not be drawn */
static void figures(const char *dir, const screen_result *rs, int n)
{
    char one[PATH_MAX], all[PATH_MAX], vars[3 * PATH_MAX], name[80], out[PATH_MAX + 96];
    const char *gp = gnuplot_program();
    if (!gnuplot_found(gp)) {
        if (strcmp(gp, GNUPLOT_DEFAULT) == 0)
            fprintf(stderr, "normsim: notice: gnuplot not found on PATH: wrote the data, no figures\n");
        else
            fprintf(stderr, "normsim: notice: gnuplot not found ('%s', from NORMSIM_GNUPLOT): wrote the "
                    "data, no figures\n", gp);
        return;
    }
    if (!gnuplot_find_script("screen.gp", one, sizeof one) || !gnuplot_find_script("screen_all.gp", all, sizeof all)) {
        fprintf(stderr, "normsim: notice: plots/screen.gp or plots/screen_all.gp not found (set "
                "NORMSIM_PLOTS): wrote the data, no figures\n");
        return;
    }
    if (strchr(dir, '\'')) {
        fprintf(stderr, "normsim: notice: the --out path holds a quote: no figures\n");
        return;
    }
    int failed = 0;
    for (int j = 0; j < n; j++) {
        char title[64];
        snprintf(title, sizeof title, "%s", rs[j].spec);
        for (char *c = title; *c; c++)
            *c = *c == '\'' || *c == '\\' ? '_' : *c;
        safe_name(name, sizeof name, rs[j].spec);
        snprintf(vars, sizeof vars, "data='%s/spectra_%s.csv'; name='%s'; thr=%g; narch=%d; zero=%d",
                 dir, name, title, rs[j].threshold, rs[j].n_arch, rs[j].alone[SCREEN_ZERO_GAIN][0].eig != NULL);
        snprintf(out, sizeof out, "%s/spectra_%s", dir, name);
        failed += gnuplot_figure(one, vars, out) != 0;
    }
    if (n > 1) {
        snprintf(vars, sizeof vars, "data='%s/summary.csv'; thr=%g", dir, rs[0].threshold);
        snprintf(out, sizeof out, "%s/summary", dir);
        failed += gnuplot_figure(all, vars, out) != 0;
    }
    if (failed)
        fprintf(stderr, "normsim: notice: gnuplot failed on %d figure%s (see its messages above)\n",
                failed, failed > 1 ? "s" : "");
}

/* every file into dir (an empty folder) */
static int write_files(const char *dir, const screen_result *rs, int n, ns_err *e)
{
    char path[PATH_MAX], name[80];
    int rc = NS_OK;
    static const struct { const char *file; file_writer w; } files[] = {
        {"summary.csv", w_summary}, {"measurements.csv", w_measure},
        {"screen.json", w_json}, {"screen.txt", w_table},
    };
    for (size_t i = 0; !rc && i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i].file);
        rc = write_atomic(path, files[i].w, rs, n, e);
    }
    for (int j = 0; !rc && j < n; j++) {
        safe_name(name, sizeof name, rs[j].spec);
        snprintf(path, sizeof path, "%s/spectra_%s.csv", dir, name);
        rc = write_atomic(path, w_spectra, &rs[j], 1, e);
    }
    if (!rc)
        figures(dir, rs, n);
    return rc;
}

int screen_write_dir(const char *dir, const screen_result *rs, int n, ns_err *e)
{
    if (strlen(dir) > PATH_MAX - 128)
        return ns_fail(e, NS_EUSAGE, "--out path too long");
    atomic_dir out;
    int rc = atomic_dir_begin(&out, dir, "--out", e);
    if (!rc && (rc = write_files(out.tmp, rs, n, e)))
        atomic_dir_abort(&out);
    return rc ? rc : atomic_dir_commit(&out, e);
}
