/* fisher_internal.h - the state fisher.c and fisher_grad.c share (not a public API). */
#ifndef NS_FISHER_INTERNAL_H
#define NS_FISHER_INTERNAL_H
#include "sim/fisher/fisher.h"
#include "sim/model/forward.h"
#include "sim/base/progress.h"

/* sums over the tokens of one direction */
typedef struct {
    double F, F_half; /* model Fisher from the Richardson dz and from dz(h/2) */
    double emp, gd;   /* sum of (g_t . D)^2 and of g_t . D over rows with a target */
} fdir_acc;

typedef struct {
    fisher_target t;
    int d_out, d_in;
    double *W0, *c0;  /* the tensor (and bias) as loaded: restored after each direction */
    double *P, *Pb;   /* kernel rows (k x d_in) and P b (k) */
    double wnorm, h;  /* ||W0||_F, the last absolute step */
    fdir_acc *acc;    /* [2K]: dead 0..K-1, random K..2K-1 */
    double py_sum, py_min, py_max, dout_sum;
    long py_n;
} fjob;

typedef struct {
    ns_model *m;
    const fisher_opts *o;
    int n;
    fjob *jobs;
    ns_workspace ws;
    double *pi, *A, *B, *C; /* (chunk logit rows, V): pi, dz(h), dz(h/2), scratch/Richardson */
    double *dW, *dc, *U, *py;
    int *target;
    progress pb;
    long done, total;
} fstate;

/* direction dir (< K dead, else random) of job j into dW, dc (U: scratch d_out x k);
 * returns its Frobenius norm */
double fisher_direction(const fjob *j, uint64_t seed, int K, int dir, double *dW, double *dc, double *U);
/* sequences b0 .. b0 + bc - 1 of all */
ns_batch fisher_sub_batch(const ns_model *m, const ns_batch *all, int b0, int bc);
/* --save-dir: tokens.npy (or images.npy) and every direction as .npy */
int fisher_save(const fstate *s, const ns_batch *all, ns_err *e);
/* dL/dparams of the mean next-token loss (sim/model/backward.c): <dL/dW, D> against the
 * JVP's mean g_t . D (random direction 0), and the LoRA guard when asked */
int fisher_gradient_checks(fstate *s, const ns_batch *all, int nseq, int T, int Bc, fisher_row *rows,
                           ns_err *e);

#endif
