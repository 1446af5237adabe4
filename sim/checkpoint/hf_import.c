/* checkpoint.c - Hugging Face import by name rules, one table per naming family. normsim's
 * own checkpoints and config.json are in checkpoint_own.c. */
#include "sim/checkpoint/checkpoint.h"
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- name rules ---- */

enum conv {
    CV_COPY,  /* same shape (a vector may be (n,) or (1, n)) */
    CV_T,     /* Conv1D (in, out) -> (out, in) */
    CV_QKV_T, /* GPT-2 c_attn weight (d, 3d): column block `part`, transposed */
    CV_QKV_B, /* GPT-2 c_attn bias (3d): block `part` */
    CV_ROWS   /* the first rows of a longer table (learned positions, --seq < context) */
};

typedef struct {
    const char *ns;  /* normsim name; "%d" is the layer */
    const char *hf;  /* Hugging Face name after the family prefix; '/' first: no prefix */
    int conv, part;
} name_rule;

static const name_rule gpt2_rules[] = {
    {"embed.tokens.weight", "wte.weight", CV_COPY, 0},
    {"embed.positions.weight", "wpe.weight", CV_ROWS, 0},
    {"h.%d.norm_attn.weight", "h.%d.ln_1.weight", CV_COPY, 0},
    {"h.%d.norm_attn.bias", "h.%d.ln_1.bias", CV_COPY, 0},
    {"h.%d.attn.q.weight", "h.%d.attn.c_attn.weight", CV_QKV_T, 0},
    {"h.%d.attn.k.weight", "h.%d.attn.c_attn.weight", CV_QKV_T, 1},
    {"h.%d.attn.v.weight", "h.%d.attn.c_attn.weight", CV_QKV_T, 2},
    {"h.%d.attn.q.bias", "h.%d.attn.c_attn.bias", CV_QKV_B, 0},
    {"h.%d.attn.k.bias", "h.%d.attn.c_attn.bias", CV_QKV_B, 1},
    {"h.%d.attn.v.bias", "h.%d.attn.c_attn.bias", CV_QKV_B, 2},
    {"h.%d.attn.out.weight", "h.%d.attn.c_proj.weight", CV_T, 0},
    {"h.%d.attn.out.bias", "h.%d.attn.c_proj.bias", CV_COPY, 0},
    {"h.%d.norm_mlp.weight", "h.%d.ln_2.weight", CV_COPY, 0},
    {"h.%d.norm_mlp.bias", "h.%d.ln_2.bias", CV_COPY, 0},
    {"h.%d.mlp.up.weight", "h.%d.mlp.c_fc.weight", CV_T, 0},
    {"h.%d.mlp.up.bias", "h.%d.mlp.c_fc.bias", CV_COPY, 0},
    {"h.%d.mlp.down.weight", "h.%d.mlp.c_proj.weight", CV_T, 0},
    {"h.%d.mlp.down.bias", "h.%d.mlp.c_proj.bias", CV_COPY, 0},
    {"norm_final.weight", "ln_f.weight", CV_COPY, 0},
    {"norm_final.bias", "ln_f.bias", CV_COPY, 0},
    {NULL, NULL, 0, 0},
};
/* present in HF GPT-2 checkpoints, not parameters normsim needs (masks; the tied head) */
static const char *gpt2_ignored[] = {"h.%d.attn.bias", "h.%d.attn.masked_bias", "/lm_head.weight", NULL};

static const name_rule llama_rules[] = {
    {"embed.tokens.weight", "embed_tokens.weight", CV_COPY, 0},
    {"h.%d.norm_attn.weight", "layers.%d.input_layernorm.weight", CV_COPY, 0},
    {"h.%d.attn.q.weight", "layers.%d.self_attn.q_proj.weight", CV_COPY, 0},
    {"h.%d.attn.k.weight", "layers.%d.self_attn.k_proj.weight", CV_COPY, 0},
    {"h.%d.attn.v.weight", "layers.%d.self_attn.v_proj.weight", CV_COPY, 0},
    {"h.%d.attn.q.bias", "layers.%d.self_attn.q_proj.bias", CV_COPY, 0},
    {"h.%d.attn.k.bias", "layers.%d.self_attn.k_proj.bias", CV_COPY, 0},
    {"h.%d.attn.v.bias", "layers.%d.self_attn.v_proj.bias", CV_COPY, 0},
    {"h.%d.attn.out.weight", "layers.%d.self_attn.o_proj.weight", CV_COPY, 0},
    {"h.%d.attn.out.bias", "layers.%d.self_attn.o_proj.bias", CV_COPY, 0},
    {"h.%d.norm_mlp.weight", "layers.%d.post_attention_layernorm.weight", CV_COPY, 0},
    {"h.%d.mlp.gate.weight", "layers.%d.mlp.gate_proj.weight", CV_COPY, 0},
    {"h.%d.mlp.up.weight", "layers.%d.mlp.up_proj.weight", CV_COPY, 0},
    {"h.%d.mlp.down.weight", "layers.%d.mlp.down_proj.weight", CV_COPY, 0},
    {"h.%d.mlp.gate.bias", "layers.%d.mlp.gate_proj.bias", CV_COPY, 0},
    {"h.%d.mlp.up.bias", "layers.%d.mlp.up_proj.bias", CV_COPY, 0},
    {"h.%d.mlp.down.bias", "layers.%d.mlp.down_proj.bias", CV_COPY, 0},
    {"norm_final.weight", "norm.weight", CV_COPY, 0},
    {"head.weight", "/lm_head.weight", CV_COPY, 0},
    {NULL, NULL, 0, 0},
};
static const char *llama_ignored[] = {"layers.%d.self_attn.rotary_emb.inv_freq", NULL};

typedef struct import_ctx import_ctx;

typedef struct {
    const char *archs[4];      /* normsim families that use this naming */
    const char *prefixes[3];   /* tried in order; the one holding `probe` is used */
    const char *probe;         /* a tensor every checkpoint of the naming has */
    const name_rule *rules;
    const char **ignored;
    int (*shape)(import_ctx *x, const ckpt_opts *o, ns_config *c, ns_err *e);
} hf_family;

struct import_ctx {
    const st_set *s;
    const hf_family *fam;
    const char *prefix;
    const cJSON *cfg;
};

/* ---- small helpers ---- */

/* name = the HF name of pattern hf for layer l, with the family prefix */
static void hf_name(const import_ctx *x, const char *hf, int l, char *buf, size_t n)
{
    char tail[256];
    const char *pat = hf[0] == '/' ? hf + 1 : hf;
    snprintf(tail, sizeof tail, pat, l);
    snprintf(buf, n, "%s%s", hf[0] == '/' ? "" : x->prefix, tail);
}

/* does name match pattern (with at most one %d)? the layer goes to *l */
static int match_pattern(const char *pat, const char *name, int *l)
{
    const char *pd = strstr(pat, "%d");
    *l = -1;
    if (!pd)
        return strcmp(pat, name) == 0;
    size_t pre = (size_t)(pd - pat);
    if (strncmp(pat, name, pre) != 0)
        return 0;
    const char *p = name + pre;
    if (*p < '0' || *p > '9')
        return 0;
    long v = 0;
    while (*p >= '0' && *p <= '9' && v < 1000000)
        v = v * 10 + (*p++ - '0');
    *l = (int)v;
    return strcmp(p, pd + 2) == 0;
}

static const st_tensor *hf_find(const import_ctx *x, const char *hf, int l)
{
    char name[512];
    hf_name(x, hf, l, name, sizeof name);
    return st_set_find(x->s, name);
}

/* a 2-D tensor's shape; NS_EUSAGE if missing or not 2-D */
static int get2(const import_ctx *x, const char *hf, uint64_t *r, uint64_t *c, ns_err *e)
{
    char name[512], s[128];
    hf_name(x, hf, 0, name, sizeof name);
    const st_tensor *t = st_set_find(x->s, name);
    if (!t)
        return ns_fail(e, NS_EUSAGE, "checkpoint has no tensor '%s'", name);
    if (t->ndim != 2) {
        st_shape_str(t, s, sizeof s);
        return ns_fail(e, NS_EUSAGE, "tensor '%s' has shape %s, expected 2 dimensions", name, s);
    }
    *r = t->shape[0];
    *c = t->shape[1];
    return NS_OK;
}

static int count_layers(const import_ctx *x, const char *hf)
{
    int l = 0;
    while (l < 100000 && hf_find(x, hf, l))
        l++;
    return l;
}

/* config.json's value of key, if present, must equal what the tensors say */
static int cfg_agrees(const cJSON *cfg, const char *key, uint64_t have, const char *from, ns_err *e)
{
    double v;
    if (cfg_num(cfg, key, &v) && v != (double)have)
        return ns_fail(e, NS_EUSAGE, "config.json says %s = %g but the checkpoint has %llu (%s)", key, v,
                       (unsigned long long)have, from);
    return NS_OK;
}

static int fits_int(uint64_t v, const char *what, ns_err *e)
{
    if (v == 0 || v > INT_MAX / 4)
        return ns_fail(e, NS_EUSAGE, "checkpoint %s = %llu is out of range", what, (unsigned long long)v);
    return NS_OK;
}

/* heads: --heads, else the config's key; required */
static int get_heads(const ckpt_opts *o, const cJSON *cfg, const char *key, const char *arch, int *heads,
                     ns_err *e)
{
    double v;
    if (o->heads > 0) {
        if (cfg_num(cfg, key, &v) && v != o->heads)
            return ns_fail(e, NS_EUSAGE, "--heads %d disagrees with config.json's %s = %g", o->heads, key, v);
        *heads = o->heads;
        return NS_OK;
    }
    if (!cfg_num(cfg, key, &v) || v < 1 || v > 65536 || v != floor(v))
        return ns_fail(e, NS_EUSAGE, "%s needs the number of attention heads, which the tensor shapes do "
                       "not give: pass --config config.json (with \"%s\") or --heads N", arch, key);
    *heads = (int)v;
    return NS_OK;
}

/* --seq, else the context length capped at 2048 */
static int get_seq(const ckpt_opts *o, uint64_t context, int *seq, ns_err *e)
{
    if (o->seq > 0 && context > 0 && (uint64_t)o->seq > context)
        return ns_fail(e, NS_EUSAGE, "--seq %d exceeds the checkpoint's context of %llu tokens", o->seq,
                       (unsigned long long)context);
    *seq = o->seq > 0 ? o->seq : context > 0 && context < 2048 ? (int)context : 2048;
    return NS_OK;
}

/* ---- families ---- */

static int gpt2_activation(const cJSON *cfg, int *mlp, ns_err *e)
{
    const char *a = cfg_str(cfg, "activation_function");
    if (!a || strcmp(a, "gelu_new") == 0 || strcmp(a, "gelu_pytorch_tanh") == 0 ||
        strcmp(a, "gelu_fast") == 0)
        *mlp = MLP_GELU_TANH;
    else if (strcmp(a, "gelu") == 0)
        *mlp = MLP_GELU_ERF;
    else if (strcmp(a, "relu") == 0)
        *mlp = MLP_RELU;
    else
        return ns_fail(e, NS_EUSAGE, "config.json: activation_function '%s' is not supported (gelu_new, "
                       "gelu, relu)", a);
    const cJSON *j = cfg_item(cfg, "scale_attn_by_inverse_layer_idx");
    if (cJSON_IsTrue(j))
        return ns_fail(e, NS_EUSAGE, "config.json: scale_attn_by_inverse_layer_idx is not supported");
    j = cfg_item(cfg, "scale_attn_weights");
    if (cJSON_IsFalse(j))
        return ns_fail(e, NS_EUSAGE, "config.json: scale_attn_weights = false is not supported");
    return NS_OK;
}

static int gpt2_shape(import_ctx *x, const ckpt_opts *o, ns_config *c, ns_err *e)
{
    uint64_t V, d, P, d2, d3, ff;
    int rc, L = count_layers(x, "h.%d.ln_1.weight"), heads, seq;
    if ((rc = get2(x, "wte.weight", &V, &d, e)) || (rc = get2(x, "wpe.weight", &P, &d2, e)))
        return rc;
    if (L == 0)
        return ns_fail(e, NS_EUSAGE, "checkpoint has no layers (no %sh.0.ln_1.weight)", x->prefix);
    if ((rc = get2(x, "h.%d.mlp.c_fc.weight", &d3, &ff, e)))
        return rc;
    if (d2 != d || d3 != d)
        return ns_fail(e, NS_EUSAGE, "inconsistent widths: wte %llu, wpe %llu, c_fc %llu columns/rows",
                       (unsigned long long)d, (unsigned long long)d2, (unsigned long long)d3);
    if ((rc = fits_int(d, "width", e)) || (rc = fits_int(V, "vocabulary", e)) ||
        (rc = fits_int(ff, "MLP width", e)) || (rc = fits_int(P, "context", e)))
        return rc;
    if ((rc = cfg_agrees(x->cfg, "n_embd", d, "width of wte.weight", e)) ||
        (rc = cfg_agrees(x->cfg, "n_layer", (uint64_t)L, "layers h.<i>", e)) ||
        (rc = cfg_agrees(x->cfg, "vocab_size", V, "rows of wte.weight", e)) ||
        (rc = cfg_agrees(x->cfg, "n_positions", P, "rows of wpe.weight", e)) ||
        (rc = cfg_agrees(x->cfg, "n_inner", ff, "columns of mlp.c_fc.weight", e)) ||
        (rc = get_heads(o, x->cfg, "n_head", "gpt2", &heads, e)) || (rc = get_seq(o, P, &seq, e)) ||
        (rc = gpt2_activation(x->cfg, &c->mlp, e)))
        return rc;
    c->d = (int)d;
    c->layers = L;
    c->heads = heads;
    c->vocab = (int)V;
    c->d_ff = (int)ff;
    c->seq = seq;
    cfg_num(x->cfg, "layer_norm_epsilon", &c->eps);
    return NS_OK;
}

static int llama_config(import_ctx *x, ns_config *c, ns_err *e)
{
    const char *act = cfg_str(x->cfg, "hidden_act");
    double v;
    if (act && strcmp(act, "silu") != 0)
        return ns_fail(e, NS_EUSAGE, "config.json: hidden_act '%s' is not supported (silu)", act);
    if (cfg_item(x->cfg, "rope_scaling"))
        return ns_fail(e, NS_EUSAGE, "config.json: rope_scaling is not supported");
    if (cfg_num(x->cfg, "partial_rotary_factor", &v) && v != 1.0)
        return ns_fail(e, NS_EUSAGE, "config.json: partial_rotary_factor %g is not supported", v);
    cfg_num(x->cfg, "rms_norm_eps", &c->eps);
    cfg_num(x->cfg, "rope_theta", &c->rope_base);
    if (!(c->eps > 0.0) || !(c->rope_base > 1.0))
        return ns_fail(e, NS_EUSAGE, "config.json: rms_norm_eps must be > 0 and rope_theta > 1");
    const cJSON *use = cfg_item(x->cfg, "use_sliding_window");
    c->window = 0; /* the family's demo window does not apply to a checkpoint */
    if (cfg_num(x->cfg, "sliding_window", &v) && !cJSON_IsFalse(use) &&
        (use || strcmp(c->arch, "mistral") == 0)) {
        if (v < 0 || v > 65536 || v != floor(v))
            return ns_fail(e, NS_EUSAGE, "config.json: sliding_window %g is out of range", v);
        c->window = (int)v;
    }
    return NS_OK;
}

/* biases by presence: all of q, k, v or none; the same for the MLP's gate, up, down */
static int llama_biases(import_ctx *x, ns_config *c, ns_err *e)
{
    int q = hf_find(x, "layers.%d.self_attn.q_proj.bias", 0) != NULL;
    int k = hf_find(x, "layers.%d.self_attn.k_proj.bias", 0) != NULL;
    int v = hf_find(x, "layers.%d.self_attn.v_proj.bias", 0) != NULL;
    int g = hf_find(x, "layers.%d.mlp.gate_proj.bias", 0) != NULL;
    int u = hf_find(x, "layers.%d.mlp.up_proj.bias", 0) != NULL;
    int dn = hf_find(x, "layers.%d.mlp.down_proj.bias", 0) != NULL;
    if (q + k + v == 1 || q + k + v == 2 || (g + u + dn) % 3 != 0)
        return ns_fail(e, NS_EUSAGE, "unsupported bias layout: q/k/v (or gate/up/down) projections must "
                       "all have a bias or none");
    c->bias = (q ? BIAS_QKV : 0) | (hf_find(x, "layers.%d.self_attn.o_proj.bias", 0) ? BIAS_ATTN_OUT : 0) |
              (g ? BIAS_MLP : 0);
    return NS_OK;
}

static int llama_shape(import_ctx *x, const ckpt_opts *o, ns_config *c, ns_err *e)
{
    uint64_t V, d, qd, d2, kvd, d3, ff, d4;
    int rc, L = count_layers(x, "layers.%d.input_layernorm.weight"), heads, seq;
    double ctx = 0;
    if ((rc = get2(x, "embed_tokens.weight", &V, &d, e)))
        return rc;
    if (L == 0)
        return ns_fail(e, NS_EUSAGE, "checkpoint has no layers (no %slayers.0.input_layernorm.weight)",
                       x->prefix);
    if ((rc = get2(x, "layers.%d.self_attn.q_proj.weight", &qd, &d2, e)) ||
        (rc = get2(x, "layers.%d.self_attn.k_proj.weight", &kvd, &d3, e)) ||
        (rc = get2(x, "layers.%d.mlp.gate_proj.weight", &ff, &d4, e)))
        return rc;
    if (d2 != d || d3 != d || d4 != d || qd != d)
        return ns_fail(e, NS_EUSAGE, "unsupported widths: embed %llu, q_proj (%llu, %llu), k_proj in %llu, "
                       "gate_proj in %llu (normsim needs heads * head_dim = hidden_size)",
                       (unsigned long long)d, (unsigned long long)qd, (unsigned long long)d2,
                       (unsigned long long)d3, (unsigned long long)d4);
    if ((rc = fits_int(d, "width", e)) || (rc = fits_int(V, "vocabulary", e)) ||
        (rc = fits_int(ff, "MLP width", e)) || (rc = fits_int(kvd, "k_proj rows", e)) ||
        (rc = get_heads(o, x->cfg, "num_attention_heads", c->arch, &heads, e)))
        return rc;
    uint64_t hd = d / (uint64_t)heads;
    if (d % (uint64_t)heads || kvd % hd || (uint64_t)heads % (kvd / hd))
        return ns_fail(e, NS_EUSAGE, "%d heads do not fit width %llu and k_proj rows %llu", heads,
                       (unsigned long long)d, (unsigned long long)kvd);
    cfg_num(x->cfg, "max_position_embeddings", &ctx);
    if ((rc = cfg_agrees(x->cfg, "hidden_size", d, "width of embed_tokens.weight", e)) ||
        (rc = cfg_agrees(x->cfg, "num_hidden_layers", (uint64_t)L, "layers.<i>", e)) ||
        (rc = cfg_agrees(x->cfg, "vocab_size", V, "rows of embed_tokens.weight", e)) ||
        (rc = cfg_agrees(x->cfg, "intermediate_size", ff, "rows of mlp.gate_proj.weight", e)) ||
        (rc = cfg_agrees(x->cfg, "num_key_value_heads", kvd / hd, "k_proj rows / head_dim", e)) ||
        (rc = cfg_agrees(x->cfg, "head_dim", hd, "hidden_size / heads", e)) ||
        (rc = get_seq(o, ctx > 0 && ctx < 1e9 ? (uint64_t)ctx : 0, &seq, e)) ||
        (rc = llama_config(x, c, e)) || (rc = llama_biases(x, c, e)))
        return rc;
    int has_head = hf_find(x, "/lm_head.weight", 0) != NULL;
    const cJSON *tie = cfg_item(x->cfg, "tie_word_embeddings");
    if (!has_head && cJSON_IsFalse(tie))
        return ns_fail(e, NS_EUSAGE, "checkpoint has no lm_head.weight but config.json says "
                       "tie_word_embeddings = false");
    c->d = (int)d;
    c->layers = L;
    c->heads = heads;
    c->kv_heads = (int)(kvd / hd);
    c->vocab = (int)V;
    c->d_ff = (int)ff;
    c->seq = seq;
    c->tied = !has_head;
    return NS_OK;
}

static const hf_family families[] = {
    {{"gpt2"}, {"transformer.", "", NULL}, "wte.weight", gpt2_rules, gpt2_ignored, gpt2_shape},
    {{"llama", "mistral", "qwen2"}, {"model.", "", NULL}, "embed_tokens.weight", llama_rules,
     llama_ignored, llama_shape},
};
#define N_FAMILIES ((int)(sizeof families / sizeof families[0]))

const char *ckpt_import_archs(void) { return "gpt2, llama, mistral, qwen2"; }

static const hf_family *family_of(const char *arch)
{
    for (int f = 0; f < N_FAMILIES; f++)
        for (int a = 0; a < 4 && families[f].archs[a]; a++)
            if (strcmp(families[f].archs[a], arch) == 0)
                return &families[f];
    return NULL;
}

/* --arch, else config.json's model_type, else the family whose probe tensor is present */
static int pick_arch(const st_set *s, const ckpt_opts *o, const char **arch, ns_err *e)
{
    const char *mt = cfg_str(o->config, "model_type");
    if (o->arch)
        *arch = o->arch;
    else if (mt && family_of(mt))
        *arch = mt;
    else {
        *arch = NULL;
        for (int f = 0; f < N_FAMILIES && !*arch; f++)
            for (int p = 0; p < 3 && families[f].prefixes[p] && !*arch; p++) {
                char name[256];
                snprintf(name, sizeof name, "%s%s", families[f].prefixes[p], families[f].probe);
                if (st_set_find(s, name))
                    *arch = families[f].archs[0];
            }
        if (!*arch)
            return ns_fail(e, NS_EUSAGE, "cannot tell the model family of %s: pass --arch (import "
                           "supports %s)", s->path, ckpt_import_archs());
    }
    if (!family_of(*arch))
        return ns_fail(e, NS_EUSAGE, "checkpoint import supports --arch %s (Hugging Face naming), not '%s'",
                       ckpt_import_archs(), *arch);
    return NS_OK;
}

static int pick_prefix(import_ctx *x, ns_err *e)
{
    for (int p = 0; p < 3 && x->fam->prefixes[p]; p++) {
        char name[256];
        snprintf(name, sizeof name, "%s%s", x->fam->prefixes[p], x->fam->probe);
        if (st_set_find(x->s, name)) {
            x->prefix = x->fam->prefixes[p];
            return NS_OK;
        }
    }
    return ns_fail(e, NS_EUSAGE, "%s has no %s%s: not a %s checkpoint in Hugging Face naming? (its first "
                   "tensor is '%s')", x->s->path, x->fam->prefixes[0], x->fam->probe, x->fam->archs[0],
                   x->s->n ? x->s->t[0]->name : "none");
}

/* ---- copying, after every shape is checked ---- */

typedef struct {
    const ns_tensor *dst;
    const st_tensor *src;
    int conv, part;
} copy_plan;

static int expect_shape(const st_tensor *t, int conv, const ns_tensor *d, ns_err *e)
{
    const uint64_t R = (uint64_t)d->rows, C = (uint64_t)d->cols;
    int ok;
    switch (conv) {
    case CV_COPY:
        ok = (t->ndim == 2 && t->shape[0] == R && t->shape[1] == C) ||
             (R == 1 && t->ndim == 1 && t->shape[0] == C);
        break;
    case CV_T: ok = t->ndim == 2 && t->shape[0] == C && t->shape[1] == R; break;
    case CV_QKV_T: ok = t->ndim == 2 && t->shape[0] == C && t->shape[1] == 3 * R; break;
    case CV_QKV_B: ok = t->ndim == 1 && t->shape[0] == 3 * C; break;
    default: ok = t->ndim == 2 && t->shape[0] >= R && t->shape[1] == C; break; /* CV_ROWS */
    }
    if (ok && num_is_float(t->dtype))
        return NS_OK;
    char have[128];
    st_shape_str(t, have, sizeof have);
    if (ok)
        return ns_fail(e, NS_EUSAGE, "tensor '%s' has dtype %s; a float dtype is needed", t->name,
                       st_dtype_name(t->dtype));
    char want[128];
    if (conv == CV_QKV_T)
        snprintf(want, sizeof want, "(%llu, %llu) (Conv1D: in, 3 x out)", (unsigned long long)C,
                 (unsigned long long)(3 * R));
    else if (conv == CV_QKV_B)
        snprintf(want, sizeof want, "(%llu,)", (unsigned long long)(3 * C));
    else if (conv == CV_ROWS)
        snprintf(want, sizeof want, "(>= %llu, %llu)", (unsigned long long)R, (unsigned long long)C);
    else if (R == 1 && conv == CV_COPY)
        snprintf(want, sizeof want, "(%llu,)", (unsigned long long)C);
    else if (conv == CV_T)
        snprintf(want, sizeof want, "(%llu, %llu) (Conv1D: in, out)", (unsigned long long)C,
                 (unsigned long long)R);
    else
        snprintf(want, sizeof want, "(%llu, %llu)", (unsigned long long)R, (unsigned long long)C);
    return ns_fail(e, NS_EUSAGE, "tensor '%s' has shape %s but the model needs %s", t->name, have, want);
}

static int copy_one(const st_set *s, const copy_plan *p, double *params, double *row, ns_err *e)
{
    const uint64_t R = (uint64_t)p->dst->rows, C = (uint64_t)p->dst->cols;
    double *out = params + p->dst->offset;
    int rc = NS_OK;
    switch (p->conv) {
    case CV_COPY:
    case CV_ROWS:
        return st_set_read(s, p->src, 0, R * C, out, e);
    case CV_QKV_B:
        return st_set_read(s, p->src, (uint64_t)p->part * C, C, out, e);
    default: /* CV_T, CV_QKV_T: source row c holds column c of the output */
        for (uint64_t c = 0; c < C && !rc; c++) {
            uint64_t stride = p->conv == CV_T ? R : 3 * R, first = c * stride + (uint64_t)p->part * R;
            rc = st_set_read(s, p->src, first, R, row, e);
            for (uint64_t r = 0; r < R && !rc; r++)
                out[r * C + c] = row[r];
        }
        return rc;
    }
}

static const name_rule *rule_for(const hf_family *f, const char *ns, int *l)
{
    for (const name_rule *r = f->rules; r->ns; r++)
        if (match_pattern(r->ns, ns, l))
            return r;
    return NULL;
}

static int plan_copies(import_ctx *x, const ns_model *m, copy_plan *plan, ns_err *e)
{
    for (int i = 0; i < m->n_tensors; i++) {
        const ns_tensor *t = &m->tensors[i];
        int l, rc;
        const name_rule *r = rule_for(x->fam, t->name, &l);
        char name[512];
        if (!r)
            return ns_fail(e, NS_ERUN, "no %s import rule for normsim tensor '%s'", x->fam->archs[0], t->name);
        hf_name(x, r->hf, l, name, sizeof name);
        const st_tensor *src = st_set_find(x->s, name);
        if (!src)
            return ns_fail(e, NS_EUSAGE, "checkpoint lacks '%s' (needed for %s)", name, t->name);
        if ((rc = expect_shape(src, r->conv, t, e)))
            return rc;
        plan[i] = (copy_plan){t, src, r->conv, r->part};
    }
    return NS_OK;
}

static int is_ignored(const import_ctx *x, const char *name)
{
    int l;
    for (const char **g = x->fam->ignored; *g; g++) {
        const char *pat = **g == '/' ? *g + 1 : *g;
        size_t np = **g == '/' ? 0 : strlen(x->prefix);
        if (strncmp(name, x->prefix, np) == 0 && match_pattern(pat, name + np, &l))
            return 1;
    }
    return 0;
}

static void count_unused(const import_ctx *x, const copy_plan *plan, int n_plan, int *unused, char *first,
                         size_t len)
{
    int n = 0;
    for (int i = 0; i < x->s->n; i++) {
        const st_tensor *t = x->s->t[i];
        int used = 0;
        for (int j = 0; j < n_plan && !used; j++)
            used = plan[j].src == t;
        if (used || is_ignored(x, t->name))
            continue;
        if (n++ == 0 && first)
            snprintf(first, len, "%s", t->name);
    }
    if (unused)
        *unused = n;
}

int ckpt_import_hf(const st_set *s, const ckpt_opts *o, ns_model *m, int *unused, char *first,
                   size_t len, ns_err *e)
{
    const char *arch;
    ns_config c;
    import_ctx x = {s, NULL, "", o->config};
    int rc = pick_arch(s, o, &arch, e);
    if (rc || (rc = arch_config(arch, &c, e)))
        return rc;
    x.fam = family_of(arch);
    if ((rc = pick_prefix(&x, e)) || (rc = x.fam->shape(&x, o, &c, e)) || (rc = model_create(m, &c, e)))
        return rc;
    copy_plan *plan = calloc((size_t)m->n_tensors + 1, sizeof *plan);
    int maxr = c.d > c.d_ff ? c.d : c.d_ff;
    double *row = malloc(sizeof(double) * ((size_t)maxr * 3 + (size_t)c.vocab + 1));
    rc = plan && row ? plan_copies(&x, m, plan, e) : ns_fail(e, NS_ERUN, "out of memory");
    for (int i = 0; i < m->n_tensors && !rc; i++)
        rc = copy_one(s, &plan[i], m->params, row, e);
    if (!rc)
        count_unused(&x, plan, m->n_tensors, unused, first, len);
    free(plan);
    free(row);
    if (rc)
        model_free(m);
    else
        m->prec = o->prec;
    return rc;
}

int ckpt_tensor_fits(const st_tensor *t, const ns_tensor *d, ns_err *e)
{
    return expect_shape(t, CV_COPY, d, e);
}
