/* cmd_demo.c - `normsim demo`: a narrated walk-through for a class. Each step prints a
 * paragraph, the exact normsim command it runs (built as an argv, parsed by the same
 * option parser and run through the same library calls as that command, so pasting it
 * reproduces the printed numbers), the result rows, and a figure (sim/plot/figure.h). This
 * file: the shared plumbing (sim/cli/demo.h) and the command; the steps: demo_steps.c. */
#include "sim/cli/commands.h"
#include "sim/cli/train_args.h"
#include "sim/cli/diagnose_args.h"
#include "sim/cli/model_opts.h"
#include "norms/registry.h"
#include "sim/data/inputs.h"
#include "sim/plot/figure.h"
#include "sim/diag/diag.h"
#include "sim/diag/diag_report.h"
#include "sim/train/train.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static const char demo_help[] =
    "usage: normsim demo [--seed N] [--no-pause] [--png DIR]\n"
    "\n"
    "A narrated walk-through for a class, in 6 steps: the algebra of LayerNorm's exact\n"
    "kernel (claim C1); a random gpt2 with one eigenvalue at the floating-point floor (C3);\n"
    "the kernel following g^-1 when the gains are random; RMSNorm, which has none; the floor\n"
    "moving with the storage precision (f64 to bf16); a short training run (C4). Each step\n"
    "prints a paragraph, the exact normsim command it runs (paste it to repeat it), its\n"
    "result and a figure drawn in the terminal by gnuplot; when gnuplot is missing or the\n"
    "terminal is narrower than 80 columns, a table of the same numbers after a one-line\n"
    "notice. The numbers depend only on the seed. docs/tutorial.md is the lesson on it.\n"
    "\n"
    "  --seed N      seed of every model and data stream (default 1)\n"
    "  --no-pause    run straight through (the default when stdin is not a terminal; on a\n"
    "                terminal the demo waits for Enter between steps, q quits)\n"
    "  --png DIR     also write each figure as DIR/<step>-<name>.png (pngcairo), for slides\n"
    "\n"
    "environment: NORMSIM_GNUPLOT (the gnuplot to run, default gnuplot), COLUMNS (width)\n";
#include "sim/cli/demo.h"

/* ---- narration ---- */

void demo_head(demo *d, int step, const char *title)
{
    if (d->interactive && !d->quit && step > 1) {
        /* on stdout, after the text it follows: with `demo | tee` a prompt on stderr
         * reached the terminal before tee had printed the step it ends */
        printf("\n-- Enter: step %d of %d, q: quit -- ", step, N_STEPS);
        fflush(stdout);
        char line[64];
        if (!fgets(line, sizeof line, stdin))
            d->interactive = 0;
        else if (line[0] == 'q' || line[0] == 'Q')
            d->quit = 1;
    }
    if (!d->quit)
        printf("== Step %d of %d: %s ==\n\n", step, N_STEPS, title);
}

/* ---- command lines: what is printed is what runs ---- */


void demo_cmd_add(cmdline *c, const char *opt, const char *val)
{
    if (c->argc + 2 < CMD_MAX_ARGS) {
        c->argv[c->argc++] = (char *)opt;
        if (val)
            c->argv[c->argc++] = (char *)val;
    }
}

/* the small gpt2 of steps 2-5 */
void demo_base_diagnose(cmdline *c)
{
    c->argc = 0;
    demo_cmd_add(c, "diagnose", NULL);
    demo_cmd_add(c, "--arch", "gpt2");
    demo_cmd_add(c, "--d", "64");
    demo_cmd_add(c, "--layers", "2");
    demo_cmd_add(c, "--tokens", "2048");
}

void demo_cmd_seed(const demo *d, cmdline *c)
{
    if (d->seed != 1)
        demo_cmd_add(c, "--seed", d->seed_arg);
}

/* "  $ normsim ARGS", wrapped with shell continuations before column 78 */
void demo_cmd_print(const cmdline *c)
{
    int col = printf("  $ normsim");
    for (int i = 0; i < c->argc; i++) {
        int opt = c->argv[i][0] == '-', len = (int)strlen(c->argv[i]);
        int need = len + 1 + (opt && i + 1 < c->argc && c->argv[i + 1][0] != '-'
                              ? (int)strlen(c->argv[i + 1]) + 1 : 0);
        if (col + need > 76) {
            printf(" \\\n     ");
            col = 5;
        }
        col += printf(" %s", c->argv[i]);
        if (opt && i + 1 < c->argc && c->argv[i + 1][0] != '-')
            col += printf(" %s", c->argv[++i]);
    }
    putchar('\n');
}

/* ---- diagnose, as `normsim diagnose` runs it ---- */


void diag_out_free(diag_out *o)
{
    for (int i = 0; i < o->n; i++)
        diag_report_free(&o->run[i].r);
    free(o->table);
    memset(o, 0, sizeof *o);
}

/* run a diagnose command line exactly as `normsim diagnose` does (its parser and its
 * run_one), without the progress bar; at most two norms; the table into o->table */
int demo_diagnose(const cmdline *c, diag_out *o, ns_err *e)
{
    diagnose_opts opts;
    memset(o, 0, sizeof *o);
    int rc = diagnose_args_parse(c->argc, (char **)c->argv, &opts, e);
    if (rc)
        return rc;
    opts.progress = 0;
    ns_config fam;
    char list[128], *save = NULL;
    if (arch_config(opts.model.arch, &fam, e))
        return e->code;
    snprintf(list, sizeof list, "%s", opts.model.norm ? opts.model.norm : fam.norm);
    for (char *n = strtok_r(list, ",", &save); n && o->n < 2 && !rc; n = strtok_r(NULL, ",", &save)) {
        rc = diagnose_run_one(&opts, n, &o->run[o->n], e);
        o->n++; /* freed by diag_out_free, even when partly filled */
    }
    size_t len;
    FILE *f = rc ? NULL : open_memstream(&o->table, &len);
    if (!rc && !f)
        rc = ns_fail(e, NS_ERUN, "out of memory");
    if (f) {
        rc = report_write(f, FORMAT_TABLE, o->run, o->n, e);
        fclose(f);
    }
    if (rc)
        diag_out_free(o);
    return rc;
}

/* print the table rows whose label is one of labels (a label ending in '(' is a prefix) */
void demo_print_rows(const char *table, const char *const *labels)
{
    for (; *labels; labels++) {
        size_t n = strlen(*labels);
        for (const char *l = table; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
            if (strncmp(l, *labels, n) != 0 || ((*labels)[n - 1] != '(' && strncmp(l + n, "  ", 2) != 0))
                continue;
            int len = (int)(strchr(l, '\n') ? strchr(l, '\n') - l : (long)strlen(l));
            while (len > 0 && l[len - 1] == ' ')
                len--;
            printf("    %.*s\n", len, l);
            break;
        }
    }
    putchar('\n');
}

/* print the command, run it, print the chosen rows of its table */
int demo_run_shown(const cmdline *c, const char *const *rows, diag_out *o, ns_err *e)
{
    demo_cmd_print(c);
    fflush(stdout);
    int rc = demo_diagnose(c, o, e);
    if (!rc)
        demo_print_rows(o->table, rows);
    return rc;
}

/* ---- figures ---- */

void demo_show(demo *d, const figure *f)
{
    fig_show(&d->fig, f, stdout);
    putchar('\n');
    if (!d->fig.png_dir)
        return;
    ns_err e = {0};
    if (fig_png(&d->fig, f, &e)) {
        fprintf(stderr, "normsim: warning: %s\n", e.msg);
        d->png_failed++;
    } else
        fprintf(stderr, "normsim: wrote %s/%s.png\n", d->fig.png_dir, f->name);
}

/* x = 1..n, y = |lambda_i| / lambda_max (rounding makes a kernel eigenvalue of either sign) */
void demo_spectrum(const diag_report *r, int n, double *x, double *y)
{
    for (int i = 0; i < n; i++) {
        x[i] = i + 1;
        y[i] = fabs(r->eig[i]) / r->lam_max;
    }
}

/* max_i |v_i - p_i|, v's sign chosen to agree with p */
double demo_max_diff(const double *v, const double *p, int d)
{
    double dot = 0, m = 0;
    for (int i = 0; i < d; i++)
        dot += v[i] * p[i];
    for (int i = 0; i < d; i++)
        m = fmax(m, fabs((dot < 0 ? -v[i] : v[i]) - p[i]));
    return m;
}

static int parse(int argc, char **argv, demo *d, const char **png, int *no_pause, ns_err *e)
{
    arg_iter it = {argc, argv, 1};
    d->seed = 1;
    *png = NULL;
    *no_pause = 0;
    const arg_spec opts[] = {ARG_F("--no-pause", no_pause), ARG_U("--seed", &d->seed), ARG_S("--png", png)};
    while (it.i < argc) {
        int r = arg_table(&it, opts, ARG_N(opts), e);
        if (r < 0)
            return e->code;
        if (r == 0)
            return arg_unknown(&it, "demo", e);
    }
    if (*png && !**png)
        return ns_fail(e, NS_EUSAGE, "--png needs a folder");
    snprintf(d->seed_arg, sizeof d->seed_arg, "%llu", (unsigned long long)d->seed);
    return NS_OK;
}

int cmd_demo(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(demo_help, stdout);
        return 0;
    }
    demo d;
    ns_err e = {0};
    const char *png;
    int no_pause;
    memset(&d, 0, sizeof d);
    if (parse(argc, argv, &d, &png, &no_pause, &e) || fig_ctx_init(&d.fig, png, &e))
        return cli_error(&e);
    d.interactive = !no_pause && isatty(STDIN_FILENO);
    printf("normsim demo: the dead direction LayerNorm builds into a transformer\n"
           "(seed %s. Each step prints the normsim command it runs: paste it to repeat.)\n\n",
           d.seed_arg);
    int (*const steps[N_STEPS])(demo *, ns_err *) = {step_algebra, step_spectrum, step_gains,
                                                     step_rmsnorm, step_precision, step_training};
    int rc = NS_OK;
    for (int i = 0; i < N_STEPS && !rc && !d.quit; i++)
        rc = steps[i](&d, &e);
    if (rc)
        return cli_error(&e);
    demo_recap(&d);
    if (d.png_failed) {
        ns_fail(&e, NS_ERUN, "%d figure(s) could not be written as PNG", d.png_failed);
        return cli_error(&e);
    }
    return 0;
}
