/* hf_config.c - a Hugging Face checkpoint's model config, from one family row: the
 * family's defaults, sizes from the tensor shapes, config.json's keys checked against them
 * or applied, and every config value normsim cannot honour refused by its key. */
#include "sim/checkpoint/hf_internal.h"
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    uint64_t d, layers, kv_heads, vocab, ff, head_dim;
} sizes;

/* a 2-D (or, for patches, 4-D) tensor's shape; NS_EUSAGE if missing or not ndim-D */
static int get_shape(const hf_ctx *x, const char *hf, int ndim, uint64_t *shape, ns_err *e)
{
    char name[512], s[128];
    snprintf(name, sizeof name, "%s", hf);
    const st_tensor *t = hf_find(x, hf, 0);
    if (!t)
        return ns_fail(e, NS_EUSAGE, "checkpoint has no tensor '%s%s' (a %s checkpoint has it)",
                       hf[0] == '/' ? "" : x->prefix, hf[0] == '/' ? hf + 1 : hf, x->fam->arch);
    if (t->ndim != ndim) {
        st_shape_str(t, s, sizeof s);
        return ns_fail(e, NS_EUSAGE, "tensor '%s' has shape %s, expected %d dimensions", t->name, s, ndim);
    }
    for (int i = 0; i < ndim; i++)
        shape[i] = t->shape[i];
    return NS_OK;
}

static int count_layers(const hf_ctx *x, const char *hf)
{
    int l = 0;
    while (l < 100000 && hf_find(x, hf, l))
        l++;
    return l;
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

/* ---- sizes from the tensors ---- */

/* q_dim must be d; kv_dim from k_proj rows or the fused layout */
static int attn_sizes(const hf_ctx *x, sizes *z, uint64_t heads, ns_err *e)
{
    uint64_t q[2], k[2] = {0, 0};
    int rc = get_shape(x, x->fam->qkv, 2, q, e);
    if (rc)
        return rc;
    uint64_t hd = z->d / heads, kvd = z->d, rows = q[0], in = q[1];
    switch (x->fam->fused) {
    case FUSED_NONE:
        if ((rc = get_shape(x, x->fam->kproj, 2, k, e)))
            return rc;
        kvd = k[0];
        break;
    case FUSED_CONV1D: rows = q[1] / 3, in = q[0]; break; /* (d, 3d) */
    case FUSED_HEADS: rows = q[0] / 3; break;            /* (3d, d) */
    default: kvd = q[0] > z->d ? (q[0] - z->d) / 2 : 0; rows = q[0] - 2 * kvd; break; /* (d + 2 kv, d) */
    }
    if (rows != z->d || in != z->d || (x->fam->fused == FUSED_NONE && k[1] != z->d))
        return ns_fail(e, NS_EUSAGE, "unsupported widths: embedding %llu, query projection (%llu, %llu) "
                       "(normsim needs heads x head_dim = hidden size)", (unsigned long long)z->d,
                       (unsigned long long)q[0], (unsigned long long)q[1]);
    if (z->d % heads || kvd == 0 || kvd % hd || heads % (kvd / hd))
        return ns_fail(e, NS_EUSAGE, "%llu heads do not fit width %llu and %llu key/value rows",
                       (unsigned long long)heads, (unsigned long long)z->d, (unsigned long long)kvd);
    z->kv_heads = kvd / hd;
    z->head_dim = hd;
    return NS_OK;
}

static int embed_sizes(const hf_ctx *x, ns_config *c, sizes *z, ns_err *e)
{
    uint64_t sh[4];
    int rc;
    if (c->input != INPUT_PATCHES) {
        if ((rc = get_shape(x, x->fam->embed, 2, sh, e)))
            return rc;
        z->vocab = sh[0], z->d = sh[1];
        return NS_OK;
    }
    if ((rc = get_shape(x, x->fam->embed, 4, sh, e))) /* Conv2d (d, C, p, p) */
        return rc;
    if (sh[2] != sh[3] || sh[1] > 64 || sh[2] > 1024)
        return ns_fail(e, NS_EUSAGE, "patch projection (%llu, %llu, %llu, %llu): normsim needs square patches",
                       (unsigned long long)sh[0], (unsigned long long)sh[1], (unsigned long long)sh[2],
                       (unsigned long long)sh[3]);
    z->d = sh[0], c->channels = (int)sh[1], c->patch = (int)sh[2];
    const st_tensor *pos = hf_ns_find(x, "embed.positions.weight"), *head = hf_ns_find(x, "head.weight");
    if (!head || head->ndim != 2)
        return ns_fail(e, NS_EUSAGE, "%s: normsim's %s needs the image classifier (classifier.weight, "
                       "(classes, hidden))", x->s->path, c->arch);
    z->vocab = head->shape[0];
    uint64_t np = pos && z->d ? pos->count / z->d : 0, side = (uint64_t)sqrt((double)(np ? np - 1 : 0));
    c->image = (int)(side * sh[2]); /* from the position table; config.json's image_size must agree */
    return NS_OK;
}

/* ---- config.json ---- */

static int cfg_agrees(const cJSON *cfg, const char *key, uint64_t have, const char *from, ns_err *e)
{
    double v;
    if (cfg_num(cfg, key, &v) && v != (double)have)
        return ns_fail(e, NS_EUSAGE, "config.json says %s = %g but the checkpoint has %llu (%s)", key, v,
                       (unsigned long long)have, from);
    return NS_OK;
}

/* one cfg_key: a size to agree with, or a value to set */
static int apply_key(const hf_ctx *x, const cfg_key *k, const sizes *z, ns_config *c, ns_err *e)
{
    static const char *const from[] = {"the embedding width", "layers counted", "key/value rows / head_dim",
                                       "embedding rows", "MLP weight rows", "hidden size / heads"};
    double v;
    if (!cfg_num(x->cfg, k->key, &v))
        return NS_OK;
    const uint64_t have[] = {z->d, z->layers, z->kv_heads, z->vocab, z->ff, z->head_dim};
    if (k->field <= F_HEAD_DIM)
        return cfg_agrees(x->cfg, k->key, have[k->field], from[k->field], e);
    switch (k->field) {
    case F_EPS: c->eps = v; break;
    case F_THETA: c->rope_base = v; break;
    case F_FRAC: c->rope_frac = v; break;
    case F_SOFTCAP: c->logit_softcap = v; break;
    case F_LOGIT_SCALE: c->logit_scale = v; break;
    case F_BUCKETS:
    case F_MAX_DISTANCE:
        if (!(v >= 1 && v <= 1e6) || v != floor(v))
            return ns_fail(e, NS_EUSAGE, "config.json: %s = %g is not a whole number in [1, 1e6]", k->key, v);
        *(k->field == F_BUCKETS ? &c->t5_buckets : &c->t5_max_distance) = (int)v;
        break;
    case F_TYPES: return cfg_agrees(x->cfg, k->key, (uint64_t)c->token_types, "token-type rows", e);
    case F_CHANNELS: return cfg_agrees(x->cfg, k->key, (uint64_t)c->channels, "patch weight dim 1", e);
    case F_PATCH: return cfg_agrees(x->cfg, k->key, (uint64_t)c->patch, "patch weight dim 2", e);
    case F_IMAGE: return cfg_agrees(x->cfg, k->key, (uint64_t)c->image, "position rows and patch size", e);
    case F_ATTN_SCALAR:
        if (v != (double)z->head_dim)
            return ns_fail(e, NS_EUSAGE, "config.json: %s = %g is not supported: normsim scales scores by "
                           "1/sqrt(head_dim = %llu)", k->key, v, (unsigned long long)z->head_dim);
        break;
    default: break;
    }
    return NS_OK;
}

static int refused(const hf_ctx *x, const cfg_refuse *r, ns_err *e)
{
    const cJSON *j = x->cfg ? cJSON_GetObjectItemCaseSensitive(x->cfg, r->key) : NULL;
    int ok = !j || (cJSON_IsNull(j) && r->ok != OK_TRUE);
    if (!ok && r->ok == OK_FALSE)
        ok = cJSON_IsFalse(j);
    else if (!ok && r->ok == OK_TRUE)
        ok = cJSON_IsTrue(j);
    else if (!ok && r->ok == OK_STRING)
        ok = cJSON_IsString(j) && strcmp(j->valuestring, r->value) == 0;
    if (ok)
        return NS_OK;
    char *text = cJSON_PrintUnformatted(j);
    int rc = ns_fail(e, NS_EUSAGE, "config.json: %s = %.60s is not supported for %s (%s)", r->key,
                     text ? text : "?", x->fam->model_types[0], r->why);
    cJSON_free(text);
    return rc;
}

/* the activation: the first key present must name what the family computes */
static int activation(const hf_ctx *x, ns_config *c, ns_err *e)
{
    const hf_family *f = x->fam;
    if (!f->acts)
        return NS_OK;
    for (int k = 0; k < 2 && f->k_act[k]; k++) {
        const char *a = cfg_str(x->cfg, f->k_act[k]);
        if (!a)
            continue;
        for (const act_row *r = f->acts; r->value; r++)
            if (strcmp(r->value, a) == 0) {
                c->mlp = r->mlp;
                return NS_OK;
            }
        char list[256] = "";
        for (const act_row *r = f->acts; r->value; r++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", r == f->acts ? "" : ", ", r->value);
        return ns_fail(e, NS_EUSAGE, "config.json: %s '%s' is not supported for %s: normsim's %s computes %s "
                       "and does not substitute another activation", f->k_act[k], a, f->model_types[0], c->arch,
                       list);
    }
    c->mlp = f->acts[0].mlp;
    return NS_OK;
}

/* rope_scaling and partial rotary factors the family has no key for */
static int rope_keys(const hf_ctx *x, ns_config *c, ns_err *e)
{
    const cJSON *rs = cfg_item(x->cfg, "rope_scaling");
    double v;
    if (rs) {
        const char *t = cfg_str(rs, "rope_type") ? cfg_str(rs, "rope_type") : cfg_str(rs, "type");
        return ns_fail(e, NS_EUSAGE, "config.json: rope_scaling (type '%s') is not supported: normsim's RoPE "
                       "has no linear, dynamic, llama3 or yarn scaling", t ? t : "?");
    }
    int has_frac = 0;
    for (const cfg_key *k = x->fam->keys; k->key; k++)
        has_frac |= strcmp(k->key, "partial_rotary_factor") == 0;
    if (!has_frac && cfg_num(x->cfg, "partial_rotary_factor", &v) && v != 1.0)
        return ns_fail(e, NS_EUSAGE, "config.json: partial_rotary_factor %g is not supported for %s", v,
                       x->fam->model_types[0]);
    if (c->pos == POS_ROPE && (!(c->rope_base > 1.0) || !(c->rope_frac > 0.0 && c->rope_frac <= 1.0)))
        return ns_fail(e, NS_EUSAGE, "config.json: the rotary base must be > 1 and its fraction in (0, 1]");
    return NS_OK;
}

/* sliding_window: Mistral/Qwen2 (every layer), Gemma 2 (every other layer: only while seq <= window) */
static int window_keys(const hf_ctx *x, ns_config *c, ns_err *e)
{
    double v;
    const cJSON *use = cfg_item(x->cfg, "use_sliding_window");
    c->window = 0; /* the family's demo window does not apply to a checkpoint */
    if (!cfg_num(x->cfg, "sliding_window", &v) || cJSON_IsFalse(use))
        return NS_OK;
    if (v < 0 || v > 65536 || v != floor(v))
        return ns_fail(e, NS_EUSAGE, "config.json: sliding_window %g is out of range", v);
    if (x->fam->window == 2 && c->seq > (int)v)
        return ns_fail(e, NS_EUSAGE, "config.json: sliding_window %g on every other layer is not supported "
                       "(normsim's gemma attends globally): pass --seq %g or less", v, v);
    if (x->fam->window == 1 && (use || strcmp(c->arch, "mistral") == 0))
        c->window = (int)v;
    else if (x->fam->window == 0 && v < c->seq)
        return ns_fail(e, NS_EUSAGE, "config.json: sliding_window %g is not supported for %s", v,
                       x->fam->model_types[0]);
    return NS_OK;
}

/* biases and the head, by presence; q, k and v biases all or none */
static int presence(const hf_ctx *x, ns_config *c, ns_err *e)
{
    int q = hf_ns_find(x, "h.0.attn.q.bias") != NULL, k = hf_ns_find(x, "h.0.attn.k.bias") != NULL,
        v = hf_ns_find(x, "h.0.attn.v.bias") != NULL, up = hf_ns_find(x, "h.0.mlp.up.bias") != NULL,
        dn = hf_ns_find(x, "h.0.mlp.down.bias") != NULL;
    if (q != k || k != v || up != dn)
        return ns_fail(e, NS_EUSAGE, "unsupported bias layout: q/k/v (or the MLP's) projections must all "
                       "have a bias or none");
    c->bias = (q ? BIAS_QKV : 0) | (hf_ns_find(x, "h.0.attn.out.bias") ? BIAS_ATTN_OUT : 0) | (up ? BIAS_MLP : 0) |
              (hf_ns_find(x, "head.bias") ? BIAS_HEAD : 0) | (hf_ns_find(x, "embed.patches.bias") ? BIAS_PATCH : 0);
    const st_tensor *types = hf_ns_find(x, "embed.types.weight");
    if (types && types->ndim == 2 && types->shape[0] < 1024)
        c->token_types = (int)types->shape[0];
    int has_rule = 0, l;
    for (const name_rule *r = x->fam->rules; r->ns; r++)
        has_rule |= hf_match(r->ns, "head.weight", &l);
    const cJSON *tie = cfg_item(x->cfg, "tie_word_embeddings");
    if (c->input == INPUT_PATCHES)
        return NS_OK;
    if (has_rule) {
        c->tied = hf_ns_find(x, "head.weight") == NULL;
        if (c->tied && cJSON_IsFalse(tie))
            return ns_fail(e, NS_EUSAGE, "checkpoint has no untied head (lm_head) but config.json says "
                           "tie_word_embeddings = false");
    } else if (cJSON_IsFalse(tie))
        return ns_fail(e, NS_EUSAGE, "config.json: tie_word_embeddings = false is not supported for %s "
                       "(normsim's %s is tied)", x->fam->model_types[0], c->arch);
    return NS_OK;
}

/* the context: config.json's key, and the learned position table's rows */
static uint64_t context(const hf_ctx *x, const ns_config *c)
{
    double v = 0;
    uint64_t ctx = x->fam->k_ctx && cfg_num(x->cfg, x->fam->k_ctx, &v) && v > 0 && v < 1e9 ? (uint64_t)v : 0;
    const st_tensor *pos = hf_ns_find(x, "embed.positions.weight");
    if (c->pos == POS_LEARNED && pos && pos->ndim == 2 && pos->shape[0] > (uint64_t)c->pos_offset) {
        uint64_t rows = pos->shape[0] - (uint64_t)c->pos_offset;
        ctx = ctx && ctx < rows ? ctx : rows;
    }
    return ctx;
}

int hf_config(const hf_ctx *x, const ckpt_opts *o, ns_config *c, ns_err *e)
{
    const hf_family *f = x->fam;
    sizes z = {0};
    int rc, heads = 0;
    uint64_t up[2];
    if ((rc = arch_config(f->arch, c, e)) || (rc = embed_sizes(x, c, &z, e)))
        return rc;
    z.layers = (uint64_t)count_layers(x, f->layer);
    if (z.layers == 0)
        return ns_fail(e, NS_EUSAGE, "checkpoint has no layers (no %s%s for layer 0)", x->prefix, f->layer);
    if ((rc = get_heads(o, x->cfg, f->k_heads, f->arch, &heads, e)) || (rc = attn_sizes(x, &z, (uint64_t)heads, e)) ||
        (rc = get_shape(x, f->up, 2, up, e)))
        return rc;
    z.ff = f->up_t ? up[1] : up[0];
    if ((f->up_t ? up[0] : up[1]) != z.d)
        return ns_fail(e, NS_EUSAGE, "MLP weight %s%s does not read the hidden size %llu", x->prefix, f->up,
                       (unsigned long long)z.d);
    if ((rc = fits_int(z.d, "width", e)) || (rc = fits_int(z.vocab, "vocabulary", e)) ||
        (rc = fits_int(z.ff, "MLP width", e)) || (rc = fits_int(z.kv_heads, "key/value heads", e)))
        return rc;
    c->d = (int)z.d, c->layers = (int)z.layers, c->heads = heads, c->kv_heads = (int)z.kv_heads;
    c->vocab = (int)z.vocab, c->d_ff = (int)z.ff;
    if (f->placement >= 0)
        c->placement = f->placement;
    if (c->input == INPUT_PATCHES)
        c->seq = config_patches(c) + 1;
    else if ((rc = get_seq(o, context(x, c), &c->seq, e)))
        return rc;
    for (const cfg_refuse *r = f->refuse; r->key; r++)
        if ((rc = refused(x, r, e)))
            return rc;
    if ((rc = presence(x, c, e)))
        return rc;
    for (const cfg_key *k = f->keys; k->key; k++)
        if ((rc = apply_key(x, k, &z, c, e)))
            return rc;
    if ((rc = activation(x, c, e)) || (rc = rope_keys(x, c, e)) || (rc = window_keys(x, c, e)))
        return rc;
    if (!(c->eps > 0.0))
        return ns_fail(e, NS_EUSAGE, "config.json: the norm epsilon must be > 0");
    return NS_OK;
}
