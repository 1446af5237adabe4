/* figure.c - the teaching demo's library part: figures (gnuplot in the terminal or as PNG,
 * or a table) and word-wrapped narration. */
#include "sim/plot/figure.h"
#include "sim/plot/gnuplot.h"
#include "sim/base/atomic_file.h"
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define PLOT_ROWS 22
#define PLOT_MAX_COLUMNS 100

int term_columns(void)
{
    const char *s = getenv("COLUMNS");
    if (s && *s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (*end == '\0' && v > 0 && v < 100000)
            return (int)v;
    }
    struct winsize w;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 0)
        return w.ws_col;
    return 80;
}

static int prepare_png_dir(const char *dir, ns_err *e)
{
    struct stat st;
    if (stat(dir, &st) != 0 && mkdir(dir, 0777) != 0)
        return ns_fail(e, NS_EUSAGE, "--png: cannot create %s: %s", dir, strerror(errno));
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return ns_fail(e, NS_EUSAGE, "--png: %s is not a folder", dir);
    if (access(dir, W_OK) != 0)
        return ns_fail(e, NS_EUSAGE, "--png: cannot write to %s: %s", dir, strerror(errno));
    return NS_OK;
}

int fig_ctx_init(fig_ctx *c, const char *png_dir, ns_err *e)
{
    memset(c, 0, sizeof *c);
    snprintf(c->gnuplot, sizeof c->gnuplot, "%s", gnuplot_program());
    c->have_gnuplot = gnuplot_found(c->gnuplot);
    c->columns = term_columns();
    c->png_dir = png_dir;
    if (!png_dir)
        return NS_OK;
    if (!c->have_gnuplot)
        return ns_fail(e, NS_ERUN, "--png needs gnuplot: '%s' not found (install gnuplot, or set "
                       "NORMSIM_GNUPLOT)", c->gnuplot);
    return prepare_png_dir(png_dir, e);
}

/* a gnuplot string literal: '...' with '' for ' */
static void gp_string(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; s && *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

static void gp_set(FILE *f, const char *what, const char *s)
{
    fprintf(f, "set %s ", what);
    gp_string(f, s);
    fputc('\n', f);
}

/* the script of f, for the dumb terminal (png_path NULL) or pngcairo */
static void write_script(FILE *f, const figure *fig, const char *png_path, int width)
{
    static const char *chars[FIG_MAX_SERIES] = {"o", "x", "#", "@", "*", "%"};
    static const int pts[FIG_MAX_SERIES] = {7, 2, 5, 1, 3, 9};
    if (png_path) {
        fputs("set terminal pngcairo size 960,600 noenhanced font ',12'\n", f);
        gp_set(f, "output", png_path);
    } else
        fprintf(f, "set terminal dumb size %d,%d mono noenhanced nofeed\n", width, PLOT_ROWS);
    gp_set(f, "title", fig->title);
    gp_set(f, "xlabel", fig->xlabel);
    gp_set(f, "ylabel", fig->ylabel);
    fputs("set border 3\nset tics nomirror\nset mxtics 1\nset mytics 1\n", f);
    if (fig->logy)
        fputs("set logscale y\nset format y '1e%T'\n", f);
    fprintf(f, "set key %s\n", fig->key ? fig->key : "center right");
    if (fig->xmin < fig->xmax)
        fprintf(f, "set xrange [%.17g:%.17g]\n", fig->xmin, fig->xmax);
    if (fig->extra)
        fprintf(f, "%s\n", fig->extra);
    for (int s = 0; s < fig->n_series; s++) {
        fprintf(f, "$s%d << EOD\n", s);
        for (int i = 0; i < fig->s[s].n; i++)
            if (!fig->logy || fig->s[s].y[i] > 0)
                fprintf(f, "%.17g %.17g\n", fig->s[s].x[i], fig->s[s].y[i]);
        fputs("EOD\n", f);
    }
    fprintf(f, "plot %s", fig->under ? fig->under : "");
    for (int s = 0; s < fig->n_series; s++) {
        fprintf(f, "%s$s%d using 1:2 with points ", s ? ", " : "", s);
        if (png_path)
            fprintf(f, "pt %d ps 1.3 ", pts[s]);
        else
            fprintf(f, "pt '%s' ", chars[s]);
        fputs("title ", f);
        gp_string(f, fig->s[s].label);
    }
    fputc('\n', f);
}

/* Run gnuplot on the script of fig (its messages discarded); its stdout in *out (malloc'd,
 * or NULL). Returns the exit status (-1: could not run). */
static int run_gnuplot(const fig_ctx *c, const figure *fig, const char *png_path, int width,
                       char **out)
{
    *out = NULL;
    const char *tmpdir = getenv("TMPDIR");
    char script[4096];
    snprintf(script, sizeof script, "%s/normsim-fig-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    int fd = mkstemp(script);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(script);
        return -1;
    }
    write_script(f, fig, png_path, width);
    if (fclose(f) != 0) {
        unlink(script);
        return -1;
    }
    const char *args[] = {script, NULL};
    int st = gnuplot_run(c->gnuplot, args, out, 1);
    unlink(script);
    return st;
}

/* the plot text without form feeds, trailing blanks and leading/trailing empty lines */
static void print_plot(FILE *out, const char *txt)
{
    int pending = 0, started = 0;
    while (*txt) {
        const char *nl = strchr(txt, '\n');
        size_t n = nl ? (size_t)(nl - txt) : strlen(txt);
        const char *a = txt;
        while (n && *a == '\f')
            a++, n--;
        while (n && (a[n - 1] == ' ' || a[n - 1] == '\r' || a[n - 1] == '\f'))
            n--;
        if (n == 0) {
            pending += started;
        } else {
            for (; pending > 0; pending--)
                fputc('\n', out);
            fprintf(out, "%.*s\n", (int)n, a);
            started = 1;
        }
        txt = nl ? nl + 1 : txt + strlen(txt);
    }
}

static int same_x(const figure *f)
{
    for (int s = 1; s < f->n_series; s++) {
        if (f->s[s].n != f->s[0].n)
            return 0;
        for (int i = 0; i < f->s[0].n; i++)
            if (f->s[s].x[i] != f->s[0].x[i])
                return 0;
    }
    return 1;
}

static int col_width(const char *label) { int n = (int)strlen(label) + 2; return n < 11 ? 11 : n; }

static void table_cell(FILE *out, double v, int logy, int w)
{
    fprintf(out, logy ? "%*.3e" : "%*.6f", w, v);
}

/* rows to show of n: all, or the first rows-1, "...", the last */
static int row_shown(int i, int n, int rows) { return n <= rows || i < rows - 1 || i == n - 1; }

static void print_table(FILE *out, const figure *f)
{
    int rows = f->table_rows > 1 ? f->table_rows : 12;
    fprintf(out, "  %s\n", f->title);
    int joint = same_x(f);
    for (int s0 = 0; s0 < f->n_series; s0 += joint ? f->n_series : 1) {
        int s1 = joint ? f->n_series : s0 + 1, wx = col_width(f->xlabel);
        fprintf(out, "  %*s", wx, f->xlabel);
        for (int s = s0; s < s1; s++)
            fprintf(out, "%*s", col_width(f->s[s].label), f->s[s].label);
        fputc('\n', out);
        int n = f->s[s0].n;
        for (int i = 0; i < n; i++) {
            if (!row_shown(i, n, rows)) {
                if (i == rows - 1)
                    fprintf(out, "  %*s\n", wx, "...");
                continue;
            }
            fprintf(out, "  %*g", wx, f->s[s0].x[i]);
            for (int s = s0; s < s1; s++)
                table_cell(out, f->s[s].y[i], f->logy, col_width(f->s[s].label));
            fputc('\n', out);
        }
    }
}

static void notice_once(fig_ctx *c, FILE *out)
{
    if (c->noticed)
        return;
    c->noticed = 1;
    if (!c->have_gnuplot)
        fprintf(out, "notice: gnuplot not found ('%s'): figures shown as tables\n", c->gnuplot);
    else
        fprintf(out, "notice: the terminal is %d columns wide (plots need %d): figures shown as "
                "tables\n", c->columns, FIG_MIN_COLUMNS);
}

void fig_show(fig_ctx *c, const figure *f, FILE *out)
{
    if (!c->have_gnuplot || c->columns < FIG_MIN_COLUMNS) {
        notice_once(c, out);
        print_table(out, f);
        return;
    }
    int width = c->columns < PLOT_MAX_COLUMNS ? c->columns : PLOT_MAX_COLUMNS;
    char *txt;
    int st = run_gnuplot(c, f, NULL, width, &txt);
    if (st == 0 && txt && *txt)
        print_plot(out, txt);
    else {
        if (st < 0)
            fprintf(out, "notice: gnuplot could not be run for this figure: shown as a table\n");
        else
            fprintf(out, "notice: gnuplot failed on this figure (exit status %d): shown as a table\n", st);
        print_table(out, f);
    }
    free(txt);
}

int fig_png(const fig_ctx *c, const figure *f, ns_err *e)
{
    char path[4096], *txt;
    atomic_file a;
    snprintf(path, sizeof path, "%s/%s.png", c->png_dir, f->name);
    int rc = atomic_reserve(&a, path, e);
    if (rc)
        return rc;
    int st = run_gnuplot(c, f, a.tmp, 0, &txt);
    free(txt);
    struct stat sb;
    if (st != 0 || stat(a.tmp, &sb) != 0 || sb.st_size == 0) {
        atomic_abort(&a);
        return ns_fail(e, NS_ERUN, "gnuplot could not write %s (exit status %d)", path, st);
    }
    return atomic_commit(&a, e);
}

/* ---- narration ---- */

void demo_para(FILE *out, const char *text)
{
    while (*text) {
        const char *nl = strchr(text, '\n');
        int n = nl ? (int)(nl - text) : (int)strlen(text);
        fprintf(out, n ? "  %.*s\n" : "\n", n, text);
        text += n + (nl != NULL);
    }
    fputc('\n', out);
}

void demo_say(FILE *out, const char *fmt, ...)
{
    char buf[4096], *save = NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    int col = 0;
    for (char *w = strtok_r(buf, " \n", &save); w; w = strtok_r(NULL, " \n", &save)) {
        if (col && col + 1 + (int)strlen(w) > 78) {
            fputc('\n', out);
            col = 0;
        }
        for (char *t = w; *t; t++)
            *t = *t == '~' ? ' ' : *t;
        col += fprintf(out, col ? " %s" : "  %s", w);
    }
    fputs("\n\n", out);
}
