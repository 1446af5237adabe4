/* hf_internal.h - the Hugging Face import's table types, shared by the mechanism
 * (hf_import.c) and the table of families (hf_families.c). One row per family: its
 * model_type values, tensor names (normsim name <- HF name + a conversion), the tensors
 * the sizes are read from, and its config.json keys (sizes to agree with, values to set,
 * values normsim cannot honour). Not part of the library's interface. */
#ifndef NS_HF_INTERNAL_H
#define NS_HF_INTERNAL_H
#include "sim/checkpoint/checkpoint.h"

enum conv {
    CV_COPY,   /* same shape (a vector may be (n,) or (1, n)) */
    CV_T,      /* Conv1D (in, out) -> (out, in) */
    CV_QKV_T,  /* GPT-2 c_attn weight (d, 3d): column block `part`, transposed */
    CV_QKV_B,  /* GPT-2 c_attn bias (3d): block `part` */
    CV_ROWS,   /* the first rows of a longer table (learned positions, --seq < context) */
    CV_HEADS3, /* fused query_key_value, rows [head][q k v][head_dim] (GPT-NeoX, BLOOM): `part` */
    CV_BLOCKS, /* fused query_key_value, rows [q heads][k heads][v heads] (Falcon): `part` */
    CV_FLAT,   /* the same elements in any shape (ViT's Conv2d patch weight, (1, n, d) tables) */
    CV_UNPERMUTE /* llama.cpp's q/k rows, permuted per head for its RoPE: row (h, i, j) of the file
                    is row (h, j, i) of Hugging Face's (i < head_dim / 2, j < 2) */
};

typedef struct {
    const char *ns; /* normsim name; "%d" is the layer */
    const char *hf; /* Hugging Face name after the family prefix; '/' first: no prefix */
    int conv, part;
} name_rule;

/* what a config.json number is checked against or sets */
enum cfg_field {
    F_D, F_LAYERS, F_KV_HEADS, F_VOCAB, F_FF, F_HEAD_DIM, F_EPS, F_THETA, F_FRAC, F_SOFTCAP,
    F_LOGIT_SCALE, F_BUCKETS, F_MAX_DISTANCE, F_IMAGE, F_PATCH, F_CHANNELS, F_TYPES,
    F_ATTN_SCALAR /* Gemma 2 query_pre_attn_scalar: must be head_dim */
};
typedef struct {
    const char *key;
    int field;
} cfg_key;

/* a config value normsim cannot honour: anything but `ok` is one error naming the key */
enum { OK_FALSE, /* absent, null or false */ OK_TRUE, /* absent or true */ OK_NULL /* absent or null */,
       OK_STRING /* absent or the string in `value` */ };
typedef struct {
    const char *key;
    int ok;
    const char *value;
    const char *why; /* what normsim does instead, for the message */
} cfg_refuse;

typedef struct {
    const char *value; /* config.json's activation name */
    int mlp;           /* enum arch_mlp */
} act_row;

enum fused { FUSED_NONE, FUSED_CONV1D, FUSED_HEADS, FUSED_BLOCKS };

typedef struct {
    const char *arch;             /* normsim family */
    const char *model_types[4];   /* config.json model_type values of this naming */
    const char *prefixes[3];      /* tried in order; the one holding `embed` is used */
    const char *embed;            /* (vocab, d) token embedding, or (d, C, p, p) patch weight */
    const char *layer;            /* a tensor every layer has: counts the layers */
    const char *qkv;              /* q weight (d, d), or the fused q/k/v weight */
    int fused;                    /* enum fused */
    const char *kproj;            /* k weight (kv_dim, d) when not fused */
    const char *up;               /* MLP input weight: (d_ff, d), or Conv1D (d, d_ff) */
    int up_t;                     /* up is Conv1D */
    const char *k_heads;          /* config key of the query heads (required) */
    const char *k_ctx;            /* config key of the context length */
    const char *k_act[2];         /* activation keys, first present wins */
    const act_row *acts;          /* values accepted (NULL: no activation key); [0]: default */
    int placement;                /* -1: the arch's; else forced (Gemma 1: pre-norm) */
    int window;                   /* sliding_window: 1 as Mistral/Qwen2, 2 Gemma 2 (alternating:
                                     only while seq <= window), 0 none */
    const cfg_key *keys;          /* sizes to agree with and values to set, {NULL} ended */
    const cfg_refuse *refuse;     /* values normsim cannot honour, {NULL} ended */
    const name_rule *rules;       /* {NULL} ended */
    const char *const *ignored;   /* HF tensors not needed; a trailing '*' matches any tail */
} hf_family;

/* one import in progress */
typedef struct {
    const st_set *s;
    const hf_family *fam;
    const char *prefix;
    const cJSON *cfg;
    int guessed; /* the family came from the tensor names alone */
    char guess_note[512]; /* the warning that says so */
} hf_ctx;

/* the checkpoint tensor of HF pattern hf for layer l / of normsim tensor ns ("h.0.attn.q.bias") */
const st_tensor *hf_find(const hf_ctx *x, const char *hf, int l);
const st_tensor *hf_ns_find(const hf_ctx *x, const char *ns);
/* does name match pattern (at most one %d, the layer, to *l; a trailing '*': any tail)? */
int hf_match(const char *pat, const char *name, int *l);
/* config.json of a GGUF file's metadata (cJSON_Delete it): every scalar under its own key, and
 * model_type "gguf:<general.architecture>"; NULL when s is not a GGUF file */
cJSON *hf_gguf_config(const st_set *s);
/* the model config of the checkpoint x holds: the family's defaults, sizes from the tensor
 * shapes, config.json's keys checked and applied (hf_config.c) */
int hf_config(const hf_ctx *x, const ckpt_opts *o, ns_config *c, ns_err *e);

extern const hf_family hf_families[];
extern const int hf_n_families;
/* "gpt2 (gpt2), pythia (gpt_neox), ..." into buf */
void hf_family_list(char *buf, size_t n);

#endif
