/* model.c - parameter layout for every family, allocation, init, derived tables. */
#include "sim/model/model.h"
#include "sim/base/rng.h"
#include "norms/registry.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    ns_model *m;
    int cap;
    int failed; /* an allocation failed while laying out */
} layout;

#define NONE ((size_t)-1) /* offset of an absent tensor */

static size_t add_tensor(layout *lo, const char *name, int rows, int cols, int init, double v,
                         int role)
{
    ns_model *m = lo->m;
    if (m->n_tensors == lo->cap) { /* only while laying out, never in a hot loop */
        int cap = lo->cap ? 2 * lo->cap : 64;
        ns_tensor *grown = realloc(m->tensors, sizeof(ns_tensor) * (size_t)cap);
        if (!grown) {
            lo->failed = 1;
            return 0;
        }
        m->tensors = grown;
        lo->cap = cap;
    }
    ns_tensor *t = &m->tensors[m->n_tensors++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->rows = rows;
    t->cols = cols;
    t->offset = m->n_params;
    t->init = init;
    t->init_value = v;
    t->norm_role = role;
    m->n_params += (size_t)rows * cols;
    return t->offset;
}

/* weight init of the family: normal or truncated normal with the given std */
static size_t add_weight(layout *lo, const char *name, int rows, int cols, double std)
{
    int kind = lo->m->cfg.init == INIT_TRUNC ? TINIT_TRUNC : TINIT_NORMAL;
    return add_tensor(lo, name, rows, cols, kind, std, -1);
}

static size_t add_const(layout *lo, const char *name, int n, double v)
{
    return add_tensor(lo, name, 1, n, TINIT_CONST, v, -1);
}

/* one tensor per parameter of the scheme, <prefix>.<param>; returns the block offset
 * (NONE if the scheme has no parameters: the pointer is then unused) */
static size_t add_norm(layout *lo, const char *prefix, int width)
{
    const norm_ops *o = lo->m->norm;
    size_t first = lo->m->n_params;
    char name[96];
    for (int i = 0; i < o->n_params; i++) {
        const norm_param *p = &o->params[i];
        snprintf(name, sizeof name, "%s.%s", prefix, p->name);
        add_tensor(lo, name, 1, p->per_channel ? width : 1, TINIT_CONST, p->init, p->role);
    }
    return first;
}

static void name2(char *buf, size_t n, int l, const char *what) { snprintf(buf, n, "h.%d.%s", l, what); }

/* Offsets of one block, turned into pointers once the block is allocated. */
typedef struct {
    size_t norm_attn, norm_mlp, norm_attn_post, norm_mlp_post, qkv_w, qkv_b, q_norm, k_norm,
        v_norm, out_w, out_b, up_w, up_b, down_w, down_b, ls_attn, ls_mlp;
} block_offsets;

typedef struct {
    size_t tok_emb, patch_w, patch_b, cls, pos_emb, type_emb, norm_embed, rel_bias, norm_final,
        head_w, head_b, mlm_w, mlm_b, norm_mlm, mlm_out_b;
} model_offsets;

/* init stds of one block's projections: [q, k, v, out, up, down] */
static void block_stds(const ns_model *m, double s[6])
{
    const ns_config *c = &m->cfg;
    double std = c->init_std;
    for (int i = 0; i < 6; i++)
        s[i] = std;
    if (c->init == INIT_GPT2)
        s[3] = s[5] = std / sqrt(2.0 * c->layers);
    if (c->init == INIT_T5) { /* factor 1: q (d hd)^-1/2, k v d^-1/2, o (H hd)^-1/2, wi d^-1/2, wo d_ff^-1/2 */
        s[0] = 1.0 / sqrt((double)c->d * m->hd);
        s[1] = s[2] = s[4] = 1.0 / sqrt((double)c->d);
        s[3] = 1.0 / sqrt((double)m->q_dim);
        s[5] = 1.0 / sqrt((double)m->d_ff);
    }
}

static void layout_attention(layout *lo, block_offsets *b, int l, const double s[6])
{
    ns_model *m = lo->m;
    const ns_config *c = &m->cfg;
    char n[96];
    name2(n, sizeof n, l, "attn.q.weight");
    b->qkv_w = add_weight(lo, n, m->q_dim, c->d, s[0]);
    name2(n, sizeof n, l, "attn.k.weight");
    add_weight(lo, n, m->kv_dim, c->d, s[1]);
    name2(n, sizeof n, l, "attn.v.weight");
    add_weight(lo, n, m->kv_dim, c->d, s[2]);
    b->qkv_b = NONE;
    if (c->bias & BIAS_QKV) {
        name2(n, sizeof n, l, "attn.q.bias");
        b->qkv_b = add_const(lo, n, m->q_dim, 0.0);
        name2(n, sizeof n, l, "attn.k.bias");
        add_const(lo, n, m->kv_dim, 0.0);
        name2(n, sizeof n, l, "attn.v.bias");
        add_const(lo, n, m->kv_dim, 0.0);
    }
    int wq = c->qk_norm == QK_FULL ? m->q_dim : m->hd, wk = c->qk_norm == QK_FULL ? m->kv_dim : m->hd;
    b->q_norm = b->k_norm = b->v_norm = NONE;
    if (c->qk_norm != QK_NONE) {
        name2(n, sizeof n, l, "attn.q_norm");
        b->q_norm = add_norm(lo, n, wq);
        name2(n, sizeof n, l, "attn.k_norm");
        b->k_norm = add_norm(lo, n, wk);
    }
    if (c->v_norm) {
        name2(n, sizeof n, l, "attn.v_norm");
        b->v_norm = add_norm(lo, n, m->hd);
    }
    name2(n, sizeof n, l, "attn.out.weight");
    b->out_w = add_weight(lo, n, c->d, m->q_dim, s[3]);
    b->out_b = NONE;
    if (c->bias & BIAS_ATTN_OUT) {
        name2(n, sizeof n, l, "attn.out.bias");
        b->out_b = add_const(lo, n, c->d, 0.0);
    }
}

static void layout_mlp(layout *lo, block_offsets *b, int l, const double s[6])
{
    ns_model *m = lo->m;
    const ns_config *c = &m->cfg;
    char n[96];
    b->up_w = NONE;
    if (config_gated(c)) {
        name2(n, sizeof n, l, "mlp.gate.weight");
        b->up_w = add_weight(lo, n, m->d_ff, c->d, s[4]);
    }
    name2(n, sizeof n, l, "mlp.up.weight");
    size_t up = add_weight(lo, n, m->d_ff, c->d, s[4]);
    b->up_w = b->up_w == NONE ? up : b->up_w;
    b->up_b = b->down_b = NONE;
    if (c->bias & BIAS_MLP) {
        if (config_gated(c)) {
            name2(n, sizeof n, l, "mlp.gate.bias");
            b->up_b = add_const(lo, n, m->d_ff, 0.0);
        }
        name2(n, sizeof n, l, "mlp.up.bias");
        size_t ub = add_const(lo, n, m->d_ff, 0.0);
        b->up_b = b->up_b == NONE ? ub : b->up_b;
    }
    name2(n, sizeof n, l, "mlp.down.weight");
    b->down_w = add_weight(lo, n, c->d, m->d_ff, s[5]);
    if (c->bias & BIAS_MLP) {
        name2(n, sizeof n, l, "mlp.down.bias");
        b->down_b = add_const(lo, n, c->d, 0.0);
    }
}

static void layout_block(layout *lo, block_offsets *b, int l)
{
    const ns_config *c = &lo->m->cfg;
    double s[6];
    char n[96];
    block_stds(lo->m, s);
    b->norm_attn = b->norm_mlp = b->norm_attn_post = b->norm_mlp_post = NONE;
    b->ls_attn = b->ls_mlp = NONE;
    name2(n, sizeof n, l, "norm_attn");
    b->norm_attn = add_norm(lo, n, c->d);
    if (c->residual != RESID_PARALLEL_SHARED) {
        name2(n, sizeof n, l, "norm_mlp");
        b->norm_mlp = add_norm(lo, n, c->d);
    }
    if (c->placement == PLACE_SANDWICH) {
        name2(n, sizeof n, l, "norm_attn_post");
        b->norm_attn_post = add_norm(lo, n, c->d);
        name2(n, sizeof n, l, "norm_mlp_post");
        b->norm_mlp_post = add_norm(lo, n, c->d);
    }
    layout_attention(lo, b, l, s);
    layout_mlp(lo, b, l, s);
    if (c->layerscale) {
        name2(n, sizeof n, l, "ls_attn");
        b->ls_attn = add_const(lo, n, c->d, 1.0);
        name2(n, sizeof n, l, "ls_mlp");
        b->ls_mlp = add_const(lo, n, c->d, 1.0);
    }
}

static void layout_embeddings(layout *lo, model_offsets *o)
{
    ns_model *m = lo->m;
    const ns_config *c = &m->cfg;
    double std = c->init == INIT_T5 ? 1.0 : c->init_std;
    memset(o, 0xff, sizeof *o); /* every offset NONE */
    if (c->input == INPUT_PATCHES) {
        o->patch_w = add_weight(lo, "embed.patches.weight", c->d, m->patch_dim, std);
        if (c->bias & BIAS_PATCH)
            o->patch_b = add_const(lo, "embed.patches.bias", c->d, 0.0);
        o->cls = add_weight(lo, "embed.cls", 1, c->d, std);
    } else
        o->tok_emb = add_weight(lo, "embed.tokens.weight", c->vocab, c->d, std);
    if (c->pos == POS_LEARNED)
        o->pos_emb = add_weight(lo, "embed.positions.weight", c->seq + c->pos_offset, c->d, std);
    if (c->token_types > 0)
        o->type_emb = add_weight(lo, "embed.types.weight", c->token_types, c->d, std);
    if (c->embed_norm)
        o->norm_embed = add_norm(lo, "embed.norm", c->d);
    if (c->pos == POS_T5_BIAS)
        o->rel_bias = add_weight(lo, "attn.rel_bias.weight", c->t5_buckets, c->heads,
                                 c->init == INIT_T5 ? 1.0 / sqrt((double)c->d) : std);
}

static void layout_head(layout *lo, model_offsets *o, block_offsets *last)
{
    ns_model *m = lo->m;
    const ns_config *c = &m->cfg;
    double std = c->init == INIT_T5 ? 1.0 / sqrt((double)c->d) : c->init_std;
    o->norm_final = c->final_norm ? add_norm(lo, "norm_final", c->d) : last->norm_mlp;
    if (c->mlm_head) {
        o->mlm_w = add_weight(lo, "head.transform.weight", c->d, c->d, std);
        o->mlm_b = add_const(lo, "head.transform.bias", c->d, 0.0);
        o->norm_mlm = add_norm(lo, "head.norm", c->d);
    }
    if (!c->tied || c->input == INPUT_PATCHES)
        o->head_w = add_weight(lo, "head.weight", c->vocab, c->d, std);
    if (c->bias & BIAS_HEAD)
        o->head_b = add_const(lo, "head.bias", c->vocab, 0.0);
}

static double *ptr(double *P, size_t off) { return off == NONE ? NULL : P + off; }

static void bind_pointers(ns_model *m, const model_offsets *o, const block_offsets *bo)
{
    double *P = m->params;
    m->tok_emb = ptr(P, o->tok_emb);
    m->patch_w = ptr(P, o->patch_w);
    m->patch_b = ptr(P, o->patch_b);
    m->cls = ptr(P, o->cls);
    m->pos_emb = ptr(P, o->pos_emb);
    m->type_emb = ptr(P, o->type_emb);
    m->norm_embed = ptr(P, o->norm_embed);
    m->rel_bias = ptr(P, o->rel_bias);
    m->norm_final = ptr(P, o->norm_final);
    m->head_w = ptr(P, o->head_w);
    m->head_b = ptr(P, o->head_b);
    m->mlm_w = ptr(P, o->mlm_w);
    m->mlm_b = ptr(P, o->mlm_b);
    m->norm_mlm = ptr(P, o->norm_mlm);
    for (int l = 0; l < m->cfg.layers; l++) {
        const block_offsets *b = &bo[l];
        m->blocks[l] = (ns_block){
            ptr(P, b->norm_attn), ptr(P, b->norm_mlp), ptr(P, b->norm_attn_post),
            ptr(P, b->norm_mlp_post), ptr(P, b->qkv_w), ptr(P, b->qkv_b), ptr(P, b->q_norm),
            ptr(P, b->k_norm), ptr(P, b->v_norm), ptr(P, b->out_w), ptr(P, b->out_b),
            ptr(P, b->up_w), ptr(P, b->up_b), ptr(P, b->down_w), ptr(P, b->down_b),
            ptr(P, b->ls_attn), ptr(P, b->ls_mlp)};
    }
    if (m->cfg.mlm_head) /* the decoder bias of bert's MLM head is head.bias */
        m->mlm_out_b = m->head_b;
}

/* cos/sin of t * base^(-2i/r) for t < seq, i < r/2; angle 0 for i >= live */
static double *rope_table(int seq, int r, int live, double base, int want_sin)
{
    double *tab = malloc(sizeof(double) * (size_t)seq * (size_t)(r / 2) + sizeof(double));
    if (!tab)
        return NULL;
    for (int t = 0; t < seq; t++)
        for (int i = 0; i < r / 2; i++) {
            double ang = i < live ? t * pow(base, -2.0 * i / r) : 0.0;
            tab[(size_t)t * (r / 2) + i] = want_sin ? sin(ang) : cos(ang);
        }
    return tab;
}

/* ALiBi slopes as in BLOOM: powers of 2^(-8/n) for the closest power of two n <= H, then
 * the odd powers of 2^(-4/n) for the rest */
static void alibi_slopes(double *s, int H)
{
    int n = 1;
    while (n * 2 <= H)
        n *= 2;
    double base = pow(2.0, -8.0 / n);
    for (int h = 0; h < n; h++)
        s[h] = pow(base, h + 1);
    double extra = pow(2.0, -4.0 / n);
    for (int h = n; h < H; h++)
        s[h] = pow(extra, 2 * (h - n) + 1);
}

/* T5 bidirectional bucket of relative position r = j - i (HF _relative_position_bucket) */
static int t5_bucket_of(int r, int buckets, int max_distance)
{
    int half = buckets / 2, ret = r > 0 ? half : 0, n = r < 0 ? -r : r, exact = half / 2;
    if (n < exact)
        return ret + n;
    int large = exact + (int)(log((double)n / exact) / log((double)max_distance / exact) * (half - exact));
    return ret + (large < half - 1 ? large : half - 1);
}

static int derive_tables(ns_model *m, ns_err *e)
{
    const ns_config *c = &m->cfg;
    int S = c->seq;
    for (int g = 0; g < 2 && c->pos == POS_ROPE; g++) {
        int l = g == 0 ? 0 : (c->global_every > 0 ? c->global_every - 1 : 0);
        int r = config_rope_span(c, l), live = config_rope_dims(c, l) / 2;
        m->rope[g][0] = rope_table(S, r, live, config_rope_base(c, l), 0);
        m->rope[g][1] = rope_table(S, r, live, config_rope_base(c, l), 1);
        if (!m->rope[g][0] || !m->rope[g][1])
            return ns_fail(e, NS_ERUN, "out of memory for RoPE tables");
    }
    if (c->pos == POS_ALIBI) {
        if (!(m->alibi = malloc(sizeof(double) * (size_t)c->heads)))
            return ns_fail(e, NS_ERUN, "out of memory");
        alibi_slopes(m->alibi, c->heads);
    }
    if (c->pos == POS_T5_BIAS) {
        if (!(m->t5_bucket = malloc(sizeof(int) * (size_t)(2 * S - 1))))
            return ns_fail(e, NS_ERUN, "out of memory");
        for (int r = -(S - 1); r <= S - 1; r++)
            m->t5_bucket[r + S - 1] = t5_bucket_of(r, c->t5_buckets, c->t5_max_distance);
    }
    return NS_OK;
}

static int resolve_norms(ns_model *m, ns_err *e)
{
    const ns_config *c = &m->cfg;
    int rc = norm_resolve(c->norm, c->d, c->eps, &m->norm, &m->ncfg, e);
    if (rc)
        return rc;
    m->ncfg_head = m->ncfg_q = m->ncfg_k = m->ncfg;
    m->ncfg_head.d = m->hd;
    m->ncfg_q.d = m->q_dim;
    m->ncfg_k.d = m->kv_dim;
    if (c->qk_norm != QK_NONE || c->v_norm) { /* the scheme must accept the head width too */
        const norm_ops *o;
        norm_cfg tmp;
        return norm_resolve(c->norm, c->qk_norm == QK_FULL ? m->kv_dim : m->hd, c->eps, &o, &tmp, e);
    }
    return NS_OK;
}

int model_create(ns_model *m, const ns_config *cfg, ns_err *e)
{
    memset(m, 0, sizeof *m);
    int rc = config_validate(cfg, e);
    if (rc)
        return rc;
    m->cfg = *cfg;
    m->hd = config_head_dim(cfg);
    m->kv_heads = config_kv_heads(cfg);
    m->q_dim = cfg->heads * m->hd;
    m->kv_dim = m->kv_heads * m->hd;
    m->d_ff = config_d_ff(cfg);
    m->patch_dim = cfg->patch * cfg->patch * cfg->channels;
    if ((rc = resolve_norms(m, e)))
        return rc;
    layout lo = {m, 0, 0};
    model_offsets o;
    block_offsets *bo = calloc((size_t)cfg->layers, sizeof *bo);
    m->blocks = calloc((size_t)cfg->layers, sizeof *m->blocks);
    if (bo && m->blocks) {
        layout_embeddings(&lo, &o);
        for (int l = 0; l < cfg->layers; l++)
            layout_block(&lo, &bo[l], l);
        layout_head(&lo, &o, &bo[cfg->layers - 1]);
        m->params = lo.failed ? NULL : calloc(m->n_params, sizeof(double));
    }
    if (!bo || !m->blocks || !m->params) {
        free(bo);
        model_free(m);
        return ns_fail(e, NS_ERUN, "out of memory laying out the model");
    }
    bind_pointers(m, &o, bo);
    free(bo);
    if ((rc = derive_tables(m, e)))
        model_free(m);
    return rc;
}

void model_free(ns_model *m)
{
    free(m->params);
    free(m->tensors);
    free(m->blocks);
    for (int g = 0; g < 2; g++)
        for (int k = 0; k < 2; k++)
            free(m->rope[g][k]);
    free(m->alibi);
    free(m->t5_bucket);
    memset(m, 0, sizeof *m);
}

/* torch.nn.init.trunc_normal_(std) with its default bounds [-2, 2] (absolute) */
static double trunc_normal(pcg32 *r, double std)
{
    for (;;) {
        double x = std * rng_normal(r);
        if (x >= -2.0 && x <= 2.0)
            return x;
    }
}

void model_init(ns_model *m, uint64_t seed)
{
    pcg32 r;
    pcg32_seed(&r, seed, RNG_INIT);
    for (int t = 0; t < m->n_tensors; t++) {
        const ns_tensor *T = &m->tensors[t];
        double *x = m->params + T->offset, v = T->init_value;
        size_t n = (size_t)T->rows * T->cols;
        for (size_t i = 0; i < n; i++)
            x[i] = T->init == TINIT_NORMAL ? v * rng_normal(&r)
                 : T->init == TINIT_TRUNC  ? trunc_normal(&r, v) : v;
    }
}

/* g_i = exp(spread * z_i), z_i ~ N(0, 1); a (1 + w) parameter gets w = g - 1 */
void model_randomize_gains(ns_model *m, uint64_t seed, double spread)
{
    pcg32 r;
    pcg32_seed(&r, seed, RNG_GAMMA);
    for (int t = 0; t < m->n_tensors; t++) {
        const ns_tensor *T = &m->tensors[t];
        if (T->norm_role != NORM_GAIN && T->norm_role != NORM_GAIN_1P)
            continue;
        double *x = m->params + T->offset, shift = T->norm_role == NORM_GAIN_1P ? 1.0 : 0.0;
        for (int i = 0; i < T->rows * T->cols; i++)
            x[i] = exp(spread * rng_normal(&r)) - shift;
    }
}

void model_perturb(ns_model *m, uint64_t seed, double scale)
{
    pcg32 r;
    pcg32_seed(&r, seed, RNG_PERTURB);
    for (size_t i = 0; i < m->n_params; i++)
        m->params[i] += scale * rng_normal(&r);
}

const ns_tensor *model_find_tensor(const ns_model *m, const char *name)
{
    for (int t = 0; t < m->n_tensors; t++)
        if (strcmp(m->tensors[t].name, name) == 0)
            return &m->tensors[t];
    return NULL;
}

int model_seq(const ns_model *m) { return m->cfg.seq; }
