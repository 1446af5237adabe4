/* test_schemes.c - the schemes added for screening (centeronly, groupnorm:G, scalenorm,
 * prmsnorm:P, l2norm, dyt): forward against direct formulas, backward of the argument
 * schemes against central differences, the declared kernels (exact algebra, orthonormal
 * bases, zero gains), argument validation; and the screening battery (sim/screen/screen.h) on
 * the paper's known answers, including a scheme that lies about its kernel. */
#include "check.h"
#include "sim/stats/spectrum.h"
#include "norms/registry.h"
#include "sim/base/rng.h"
#include "sim/screen/screen.h"
#include <stdlib.h>
#include <string.h>

enum { D = 12, N = 6 };

static void fill_normal(pcg32 *r, double *x, int n, double scale, double shift)
{
    for (int i = 0; i < n; i++)
        x[i] = shift + scale * rng_normal(r);
}

static const norm_ops *resolve(const char *spec, int d, norm_cfg *c)
{
    const norm_ops *o = NULL;
    ns_err e = {0};
    int rc = norm_resolve(spec, d, 1e-5, &o, c, &e);
    CHECK(rc == NS_OK, "resolve %s: %s", spec, e.msg);
    return rc == NS_OK ? o : NULL;
}

/* parameters: gains exp(0.5 N) (a scalar gain too), everything else 0.5 N, alpha 0.7 */
static void random_params(pcg32 *r, const norm_ops *o, int d, double *p)
{
    for (int k = 0; k < o->n_params; k++) {
        int len = o->params[k].per_channel ? d : 1;
        double *q = p + norm_param_offset(o, d, k);
        for (int i = 0; i < len; i++)
            q[i] = o->params[k].role == NORM_GAIN ? exp(0.5 * rng_normal(r))
                 : strcmp(o->params[k].name, "alpha") == 0 ? 0.7 : 0.5 * rng_normal(r);
    }
}

/* ---- forward against direct formulas (long double, written from the definitions) ---- */

/* y = f(x row, p); each returns the row into y */
typedef void (*direct_fn)(const double *x, const double *p, double eps, double arg, double *y);

static void d_centeronly(const double *x, const double *p, double eps, double arg, double *y)
{
    (void)eps, (void)arg;
    long double mu = 0;
    for (int i = 0; i < D; i++)
        mu += x[i];
    mu /= D;
    for (int i = 0; i < D; i++)
        y[i] = (double)(p[i] * (x[i] - mu) + p[D + i]);
}

static void d_groupnorm(const double *x, const double *p, double eps, double arg, double *y)
{
    int G = (int)arg, s = D / G;
    for (int j = 0; j < G; j++) {
        long double mu = 0, var = 0;
        for (int i = j * s; i < (j + 1) * s; i++)
            mu += x[i];
        mu /= s;
        for (int i = j * s; i < (j + 1) * s; i++)
            var += (x[i] - mu) * (x[i] - mu);
        var /= s;
        for (int i = j * s; i < (j + 1) * s; i++)
            y[i] = (double)(p[i] * (x[i] - mu) / sqrtl(var + eps) + p[D + i]);
    }
}

static void d_scalenorm(const double *x, const double *p, double eps, double arg, double *y)
{
    (void)arg;
    long double ss = 0;
    for (int i = 0; i < D; i++)
        ss += (long double)x[i] * x[i];
    for (int i = 0; i < D; i++) /* ScaleNorm s x / ||x|| with s = g sqrt(d) (eps scaled by d) */
        y[i] = (double)(p[0] * sqrtl(D) * x[i] / sqrtl(ss + D * eps));
}

static void d_prmsnorm(const double *x, const double *p, double eps, double arg, double *y)
{
    int m = (int)ceil(arg * D - 1e-9);
    long double ss = 0;
    for (int i = 0; i < m; i++)
        ss += (long double)x[i] * x[i];
    for (int i = 0; i < D; i++)
        y[i] = (double)(p[i] * x[i] / sqrtl(ss / m + eps));
}

static void d_l2norm(const double *x, const double *p, double eps, double arg, double *y)
{
    (void)p, (void)arg;
    long double ss = 0;
    for (int i = 0; i < D; i++)
        ss += (long double)x[i] * x[i];
    for (int i = 0; i < D; i++)
        y[i] = (double)(x[i] / sqrtl(ss + eps));
}

static void d_dyt(const double *x, const double *p, double eps, double arg, double *y)
{
    (void)eps, (void)arg;
    for (int i = 0; i < D; i++)
        y[i] = (double)(p[1 + i] * tanhl(p[0] * (long double)x[i]) + p[1 + D + i]);
}

static void test_forward(const char *spec, direct_fn f)
{
    norm_cfg c;
    const norm_ops *o = resolve(spec, D, &c);
    if (!o)
        return;
    pcg32 r;
    pcg32_seed(&r, 21, 1);
    double x[N * D], y[N * D], want[D], p[3 * D + 2], cache[2 * D * N + 1];
    fill_normal(&r, x, N * D, 2.0, 0.7);
    random_params(&r, o, D, p);
    o->forward(&c, p, x, y, cache, N);
    double worst = 0.0;
    for (int t = 0; t < N; t++) {
        f(x + t * D, p, c.eps, c.arg, want);
        for (int i = 0; i < D; i++)
            worst = fmax(worst, fabs(y[t * D + i] - want[i]) / fmax(fabs(want[i]), 1e-3));
    }
    CHECK(worst <= 1e-13, "%s forward vs direct formula: worst rel err %.3g", spec, worst);
}

/* ---- backward of the argument schemes (test_norms covers every scheme at arg 0) ---- */

static double loss(const norm_ops *o, const norm_cfg *c, const double *p, const double *x,
                   const double *w)
{
    double y[N * D], L = 0.0;
    o->forward(c, p, x, y, NULL, N);
    for (int i = 0; i < N * D; i++)
        L += w[i] * y[i];
    return L;
}

/* central differences of L = sum w y, h = 1e-5, on x then on p */
static double fd_worst(const norm_ops *o, const norm_cfg *c, double *p, size_t np, double *x,
                       const double *w, const double *dx, const double *dp)
{
    const double h = 1e-5;
    double worst = 0.0;
    for (size_t i = 0; i < (size_t)N * D + np; i++) {
        double *v = i < (size_t)N * D ? &x[i] : &p[i - (size_t)N * D], keep = *v;
        double an = i < (size_t)N * D ? dx[i] : dp[i - (size_t)N * D];
        *v = keep + h;
        double Lp = loss(o, c, p, x, w);
        *v = keep - h;
        double Lm = loss(o, c, p, x, w);
        *v = keep;
        double fd = (Lp - Lm) / (2 * h);
        worst = fmax(worst, fabs(fd - an) / fmax(fabs(fd), 1e-3));
    }
    return worst;
}

static void test_backward(const char *spec)
{
    norm_cfg c;
    const norm_ops *o = resolve(spec, D, &c);
    if (!o)
        return;
    pcg32 r;
    pcg32_seed(&r, 7, 4);
    size_t np = norm_param_count(o, D);
    double x[N * D], y[N * D], w[N * D], dx[N * D] = {0}, p[3 * D + 2], dp[3 * D + 2] = {0};
    double *cache = malloc(sizeof(double) * ((size_t)N * o->cache_per_token(&c) + 1));
    fill_normal(&r, x, N * D, 1.5, 0.3);
    fill_normal(&r, w, N * D, 1.0, 0.0);
    random_params(&r, o, D, p);
    o->forward(&c, p, x, y, cache, N);
    o->backward(&c, p, x, cache, w, dx, dp, N);
    double worst = fd_worst(o, &c, p, np, x, w, dx, dp);
    CHECK(worst <= 1e-6, "%s backward vs central differences: worst rel err %.3g", spec, worst);
    free(cache);
}

/* ---- declared kernels ---- */

/* G rows, orthonormal, row j = g^-1 on group j normalised, 0 elsewhere; and the algebra
 * sum_{i in group} (y_i - b_i) / g_i = 0 for every token */
static void test_groupnorm_kernel(int G)
{
    char spec[32];
    snprintf(spec, sizeof spec, "groupnorm:%d", G);
    norm_cfg c;
    const norm_ops *o = resolve(spec, D, &c);
    if (!o)
        return;
    pcg32 r;
    pcg32_seed(&r, 9, (uint64_t)G);
    double p[2 * D], B[D * D], x[N * D], y[N * D];
    random_params(&r, o, D, p);
    int k = o->kernel(&c, p, NULL, 0);
    CHECK(k == G, "%s declares %d kernel vectors, want %d", spec, k, G);
    o->kernel(&c, p, B, D);
    double orth = 0.0, form = 0.0;
    const int s = D / G;
    for (int a = 0; a < G; a++) {
        double nrm = 0.0;
        for (int i = a * s; i < (a + 1) * s; i++)
            nrm += 1.0 / (p[i] * p[i]);
        for (int i = 0; i < D; i++) {
            double want = i / s == a ? 1.0 / (p[i] * sqrt(nrm)) : 0.0;
            form = fmax(form, fabs(B[a * D + i] - want));
        }
        for (int b = 0; b < G; b++) {
            double dot = 0.0;
            for (int i = 0; i < D; i++)
                dot += B[a * D + i] * B[b * D + i];
            orth = fmax(orth, fabs(dot - (a == b)));
        }
    }
    CHECK(form < 1e-15, "%s basis = g^-1 restricted to each group, normalised (max diff %g)", spec, form);
    CHECK(orth < 1e-15, "%s basis orthonormal (max |B B^T - I| %g)", spec, orth);
    fill_normal(&r, x, N * D, 3.0, -1.0);
    o->forward(&c, p, x, y, NULL, N);
    double worst = 0.0;
    for (int t = 0; t < N; t++)
        for (int a = 0; a < G; a++) {
            double sum = 0.0, scale = 0.0;
            for (int i = a * s; i < (a + 1) * s; i++) {
                sum += (y[t * D + i] - p[D + i]) / p[i];
                scale += fabs((y[t * D + i] - p[D + i]) / p[i]);
            }
            worst = fmax(worst, fabs(sum) / scale);
        }
    CHECK(worst < 1e-14, "%s: sum over each group of (y - b)/g = 0 (worst %g)", spec, worst);
    /* a zero gain in group 0: e_i replaces that group's g^-1; the other groups keep theirs */
    p[1] = 0.0;
    k = o->kernel(&c, p, B, D);
    CHECK(k == G && B[1] == 1.0, "%s with g_1 = 0: %d vectors, first e_1 (B[1] = %g)", spec, k, B[1]);
}

static void test_centeronly_kernel(void)
{
    norm_cfg c;
    const norm_ops *o = resolve("centeronly", D, &c);
    pcg32 r;
    pcg32_seed(&r, 10, 1);
    double p[2 * D], B[D], x[N * D], y[N * D];
    random_params(&r, o, D, p);
    CHECK(o->kernel(&c, p, B, 1) == 1, "centeronly declares one kernel vector");
    double nrm = 0.0, form = 0.0, worst = 0.0;
    for (int i = 0; i < D; i++)
        nrm += 1.0 / (p[i] * p[i]);
    for (int i = 0; i < D; i++)
        form = fmax(form, fabs(B[i] - 1.0 / (p[i] * sqrt(nrm))));
    CHECK(form < 1e-15, "centeronly kernel = g^-1/||g^-1|| (max diff %g)", form);
    fill_normal(&r, x, N * D, 2.0, 5.0);
    o->forward(&c, p, x, y, NULL, N);
    for (int t = 0; t < N; t++) {
        double sum = 0.0, scale = 0.0;
        for (int i = 0; i < D; i++) {
            sum += (y[t * D + i] - p[D + i]) / p[i];
            scale += fabs((y[t * D + i] - p[D + i]) / p[i]);
        }
        worst = fmax(worst, fabs(sum) / scale);
    }
    CHECK(worst < 1e-14, "centeronly: sum (y - b)/g = 0 per token (worst %g)", worst);
    p[5] = 0.0;
    CHECK(o->kernel(&c, p, B, 1) == 1 && B[5] == 1.0, "centeronly g_5 = 0 gives e_5");
}

/* the RMS-like schemes declare nothing at generic parameters, e_i at a zero gain, and
 * every e_i when the whole output is constant (scalar gain 0, dyt alpha 0) */
static void test_rms_like_kernels(void)
{
    static const char *specs[] = {"scalenorm", "prmsnorm:0.5", "l2norm", "dyt"};
    pcg32 r;
    pcg32_seed(&r, 12, 1);
    for (size_t j = 0; j < sizeof specs / sizeof specs[0]; j++) {
        norm_cfg c;
        const norm_ops *o = resolve(specs[j], D, &c);
        double p[3 * D + 2];
        random_params(&r, o, D, p);
        CHECK(o->kernel(&c, p, NULL, 0) == 0, "%s declares no kernel at generic parameters", specs[j]);
    }
    norm_cfg c;
    const norm_ops *o = resolve("scalenorm", D, &c);
    double p[3 * D + 2] = {0}, B[D * D];
    CHECK(o->kernel(&c, p, B, D) == D && B[0] == 1.0 && B[D + 1] == 1.0 && B[1] == 0.0,
          "scalenorm g = 0: every e_i");
    o = resolve("prmsnorm:0.5", D, &c);
    for (int i = 0; i < D; i++)
        p[i] = 1.0;
    p[7] = 0.0;
    CHECK(o->kernel(&c, p, B, 1) == 1 && B[7] == 1.0, "prmsnorm g_7 = 0 gives e_7");
    o = resolve("dyt", D, &c);
    p[0] = 0.5;
    for (int i = 0; i < D; i++)
        p[1 + i] = 1.0;
    p[1 + 3] = 0.0;
    CHECK(o->kernel(&c, p, B, 1) == 1 && B[3] == 1.0, "dyt g_3 = 0 gives e_3");
    p[0] = 0.0;
    CHECK(o->kernel(&c, p, NULL, 0) == D, "dyt alpha = 0: every e_i");
}

/* prmsnorm:P reads the first ceil(P d) coordinates only */
static void test_prmsnorm_prefix(void)
{
    norm_cfg c;
    const norm_ops *o = resolve("prmsnorm:0.3", D, &c); /* ceil(3.6) = 4 */
    double x[D], y[D], y2[D], p[D];
    for (int i = 0; i < D; i++) {
        x[i] = 1.0 + i;
        p[i] = 1.0;
    }
    o->forward(&c, p, x, y, NULL, 1);
    x[4] = 100.0; /* outside the prefix: no effect on the scale */
    o->forward(&c, p, x, y2, NULL, 1);
    CHECK(y[0] == y2[0], "prmsnorm:0.3 at d = 12 ignores coordinate 4 in its RMS");
    x[3] = 100.0;
    o->forward(&c, p, x, y2, NULL, 1);
    CHECK(y[0] != y2[0], "prmsnorm:0.3 at d = 12 reads coordinate 3");
}

static void test_validation(void)
{
    static const char *bad[] = {"groupnorm", "groupnorm:5", "groupnorm:0.5", "groupnorm:-4",
                                "groupnorm:24", "prmsnorm", "prmsnorm:0", "prmsnorm:1.01",
                                "prmsnorm:-0.5", "centeronly:2", "dyt:1", "l2norm:3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const norm_ops *o;
        norm_cfg c;
        ns_err e = {0};
        CHECK(norm_resolve(bad[i], D, 1e-5, &o, &c, &e) == NS_EUSAGE && e.msg[0] && !strchr(e.msg, '\n'),
              "'%s' refused with one line: '%s'", bad[i], e.msg);
    }
    static const char *good[] = {"groupnorm:1", "groupnorm:3", "groupnorm:12", "prmsnorm:1",
                                 "prmsnorm:0.01", "centeronly", "scalenorm", "l2norm", "dyt"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        norm_cfg c;
        CHECK(resolve(good[i], D, &c) != NULL, "'%s' accepted", good[i]);
    }
    norm_cfg c;
    const norm_ops *o = resolve("scalenorm", D, &c);
    CHECK(o && o->n_params == 1 && !o->params[0].per_channel && o->params[0].role == NORM_GAIN,
          "scalenorm has one scalar gain");
    o = resolve("dyt", D, &c);
    CHECK(o && o->n_params == 3 && strcmp(o->params[0].name, "alpha") == 0 && o->params[0].init == 0.5,
          "dyt: alpha (scalar, init 0.5), weight, bias");
}

/* ---- the screening battery ---- */

static void screen(const char *spec, int d, screen_result *r)
{
    ns_err e = {0};
    int rc = screen_alone(spec, d, 1e-5, 6 * d, 1, PREC_F64, 1e-10, r, &e);
    CHECK(rc == NS_OK, "screen %s: %s", spec, e.msg);
    if (rc == NS_OK)
        screen_classify(r);
}

/* every input and every setting agrees with the declaration; class and dimensions */
static void expect_screen(const char *spec, int k_random, int k_init, int cls)
{
    enum { DS = 32 };
    screen_result r;
    screen(spec, DS, &r);
    int all_agree = 1;
    double cos_min = 1.0;
    for (int s = 0; s < SCREEN_N_SETTINGS; s++)
        for (int i = 0; i < SCREEN_N_INPUTS; i++) {
            int st = r.alone[s][i].status;
            all_agree &= st == SCREEN_AGREE || st == SCREEN_SKIPPED;
            if (s == SCREEN_RANDOM) {
                CHECK(r.alone[s][i].measured_k == k_random, "%s random/%s: %d dead, want %d", spec,
                      screen_input_name(i), r.alone[s][i].measured_k, k_random);
                if (k_random > 0)
                    cos_min = fmin(cos_min, r.alone[s][i].cos_angle);
            }
            if (s == SCREEN_INIT)
                CHECK(r.alone[s][i].measured_k == k_init, "%s init/%s: %d dead, want %d", spec,
                      screen_input_name(i), r.alone[s][i].measured_k, k_init);
        }
    CHECK(all_agree && r.disagreements == 0, "%s: every probe agrees with the declaration (%d disagree)",
          spec, r.disagreements);
    CHECK(cos_min >= 1.0 - 1e-10, "%s: cos of the largest principal angle %.15f", spec, cos_min);
    CHECK(r.cls == cls && r.class_k == k_random, "%s classified %s k=%d", spec, screen_class_name(r.cls), r.class_k);
    /* one zero gain: the measured kernel contains e_zero_channel */
    if (r.zero_channel >= 0 && !r.zero_scalar) {
        const screen_probe *z = &r.alone[SCREEN_ZERO_GAIN][SCREEN_GAUSSIAN];
        double best = 0.0; /* ||V e_i||: e_i against the measured span */
        for (int j = 0; j < z->measured_k; j++)
            best += z->basis[(size_t)j * DS + r.zero_channel] * z->basis[(size_t)j * DS + r.zero_channel];
        best = sqrt(best);
        int want = cls == SCREEN_RMS_LIKE ? 1 : k_random;
        CHECK(z->status == SCREEN_AGREE && z->measured_k == want && best > 1.0 - 1e-10,
              "%s zero gain at %d: %d dead (want %d), ||V e_i|| %.15f", spec, r.zero_channel,
              z->measured_k, want, best);
    }
    screen_free(&r);
}

/* a layernorm that declares nothing, and an rmsnorm that declares g^-1: both flagged */
static int no_kernel(const norm_cfg *c, const double *p, double *b, int max_k)
{
    (void)c, (void)p, (void)b, (void)max_k;
    return 0;
}

static int fake_kernel(const norm_cfg *c, const double *p, double *b, int max_k)
{
    double ss = 0.0;
    for (int i = 0; i < c->d; i++)
        ss += 1.0 / (p[i] * p[i]);
    for (int i = 0; i < c->d && max_k > 0; i++)
        b[i] = 1.0 / (p[i] * sqrt(ss));
    return 1;
}

static void test_liars(void)
{
    static norm_ops hides, invents;
    ns_err e = {0};
    hides = *norm_find("layernorm");
    hides.name = "test-ln-hides-kernel";
    hides.kernel = no_kernel;
    invents = *norm_find("rmsnorm");
    invents.name = "test-rms-invents-kernel";
    invents.kernel = fake_kernel;
    CHECK(norm_register(&hides, &e) == NS_OK && norm_register(&invents, &e) == NS_OK,
          "register the test schemes: %s", e.msg);
    screen_result r;
    screen("test-ln-hides-kernel", 24, &r);
    CHECK(r.alone[SCREEN_RANDOM][SCREEN_HEAVY].status == SCREEN_UNDECLARED && r.disagreements >= 8,
          "an undeclared kernel is flagged (%s, %d disagreements)",
          screen_status_name(r.alone[SCREEN_RANDOM][SCREEN_HEAVY].status), r.disagreements);
    CHECK(r.cls == SCREEN_LN_LIKE && r.class_k == 1, "classified by the measurement: LN-like k=1");
    screen_free(&r);
    screen("test-rms-invents-kernel", 24, &r);
    CHECK(r.alone[SCREEN_RANDOM][SCREEN_GAUSSIAN].status == SCREEN_MISSING && r.disagreements >= 8,
          "a declared kernel that is not there is flagged (%s)",
          screen_status_name(r.alone[SCREEN_RANDOM][SCREEN_GAUSSIAN].status));
    CHECK(r.cls == SCREEN_RMS_LIKE, "classified by the measurement: RMS-like");
    CHECK(r.alone[SCREEN_ZERO_GAIN][SCREEN_GAUSSIAN].status == SCREEN_BAD_BASIS,
          "a non-finite declared basis (1/g at g = 0) is flagged, not fatal (%s)",
          screen_status_name(r.alone[SCREEN_ZERO_GAIN][SCREEN_GAUSSIAN].status));
    screen_free(&r);
    static norm_ops nameless;
    static norm_param bad_param = {NULL, "g", 1, NORM_GAIN, 1.0};
    nameless = *norm_find("rmsnorm");
    nameless.name = "test-nameless-param";
    nameless.params = &bad_param;
    CHECK(norm_register(&nameless, &e) == NS_EUSAGE, "a parameter without a name is refused");
}

/* principal angles between a plane and a tilted plane: cosines 1 and cos(theta) */
static void test_subspace_cosines(void)
{
    const int d = 4;
    double P[8] = {1, 0, 0, 0, 0, 1, 0, 0}, th = 0.3;
    double V[12] = {1, 0, 0, 0, 0, cos(th), sin(th), 0, 0, 0, 0, 1}, cs[2];
    ns_err e;
    CHECK(principal_cosines(d, 2, P, 2, V, cs, &e) == NS_OK && fabs(cs[0] - 1) < 1e-15 &&
              fabs(cs[1] - cos(th)) < 1e-15, "principal cosines 1, cos 0.3 (got %g, %g)", cs[0], cs[1]);
    CHECK(principal_cosines(d, 2, P, 3, V, cs, &e) == NS_OK && fabs(cs[1] - cos(th)) < 1e-15,
          "a plane against a 3-space: 2 cosines (got %g, %g)", cs[0], cs[1]);
}

int main(void)
{
    test_forward("centeronly", d_centeronly);
    test_forward("groupnorm:1", d_groupnorm);
    test_forward("groupnorm:4", d_groupnorm);
    test_forward("groupnorm:6", d_groupnorm);
    test_forward("scalenorm", d_scalenorm);
    test_forward("prmsnorm:0.25", d_prmsnorm);
    test_forward("prmsnorm:0.3", d_prmsnorm);
    test_forward("prmsnorm:1", d_prmsnorm);
    test_forward("l2norm", d_l2norm);
    test_forward("dyt", d_dyt);
    static const char *arg_specs[] = {"groupnorm:1", "groupnorm:2", "groupnorm:4", "groupnorm:12",
                                      "prmsnorm:0.25", "prmsnorm:0.5", "prmsnorm:1"};
    for (size_t i = 0; i < sizeof arg_specs / sizeof arg_specs[0]; i++)
        test_backward(arg_specs[i]);
    test_groupnorm_kernel(1);
    test_groupnorm_kernel(4);
    test_groupnorm_kernel(6);
    test_centeronly_kernel();
    test_rms_like_kernels();
    test_prmsnorm_prefix();
    test_validation();
    test_subspace_cosines();
    /* the paper's known answers (PAPER "Facts"): kernel dim 1, G, or 0 */
    expect_screen("layernorm", 1, 1, SCREEN_LN_LIKE);
    expect_screen("layernorm-nobias", 1, 1, SCREEN_LN_LIKE);
    expect_screen("layernorm-noaffine", 1, 1, SCREEN_LN_LIKE);
    expect_screen("centeronly", 1, 1, SCREEN_LN_LIKE);
    expect_screen("groupnorm:1", 1, 1, SCREEN_LN_LIKE);
    expect_screen("groupnorm:4", 4, 4, SCREEN_LN_LIKE);
    expect_screen("groupnorm:8", 8, 8, SCREEN_LN_LIKE);
    expect_screen("rmsnorm", 0, 0, SCREEN_RMS_LIKE);
    expect_screen("rmsnorm-1p", 0, 0, SCREEN_RMS_LIKE);
    expect_screen("scalenorm", 0, 0, SCREEN_RMS_LIKE);
    expect_screen("prmsnorm:0.25", 0, 0, SCREEN_RMS_LIKE);
    expect_screen("l2norm", 0, 0, SCREEN_RMS_LIKE);
    expect_screen("dyt", 0, 0, SCREEN_RMS_LIKE);
    test_liars();
    return check_summary("schemes");
}
