/* centeronly.c - mean subtraction with gain and bias, no rescaling:
 *   centeronly  y = g * (x - mean(x)) + b
 * Kernel (PAPER "Facts"): sum_i (y_i - b_i) / g_i = sum_i (x_i - mean(x)) = 0 for every
 * token, so the centred output covariance annihilates p = g^-1 / ||g^-1||; e_i where
 * g_i = 0 (channel i is then the constant b_i). */
#include "norms/norm.h"
#include "norms/kernel_basis.h"

static int centeronly_cache(const norm_cfg *c) { (void)c; return 0; }

static const norm_param centeronly_params[] = {
    {"weight", "g", 1, NORM_GAIN, 1.0},
    {"bias", "b", 1, NORM_BIAS, 0.0},
};

/* mu = sum x / d; y = g (x - mu) + b */
static void centeronly_forward(const norm_cfg *c, const double *p, const double *x, double *y,
                               double *cache, int n)
{
    (void)cache;
    const int d = c->d;
    const double *g = p, *b = p + d;
    for (int t = 0; t < n; t++) {
        const double *xt = x + (size_t)t * d;
        double *yt = y + (size_t)t * d, mu = 0.0;
        for (int i = 0; i < d; i++)
            mu += xt[i];
        mu /= d;
        for (int i = 0; i < d; i++)
            yt[i] = g[i] * (xt[i] - mu) + b[i];
    }
}

/* a = g dy: dx += a - mean(a); dg += dy (x - mu); db += dy */
static void centeronly_backward(const norm_cfg *c, const double *p, const double *x,
                                const double *cache, const double *dy, double *dx, double *dp,
                                int n)
{
    (void)cache;
    const int d = c->d;
    const double *g = p;
    double *dg = dp, *db = dp + d;
    for (int t = 0; t < n; t++) {
        const double *xt = x + (size_t)t * d, *dyt = dy + (size_t)t * d;
        double *dxt = dx + (size_t)t * d, mu = 0.0, mean_a = 0.0;
        for (int i = 0; i < d; i++) {
            mu += xt[i];
            mean_a += g[i] * dyt[i];
        }
        mu /= d;
        mean_a /= d;
        for (int i = 0; i < d; i++) {
            dxt[i] += g[i] * dyt[i] - mean_a;
            dg[i] += dyt[i] * (xt[i] - mu);
            db[i] += dyt[i];
        }
    }
}

static int centeronly_kernel(const norm_cfg *c, const double *p, double *basis, int max_k)
{
    int k = kernel_zero_gains(c->d, p, 0.0, basis, max_k);
    return k ? k : kernel_inverse_gain(c->d, p, basis, max_k);
}

const norm_ops norm_centeronly = {
    .abi_version = NORM_ABI_VERSION,
    .name = "centeronly",
    .summary = "y = g * (x - mean(x)) + b",
    .kernel_formula = "g^-1/||g^-1|| (e_i if g_i=0)",
    .n_params = 2,
    .params = centeronly_params,
    .cache_per_token = centeronly_cache,
    .forward = centeronly_forward,
    .backward = centeronly_backward,
    .kernel = centeronly_kernel,
};
