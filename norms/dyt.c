/* dyt.c - Dynamic Tanh (Zhu et al. 2025), an elementwise replacement for a norm:
 *   dyt  y = g * tanh(alpha x) + b,  scalar alpha (init 0.5), per-channel g, b
 * Kernel: none. Each channel is a separate monotone function of its own input, so no
 * linear combination of channels is constant across tokens when the input is full rank.
 * g_i = 0 gives the trivial e_i; alpha = 0 makes every output the constant b (k = d). */
#include "norms/norm.h"
#include "norms/kernel_basis.h"
#include <math.h>

static int dyt_cache(const norm_cfg *c) { (void)c; return 0; /* tanh is recomputed */ }

static const norm_param dyt_params[] = {
    {"alpha", "alpha", 0, NORM_OTHER, 0.5},
    {"weight", "g", 1, NORM_GAIN, 1.0},
    {"bias", "b", 1, NORM_BIAS, 0.0},
};

/* y = g tanh(alpha x) + b */
static void dyt_forward(const norm_cfg *c, const double *p, const double *x, double *y,
                        double *cache, int n)
{
    (void)cache;
    const int d = c->d;
    const double alpha = p[0], *g = p + 1, *b = p + 1 + d;
    for (size_t j = 0; j < (size_t)n * d; j++)
        y[j] = g[j % d] * tanh(alpha * x[j]) + b[j % d];
}

/* t = tanh(alpha x): dx += g dy alpha (1 - t^2); dalpha += sum g dy x (1 - t^2);
 * dg += dy t; db += dy */
static void dyt_backward(const norm_cfg *c, const double *p, const double *x, const double *cache,
                         const double *dy, double *dx, double *dp, int n)
{
    (void)cache;
    const int d = c->d;
    const double alpha = p[0], *g = p + 1;
    double *dg = dp + 1, *db = dp + 1 + d, dalpha = 0.0;
    for (size_t j = 0; j < (size_t)n * d; j++) {
        int i = (int)(j % d);
        double t = tanh(alpha * x[j]), s = g[i] * dy[j] * (1.0 - t * t);
        dx[j] += s * alpha;
        dalpha += s * x[j];
        dg[i] += dy[j] * t;
        db[i] += dy[j];
    }
    dp[0] += dalpha;
}

/* alpha = 0: every output constant (all e_i); else e_i where g_i = 0, otherwise none */
static int dyt_kernel(const norm_cfg *c, const double *p, double *basis, int max_k)
{
    if (p[0] == 0.0)
        return kernel_identity(c->d, basis, max_k);
    return kernel_zero_gains(c->d, p + 1, 0.0, basis, max_k);
}

const norm_ops norm_dyt = {
    .abi_version = NORM_ABI_VERSION,
    .name = "dyt",
    .summary = "y = g * tanh(alpha x) + b, scalar alpha init 0.5 (Dynamic Tanh)",
    .kernel_formula = "none (e_i if g_i=0; every e_i if alpha=0)",
    .n_params = 3,
    .params = dyt_params,
    .cache_per_token = dyt_cache,
    .forward = dyt_forward,
    .backward = dyt_backward,
    .kernel = dyt_kernel,
};
