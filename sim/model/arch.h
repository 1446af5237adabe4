/* arch.h - archetypes (shared/ARCHETYPES.md) as rows of one table -> a plain config.
 * Adding a family is one row here plus any op it needs that ops.c / attention.c lack. */
#ifndef NS_ARCH_H
#define NS_ARCH_H
#include "sim/base/err.h"

enum arch_placement {
    PLACE_PRE,          /* x += f(N(x)) */
    PLACE_POST,         /* x = N(x + f(x))            (bert) */
    PLACE_SANDWICH,     /* x += N_post(f(N(x)))       (gemma 2/3, gemma4) */
    PLACE_POST_IN_RESID /* x += N(f(x))               (olmo2) */
};
enum arch_residual {
    RESID_SEQUENTIAL,     /* attention, then MLP */
    RESID_PARALLEL_TWO,   /* x + attn(N1 x) + mlp(N2 x)  (pythia) */
    RESID_PARALLEL_SHARED /* x + attn(N x) + mlp(N x)    (falcon, phi2, command-r) */
};
enum arch_mlp { MLP_GELU_TANH, MLP_GELU_ERF, MLP_RELU, MLP_SWIGLU, MLP_GEGLU };
enum arch_pos { POS_LEARNED, POS_ROPE, POS_ALIBI, POS_T5_BIAS };
enum arch_input { INPUT_TOKENS, INPUT_PATCHES };
enum arch_init {
    INIT_STD,        /* N(0, std) everywhere */
    INIT_GPT2,       /* N(0, std); output projections N(0, std / sqrt(2L)) */
    INIT_TRUNC,      /* truncated normal(0, std) on [-2, 2] (torch trunc_normal_) */
    INIT_T5          /* T5's scaled normals (factor 1) */
};
enum arch_qk_norm { QK_NONE, QK_PER_HEAD, QK_FULL };
/* which Linear layers carry a bias */
enum { BIAS_QKV = 1, BIAS_ATTN_OUT = 2, BIAS_MLP = 4, BIAS_HEAD = 8, BIAS_PATCH = 16 };

typedef struct {
    char arch[32];       /* family name, e.g. "gpt2" */
    char norm[64];       /* norm spec for every norm of the model, e.g. "layernorm" */
    int d;               /* model width */
    int layers;          /* transformer blocks */
    int heads;           /* query heads (d % heads == 0) */
    int kv_heads;        /* key/value heads (heads % kv_heads == 0); 1 = multi-query;
                            0: = heads */
    int seq;             /* context length: tokens per sequence (incl. CLS for patches) */
    int vocab;           /* vocabulary size (tokens) or classes (patches) */
    int d_ff;            /* MLP hidden width (0: 4d) */
    double eps;          /* norm epsilon */
    double init_std;     /* std of the N(0, std) init */
    int init;            /* enum arch_init */
    int placement;       /* enum arch_placement */
    int residual;        /* enum arch_residual */
    int mlp;             /* enum arch_mlp */
    int pos;             /* enum arch_pos */
    int pos_offset;      /* learned positions: index t + offset (OPT: 2) */
    double rope_frac;    /* fraction of the head dim rotated */
    double rope_base;    /* RoPE theta */
    int rope_interleaved;/* pairs (2i, 2i+1) instead of (i, i + r/2) */
    int window;          /* sliding-window attention span (0: none) */
    int global_every;    /* gemma4: every k-th layer global (no window, global RoPE) */
    double rope_frac_global, rope_base_global;
    int rope_global_proportional; /* gemma4: global layers rotate the whole head with only
                                     the first frac*hd/2 frequencies live (HF "proportional") */
    int causal;          /* causal mask (decoders) or bidirectional */
    int bias;            /* BIAS_* mask */
    int tied;            /* unembedding = token embedding */
    double logit_scale;  /* logits multiplied by this (command-r 0.0625) */
    double logit_softcap;/* logits = c tanh(logits / c) when > 0 */
    int head_scale_rsqrt_d; /* tied head input scaled by d^-1/2 (T5) */
    double attn_scale;   /* score scale; 0: 1/sqrt(head dim) */
    int embed_scale_sqrt_d; /* embeddings multiplied by sqrt(d) (gemma) */
    int embed_norm;      /* a norm on the embeddings (bloom, bert) */
    int final_norm;      /* a final norm (0: bert, whose last block ends in a norm) */
    int layerscale;      /* per-channel LayerScale on each branch, init 1 (dinov2) */
    int qk_norm;         /* enum arch_qk_norm */
    int v_norm;          /* per-head norm on v too (gemma4) */
    int token_types;     /* token-type embedding rows (bert 2) */
    int mlm_head;        /* bert's MLM head: dense + GELU + norm, then the tied decoder */
    int input;           /* enum arch_input */
    int image, patch, channels; /* patches: image side, patch side, channels */
    int t5_buckets, t5_max_distance;
} ns_config;

/* The names of the enums above, in one table (arch.c): a machine name (config JSON,
 * export) and a label for tables. value out of range: NULL; unknown name: -1. */
enum arch_enum { ENUM_PLACEMENT, ENUM_RESIDUAL, ENUM_MLP, ENUM_POS, ENUM_INPUT, ENUM_INIT,
                 ENUM_QK_NORM, ENUM_N };
const char *arch_enum_name(int which, int value);
const char *arch_enum_label(int which, int value);
int arch_enum_value(int which, const char *name);
/* the block layout in words: the residual's label when parallel, else the placement's */
const char *arch_layout_label(int placement, int residual);

int arch_count(void);
/* name and one-line description of row i; its class (LN or RMS) and whether it is in the
 * paper's default line-up */
const char *arch_name(int i);
const char *arch_summary(int i);
int arch_in_lineup(int i);
/* Fill cfg with the family's defaults; unknown name -> NS_EUSAGE listing valid names. */
int arch_config(const char *name, ns_config *cfg, ns_err *e);
/* Check sizes after overrides: positive, divisible, not absurdly large. */
int config_validate(const ns_config *cfg, ns_err *e);
/* derived sizes */
int config_head_dim(const ns_config *c);
int config_kv_heads(const ns_config *c);   /* kv_heads, or heads when 0 */
int config_d_ff(const ns_config *c);
int config_gated(const ns_config *c);      /* SwiGLU / GeGLU */
int config_patches(const ns_config *c);    /* patches per image (0 for tokens) */
/* rotated dims of the head for layer l (even, <= head dim), 0 without RoPE */
int config_rope_dims(const ns_config *c, int l);
/* dims the rotation spans in layer l: config_rope_dims, or the whole head when proportional
 * (pairs (i, i + span/2), frequencies base^(-2i/span), only rope_dims/2 of them non-zero) */
int config_rope_span(const ns_config *c, int l);
double config_rope_base(const ns_config *c, int l);
int config_window(const ns_config *c, int l); /* 0: full attention in layer l */
int config_layer_global(const ns_config *c, int l); /* gemma4's global layers */

#endif
