/* model_opts.c - shared model options: parse, then build a model from them. */
#include "sim/cli/model_opts.h"
#include "norms/plugin.h"
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

static int parse_gamma(const char *s, double *spread, ns_err *e)
{
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

/* load and register a plugin scheme; it becomes the norm unless --norm is given */
static int take_plugin(const char *path, model_opts *o, ns_err *e)
{
    const norm_ops *ops;
    int rc = norm_plugin_load(path, &ops, e);
    if (!rc && !o->norm_given)
        o->norm = ops->name;
    return rc;
}

int model_opts_take(arg_iter *it, model_opts *o, ns_err *e)
{
    static const struct { const char *name; size_t off; long hi; } ints[] = {
        {"--d", offsetof(model_opts, d), 16384},
        {"--layers", offsetof(model_opts, layers), 512},
        {"--heads", offsetof(model_opts, heads), 16384},
        {"--seq", offsetof(model_opts, seq), 65536},
        {"--vocab", offsetof(model_opts, vocab), 1048576},
        {"--d-ff", offsetof(model_opts, d_ff), 262144},
        {"--kv-heads", offsetof(model_opts, kv_heads), 16384},
        {"--image", offsetof(model_opts, image), 4096},
        {"--patch", offsetof(model_opts, patch), 4096},
    };
    const char *v;
    int r;
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        if ((r = arg_value(it, ints[i].name, &v, e)) != 0)
            return r < 0 ? -1 : (parse_int(v, ints[i].name, 1, ints[i].hi, (int *)((char *)o + ints[i].off), e) ? -1 : 1);
    }
    if ((r = arg_value(it, "--arch", &v, e)) != 0)
        return r < 0 ? -1 : (o->arch = v, 1);
    if ((r = arg_value(it, "--norm", &v, e)) != 0)
        return r < 0 ? -1 : (o->norm = v, o->norm_given = 1, 1);
    if ((r = arg_value(it, "--norm-plugin", &v, e)) != 0)
        return r < 0 ? -1 : (take_plugin(v, o, e) ? -1 : 1);
    if ((r = arg_value(it, "--seed", &v, e)) != 0)
        return r < 0 ? -1 : (parse_u64(v, "--seed", &o->seed, e) ? -1 : 1);
    if ((r = arg_value(it, "--gamma", &v, e)) != 0)
        return r < 0 ? -1 : (parse_gamma(v, &o->gamma_spread, e) ? -1 : 1);
    if ((r = arg_value(it, "--window", &v, e)) != 0)
        return r < 0 ? -1 : (parse_int(v, "--window", 0, 65536, &o->window, e) ? -1 : 1);
    if ((r = arg_value(it, "--perturb", &v, e)) != 0)
        return r < 0 ? -1 : (parse_double(v, "--perturb", 0.0, 100.0, &o->perturb, e) ? -1 : 1);
    if ((r = arg_value(it, "--precision", &v, e)) != 0)
        return r < 0 ? -1 : (precision_parse(v, &o->prec, e) ? -1 : 1);
    return 0;
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
