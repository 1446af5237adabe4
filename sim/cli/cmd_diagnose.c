/* cmd_diagnose.c - `normsim diagnose`: the dead-direction diagnostic on random models. */
#include "sim/cli/commands.h"
#include "sim/cli/diagnose_args.h"
#include "sim/data/inputs.h"
#include "sim/diag/diag.h"
#include "sim/diag/diag_report.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char diagnose_help[] =
    "usage: normsim diagnose [options]\n"
    "\n"
    "Build a randomly initialised model, stream tokens through it, and compare the bottom\n"
    "of the post-final-norm covariance spectrum (tap final.out, after the affine g, b)\n"
    "with the kernel the final norm predicts from its parameters alone (LayerNorm:\n"
    "p = g^-1/||g^-1||; RMSNorm: none). Also reports sigma_min of the centred residual\n"
    "stream at every block boundary and its block-to-block ratio.\n"
    "\n"
    "model (--norm may be a comma-separated list: each runs, side by side):\n" MODEL_OPTS_HELP
    "\n"
    "measurement:\n"
    "  --tokens N           tokens to stream (default 4096; must exceed d for a verdict)\n"
    "  --data SPEC          input, drawn from the seed's data stream: uniform | zipf[:S]\n"
    "                       for token models (default uniform; Zipf exponent S default 1),\n"
    "                       digits[:PATH] | synthetic for image models (default digits)\n"
    "  --threshold T        dead: eigenvalue < T * lambda_max (default max(1e-10, u^2), u the\n"
    "                       unit roundoff of --precision: 1e-10 for f64 and f32, 1.5e-5 for\n"
    "                       bf16, 2.4e-7 for f16: the rounding floor sits about 100x below)\n"
    "  --format table|csv|json  output on stdout (default table)\n"
    "\n"
    "verdict: PRESENT (kernel predicted and measured: p'Cp/lambda_max < T), ABSENT (none\n"
    "predicted, none measured), MISMATCH (anything else), UNDETERMINED (tokens <= d).\n"
    "\n"
    "example: normsim diagnose --arch gpt2 --norm layernorm,rmsnorm --d 256 --tokens 4096\n";

int diagnose_args_parse(int argc, char **argv, diagnose_opts *o, ns_err *e)
{
    model_opts_default(&o->model);
    o->tokens = 4096;
    o->data = NULL;
    o->threshold = 0.0; /* 0: the precision's default, max(1e-10, u^2) */
    o->format = FORMAT_TABLE;
    o->progress = 1;
    const arg_spec opts[] = {
        ARG_L("--tokens", &o->tokens, 1, 1000000000L), ARG_S("--data", &o->data),
        ARG_D("--threshold", &o->threshold, 1e-300, 1.0), ARG_C("--format", &o->format, arg_parse_format),
    };
    arg_iter it = {argc, argv, 1};
    while (it.i < argc) {
        int r = model_opts_take(&it, &o->model, e);
        if (r == 0)
            r = arg_table(&it, opts, ARG_N(opts), e);
        if (r < 0)
            return e->code;
        if (r == 0)
            return arg_unknown(&it, "diagnose", e);
    }
    return NS_OK;
}

/* Check every model's config before any compute, so bad input fails fast. */
static int check_all(const diagnose_opts *o, char **norms, int n, ns_err *e)
{
    for (int i = 0; i < n; i++) {
        ns_model m;
        ns_config cfg;
        int rc = model_opts_config(&o->model, norms[i], &cfg, e);
        if (rc || (rc = model_create(&m, &cfg, e)))
            return rc;
        model_free(&m);
    }
    return NS_OK;
}

int diagnose_run_one(const diagnose_opts *o, const char *norm, run_result *out, ns_err *e)
{
    ns_model m;
    int rc = model_opts_build(&o->model, norm, &m, e);
    if (rc)
        return rc;
    double u = precision_unit_roundoff(o->model.prec);
    double thr = o->threshold > 0 ? o->threshold : (u * u > 1e-10 ? u * u : 1e-10);
    diag_opts d = {.tokens = o->tokens, .data = o->data, .seed = o->model.seed, .threshold = thr, .progress = o->progress,
                   .dist = cli_dist()};
    memset(out, 0, sizeof *out);
    out->cfg = m.cfg;
    out->kernel_formula = m.norm->kernel_formula;
    out->precision = precision_name(m.prec);
    out->seed = o->model.seed;
    model_opts_gamma_name(&o->model, out->gamma, sizeof out->gamma);
    snprintf(out->data, sizeof out->data, "%s", o->data ? o->data : batch_source_default(&m.cfg));
    rc = diag_run(&m, &d, &out->r, e);
    if (!rc && out->r.warning[0] && !cli_dist_worker())
        fprintf(stderr, "normsim: warning: %s/%s: %s\n", m.cfg.arch, m.cfg.norm, out->r.warning);
    model_free(&m);
    return rc;
}

int cmd_diagnose(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(diagnose_help, stdout);
        fprintf(stdout, "\n%s\n%s", diagnose_acts_help, diagnose_ckpt_help);
        return 0;
    }
    int routed = diagnose_route(argc, argv); /* --acts, --checkpoint */
    if (routed >= 0)
        return routed;
    diagnose_opts o;
    ns_err e = {0};
    char list[1024], *norms[16];
    if (diagnose_args_parse(argc, argv, &o, &e))
        return cli_error(&e);
    ns_config fam;
    if (arch_config(o.model.arch, &fam, &e))
        return cli_error(&e);
    snprintf(list, sizeof list, "%s", o.model.norm ? o.model.norm : fam.norm);
    int n = arg_split_list(list, norms, 16, "--norm", &e);
    if (n < 0 || check_all(&o, norms, n, &e))
        return cli_error(&e);
    run_result *runs = calloc((size_t)n, sizeof *runs);
    int rc = runs ? NS_OK : ns_fail(&e, NS_ERUN, "out of memory");
    int done = 0;
    for (; !rc && done < n; done++)
        rc = diagnose_run_one(&o, norms[done], &runs[done], &e);
    if (!rc && !cli_dist_worker())
        rc = report_write(stdout, o.format, runs, n, &e);
    for (int i = 0; runs && i < n; i++)
        diag_report_free(&runs[i].r);
    free(runs);
    return rc ? cli_error(&e) : 0;
}
