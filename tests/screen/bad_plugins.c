/* bad_plugins.c - deliberately broken norm plugins for tests/screen/test_screen.sh, one per
 * -D switch: NO_SYMBOL (exports nothing), BAD_ABI (wrong abi_version), NO_BACKWARD (a
 * required function missing), NULL_TABLE (returns NULL), HIDES_KERNEL (a LayerNorm that
 * declares no kernel: screen must flag an undeclared kernel), INVENTS_KERNEL (an RMSNorm
 * that declares g^-1: screen must flag a declared kernel that is not there). */
#include "norm.h"
#include <math.h>
#include <stddef.h>

static int cache1(const norm_cfg *c) { (void)c; return 1; }

static const norm_param gain[] = {{"weight", "g", 1, NORM_GAIN, 1.0}};

/* y = g (x - [centre] mean) / sqrt(mean((x - [centre] mean)^2) + eps) */
static void fwd(const norm_cfg *c, const double *p, const double *x, double *y, double *cache,
                int n, int centre)
{
    for (int t = 0; t < n; t++) {
        const double *xt = x + (size_t)t * c->d;
        double mu = 0.0, v = 0.0;
        for (int i = 0; centre && i < c->d; i++)
            mu += xt[i] / c->d;
        for (int i = 0; i < c->d; i++)
            v += (xt[i] - mu) * (xt[i] - mu) / c->d;
        double r = 1.0 / sqrt(v + c->eps);
        for (int i = 0; i < c->d; i++)
            y[(size_t)t * c->d + i] = p[i] * (xt[i] - mu) * r;
        if (cache)
            cache[t] = r;
    }
}

static void ln_fwd(const norm_cfg *c, const double *p, const double *x, double *y, double *cache, int n)
{
    fwd(c, p, x, y, cache, n, 1);
}

static void rms_fwd(const norm_cfg *c, const double *p, const double *x, double *y, double *cache, int n)
{
    fwd(c, p, x, y, cache, n, 0);
}

/* not used by screen (no training): a placeholder that accumulates nothing */
static void bwd(const norm_cfg *c, const double *p, const double *x, const double *cache,
                const double *dy, double *dx, double *dp, int n)
{
    (void)c, (void)p, (void)x, (void)cache, (void)dy, (void)dx, (void)dp, (void)n;
}

static int none(const norm_cfg *c, const double *p, double *b, int max_k)
{
    (void)c, (void)p, (void)b, (void)max_k;
    return 0;
}

static int inverse_gain(const norm_cfg *c, const double *p, double *b, int max_k)
{
    double ss = 0.0;
    for (int i = 0; i < c->d; i++)
        ss += 1.0 / (p[i] * p[i]);
    for (int i = 0; max_k > 0 && i < c->d; i++)
        b[i] = 1.0 / (p[i] * sqrt(ss));
    return 1;
}

#ifdef NO_SYMBOL /* exports its table under another name */
#define normsim_norm_plugin normsim_plugin_misspelt
#endif

static norm_ops table = {
    .abi_version = NORM_ABI_VERSION,
    .name = "test-broken",
    .summary = "a broken test plugin",
    .kernel_formula = "none",
    .n_params = 1,
    .params = gain,
    .cache_per_token = cache1,
    .forward = ln_fwd,
    .backward = bwd,
    .kernel = none,
};

const norm_ops *normsim_norm_plugin(void)
{
    (void)rms_fwd;
    (void)inverse_gain;
#if defined(BAD_ABI)
    table.abi_version = NORM_ABI_VERSION + 41;
#elif defined(NO_BACKWARD)
    table.backward = NULL;
#elif defined(NULL_TABLE)
    return NULL;
#elif defined(HIDES_KERNEL)
    table.name = "ln-hides-kernel";
#elif defined(INVENTS_KERNEL)
    table.name = "rms-invents-kernel";
    table.kernel_formula = "g^-1/||g^-1||";
    table.forward = rms_fwd;
    table.kernel = inverse_gain;
#endif
    return &table;
}
