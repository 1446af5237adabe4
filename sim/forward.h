/* forward.h - the forward pass: walk the blocks, call norms only through the registry. */
#ifndef NS_FORWARD_H
#define NS_FORWARD_H
#include "model.h"
#include "taps.h"

/* One batch: B sequences of T rows. Tokens input: tok (and optional types) are (B, T)
 * ids. Patches input: images are (B, channels, image, image) and T = patches + 1 (CLS). */
typedef struct {
    int B, T;
    const int *tok;
    const int *types;     /* NULL: type 0 everywhere */
    const double *images;
} ns_batch;

/* Scratch for one batch of up to max_rows = B * T rows, allocated once. */
typedef struct {
    int max_rows, max_T;
    double *x;       /* (rows, d) residual stream */
    double *h, *h2;  /* (rows, d) norm outputs */
    double *br;      /* (rows, d) a branch's output */
    double *qkv;     /* (rows, q_dim + 2 kv_dim) */
    double *att;     /* (rows, q_dim) attention output before projection */
    double *fc;      /* (rows, d_ff) or (rows, 2 d_ff) gated */
    double *scores;  /* (T, T) */
    double *row;     /* (max(q_dim, d)) scratch for in-place per-row norms */
    double *patches; /* (rows, patch_dim) patches input */
} ns_workspace;

int workspace_create(ns_workspace *w, const ns_model *m, int max_rows, int max_T, ns_err *e);
void workspace_free(ns_workspace *w);

/* rows of the logits for a batch: B * T for token models, B (one per image) for patches */
int model_logit_rows(const ns_model *m, int B, int T);
/* Forward one batch (ids < vocab, T <= seq). Taps go to sink (may be NULL). When logits
 * != NULL it receives (model_logit_rows, vocab). */
void model_forward(const ns_model *m, ns_workspace *w, const ns_batch *in,
                   const tap_sink *sink, double *logits);

#endif
