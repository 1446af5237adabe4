/* layernorm.c - LayerNorm and its affine variants, one core:
 *   layernorm          y = g * (x - mean(x)) / sqrt(var(x) + eps) + b
 *   layernorm-nobias   y = g * (x - mean(x)) / sqrt(var(x) + eps)       (Cohere)
 *   layernorm-noaffine y = (x - mean(x)) / sqrt(var(x) + eps)           (OLMo-1)
 * Kernel (PAPER C1): sum_i (y_i - b_i) / g_i = 0 for every token, so the centred output
 * covariance annihilates p = g^-1 / ||g^-1|| (1/sqrt(d) without g); e_i where g_i = 0. */
#include "norms/norm.h"
#include "norms/kernel_basis.h"
#include <math.h>

static int layernorm_cache(const norm_cfg *c) { (void)c; return 2; /* mean, rstd */ }

/* mu = sum x / d; var = sum (x - mu)^2 / d (two-pass); y = g (x - mu) rstd + b
 * (g == NULL: 1; b == NULL: 0) */
static void ln_core_forward(const norm_cfg *c, const double *g, const double *b, const double *x,
                            double *y, double *cache, int n)
{
    const int d = c->d;
    for (int t = 0; t < n; t++) {
        const double *xt = x + (size_t)t * d;
        double *yt = y + (size_t)t * d;
        double mu = 0.0, var = 0.0;
        for (int i = 0; i < d; i++)
            mu += xt[i];
        mu /= d;
        for (int i = 0; i < d; i++)
            var += (xt[i] - mu) * (xt[i] - mu);
        double rstd = 1.0 / sqrt(var / d + c->eps);
        for (int i = 0; i < d; i++)
            yt[i] = (g ? g[i] : 1.0) * ((xt[i] - mu) * rstd) + (b ? b[i] : 0.0);
        if (cache) {
            cache[2 * t] = mu;
            cache[2 * t + 1] = rstd;
        }
    }
}

/* a = g dy, xh = (x - mu) rstd: dx += rstd (a - mean(a) - xh mean(a xh)); dg += dy xh; db += dy */
static void ln_core_backward(const norm_cfg *c, const double *g, const double *x,
                             const double *cache, const double *dy, double *dx, double *dg,
                             double *db, int n)
{
    const int d = c->d;
    for (int t = 0; t < n; t++) {
        const double *xt = x + (size_t)t * d, *dyt = dy + (size_t)t * d;
        double *dxt = dx + (size_t)t * d;
        double mu = cache[2 * t], rstd = cache[2 * t + 1];
        double mean_a = 0.0, mean_axh = 0.0;
        for (int i = 0; i < d; i++) {
            double a = (g ? g[i] : 1.0) * dyt[i], xh = (xt[i] - mu) * rstd;
            mean_a += a;
            mean_axh += a * xh;
        }
        mean_a /= d;
        mean_axh /= d;
        for (int i = 0; i < d; i++) {
            double a = (g ? g[i] : 1.0) * dyt[i], xh = (xt[i] - mu) * rstd;
            dxt[i] += rstd * (a - mean_a - xh * mean_axh);
            if (dg)
                dg[i] += dyt[i] * xh;
            if (db)
                db[i] += dyt[i];
        }
    }
}

/* ---- layernorm: parameters g, b ---- */

static const norm_param layernorm_params[] = {
    {"weight", "g", 1, NORM_GAIN, 1.0},
    {"bias", "b", 1, NORM_BIAS, 0.0},
};

static void layernorm_forward(const norm_cfg *c, const double *p, const double *x, double *y,
                              double *cache, int n)
{
    ln_core_forward(c, p, p + c->d, x, y, cache, n);
}

static void layernorm_backward(const norm_cfg *c, const double *p, const double *x,
                               const double *cache, const double *dy, double *dx, double *dp, int n)
{
    ln_core_backward(c, p, x, cache, dy, dx, dp, dp + c->d, n);
}

static int layernorm_kernel(const norm_cfg *c, const double *p, double *basis, int max_k)
{
    int k = kernel_zero_gains(c->d, p, 0.0, basis, max_k);
    return k ? k : kernel_inverse_gain(c->d, p, basis, max_k);
}

const norm_ops norm_layernorm = {
    .abi_version = NORM_ABI_VERSION,
    .name = "layernorm",
    .summary = "y = g * (x - mean(x)) / sqrt(var(x) + eps) + b",
    .kernel_formula = "g^-1/||g^-1|| (e_i if g_i=0)",
    .n_params = 2,
    .params = layernorm_params,
    .cache_per_token = layernorm_cache,
    .forward = layernorm_forward,
    .backward = layernorm_backward,
    .kernel = layernorm_kernel,
};

/* ---- layernorm-nobias: parameter g ---- */

static void layernorm_nobias_forward(const norm_cfg *c, const double *p, const double *x,
                                     double *y, double *cache, int n)
{
    ln_core_forward(c, p, NULL, x, y, cache, n);
}

static void layernorm_nobias_backward(const norm_cfg *c, const double *p, const double *x,
                                      const double *cache, const double *dy, double *dx,
                                      double *dp, int n)
{
    ln_core_backward(c, p, x, cache, dy, dx, dp, NULL, n);
}

const norm_ops norm_layernorm_nobias = {
    .abi_version = NORM_ABI_VERSION,
    .name = "layernorm-nobias",
    .summary = "y = g * (x - mean(x)) / sqrt(var(x) + eps)",
    .kernel_formula = "g^-1/||g^-1|| (e_i if g_i=0)",
    .n_params = 1,
    .params = layernorm_params, /* g only */
    .cache_per_token = layernorm_cache,
    .forward = layernorm_nobias_forward,
    .backward = layernorm_nobias_backward,
    .kernel = layernorm_kernel,
};

/* ---- layernorm-noaffine: no parameters ---- */

static void layernorm_noaffine_forward(const norm_cfg *c, const double *p, const double *x,
                                       double *y, double *cache, int n)
{
    (void)p;
    ln_core_forward(c, NULL, NULL, x, y, cache, n);
}

static void layernorm_noaffine_backward(const norm_cfg *c, const double *p, const double *x,
                                        const double *cache, const double *dy, double *dx,
                                        double *dp, int n)
{
    (void)p;
    (void)dp;
    ln_core_backward(c, NULL, x, cache, dy, dx, NULL, NULL, n);
}

static int layernorm_noaffine_kernel(const norm_cfg *c, const double *p, double *basis, int max_k)
{
    (void)p;
    return kernel_inverse_gain(c->d, NULL, basis, max_k);
}

const norm_ops norm_layernorm_noaffine = {
    .abi_version = NORM_ABI_VERSION,
    .name = "layernorm-noaffine",
    .summary = "y = (x - mean(x)) / sqrt(var(x) + eps)",
    .kernel_formula = "1/sqrt(d)",
    .n_params = 0,
    .params = NULL,
    .cache_per_token = layernorm_cache,
    .forward = layernorm_noaffine_forward,
    .backward = layernorm_noaffine_backward,
    .kernel = layernorm_noaffine_kernel,
};
