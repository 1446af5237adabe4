/* spectrum.h - eigendecomposition (LAPACKE) and the measurements made on it. */
#ifndef NS_SPECTRUM_H
#define NS_SPECTRUM_H
#include "sim/base/err.h"

/* Eigenvalues of symmetric A (d, d) into w, ascending (LAPACKE dsyevd). With vectors,
 * A is overwritten by the eigenvectors: vector j (for w[j]) is contiguous at A + j*d. */
int sym_eigen(int d, double *A, double *w, int vectors, ns_err *e);
/* p^T C p / p^T p */
double rayleigh(int d, const double *C, const double *p);
/* |a . b| / (||a|| ||b||) */
double abs_cos(int d, const double *a, const double *b);
/* Cosines of the principal angles between span(rows of P, k x d, orthonormal) and
 * span(rows of V, m x d, orthonormal), descending, into cosines (min(k, m)). With k = m
 * the smallest is the cosine of the largest angle. */
int principal_cosines(int d, int k, const double *P, int m, const double *V, double *cosines,
                      ns_err *e);
/* ||V u|| / ||u||: the cosine between u and the span of the m orthonormal rows of V */
double span_cos(int d, int m, const double *V, const double *u);
/* The kernel match: a predicted basis P (k x d, orthonormal rows) against a measured
 * spectrum, C the covariance with largest eigenvalue lam_max, V (m x d) the eigenvectors of
 * its m smallest eigenvalues.
 *   *rayleigh_rel = max_j p_j' C p_j / lam_max          (0 when lam_max <= 0)
 *   *cos          = cosine of the largest of the min(k, m) principal angles between span(P)
 *                   and span(V); |cos(p, v)| for k = m = 1; NaN when k or m is 0 */
int kernel_match(int d, const double *C, double lam_max, const double *P, int k, const double *V,
                 int m, double *rayleigh_rel, double *cos, ns_err *e);
/* number of w[i] < thr (w ascending) */
int count_below(int d, const double *w, double thr);

#endif
