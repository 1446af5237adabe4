/* backward.c - model_backward: the forward's steps in reverse, each step next to the
 * forward step it undoes in name (see forward.c). Loops over tokens run on ns_threads()
 * threads; sums over tokens keep one order whatever the count (sim/base/threads.h). */
#include "sim/model/backward.h"
#include "sim/model/ops.h"
#include "norms/parallel.h"
#include "norms/registry.h"
#include "sim/base/threads.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

int grads_ws_create(ns_grads_ws *g, const ns_model *m, int max_rows, int max_T, ns_err *e)
{
    memset(g, 0, sizeof *g);
    const size_t N = (size_t)max_rows, d = (size_t)m->cfg.d, ld = (size_t)(m->q_dim + 2 * m->kv_dim);
    const size_t f = (size_t)m->d_ff, V = (size_t)m->cfg.vocab;
    const int slots = ns_threads();
    const size_t part = norm_backward_scratch(max_rows, norm_param_count(m->norm, m->cfg.d));
    size_t total = 7 * N * d + 2 * N * ld + N * (size_t)m->q_dim + 3 * N * f +
                   (size_t)slots * max_T * max_T + N * V + part;
    double *p = malloc(sizeof(double) * total);
    if (!p)
        return ns_fail(e, NS_ERUN, "out of memory for gradients of %d rows", max_rows);
    g->alloc = p;
    double **nd[] = {&g->dx, &g->dx2, &g->dh, &g->dh2, &g->dr, &g->dbr, &g->dz};
    for (size_t i = 0; i < 7; i++, p += N * d)
        *nd[i] = p;
    g->dqkv = p, p += N * ld;
    g->dqkv2 = p, p += N * ld;
    g->datt = p, p += N * (size_t)m->q_dim;
    g->dpre = p, p += 2 * N * f;
    g->dact = p, p += N * f;
    g->dS = p, p += (size_t)slots * max_T * max_T;
    g->slots = slots;
    g->norm_part = p, p += part;
    g->dlogits = p;
    return NS_OK;
}

void grads_ws_free(ns_grads_ws *g)
{
    free(g->alloc);
    memset(g, 0, sizeof *g);
}

/* the gradient block entry of a parameter pointer (NULL stays NULL) */
static double *G(const ns_model *m, double *grads, const double *p)
{
    return p ? grads + (p - m->params) : NULL;
}

/* dx += dN/dx dy; dparams += (one per-token call: the q/k/v norms) */
static void norm_back(const ns_model *m, const norm_cfg *nc, const double *p, const double *x,
                      const double *cache, const double *dy, double *dx, double *grads, int n)
{
    m->norm->backward(nc, p, x, cache, dy, dx, G(m, grads, p), n);
}

/* the same over n tokens of width d, in parallel over token blocks */
static void norm_back_rows(const ns_model *m, ns_grads_ws *g, const double *p, const double *x,
                           const double *cache, const double *dy, double *dx, double *grads, int n)
{
    norm_backward_par(m->norm, &m->ncfg, p, x, cache, dy, dx, G(m, grads, p),
                      norm_param_count(m->norm, m->ncfg.d), g->norm_part, n);
}

/* ---- attention branch ---- */

/* q/k/v norms: dqkv_lin from dqkv (parts without a norm pass straight through) */
static void qk_norms_back(const ns_model *m, const ns_block *b, const layer_acts *a,
                          const double *dqkv, double *dlin, double *grads, int n)
{
    const ns_config *c = &m->cfg;
    const int ld = m->q_dim + 2 * m->kv_dim, full = c->qk_norm == QK_FULL;
    const qk_cache_layout L = model_qk_cache_layout(m);
    const int qrows = L.qrows, krows = L.krows, R = L.rows, cl = L.width;
    memset(dlin, 0, sizeof(double) * (size_t)n * ld);
    for (int t = 0; t < n; t++) {
        const double *x = a->qkv_lin + (size_t)t * ld, *dy = dqkv + (size_t)t * ld;
        const double *cache = a->c_qk + (size_t)t * R * cl;
        double *dx = dlin + (size_t)t * ld;
        if (c->qk_norm != QK_NONE) {
            norm_back(m, full ? &m->ncfg_q : &m->ncfg_head, b->q_norm, x, cache, dy, dx, grads, qrows);
            norm_back(m, full ? &m->ncfg_k : &m->ncfg_head, b->k_norm, x + m->q_dim,
                      cache + qrows * cl, dy + m->q_dim, dx + m->q_dim, grads, krows);
        } else
            memcpy(dx, dy, sizeof(double) * (size_t)(m->q_dim + m->kv_dim));
        int v0 = m->q_dim + m->kv_dim;
        if (c->v_norm)
            norm_back(m, &m->ncfg_head, b->v_norm, x + v0, cache + (qrows + krows) * cl, dy + v0,
                      dx + v0, grads, m->kv_heads);
        else
            memcpy(dx + v0, dy + v0, sizeof(double) * (size_t)m->kv_dim);
    }
}

/* din = d/din of br = o(attn(rope(qk_norm(qkv(in))))) given dbr */
static void attn_branch_back(const ns_model *m, const ns_block *b, const layer_acts *a,
                             ns_grads_ws *g, int l, const double *in, const double *dbr, double *din,
                             double *grads, int B, int T)
{
    const ns_config *c = &m->cfg;
    const int n = B * T, ld = m->q_dim + 2 * m->kv_dim;
    matmul_backward(g->datt, 0.0, G(m, grads, b->out_w), G(m, grads, b->out_b), dbr, a->att,
                    b->out_w, n, m->q_dim, c->d);
    attn_spec sp = model_attn_spec(m, l, T);
    sp.slots = g->slots;
    for (int s = 0; s < B; s++)
        attention_backward(g->dqkv + (size_t)s * T * ld, g->datt + (size_t)s * T * m->q_dim,
                           a->qkv + (size_t)s * T * ld, a->probs + s * a->probs_seq, a->probs_head,
                           g->dS, G(m, grads, m->rel_bias), &sp);
    int r = config_rope_span(c, l), gl = config_layer_global(c, l);
    for (int s = 0; r > 0 && s < B; s++) {
        double *seq = g->dqkv + (size_t)s * T * ld;
        rope_backward(seq, T, ld, 0, c->heads, m->hd, r, c->rope_interleaved, m->rope[gl][0], m->rope[gl][1]);
        rope_backward(seq, T, ld, m->q_dim, m->kv_heads, m->hd, r, c->rope_interleaved,
                      m->rope[gl][0], m->rope[gl][1]);
    }
    const double *dlin = g->dqkv;
    if (c->qk_norm != QK_NONE || c->v_norm) {
        qk_norms_back(m, b, a, g->dqkv, g->dqkv2, grads, n);
        dlin = g->dqkv2;
    }
    matmul_backward(din, 0.0, G(m, grads, b->qkv_w), G(m, grads, b->qkv_b), dlin, in, b->qkv_w, n,
                    c->d, ld);
}

/* din = d/din of br = down(act(up(in))) given dbr */
static void mlp_branch_back(const ns_model *m, const ns_block *b, const layer_acts *a,
                            ns_grads_ws *g, const double *in, const double *dbr, double *din,
                            double *grads, int n)
{
    const ns_config *c = &m->cfg;
    const int f = m->d_ff, up = config_gated(c) ? 2 * f : f;
    matmul_backward(g->dact, 0.0, G(m, grads, b->down_w), G(m, grads, b->down_b), dbr, a->mlp_act,
                    b->down_w, n, f, c->d);
    activation_backward(c->mlp, a->mlp_pre, g->dact, g->dpre, n, f);
    matmul_backward(din, 0.0, G(m, grads, b->up_w), G(m, grads, b->up_b), g->dpre, in, b->up_w, n,
                    c->d, up);
}

/* ---- blocks ---- */

/* from dY = dL/dx_next to dX = dL/dx for x_next = after(x + ls * post(branch(pre(x)))) */
static void sublayer_back(const ns_model *m, const ns_block *b, const layer_acts *a,
                          ns_grads_ws *g, int l, int s, const double *x, const double *dY,
                          double *dX, double *grads, int B, int T)
{
    const int n = B * T, d = m->cfg.d;
    const long nd = (long)n * d;
    const double *nm[3], *ls = s == BR_ATTN ? b->ls_attn : b->ls_mlp;
    block_sublayer_norms(m, b, s, nm);
    const double *dz = dY;
    if (nm[2]) {
        memset(g->dz, 0, sizeof(double) * nd);
        norm_back_rows(m, g, nm[2], a->z[s], a->c_after[s], dY, g->dz, grads, n);
        dz = g->dz;
    }
    memcpy(dX, dz, sizeof(double) * nd);
    const double *r = nm[1] ? a->p[s] : a->br[s], *dr = dz;
    if (ls) { /* z = x + ls * r: dls += sum_t dz r (t in order; columns split); dr = ls dz */
        double *dls = G(m, grads, ls);
        const int chunk = 64, nc = (d + chunk - 1) / chunk;
        NS_PAR_FOR(2 * nd)
        for (int c = 0; c < nc; c++)
            for (int t = 0; t < n; t++)
                for (int i = c * chunk; i < d && i < (c + 1) * chunk; i++) {
                    const size_t k = (size_t)t * d + i;
                    dls[i] += dz[k] * r[k];
                    g->dr[k] = ls[i] * dz[k];
                }
        dr = g->dr;
    }
    const double *dbr = dr;
    if (nm[1]) {
        memset(g->dbr, 0, sizeof(double) * nd);
        norm_back_rows(m, g, nm[1], a->br[s], a->c_post[s], dr, g->dbr, grads, n);
        dbr = g->dbr;
    }
    const double *in = nm[0] ? a->h[s] : x;
    if (s == BR_ATTN)
        attn_branch_back(m, b, a, g, l, in, dbr, g->dh, grads, B, T);
    else
        mlp_branch_back(m, b, a, g, in, dbr, g->dh, grads, n);
    if (nm[0])
        norm_back_rows(m, g, nm[0], x, a->c_pre[s], g->dh, dX, grads, n);
    else
        add_into(dX, g->dh, nd);
}

/* x_out = x_in + attn(h0) + mlp(h1): dX = dY + N1'(dh0) + N2'(dh1) (h1 = h0 when shared) */
static void parallel_back(const ns_model *m, const ns_block *b, const layer_acts *a, ns_grads_ws *g,
                          int l, const double *dY, double *dX, double *grads, int B, int T)
{
    const int n = B * T;
    const long nd = (long)n * m->cfg.d;
    memcpy(dX, dY, sizeof(double) * nd);
    attn_branch_back(m, b, a, g, l, a->h[0], dY, g->dh, grads, B, T);
    mlp_branch_back(m, b, a, g, a->h[1], dY, g->dh2, grads, n);
    if (m->cfg.residual == RESID_PARALLEL_SHARED) {
        add_into(g->dh, g->dh2, nd);
        norm_back_rows(m, g, b->norm_attn, a->x_in, a->c_pre[0], g->dh, dX, grads, n);
    } else {
        norm_back_rows(m, g, b->norm_attn, a->x_in, a->c_pre[0], g->dh, dX, grads, n);
        norm_back_rows(m, g, b->norm_mlp, a->x_in, a->c_pre[1], g->dh2, dX, grads, n);
    }
}

/* g->dx holds dL/dx_out of layer l on entry and dL/dx_in on return */
static void block_back(const ns_model *m, ns_workspace *w, ns_grads_ws *g, int l, double *grads,
                       int B, int T)
{
    const layer_acts *a = &w->layers[l];
    const ns_block *b = &m->blocks[l];
    if (m->cfg.residual != RESID_SEQUENTIAL) {
        parallel_back(m, b, a, g, l, g->dx, g->dx2, grads, B, T);
    } else {
        sublayer_back(m, b, a, g, l, BR_MLP, a->x_mid, g->dx, g->dx2, grads, B, T);
        sublayer_back(m, b, a, g, l, BR_ATTN, a->x_in, g->dx2, g->dx, grads, B, T);
        return;
    }
    double *t = g->dx;
    g->dx = g->dx2;
    g->dx2 = t;
}

/* ---- head and embeddings ---- */

/* dy (rows, d) = dL/d final representation, from dlogits */
static void head_back(const ns_model *m, ns_workspace *w, ns_grads_ws *g, const double *y,
                      const double *logits, const double *dlogits, double *dy, double *grads,
                      int B, int T)
{
    const ns_config *c = &m->cfg;
    const int d = c->d, n = B * T, V = c->vocab;
    memset(dy, 0, sizeof(double) * (size_t)n * d);
    if (c->input == INPUT_PATCHES) { /* classifier on CLS rows */
        matmul_backward(g->dh, 0.0, G(m, grads, m->head_w), G(m, grads, m->head_b), dlogits, w->cls,
                        m->head_w, B, d, V);
        for (int s = 0; s < B; s++)
            memcpy(dy + (size_t)s * T * d, g->dh + (size_t)s * d, sizeof(double) * d);
    } else if (c->mlm_head) {
        matmul_backward(g->dh, 0.0, G(m, grads, m->tok_emb), G(m, grads, m->mlm_out_b), dlogits,
                        w->head_in, m->tok_emb, n, d, V);
        memset(g->dh2, 0, sizeof(double) * (size_t)n * d);
        norm_back_rows(m, g, m->norm_mlm, w->mlm_act, w->c_mlm, g->dh, g->dh2, grads, n);
        activation_backward(MLP_GELU_ERF, w->mlm_pre, g->dh2, g->dh, n, d);
        matmul_backward(dy, 0.0, G(m, grads, m->mlm_w), G(m, grads, m->mlm_b), g->dh, y, m->mlm_w, n, d, d);
    } else {
        const long nl = (long)n * V;
        const double *dl = dlogits;
        if (c->logit_softcap > 0.0 || c->logit_scale != 0.0) {
            NS_PAR_FOR(4 * nl)
            for (long i = 0; i < nl; i++) { /* logits = cap tanh(scale z / cap) */
                double v = dlogits[i];
                if (c->logit_softcap > 0.0) {
                    double t = logits[i] / c->logit_softcap;
                    v *= 1.0 - t * t;
                }
                g->dlogits[i] = v * (c->logit_scale != 0.0 ? c->logit_scale : 1.0);
            }
            dl = g->dlogits;
        }
        const double *W = c->tied ? m->tok_emb : m->head_w;
        matmul_backward(dy, 0.0, G(m, grads, W), G(m, grads, m->head_b), dl, w->head_in, W, n, d, V);
        if (c->head_scale_rsqrt_d) {
            const long nd = (long)n * d;
            NS_PAR_FOR(nd)
            for (long i = 0; i < nd; i++)
                dy[i] /= sqrt((double)d);
        }
    }
}

/* from dL/dx0 (g->dx) into the embedding tables */
static void embed_back(const ns_model *m, ns_workspace *w, ns_grads_ws *g, const ns_batch *in,
                       double *grads)
{
    const int d = m->cfg.d, n = in->B * in->T, T = in->T;
    const double *de = g->dx;
    if (m->norm_embed) {
        memset(g->dx2, 0, sizeof(double) * (size_t)n * d);
        norm_back_rows(m, g, m->norm_embed, w->embed, w->c_embed, g->dx, g->dx2, grads, n);
        de = g->dx2;
    }
    if (m->pos_emb) {
        double *dp = G(m, grads, m->pos_emb) + (size_t)m->cfg.pos_offset * d;
        for (int s = 0; s < in->B; s++)
            add_into(dp, de + (size_t)s * T * d, (long)T * d);
    }
    if (m->cfg.input == INPUT_PATCHES) {
        const int P = T - 1;
        double *dcls = G(m, grads, m->cls);
        for (int s = 0; s < in->B; s++) {
            add_into(dcls, de + (size_t)s * T * d, d);
            memcpy(g->dh + (size_t)s * P * d, de + ((size_t)s * T + 1) * d, sizeof(double) * P * d);
        }
        matmul_backward(NULL, 0.0, G(m, grads, m->patch_w), G(m, grads, m->patch_b), g->dh,
                        w->patches, m->patch_w, in->B * P, m->patch_dim, d);
        return;
    }
    const double scale = m->cfg.embed_scale_sqrt_d ? sqrt((double)d) : 1.0;
    double *dtok = G(m, grads, m->tok_emb), *dtype = G(m, grads, m->type_emb);
    const int chunk = 64, nc = (d + chunk - 1) / chunk;
    NS_PAR_FOR(2L * n * d) /* columns split; rows (tokens) in order */
    for (int c = 0; c < nc; c++) {
        const int i0 = c * chunk, i1 = i0 + chunk < d ? i0 + chunk : d;
        for (int t = 0; t < n; t++) {
            double *row = dtok + (size_t)in->tok[t] * d;
            const double *src = de + (size_t)t * d;
            for (int i = i0; i < i1; i++)
                row[i] += scale * src[i];
            if (dtype) {
                double *ty = dtype + (size_t)(in->types ? in->types[t] : 0) * d;
                for (int i = i0; i < i1; i++)
                    ty[i] += src[i];
            }
        }
    }
}

void model_backward(const ns_model *m, ns_workspace *w, ns_grads_ws *g, const ns_batch *in,
                    const double *logits, const double *dlogits, double *grads)
{
    const int d = m->cfg.d, n = in->B * in->T, L = m->cfg.layers;
    const double *xL = w->layers[L - 1].x_out, *y = m->cfg.final_norm ? w->y : xL;
    double *dy = m->cfg.final_norm ? g->dx2 : g->dx;
    head_back(m, w, g, y, logits, dlogits, dy, grads, in->B, in->T);
    if (m->cfg.final_norm) {
        memset(g->dx, 0, sizeof(double) * (size_t)n * d);
        norm_back_rows(m, g, m->norm_final, xL, w->c_final, dy, g->dx, grads, n);
    }
    for (int l = L - 1; l >= 0; l--)
        block_back(m, w, g, l, grads, in->B, in->T);
    embed_back(m, w, g, in, grads);
}
