/* l2norm.c - projection onto the unit sphere, as nGPT normalises its hidden states:
 *   l2norm  y = x / sqrt(||x||^2 + eps)
 * No parameters (nGPT's learned scalings live outside the normalisation). Kernel: none.
 * The outputs of a full-rank input fill the sphere, which lies in no hyperplane (only
 * the quadratic constraint ||y||^2 = ||x||^2 / (||x||^2 + eps) holds). */
#include "norms/norm.h"
#include <math.h>

static int l2norm_cache(const norm_cfg *c) { (void)c; return 1; /* rnorm */ }

/* rnorm = (sum x^2 + eps)^-1/2; y = x rnorm */
static void l2norm_forward(const norm_cfg *c, const double *p, const double *x, double *y,
                           double *cache, int n)
{
    (void)p;
    const int d = c->d;
    for (int t = 0; t < n; t++) {
        const double *xt = x + (size_t)t * d;
        double *yt = y + (size_t)t * d, ss = 0.0;
        for (int i = 0; i < d; i++)
            ss += xt[i] * xt[i];
        double rnorm = 1.0 / sqrt(ss + c->eps);
        for (int i = 0; i < d; i++)
            yt[i] = xt[i] * rnorm;
        if (cache)
            cache[t] = rnorm;
    }
}

/* y = x r, dr/dx_j = -r^3 x_j: dx += r (dy - y (dy . y)) */
static void l2norm_backward(const norm_cfg *c, const double *p, const double *x,
                            const double *cache, const double *dy, double *dx, double *dp, int n)
{
    (void)p;
    (void)dp;
    const int d = c->d;
    for (int t = 0; t < n; t++) {
        const double *xt = x + (size_t)t * d, *dyt = dy + (size_t)t * d;
        double *dxt = dx + (size_t)t * d;
        double r = cache[t], dot = 0.0;
        for (int i = 0; i < d; i++)
            dot += dyt[i] * xt[i] * r;
        for (int i = 0; i < d; i++)
            dxt[i] += r * (dyt[i] - xt[i] * r * dot);
    }
}

static int l2norm_kernel(const norm_cfg *c, const double *p, double *basis, int max_k)
{
    (void)c;
    (void)p;
    (void)basis;
    (void)max_k;
    return 0;
}

const norm_ops norm_l2norm = {
    .abi_version = NORM_ABI_VERSION,
    .name = "l2norm",
    .summary = "y = x / sqrt(||x||^2 + eps) (nGPT: onto the unit sphere, no parameters)",
    .kernel_formula = "none",
    .n_params = 0,
    .params = NULL,
    .cache_per_token = l2norm_cache,
    .forward = l2norm_forward,
    .backward = l2norm_backward,
    .kernel = l2norm_kernel,
};
