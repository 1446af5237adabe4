/* model_opts.c - shared model options: parse, then build a model from them. */
#include "sim/cli/model_opts.h"
#include "norms/plugin.h"
#include "sim/base/threads.h"
#include <stdio.h>
#include <string.h>

void model_opts_default(model_opts *o)
{
    memset(o, 0, sizeof *o);
    o->arch = "gpt2";
    o->d = o->layers = o->heads = o->kv_heads = o->seq = o->vocab = o->d_ff = -1;
    o->window = o->image = o->patch = -1;
    o->prec = PREC_F64;
    o->seed = 1;
}

static int parse_gamma(const char *s, void *dst, ns_err *e)
{
    double *spread = dst;
    if (strcmp(s, "ones") == 0) {
        *spread = 0.0;
        return NS_OK;
    }
    if (strcmp(s, "random") == 0) {
        *spread = 1.0;
        return NS_OK;
    }
    if (strncmp(s, "random:", 7) == 0)
        return parse_double(s + 7, "--gamma random:S", 1e-6, 10.0, spread, e);
    return ns_fail(e, NS_EUSAGE, "--gamma expects ones, random or random:S, got '%s'", s);
}

int model_opts_parse_threads(const char *s, void *dst, ns_err *e)
{
    int *n = dst, rc = parse_int(s, "--threads", 1, 1024, n, e);
    if (!rc)
        ns_threads_set(*n);
    return rc;
}

/* load and register a plugin scheme; it becomes the norm unless --norm is given */
static int take_plugin(const char *path, void *opts, ns_err *e)
{
    model_opts *o = opts;
    const norm_ops *ops;
    int rc = norm_plugin_load(path, &ops, e);
    if (!rc && !o->norm_given)
        o->norm = ops->name;
    return rc;
}

/* --perturb S in [0, 100]; S > 1 is legal but buries the weights in noise: a warning */
static int parse_perturb(const char *v, void *dst, ns_err *e)
{
    if (parse_double(v, "--perturb", 0.0, 100.0, dst, e))
        return NS_EUSAGE;
    double s = *(double *)dst;
    if (s > 1.0)
        fprintf(stderr, "normsim: warning: --perturb %g adds noise %g times a unit weight's size: the model "
                "is mostly noise (and its loss huge); a robustness probe is usually S <= 0.1\n", s, s);
    return NS_OK;
}

int model_opts_take(arg_iter *it, model_opts *o, ns_err *e)
{
    const arg_spec opts[] = {
        ARG_I("--d", &o->d, 1, 16384), ARG_I("--layers", &o->layers, 1, 512),
        ARG_I("--heads", &o->heads, 1, 16384), ARG_I("--seq", &o->seq, 1, 65536),
        ARG_I("--vocab", &o->vocab, 1, 1048576), ARG_I("--d-ff", &o->d_ff, 1, 262144),
        ARG_I("--kv-heads", &o->kv_heads, 1, 16384), ARG_I("--image", &o->image, 1, 4096),
        ARG_I("--patch", &o->patch, 1, 4096), ARG_S("--arch", &o->arch),
        {"--norm", ARG_STR, &o->norm, 0, 0, NULL, &o->norm_given},
        ARG_C("--norm-plugin", o, take_plugin), ARG_U("--seed", &o->seed),
        ARG_C("--gamma", &o->gamma_spread, parse_gamma), ARG_I("--window", &o->window, 0, 65536),
        ARG_C("--perturb", &o->perturb, parse_perturb), ARG_C("--precision", &o->prec, arg_parse_precision),
        ARG_C("--threads", &o->threads, model_opts_parse_threads),
    };
    return arg_table(it, opts, ARG_N(opts), e);
}

int model_opts_config(const model_opts *o, const char *norm, ns_config *cfg, ns_err *e)
{
    int rc = arch_config(o->arch, cfg, e);
    if (rc)
        return rc;
    if (norm) {
        if (strlen(norm) >= sizeof cfg->norm)
            return ns_fail(e, NS_EUSAGE, "norm name too long: '%s'", norm);
        snprintf(cfg->norm, sizeof cfg->norm, "%s", norm);
    }
    if (o->d > 0) cfg->d = o->d;
    if (o->layers > 0) cfg->layers = o->layers;
    if (o->heads > 0) cfg->heads = o->heads;
    if (o->seq > 0) cfg->seq = o->seq;
    if (o->vocab > 0) cfg->vocab = o->vocab;
    if (o->d_ff > 0) cfg->d_ff = o->d_ff;
    if (o->kv_heads > 0) cfg->kv_heads = o->kv_heads;
    if (o->window >= 0) {
        if (cfg->window == 0 && o->window > 0)
            return ns_fail(e, NS_EUSAGE, "%s has no sliding-window attention (--window)", cfg->arch);
        cfg->window = o->window;
    }
    if (cfg->input != INPUT_PATCHES && (o->image > 0 || o->patch > 0))
        return ns_fail(e, NS_EUSAGE, "%s takes tokens, not images (--image, --patch)", cfg->arch);
    if (o->image > 0) cfg->image = o->image;
    if (o->patch > 0) cfg->patch = o->patch;
    if (cfg->input == INPUT_PATCHES) { /* the sequence is the patches + CLS */
        if (cfg->patch < 1 || cfg->image % cfg->patch != 0)
            return ns_fail(e, NS_EUSAGE, "--patch %d does not divide --image %d", cfg->patch, cfg->image);
        int want = config_patches(cfg) + 1;
        if (o->seq > 0 && o->seq != want)
            return ns_fail(e, NS_EUSAGE, "%s: the sequence is the %d patches + CLS, so --seq must "
                           "be %d (set --image, --patch instead)", cfg->arch, want - 1, want);
        cfg->seq = want;
    }
    return config_validate(cfg, e);
}

int model_opts_build(const model_opts *o, const char *norm, ns_model *m, ns_err *e)
{
    ns_config cfg;
    int rc = model_opts_config(o, norm, &cfg, e);
    if (rc || (rc = model_create(m, &cfg, e)))
        return rc;
    model_init(m, o->seed);
    if (o->gamma_spread > 0.0)
        model_randomize_gains(m, o->seed, o->gamma_spread);
    if (o->perturb > 0.0)
        model_perturb(m, o->seed, o->perturb);
    m->prec = o->prec;
    return NS_OK;
}

void model_opts_gamma_name(const model_opts *o, char *buf, size_t n)
{
    if (o->gamma_spread > 0.0)
        snprintf(buf, n, "random:%g", o->gamma_spread);
    else
        snprintf(buf, n, "ones");
}
