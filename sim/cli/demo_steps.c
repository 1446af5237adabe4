/* demo_steps.c - the six steps of `normsim demo` (a paragraph, the command, its rows, a
 * figure each) and the recap; the plumbing they share is in cmd_demo.c (sim/cli/demo.h). */
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
#include "sim/cli/demo.h"
#include "sim/base/interrupt.h"

/* ---- the steps ---- */

int step_algebra(demo *d, ns_err *e)
{
    (void)e;
    demo_head(d, 1, "the algebra (claim C1)");
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
    demo_cmd_add(&c, "norms", NULL);
    demo_cmd_print(&c);
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

int step_spectrum(demo *d, ns_err *e)
{
    demo_head(d, 2, "a random gpt2: one eigenvalue at the floating-point floor");
    if (d->quit)
        return NS_OK;
    demo_say(stdout, "A small GPT-2 (width d = 64, 2 blocks) at random initialisation reads 2048 random "
        "tokens. C is the covariance of the output of its final LayerNorm (GPT-2's ln_f, the "
        "tap final.out). At init every gain is 1, so the prediction is p = 1/sqrt(d). v is "
        "the eigenvector of C's smallest eigenvalue, measured: one forward pass, then a "
        "symmetric eigensolver.");
    cmdline c;
    demo_base_diagnose(&c);
    demo_cmd_seed(d, &c);
    static const char *const rows[] = {"|cos(p, v)|", "lambda_min", "lambda_2", "lambda_max",
                                       "lambda_min / lambda_max", "dead (", "verdict", NULL};
    diag_out o;
    int rc = demo_run_shown(&c, rows, &o, e);
    if (rc)
        return rc;
    const diag_report *r = &o.run[0].r;
    int n = r->d;
    double x[n], y[n];
    demo_spectrum(r, n, x, y);
    figure f = {.name = "2-spectrum", .title = "post-final-norm spectrum: gpt2/layernorm, d 64, g = 1",
                .xlabel = "i (ascending)", .ylabel = "|lambda_i| / lambda_max", .logy = 1,
                .key = "center right", .xmin = -1, .xmax = n + 2, .n_series = 1,
                .s = {{"layernorm", x, y, n}}, .table_rows = 8};
    demo_show(d, &f);
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

int step_gains(demo *d, ns_err *e)
{
    demo_head(d, 3, "random gains: the kernel follows g^-1, not all ones");
    if (d->quit)
        return NS_OK;
    demo_say(stdout, "With every gain at 1, \"g^-1\" and \"all ones\" are the same direction, so step 2 "
        "cannot tell them apart. Draw every norm's gains at random, g~=~exp(N(0,1)), as "
        "training spreads them, and measure again.");
    cmdline c;
    demo_base_diagnose(&c);
    demo_cmd_add(&c, "--gamma", "random");
    demo_cmd_seed(d, &c);
    static const char *const rows[] = {"gamma", "|cos(p, v)|", "|cos(p, 1/sqrt(d))|",
                                       "lambda_min / lambda_max", "verdict", NULL};
    diag_out o;
    int rc = demo_run_shown(&c, rows, &o, e);
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
    demo_show(d, &f);
    demo_say(stdout, "Every v_i lies on the diagonal v = p: |cos(p, v)| = %.12f. The all-ones direction "
        "is not the kernel: |cos(p, 1/sqrt(d))| = %.4f. The kernel is set by the gains, and "
        "read from them without a forward pass (C2).",
        r->cos, r->cos_ones);
    d->cos_g = r->cos;
    d->cos_ones_g = r->cos_ones;
    diag_out_free(&o);
    return NS_OK;
}

int step_rmsnorm(demo *d, ns_err *e)
{
    demo_head(d, 4, "swap in RMSNorm: the floor eigenvalue is gone");
    if (d->quit)
        return NS_OK;
    demo_say(stdout, "The same model and tokens, with every LayerNorm replaced by RMSNorm (the llama "
        "family's norm), y = g * x / rms(x): it rescales each token but never subtracts its "
        "mean, so it predicts no kernel.");
    cmdline c;
    demo_base_diagnose(&c);
    demo_cmd_add(&c, "--norm", "layernorm,rmsnorm");
    demo_cmd_seed(d, &c);
    static const char *const rows[] = {"model", "predicted kernel dim", "lambda_min / lambda_max",
                                       "dead (", "verdict", NULL};
    diag_out o;
    int rc = demo_run_shown(&c, rows, &o, e);
    if (rc)
        return rc;
    int n = o.run[0].r.d;
    double x[n], y0[n], y1[n];
    demo_spectrum(&o.run[0].r, n, x, y0);
    demo_spectrum(&o.run[1].r, n, x, y1);
    figure f = {.name = "4-layernorm-vs-rmsnorm", .title = "post-final-norm spectrum, d 64: LayerNorm and RMSNorm",
                .xlabel = "i (ascending)", .ylabel = "|lambda_i| / lambda_max", .logy = 1,
                .key = "center right", .xmin = -1, .xmax = n + 2, .n_series = 2,
                .s = {{"layernorm", x, y0, n}, {"rmsnorm", x, y1, n}}, .table_rows = 8};
    demo_show(d, &f);
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

int step_precision(demo *d, ns_err *e)
{
    demo_head(d, 5, "precision: the floor is the storage format's rounding");
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
        demo_base_diagnose(&c);
        demo_cmd_add(&c, "--precision", precs[k]);
        demo_cmd_seed(d, &c);
        diag_out o;
        int rc = demo_run_shown(&c, rows, &o, e);
        if (rc)
            return rc;
        const diag_report *r = &o.run[0].r;
        demo_spectrum(r, NB < r->d ? NB : r->d, x[k], y[k]);
        floor[k] = r->lam_min / r->lam_max;
        cosv[k] = r->cos;
        dead[k] = r->dead;
        diff[k] = r->predicted ? demo_max_diff(r->bottom, r->predicted, r->d) : NAN;
        diag_out_free(&o);
    }
    figure f = {.name = "5-precision", .title = "the 12 smallest eigenvalues, gpt2/layernorm d 64, by storage precision",
                .xlabel = "i (ascending)", .ylabel = "|lambda_i| / lambda_max", .logy = 1,
                .key = "center right", .xmin = 0, .xmax = NB + 1, .n_series = 4,
                .s = {{"f64", x[0], y[0], NB}, {"f32", x[1], y[1], NB}, {"bf16", x[2], y[2], NB},
                      {"f16", x[3], y[3], NB}}, .table_rows = 4};
    demo_show(d, &f);
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
static int train_cmd(const cmdline *c, const char *dir, cli_train *ct, train_result *res, ns_err *e)
{
    int rc = train_args_parse(c->argc, (char **)c->argv, ct, e);
    if (rc)
        return rc;
    ct->t.out = dir; /* the demo trains into its own temporary folder */
    ct->t.progress = 0;
    ns_model m;
    if ((rc = model_opts_build(&ct->model, ct->model.norm, &m, e)))
        return rc;
    rc = train_run(&m, &ct->t, res, e);
    model_free(&m);
    return rc;
}

/* the summary lines `normsim train` prints, in its format */
static void print_train_summary(const cli_train *ct, const train_result *r)
{
    printf("    %-26s %.4f -> %.4f\n", "validation loss", r->val_loss_init, r->val_loss);
    for (int i = 0; i < r->n_prec; i++) {
        printf("    [%s] %-21s %.12f -> %.12f\n", precision_name(ct->t.track_prec[i]), "|cos(p, v)|",
               r->cos_init[i], r->cos_end[i]);
        train_print_rayleigh(stdout, "    ", ct, r, i);
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
    demo_show(d, &f);
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
    demo_cmd_add(&c, "train", NULL);
    demo_cmd_add(&c, "--arch", "gpt2");
    demo_cmd_add(&c, "--d", "32");
    demo_cmd_add(&c, "--layers", "2");
    demo_cmd_add(&c, "--steps", "100");
    demo_cmd_add(&c, "--track-every", "10");
    demo_cmd_add(&c, "--track-precision", "f64,f16");
    demo_cmd_add(&c, "--probe-tokens", "1024");
    demo_cmd_seed(d, &c);
    demo_cmd_add(&c, "--out", "demo-run");
    demo_cmd_print(&c);
    fflush(stdout);
    const char *tmp = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/normsim-demo-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return ns_fail(e, NS_ERUN, "cannot create a temporary folder in %s: %s", tmp && *tmp ? tmp : "/tmp",
                       strerror(errno));
    int reg = interrupt_register(dir, 1); /* Ctrl-C removes it too (sim/base/interrupt.h) */
    train_result res;
    cli_train ct;
    int rc = train_cmd(&c, dir, &ct, &res, e);
    if (!rc) {
        print_train_summary(&ct, &res);
        rc = train_figure(d, dir, e);
    }
    remove_tree(dir);
    interrupt_forget(reg);
    return rc;
}

int step_training(demo *d, ns_err *e)
{
    demo_head(d, 6, "training: what deepens, and what does not");
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
        demo_base_diagnose(&c);
        demo_cmd_add(&c, "--precision", "f16");
        if (k)
            demo_cmd_add(&c, "--gamma", "random:1");
        demo_cmd_seed(d, &c);
        diag_out o;
        if ((rc = demo_run_shown(&c, rows, &o, e)))
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

void demo_recap(const demo *d)
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
