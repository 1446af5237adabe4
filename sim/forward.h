/* forward.h - the forward pass: walk the blocks, call norms only through the registry. */
#ifndef NS_FORWARD_H
#define NS_FORWARD_H
#include "model.h"
#include "taps.h"

/* Scratch for one batch of up to max_rows = B * T tokens, allocated once. */
typedef struct {
    int max_rows, max_T;
    double *x;       /* (rows, d) residual stream */
    double *h;       /* (rows, d) a norm's output */
    double *qkv;     /* (rows, 3d) */
    double *att;     /* (rows, d) attention output before projection */
    double *fc;      /* (rows, d_ff) */
    double *scores;  /* (T, T) */
    double *cache;   /* (rows, norm cache per token) */
} ns_workspace;

int workspace_create(ns_workspace *w, const ns_model *m, int max_rows, int max_T, ns_err *e);
void workspace_free(ns_workspace *w);

/* Forward B sequences of T tokens (tok: B*T ids < vocab, T <= seq). Taps go to sink
 * (may be NULL). When logits != NULL it receives (B*T, vocab). */
void model_forward(const ns_model *m, ns_workspace *w, const int *tok, int B, int T,
                   const tap_sink *sink, double *logits);

#endif
