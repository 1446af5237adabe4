/* forward.c - one forward pass for every family, top to bottom like the math.
 * Storage precision: with m->prec != f64, the output of every op is rounded to it
 * (embeddings, every norm, every linear, q/k/v after their norms and RoPE, the attention
 * output, the activation, the residual stream after each add, the logits); inside an op
 * everything is double. Every loop over tokens runs on ns_threads() threads, exact per
 * token (sim/base/threads.h). */
#include "sim/model/forward.h"
#include "sim/model/attention.h"
#include "sim/model/ops.h"
#include "norms/parallel.h"
#include "sim/base/threads.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- workspace: a plan of buffers carved from one block ---- */

typedef struct {
    double *base; /* NULL while counting */
    size_t used;
} bump;

static double *take(bump *b, size_t n)
{
    double *p = b->base ? b->base + b->used : NULL;
    b->used += n;
    return p;
}

static int norm_cache_len(const ns_model *m, const norm_cfg *c)
{
    return m->norm->cache_per_token(c);
}

qk_cache_layout model_qk_cache_layout(const ns_model *m)
{
    const int full = m->cfg.qk_norm == QK_FULL;
    int a = norm_cache_len(m, &m->ncfg_head), b = norm_cache_len(m, &m->ncfg_q),
        c = norm_cache_len(m, &m->ncfg_k), w = a > b ? a : b;
    qk_cache_layout l = {full ? 1 : m->cfg.heads, full ? 1 : m->kv_heads, 0, w > c ? w : c};
    l.rows = full ? 2 + (m->cfg.v_norm ? m->kv_heads : 0) : m->cfg.heads + 2 * m->kv_heads;
    return l;
}

/* one layer's buffers; train: keep caches and every attention probability */
static void plan_layer(const ns_model *m, bump *b, layer_acts *a, int n, int B, int T, int train)
{
    const ns_config *c = &m->cfg;
    const size_t d = (size_t)c->d, N = (size_t)n, ld = (size_t)(m->q_dim + 2 * m->kv_dim);
    const size_t cn = (size_t)norm_cache_len(m, &m->ncfg) * N;
    const int par = c->residual != RESID_SEQUENTIAL, shared = c->residual == RESID_PARALLEL_SHARED;
    const int post = c->placement == PLACE_SANDWICH || c->placement == PLACE_POST_IN_RESID;
    const int pre = c->placement == PLACE_PRE || c->placement == PLACE_SANDWICH;
    const int after = c->placement == PLACE_POST;
    const int f = m->d_ff, gated = config_gated(c);
    memset(a, 0, sizeof *a);
    a->x_out = take(b, N * d);
    if (!par)
        a->x_mid = take(b, N * d);
    for (int s = 0; s < 2; s++) {
        if (pre && !(shared && s == 1)) {
            a->h[s] = take(b, N * d);
            a->c_pre[s] = train ? take(b, cn) : NULL;
        }
        a->br[s] = take(b, N * d);
        if (post && !par) {
            a->p[s] = take(b, N * d);
            a->c_post[s] = train ? take(b, cn) : NULL;
        }
        if (after && !par) {
            a->z[s] = take(b, N * d);
            a->c_after[s] = train ? take(b, cn) : NULL;
        }
    }
    if (shared)
        a->h[1] = a->h[0];
    int qk = c->qk_norm != QK_NONE || c->v_norm;
    a->qkv_lin = take(b, N * ld);
    a->qkv = train && (qk || c->pos == POS_ROPE) ? take(b, N * ld) : a->qkv_lin;
    const qk_cache_layout ql = model_qk_cache_layout(m);
    a->c_qk = train && qk ? take(b, N * (size_t)ql.rows * (size_t)ql.width) : NULL;
    if (train) {
        a->probs_head = (long)T * T;
        a->probs_seq = (long)c->heads * T * T;
        a->probs = take(b, (size_t)B * (size_t)a->probs_seq);
    }
    a->att = take(b, N * (size_t)m->q_dim);
    a->mlp_pre = take(b, N * (size_t)f * (gated ? 2 : 1));
    a->mlp_act = gated ? take(b, N * (size_t)f) : (train ? take(b, N * (size_t)f) : a->mlp_pre);
}

static void plan(const ns_model *m, ns_workspace *w, bump *b, int train)
{
    const ns_config *c = &m->cfg;
    const int rows = w->max_rows, T = w->max_T, B = rows / T > 0 ? rows / T : 1;
    const size_t d = (size_t)c->d, N = (size_t)rows, cn = (size_t)norm_cache_len(m, &m->ncfg) * N;
    w->embed = take(b, N * d);
    w->c_embed = train && c->embed_norm ? take(b, cn) : NULL;
    w->x0 = c->embed_norm ? take(b, N * d) : w->embed;
    for (int l = 0; l < (train ? c->layers : 1); l++) {
        plan_layer(m, b, &w->layers[l], rows, B, T, train);
        w->layers[l].x_in = l == 0 ? w->x0 : w->layers[l - 1].x_out;
    }
    if (!train) { /* layers alternate between two stream buffers */
        w->stream[0] = w->layers[0].x_out;
        w->stream[1] = take(b, N * d);
        w->scores = take(b, (size_t)w->slots * T * T); /* one (T, T) per thread */
        w->layers[0].probs = w->scores;
    }
    w->y = c->final_norm ? take(b, N * d) : NULL;
    w->c_final = train && c->final_norm ? take(b, cn) : NULL;
    w->head_in = take(b, N * d);
    if (c->mlm_head) {
        w->mlm_pre = take(b, N * d);
        w->mlm_act = take(b, N * d);
        w->c_mlm = train ? take(b, cn) : NULL;
    }
    w->cls = take(b, N * d);
    w->patches = take(b, N * (size_t)m->patch_dim);
    w->row = take(b, (size_t)(m->q_dim > c->d ? m->q_dim : c->d) * 2);
}

static int workspace_make(ns_workspace *w, const ns_model *m, int max_rows, int max_T, int train,
                          ns_err *e)
{
    memset(w, 0, sizeof *w);
    w->max_rows = max_rows;
    w->max_T = max_T;
    w->train = train;
    w->slots = train ? 1 : ns_threads();
    w->layers = calloc((size_t)(train ? m->cfg.layers : 1), sizeof *w->layers);
    bump b = {NULL, 0};
    if (w->layers)
        plan(m, w, &b, train);
    b.base = w->layers ? malloc(sizeof(double) * (b.used + 1)) : NULL;
    if (!b.base) {
        free(w->layers);
        memset(w, 0, sizeof *w);
        return ns_fail(e, NS_ERUN, "out of memory for a batch of %d rows (%.0f MB)", max_rows,
                       8.0 * b.used / 1e6);
    }
    w->alloc = b.base;
    b.used = 0;
    plan(m, w, &b, train);
    return NS_OK;
}

int workspace_create(ns_workspace *w, const ns_model *m, int max_rows, int max_T, ns_err *e)
{
    return workspace_make(w, m, max_rows, max_T, 0, e);
}

int workspace_create_train(ns_workspace *w, const ns_model *m, int max_rows, int max_T, ns_err *e)
{
    return workspace_make(w, m, max_rows, max_T, 1, e);
}

void workspace_free(ns_workspace *w)
{
    free(w->alloc);
    free(w->layers);
    memset(w, 0, sizeof *w);
}

/* the record of layer l: its own (training) or the shared one with the ping-pong stream */
static layer_acts *layer_record(ns_workspace *w, int l)
{
    if (w->train)
        return &w->layers[l];
    layer_acts *a = &w->layers[0];
    a->x_in = l == 0 ? w->x0 : w->stream[(l + 1) % 2];
    a->x_out = w->stream[l % 2];
    return a;
}

/* ---- the pieces ---- */

static void round_to(const ns_model *m, double *x, long n)
{
    if (m->prec != PREC_F64)
        precision_round(m->prec, x, n);
}

/* y = N(x), rounded; tapped as "block.<l>.<name>.out" when l >= 0 */
static void norm_apply(const ns_model *m, const double *p, const double *x, double *y,
                       double *cache, int n, const tap_sink *sink, int l, const char *name)
{
    norm_forward_par(m->norm, &m->ncfg, p, x, y, cache, n);
    round_to(m, y, (long)n * m->cfg.d);
    if (l >= 0)
        tap_emitf(sink, y, n, m->cfg.d, "block.%d.%s.out", l, name);
}

/* n_vec vectors of width nc->d at src -> dst (src == dst allowed: copied through scratch) */
static void norm_rows(const ns_model *m, const norm_cfg *nc, const double *p, const double *src,
                      double *dst, double *cache, int n_vec, double *scratch)
{
    if (src == dst) {
        memcpy(scratch, src, sizeof(double) * (size_t)n_vec * nc->d);
        src = scratch;
    }
    m->norm->forward(nc, p, src, dst, cache, n_vec);
}

/* per-token q/k(/v) norms from qkv_lin into qkv: per head (width hd) or full width */
static void qk_norms(const ns_model *m, const ns_block *b, layer_acts *a, double *scratch, int n)
{
    const ns_config *c = &m->cfg;
    const int ld = m->q_dim + 2 * m->kv_dim, full = c->qk_norm == QK_FULL;
    const qk_cache_layout L = model_qk_cache_layout(m);
    const int cl = a->c_qk ? L.width : 0, qrows = L.qrows, krows = L.krows;
    for (int t = 0; t < n; t++) {
        const double *q = a->qkv_lin + (size_t)t * ld;
        double *o = a->qkv + (size_t)t * ld, *cache = a->c_qk ? a->c_qk + (size_t)t * L.rows * cl : NULL;
        if (a->qkv != a->qkv_lin)
            memcpy(o, q, sizeof(double) * ld);
        if (c->qk_norm != QK_NONE) {
            norm_rows(m, full ? &m->ncfg_q : &m->ncfg_head, b->q_norm, q, o, cache, qrows, scratch);
            norm_rows(m, full ? &m->ncfg_k : &m->ncfg_head, b->k_norm, q + m->q_dim, o + m->q_dim,
                      cache ? cache + qrows * cl : NULL, krows, scratch);
        }
        if (c->v_norm)
            norm_rows(m, &m->ncfg_head, b->v_norm, q + m->q_dim + m->kv_dim, o + m->q_dim + m->kv_dim,
                      cache ? cache + (qrows + krows) * cl : NULL, m->kv_heads, scratch);
    }
}

attn_spec model_attn_spec(const ns_model *m, int l, int T)
{
    const ns_config *c = &m->cfg;
    attn_spec a = {T, c->heads, m->kv_heads, m->hd, c->causal, config_window(c, l),
                   c->attn_scale > 0 ? c->attn_scale : 1.0 / sqrt((double)m->hd),
                   m->alibi, m->rel_bias, m->t5_bucket, c->seq, 1};
    return a;
}

/* br = o(attn(rope(qk_norm(qkv(in))))) */
static void attn_branch(const ns_model *m, const ns_block *b, ns_workspace *w, layer_acts *a,
                        int l, const double *in, double *out, int B, int T)
{
    const ns_config *c = &m->cfg;
    const int n = B * T, ld = m->q_dim + 2 * m->kv_dim;
    matmul_forward(a->qkv_lin, in, b->qkv_w, b->qkv_b, n, c->d, ld, 0.0);
    if (c->qk_norm != QK_NONE || c->v_norm)
        qk_norms(m, b, a, w->row, n);
    else if (a->qkv != a->qkv_lin)
        memcpy(a->qkv, a->qkv_lin, sizeof(double) * (size_t)n * ld);
    int r = config_rope_span(c, l), g = config_layer_global(c, l);
    for (int s = 0; r > 0 && s < B; s++) {
        double *seq = a->qkv + (size_t)s * T * ld;
        rope_forward(seq, T, ld, 0, c->heads, m->hd, r, c->rope_interleaved, m->rope[g][0], m->rope[g][1]);
        rope_forward(seq, T, ld, m->q_dim, m->kv_heads, m->hd, r, c->rope_interleaved, m->rope[g][0],
                     m->rope[g][1]);
    }
    round_to(m, a->qkv, (long)n * ld);
    attn_spec sp = model_attn_spec(m, l, T);
    sp.slots = w->slots;
    for (int s = 0; s < B; s++)
        attention_forward(a->att + (size_t)s * T * m->q_dim, a->qkv + (size_t)s * T * ld,
                          a->probs + s * a->probs_seq, a->probs_head, &sp);
    round_to(m, a->att, (long)n * m->q_dim);
    matmul_forward(out, a->att, b->out_w, b->out_b, n, m->q_dim, c->d, 0.0);
    round_to(m, out, (long)n * c->d);
}

/* br = down(act(up(in))), or down(act(gate(in)) * up(in)) gated */
static void mlp_branch(const ns_model *m, const ns_block *b, ns_workspace *w, layer_acts *a,
                       int l, const double *in, double *out, int B, int T)
{
    const ns_config *c = &m->cfg;
    const int n = B * T, f = m->d_ff;
    (void)w;
    (void)l;
    matmul_forward(a->mlp_pre, in, b->up_w, NULL, n, c->d, config_gated(c) ? 2 * f : f, 0.0);
    bias_activation_forward(c->mlp, a->mlp_pre, b->up_b, a->mlp_act, n, f);
    round_to(m, a->mlp_act, (long)n * f);
    matmul_forward(out, a->mlp_act, b->down_w, b->down_b, n, f, c->d, 0.0);
    round_to(m, out, (long)n * c->d);
}

typedef void (*branch_fn)(const ns_model *, const ns_block *, ns_workspace *, layer_acts *, int,
                          const double *, double *, int, int);

/* tap names of the norms around branch s: [pre, post, after]; the post slot holds the
 * sandwich's own norm, or (olmo2) the block's main norm */
static const char *norm_tap_name(const ns_model *m, int s, int slot)
{
    static const char *main[2] = {"norm_attn", "norm_mlp"}, *post[2] = {"norm_attn_post", "norm_mlp_post"};
    return slot == 1 && m->cfg.placement == PLACE_SANDWICH ? post[s] : main[s];
}

/* the norm parameters wrapping branch s: [pre, post, after] by placement */
void block_sublayer_norms(const ns_model *m, const ns_block *b, int s, const double *out[3])
{
    const int place = m->cfg.placement;
    const double *main = s == BR_ATTN ? b->norm_attn : b->norm_mlp;
    const double *extra = s == BR_ATTN ? b->norm_attn_post : b->norm_mlp_post;
    out[0] = place == PLACE_PRE || place == PLACE_SANDWICH ? main : NULL;
    out[1] = place == PLACE_SANDWICH ? extra : place == PLACE_POST_IN_RESID ? main : NULL;
    out[2] = place == PLACE_POST ? main : NULL;
}

/* x_next = after(x + ls * post(branch(pre(x)))) */
static void sublayer(const ns_model *m, const ns_block *b, ns_workspace *w, layer_acts *a, int l,
                     int s, const double *x, double *x_next, int B, int T, const tap_sink *sink)
{
    const int n = B * T, d = m->cfg.d;
    const double *nm[3], *ls = s == BR_ATTN ? b->ls_attn : b->ls_mlp;
    block_sublayer_norms(m, b, s, nm);
    const double *in = x;
    if (nm[0]) {
        norm_apply(m, nm[0], x, a->h[s], a->c_pre[s], n, sink, l, norm_tap_name(m, s, 0));
        in = a->h[s];
    }
    (s == BR_ATTN ? attn_branch : mlp_branch)(m, b, w, a, l, in, a->br[s], B, T);
    const double *r = a->br[s];
    if (nm[1]) {
        norm_apply(m, nm[1], a->br[s], a->p[s], a->c_post[s], n, sink, l, norm_tap_name(m, s, 1));
        r = a->p[s];
    }
    double *z = nm[2] ? a->z[s] : x_next;
    NS_PAR_FOR((long)n * d)
    for (int t = 0; t < n; t++)
        for (int i = 0; i < d; i++) {
            const size_t k = (size_t)t * d + i;
            z[k] = x[k] + (ls ? ls[i] : 1.0) * r[k];
        }
    round_to(m, z, (long)n * d);
    if (nm[2])
        norm_apply(m, nm[2], z, x_next, a->c_after[s], n, sink, l, norm_tap_name(m, s, 2));
}

/* x_out = x_in + attn(N1 x_in) + mlp(N2 x_in), N2 = N1 when shared */
static void parallel_block(const ns_model *m, const ns_block *b, ns_workspace *w, layer_acts *a,
                           int l, int B, int T, const tap_sink *sink)
{
    const int n = B * T, d = m->cfg.d;
    norm_apply(m, b->norm_attn, a->x_in, a->h[0], a->c_pre[0], n, sink, l, "norm_attn");
    if (m->cfg.residual == RESID_PARALLEL_TWO)
        norm_apply(m, b->norm_mlp, a->x_in, a->h[1], a->c_pre[1], n, sink, l, "norm_mlp");
    attn_branch(m, b, w, a, l, a->h[0], a->br[0], B, T);
    mlp_branch(m, b, w, a, l, a->h[1], a->br[1], B, T);
    const long nd = (long)n * d;
    NS_PAR_FOR(nd)
    for (long i = 0; i < nd; i++)
        a->x_out[i] = a->x_in[i] + a->br[0][i] + a->br[1][i];
    round_to(m, a->x_out, (long)n * d);
}

static void block_forward(const ns_model *m, ns_workspace *w, int l, int B, int T,
                          const tap_sink *sink)
{
    layer_acts *a = layer_record(w, l);
    const ns_block *b = &m->blocks[l];
    tap_emitf(sink, a->x_in, B * T, m->cfg.d, "resid.%d", l);
    if (m->cfg.residual != RESID_SEQUENTIAL) {
        parallel_block(m, b, w, a, l, B, T, sink);
        return;
    }
    sublayer(m, b, w, a, l, BR_ATTN, a->x_in, a->x_mid, B, T, sink);
    sublayer(m, b, w, a, l, BR_MLP, a->x_mid, a->x_out, B, T, sink);
}

/* ---- embeddings ---- */

/* patch k = (py, px) of image (C, S, S) -> vector (c, i, j), as Conv2d(kernel = stride = p) */
static void patchify(const ns_model *m, const double *img, double *out)
{
    const int C = m->cfg.channels, S = m->cfg.image, p = m->cfg.patch, per = S / p;
    for (int k = 0; k < per * per; k++) {
        int py = k / per, px = k % per;
        double *o = out + (size_t)k * m->patch_dim;
        for (int c = 0; c < C; c++)
            for (int i = 0; i < p; i++)
                for (int j = 0; j < p; j++)
                    o[(c * p + i) * p + j] = img[((size_t)c * S + py * p + i) * S + px * p + j];
    }
}

/* embed = [cls; patches W^T + b] per image */
static void embed_patches(const ns_model *m, ns_workspace *w, const ns_batch *in)
{
    const int d = m->cfg.d, T = in->T, P = T - 1;
    const size_t img = (size_t)m->cfg.channels * m->cfg.image * m->cfg.image;
    for (int s = 0; s < in->B; s++)
        patchify(m, in->images + s * img, w->patches + (size_t)s * P * m->patch_dim);
    matmul_forward(w->head_in, w->patches, m->patch_w, m->patch_b, in->B * P, m->patch_dim, d, 0.0);
    for (int s = 0; s < in->B; s++) {
        double *x = w->embed + (size_t)s * T * d;
        memcpy(x, m->cls, sizeof(double) * d);
        memcpy(x + d, w->head_in + (size_t)s * P * d, sizeof(double) * P * d);
    }
}

/* embed = tok_emb[tok] * (sqrt(d) if scaled) + type_emb[type] */
static void embed_tokens(const ns_model *m, ns_workspace *w, const ns_batch *in)
{
    const int d = m->cfg.d, n = in->B * in->T;
    const double scale = m->cfg.embed_scale_sqrt_d ? sqrt((double)d) : 1.0;
    NS_PAR_FOR((long)n * d)
    for (int t = 0; t < n; t++) {
        const double *e = m->tok_emb + (size_t)in->tok[t] * d;
        double *x = w->embed + (size_t)t * d;
        for (int i = 0; i < d; i++)
            x[i] = scale * e[i];
        if (m->type_emb) {
            const double *ty = m->type_emb + (size_t)(in->types ? in->types[t] : 0) * d;
            for (int i = 0; i < d; i++)
                x[i] += ty[i];
        }
    }
}

static void embed(const ns_model *m, ns_workspace *w, const ns_batch *in, const tap_sink *sink)
{
    const int d = m->cfg.d, n = in->B * in->T;
    if (m->cfg.input == INPUT_PATCHES)
        embed_patches(m, w, in);
    else
        embed_tokens(m, w, in);
    for (int s = 0; m->pos_emb && s < in->B; s++)
        add_into(w->embed + (size_t)s * in->T * d, m->pos_emb + (size_t)m->cfg.pos_offset * d,
                 (long)in->T * d);
    round_to(m, w->embed, (long)n * d);
    tap_emit(sink, "embed", w->embed, n, d);
    if (m->norm_embed) {
        norm_apply(m, m->norm_embed, w->embed, w->x0, w->c_embed, n, NULL, -1, NULL);
        tap_emit(sink, "embed.norm.out", w->x0, n, d);
    }
}

int model_logit_rows(const ns_model *m, int B, int T)
{
    return m->cfg.input == INPUT_PATCHES ? B : B * T;
}

/* logits from the final representation y */
static void head_forward(const ns_model *m, ns_workspace *w, const double *y, int B, int T,
                         double *logits)
{
    const ns_config *c = &m->cfg;
    const int d = c->d, n = B * T, V = c->vocab;
    if (c->input == INPUT_PATCHES) { /* classifier on each image's CLS row */
        for (int s = 0; s < B; s++)
            memcpy(w->cls + (size_t)s * d, y + (size_t)s * T * d, sizeof(double) * d);
        matmul_forward(logits, w->cls, m->head_w, m->head_b, B, d, V, 0.0);
    } else if (c->mlm_head) { /* dense + GELU + norm, then the tied decoder */
        matmul_forward(w->mlm_pre, y, m->mlm_w, m->mlm_b, n, d, d, 0.0);
        activation_forward(MLP_GELU_ERF, w->mlm_pre, w->mlm_act, n, d);
        round_to(m, w->mlm_act, (long)n * d);
        norm_apply(m, m->norm_mlm, w->mlm_act, w->head_in, w->c_mlm, n, NULL, -1, NULL);
        matmul_forward(logits, w->head_in, m->tok_emb, m->mlm_out_b, n, d, V, 0.0);
    } else {
        double s = c->head_scale_rsqrt_d ? 1.0 / sqrt((double)d) : 1.0;
        const long nd = (long)n * d, nl = (long)n * V;
        NS_PAR_FOR(nd)
        for (long i = 0; i < nd; i++)
            w->head_in[i] = s * y[i];
        matmul_forward(logits, w->head_in, c->tied ? m->tok_emb : m->head_w, m->head_b, n, d, V, 0.0);
        if (c->logit_scale != 0.0) {
            NS_PAR_FOR(nl)
            for (long i = 0; i < nl; i++)
                logits[i] *= c->logit_scale;
        }
        if (c->logit_softcap > 0.0) {
            NS_PAR_FOR(16 * nl)
            for (long i = 0; i < nl; i++)
                logits[i] = c->logit_softcap * tanh(logits[i] / c->logit_softcap);
        }
    }
    round_to(m, logits, (long)model_logit_rows(m, B, T) * V);
}

void model_forward(const ns_model *m, ns_workspace *w, const ns_batch *in, const tap_sink *sink,
                   double *logits)
{
    const int d = m->cfg.d, n = in->B * in->T, L = m->cfg.layers;
    embed(m, w, in, sink);
    for (int l = 0; l < L; l++)
        block_forward(m, w, l, in->B, in->T, sink);
    const double *x = layer_record(w, L - 1)->x_out;
    tap_emitf(sink, x, n, d, "resid.%d", L);
    tap_emit(sink, "final.in", x, n, d);
    const double *y = x;
    if (m->cfg.final_norm) {
        norm_apply(m, m->norm_final, x, w->y, w->c_final, n, NULL, -1, NULL);
        y = w->y;
    }
    tap_emit(sink, "final.out", y, n, d);
    if (logits)
        head_forward(m, w, y, in->B, in->T, logits);
}
