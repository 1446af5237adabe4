/* rmsnorm.c - RMSNorm: y = g * x / sqrt(mean(x^2) + eps).
 * Only a quadratic constraint (sum (y_i/g_i)^2 = d * ms/(ms+eps)), no linear one: no
 * kernel, except the trivial e_i where some g_i = 0. Backward derived in docs/derivation.md. */
#include "norm.h"
#include "kernel_basis.h"
#include <math.h>

static const norm_param rmsnorm_params[] = {
    {"weight", "g", 1, NORM_GAIN, 1.0},
};

static int rmsnorm_cache(const norm_cfg *c) { (void)c; return 1; /* rstd */ }

/* rstd = (sum x^2 / d + eps)^-1/2; y = g x rstd */
static void rmsnorm_forward(const norm_cfg *c, const double *p, const double *x, double *y,
                            double *cache, int n)
{
    const int d = c->d;
    for (int t = 0; t < n; t++) {
        const double *xt = x + (size_t)t * d;
        double *yt = y + (size_t)t * d;
        double ms = 0.0;
        for (int i = 0; i < d; i++)
            ms += xt[i] * xt[i];
        double rstd = 1.0 / sqrt(ms / d + c->eps);
        for (int i = 0; i < d; i++)
            yt[i] = p[i] * (xt[i] * rstd);
        if (cache)
            cache[t] = rstd;
    }
}

/* a = g dy, xh = x rstd: dx += rstd (a - xh mean(a xh)); dg += dy xh */
static void rmsnorm_backward(const norm_cfg *c, const double *p, const double *x,
                             const double *cache, const double *dy, double *dx, double *dp,
                             int n)
{
    const int d = c->d;
    for (int t = 0; t < n; t++) {
        const double *xt = x + (size_t)t * d, *dyt = dy + (size_t)t * d;
        double *dxt = dx + (size_t)t * d;
        double rstd = cache[t], mean_axh = 0.0;
        for (int i = 0; i < d; i++)
            mean_axh += p[i] * dyt[i] * xt[i] * rstd;
        mean_axh /= d;
        for (int i = 0; i < d; i++) {
            double xh = xt[i] * rstd;
            dxt[i] += rstd * (p[i] * dyt[i] - xh * mean_axh);
            dp[i] += dyt[i] * xh;
        }
    }
}

static int rmsnorm_kernel(const norm_cfg *c, const double *p, double *basis, int max_k)
{
    return kernel_zero_gains(c->d, p, basis, max_k);
}

const norm_ops norm_rmsnorm = {
    .abi_version = NORM_ABI_VERSION,
    .name = "rmsnorm",
    .summary = "y = g * x / sqrt(mean(x^2) + eps)",
    .kernel_formula = "none (e_i if g_i=0)",
    .n_params = 1,
    .params = rmsnorm_params,
    .cache_per_token = rmsnorm_cache,
    .forward = rmsnorm_forward,
    .backward = rmsnorm_backward,
    .kernel = rmsnorm_kernel,
};
