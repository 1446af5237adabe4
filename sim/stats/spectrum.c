/* spectrum.c - LAPACKE eigensolves, Rayleigh quotients, principal angles. */
#include "sim/stats/spectrum.h"
#include "sim/base/threads.h"
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>

int sym_eigen(int d, double *A, double *w, int vectors, ns_err *e)
{
    /* A is symmetric, so its column-major reading is itself; eigenvectors come back as
     * columns in column-major order, i.e. contiguous rows of A as seen from C. BLAS runs
     * single-threaded inside: dsyevd's result depends on BLAS's thread count, this one
     * must not (callers run several eigensolves in parallel instead). */
    int saved = ns_blas_serial_begin();
    lapack_int info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, vectors ? 'V' : 'N', 'U', d, A, d, w);
    ns_blas_serial_end(saved);
    if (info != 0)
        return ns_fail(e, NS_ERUN, "eigensolver (dsyevd) failed to converge (info %d)", (int)info);
    return NS_OK;
}

double rayleigh(int d, const double *C, const double *p)
{
    double num = 0.0, den = cblas_ddot(d, p, 1, p, 1);
    for (int i = 0; i < d; i++)
        num += p[i] * cblas_ddot(d, C + (size_t)i * d, 1, p, 1);
    return num / den;
}

double abs_cos(int d, const double *a, const double *b)
{
    double c = fabs(cblas_ddot(d, a, 1, b, 1)) / (cblas_dnrm2(d, a, 1) * cblas_dnrm2(d, b, 1));
    return c > 1.0 ? 1.0 : c;
}

double span_cos(int d, int m, const double *V, const double *u)
{
    double proj = 0.0, nu = cblas_dnrm2(d, u, 1);
    for (int j = 0; j < m; j++) {
        double c = cblas_ddot(d, V + (size_t)j * d, 1, u, 1);
        proj += c * c;
    }
    return nu > 0.0 ? sqrt(proj) / nu : NAN;
}

int kernel_match(int d, const double *C, double lam_max, const double *P, int k, const double *V,
                 int m, double *rayleigh_rel, double *cos, ns_err *e)
{
    *rayleigh_rel = -INFINITY;
    for (int j = 0; j < k; j++) {
        double q = lam_max > 0.0 ? rayleigh(d, C, P + (size_t)j * d) / lam_max : 0.0;
        *rayleigh_rel = q > *rayleigh_rel ? q : *rayleigh_rel;
    }
    int n = k < m ? k : m;
    *cos = NAN;
    if (n == 0)
        return NS_OK;
    if (k == 1 && m == 1) {
        *cos = abs_cos(d, P, V);
        return NS_OK;
    }
    double *cs = malloc(sizeof(double) * (size_t)n);
    if (!cs)
        return ns_fail(e, NS_ERUN, "out of memory for principal angles");
    int rc = principal_cosines(d, k, P, m, V, cs, e);
    *cos = cs[n - 1];
    free(cs);
    return rc;
}

/* cos(theta_i) = singular values of P V^T (k x m), descending, min(k, m) of them */
int principal_cosines(int d, int k, const double *P, int m, const double *V, double *cosines,
                      ns_err *e)
{
    int n = k < m ? k : m;
    double *M = malloc(sizeof(double) * (size_t)k * m), *sup = malloc(sizeof(double) * (size_t)(n + 1));
    if (!M || !sup) {
        free(M);
        free(sup);
        return ns_fail(e, NS_ERUN, "out of memory for principal angles");
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, k, m, d, 1.0, P, d, V, d, 0.0, M, m);
    lapack_int info = LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'N', 'N', k, m, M, m, cosines, NULL, 1,
                                     NULL, 1, sup);
    free(M);
    free(sup);
    if (info != 0)
        return ns_fail(e, NS_ERUN, "SVD (dgesvd) failed to converge (info %d)", (int)info);
    for (int i = 0; i < n; i++)
        cosines[i] = cosines[i] > 1.0 ? 1.0 : cosines[i];
    return NS_OK;
}

int count_below(int d, const double *w, double thr)
{
    int n = 0;
    while (n < d && w[n] < thr)
        n++;
    return n;
}
