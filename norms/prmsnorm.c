/* prmsnorm.c - partial RMSNorm (Zhang & Sennrich 2019): the RMS is estimated on the first
 * m = ceil(P d) coordinates only,
 *   prmsnorm:P  y = g * x / sqrt(sum_{i<m} x_i^2 / m + eps),  0 < P <= 1
 * Kernel: none. y / g is a positive multiple of x, as in RMSNorm, so no linear constraint
 * holds; only e_i where g_i = 0. */
#include "norms/norm.h"
#include "norms/kernel_basis.h"
#include <math.h>
#include <stdio.h>

/* m = ceil(P d) in [1, d]; a cfg that never went through validate (arg 0) uses P = 1 */
static int prms_count(const norm_cfg *c)
{
    double P = (c->arg > 0.0 && c->arg <= 1.0) ? c->arg : 1.0, pd = P * c->d;
    int m = fabs(pd - round(pd)) < 1e-9 * c->d ? (int)round(pd) : (int)ceil(pd);
    return m < 1 ? 1 : (m > c->d ? c->d : m);
}

static int prmsnorm_validate(const norm_cfg *c, char *err, size_t errlen)
{
    if (c->arg == 0.0)
        snprintf(err, errlen, "needs the fraction of coordinates the RMS reads: prmsnorm:P with 0 < P <= 1");
    else if (!(c->arg > 0.0 && c->arg <= 1.0))
        snprintf(err, errlen, "P = %g must satisfy 0 < P <= 1", c->arg);
    else
        return 0;
    return 1;
}

static int prmsnorm_cache(const norm_cfg *c) { (void)c; return 1; /* rstd */ }

static const norm_param prmsnorm_params[] = {
    {"weight", "g", 1, NORM_GAIN, 1.0},
};

/* rstd = (sum_{i<m} x_i^2 / m + eps)^-1/2; y = g x rstd */
static void prmsnorm_forward(const norm_cfg *c, const double *p, const double *x, double *y,
                             double *cache, int n)
{
    const int d = c->d, m = prms_count(c);
    for (int t = 0; t < n; t++) {
        const double *xt = x + (size_t)t * d;
        double *yt = y + (size_t)t * d, ms = 0.0;
        for (int i = 0; i < m; i++)
            ms += xt[i] * xt[i];
        double rstd = 1.0 / sqrt(ms / m + c->eps);
        for (int i = 0; i < d; i++)
            yt[i] = p[i] * (xt[i] * rstd);
        if (cache)
            cache[t] = rstd;
    }
}

/* a = g dy, xh = x rstd: dx_j += rstd (a_j - [j < m] xh_j sum(a xh) / m); dg += dy xh */
static void prmsnorm_backward(const norm_cfg *c, const double *p, const double *x,
                              const double *cache, const double *dy, double *dx, double *dp, int n)
{
    const int d = c->d, m = prms_count(c);
    for (int t = 0; t < n; t++) {
        const double *xt = x + (size_t)t * d, *dyt = dy + (size_t)t * d;
        double *dxt = dx + (size_t)t * d;
        double rstd = cache[t], mean_axh = 0.0;
        for (int i = 0; i < d; i++)
            mean_axh += p[i] * dyt[i] * xt[i] * rstd;
        mean_axh /= m;
        for (int i = 0; i < d; i++) {
            double xh = xt[i] * rstd;
            dxt[i] += rstd * (p[i] * dyt[i] - (i < m ? xh * mean_axh : 0.0));
            dp[i] += dyt[i] * xh;
        }
    }
}

static int prmsnorm_kernel(const norm_cfg *c, const double *p, double *basis, int max_k)
{
    return kernel_zero_gains(c->d, p, 0.0, basis, max_k);
}

const norm_ops norm_prmsnorm = {
    .abi_version = NORM_ABI_VERSION,
    .name = "prmsnorm",
    .summary = "prmsnorm:P  y = g * x / sqrt(sum_{i<m} x_i^2 / m + eps), m = ceil(P d) (partial RMSNorm)",
    .kernel_formula = "none (e_i if g_i=0)",
    .n_params = 1,
    .params = prmsnorm_params,
    .validate = prmsnorm_validate,
    .cache_per_token = prmsnorm_cache,
    .forward = prmsnorm_forward,
    .backward = prmsnorm_backward,
    .kernel = prmsnorm_kernel,
};
