/* ops.c - matmul and pointwise ops with their backwards. The loops over rows (values) run
 * on ns_threads() threads (sim/base/threads.h): exact per row, so thread-count free; the
 * bias gradient splits its columns across threads and sums each column in row order. */
#include "sim/model/ops.h"
#include "sim/model/arch.h"
#include "sim/base/threads.h"
#include <cblas.h>
#include <math.h>
#include <string.h>

/* Row-major C (M, N) = alpha op(A) op(B) + beta C on ns_threads() threads, one
 * single-threaded dgemm each on a share of the rows of C cut at multiples of 64. One
 * thread pool (OpenMP's) then runs every op, dgemms included, so OpenBLAS's own threads
 * never wait beside ours; and the bits do not depend on the count: a dgemm's rows come
 * out the same whether cut at a multiple of 64 or not (its kernels tile rows in 4s and
 * 8s), unlike OpenBLAS's own even split (M = 1020 on 2 threads rounds differently). */
static void gemm_rows(enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, int M, int N, int K,
                      double alpha, const double *A, int lda, const double *B, int ldb, double beta,
                      double *C, int ldc)
{
    const int chunks = (M + 63) / 64, want = ns_par_threads(2L * M * N * K / 64);
    const int nt = want < chunks ? want : chunks > 0 ? chunks : 1;
    const int saved = ns_blas_serial_begin();
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int t = 0; t < nt; t++) {
        const int r0 = (int)((long)chunks * t / nt) * 64, r1e = (int)((long)chunks * (t + 1) / nt) * 64;
        const int r1 = r1e < M ? r1e : M;
        const double *At = ta == CblasNoTrans ? A + (size_t)r0 * lda : A + r0;
        if (r1 > r0)
            cblas_dgemm(CblasRowMajor, ta, tb, r1 - r0, N, K, alpha, At, lda, B, ldb, beta,
                        C + (size_t)r0 * ldc, ldc);
    }
    ns_blas_serial_end(saved);
}

void matmul_forward(double *out, const double *in, const double *W, const double *b, int n,
                    int in_dim, int out_dim, double beta)
{
    gemm_rows(CblasNoTrans, CblasTrans, n, out_dim, in_dim, 1.0, in, in_dim, W, in_dim, beta, out,
              out_dim);
    if (b)
        bias_add(out, b, n, out_dim);
}

void bias_add(double *out, const double *b, int n, int dim)
{
    NS_PAR_FOR((long)n * dim)
    for (int t = 0; t < n; t++) {
        double *o = out + (size_t)t * dim;
        for (int j = 0; j < dim; j++)
            o[j] += b[j];
    }
}

/* db[j] += sum_t dout[t, j], t in order: columns split across threads */
static void bias_grad(double *db, const double *dout, int n, int dim)
{
    const int chunk = 64, nc = (dim + chunk - 1) / chunk;
    NS_PAR_FOR((long)n * dim)
    for (int c = 0; c < nc; c++) {
        const int j0 = c * chunk, j1 = j0 + chunk < dim ? j0 + chunk : dim;
        for (int t = 0; t < n; t++) {
            const double *r = dout + (size_t)t * dim;
            for (int j = j0; j < j1; j++)
                db[j] += r[j];
        }
    }
}

/* din = dout W; dW += dout^T in; db += 1^T dout */
void matmul_backward(double *din, double din_beta, double *dW, double *db, const double *dout,
                     const double *in, const double *W, int n, int in_dim, int out_dim)
{
    if (din)
        gemm_rows(CblasNoTrans, CblasNoTrans, n, in_dim, out_dim, 1.0, dout, out_dim, W, in_dim,
                  din_beta, din, in_dim);
    if (dW)
        gemm_rows(CblasTrans, CblasNoTrans, out_dim, in_dim, n, 1.0, dout, out_dim, in, in_dim, 1.0,
                  dW, in_dim);
    if (db)
        bias_grad(db, dout, n, out_dim);
}

/* tanh(u) = (e^{2u} - 1) / (e^{2u} + 1): one exp instead of libm's expm1-based tanh
 * (absolute error ~1e-16, which is what GELU's 1 + tanh needs); |u| > 20 saturates */
static inline double tanh_exp(double u)
{
    if (u > 20.0)
        return 1.0;
    if (u < -20.0)
        return -1.0;
    double t = exp(2.0 * u);
    return (t - 1.0) / (t + 1.0);
}

/* a(x) and a'(x) of each kind */
static double gelu_tanh(double v)
{
    const double k = 0.7978845608028654; /* sqrt(2/pi) */
    return 0.5 * v * (1.0 + tanh_exp(k * (v + 0.044715 * v * v * v)));
}

/* d/dv: 0.5 (1 + th) + 0.5 v (1 - th^2) k (1 + 3 0.044715 v^2) */
static double gelu_tanh_grad(double v)
{
    const double k = 0.7978845608028654;
    double th = tanh_exp(k * (v + 0.044715 * v * v * v));
    return 0.5 * (1.0 + th) + 0.5 * v * (1.0 - th * th) * k * (1.0 + 3.0 * 0.044715 * v * v);
}

static double gelu_erf(double v) { return 0.5 * v * (1.0 + erf(v * 0.70710678118654752440)); }

/* d/dv: Phi(v) + v phi(v) */
static double gelu_erf_grad(double v)
{
    return 0.5 * (1.0 + erf(v * 0.70710678118654752440)) + v * exp(-0.5 * v * v) * 0.39894228040143267794;
}

static double silu(double v) { return v / (1.0 + exp(-v)); }

/* d/dv: s (1 + v (1 - s)), s = sigmoid(v) */
static double silu_grad(double v)
{
    double s = 1.0 / (1.0 + exp(-v));
    return s * (1.0 + v * (1.0 - s));
}

static double act_value(int kind, double v)
{
    switch (kind) {
    case MLP_GELU_TANH: case MLP_GEGLU: return gelu_tanh(v);
    case MLP_GELU_ERF: return gelu_erf(v);
    case MLP_RELU: return v > 0.0 ? v : 0.0;
    default: return silu(v);
    }
}

static double act_grad(int kind, double v)
{
    switch (kind) {
    case MLP_GELU_TANH: case MLP_GEGLU: return gelu_tanh_grad(v);
    case MLP_GELU_ERF: return gelu_erf_grad(v);
    case MLP_RELU: return v > 0.0 ? 1.0 : 0.0;
    default: return silu_grad(v);
    }
}

static int is_gated(int kind) { return kind == MLP_SWIGLU || kind == MLP_GEGLU; }

void activation_forward(int kind, const double *pre, double *act, int n, int f)
{
    bias_activation_forward(kind, (double *)pre, NULL, act, n, f);
}

/* one row: pre += b (when b), then act = a(pre) or a(gate) * up */
static void bias_act_row(int kind, double *pre, const double *b, double *act, int f)
{
    const int w = is_gated(kind) ? 2 * f : f;
    if (b)
        for (int j = 0; j < w; j++)
            pre[j] += b[j];
    if (!is_gated(kind)) {
        for (int j = 0; j < f; j++)
            act[j] = act_value(kind, pre[j]);
        return;
    }
    for (int j = 0; j < f; j++)
        act[j] = act_value(kind, pre[j]) * pre[f + j];
}

void bias_activation_forward(int kind, double *pre, const double *b, double *act, int n, int f)
{
    const size_t w = (size_t)(is_gated(kind) ? 2 * f : f);
    NS_PAR_FOR(16L * n * f)
    for (int t = 0; t < n; t++)
        bias_act_row(kind, pre + (size_t)t * w, b, act + (size_t)t * f, f);
}

/* plain: dpre = dact a'(pre); gated: dgate = dact up a'(gate), dup = dact a(gate) */
void activation_backward(int kind, const double *pre, const double *dact, double *dpre, int n, int f)
{
    if (!is_gated(kind)) {
        const long nf = (long)n * f;
        NS_PAR_FOR(16L * nf)
        for (long i = 0; i < nf; i++)
            dpre[i] = dact[i] * act_grad(kind, pre[i]);
        return;
    }
    NS_PAR_FOR(32L * n * f)
    for (int t = 0; t < n; t++) {
        const double *g = pre + (size_t)2 * t * f, *u = g + f, *da = dact + (size_t)t * f;
        double *dg = dpre + (size_t)2 * t * f, *du = dg + f;
        for (int j = 0; j < f; j++) {
            dg[j] = da[j] * u[j] * act_grad(kind, g[j]);
            du[j] = da[j] * act_value(kind, g[j]);
        }
    }
}

void add_into(double *y, const double *x, long n)
{
    NS_PAR_FOR(n)
    for (long i = 0; i < n; i++)
        y[i] += x[i];
}
