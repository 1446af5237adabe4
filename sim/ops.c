/* ops.c - matmul, attention, activations, embeddings. */
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

void gelu_tanh_forward(double *x, long n)
{
    const double k = 0.7978845608028654; /* sqrt(2/pi) */
    for (long i = 0; i < n; i++) {
        double v = x[i];
        x[i] = 0.5 * v * (1.0 + tanh(k * (v + 0.044715 * v * v * v)));
    }
}

/* row-wise softmax of s[T, T] over columns 0..last(i), zero beyond (causal) */
static void softmax_rows(double *s, int T, int causal)
{
    for (int i = 0; i < T; i++) {
        double *r = s + (size_t)i * T;
        int last = causal ? i : T - 1;
        double mx = r[0], sum = 0.0;
        for (int j = 1; j <= last; j++)
            mx = r[j] > mx ? r[j] : mx;
        for (int j = 0; j <= last; j++) {
            r[j] = exp(r[j] - mx);
            sum += r[j];
        }
        double inv = 1.0 / sum;
        for (int j = 0; j <= last; j++)
            r[j] *= inv;
        for (int j = last + 1; j < T; j++)
            r[j] = 0.0;
    }
}

void attention_forward(double *out, const double *qkv, double *scores, int T, int d,
                       int heads, int causal)
{
    const int hd = d / heads, ld = 3 * d;
    const double scale = 1.0 / sqrt((double)hd);
    for (int h = 0; h < heads; h++) {
        const double *q = qkv + h * hd, *k = qkv + d + h * hd, *v = qkv + 2 * d + h * hd;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hd, scale, q, ld, k, ld, 0.0,
                    scores, T);
        softmax_rows(scores, T, causal);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hd, T, 1.0, scores, T, v, ld,
                    0.0, out + h * hd, d);
    }
}

void embed_forward(double *out, const int *tok, const double *wte, const double *wpe, int B,
                   int T, int d)
{
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            double *o = out + ((size_t)b * T + t) * d;
            const double *e = wte + (size_t)tok[b * T + t] * d, *p = wpe + (size_t)t * d;
            for (int i = 0; i < d; i++)
                o[i] = e[i] + p[i];
        }
}
