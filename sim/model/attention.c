/* attention.c - scores through cblas, masks and position biases, softmax, weighted sum. */
#include "sim/model/attention.h"
#include "sim/base/threads.h"
#include <cblas.h>
#include <math.h>
#include <string.h>

/* add the position bias of head h to scores (T, T) */
static void add_position_bias(double *s, const attn_spec *a, int h)
{
    if (a->alibi)
        for (int i = 0; i < a->T; i++)
            for (int j = 0; j < a->T; j++)
                s[(size_t)i * a->T + j] += a->alibi[h] * (j - i);
    if (a->rel_bias)
        for (int i = 0; i < a->T; i++)
            for (int j = 0; j < a->T; j++)
                s[(size_t)i * a->T + j] += a->rel_bias[a->t5_bucket[j - i + a->seq - 1] * a->heads + h];
}

/* softmax of each row i over its visible keys [lo, hi], zero elsewhere */
static void softmax_masked(double *s, const attn_spec *a)
{
    const int T = a->T;
    for (int i = 0; i < T; i++) {
        double *r = s + (size_t)i * T;
        int hi = a->causal ? i : T - 1;
        int lo = a->window > 0 && i - a->window + 1 > 0 ? i - a->window + 1 : 0;
        double mx = r[lo], sum = 0.0;
        for (int j = lo + 1; j <= hi; j++)
            mx = r[j] > mx ? r[j] : mx;
        for (int j = 0; j < T; j++) {
            r[j] = (j >= lo && j <= hi) ? exp(r[j] - mx) : 0.0;
            sum += r[j];
        }
        double inv = 1.0 / sum;
        for (int j = lo; j <= hi; j++)
            r[j] *= inv;
    }
}

/* threads for `items` independent heads (or groups) of `work` flops in all: at most the
 * scratch slots when they share scratch; BLAS goes single-threaded while they run */
static int head_threads(const attn_spec *a, int items, long work, int scratch)
{
    int nt = ns_par_threads(work), slots = a->slots > 0 ? a->slots : 1;
    nt = scratch && nt > slots ? slots : nt;
    return nt < items ? nt : items;
}

/* head h: P = softmax(mask(scale q k^T + bias)); out_h = P v */
static void head_forward(double *out, const double *qkv, double *P, int h, const attn_spec *a)
{
    const int hd = a->hd, q_dim = a->heads * hd, kv_dim = a->kv_heads * hd;
    const int ld = q_dim + 2 * kv_dim, g = h / (a->heads / a->kv_heads);
    const double *q = qkv + h * hd, *k = qkv + q_dim + g * hd, *v = qkv + q_dim + kv_dim + g * hd;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, a->T, a->T, hd, a->scale, q, ld, k,
                ld, 0.0, P, a->T);
    add_position_bias(P, a, h);
    softmax_masked(P, a);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, a->T, hd, a->T, 1.0, P, a->T,
                v, ld, 0.0, out + h * hd, q_dim);
}

void attention_forward(double *out, const double *qkv, double *probs, long probs_head,
                       const attn_spec *a)
{
    const int nt = head_threads(a, a->heads, 4L * a->heads * a->T * a->T * a->hd, probs_head == 0);
    const long TT = (long)a->T * a->T;
    const int saved = nt > 1 ? ns_blas_serial_begin() : 0;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int h = 0; h < a->heads; h++)
        head_forward(out, qkv, probs_head ? probs + h * probs_head : probs + ns_thread_id() * TT,
                     h, a);
    if (nt > 1)
        ns_blas_serial_end(saved);
}

/* O = P V, P = softmax(S): dP = dO V^T; dV += P^T dO; dS = P (dP - rowsum(dP P));
 * dQ = scale dS K; dK += scale dS^T Q; d rel_bias[bucket(j - i), h] += dS_ij */
/* the heads of kv group g, in order (they add into the group's dk, dv) */
static void group_backward(double *dqkv, const double *dout, const double *qkv, const double *probs,
                           long probs_head, double *dS, double *drel_bias, int g, const attn_spec *a)
{
    const int T = a->T, hd = a->hd, q_dim = a->heads * hd, kv_dim = a->kv_heads * hd;
    const int ld = q_dim + 2 * kv_dim, group = a->heads / a->kv_heads;
    for (int h = g * group; h < (g + 1) * group; h++) {
        const double *q = qkv + h * hd, *k = qkv + q_dim + g * hd, *v = qkv + q_dim + kv_dim + g * hd;
        const double *P = probs + h * probs_head, *dO = dout + h * hd;
        double *dq = dqkv + h * hd, *dk = dqkv + q_dim + g * hd, *dv = dqkv + q_dim + kv_dim + g * hd;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hd, 1.0, dO, q_dim, v, ld, 0.0, dS, T);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hd, T, 1.0, P, T, dO, q_dim, 1.0, dv, ld);
        for (int i = 0; i < T; i++) {
            const double *pr = P + (size_t)i * T;
            double *dr = dS + (size_t)i * T, dot = 0.0;
            for (int j = 0; j < T; j++)
                dot += dr[j] * pr[j];
            for (int j = 0; j < T; j++)
                dr[j] = pr[j] * (dr[j] - dot);
        }
        if (a->rel_bias && drel_bias)
            for (int i = 0; i < T; i++)
                for (int j = 0; j < T; j++)
                    drel_bias[a->t5_bucket[j - i + a->seq - 1] * a->heads + h] += dS[(size_t)i * T + j];
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hd, T, a->scale, dS, T, k, ld, 1.0, dq, ld);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hd, T, a->scale, dS, T, q, ld, 1.0, dk, ld);
    }
}

void attention_backward(double *dqkv, const double *dout, const double *qkv, const double *probs,
                        long probs_head, double *dS, double *drel_bias, const attn_spec *a)
{
    const int T = a->T, ld = (a->heads + 2 * a->kv_heads) * a->hd;
    const long TT = (long)T * T;
    memset(dqkv, 0, sizeof(double) * (size_t)T * ld);
    const int nt = head_threads(a, a->kv_heads, 8L * a->heads * TT * a->hd, 1);
    const int saved = nt > 1 ? ns_blas_serial_begin() : 0;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int g = 0; g < a->kv_heads; g++)
        group_backward(dqkv, dout, qkv, probs, probs_head, dS + ns_thread_id() * TT, drel_bias, g, a);
    if (nt > 1)
        ns_blas_serial_end(saved);
}

void rope_forward(double *x, int T, int ld, int col0, int n_heads, int hd, int r,
                  int interleaved, const double *cos_t, const double *sin_t)
{
    const int half = r / 2;
    NS_PAR_FOR(4L * T * n_heads * half)
    for (int t = 0; t < T; t++)
        for (int h = 0; h < n_heads; h++) {
            double *v = x + (size_t)t * ld + col0 + h * hd;
            const double *c = cos_t + (size_t)t * half, *s = sin_t + (size_t)t * half;
            for (int i = 0; i < half; i++) {
                int ia = interleaved ? 2 * i : i, ib = interleaved ? 2 * i + 1 : i + half;
                double a = v[ia], b = v[ib];
                v[ia] = a * c[i] - b * s[i];
                v[ib] = b * c[i] + a * s[i];
            }
        }
}

/* (a, b) -> (a cos + b sin, b cos - a sin): the transpose of the forward rotation */
void rope_backward(double *dx, int T, int ld, int col0, int n_heads, int hd, int r,
                   int interleaved, const double *cos_t, const double *sin_t)
{
    const int half = r / 2;
    NS_PAR_FOR(4L * T * n_heads * half)
    for (int t = 0; t < T; t++)
        for (int h = 0; h < n_heads; h++) {
            double *v = dx + (size_t)t * ld + col0 + h * hd;
            const double *c = cos_t + (size_t)t * half, *s = sin_t + (size_t)t * half;
            for (int i = 0; i < half; i++) {
                int ia = interleaved ? 2 * i : i, ib = interleaved ? 2 * i + 1 : i + half;
                double a = v[ia], b = v[ib];
                v[ia] = a * c[i] + b * s[i];
                v[ib] = b * c[i] - a * s[i];
            }
        }
}
