/* rmsnorm.c - RMSNorm and Gemma's (1 + w) variant, one core:
 *   rmsnorm     y = g * x / sqrt(mean(x^2) + eps)
 *   rmsnorm-1p  y = (1 + w) * x / sqrt(mean(x^2) + eps), w initialised to 0
 * Only a quadratic constraint (sum (y_i/g_i)^2 = d * ms/(ms+eps)), no linear one: no
 * kernel, except the trivial e_i where the effective gain is 0 (g_i = 0; w_i = -1).
 * Backward derived in docs/derivation.md. */
#include "norms/norm.h"
#include "norms/kernel_basis.h"
#include <math.h>

static int rmsnorm_cache(const norm_cfg *c) { (void)c; return 1; /* rstd */ }

/* rstd = (sum x^2 / d + eps)^-1/2; y = (offset + w) x rstd */
static void rms_core_forward(const norm_cfg *c, const double *w, double offset, const double *x,
                             double *y, double *cache, int n)
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
            yt[i] = (offset + w[i]) * (xt[i] * rstd);
        if (cache)
            cache[t] = rstd;
    }
}

/* a = g dy, xh = x rstd: dx += rstd (a - xh mean(a xh)); dw += dy xh (g = offset + w) */
static void rms_core_backward(const norm_cfg *c, const double *w, double offset, const double *x,
                              const double *cache, const double *dy, double *dx, double *dw, int n)
{
    const int d = c->d;
    for (int t = 0; t < n; t++) {
        const double *xt = x + (size_t)t * d, *dyt = dy + (size_t)t * d;
        double *dxt = dx + (size_t)t * d;
        double rstd = cache[t], mean_axh = 0.0;
        for (int i = 0; i < d; i++)
            mean_axh += (offset + w[i]) * dyt[i] * xt[i] * rstd;
        mean_axh /= d;
        for (int i = 0; i < d; i++) {
            double xh = xt[i] * rstd;
            dxt[i] += rstd * ((offset + w[i]) * dyt[i] - xh * mean_axh);
            dw[i] += dyt[i] * xh;
        }
    }
}

/* ---- rmsnorm ---- */

static const norm_param rmsnorm_params[] = {
    {"weight", "g", 1, NORM_GAIN, 1.0},
};

static void rmsnorm_forward(const norm_cfg *c, const double *p, const double *x, double *y,
                            double *cache, int n)
{
    rms_core_forward(c, p, 0.0, x, y, cache, n);
}

static void rmsnorm_backward(const norm_cfg *c, const double *p, const double *x,
                             const double *cache, const double *dy, double *dx, double *dp, int n)
{
    rms_core_backward(c, p, 0.0, x, cache, dy, dx, dp, n);
}

static int rmsnorm_kernel(const norm_cfg *c, const double *p, double *basis, int max_k)
{
    return kernel_zero_gains(c->d, p, 0.0, basis, max_k);
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

/* ---- rmsnorm-1p: the stored parameter is w, the gain is 1 + w ---- */

static const norm_param rmsnorm_1p_params[] = {
    {"weight", "w", 1, NORM_GAIN_1P, 0.0}, /* the gain is 1 + w */
};

static void rmsnorm_1p_forward(const norm_cfg *c, const double *p, const double *x, double *y,
                               double *cache, int n)
{
    rms_core_forward(c, p, 1.0, x, y, cache, n);
}

static void rmsnorm_1p_backward(const norm_cfg *c, const double *p, const double *x,
                                const double *cache, const double *dy, double *dx, double *dp, int n)
{
    rms_core_backward(c, p, 1.0, x, cache, dy, dx, dp, n);
}

static int rmsnorm_1p_kernel(const norm_cfg *c, const double *p, double *basis, int max_k)
{
    return kernel_zero_gains(c->d, p, 1.0, basis, max_k);
}

const norm_ops norm_rmsnorm_1p = {
    .abi_version = NORM_ABI_VERSION,
    .name = "rmsnorm-1p",
    .summary = "y = (1 + w) * x / sqrt(mean(x^2) + eps), w init 0 (Gemma)",
    .kernel_formula = "none (e_i if w_i=-1)",
    .n_params = 1,
    .params = rmsnorm_1p_params,
    .cache_per_token = rmsnorm_cache,
    .forward = rmsnorm_1p_forward,
    .backward = rmsnorm_1p_backward,
    .kernel = rmsnorm_1p_kernel,
};
