/* cov.c - Chan's parallel update of (n, mean, scatter). */
#include "sim/stats/cov.h"
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

int cov_init(cov_acc *c, int d, ns_err *e)
{
    memset(c, 0, sizeof *c);
    c->d = d;
    c->mean = calloc((size_t)d, sizeof(double));
    c->bmean = calloc((size_t)d, sizeof(double));
    c->delta = calloc((size_t)d, sizeof(double));
    c->scatter = calloc((size_t)d * d, sizeof(double));
    if (!c->mean || !c->bmean || !c->delta || !c->scatter) {
        cov_free(c);
        return ns_fail(e, NS_ERUN, "out of memory for a %d x %d covariance", d, d);
    }
    return NS_OK;
}

void cov_free(cov_acc *c)
{
    free(c->mean);
    free(c->bmean);
    free(c->delta);
    free(c->scatter);
    free(c->work);
    memset(c, 0, sizeof *c);
}

void cov_reset(cov_acc *c)
{
    c->n = 0;
    memset(c->mean, 0, sizeof(double) * (size_t)c->d);
    memset(c->scatter, 0, sizeof(double) * (size_t)c->d * c->d);
}

/* Given S_a already += S_b: S_a += (n_a n_b / n) delta delta^T; mean_a += delta n_b / n,
 * with delta = mean_b - mean_a and n = n_a + n_b. */
static void merge_means(cov_acc *a, long long nb, const double *mean_b)
{
    const int d = a->d;
    long long n = a->n + nb;
    for (int i = 0; i < d; i++)
        a->delta[i] = mean_b[i] - a->mean[i];
    if (a->n > 0)
        cblas_dsyr(CblasRowMajor, CblasUpper, d, (double)a->n * (double)nb / (double)n,
                   a->delta, 1, a->scatter, d);
    double fb = (double)nb / (double)n;
    for (int i = 0; i < d; i++)
        a->mean[i] += fb * a->delta[i];
    a->n = n;
}

/* mb = mean of the batch; X_c = X - 1 mb^T; S += X_c^T X_c (one syrk); then merge means */
int cov_add(cov_acc *c, const double *x, int n, ns_err *e)
{
    const int d = c->d;
    if (n <= 0)
        return NS_OK;
    if (n > c->work_rows) {
        double *w = realloc(c->work, sizeof(double) * (size_t)n * d);
        if (!w)
            return ns_fail(e, NS_ERUN, "out of memory for a batch of %d rows", n);
        c->work = w;
        c->work_rows = n;
    }
    memset(c->bmean, 0, sizeof(double) * (size_t)d);
    for (int t = 0; t < n; t++)
        cblas_daxpy(d, 1.0, x + (size_t)t * d, 1, c->bmean, 1);
    cblas_dscal(d, 1.0 / n, c->bmean, 1);
    for (int t = 0; t < n; t++) {
        const double *xt = x + (size_t)t * d;
        double *wt = c->work + (size_t)t * d;
        for (int i = 0; i < d; i++)
            wt[i] = xt[i] - c->bmean[i];
    }
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, n, 1.0, c->work, d, 1.0, c->scatter, d);
    merge_means(c, n, c->bmean);
    return NS_OK;
}

void cov_merge(cov_acc *a, const cov_acc *b)
{
    const int d = a->d;
    if (b->n == 0)
        return;
    for (int i = 0; i < d; i++)
        cblas_daxpy(d - i, 1.0, b->scatter + (size_t)i * d + i, 1, a->scatter + (size_t)i * d + i, 1);
    merge_means(a, b->n, b->mean);
}

void cov_matrix(const cov_acc *c, double *C)
{
    const int d = c->d;
    double inv = c->n > 0 ? 1.0 / (double)c->n : 0.0;
    for (int i = 0; i < d; i++)
        for (int j = i; j < d; j++)
            C[(size_t)i * d + j] = C[(size_t)j * d + i] = inv * c->scatter[(size_t)i * d + j];
}
