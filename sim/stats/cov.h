/* cov.h - streaming centred covariance in double, memory O(d^2) whatever the token count.
 * Each batch is centred on its own mean and its scatter added with one syrk; batches
 * merge by Chan et al.'s formula, never by sum(y y^T) - N mean mean^T (which destroys
 * the tiny kernel eigenvalue). */
#ifndef NS_COV_H
#define NS_COV_H
#include "sim/base/dist.h"
#include "sim/base/err.h"

typedef struct {
    int d;
    long long n;     /* rows seen */
    double *mean;    /* (d) running mean */
    double *scatter; /* (d, d) sum of (x - mean)(x - mean)^T; upper triangle kept */
    double *bmean;   /* (d) scratch: batch mean */
    double *delta;   /* (d) scratch: batch mean - running mean */
    double *work;    /* (work_rows, d) scratch: centred batch */
    int work_rows;
} cov_acc;

int cov_init(cov_acc *c, int d, ns_err *e);
void cov_free(cov_acc *c);
void cov_reset(cov_acc *c);
/* Add n rows x (n, d). Grows the scratch only when a larger batch than before arrives. */
int cov_add(cov_acc *c, const double *x, int n, ns_err *e);
/* a := a merged with b (same d). */
void cov_merge(cov_acc *a, const cov_acc *b);
/* Distributed run (sim/base/dist.h; d NULL or one rank: nothing to do): every rank's c
 * merged into rank 0's, in rank order (cov_reduce.c); the other ranks' c are unchanged. */
int cov_reduce(cov_acc *c, const ns_dist *d, ns_err *e);
/* C = scatter / n, full symmetric (d, d) (both triangles written). */
void cov_matrix(const cov_acc *c, double *C);

#endif
