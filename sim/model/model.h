/* model.h - parameters: one contiguous block of doubles, named tensors pointing into it
 * (as in llm.c). Linear weights are stored (out, in) like torch.nn.Linear, so a layer
 * computes y = x W^T + b. Norm parameters follow the scheme's spec (norms/norm.h).
 * Tensor names are normsim's own, the same for every family (docs/formats.md); q, k, v
 * (and gate, up) are separate tensors laid out back to back, so they also form one fused
 * matrix that one matmul reads. */
#ifndef NS_MODEL_H
#define NS_MODEL_H
#include <stddef.h>
#include <stdint.h>
#include "sim/model/arch.h"
#include "sim/base/err.h"
#include "sim/base/precision.h"
#include "norms/norm.h"

enum tensor_init { TINIT_NORMAL, TINIT_TRUNC, TINIT_CONST };

typedef struct {
    char name[96];     /* e.g. "h.0.attn.q.weight" */
    int rows, cols;    /* shape; a vector is 1 x n */
    size_t offset;     /* into ns_model.params */
    int init;          /* enum tensor_init */
    double init_value; /* std for normal and truncated normal, the value for const */
    int norm_role;     /* -1, or the enum norm_role of a norm parameter */
} ns_tensor;

typedef struct {
    double *norm_attn, *norm_mlp;           /* before the branches (or after the add: post-LN) */
    double *norm_attn_post, *norm_mlp_post; /* on the branch output (sandwich, olmo2) */
    double *qkv_w, *qkv_b;  /* (q_dim + 2 kv_dim, d): q rows, k rows, v rows; b may be NULL */
    double *q_norm, *k_norm, *v_norm;       /* per-head or full-width q/k(/v) norms */
    double *out_w, *out_b;  /* (d, q_dim) */
    double *up_w, *up_b;    /* (d_ff, d); gated: (2 d_ff, d), gate rows then up rows */
    double *down_w, *down_b;/* (d, d_ff) */
    double *ls_attn, *ls_mlp; /* LayerScale (d) */
} ns_block;

typedef struct {
    ns_config cfg;
    const norm_ops *norm; /* the scheme of every norm in the model */
    norm_cfg ncfg;        /* width d */
    norm_cfg ncfg_head;   /* width head_dim: per-head q/k/v norms */
    norm_cfg ncfg_q, ncfg_k; /* widths q_dim, kv_dim: full-width q/k norms */
    int hd, kv_heads, q_dim, kv_dim, d_ff, patch_dim;
    precision prec;       /* storage precision of activations (default f64) */
    size_t n_params;
    double *params;       /* the one block */
    int n_tensors;
    ns_tensor *tensors;
    double *tok_emb;      /* (vocab, d) token embedding (tokens input) */
    double *patch_w, *patch_b; /* (d, patch_dim) linear patch embedding (patches input) */
    double *cls;          /* (d) CLS token (patches input) */
    double *pos_emb;      /* (seq + pos_offset, d) learned positions */
    double *type_emb;     /* (token_types, d) */
    double *norm_embed;   /* norm on the embeddings */
    double *rel_bias;     /* (buckets, heads) T5 relative position bias, shared by layers */
    ns_block *blocks;     /* [layers] */
    double *norm_final;   /* the final norm's parameters (bert: last block's norm_mlp) */
    double *head_w, *head_b;   /* untied head (vocab or classes, d); b may be NULL */
    double *mlm_w, *mlm_b, *norm_mlm; /* bert's MLM transform: dense (d, d), bias, norm */
    double *mlm_out_b;    /* (vocab) bert's decoder bias */
    /* derived, not parameters: */
    double *rope[2][2];   /* [local, global][cos, sin]: (seq, rot/2) tables */
    double *alibi;        /* (heads) ALiBi slopes */
    int *t5_bucket;       /* (2 seq - 1) bucket of relative position j - i + seq - 1 */
} ns_model;

/* Lay out the parameters of cfg (validated here) and allocate them (zeroed). */
int model_create(ns_model *m, const ns_config *cfg, ns_err *e);
void model_free(ns_model *m);
/* Draw every tensor from its init, in tensor order, from the (seed, RNG_INIT) stream. */
void model_init(ns_model *m, uint64_t seed);
/* Every norm gain g := exp(spread * N(0,1)), from the (seed, RNG_GAMMA) stream. */
void model_randomize_gains(ns_model *m, uint64_t seed, double spread);
/* Every parameter += scale * N(0,1) (biases and norm shifts included), from the
 * (seed, RNG_PERTURB) stream: a generic non-init state, for tests and what-ifs. */
void model_perturb(ns_model *m, uint64_t seed, double scale);
const ns_tensor *model_find_tensor(const ns_model *m, const char *name);
/* rows of one forward: sequence length T; tokens per image for patches */
int model_seq(const ns_model *m);

#endif
