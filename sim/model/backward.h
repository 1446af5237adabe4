/* backward.h - the backward pass: from dL/dlogits back to every parameter, mirroring
 * forward.c function by function. Gradients accumulate (+=) into one block laid out like
 * the parameters (grads[i] is dL/dparams[i]); it runs on a training workspace. */
#ifndef NS_BACKWARD_H
#define NS_BACKWARD_H
#include "sim/model/forward.h"

/* Gradient scratch for up to max_rows rows, allocated once. */
typedef struct {
    double *dx, *dx2;      /* (rows, d) stream gradients */
    double *dh, *dh2;      /* (rows, d) branch-input gradients */
    double *dr, *dbr, *dz; /* (rows, d) */
    double *dqkv, *dqkv2;  /* (rows, q_dim + 2 kv_dim) */
    double *datt;          /* (rows, q_dim) */
    double *dpre;          /* (rows, d_ff or 2 d_ff) */
    double *dact;          /* (rows, d_ff) */
    double *dS;            /* slots x (T, T), one per thread */
    int slots;             /* the thread count at creation */
    double *norm_part;     /* per-token-block norm parameter gradients (norms/parallel.h) */
    double *dlogits;       /* (rows, vocab) scratch for the head's nonlinearities */
    void *alloc;
} ns_grads_ws;

int grads_ws_create(ns_grads_ws *g, const ns_model *m, int max_rows, int max_T, ns_err *e);
void grads_ws_free(ns_grads_ws *g);

/* grads += dL/dparams for the batch `in` whose forward (on training workspace w) produced
 * logits, given dlogits = dL/dlogits (same shape). */
void model_backward(const ns_model *m, ns_workspace *w, ns_grads_ws *g, const ns_batch *in,
                    const double *logits, const double *dlogits, double *grads);

#endif
