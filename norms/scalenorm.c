/* scalenorm.c - ScaleNorm (Nguyen & Salazar 2019): one scalar gain for all channels,
 *   scalenorm  y = g * x / sqrt(mean(x^2) + eps)  =  (g sqrt(d)) * x / sqrt(||x||^2 + d eps)
 * ScaleNorm's s x / ||x|| with s initialised to sqrt(d) is this with g = s / sqrt(d)
 * initialised to 1 (a norm_param's init is a constant, it cannot depend on d).
 * Kernel: none. y / g is a positive multiple of x, so the outputs of a full-rank input
 * fill a (scaled) sphere, which lies in no hyperplane. g = 0 makes every output 0: then
 * every e_i is a kernel direction (k = d). */
#include "norms/norm.h"
#include "norms/kernel_basis.h"
#include <math.h>

static int scalenorm_cache(const norm_cfg *c) { (void)c; return 1; /* rstd */ }

static const norm_param scalenorm_params[] = {
    {"weight", "g", 0, NORM_GAIN, 1.0}, /* scalar; s = g sqrt(d) */
};

/* rstd = (sum x^2 / d + eps)^-1/2; y = g x rstd */
static void scalenorm_forward(const norm_cfg *c, const double *p, const double *x, double *y,
                              double *cache, int n)
{
    const int d = c->d;
    for (int t = 0; t < n; t++) {
        const double *xt = x + (size_t)t * d;
        double *yt = y + (size_t)t * d, ms = 0.0;
        for (int i = 0; i < d; i++)
            ms += xt[i] * xt[i];
        double rstd = 1.0 / sqrt(ms / d + c->eps);
        for (int i = 0; i < d; i++)
            yt[i] = p[0] * (xt[i] * rstd);
        if (cache)
            cache[t] = rstd;
    }
}

/* xh = x rstd: dx += g rstd (dy - xh mean(dy xh)); dg += sum dy xh */
static void scalenorm_backward(const norm_cfg *c, const double *p, const double *x,
                               const double *cache, const double *dy, double *dx, double *dp, int n)
{
    const int d = c->d;
    for (int t = 0; t < n; t++) {
        const double *xt = x + (size_t)t * d, *dyt = dy + (size_t)t * d;
        double *dxt = dx + (size_t)t * d;
        double rstd = cache[t], dot = 0.0;
        for (int i = 0; i < d; i++)
            dot += dyt[i] * xt[i] * rstd;
        for (int i = 0; i < d; i++)
            dxt[i] += p[0] * rstd * (dyt[i] - xt[i] * rstd * dot / d);
        dp[0] += dot;
    }
}

/* g = 0: the identity basis (every output is 0); otherwise none */
static int scalenorm_kernel(const norm_cfg *c, const double *p, double *basis, int max_k)
{
    return p[0] == 0.0 ? kernel_identity(c->d, basis, max_k) : 0;
}

const norm_ops norm_scalenorm = {
    .abi_version = NORM_ABI_VERSION,
    .name = "scalenorm",
    .summary = "y = g * x / sqrt(mean(x^2) + eps), scalar g init 1 (ScaleNorm s x/||x||, s = g sqrt(d) init sqrt(d))",
    .kernel_formula = "none (every e_i if g=0)",
    .n_params = 1,
    .params = scalenorm_params,
    .cache_per_token = scalenorm_cache,
    .forward = scalenorm_forward,
    .backward = scalenorm_backward,
    .kernel = scalenorm_kernel,
};
