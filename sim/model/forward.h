/* forward.h - the forward pass: walk the blocks, call norms only through the registry.
 * Every intermediate the backward needs has a named buffer in a layer record. For
 * inference all layers share one record (memory independent of depth); for training
 * each layer has its own (the tape), and the same forward code fills it. */
#ifndef NS_FORWARD_H
#define NS_FORWARD_H
#include "sim/model/model.h"
#include "sim/model/taps.h"

/* One batch: B sequences of T rows. Tokens input: tok (and optional types) are (B, T)
 * ids. Patches input: images are (B, channels, image, image) and T = patches + 1 (CLS). */
typedef struct {
    int B, T;
    const int *tok;
    const int *types;     /* NULL: type 0 everywhere */
    const double *images;
} ns_batch;

enum { BR_ATTN = 0, BR_MLP = 1 };

/* What one block computes, buffer by buffer (n = B T rows). A sublayer s is
 *   x_s -> h = N_pre(x_s) -> br = f(h or x_s) -> p = N_post(br) -> z = x_s + ls * (p or br)
 *       -> N_after(z) or z
 * with x_0 = x_in and the result x_mid (attention), then x_out (MLP). Parallel blocks:
 * x_out = x_in + attn(h[0]) + mlp(h[1] or h[0]). */
typedef struct {
    double *x_in, *x_mid, *x_out; /* (n, d) residual stream (x_in aliases the previous x_out) */
    double *h[2];         /* (n, d) pre-norm outputs */
    double *br[2];        /* (n, d) branch outputs */
    double *p[2];         /* (n, d) post-norm outputs (sandwich, olmo2) */
    double *z[2];         /* (n, d) x + branch before the after-norm (post-LN) */
    double *c_pre[2], *c_post[2], *c_after[2]; /* norm caches (NULL: not kept) */
    double *qkv_lin;      /* (n, q_dim + 2 kv_dim) projection output */
    double *qkv;          /* (n, q_dim + 2 kv_dim) after q/k/v norms and RoPE (may alias qkv_lin) */
    double *c_qk;         /* (n, heads + 2 kv_heads, cache) q/k/v norm caches, or NULL */
    double *probs;        /* attention probabilities of (sequence s, head h) at
                           * probs + s * probs_seq + h * probs_head */
    long probs_seq, probs_head;
    double *att;          /* (n, q_dim) attention output */
    double *mlp_pre;      /* (n, d_ff) or gated (n, 2 d_ff): [gate | up] */
    double *mlp_act;      /* (n, d_ff) */
} layer_acts;

typedef struct {
    int max_rows, max_T, train;
    layer_acts *layers;   /* [layers] (all equal to shared[0] in inference) */
    double *stream[2];    /* inference: the ping-pong residual stream buffers */
    double *embed;        /* (rows, d) the embedding sum */
    double *c_embed;      /* embedding-norm cache */
    double *x0;           /* (rows, d) stream entering block 0 */
    double *y;            /* (rows, d) the final representation (final.out) */
    double *c_final;      /* final-norm cache */
    double *head_in;      /* (rows, d) the head's input (T5 scaled; bert: normed transform) */
    double *mlm_pre, *mlm_act, *c_mlm; /* bert's MLM transform */
    double *cls;          /* (B, d) CLS rows (image models) */
    double *patches;      /* (rows, patch_dim) */
    double *row;          /* (max(q_dim, d)) scratch for in-place per-row norms */
    double *scores;       /* slots x (T, T) inference probabilities, one per thread */
    int slots;            /* inference: (T, T) slots at scores (the thread count at creation) */
    void *alloc;          /* every buffer above lives in this one block */
} ns_workspace;

/* Inference: one shared layer record. */
int workspace_create(ns_workspace *w, const ns_model *m, int max_rows, int max_T, ns_err *e);
/* Training: a record per layer, norm caches and all attention probabilities kept. */
int workspace_create_train(ns_workspace *w, const ns_model *m, int max_rows, int max_T, ns_err *e);
void workspace_free(ns_workspace *w);

/* rows of the logits for a batch: B * T for token models, B (one per image) for patches */
int model_logit_rows(const ns_model *m, int B, int T);
/* Forward one batch (ids < vocab, T <= seq). Taps go to sink (may be NULL). When logits
 * != NULL it receives (model_logit_rows, vocab). */
void model_forward(const ns_model *m, ns_workspace *w, const ns_batch *in,
                   const tap_sink *sink, double *logits);

/* shared with backward.c: the norms around branch s of block b, [pre, post, after] by
 * placement (NULL where absent), and the attention setup of layer l */
#include "sim/model/attention.h"
void block_sublayer_norms(const ns_model *m, const ns_block *b, int s, const double *out[3]);
attn_spec model_attn_spec(const ns_model *m, int l, int T);
/* The q/k/v norm cache of a token (layer_acts.c_qk): rows records of width doubles, q's
 * qrows first, then k's krows, then v's kv_heads; per head, or one row each (full width) */
typedef struct {
    int qrows, krows, rows, width;
} qk_cache_layout;
qk_cache_layout model_qk_cache_layout(const ns_model *m);

#endif
