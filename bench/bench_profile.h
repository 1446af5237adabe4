/* bench_profile.h - the profiled build of bench_forward.c (-DBENCH_PROFILE=1 or 2):
 * where the forward's time goes, by wrapping the library's calls. Included once, by
 * bench_forward.c after its now(); the plain build gets only the state and empty hooks. */
#ifndef NS_BENCH_PROFILE_H
#define NS_BENCH_PROFILE_H

/* ---------------------------------------------------------------- profile */

/* Where the forward's time goes, measured by wrapping calls the library makes, so nothing
 * of forward.c is copied here. Two levels, for a library whose internals move:
 *   -DBENCH_PROFILE=1  every cblas_dgemm (linked with -Wl,--wrap=cblas_dgemm), classed by
 *                      shape (attention's have the head dim as N or K), and the norms,
 *                      through a copy of the model's norm table with a timing forward:
 *                      needs only cblas and norms/norm.h
 *   -DBENCH_PROFILE=2  also the ops of sim/model/ops.h and sim/model/attention.h (matmul_forward with
 *                      its bias, attention_forward with its mask and softmax,
 *                      bias_activation_forward: the MLP's bias fused into its activation),
 *                      also --wrap'ed: names today's signatures
 * The timed build (no BENCH_PROFILE) has none of this in its path. */
enum { P_LINEAR, P_ATTN, P_ACT, P_NORM, P_N };
static const char *prof_names[P_N] = {"linear", "attention", "activation", "norm"};

static struct {
    int armed; /* inside a profiled forward */
    int ctx;   /* the P_ op being timed, -1 outside */
    int hd;    /* head dim: tells attention's dgemms from the linear layers' */
    double s[P_N], gemm_s[P_N], gemm_flops[P_N];
    /* dgemms called from inside the library's parallel regions (attention's heads, one
     * single-threaded dgemm per thread): per thread, each thread's seconds divided by the
     * region's threads, so their sum is the region's share of wall time */
    double th_s[64][P_N], th_flops[64][P_N];
} prof = {.ctx = -1};

/* OpenMP's, from libgomp (linked): where a dgemm was called from */
int omp_get_thread_num(void);
int omp_get_num_threads(void);

#ifndef BENCH_PROFILE
#define BENCH_PROFILE 0
#endif

#if BENCH_PROFILE >= 1
/* time the statement as op k; dgemms inside it are charged to k */
#define PROF_OP(k, call)                                                                        \
    do {                                                                                        \
        if (!prof.armed || prof.ctx >= 0) {                                                     \
            call;                                                                               \
            break;                                                                              \
        }                                                                                       \
        prof.ctx = (k);                                                                         \
        double t0_ = now();                                                                     \
        call;                                                                                   \
        prof.s[k] += now() - t0_;                                                               \
        prof.ctx = -1;                                                                          \
    } while (0)

void __real_cblas_dgemm(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, blasint,
                        blasint, blasint, double, const double *, blasint, const double *,
                        blasint, double, double *, blasint);
void __wrap_cblas_dgemm(enum CBLAS_ORDER o, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb,
                        blasint M, blasint N, blasint K, double alpha, const double *A,
                        blasint lda, const double *B, blasint ldb, double beta, double *C,
                        blasint ldc);

void __wrap_cblas_dgemm(enum CBLAS_ORDER o, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb,
                        blasint M, blasint N, blasint K, double alpha, const double *A,
                        blasint lda, const double *B, blasint ldb, double beta, double *C,
                        blasint ldc)
{
    if (!prof.armed) {
        __real_cblas_dgemm(o, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    double t0 = now();
    __real_cblas_dgemm(o, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    int k = (N == prof.hd || K == prof.hd) ? P_ATTN : prof.ctx >= 0 ? prof.ctx : P_LINEAR;
    int nth = omp_get_num_threads(), tid = omp_get_thread_num();
    if (nth > 1 && tid < 64) { /* inside a region: per thread, no shared += */
        prof.th_s[tid][k] += (now() - t0) / nth;
        prof.th_flops[tid][k] += 2.0 * M * (double)N * K;
        return;
    }
    prof.gemm_s[k] += now() - t0;
    prof.gemm_flops[k] += 2.0 * M * (double)N * K;
}

#if BENCH_PROFILE == 1
/* level 1: route the model's norms through timed_norm_forward (table copied, model's
 * pointer moved); the library calls it from its threads, so only thread 0 times */
static void (*real_norm_forward)(const norm_cfg *, const double *, const double *, double *,
                                 double *, int);
static void timed_norm_forward(const norm_cfg *c, const double *p, const double *x, double *y,
                               double *cache, int n)
{
    if (omp_get_num_threads() > 1) {
        real_norm_forward(c, p, x, y, cache, n);
        return;
    }
    PROF_OP(P_NORM, real_norm_forward(c, p, x, y, cache, n));
}
#endif

static void prof_attach(ns_model *m)
{
#if BENCH_PROFILE == 1
    static norm_ops timed;
    timed = *m->norm;
    real_norm_forward = timed.forward;
    timed.forward = timed_norm_forward;
    m->norm = &timed;
#endif
    prof.hd = m->cfg.d / m->cfg.heads;
}

/* the per-thread dgemm records merged into gemm_s, gemm_flops */
static void prof_merge_threads(void)
{
    for (int t = 0; t < 64; t++)
        for (int k = 0; k < P_N; k++) {
            prof.gemm_s[k] += prof.th_s[t][k];
            prof.gemm_flops[k] += prof.th_flops[t][k];
        }
}
#else
static void prof_attach(ns_model *m) { (void)m; }
static void prof_merge_threads(void) {}
#endif

#if BENCH_PROFILE >= 2
#include "norms/parallel.h"
#include "sim/model/attention.h"
#include "sim/model/ops.h"
__typeof__(norm_forward_par) __real_norm_forward_par, __wrap_norm_forward_par;
void __wrap_norm_forward_par(const norm_ops *ops, const norm_cfg *c, const double *p,
                             const double *x, double *y, double *cache, int n)
{
    PROF_OP(P_NORM, __real_norm_forward_par(ops, c, p, x, y, cache, n));
}
__typeof__(matmul_forward) __real_matmul_forward, __wrap_matmul_forward;
__typeof__(attention_forward) __real_attention_forward, __wrap_attention_forward;
__typeof__(bias_activation_forward) __real_bias_activation_forward, __wrap_bias_activation_forward;

void __wrap_matmul_forward(double *out, const double *in, const double *W, const double *b,
                           int n, int in_dim, int out_dim, double beta)
{
    PROF_OP(P_LINEAR, __real_matmul_forward(out, in, W, b, n, in_dim, out_dim, beta));
}

void __wrap_attention_forward(double *out, const double *qkv, double *probs, long probs_head,
                              const attn_spec *s)
{
    PROF_OP(P_ATTN, __real_attention_forward(out, qkv, probs, probs_head, s));
}

void __wrap_bias_activation_forward(int kind, double *pre, const double *b, double *act, int n,
                                    int f)
{
    PROF_OP(P_ACT, __real_bias_activation_forward(kind, pre, b, act, n, f));
}
#endif


#endif
