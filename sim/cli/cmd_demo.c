/* cmd_demo.c - `normsim demo`: a narrated walk-through for a class. Each step prints a
 * paragraph, the exact normsim command it runs (built as an argv, parsed by the same
 * option parser and run through the same library calls as that command, so pasting it
 * reproduces the printed numbers), the result rows, and a figure (sim/demo.h). */
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
#include "sim/train/track.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_STEPS 6
#define CMD_MAX_ARGS 40

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

typedef struct {
    uint64_t seed;
    char seed_arg[32];  /* the seed as text, for the printed commands */
    fig_ctx fig;
    int interactive;    /* wait for Enter between steps */
    int quit;
    int png_failed;
    /* the recap */
    double cos_f64, floor_f64, cos_g, cos_ones_g, floor_rms, cos_bf16, floor_bf16, diff_bf16;
    int dead_f64, dead_rms, dead_bf16;
    char verdict_ln[16], verdict_rms[16];
    double tail_init, tail_end, f16_init, f16_end, deepen_g;
    int trained;
} demo;

/* ---- narration ---- */

static void head(demo *d, int step, const char *title)
{
    if (d->interactive && !d->quit && step > 1) {
        fflush(stdout);
        fprintf(stderr, "\n-- Enter: step %d of %d, q: quit -- ", step, N_STEPS);
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

typedef struct {
    char *argv[CMD_MAX_ARGS];
    int argc;
} cmdline;

static void cmd_add(cmdline *c, const char *opt, const char *val)
{
    if (c->argc + 2 < CMD_MAX_ARGS) {
        c->argv[c->argc++] = (char *)opt;
        if (val)
            c->argv[c->argc++] = (char *)val;
    }
}

/* the small gpt2 of steps 2-5 */
static void base_diagnose(cmdline *c)
{
    c->argc = 0;
    cmd_add(c, "diagnose", NULL);
    cmd_add(c, "--arch", "gpt2");
    cmd_add(c, "--d", "64");
    cmd_add(c, "--layers", "2");
    cmd_add(c, "--tokens", "2048");
}

static void cmd_seed(const demo *d, cmdline *c)
{
    if (d->seed != 1)
        cmd_add(c, "--seed", d->seed_arg);
}

/* "  $ normsim ARGS", wrapped with shell continuations before column 78 */
static void cmd_print(const cmdline *c)
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

typedef struct {
    int n;
    run_result run[2]; /* run[i].r.predicted: the predicted kernel vector (k = 1) or NULL */
    char *table;       /* the table `normsim diagnose` prints */
} diag_out;

static void diag_out_free(diag_out *o)
{
    for (int i = 0; i < o->n; i++)
        diag_report_free(&o->run[i].r);
    free(o->table);
    memset(o, 0, sizeof *o);
}

/* run a diagnose command line exactly as `normsim diagnose` does (its parser and its
 * run_one), without the progress bar; at most two norms; the table into o->table */
static int diag_cmd(const cmdline *c, diag_out *o, ns_err *e)
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
static void print_rows(const char *table, const char *const *labels)
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
static int run_shown(const cmdline *c, const char *const *rows, diag_out *o, ns_err *e)
{
    cmd_print(c);
    fflush(stdout);
    int rc = diag_cmd(c, o, e);
    if (!rc)
        print_rows(o->table, rows);
    return rc;
}

/* ---- figures ---- */

static void show(demo *d, const figure *f)
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
static void spectrum(const diag_report *r, int n, double *x, double *y)
{
    for (int i = 0; i < n; i++) {
        x[i] = i + 1;
        y[i] = fabs(r->eig[i]) / r->lam_max;
    }
}

/* max_i |v_i - p_i|, v's sign chosen to agree with p */
static double max_diff(const double *v, const double *p, int d)
{
    double dot = 0, m = 0;
    for (int i = 0; i < d; i++)
        dot += v[i] * p[i];
    for (int i = 0; i < d; i++)
        m = fmax(m, fabs((dot < 0 ? -v[i] : v[i]) - p[i]));
    return m;
}

/* ---- the steps ---- */

static int step_algebra(demo *d, ns_err *e)
{
    (void)e;
    head(d, 1, "the algebra (claim C1)");
    demo_para(stdout, "LayerNorm maps a token's activations x (d numbers) to\n"
         "y = g * (x - mean(x)) / s + b, with s = sqrt(var(x) + eps) and elementwise\n"
         "gains g and shifts b. Undo the affine part and add up the channels:\n"
         "\n"
         "  (1)  (y_i - b_i) / g_i = (x_i - mean(x)) / s          for every channel i\n"
         "  (2)  sum_i (y_i - b_i) / g_i = (sum_i x_i - d mean(x)) / s = 0, every token\n"
         "  (3)  so p = g^-1/||g^-1|| has p.(y - E[y]) = 0 for all tokens: C p = 0\n"
         "\n"
         "C is the d x d covariance of y over tokens. p is an exact kernel of C, for\n"
         "any input and any eps, and it is read from the parameters alone. RMSNorm\n"
         "(y = g * x / rms(x)) never subtracts the mean: it has no such constraint.");
    cmdline c = {.argc = 0};
    cmd_add(&c, "norms", NULL);
    cmd_print(&c);
    static const char *const names[] = {"layernorm", "rmsnorm"};
    for (int i = 0; i < 2; i++) {
        const norm_ops *o = norm_find(names[i]);
        if (!o)
            continue;
        printf("    %s\n      formula:    %s\n      parameters:", o->name, o->summary);
        for (int k = 0; k < o->n_params; k++)
            printf("%s %s (%s, %s, init %g)", k ? "," : "", o->params[k].symbol, o->params[k].name,
                   o->params[k].per_channel ? "length d" : "scalar", o->params[k].init);
        printf("%s\n      kernel:     %s\n", o->n_params ? "" : " none", o->kernel_formula);
    }
    printf("    (2 of the %d schemes it lists)\n\n", norm_count());
    return NS_OK;
}

static int step_spectrum(demo *d, ns_err *e)
{
    head(d, 2, "a random gpt2: one eigenvalue at the floating-point floor");
    if (d->quit)
        return NS_OK;
    demo_say(stdout, "A small GPT-2 (width d = 64, 2 blocks) at random initialisation reads 2048 random "
        "tokens. C is the covariance of the output of its final LayerNorm (GPT-2's ln_f, the "
        "tap final.out). At init every gain is 1, so the prediction is p = 1/sqrt(d). v is "
        "the eigenvector of C's smallest eigenvalue, measured: one forward pass, then a "
        "symmetric eigensolver.");
    cmdline c;
    base_diagnose(&c);
    cmd_seed(d, &c);
    static const char *const rows[] = {"|cos(p, v)|", "lambda_min", "lambda_2", "lambda_max",
                                       "lambda_min / lambda_max", "dead (", "verdict", NULL};
    diag_out o;
    int rc = run_shown(&c, rows, &o, e);
    if (rc)
        return rc;
    const diag_report *r = &o.run[0].r;
    int n = r->d;
    double x[n], y[n];
    spectrum(r, n, x, y);
    figure f = {.name = "2-spectrum", .title = "post-final-norm spectrum: gpt2/layernorm, d 64, g = 1",
                .xlabel = "i (ascending)", .ylabel = "|lambda_i| / lambda_max", .logy = 1,
                .key = "center right", .xmin = -1, .xmax = n + 2, .n_series = 1,
                .s = {{"layernorm", x, y, n}}, .table_rows = 8};
    show(d, &f);
    demo_say(stdout, "One eigenvalue sits %.0f orders of magnitude below the next one: zero up to "
        "double-precision rounding%s. Its eigenvector is p: |cos(p, v)| = %.12f. Everything "
        "above it is an ordinary, data-dependent eigenvalue.",
        log10(r->lam_2 / fmax(fabs(r->lam_min), 1e-300)),
        r->lam_min < 0 ? " (even its sign is rounding noise)" : "", r->cos);
    d->cos_f64 = r->cos;
    d->floor_f64 = r->lam_min / r->lam_max;
    d->dead_f64 = r->dead;
    snprintf(d->verdict_ln, sizeof d->verdict_ln, "%s", verdict_name(r->verdict));
    diag_out_free(&o);
    return NS_OK;
}

static int step_gains(demo *d, ns_err *e)
{
    head(d, 3, "random gains: the kernel follows g^-1, not all ones");
    if (d->quit)
        return NS_OK;
    demo_say(stdout, "With every gain at 1, \"g^-1\" and \"all ones\" are the same direction, so step 2 "
        "cannot tell them apart. Draw every norm's gains at random, g~=~exp(N(0,1)), as "
        "training spreads them, and measure again.");
    cmdline c;
    base_diagnose(&c);
    cmd_add(&c, "--gamma", "random");
    cmd_seed(d, &c);
    static const char *const rows[] = {"gamma", "|cos(p, v)|", "|cos(p, 1/sqrt(d))|",
                                       "lambda_min / lambda_max", "verdict", NULL};
    diag_out o;
    int rc = run_shown(&c, rows, &o, e);
    if (rc)
        return rc;
    const diag_report *r = &o.run[0].r;
    int n = r->d;
    const double *p = o.run[0].r.predicted;
    double v[n], ones = 1 / sqrt((double)n), dot = 0;
    for (int i = 0; i < n; i++)
        dot += r->bottom[i] * (p ? p[i] : ones);
    for (int i = 0; i < n; i++)
        v[i] = dot < 0 ? -r->bottom[i] : r->bottom[i];
    char under[256], extra[128];
    snprintf(under, sizeof under, "x title 'v = p' with lines, %.17g title 'all ones, 1/sqrt(d)' with lines, ", ones);
    snprintf(extra, sizeof extra, "set yrange [0:*]");
    figure f = {.name = "3-follows-g", .title = "measured v against predicted p = g^-1/||g^-1||, d 64",
                .xlabel = "p_i", .ylabel = "v_i", .key = "bottom right", .extra = extra, .under = under,
                .n_series = 1, .s = {{"v_i (measured)", p ? p : v, v, n}}, .table_rows = 8};
    show(d, &f);
    demo_say(stdout, "Every v_i lies on the diagonal v = p: |cos(p, v)| = %.12f. The all-ones direction "
        "is not the kernel: |cos(p, 1/sqrt(d))| = %.4f. The kernel is set by the gains, and "
        "read from them without a forward pass (C2).",
        r->cos, r->cos_ones);
    d->cos_g = r->cos;
    d->cos_ones_g = r->cos_ones;
    diag_out_free(&o);
    return NS_OK;
}

static int step_rmsnorm(demo *d, ns_err *e)
{
    head(d, 4, "swap in RMSNorm: the floor eigenvalue is gone");
    if (d->quit)
        return NS_OK;
    demo_say(stdout, "The same model and tokens, with every LayerNorm replaced by RMSNorm (the llama "
        "family's norm), y = g * x / rms(x): it rescales each token but never subtracts its "
        "mean, so it predicts no kernel.");
    cmdline c;
    base_diagnose(&c);
    cmd_add(&c, "--norm", "layernorm,rmsnorm");
    cmd_seed(d, &c);
    static const char *const rows[] = {"model", "predicted kernel dim", "lambda_min / lambda_max",
                                       "dead (", "verdict", NULL};
    diag_out o;
    int rc = run_shown(&c, rows, &o, e);
    if (rc)
        return rc;
    int n = o.run[0].r.d;
    double x[n], y0[n], y1[n];
    spectrum(&o.run[0].r, n, x, y0);
    spectrum(&o.run[1].r, n, x, y1);
    figure f = {.name = "4-layernorm-vs-rmsnorm", .title = "post-final-norm spectrum, d 64: LayerNorm and RMSNorm",
                .xlabel = "i (ascending)", .ylabel = "|lambda_i| / lambda_max", .logy = 1,
                .key = "center right", .xmin = -1, .xmax = n + 2, .n_series = 2,
                .s = {{"layernorm", x, y0, n}, {"rmsnorm", x, y1, n}}, .table_rows = 8};
    show(d, &f);
    const diag_report *rms = &o.run[1].r;
    demo_say(stdout, "With RMSNorm the smallest eigenvalue is %.1e of lambda_max: an ordinary direction, "
        "nothing at the floor (%d dead). Verdicts: %s and %s (C3, C6).",
        rms->lam_min / rms->lam_max, rms->dead, verdict_name(o.run[0].r.verdict),
        verdict_name(rms->verdict));
    d->floor_rms = rms->lam_min / rms->lam_max;
    d->dead_rms = rms->dead;
    snprintf(d->verdict_rms, sizeof d->verdict_rms, "%s", verdict_name(rms->verdict));
    diag_out_free(&o);
    return NS_OK;
}

static int step_precision(demo *d, ns_err *e)
{
    head(d, 5, "precision: the floor is the storage format's rounding");
    if (d->quit)
        return NS_OK;
    demo_say(stdout, "In exact arithmetic the kernel eigenvalue is 0; in a computer it is the rounding "
        "noise of how y is stored. Real checkpoints compute the norm in f32 and store "
        "activations in bf16. Here every op computes in double and rounds its output to the "
        "storage format (round to nearest even).");
    static const char *const precs[] = {"f64", "f32", "bf16", "f16"};
    static const char *const rows[] = {"|cos(p, v)|", "lambda_min / lambda_max", "dead (", NULL};
    enum { NB = 12 };
    double x[4][NB], y[4][NB], floor[4], cosv[4], diff[4];
    int dead[4];
    for (int k = 0; k < 4; k++) {
        cmdline c;
        base_diagnose(&c);
        cmd_add(&c, "--precision", precs[k]);
        cmd_seed(d, &c);
        diag_out o;
        int rc = run_shown(&c, rows, &o, e);
        if (rc)
            return rc;
        const diag_report *r = &o.run[0].r;
        spectrum(r, NB < r->d ? NB : r->d, x[k], y[k]);
        floor[k] = r->lam_min / r->lam_max;
        cosv[k] = r->cos;
        dead[k] = r->dead;
        diff[k] = r->predicted ? max_diff(r->bottom, r->predicted, r->d) : NAN;
        diag_out_free(&o);
    }
    figure f = {.name = "5-precision", .title = "the 12 smallest eigenvalues, gpt2/layernorm d 64, by storage precision",
                .xlabel = "i (ascending)", .ylabel = "|lambda_i| / lambda_max", .logy = 1,
                .key = "center right", .xmin = 0, .xmax = NB + 1, .n_series = 4,
                .s = {{"f64", x[0], y[0], NB}, {"f32", x[1], y[1], NB}, {"bf16", x[2], y[2], NB},
                      {"f16", x[3], y[3], NB}}, .table_rows = 4};
    show(d, &f);
    printf("    %-10s %-24s %-16s %s\n", "precision", "lambda_min/lambda_max", "|cos(p, v)|", "max_i |v_i - p_i|");
    for (int k = 0; k < 4; k++)
        printf("    %-10s %-24.6e %-16.12f %.2e\n", precs[k], floor[k], cosv[k], diff[k]);
    putchar('\n');
    demo_say(stdout, "Storing y rounds each entry with a relative error up to u, the unit roundoff "
        "(2^-24 in f32, 2^-11 in f16, 2^-8 in bf16), and the kernel eigenvalue becomes the "
        "variance of p.(rounding error): of order u^2 |y|^2/d. In f64, and in f32 where u^2 "
        "is still tiny, the floor is the eigensolver's own rounding, about 1e-16 of "
        "lambda_max. In bf16 the kernel is still found, but only approximately: v and p "
        "differ in the fourth decimal place of their components (max_i |v_i - p_i| above; v "
        "is the `bottom` field of --format json). That is the \"four decimal places\" the "
        "paper reports on real checkpoints, which store bf16.");
    d->cos_bf16 = cosv[2];
    d->floor_bf16 = floor[2];
    d->diff_bf16 = diff[2];
    d->dead_bf16 = dead[2];
    return NS_OK;
}

/* ---- step 6: training ---- */

/* train exactly as `normsim train` does with the printed options, into folder dir */
static int train_cmd(const cmdline *c, const char *dir, train_result *res, ns_err *e)
{
    cli_train ct;
    int rc = train_args_parse(c->argc, (char **)c->argv, &ct, e);
    if (rc)
        return rc;
    ct.t.out = dir; /* the demo trains into its own temporary folder */
    ct.t.progress = 0;
    ns_model m;
    if ((rc = model_opts_build(&ct.model, ct.model.norm, &m, e)))
        return rc;
    rc = train_run(&m, &ct.t, res, e);
    model_free(&m);
    return rc;
}

/* the summary lines `normsim train` prints, in its format */
static void print_train_summary(const train_result *r)
{
    static const char *const precs[] = {"f64", "f16"};
    printf("    %-26s %.4f -> %.4f\n", "validation loss", r->val_loss_init, r->val_loss);
    for (int i = 0; i < r->n_prec && i < 2; i++) {
        printf("    [%s] %-21s %.12f -> %.12f\n", precs[i], "|cos(p, v)|", r->cos_init[i], r->cos_end[i]);
        printf("    [%s] %-21s %.3e -> %.3e (deepening x%.3g)\n", precs[i], "p'Cp / lambda_max", r->ray_init[i],
               r->ray_end[i], fabs(r->ray_init[i]) / fabs(r->ray_end[i]));
    }
    putchar('\n');
}

static int train_figure(demo *d, const char *dir, ns_err *e)
{
    char path[4200];
    track_series t64, t16;
    snprintf(path, sizeof path, "%s/track.csv", dir);
    int rc = track_read(path, "f64", &t64, e);
    if (!rc)
        rc = track_read(path, "f16", &t16, e);
    if (rc)
        return rc;
    double x[TRACK_MAX_ROWS];
    for (int i = 0; i < t64.n; i++)
        x[i] = (double)t64.step[i];
    figure f = {.name = "6-training", .title = "the bottom of the spectrum through training: gpt2/layernorm d 32",
                .xlabel = "step", .ylabel = "lambda / lambda_max", .logy = 1, .key = "center right",
                .xmin = -5, .xmax = x[t64.n - 1] + 5, .n_series = 3,
                .s = {{"kernel, f64", x, t64.eig0, t64.n}, {"2nd smallest, f64", x, t64.eig1, t64.n},
                      {"kernel, f16", x, t16.eig0, t16.n < t64.n ? t16.n : t64.n}},
                .table_rows = 12};
    show(d, &f);
    int z = t64.n - 1;
    d->tail_init = t64.eig1[0];
    d->tail_end = t64.eig1[z];
    d->f16_init = t16.eig0[0];
    d->f16_end = t16.eig0[t16.n - 1];
    demo_say(stdout, "The kernel stays exact in f64. Below the bulk of the spectrum, the second smallest "
        "eigenvalue went from %.1e to %.1e of lambda_max (x%.3g)%s. The kernel's own floor "
        "did not deepen: in f16 it went from %.1e to %.1e of lambda_max. At this size and "
        "length the gains barely spread (std of log g: %.4f)%s",
        d->tail_init, d->tail_end, d->tail_init / d->tail_end,
        d->tail_end < d->tail_init / 10 ? ": the tail deepens, the start of C4's \"further dead "
                                          "directions\"" : "",
        d->f16_init, d->f16_end, t64.logstd[z],
        d->f16_end > d->f16_init
            ? "; and f16 rounding error scales with all of |y|, while C sees only how y varies "
              "between tokens: here most of |y| is a vector every token shares, so the floor "
              "rises relative to lambda_max."
            : ".");
    return NS_OK;
}

/* the training run of step 6, in a temporary folder removed afterwards */
static int train_shown(demo *d, ns_err *e)
{
    demo_say(stdout, "Train a tiny gpt2 (d = 32, 2 blocks) for 100 AdamW steps on text (the fortunes "
        "corpus, as bytes), measuring the spectrum on a fixed probe set every 10 steps with y "
        "stored in f64 and in f16. --out is any new folder (the demo trains into a temporary "
        "one); its track.csv holds every row.");
    cmdline c = {.argc = 0};
    cmd_add(&c, "train", NULL);
    cmd_add(&c, "--arch", "gpt2");
    cmd_add(&c, "--d", "32");
    cmd_add(&c, "--layers", "2");
    cmd_add(&c, "--steps", "100");
    cmd_add(&c, "--track-every", "10");
    cmd_add(&c, "--track-precision", "f64,f16");
    cmd_add(&c, "--probe-tokens", "1024");
    cmd_seed(d, &c);
    cmd_add(&c, "--out", "demo-run");
    cmd_print(&c);
    fflush(stdout);
    const char *tmp = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/normsim-demo-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return ns_fail(e, NS_ERUN, "cannot create a temporary folder in %s: %s", tmp && *tmp ? tmp : "/tmp",
                       strerror(errno));
    train_result res;
    int rc = train_cmd(&c, dir, &res, e);
    if (!rc) {
        print_train_summary(&res);
        rc = train_figure(d, dir, e);
    }
    demo_remove_dir(dir);
    return rc;
}

static int step_training(demo *d, ns_err *e)
{
    head(d, 6, "training: what deepens, and what does not");
    if (d->quit)
        return NS_OK;
    d->trained = train_shown(d, e) == NS_OK;
    if (!d->trained) { /* e.g. no corpus, no temporary folder: the rest still runs */
        demo_say(stdout, "notice: the training step was skipped: %s", e->msg);
        *e = (ns_err){0};
    }
    cmdline c;
    int rc;
    demo_say(stdout, "The paper's mechanism for C4 is the gains: once g spreads like a trained model's, "
        "the floor sits lower relative to lambda_max and a second eigenvalue drops toward it. "
        "That is visible at init, with no training: the f16 model of step 5, then the same "
        "with gains spread like a trained model's.");
    static const char *const rows[] = {"gamma", "lambda_2", "lambda_max", "p'Cp / lambda_max", NULL};
    double ray[2], l2rel[2];
    for (int k = 0; k < 2; k++) {
        base_diagnose(&c);
        cmd_add(&c, "--precision", "f16");
        if (k)
            cmd_add(&c, "--gamma", "random:1");
        cmd_seed(d, &c);
        diag_out o;
        if ((rc = run_shown(&c, rows, &o, e)))
            return rc;
        ray[k] = o.run[0].r.rayleigh_rel;
        l2rel[k] = o.run[0].r.lam_2 / o.run[0].r.lam_max;
        diag_out_free(&o);
    }
    d->deepen_g = ray[1] != 0 ? fabs(ray[0]) / fabs(ray[1]) : INFINITY;
    demo_say(stdout, "With spread gains the kernel's floor is x%.0f deeper relative to lambda_max (the "
        "paper: about 10^3 on trained checkpoints), and lambda_2 falls from %.1e to %.1e of "
        "lambda_max: a second, near-dead direction.", d->deepen_g, l2rel[0], l2rel[1]);
    return NS_OK;
}

static void recap(const demo *d)
{
    if (d->quit) {
        printf("(demo stopped)\n");
        return;
    }
    printf("== Recap (seed %s) ==\n\n", d->seed_arg);
    printf("  layernorm f64   |cos(p, v)| %.12f  floor %.2e  dead %d  %s\n", d->cos_f64, d->floor_f64,
           d->dead_f64, d->verdict_ln);
    printf("  random gains    |cos(p, v)| %.12f  |cos(p, 1/sqrt(d))| %.4f\n", d->cos_g, d->cos_ones_g);
    printf("  rmsnorm f64     no kernel: smallest %.2e  dead %d  %s\n", d->floor_rms, d->dead_rms,
           d->verdict_rms);
    printf("  layernorm bf16  |cos(p, v)| %.12f  floor %.2e  dead %d\n", d->cos_bf16, d->floor_bf16,
           d->dead_bf16);
    printf("                  max_i |v_i - p_i| %.2e: about four decimal places\n", d->diff_bf16);
    if (d->trained)
        printf("  training        2nd smallest %.1e -> %.1e; f16 floor %.1e -> %.1e\n", d->tail_init,
               d->tail_end, d->f16_init, d->f16_end);
    printf("  spread gains    f16 floor x%.0f deeper than with g = 1\n\n", d->deepen_g);
    printf("Next: docs/tutorial.md (the derivation and five exercises).\n");
}

static int parse(int argc, char **argv, demo *d, const char **png, int *no_pause, ns_err *e)
{
    arg_iter it = {argc, argv, 1};
    d->seed = 1;
    *png = NULL;
    *no_pause = 0;
    while (it.i < argc) {
        const char *v;
        int r;
        if (arg_flag(&it, "--no-pause"))
            *no_pause = 1;
        else if ((r = arg_value(&it, "--seed", &v, e)) != 0) {
            if (r < 0 || parse_u64(v, "--seed", &d->seed, e))
                return e->code;
        } else if ((r = arg_value(&it, "--png", &v, e)) != 0) {
            if (r < 0)
                return e->code;
            if (!*v)
                return ns_fail(e, NS_EUSAGE, "--png needs a folder");
            *png = v;
        } else
            return arg_unknown(&it, "demo", e);
    }
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
    recap(&d);
    if (d.png_failed) {
        ns_fail(&e, NS_ERUN, "%d figure(s) could not be written as PNG", d.png_failed);
        return cli_error(&e);
    }
    return 0;
}
