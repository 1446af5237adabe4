/* test_threads.c - the threaded loops give the same bits on 1, 2 and 3 threads
 * (sim/base/threads.h): every registered norm's forward and backward over token blocks
 * (norms/parallel.h; forward and dx also equal to one plain call, dp within 1e-13 of it:
 * only its summation order differs), the row-split matmul at a row count whose BLAS split
 * is uneven (1020), cross-entropy, the activations and AdamW. Negative control: a changed
 * input changes the compared bits. */
#include "check.h"
#include "norms/parallel.h"
#include "norms/registry.h"
#include "sim/base/rng.h"
#include "sim/base/threads.h"
#include "sim/model/arch.h"
#include "sim/model/loss.h"
#include "sim/model/ops.h"
#include "sim/train/optim.h"
#include <string.h>

static int same(const double *a, const double *b, size_t n) { return !memcmp(a, b, sizeof(double) * n); }

static void fill(pcg32 *r, double *x, size_t n, double shift)
{
    for (size_t i = 0; i < n; i++)
        x[i] = shift + rng_normal(r);
}

enum { N = 200, D = 48, T3 = 3 };

/* one scheme: forward, dx and dp on 1..3 threads */
static void test_norm(const norm_ops *o)
{
    norm_cfg c;
    ns_err e = {0};
    const char *spec = !strcmp(o->name, "groupnorm")  ? "groupnorm:4"
                       : !strcmp(o->name, "prmsnorm") ? "prmsnorm:0.25"
                                                      : o->name;
    if (norm_resolve(spec, D, 1e-5, &o, &c, &e)) {
        CHECK(0, "resolve %s: %s", spec, e.msg);
        return;
    }
    pcg32 r;
    pcg32_seed(&r, 7, 1);
    const size_t np = norm_param_count(o, D), cl = (size_t)o->cache_per_token(&c);
    double p[4 * D + 4], x[N * D], dy[N * D], y0[N * D], c0[N * 8 + 1], dx0[N * D], dp0[4 * D + 4];
    double part[(N / NS_BLOCK_ROWS + 1) * (4 * D + 4)];
    fill(&r, p, np, 1.0);
    fill(&r, x, N * D, 0.3);
    fill(&r, dy, N * D, 0.0);
    memset(dx0, 0, sizeof dx0);
    memset(dp0, 0, sizeof dp0);
    ns_threads_set(1);
    o->forward(&c, p, x, y0, c0, N);
    o->backward(&c, p, x, c0, dy, dx0, np ? dp0 : NULL, N);
    double y1[N * D], c1[N * 8 + 1], dx1[N * D], dp1[4 * D + 4];
    for (int t = 1; t <= T3; t++) {
        ns_threads_set(t);
        double y[N * D], ch[N * 8 + 1], dx[N * D], dp[4 * D + 4];
        memset(dx, 0, sizeof dx);
        memset(dp, 0, sizeof dp);
        norm_forward_par(o, &c, p, x, y, ch, N);
        norm_backward_par(o, &c, p, x, ch, dy, dx, np ? dp : NULL, np, part, N);
        CHECK(same(y, y0, N * D) && same(ch, c0, N * cl), "%s forward, %d threads", o->name, t);
        CHECK(same(dx, dx0, N * D), "%s dx, %d threads", o->name, t);
        for (size_t i = 0; i < np; i++)
            CHECK_REL(dp[i], dp0[i], 1e-13, 1e-12, o->name);
        if (t == 1) {
            memcpy(y1, y, sizeof y), memcpy(c1, ch, sizeof ch), memcpy(dx1, dx, sizeof dx);
            memcpy(dp1, dp, sizeof dp);
        } else
            CHECK(same(dp, dp1, np), "%s dp: %d threads vs 1", o->name, t);
    }
    ns_threads_set(1);
}

/* y = f(inputs) on 1..3 threads, compared with the 1-thread bits; *changed: after
 * perturbing the input, the bits must differ (negative control) */
static void test_ops(void)
{
    enum { M = 1020, K = 96, F = 80, V = 70 };
    static double A[M * K], W[F * K], b[2 * F], C[T3 + 1][M * F], pre[M * 2 * F], act[T3 + 1][M * F];
    static double dact[M * F], dpre[T3 + 1][M * 2 * F], lg[M * V], dl[T3 + 1][M * V];
    static double pa[T3 + 1][M * F], ma[M * F], va[M * F], gr[M * F];
    int tg[M];
    double loss[T3 + 1];
    pcg32 r;
    pcg32_seed(&r, 9, 2);
    fill(&r, A, M * K, 0.0), fill(&r, W, F * K, 0.0), fill(&r, b, 2 * F, 0.0);
    fill(&r, pre, M * 2 * F, 0.0), fill(&r, dact, M * F, 0.0), fill(&r, lg, M * V, 0.0);
    fill(&r, gr, M * F, 0.0);
    for (int i = 0; i < M; i++)
        tg[i] = i % 7 == 0 ? -1 : (int)rng_below(&r, V);
    for (int t = 1; t <= T3; t++) {
        ns_threads_set(t);
        matmul_forward(C[t], A, W, b, M, K, F, 0.0);
        double p2[M * 2 * F];
        memcpy(p2, pre, sizeof p2);
        bias_activation_forward(MLP_SWIGLU, p2, b, act[t], M, F);
        activation_backward(MLP_GELU_TANH, pre, dact, dpre[t], M, F);
        loss[t] = cross_entropy(lg, tg, M, V, dl[t]);
        adamw o = {0};
        o.n = M * F, o.m = ma, o.v = va;
        static unsigned char dec[M * F];
        memset(dec, 1, sizeof dec);
        o.decay = dec;
        memset(ma, 0, sizeof ma), memset(va, 0, sizeof va);
        memcpy(pa[t], A, sizeof pa[t]);
        optim_cfg oc = {0};
        oc.beta1 = 0.9, oc.beta2 = 0.95, oc.eps = 1e-8, oc.weight_decay = 0.1;
        adamw_step(&o, &oc, pa[t], gr, 1e-3);
        if (t > 1) {
            CHECK(same(C[t], C[1], M * F), "matmul_forward M=%d: %d threads vs 1", M, t);
            CHECK(same(act[t], act[1], M * F), "bias + SwiGLU: %d threads vs 1", t);
            CHECK(same(dpre[t], dpre[1], M * F), "GELU backward: %d threads vs 1", t);
            CHECK(memcmp(&loss[t], &loss[1], sizeof loss[1]) == 0 && same(dl[t], dl[1], M * V),
                  "cross-entropy: %d threads vs 1 (%.17g %.17g)", t, loss[t], loss[1]);
            CHECK(same(pa[t], pa[1], M * F), "AdamW: %d threads vs 1", t);
        }
    }
    /* negative control: one changed input row changes the bits the checks compare */
    A[5 * K] += 1e-9;
    ns_threads_set(2);
    matmul_forward(C[0], A, W, b, M, K, F, 0.0);
    CHECK(!same(C[0], C[1], M * F), "negative control: a changed input must change the output");
    ns_threads_set(1);
}

int main(void)
{
    for (int i = 0; i < norm_count(); i++)
        test_norm(norm_at(i));
    test_ops();
    return check_summary("threads");
}
