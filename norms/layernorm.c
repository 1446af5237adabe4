/* layernorm.c - LayerNorm: y = g * (x - mean(x)) / sqrt(var(x) + eps) + b.
 * Kernel (PAPER C1): sum_i (y_i - b_i) / g_i = 0 for every token, so the centred output
 * covariance annihilates p = g^-1 / ||g^-1||; where some g_i = 0, e_i instead. */
#include "norm.h"
#include "kernel_basis.h"
#include <math.h>

static const norm_param layernorm_params[] = {
    {"weight", "g", 1, NORM_GAIN, 1.0},
    {"bias", "b", 1, NORM_BIAS, 0.0},
};

static int layernorm_cache(const norm_cfg *c) { (void)c; return 2; /* mean, rstd */ }

/* mu = sum x / d; var = sum (x - mu)^2 / d (two-pass); y = g (x - mu) rstd + b */
static void layernorm_forward(const norm_cfg *c, const double *p, const double *x, double *y,
                              double *cache, int n)
{
    const int d = c->d;
    const double *g = p, *b = p + d;
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
            yt[i] = g[i] * ((xt[i] - mu) * rstd) + b[i];
        if (cache) {
            cache[2 * t] = mu;
            cache[2 * t + 1] = rstd;
        }
    }
}

/* a = g dy, xh = (x - mu) rstd: dx += rstd (a - mean(a) - xh mean(a xh)); dg += dy xh; db += dy */
static void layernorm_backward(const norm_cfg *c, const double *p, const double *x,
                               const double *cache, const double *dy, double *dx, double *dp,
                               int n)
{
    const int d = c->d;
    const double *g = p;
    double *dg = dp, *db = dp + d;
    for (int t = 0; t < n; t++) {
        const double *xt = x + (size_t)t * d, *dyt = dy + (size_t)t * d;
        double *dxt = dx + (size_t)t * d;
        double mu = cache[2 * t], rstd = cache[2 * t + 1];
        double mean_a = 0.0, mean_axh = 0.0;
        for (int i = 0; i < d; i++) {
            double a = g[i] * dyt[i], xh = (xt[i] - mu) * rstd;
            mean_a += a;
            mean_axh += a * xh;
        }
        mean_a /= d;
        mean_axh /= d;
        for (int i = 0; i < d; i++) {
            double a = g[i] * dyt[i], xh = (xt[i] - mu) * rstd;
            dxt[i] += rstd * (a - mean_a - xh * mean_axh);
            dg[i] += dyt[i] * xh;
            db[i] += dyt[i];
        }
    }
}

static int layernorm_kernel(const norm_cfg *c, const double *p, double *basis, int max_k)
{
    int k = kernel_zero_gains(c->d, p, basis, max_k);
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
