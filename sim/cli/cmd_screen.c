/* cmd_screen.c - `normsim screen`: the screening battery (sim/screen/screen.h) for one scheme,
 * a list, or every registered scheme, with the report on stdout and optionally in a folder. */
#include "sim/cli/commands.h"
#include "sim/base/out_path.h"
#include "sim/cli/model_opts.h"
#include "norms/registry.h"
#include "sim/base/precision.h"
#include "sim/diag/diag_report.h"
#include "sim/screen/screen.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char screen_help[] =
    "usage: normsim screen (--norm SPEC[,SPEC...] | --norm-plugin PATH | --all) [options]\n"
    "\n"
    "Screen normalization schemes for built-in singular structure (../shared/PAPER.md):\n"
    "  a. the norm alone, no model: rows from four inputs (gaussian N(0,I), heavy-tailed t_3,\n"
    "     shifted-mean 3 + 0.5 N(0,1) per channel, low-rank rank-d/8 signal + 0.1 noise)\n"
    "     through the scheme with its init parameters, with random ones (gains exp(N(0,1)),\n"
    "     biases N(0,1)) and with one gain zeroed; the numerical kernel of the centred output\n"
    "     covariance (eigenvalues < T lambda_max): its dimension and basis, compared with the\n"
    "     kernel the scheme declares (principal angles). Any disagreement is marked !! and\n"
    "     repeated as a warning on stderr;\n"
    "  b. the scheme in a pre-norm (gpt2), a parallel (pythia) and a post-norm (bert) model:\n"
    "     the diagnostic's verdict on the final norm's output (as `normsim diagnose`);\n"
    "  c. with --train STEPS: each archetype of b trained STEPS steps on text, tracked at\n"
    "     bf16: the deepening factor of the floor and the dead directions before/after;\n"
    "  d. the residual stream's sigma_min block to block in each model;\n"
    "  e. a classification: LN-like (exact kernel of dimension k, with its basis) or RMS-like\n"
    "     (none), with the evidence.\n"
    "One scheme gives a detailed report; several (or --all) one comparison row per scheme.\n"
    "\n"
    "scheme:\n"
    "  --norm SPEC[,SPEC]   scheme(s) to screen, e.g. layernorm or groupnorm:4,prmsnorm:0.5\n"
    "  --norm-plugin PATH   load a scheme from a shared object (docs/plugins.md); screened\n"
    "                       unless --norm is given (repeatable: the last)\n"
    "  --all                every registered scheme, plugins included (groupnorm runs as\n"
    "                       groupnorm:4, prmsnorm as prmsnorm:0.25)\n"
    "\n"
    "battery:\n"
    "  --rows N             rows per input for the norm alone (default 4096; must exceed d)\n"
    "  --archs LIST         archetypes of part b (default gpt2,pythia,bert; none: skip b, d)\n"
    "  --tokens N           tokens streamed through each model (default 4096; must exceed d)\n"
    "  --train STEPS        part c: train each archetype STEPS steps (default 0: skip c)\n"
    "  --threshold T        dead: eigenvalue < T lambda_max (default max(1e-10, u^2), u the\n"
    "                       unit roundoff of --precision)\n"
    "  --format table|csv|json  stdout (default table; csv: one row per scheme)\n"
    "  --out DIR            also write a new folder DIR (refused if it exists; written as\n"
    "                       DIR.tmp-XXXXXX, renamed when complete): summary.csv,\n"
    "                       measurements.csv (one row per probe),\n"
    "                       screen.json, screen.txt, spectra_<scheme>.csv and gnuplot figures\n"
    "                       spectra_<scheme>.png/.svg (and summary.png/.svg for several)\n"
    "\n"
    "model and norm width (every archetype; the norm alone runs at the same d):\n"
    "  --d N, --layers N, --heads N, --kv-heads N, --seq N, --vocab N, --d-ff N, --window N\n"
    "  --seed N             seed of the inputs, random parameters, weights and data (default 1)\n"
    "  --gamma ones|random[:S]  model gains in part b (default ones: at init)\n"
    "  --precision P        storage precision of outputs: f64 (default), f32, bf16, f16\n"
    "  --perturb S          add S N(0,1) to every model parameter\n"
    "\n"
    "exit status 0 whatever the findings (disagreements included); 2 bad input; 1 failure.\n"
    "example: normsim screen --norm groupnorm:8 --out screen-gn8\n"
    "         normsim screen --all --archs none\n";

#define MAX_SCHEMES 64

typedef struct {
    model_opts model;
    int all;
    long rows, tokens;
    double threshold;
    const char *archs;
    const char *out;
    int format;
    long train_steps;
} screen_opts;

static int parse(int argc, char **argv, screen_opts *o, ns_err *e)
{
    model_opts_default(&o->model);
    o->all = 0;
    o->rows = o->tokens = 4096;
    o->threshold = 0.0;
    o->archs = "gpt2,pythia,bert";
    o->out = NULL;
    o->format = FORMAT_TABLE;
    o->train_steps = 0;
    const arg_spec opts[] = {
        ARG_F("--all", &o->all), ARG_L("--rows", &o->rows, 2, 100000000L),
        ARG_L("--tokens", &o->tokens, 2, 1000000000L), ARG_D("--threshold", &o->threshold, 1e-300, 1.0),
        ARG_L("--train", &o->train_steps, 1, 1000000L), ARG_S("--archs", &o->archs),
        ARG_S("--out", &o->out), ARG_C("--format", &o->format, arg_parse_format),
    };
    arg_iter it = {argc, argv, 1};
    while (it.i < argc) {
        const char *a = argv[it.i];
        int r;
        if (strcmp(a, "--arch") == 0 || strncmp(a, "--arch=", 7) == 0)
            return ns_fail(e, NS_EUSAGE, "screen runs several archetypes: use --archs LIST (default gpt2,pythia,bert)");
        if ((r = model_opts_take(&it, &o->model, e)) == 0)
            r = arg_table(&it, opts, ARG_N(opts), e);
        if (r < 0)
            return e->code;
        if (r == 0)
            return arg_unknown(&it, "screen", e);
    }
    if (o->all && o->model.norm_given)
        return ns_fail(e, NS_EUSAGE, "give either --norm or --all, not both");
    if (!o->all && !o->model.norm)
        return ns_fail(e, NS_EUSAGE, "screen needs --norm NAME, --norm-plugin PATH or --all");
    return NS_OK;
}

/* the spec --all screens for a registered scheme: the name, or an example argument for
 * the built-ins that need one; NULL (with a notice) when none is known */
static const char *all_spec(const norm_ops *o, int d, double eps, char *buf, size_t n)
{
    const norm_ops *got;
    norm_cfg cfg;
    ns_err e;
    if (strcmp(o->name, "groupnorm") == 0)
        snprintf(buf, n, "groupnorm:%d", d % 4 == 0 ? 4 : d % 2 == 0 ? 2 : 1);
    else if (strcmp(o->name, "prmsnorm") == 0)
        snprintf(buf, n, "prmsnorm:0.25");
    else
        snprintf(buf, n, "%s", o->name);
    if (norm_resolve(buf, d, eps, &got, &cfg, &e) == NS_OK)
        return buf;
    fprintf(stderr, "normsim: notice: --all skips %s (%s); screen it with --norm %s:ARG\n",
            o->name, e.msg, o->name);
    return NULL;
}

typedef struct {
    screen_opts *o;
    char *specs[MAX_SCHEMES];
    int n_specs;
    char *archs[SCREEN_MAX_ARCHS];
    int n_archs;
    int d;
    double eps, threshold;
} screen_plan;

/* every scheme at width d and every (arch, scheme) model config, before any compute */
static int check_plan(screen_plan *p, ns_err *e)
{
    screen_opts *o = p->o;
    for (int i = 0; i < p->n_specs; i++) {
        const norm_ops *ops;
        norm_cfg cfg;
        int rc = norm_resolve(p->specs[i], p->d, p->eps, &ops, &cfg, e);
        for (int a = 0; !rc && a < p->n_archs; a++) {
            ns_config mc;
            ns_model m;
            o->model.arch = p->archs[a];
            if ((rc = model_opts_config(&o->model, p->specs[i], &mc, e)) == NS_OK &&
                (rc = model_create(&m, &mc, e)) == NS_OK)
                model_free(&m);
        }
        if (rc)
            return rc;
    }
    if (o->rows <= p->d)
        return ns_fail(e, NS_EUSAGE, "--rows %ld must exceed d = %d (with N <= d rows the covariance "
                       "has zero eigenvalues whatever the scheme)", o->rows, p->d);
    if (p->n_archs > 0 && o->tokens <= p->d)
        return ns_fail(e, NS_EUSAGE, "--tokens %ld must exceed d = %d for a verdict", o->tokens, p->d);
    return o->out ? out_check_new_dir(o->out, "--out", e) : NS_OK; /* before any compute */
}

/* the scheme list, the archetypes, d and eps (from the first archetype, or gpt2) */
static int make_plan(screen_plan *p, char *norm_buf, size_t norm_len, char *arch_buf,
                     size_t arch_len, char (*all_buf)[64], ns_err *e)
{
    screen_opts *o = p->o;
    snprintf(arch_buf, arch_len, "%s", o->archs);
    p->n_archs = strcmp(arch_buf, "none") == 0 ? 0
               : arg_split_list(arch_buf, p->archs, SCREEN_MAX_ARCHS, "--archs", e);
    if (p->n_archs < 0)
        return e->code;
    ns_config cfg;
    o->model.arch = p->n_archs > 0 ? p->archs[0] : "gpt2";
    int rc = model_opts_config(&o->model, NULL, &cfg, e);
    if (rc)
        return rc;
    p->d = cfg.d;
    p->eps = cfg.eps;
    double u = precision_unit_roundoff(o->model.prec);
    p->threshold = o->threshold > 0 ? o->threshold : (u * u > 1e-10 ? u * u : 1e-10);
    p->n_specs = 0;
    if (o->all) {
        for (int i = 0; i < norm_count() && p->n_specs < MAX_SCHEMES; i++) {
            const char *s = all_spec(norm_at(i), p->d, p->eps, all_buf[i], 64);
            if (s)
                p->specs[p->n_specs++] = all_buf[i];
        }
        return NS_OK;
    }
    snprintf(norm_buf, norm_len, "%s", o->model.norm);
    p->n_specs = arg_split_list(norm_buf, p->specs, MAX_SCHEMES, "--norm", e);
    return p->n_specs < 0 ? e->code : NS_OK;
}

static int screen_one(const screen_plan *p, const char *spec, screen_result *r, ns_err *e)
{
    screen_opts *o = p->o;
    int rc = screen_alone(spec, p->d, p->eps, o->rows, o->model.seed, o->model.prec, p->threshold, r, e);
    model_opts_gamma_name(&o->model, r->gamma, sizeof r->gamma);
    r->tokens = o->tokens;
    for (int a = 0; !rc && a < p->n_archs; a++) {
        ns_model m;
        o->model.arch = p->archs[a];
        if ((rc = model_opts_build(&o->model, spec, &m, e)))
            break;
        diag_opts d = {.tokens = o->tokens, .seed = o->model.seed, .threshold = p->threshold};
        rc = screen_add_model(r, &m, &d, e);
        if (!rc && o->train_steps > 0)
            rc = screen_train_model(r, r->n_arch - 1, &m, o->train_steps, o->model.seed, e);
        model_free(&m);
    }
    if (!rc)
        screen_classify(r);
    return rc;
}

/* one warning line per disagreement (stdout carries the full report) */
static void warn(const screen_result *r)
{
    for (int s = 0; s < SCREEN_N_SETTINGS; s++)
        for (int i = 0; i < SCREEN_N_INPUTS; i++) {
            const screen_probe *p = &r->alone[s][i];
            if (p->status == SCREEN_AGREE || p->status == SCREEN_SKIPPED)
                continue;
            fprintf(stderr, "normsim: warning: %s: %s with %s params on %s input: declared %d, "
                    "measured %d dead\n", r->spec, screen_status_name(p->status),
                    screen_setting_name(s), screen_input_name(i), p->declared_k, p->measured_k);
        }
    for (int a = 0; a < r->n_arch; a++)
        if (r->arch[a].r.verdict == VERDICT_MISMATCH)
            fprintf(stderr, "normsim: warning: %s in %s: verdict MISMATCH (predicted %d, dead %d)\n",
                    r->spec, r->arch[a].arch, r->arch[a].r.predicted_k, r->arch[a].r.dead);
}

int cmd_screen(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(screen_help, stdout);
        return 0;
    }
    screen_opts o;
    char norm_buf[4096], arch_buf[1024], all_buf[MAX_SCHEMES][64];
    ns_err e = {0};
    screen_plan p = {.o = &o};
    if (parse(argc, argv, &o, &e) || make_plan(&p, norm_buf, sizeof norm_buf, arch_buf,
                                               sizeof arch_buf, all_buf, &e) || check_plan(&p, &e))
        return cli_error(&e);
    screen_result *rs = calloc((size_t)p.n_specs, sizeof *rs);
    int rc = rs ? NS_OK : ns_fail(&e, NS_ERUN, "out of memory"), done = 0;
    int tty = isatty(2);
    for (; !rc && done < p.n_specs; done++) {
        if (tty)
            fprintf(stderr, "\rscreen: %s (%d/%d)\033[K", p.specs[done], done + 1, p.n_specs);
        rc = screen_one(&p, p.specs[done], &rs[done], &e);
    }
    if (tty)
        fprintf(stderr, "\r\033[K");
    for (int i = 0; !rc && i < p.n_specs; i++)
        warn(&rs[i]);
    if (!rc)
        rc = screen_write(stdout, o.format, rs, p.n_specs, &e);
    if (!rc && o.out)
        rc = screen_write_dir(o.out, rs, p.n_specs, &e);
    for (int i = 0; rs && i < p.n_specs; i++)
        screen_free(&rs[i]);
    free(rs);
    return rc ? cli_error(&e) : 0;
}
