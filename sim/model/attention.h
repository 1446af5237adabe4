/* attention.h - multi-head attention on one sequence, with the position schemes that act
 * inside it: RoPE (full, partial, interleaved), ALiBi, T5 relative bias, and the masks
 * (causal, sliding window, bidirectional). Grouped-query: query head h reads kv head
 * h / (heads / kv_heads); kv_heads = 1 is multi-query. */
#ifndef NS_ATTENTION_H
#define NS_ATTENTION_H

typedef struct {
    int T;              /* tokens in this sequence */
    int heads, kv_heads, hd;
    int causal;         /* key j visible to query i only if j <= i */
    int window;         /* > 0: also only if i - j < window */
    double scale;       /* scores = scale q k^T */
    const double *alibi;     /* (heads) slopes: scores += slope (j - i); or NULL */
    const double *rel_bias;  /* (buckets, heads): scores += rel_bias[bucket(j - i), h]; or NULL */
    const int *t5_bucket;    /* bucket of r = j - i at index r + seq - 1 */
    int seq;                 /* the model's context length (centre of t5_bucket) */
    int slots;               /* (T, T) scratch slots at probs (probs_head = 0) and at
                                dscores: heads run on up to this many threads (0: 1) */
} attn_spec;

/* qkv: (T, q_dim + 2 kv_dim) rows [q | k | v]; out: (T, q_dim). The probabilities of head
 * h go to probs + h * probs_head ((T, T); probs_head = 0 reuses s->slots scratch slots,
 * one per thread). Heads run in parallel, each with single-threaded BLAS. */
void attention_forward(double *out, const double *qkv, double *probs, long probs_head,
                       const attn_spec *s);
/* From dout (T, q_dim) and the forward's qkv and probs: dqkv (T, q_dim + 2 kv_dim) is
 * written (=); drel_bias (buckets, heads) += when the spec has a relative bias; dscores is
 * s->slots (T, T) scratch slots. Key/value groups run in parallel, their heads in order. */
void attention_backward(double *dqkv, const double *dout, const double *qkv, const double *probs,
                        long probs_head, double *dscores, double *drel_bias, const attn_spec *s);

/* Rotate the first r dims of each of n_heads head vectors (hd wide, starting at column
 * col0 of rows of width ld) of T tokens at positions 0..T-1, in place:
 *   (a, b) -> (a cos - b sin, b cos + a sin), angle t * base^(-2i/r)
 * pairs (i, i + r/2) (GPT-NeoX) or (2i, 2i + 1) when interleaved (GPT-J, Cohere).
 * cos, sin: (seq, r/2) tables. */
void rope_forward(double *x, int T, int ld, int col0, int n_heads, int hd, int r,
                  int interleaved, const double *cos_t, const double *sin_t);
/* The backward of RoPE: the inverse rotation applied to the gradient, in place. */
void rope_backward(double *dx, int T, int ld, int col0, int n_heads, int hd, int r,
                   int interleaved, const double *cos_t, const double *sin_t);

#endif
