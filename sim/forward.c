/* forward.c - one forward pass for every family, top to bottom like the math.
 * Storage precision: with m->prec != f64, the output of every op is rounded to it
 * (embeddings, every norm, every linear, q/k after their norms and RoPE, the attention
 * output, the activation, the residual stream after each add, the logits); inside an op
 * everything is double. */
#include "forward.h"
#include "attention.h"
#include "ops.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

int workspace_create(ns_workspace *w, const ns_model *m, int max_rows, int max_T, ns_err *e)
{
    memset(w, 0, sizeof *w);
    size_t r = (size_t)max_rows, d = (size_t)m->cfg.d, f = (size_t)m->d_ff * (config_gated(&m->cfg) ? 2 : 1);
    size_t wide = (size_t)(m->q_dim > m->cfg.d ? m->q_dim : m->cfg.d);
    w->max_rows = max_rows;
    w->max_T = max_T;
    w->x = malloc(sizeof(double) * r * d);
    w->h = malloc(sizeof(double) * r * d);
    w->h2 = malloc(sizeof(double) * r * d);
    w->br = malloc(sizeof(double) * r * d);
    w->qkv = malloc(sizeof(double) * r * (size_t)(m->q_dim + 2 * m->kv_dim));
    w->att = malloc(sizeof(double) * r * (size_t)m->q_dim);
    w->fc = malloc(sizeof(double) * r * f);
    w->scores = malloc(sizeof(double) * (size_t)max_T * (size_t)max_T);
    w->row = malloc(sizeof(double) * wide);
    w->patches = malloc(sizeof(double) * (r * (size_t)m->patch_dim + 1));
    if (!w->x || !w->h || !w->h2 || !w->br || !w->qkv || !w->att || !w->fc || !w->scores ||
        !w->row || !w->patches) {
        workspace_free(w);
        return ns_fail(e, NS_ERUN, "out of memory for a batch of %d rows", max_rows);
    }
    return NS_OK;
}

void workspace_free(ns_workspace *w)
{
    free(w->x);
    free(w->h);
    free(w->h2);
    free(w->br);
    free(w->qkv);
    free(w->att);
    free(w->fc);
    free(w->scores);
    free(w->row);
    free(w->patches);
    memset(w, 0, sizeof *w);
}

static void round_to(const ns_model *m, double *x, long n)
{
    if (m->prec != PREC_F64)
        precision_round(m->prec, x, n);
}

/* y = N(x) with parameters p at width nc->d, rounded, tapped as "block.<l>.<name>.out" */
static void norm_apply(const ns_model *m, const double *p, const double *x, double *y, int n,
                       const tap_sink *sink, int l, const char *name)
{
    m->norm->forward(&m->ncfg, p, x, y, NULL, n);
    round_to(m, y, (long)n * m->cfg.d);
    if (l >= 0)
        tap_emitf(sink, y, n, m->cfg.d, "block.%d.%s.out", l, name);
}

/* normalise n_vec vectors of width nc->d found at x (contiguous), in place */
static void norm_in_place(const ns_model *m, const norm_cfg *nc, const double *p, double *x,
                          int n_vec, double *scratch)
{
    size_t len = (size_t)n_vec * nc->d;
    memcpy(scratch, x, sizeof(double) * len);
    m->norm->forward(nc, p, scratch, x, NULL, n_vec);
}

/* per-token q/k(/v) norms: per head (width hd) or over the full q / k width */
static void qk_norms(const ns_model *m, const ns_block *b, ns_workspace *w, int n)
{
    const ns_config *c = &m->cfg;
    const int ld = m->q_dim + 2 * m->kv_dim;
    for (int t = 0; t < n; t++) {
        double *q = w->qkv + (size_t)t * ld, *k = q + m->q_dim, *v = k + m->kv_dim;
        if (c->qk_norm == QK_PER_HEAD) {
            norm_in_place(m, &m->ncfg_head, b->q_norm, q, c->heads, w->row);
            norm_in_place(m, &m->ncfg_head, b->k_norm, k, m->kv_heads, w->row);
        } else if (c->qk_norm == QK_FULL) {
            norm_in_place(m, &m->ncfg_q, b->q_norm, q, 1, w->row);
            norm_in_place(m, &m->ncfg_k, b->k_norm, k, 1, w->row);
        }
        if (c->v_norm)
            norm_in_place(m, &m->ncfg_head, b->v_norm, v, m->kv_heads, w->row);
    }
}

static attn_spec attn_spec_of(const ns_model *m, int l, int T)
{
    const ns_config *c = &m->cfg;
    attn_spec a = {T, c->heads, m->kv_heads, m->hd, c->causal, config_window(c, l),
                   c->attn_scale > 0 ? c->attn_scale : 1.0 / sqrt((double)m->hd),
                   m->alibi, m->rel_bias, m->t5_bucket, c->seq};
    return a;
}

/* out = o(attn(rope(qk_norm(qkv(in))))) */
static void attn_branch(const ns_model *m, const ns_block *b, ns_workspace *w, int l,
                        const double *in, double *out, int B, int T)
{
    const ns_config *c = &m->cfg;
    const int n = B * T, ld = m->q_dim + 2 * m->kv_dim;
    matmul_forward(w->qkv, in, b->qkv_w, b->qkv_b, n, c->d, ld, 0.0);
    if (c->qk_norm != QK_NONE || c->v_norm)
        qk_norms(m, b, w, n);
    int r = config_rope_dims(c, l), g = config_layer_global(c, l);
    for (int s = 0; r > 0 && s < B; s++) {
        double *seq = w->qkv + (size_t)s * T * ld;
        rope_forward(seq, T, ld, 0, c->heads, m->hd, r, c->rope_interleaved, m->rope[g][0], m->rope[g][1]);
        rope_forward(seq, T, ld, m->q_dim, m->kv_heads, m->hd, r, c->rope_interleaved, m->rope[g][0],
                     m->rope[g][1]);
    }
    round_to(m, w->qkv, (long)n * ld);
    attn_spec a = attn_spec_of(m, l, T);
    for (int s = 0; s < B; s++)
        attention_forward(w->att + (size_t)s * T * m->q_dim, w->qkv + (size_t)s * T * ld, w->scores, &a);
    round_to(m, w->att, (long)n * m->q_dim);
    matmul_forward(out, w->att, b->out_w, b->out_b, n, m->q_dim, c->d, 0.0);
    round_to(m, out, (long)n * c->d);
}

/* out = down(act(up(in))), or down(act(gate(in)) * up(in)) gated */
static void mlp_branch(const ns_model *m, const ns_block *b, ns_workspace *w, int l,
                       const double *in, double *out, int B, int T)
{
    const ns_config *c = &m->cfg;
    const int n = B * T, f = m->d_ff;
    (void)l;
    matmul_forward(w->fc, in, b->up_w, b->up_b, n, c->d, config_gated(c) ? 2 * f : f, 0.0);
    switch (c->mlp) {
    case MLP_GELU_TANH: gelu_tanh_forward(w->fc, (long)n * f); break;
    case MLP_GELU_ERF: gelu_erf_forward(w->fc, (long)n * f); break;
    case MLP_RELU: relu_forward(w->fc, (long)n * f); break;
    case MLP_SWIGLU: gated_forward(w->fc, n, f, 0); break;
    case MLP_GEGLU: gated_forward(w->fc, n, f, 1); break;
    }
    round_to(m, w->fc, (long)n * f);
    matmul_forward(out, w->fc, b->down_w, b->down_b, n, f, c->d, 0.0);
    round_to(m, out, (long)n * c->d);
}

typedef void (*branch_fn)(const ns_model *, const ns_block *, ns_workspace *, int,
                          const double *, double *, int, int);

/* Which norms wrap one branch: x = after(x + ls * post(branch(pre(x)))) */
typedef struct {
    const double *pre, *post, *after, *ls;
    const char *pre_name, *post_name, *after_name;
} sublayer_norms;

static void swap(double **a, double **b)
{
    double *t = *a;
    *a = *b;
    *b = t;
}

static void sublayer(const ns_model *m, const ns_block *b, ns_workspace *w, int l, int B, int T,
                     branch_fn branch, const sublayer_norms *s, const tap_sink *sink)
{
    const int n = B * T, d = m->cfg.d;
    const double *in = w->x;
    if (s->pre) {
        norm_apply(m, s->pre, w->x, w->h, n, sink, l, s->pre_name);
        in = w->h;
    }
    branch(m, b, w, l, in, w->br, B, T);
    if (s->post) {
        norm_apply(m, s->post, w->br, w->h2, n, sink, l, s->post_name);
        swap(&w->br, &w->h2);
    }
    if (s->ls)
        scale_channels(w->br, s->ls, n, d);
    add_into(w->x, w->br, (long)n * d);
    round_to(m, w->x, (long)n * d);
    if (s->after) {
        norm_apply(m, s->after, w->x, w->h, n, sink, l, s->after_name);
        swap(&w->x, &w->h);
    }
}

/* x + attn(N1 x) + mlp(N2 x), N2 = N1 when shared */
static void parallel_block(const ns_model *m, const ns_block *b, ns_workspace *w, int l, int B,
                           int T, const tap_sink *sink)
{
    const int n = B * T, d = m->cfg.d;
    norm_apply(m, b->norm_attn, w->x, w->h, n, sink, l, "norm_attn");
    const double *mlp_in = w->h;
    if (m->cfg.residual == RESID_PARALLEL_TWO) {
        norm_apply(m, b->norm_mlp, w->x, w->h2, n, sink, l, "norm_mlp");
        mlp_in = w->h2;
    }
    attn_branch(m, b, w, l, w->h, w->br, B, T);
    add_into(w->x, w->br, (long)n * d);
    mlp_branch(m, b, w, l, mlp_in, w->br, B, T);
    add_into(w->x, w->br, (long)n * d);
    round_to(m, w->x, (long)n * d);
}

static void block_forward(const ns_model *m, const ns_block *b, ns_workspace *w, int l, int B,
                          int T, const tap_sink *sink)
{
    const int place = m->cfg.placement;
    if (m->cfg.residual != RESID_SEQUENTIAL) {
        parallel_block(m, b, w, l, B, T, sink);
        return;
    }
    sublayer_norms a = {0}, f = {0};
    a.ls = b->ls_attn;
    f.ls = b->ls_mlp;
    if (place == PLACE_PRE || place == PLACE_SANDWICH) {
        a.pre = b->norm_attn, a.pre_name = "norm_attn";
        f.pre = b->norm_mlp, f.pre_name = "norm_mlp";
    }
    if (place == PLACE_SANDWICH) {
        a.post = b->norm_attn_post, a.post_name = "norm_attn_post";
        f.post = b->norm_mlp_post, f.post_name = "norm_mlp_post";
    }
    if (place == PLACE_POST_IN_RESID) {
        a.post = b->norm_attn, a.post_name = "norm_attn";
        f.post = b->norm_mlp, f.post_name = "norm_mlp";
    }
    if (place == PLACE_POST) {
        a.after = b->norm_attn, a.after_name = "norm_attn";
        f.after = b->norm_mlp, f.after_name = "norm_mlp";
    }
    sublayer(m, b, w, l, B, T, attn_branch, &a, sink);
    sublayer(m, b, w, l, B, T, mlp_branch, &f, sink);
}

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

/* x = [cls; patches W^T + b] + positions, per image */
static void embed_patches(const ns_model *m, ns_workspace *w, const ns_batch *in)
{
    const int d = m->cfg.d, T = in->T, P = T - 1;
    const size_t img = (size_t)m->cfg.channels * m->cfg.image * m->cfg.image;
    for (int s = 0; s < in->B; s++)
        patchify(m, in->images + s * img, w->patches + (size_t)s * P * m->patch_dim);
    matmul_forward(w->h, w->patches, m->patch_w, m->patch_b, in->B * P, m->patch_dim, d, 0.0);
    for (int s = 0; s < in->B; s++) {
        double *x = w->x + (size_t)s * T * d;
        memcpy(x, m->cls, sizeof(double) * d);
        memcpy(x + d, w->h + (size_t)s * P * d, sizeof(double) * P * d);
    }
}

/* x = tok_emb[tok] * (sqrt(d) if scaled) + type_emb[type] */
static void embed_tokens(const ns_model *m, ns_workspace *w, const ns_batch *in)
{
    const int d = m->cfg.d, n = in->B * in->T;
    const double scale = m->cfg.embed_scale_sqrt_d ? sqrt((double)d) : 1.0;
    for (int t = 0; t < n; t++) {
        const double *e = m->tok_emb + (size_t)in->tok[t] * d;
        double *x = w->x + (size_t)t * d;
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
        add_into(w->x + (size_t)s * in->T * d, m->pos_emb + (size_t)m->cfg.pos_offset * d, (long)in->T * d);
    round_to(m, w->x, (long)n * d);
    tap_emit(sink, "embed", w->x, n, d);
    if (m->norm_embed) {
        norm_apply(m, m->norm_embed, w->x, w->h, n, NULL, -1, NULL);
        tap_emit(sink, "embed.norm.out", w->h, n, d);
        swap(&w->x, &w->h);
    }
}

int model_logit_rows(const ns_model *m, int B, int T)
{
    return m->cfg.input == INPUT_PATCHES ? B : B * T;
}

/* logits from the final representation y (rows of the batch) */
static void head_forward(const ns_model *m, ns_workspace *w, const double *y, int B, int T,
                         double *logits)
{
    const ns_config *c = &m->cfg;
    const int d = c->d, n = B * T, V = c->vocab;
    if (c->input == INPUT_PATCHES) { /* classifier on each image's CLS row */
        for (int s = 0; s < B; s++)
            memcpy(w->h2 + (size_t)s * d, y + (size_t)s * T * d, sizeof(double) * d);
        matmul_forward(logits, w->h2, m->head_w, m->head_b, B, d, V, 0.0);
    } else if (c->mlm_head) { /* dense + GELU + norm, then the tied decoder */
        matmul_forward(w->h2, y, m->mlm_w, m->mlm_b, n, d, d, 0.0);
        gelu_erf_forward(w->h2, (long)n * d);
        round_to(m, w->h2, (long)n * d);
        norm_apply(m, m->norm_mlm, w->h2, w->br, n, NULL, -1, NULL);
        matmul_forward(logits, w->br, m->tok_emb, m->mlm_out_b, n, d, V, 0.0);
    } else {
        const double *in = y;
        if (c->head_scale_rsqrt_d) {
            memcpy(w->h2, y, sizeof(double) * (size_t)n * d);
            for (long i = 0; i < (long)n * d; i++)
                w->h2[i] /= sqrt((double)d);
            in = w->h2;
        }
        matmul_forward(logits, in, c->tied ? m->tok_emb : m->head_w, m->head_b, n, d, V, 0.0);
        long nl = (long)n * V;
        if (c->logit_scale != 0.0)
            for (long i = 0; i < nl; i++)
                logits[i] *= c->logit_scale;
        if (c->logit_softcap > 0.0)
            for (long i = 0; i < nl; i++)
                logits[i] = c->logit_softcap * tanh(logits[i] / c->logit_softcap);
    }
    round_to(m, logits, (long)model_logit_rows(m, B, T) * V);
}

void model_forward(const ns_model *m, ns_workspace *w, const ns_batch *in, const tap_sink *sink,
                   double *logits)
{
    const int d = m->cfg.d, n = in->B * in->T;
    embed(m, w, in, sink);
    for (int l = 0; l < m->cfg.layers; l++) {
        tap_emitf(sink, w->x, n, d, "resid.%d", l);
        block_forward(m, &m->blocks[l], w, l, in->B, in->T, sink);
    }
    tap_emitf(sink, w->x, n, d, "resid.%d", m->cfg.layers);
    tap_emit(sink, "final.in", w->x, n, d);
    const double *y = w->x;
    if (m->cfg.final_norm) {
        norm_apply(m, m->norm_final, w->x, w->h, n, NULL, -1, NULL);
        y = w->h;
    }
    tap_emit(sink, "final.out", y, n, d);
    if (logits)
        head_forward(m, w, y, in->B, in->T, logits);
}
