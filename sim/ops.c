/* ops.c - matmul and pointwise ops. */
#include "ops.h"
#include <cblas.h>
#include <math.h>
#include <string.h>

void matmul_forward(double *out, const double *in, const double *W, const double *b, int n,
                    int in_dim, int out_dim, double beta)
{
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out_dim, in_dim, 1.0, in, in_dim, W,
                in_dim, beta, out, out_dim);
    if (!b)
        return;
    for (int t = 0; t < n; t++) {
        double *o = out + (size_t)t * out_dim;
        for (int j = 0; j < out_dim; j++)
            o[j] += b[j];
    }
}

static double gelu_tanh(double v)
{
    const double k = 0.7978845608028654; /* sqrt(2/pi) */
    return 0.5 * v * (1.0 + tanh(k * (v + 0.044715 * v * v * v)));
}

void gelu_tanh_forward(double *x, long n)
{
    for (long i = 0; i < n; i++)
        x[i] = gelu_tanh(x[i]);
}

void gelu_erf_forward(double *x, long n)
{
    for (long i = 0; i < n; i++)
        x[i] = 0.5 * x[i] * (1.0 + erf(x[i] * 0.70710678118654752440));
}

void relu_forward(double *x, long n)
{
    for (long i = 0; i < n; i++)
        x[i] = x[i] > 0.0 ? x[i] : 0.0;
}

void silu_forward(double *x, long n)
{
    for (long i = 0; i < n; i++)
        x[i] = x[i] / (1.0 + exp(-x[i]));
}

/* row t is read from a[2tf ..] and written to a[tf ..]; for t >= 1 the write ends at
 * (t+1) f <= 2tf, before anything unread, so in-place compaction is safe */
void gated_forward(double *a, int n, int f, int act)
{
    for (int t = 0; t < n; t++) {
        const double *g = a + (size_t)2 * t * f, *u = g + f;
        double *o = a + (size_t)t * f;
        for (int j = 0; j < f; j++) {
            double gv = g[j];
            gv = act == 0 ? gv / (1.0 + exp(-gv)) : gelu_tanh(gv);
            o[j] = gv * u[j];
        }
    }
}

void scale_channels(double *x, const double *s, int n, int d)
{
    for (int t = 0; t < n; t++)
        for (int i = 0; i < d; i++)
            x[(size_t)t * d + i] *= s[i];
}

void add_into(double *y, const double *x, long n)
{
    cblas_daxpy((int)n, 1.0, x, 1, y, 1);
}
