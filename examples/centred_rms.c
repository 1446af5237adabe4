/* centred_rms.c - an example normsim plugin: "centred RMSNorm", a scheme that is not in
 * the registry. Build (make does this): cc -shared -fPIC -I norms examples/centred_rms.c
 * -o build/examples/centred_rms.so; use: normsim screen --norm-plugin build/examples/centred_rms.so
 *
 *   centred-rms  y = g * (x - mean(x)) / sqrt(mean(x^2) + eps)
 *
 * The numerator is centred like LayerNorm's, the denominator is RMSNorm's (uncentred).
 * Kernel: sum_i y_i / g_i = r sum_i (x_i - mean(x)) = 0 for every token, so the centred
 * output covariance annihilates p = g^-1 / ||g^-1|| (e_i where g_i = 0): LN-like.
 * docs/plugins.md walks through this file. */
#include "norm.h" /* the only header a plugin needs */
#include <math.h>
#include <string.h>

/* per-token doubles forward leaves for backward: mean and 1/rms */
static int crms_cache(const norm_cfg *c) { (void)c; return 2; }

static const norm_param crms_params[] = {
    /* checkpoint name, symbol, per channel, role (--gamma random draws NORM_GAIN), init */
    {"weight", "g", 1, NORM_GAIN, 1.0},
};

/* mu = mean(x), r = (mean(x^2) + eps)^-1/2; y = g (x - mu) r */
static void crms_forward(const norm_cfg *c, const double *p, const double *x, double *y,
                         double *cache, int n)
{
    const int d = c->d;
    for (int t = 0; t < n; t++) {
        const double *xt = x + (size_t)t * d;
        double *yt = y + (size_t)t * d, mu = 0.0, ms = 0.0;
        for (int i = 0; i < d; i++) {
            mu += xt[i];
            ms += xt[i] * xt[i];
        }
        mu /= d;
        double r = 1.0 / sqrt(ms / d + c->eps);
        for (int i = 0; i < d; i++)
            yt[i] = p[i] * (xt[i] - mu) * r;
        if (cache) {
            cache[2 * t] = mu;
            cache[2 * t + 1] = r;
        }
    }
}

/* a = g dy: dx_j += r (a_j - mean(a)) - r^3 x_j mean(a (x - mu)); dg += dy (x - mu) r
 * (dr/dx_j = -r^3 x_j / d). Accumulates (+=), summing over tokens. */
static void crms_backward(const norm_cfg *c, const double *p, const double *x, const double *cache,
                          const double *dy, double *dx, double *dp, int n)
{
    const int d = c->d;
    for (int t = 0; t < n; t++) {
        const double *xt = x + (size_t)t * d, *dyt = dy + (size_t)t * d;
        double *dxt = dx + (size_t)t * d;
        double mu = cache[2 * t], r = cache[2 * t + 1], mean_a = 0.0, mean_ac = 0.0;
        for (int i = 0; i < d; i++) {
            mean_a += p[i] * dyt[i];
            mean_ac += p[i] * dyt[i] * (xt[i] - mu);
        }
        mean_a /= d;
        mean_ac /= d;
        for (int i = 0; i < d; i++) {
            dxt[i] += r * (p[i] * dyt[i] - mean_a) - r * r * r * xt[i] * mean_ac;
            dp[i] += dyt[i] * (xt[i] - mu) * r;
        }
    }
}

/* e_i for each g_i = 0; else one row p = g^-1 / ||g^-1||. Returns k; writes min(k, max_k) rows. */
static int crms_kernel(const norm_cfg *c, const double *p, double *basis, int max_k)
{
    const int d = c->d;
    int k = 0;
    for (int i = 0; i < d; i++)
        if (p[i] == 0.0) {
            if (k < max_k) {
                memset(basis + (size_t)k * d, 0, sizeof(double) * (size_t)d);
                basis[(size_t)k * d + i] = 1.0;
            }
            k++;
        }
    if (k > 0)
        return k;
    if (max_k < 1) /* counting only */
        return 1;
    double ss = 0.0;
    for (int i = 0; i < d; i++)
        ss += 1.0 / (p[i] * p[i]);
    for (int i = 0; i < d; i++)
        basis[i] = 1.0 / (p[i] * sqrt(ss));
    return 1;
}

static const norm_ops centred_rms = {
    .abi_version = NORM_ABI_VERSION,
    .name = "centred-rms",
    .summary = "y = g * (x - mean(x)) / sqrt(mean(x^2) + eps) (plugin example)",
    .kernel_formula = "g^-1/||g^-1|| (e_i if g_i=0)",
    .n_params = 1,
    .params = crms_params,
    .validate = NULL, /* takes no ':' argument */
    .cache_per_token = crms_cache,
    .forward = crms_forward,
    .backward = crms_backward,
    .kernel = crms_kernel,
};

/* the one exported symbol (NORM_PLUGIN_SYMBOL); the loader checks abi_version */
const norm_ops *normsim_norm_plugin(void) { return &centred_rms; }
