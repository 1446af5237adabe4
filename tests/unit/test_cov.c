/* test_cov.c - streaming covariance: uneven batches and merges against a two-pass
 * computation in long double; stability under a large common offset. */
#include "check.h"
#include "sim/stats/cov.h"
#include "sim/base/rng.h"
#include <stdlib.h>

enum { D = 9 };

/* C = (1/n) sum (x - mean)(x - mean)^T, two passes in long double */
static void two_pass(const double *x, int n, double *C)
{
    long double mean[D] = {0};
    for (int t = 0; t < n; t++)
        for (int i = 0; i < D; i++)
            mean[i] += x[t * D + i];
    for (int i = 0; i < D; i++)
        mean[i] /= n;
    for (int i = 0; i < D; i++)
        for (int j = 0; j < D; j++) {
            long double s = 0;
            for (int t = 0; t < n; t++)
                s += (x[t * D + i] - mean[i]) * (x[t * D + j] - mean[j]);
            C[i * D + j] = (double)(s / n);
        }
}

static double max_rel_diff(const double *a, const double *b, int n)
{
    double worst = 0.0, scale = 0.0;
    for (int i = 0; i < n; i++)
        scale = fmax(scale, fabs(b[i]));
    for (int i = 0; i < n; i++)
        worst = fmax(worst, fabs(a[i] - b[i]) / scale);
    return worst;
}

static void make_data(double *x, int n, double offset, double scale)
{
    pcg32 r;
    pcg32_seed(&r, 99, 7);
    for (int t = 0; t < n; t++)
        for (int i = 0; i < D; i++) /* correlated, anisotropic */
            x[t * D + i] = offset + scale * (rng_normal(&r) * (1 + i) + (i ? x[t * D + i - 1] - offset : 0) * 0.3);
}

static void test_uneven_batches(double offset, double scale, double tol)
{
    static const int sizes[] = {1, 7, 100, 3, 250, 1, 38};
    int n = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        n += sizes[k];
    double *x = malloc(sizeof(double) * (size_t)n * D), C[D * D], want[D * D];
    make_data(x, n, offset, scale);
    cov_acc c;
    ns_err e;
    CHECK(cov_init(&c, D, &e) == NS_OK, "cov_init");
    int at = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        cov_add(&c, x + (size_t)at * D, sizes[k], &e);
        at += sizes[k];
    }
    cov_matrix(&c, C);
    two_pass(x, n, want);
    CHECK(c.n == n, "row count %lld", c.n);
    double err = max_rel_diff(C, want, D * D);
    CHECK(err <= tol, "uneven batches (offset %g): max rel diff %.3g > %.3g", offset, err, tol);
    /* merge of two accumulators over a split equals the whole */
    cov_acc a, b;
    cov_init(&a, D, &e);
    cov_init(&b, D, &e);
    cov_add(&a, x, 150, &e);
    cov_add(&b, x + 150 * D, n - 150, &e);
    cov_merge(&a, &b);
    cov_matrix(&a, C);
    err = max_rel_diff(C, want, D * D);
    CHECK(err <= tol, "merge (offset %g): max rel diff %.3g", offset, err);
    cov_free(&a);
    cov_free(&b);
    cov_free(&c);
    free(x);
}

/* exact null direction survives: rows summing to zero give C 1 = 0 to rounding */
static void test_kernel_preserved(void)
{
    enum { n = 500 };
    double *x = malloc(sizeof(double) * n * D), C[D * D];
    make_data(x, n, 50.0, 1.0);
    for (int t = 0; t < n; t++) { /* project each row onto sum = 0, offset by a constant */
        double s = 0;
        for (int i = 0; i < D; i++)
            s += x[t * D + i];
        for (int i = 0; i < D; i++)
            x[t * D + i] -= s / D;
    }
    cov_acc c;
    ns_err e;
    cov_init(&c, D, &e);
    for (int t = 0; t < n; t += 64)
        cov_add(&c, x + (size_t)t * D, t + 64 <= n ? 64 : n - t, &e);
    cov_matrix(&c, C);
    double worst = 0.0, scale = 0.0;
    for (int i = 0; i < D; i++) {
        double s = 0;
        for (int j = 0; j < D; j++) {
            s += C[i * D + j];
            scale = fmax(scale, fabs(C[i * D + j]));
        }
        worst = fmax(worst, fabs(s));
    }
    CHECK(worst <= 1e-14 * scale, "C 1 = %.3g relative to %.3g", worst, scale);
    cov_free(&c);
    free(x);
}

int main(void)
{
    test_uneven_batches(0.0, 1.0, 1e-13);
    test_uneven_batches(1e6, 1.0, 1e-9); /* naive sum(xx^T) - n mu mu^T loses all digits here */
    test_kernel_preserved();
    return check_summary("cov");
}
