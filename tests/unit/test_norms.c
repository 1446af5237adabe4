/* test_norms.c - every registered scheme: forward against a direct formula (where the
 * test knows one), backward against central finite differences, kernel algebra. */
#include "check.h"
#include "norms/registry.h"
#include "sim/base/rng.h"
#include <stdlib.h>
#include <string.h>

enum { D = 12, N = 5 };

static void fill_normal(pcg32 *r, double *x, int n, double scale, double shift)
{
    for (int i = 0; i < n; i++)
        x[i] = shift + scale * rng_normal(r);
}

/* random parameters: gains around 1 (never 0), everything else N(0, 0.5) */
static void random_params(pcg32 *r, const norm_ops *o, int d, double *p)
{
    for (int k = 0; k < o->n_params; k++) {
        int len = o->params[k].per_channel ? d : 1;
        double *q = p + norm_param_offset(o, d, k);
        for (int i = 0; i < len; i++)
            q[i] = o->params[k].role == NORM_GAIN ? exp(0.5 * rng_normal(r)) : 0.5 * rng_normal(r);
    }
}

/* direct formulas, written independently of norms/ */
static void direct_layernorm(const double *x, const double *p, double eps, double *y)
{
    for (int t = 0; t < N; t++) {
        long double mu = 0, var = 0;
        for (int i = 0; i < D; i++)
            mu += x[t * D + i];
        mu /= D;
        for (int i = 0; i < D; i++)
            var += (x[t * D + i] - mu) * (x[t * D + i] - mu);
        var /= D;
        for (int i = 0; i < D; i++)
            y[t * D + i] = (double)(p[i] * (x[t * D + i] - mu) / sqrtl(var + eps) + p[D + i]);
    }
}

static void direct_rmsnorm(const double *x, const double *p, double eps, double *y)
{
    for (int t = 0; t < N; t++) {
        long double ms = 0;
        for (int i = 0; i < D; i++)
            ms += (long double)x[t * D + i] * x[t * D + i];
        ms /= D;
        for (int i = 0; i < D; i++)
            y[t * D + i] = (double)(p[i] * x[t * D + i] / sqrtl(ms + eps));
    }
}

static void test_forward_direct(const char *name, void (*direct)(const double *, const double *, double, double *))
{
    const norm_ops *o;
    norm_cfg c;
    ns_err e;
    CHECK(norm_resolve(name, D, 1e-5, &o, &c, &e) == NS_OK, "resolve %s", name);
    pcg32 r;
    pcg32_seed(&r, 11, 1);
    double x[N * D], y[N * D], want[N * D], p[4 * D], cache[4 * N];
    fill_normal(&r, x, N * D, 2.0, 0.7);
    random_params(&r, o, D, p);
    o->forward(&c, p, x, y, cache, N);
    direct(x, p, c.eps, want);
    for (int i = 0; i < N * D; i++)
        CHECK_REL(y[i], want[i], 1e-13, 1e-12, name);
}

/* L = sum w .* y; compare dL/dx and dL/dp with central differences (h = 1e-5) */
static double loss(const norm_ops *o, const norm_cfg *c, const double *p, const double *x,
                   const double *w)
{
    double y[N * D], L = 0.0;
    o->forward(c, p, x, y, NULL, N);
    for (int i = 0; i < N * D; i++)
        L += w[i] * y[i];
    return L;
}

static void test_backward_fd(const norm_ops *o)
{
    norm_cfg c = {D, 1e-5, 0.0};
    pcg32 r;
    pcg32_seed(&r, 5, 2);
    size_t np = norm_param_count(o, D);
    double x[N * D], w[N * D], dx[N * D] = {0}, *p = calloc(np + 1, sizeof(double)),
           *dp = calloc(np + 1, sizeof(double)), *cache = malloc(sizeof(double) * (size_t)(N * o->cache_per_token(&c) + 1)),
           y[N * D];
    fill_normal(&r, x, N * D, 1.5, 0.3);
    fill_normal(&r, w, N * D, 1.0, 0.0);
    random_params(&r, o, D, p);
    o->forward(&c, p, x, y, cache, N);
    o->backward(&c, p, x, cache, w, dx, dp, N);
    const double h = 1e-5;
    double worst = 0.0;
    for (int i = 0; i < N * D; i++) {
        double keep = x[i];
        x[i] = keep + h;
        double Lp = loss(o, &c, p, x, w);
        x[i] = keep - h;
        double Lm = loss(o, &c, p, x, w);
        x[i] = keep;
        double fd = (Lp - Lm) / (2 * h), err = fabs(fd - dx[i]) / fmax(fabs(fd), 1e-3);
        worst = err > worst ? err : worst;
    }
    CHECK(worst <= 1e-6, "%s: dx vs finite differences, worst rel err %.3g", o->name, worst);
    worst = 0.0;
    for (size_t i = 0; i < np; i++) {
        double keep = p[i];
        p[i] = keep + h;
        double Lp = loss(o, &c, p, x, w);
        p[i] = keep - h;
        double Lm = loss(o, &c, p, x, w);
        p[i] = keep;
        double fd = (Lp - Lm) / (2 * h), err = fabs(fd - dp[i]) / fmax(fabs(fd), 1e-3);
        worst = err > worst ? err : worst;
    }
    CHECK(worst <= 1e-6, "%s: dparams vs finite differences, worst rel err %.3g", o->name, worst);
    /* backward accumulates: a second call doubles the gradients */
    double dx2[N * D];
    memcpy(dx2, dx, sizeof dx);
    o->backward(&c, p, x, cache, w, dx2, dp, N);
    CHECK_REL(dx2[3], 2 * dx[3], 1e-14, 1e-300, "backward accumulates into dx");
    free(p);
    free(dp);
    free(cache);
}

/* LN: sum_i (y_i - b_i) / g_i = 0 per token, and the declared kernel is g^-1/||g^-1|| */
static void test_layernorm_kernel(void)
{
    const norm_ops *o = norm_find("layernorm");
    norm_cfg c = {D, 1e-5, 0.0};
    pcg32 r;
    pcg32_seed(&r, 8, 3);
    double x[N * D], y[N * D], p[2 * D], basis[D];
    fill_normal(&r, x, N * D, 3.0, -1.0);
    random_params(&r, o, D, p);
    o->forward(&c, p, x, y, NULL, N);
    for (int t = 0; t < N; t++) {
        double s = 0.0, scale = 0.0;
        for (int i = 0; i < D; i++) {
            s += (y[t * D + i] - p[D + i]) / p[i];
            scale += fabs((y[t * D + i] - p[D + i]) / p[i]);
        }
        CHECK(fabs(s) <= 1e-14 * scale, "token %d: sum (y-b)/g = %g", t, s);
    }
    CHECK(o->kernel(&c, p, NULL, 0) == 1, "layernorm kernel dimension");
    o->kernel(&c, p, basis, 1);
    double nrm = 0.0, worst = 0.0;
    for (int i = 0; i < D; i++)
        nrm += 1.0 / (p[i] * p[i]);
    for (int i = 0; i < D; i++)
        worst = fmax(worst, fabs(basis[i] - 1.0 / p[i] / sqrt(nrm)));
    CHECK(worst < 1e-15, "layernorm kernel = g^-1/||g^-1|| (max diff %g)", worst);
    /* a zero gain: the kernel is e_i */
    p[4] = 0.0;
    CHECK(o->kernel(&c, p, basis, 1) == 1 && basis[4] == 1.0, "g_4 = 0 gives kernel e_4");
}

static void test_rmsnorm_kernel(void)
{
    const norm_ops *o = norm_find("rmsnorm");
    norm_cfg c = {D, 1e-6, 0.0};
    double p[D], basis[2 * D];
    for (int i = 0; i < D; i++)
        p[i] = 1.0 + 0.1 * i;
    CHECK(o->kernel(&c, p, NULL, 0) == 0, "rmsnorm predicts no kernel");
    p[2] = 0.0;
    p[7] = 0.0;
    int k = o->kernel(&c, p, basis, 2);
    CHECK(k == 2 && basis[2] == 1.0 && basis[D + 7] == 1.0, "rmsnorm zero gains give e_2, e_7 (k=%d)", k);
}

static void test_registry(void)
{
    const norm_ops *o;
    norm_cfg c;
    ns_err e = {0};
    CHECK(norm_resolve("nosuchnorm", 8, 1e-5, &o, &c, &e) == NS_EUSAGE &&
              strstr(e.msg, "layernorm") && strstr(e.msg, "rmsnorm"),
          "unknown norm lists the valid names: '%s'", e.msg);
    CHECK(norm_resolve("layernorm:3", 8, 1e-5, &o, &c, &e) == NS_EUSAGE, "layernorm takes no argument");
    norm_ops bad = *norm_find("layernorm");
    bad.abi_version = NORM_ABI_VERSION + 1;
    CHECK(norm_register(&bad, &e) == NS_EUSAGE, "wrong ABI version refused");
    bad.abi_version = NORM_ABI_VERSION;
    CHECK(norm_register(&bad, &e) == NS_EUSAGE, "duplicate name refused");
    bad.name = "layernorm-copy";
    bad.backward = NULL;
    CHECK(norm_register(&bad, &e) == NS_EUSAGE, "missing backward refused");
    CHECK(norm_param_count(norm_find("layernorm"), 10) == 20, "layernorm has 2d parameters");
}

int main(void)
{
    test_registry();
    test_forward_direct("layernorm", direct_layernorm);
    test_forward_direct("rmsnorm", direct_rmsnorm);
    for (int i = 0; i < norm_count(); i++)
        test_backward_fd(norm_at(i));
    test_layernorm_kernel();
    test_rmsnorm_kernel();
    return check_summary("norms");
}
