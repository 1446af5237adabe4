/* groupnorm.c - GroupNorm applied per token: LayerNorm within each of G channel groups
 * (channels [j d/G, (j+1) d/G) form group j), with per-channel gain and bias:
 *   groupnorm:G  y_i = g_i (x_i - mu_j) / sqrt(var_j + eps) + b_i,  i in group j
 * Kernel (PAPER "Facts"): within each group sum_{i in j} (y_i - b_i) / g_i = 0 for every
 * token, so the centred output covariance annihilates the G vectors g^-1 restricted to
 * each group (disjoint supports: orthogonal). A group with a zero gain g_i contributes
 * e_i instead (one per zero gain), as in LayerNorm. */
#include "norms/norm.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

/* G from cfg->arg; a cfg that never went through validate (arg 0) computes as G = 1 */
static int gn_groups(const norm_cfg *c)
{
    int G = (int)c->arg;
    return (G >= 1 && (double)G == c->arg && c->d % G == 0) ? G : 1;
}

static int groupnorm_validate(const norm_cfg *c, char *err, size_t errlen)
{
    if (c->arg == 0.0) {
        snprintf(err, errlen, "needs a group count: groupnorm:G with G dividing d = %d", c->d);
        return 1;
    }
    if (c->arg != floor(c->arg) || c->arg < 1 || c->arg > c->d || c->d % (int)c->arg != 0) {
        snprintf(err, errlen, "G = %g must be a whole number of groups dividing d = %d", c->arg, c->d);
        return 1;
    }
    return 0;
}

static int groupnorm_cache(const norm_cfg *c) { return 2 * gn_groups(c); /* mu, rstd per group */ }

static const norm_param groupnorm_params[] = {
    {"weight", "g", 1, NORM_GAIN, 1.0},
    {"bias", "b", 1, NORM_BIAS, 0.0},
};

/* per group of s = d/G channels: mu = sum x / s; var = sum (x - mu)^2 / s (two-pass);
 * y = g (x - mu) rstd + b */
static void groupnorm_forward(const norm_cfg *c, const double *p, const double *x, double *y,
                              double *cache, int n)
{
    const int d = c->d, G = gn_groups(c), s = d / G;
    const double *g = p, *b = p + d;
    for (int t = 0; t < n; t++) {
        for (int j = 0; j < G; j++) {
            const int o = j * s;
            const double *xt = x + (size_t)t * d + o;
            double *yt = y + (size_t)t * d + o, mu = 0.0, var = 0.0;
            for (int i = 0; i < s; i++)
                mu += xt[i];
            mu /= s;
            for (int i = 0; i < s; i++)
                var += (xt[i] - mu) * (xt[i] - mu);
            double rstd = 1.0 / sqrt(var / s + c->eps);
            for (int i = 0; i < s; i++)
                yt[i] = g[o + i] * ((xt[i] - mu) * rstd) + b[o + i];
            if (cache) {
                cache[(size_t)t * 2 * G + 2 * j] = mu;
                cache[(size_t)t * 2 * G + 2 * j + 1] = rstd;
            }
        }
    }
}

/* per group, a = g dy, xh = (x - mu) rstd: dx += rstd (a - mean(a) - xh mean(a xh));
 * dg += dy xh; db += dy (means over the group's s channels) */
static void groupnorm_backward(const norm_cfg *c, const double *p, const double *x,
                               const double *cache, const double *dy, double *dx, double *dp, int n)
{
    const int d = c->d, G = gn_groups(c), s = d / G;
    const double *g = p;
    double *dg = dp, *db = dp + d;
    for (int t = 0; t < n; t++) {
        for (int j = 0; j < G; j++) {
            const int o = j * s;
            const double *xt = x + (size_t)t * d + o, *dyt = dy + (size_t)t * d + o;
            double *dxt = dx + (size_t)t * d + o;
            double mu = cache[(size_t)t * 2 * G + 2 * j], rstd = cache[(size_t)t * 2 * G + 2 * j + 1];
            double mean_a = 0.0, mean_axh = 0.0;
            for (int i = 0; i < s; i++) {
                double a = g[o + i] * dyt[i];
                mean_a += a;
                mean_axh += a * (xt[i] - mu) * rstd;
            }
            mean_a /= s;
            mean_axh /= s;
            for (int i = 0; i < s; i++) {
                double xh = (xt[i] - mu) * rstd;
                dxt[i] += rstd * (g[o + i] * dyt[i] - mean_a - xh * mean_axh);
                dg[o + i] += dyt[i] * xh;
                db[o + i] += dyt[i];
            }
        }
    }
}

/* writes basis row k (if k < max_k): zero, then the given entries */
static void put_row(double *basis, int max_k, int k, int d, int o, const double *v, int s)
{
    if (k >= max_k)
        return;
    double *row = basis + (size_t)k * d;
    memset(row, 0, sizeof(double) * (size_t)d);
    memcpy(row + o, v, sizeof(double) * (size_t)s);
}

/* group j: e_i for each g_i = 0 in it, else p_i = g_i^-1 / sqrt(sum_{i' in j} g_i'^-2) */
static int groupnorm_kernel(const norm_cfg *c, const double *p, double *basis, int max_k)
{
    const int d = c->d, G = gn_groups(c), s = d / G;
    int k = 0;
    for (int j = 0; j < G; j++) {
        const double *g = p + j * s;
        int zeros = 0;
        for (int i = 0; i < s; i++) {
            if (g[i] != 0.0)
                continue;
            double one = 1.0;
            put_row(basis, max_k, k++, d, j * s + i, &one, 1);
            zeros++;
        }
        if (zeros)
            continue;
        double ss = 0.0;
        for (int i = 0; i < s; i++)
            ss += 1.0 / (g[i] * g[i]);
        if (k < max_k) {
            double *row = basis + (size_t)k * d, inv = 1.0 / sqrt(ss);
            memset(row, 0, sizeof(double) * (size_t)d);
            for (int i = 0; i < s; i++)
                row[j * s + i] = inv / g[i];
        }
        k++;
    }
    return k;
}

const norm_ops norm_groupnorm = {
    .abi_version = NORM_ABI_VERSION,
    .name = "groupnorm",
    .summary = "groupnorm:G  y = g * (x - mean_grp(x)) / sqrt(var_grp(x) + eps) + b, per token, G groups of d/G channels",
    .kernel_formula = "G vectors: g^-1/||g^-1|| within each group (e_i if g_i=0)",
    .n_params = 2,
    .params = groupnorm_params,
    .validate = groupnorm_validate,
    .cache_per_token = groupnorm_cache,
    .forward = groupnorm_forward,
    .backward = groupnorm_backward,
    .kernel = groupnorm_kernel,
};
