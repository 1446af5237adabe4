/* registry.c - the one list of schemes (the project's only global mutable state). */
#include "norms/registry.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const norm_ops norm_layernorm, norm_layernorm_nobias, norm_layernorm_noaffine;
extern const norm_ops norm_rmsnorm, norm_rmsnorm_1p;
extern const norm_ops norm_centeronly, norm_groupnorm, norm_scalenorm, norm_prmsnorm;
extern const norm_ops norm_l2norm, norm_dyt;

#define NORM_MAX 64
#define NORM_BUILTIN 11
static const norm_ops *registry[NORM_MAX] = {
    &norm_layernorm, &norm_layernorm_nobias, &norm_layernorm_noaffine,
    &norm_rmsnorm,   &norm_rmsnorm_1p,
    &norm_centeronly, &norm_groupnorm, &norm_scalenorm, &norm_prmsnorm, &norm_l2norm, &norm_dyt,
};
static int registry_n = NORM_BUILTIN;

int norm_count(void) { return registry_n; }

const norm_ops *norm_at(int i) { return (i >= 0 && i < registry_n) ? registry[i] : NULL; }

const norm_ops *norm_find(const char *name)
{
    for (int i = 0; i < registry_n; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

void norm_names(char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < registry_n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", registry[i]->name);
}

int norm_resolve(const char *spec, int d, double eps, const norm_ops **ops, norm_cfg *cfg,
                 ns_err *e)
{
    char name[128];
    const char *colon = strchr(spec, ':');
    size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
    if (n == 0 || n >= sizeof name)
        return ns_fail(e, NS_EUSAGE, "bad norm name '%s'", spec);
    memcpy(name, spec, n);
    name[n] = '\0';
    const norm_ops *o = norm_find(name);
    if (!o) {
        char names[1024];
        norm_names(names, sizeof names);
        return ns_fail(e, NS_EUSAGE, "unknown norm '%s' (valid: %s)", name, names);
    }
    cfg->d = d;
    cfg->eps = eps;
    cfg->arg = 0.0;
    if (colon) {
        char *end;
        if (!o->validate)
            return ns_fail(e, NS_EUSAGE, "norm '%s' takes no argument (got '%s')", name, spec);
        cfg->arg = strtod(colon + 1, &end);
        if (end == colon + 1 || *end != '\0')
            return ns_fail(e, NS_EUSAGE, "norm argument in '%s' is not a number", spec);
    }
    if (o->validate) {
        char why[256] = "";
        if (o->validate(cfg, why, sizeof why) != 0)
            return ns_fail(e, NS_EUSAGE, "norm '%s': %s", spec, why);
    }
    *ops = o;
    return NS_OK;
}

int norm_register(const norm_ops *o, ns_err *e)
{
    if (!o)
        return ns_fail(e, NS_EUSAGE, "plugin returned no norm table");
    if (o->abi_version != NORM_ABI_VERSION)
        return ns_fail(e, NS_EUSAGE, "norm ABI version %d, this normsim needs %d",
                       o->abi_version, NORM_ABI_VERSION);
    if (!o->name || !o->name[0] || strchr(o->name, ':') || !o->summary || !o->kernel_formula)
        return ns_fail(e, NS_EUSAGE, "norm table lacks a valid name, summary or kernel_formula");
    if (!o->cache_per_token || !o->forward || !o->backward || !o->kernel)
        return ns_fail(e, NS_EUSAGE, "norm '%s' lacks a required function "
                       "(cache_per_token, forward, backward, kernel)", o->name);
    if (o->n_params < 0 || o->n_params > 64 || (o->n_params > 0 && !o->params))
        return ns_fail(e, NS_EUSAGE, "norm '%s' has a bad parameter spec", o->name);
    for (int i = 0; i < o->n_params; i++)
        if (!o->params[i].name || !o->params[i].name[0] || !o->params[i].symbol ||
            o->params[i].role < NORM_GAIN || o->params[i].role > NORM_GAIN_1P)
            return ns_fail(e, NS_EUSAGE, "norm '%s': parameter %d lacks a name or symbol, "
                           "or has an unknown role", o->name, i);
    if (norm_find(o->name))
        return ns_fail(e, NS_EUSAGE, "norm '%s' is already registered", o->name);
    if (registry_n >= NORM_MAX)
        return ns_fail(e, NS_ERUN, "norm registry is full (%d schemes)", NORM_MAX);
    registry[registry_n++] = o;
    return NS_OK;
}

size_t norm_param_offset(const norm_ops *o, int d, int i)
{
    size_t off = 0;
    for (int k = 0; k < i; k++)
        off += o->params[k].per_channel ? (size_t)d : 1u;
    return off;
}

size_t norm_param_count(const norm_ops *o, int d) { return norm_param_offset(o, d, o->n_params); }

int norm_kernel_basis(const norm_ops *ops, const norm_cfg *cfg, const double *params, int d,
                      double **P, ns_err *e)
{
    int k = ops->kernel(cfg, params, NULL, 0);
    *P = NULL;
    if (k > 0 && !(*P = malloc(sizeof(double) * (size_t)k * (size_t)d)))
        return ns_fail(e, NS_ERUN, "out of memory for a %d-dim kernel basis", k), -1;
    if (k > 0)
        ops->kernel(cfg, params, *P, k);
    return k;
}

/* a block of the scheme's parameters: g and b where given, the init values elsewhere */
int norm_predicted_kernel(const char *kind, int d, const double *g, const double *b, double **P,
                          ns_err *e)
{
    const norm_ops *ops;
    norm_cfg cfg;
    *P = NULL;
    if (norm_resolve(kind, d, 1e-5, &ops, &cfg, e))
        return -1;
    size_t n = norm_param_count(ops, d);
    double *params = malloc(sizeof(double) * (n + 1));
    if (!params)
        return ns_fail(e, NS_ERUN, "out of memory"), -1;
    for (int i = 0; i < ops->n_params; i++) {
        const norm_param *p = &ops->params[i];
        size_t off = norm_param_offset(ops, d, i), len = p->per_channel ? (size_t)d : 1;
        const double *src = p->role == NORM_GAIN || p->role == NORM_GAIN_1P ? g
                          : p->role == NORM_BIAS ? b : NULL;
        for (size_t j = 0; j < len; j++)
            params[off + j] = src && p->per_channel ? src[j] : p->init;
    }
    int k = norm_kernel_basis(ops, &cfg, params, d, P, e);
    free(params);
    return k;
}
